"""The generated bridge between two real Mosquittos on loopback: a site and a central broker.

The site broker runs the project's generated config plus the generated
bridge block (TLS to the central broker with a bridge client certificate
issued by the central operator's CA).  The central broker requires client
certificates and confines the bridge with the ACL from
``broker_config.bridge.central_acl_text``.  An observer on the central
broker waits for the bridge's connection-state notification, then checks
what went up (with the site prefix) and that nothing came down.
"""

from __future__ import annotations

import pytest

from broker_config import Mosquitto, SiteCredentials, write_broker_files
from broker_config.bridge import (BridgeAuth, BridgeError, BridgeTiming, bridge_text, central_acl_text,
                                  notification_topic, remote_prefix)
from broker_config.passwords import hash_password
from broker_config.pki import SiteCA
from broker_config.runner import free_port
from contract.topics import Topics
from mqtt_peer import Peer
from sites import SITE_ID, small_site, small_site_dict

TOPICS = Topics(SITE_ID)
OBSERVER_PASSWORD = "observer-secret"


def bridged_site(**bridge):
    """A site that chose to send everything up, events included (not the default: see below)."""
    data = small_site_dict()
    data["bridge"] = {"enabled": True, "host": "central.example.org", "port": 8883,
                      "topics_up": ["events", "presence", "health", "statistics"], **bridge}
    return small_site(data)


def test_by_default_no_call_with_a_visitors_language_leaves_the_site():
    data = small_site_dict()
    data["bridge"] = {"enabled": True, "host": "central.example.org"}
    text = bridge_text(small_site(data), BridgeAuth(cafile="/ca", username="u", password="p"))
    routes = [line.split()[1] for line in text.splitlines() if line.startswith("topic ")]
    assert routes == ["presence/+", "health/+", "state/service/+"]


def write_central_broker(folder, site, central_ca: SiteCA, tls_port: int):
    """The central operator's broker: TLS with client certificates, the site bridge's ACL, an observer."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "conf.d").mkdir(exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    (folder / "passwd").write_text(f"observer:{hash_password(OBSERVER_PASSWORD)}\n")
    (folder / "acl").write_text(central_acl_text(site) + "\nuser observer\ntopic readwrite #\n"
                                "topic read $SYS/#\n")
    server_cert, server_key = central_ca.server_paths
    (folder / "mosquitto.conf").write_text(f"""\
per_listener_settings false
allow_anonymous false
password_file {folder / "passwd"}
acl_file {folder / "acl"}
persistence true
persistence_location {folder / "data"}/
log_dest stderr
log_type all
include_dir {folder / "conf.d"}
""")
    (folder / "conf.d" / "tls.conf").write_text(f"""\
listener {tls_port} 127.0.0.1
cafile {central_ca.ca_path}
certfile {server_cert}
keyfile {server_key}
require_certificate true
use_identity_as_username true
""")
    return folder / "mosquitto.conf"


@pytest.fixture
def two_brokers(tmp_path):
    site = bridged_site()
    central_ca = SiteCA.open(tmp_path / "central-ca", "central")
    central_ca.ensure_server(["127.0.0.1"])
    bridge_cert, bridge_key = central_ca.ensure_device(f"{SITE_ID}-bridge")
    central_tls = free_port()
    central = Mosquitto(write_central_broker(tmp_path / "central", site, central_ca, central_tls)).start()

    creds = SiteCredentials()
    creds.ensure(site)
    conf = bridge_text(site, BridgeAuth(cafile=str(central_ca.ca_path), certfile=str(bridge_cert),
                                        keyfile=str(bridge_key)),
                       BridgeTiming(restart_base_s=1, restart_cap_s=2, keepalive_s=5),
                       address=f"127.0.0.1:{central_tls}")
    files = write_broker_files(site, creds, tmp_path / "site", bridge_conf=conf)
    site_broker = Mosquitto(files)
    observer = Peer("127.0.0.1", central.port, "observer", OBSERVER_PASSWORD, client_id="observer",
                    log=lambda: central.log_text() + "\n--- site ---\n" + site_broker.log_text())
    assert observer.connect() == 0
    assert observer.subscribe("#") == 1
    assert observer.subscribe("$SYS/broker/connection/#") == 1
    site_broker.start()
    peers = []

    def site_peer(device_id):
        peer = Peer("127.0.0.1", site_broker.port, device_id, creds.password_for(device_id),
                    client_id=f"site-{device_id}", log=site_broker.log_text)
        assert peer.connect() == 0
        peers.append(peer)
        return peer

    yield site, central, site_broker, observer, site_peer
    for peer in peers + [observer]:
        peer.close()
    site_broker.close()
    central.close()


def wait_bridge_state(observer: Peer, site, value: bytes):
    topic = notification_topic(site)
    observer._wait(lambda: any(m.topic == topic and m.payload == value for m in observer.messages),
                   f"bridge state {value!r} on {topic}")


@pytest.mark.broker
def test_events_presence_health_and_statistics_go_up_with_the_site_prefix(two_brokers):
    site, _central, _site_broker, observer, site_peer = two_brokers
    wait_bridge_state(observer, site, b"1")
    hub, kiosk = site_peer("hub"), site_peer("kiosk-1")
    up = remote_prefix(site)
    assert up == f"centres/{SITE_ID}/v1/"

    # what must go up
    assert hub.publish(TOPICS.event("ground", "called"), b'{"ev": 1}') in (0, 16)
    assert kiosk.publish(TOPICS.presence("kiosk-1"), b'{"online": true}', retain=True) in (0, 16)
    assert kiosk.publish(TOPICS.health("kiosk-1"), b'{"paper": "low"}', retain=True) in (0, 16)
    assert hub.publish(TOPICS.service_state("reception"), b'{"waiting": 3}', retain=True) in (0, 16)
    # what must stay on the site
    for topic in (TOPICS.request("kiosk-1", "issue_ticket"), TOPICS.reply("kiosk-1"), TOPICS.site_config(),
                  TOPICS.zone_state("ground"), TOPICS.counter_state("c1"), TOPICS.device_config("kiosk-1")):
        assert hub.publish(topic, b"private") in (0, 16)
    assert hub.publish(TOPICS.event("first", "called"), b"marker") in (0, 16)  # last: ends the wait

    marker = f"{up}event/first/called"
    observer._wait(lambda: any(m.topic == marker for m in observer.messages), "the marker event upstairs")
    received = {m.topic: m.payload for m in observer.messages if m.topic.startswith("centres/")}
    assert received == {
        f"{up}event/ground/called": b'{"ev": 1}',
        f"{up}presence/kiosk-1": b'{"online": true}',
        f"{up}health/kiosk-1": b'{"paper": "low"}',
        f"{up}state/service/reception": b'{"waiting": 3}',
        marker: b"marker",
    }
    assert not any(m.topic.startswith("oss/") for m in observer.messages)  # nothing unprefixed


@pytest.mark.broker
def test_nothing_flows_down_and_outages_are_queued(two_brokers):
    site, central, _site_broker, observer, site_peer = two_brokers
    wait_bridge_state(observer, site, b"1")
    hub = site_peer("hub")
    assert hub.subscribe(f"{TOPICS.base}/#") == 1
    up = remote_prefix(site)
    # the central side publishes into the site's prefix and into the site's own topics: nothing arrives
    for topic in (f"{up}req/kiosk-1/issue_ticket", f"{up}event/ground/called", TOPICS.request("kiosk-1", "x"),
                  TOPICS.zone_state("ground")):
        assert observer.publish(topic, b"from-central") in (0, 16)
    assert hub.publish(TOPICS.event("ground", "called"), b"roundtrip") in (0, 16)
    observer._wait(lambda: any(m.payload == b"roundtrip" for m in observer.messages), "the round trip")
    hub.wait_for(TOPICS.event("ground", "called"))
    assert not [m.topic for m in hub.messages if m.payload == b"from-central"]

    # the central broker goes away; events published meanwhile are queued by the site broker and
    # delivered when the bridge is back (a durable central subscriber sees them, no race on timing)
    durable = Peer("127.0.0.1", central.port, "observer", OBSERVER_PASSWORD, client_id="durable",
                   clean_start=False, session_expiry=3600, log=central.log_text)
    assert durable.connect() == 0
    assert durable.subscribe(f"{up}#") == 1
    durable.close()
    observer.close()
    central.stop()
    assert hub.publish(TOPICS.event("ground", "called"), b"during-outage") in (0, 16)
    central.start()
    again = Peer("127.0.0.1", central.port, "observer", OBSERVER_PASSWORD, client_id="durable",
                 clean_start=False, session_expiry=3600, log=central.log_text)
    assert again.connect() == 0 and again.session_present
    again._wait(lambda: any(m.payload == b"during-outage" for m in again.messages), "the queued event")
    again.close()


def test_bridge_text_refuses_what_cannot_work():
    site = bridged_site()
    with pytest.raises(BridgeError, match="CA certificate"):
        bridge_text(site, BridgeAuth(username="x"))
    with pytest.raises(BridgeError, match="log in"):
        bridge_text(site, BridgeAuth(cafile="/ca.crt"))
    with pytest.raises(BridgeError, match="remote_prefix"):
        bridge_text(bridged_site(remote_prefix="centres/#"), BridgeAuth(cafile="/ca", username="u"))
    with pytest.raises(BridgeError, match="enabled"):
        bridge_text(small_site(), BridgeAuth(cafile="/ca", username="u"))
    text = bridge_text(bridged_site(topics_up=["events"]), BridgeAuth(cafile="/ca", username="u", password="p"))
    topics = [line for line in text.splitlines() if line.startswith("topic ")]
    assert topics == [f"topic event/+/+ out 1 {TOPICS.base}/ centres/{SITE_ID}/v1/"]
    settings = dict(line.split(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert settings["address"] == "central.example.org:8883"
    assert settings["notifications"] == "true" and settings["cleansession"] == "false"
    assert settings["notification_topic"] == f"$SYS/broker/connection/{SITE_ID}-central/state"
    assert settings["remote_username"] == "u" and settings["bridge_insecure"] == "false"
