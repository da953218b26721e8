"""The production broker config against a real Mosquitto: TLS with client certificates, CRL, the ACL matrix.

The broker runs the generated files with the TLS listener (site CA, client
certificate required, its CN as user name, CRL) on a free loopback port,
beside the loopback password listener the hub uses.  Every device of the
small test site connects with its own certificate.

The matrix: every role x every topic class x publish/subscribe, expected
results computed from ``contract.acl.RULES`` (filled for the device, matched
with MQTT wildcard rules).  Publishing is judged by the PUBACK code (135 =
refused); reading by what the device *receives* on a ``<base>/#``
subscription, because Mosquitto 2.0 grants every SUBSCRIBE and filters on
delivery.
"""

from __future__ import annotations

import paho.mqtt.client as mqtt
import pytest

from broker_config import Mosquitto, SiteCredentials, write_broker_files
from broker_config.generate import TlsListener
from broker_config.runner import free_port
from contract.acl import rules_for
from contract.topics import Topics
from mqtt_peer import REFUSED_TLS, ClientTls, Peer
from site_pki import RETIRED
from sites import SITE_ID, small_site

TOPICS = Topics(SITE_ID)
ALLOWED_PUBACK = {0, 16}  # 16: accepted, no subscriber matched
NOT_AUTHORIZED = 135
BAD_CREDENTIALS = {134, 135}


# ---------------------------------------------------------------------------
# A broker on the production config (module scope: one broker for the matrix)
# ---------------------------------------------------------------------------


class SecureBroker:
    def __init__(self, workdir, pki):
        self.site = small_site()
        self.credentials = SiteCredentials()
        self.credentials.ensure(self.site)
        self.tls_port = free_port()
        server_cert, server_key = pki.ca.server_paths
        tls = TlsListener(self.tls_port, str(pki.ca.ca_path), str(server_cert), str(server_key),
                          str(pki.ca.crl_path), host="127.0.0.1")
        self.files = write_broker_files(self.site, self.credentials, workdir, tls=tls)
        self.mosquitto = Mosquitto(self.files).start()
        self.pki = pki
        self.peers: list[Peer] = []

    def by_cert(self, device_id: str | None, tls: ClientTls | None = None, user: str | None = None) -> Peer:
        tls = tls or self.pki.client(device_id)
        peer = Peer("127.0.0.1", self.tls_port, user, None, client_id=f"tls-{device_id}-{len(self.peers)}",
                    tls=tls, log=self.mosquitto.log_text)
        self.peers.append(peer)
        return peer

    def by_password(self, user: str | None, password: str | None) -> Peer:
        peer = Peer("127.0.0.1", self.mosquitto.port, user, password, client_id=f"pw-{user}-{len(self.peers)}",
                    log=self.mosquitto.log_text)
        self.peers.append(peer)
        return peer

    def close(self):
        for peer in self.peers:
            peer.close()
        self.mosquitto.close()


@pytest.fixture(scope="module")
def secure(tmp_path_factory, test_pki):
    broker = SecureBroker(tmp_path_factory.mktemp("secure-broker"), test_pki)
    yield broker
    broker.close()


def connected(broker: SecureBroker, device_id: str) -> Peer:
    peer = broker.by_cert(device_id)
    assert peer.connect() == 0, broker.mosquitto.log_text()[-2000:]
    return peer


# ---------------------------------------------------------------------------
# What the contract says
# ---------------------------------------------------------------------------


def topic_classes(site) -> list[str]:
    """One concrete topic per topic class and per owner (own / other device, zone, counter)."""
    topics: list[str] = []
    for device in site.devices:
        d = device.id
        topics += [TOPICS.request(d, "issue_ticket"), TOPICS.reply(d), TOPICS.presence(d), TOPICS.health(d),
                   TOPICS.device_config(d)]
    topics += [TOPICS.site_config(), TOPICS.content("pt"), TOPICS.recent_calls()]
    topics += [TOPICS.service_state(s.id) for s in site.services]
    topics += [TOPICS.counter_state(c.id) for c in site.counters]
    for zone in site.zones:
        topics += [TOPICS.zone_state(zone.id), TOPICS.event(zone.id, "called")]
    return topics


def contract_allows(site, device_id: str, topic: str, access: str) -> bool:
    """Does contract.acl.RULES let this device read/write this topic?"""
    device = site.device(device_id)
    for rule in rules_for(device.role):
        if access not in rule.access:
            continue
        pattern = rule.topic.format(base=TOPICS.base, device=device_id, zone=site.device_zone(device),
                                    counter=device.counter or "-")
        if mqtt.topic_matches_sub(pattern, topic):
            return True
    return False


def test_contract_matrix_says_what_the_issue_says():
    """Sanity of the expectations themselves, in the words of the role matrix."""
    site = small_site()
    writes = lambda d, t: contract_allows(site, d, t, "write")  # noqa: E731
    reads = lambda d, t: contract_allows(site, d, t, "read")  # noqa: E731
    # a kiosk only sends its own requests and its own presence/health
    kiosk_writes = [t for t in topic_classes(site) if writes("kiosk-1", t)]
    assert sorted(kiosk_writes) == sorted([TOPICS.request("kiosk-1", "issue_ticket"), TOPICS.presence("kiosk-1"),
                                           TOPICS.health("kiosk-1")])
    # a counter only its own requests; a display reads only its zone
    assert writes("counter-1", TOPICS.request("counter-1", "issue_ticket"))
    assert not writes("counter-1", TOPICS.request("counter-2", "issue_ticket"))
    assert reads("display-ground", TOPICS.event("ground", "called"))
    assert not reads("display-ground", TOPICS.event("first", "called"))
    assert not reads("display-ground", TOPICS.zone_state("first"))
    # the hub owns state and events; nobody else reads requests
    assert all(writes("hub", t) and reads("hub", t) for t in topic_classes(site))
    assert [d.id for d in site.devices if reads(d.id, TOPICS.request("kiosk-1", "issue_ticket"))] == ["hub"]


# ---------------------------------------------------------------------------
# The broker does exactly that
# ---------------------------------------------------------------------------


@pytest.mark.broker
@pytest.mark.parametrize("device_id", [d.id for d in small_site().devices])
def test_publish_matrix(secure, device_id):
    peer = connected(secure, device_id)
    wrong = {}
    for topic in topic_classes(secure.site):
        code = peer.publish(topic)
        allowed = contract_allows(secure.site, device_id, topic, "write")
        if (code in ALLOWED_PUBACK) != allowed or code not in ALLOWED_PUBACK | {NOT_AUTHORIZED}:
            wrong[topic] = (code, "should be allowed" if allowed else "should be refused")
    assert not wrong, wrong
    assert peer.client.is_connected()  # refusals do not drop the device


@pytest.mark.broker
def test_read_matrix(secure):
    """Every device subscribes to the whole site; the hub publishes on every topic class; each device
    must receive exactly what the contract lets it read (and SUBSCRIBE itself is never refused)."""
    site = secure.site
    listeners = {}
    for device in site.devices:
        if device.role == "hub":
            continue
        peer = connected(secure, device.id)
        assert peer.subscribe(f"{TOPICS.base}/#") == 1
        listeners[device.id] = peer
    hub = connected(secure, "hub")
    topics = topic_classes(site)
    for topic in topics:
        assert hub.publish(topic, b"matrix") in ALLOWED_PUBACK
    marker = f"{TOPICS.base}/presence/hub"  # every device may read it: published last, it ends the run
    assert hub.publish(marker, b"end") in ALLOWED_PUBACK
    wrong = {}
    for device_id, peer in listeners.items():
        peer._wait(lambda p=peer: any(m.topic == marker and m.payload == b"end" for m in p.messages),
                   f"end marker at {device_id}")
        received = {m.topic for m in peer.messages if m.payload == b"matrix"}
        expected = {t for t in topics if contract_allows(site, device_id, t, "read")}
        if received != expected:
            wrong[device_id] = {"unexpected": sorted(received - expected), "missing": sorted(expected - received)}
    assert not wrong, wrong


@pytest.mark.broker
def test_certificate_decides_the_identity(secure):
    """A kiosk's certificate with the user name "hub" in CONNECT is still the kiosk."""
    peer = secure.by_cert("kiosk-1", user="hub")
    assert peer.connect() == 0
    assert peer.publish(TOPICS.zone_state("ground")) == NOT_AUTHORIZED
    assert peer.publish(TOPICS.request("kiosk-1", "issue_ticket")) in ALLOWED_PUBACK


@pytest.mark.broker
def test_refused_connections(secure, test_pki):
    # TLS listener: no client certificate, a certificate of another CA, a retired (revoked) device
    assert secure.by_cert("none", tls=ClientTls(str(test_pki.ca.ca_path))).connect() == REFUSED_TLS
    assert secure.by_cert("kiosk-1", tls=test_pki.foreign_client("kiosk-1")).connect() == REFUSED_TLS
    assert secure.by_cert(RETIRED, tls=test_pki.retired_client()).connect() == REFUSED_TLS
    # the devices' own certificates still work
    assert secure.by_cert("kiosk-1").connect() == 0
    # loopback password listener: anonymous, wrong password, a retired device (no password line)
    assert secure.by_password(None, None).connect() in BAD_CREDENTIALS
    assert secure.by_password("hub", "wrong").connect() in BAD_CREDENTIALS
    assert secure.by_password(RETIRED, "anything").connect() in BAD_CREDENTIALS
    assert secure.by_password("hub", secure.credentials.password_for("hub")).connect() == 0
    assert "Warning: ACL" not in secure.mosquitto.log_text()


@pytest.mark.broker
def test_revocation_is_what_refuses_a_retired_certificate(tmp_path, test_pki):
    """The same broker with an older CRL (before the retirement) accepts the retired certificate:
    so it is the CRL, not chance, that refuses it above."""
    from broker_config.pki import SiteCA

    ca = SiteCA.open(tmp_path / "ca", SITE_ID)
    ca.ensure_server(["127.0.0.1"])
    cert, key = ca.ensure_device("kiosk-1")
    keep = ClientTls(str(ca.ca_path), str(tmp_path / "k.crt"), str(tmp_path / "k.key"))
    (tmp_path / "k.crt").write_bytes(cert.read_bytes())
    (tmp_path / "k.key").write_bytes(key.read_bytes())
    site = small_site()
    creds = SiteCredentials()
    creds.ensure(site)
    port = free_port()
    server_cert, server_key = ca.server_paths
    tls = TlsListener(port, str(ca.ca_path), str(server_cert), str(server_key), str(ca.crl_path), host="127.0.0.1")
    files = write_broker_files(site, creds, tmp_path / "broker", tls=tls)
    with Mosquitto(files) as broker:
        before = Peer("127.0.0.1", port, None, client_id="before", tls=keep, log=broker.log_text)
        assert before.connect() == 0
        before.close()
        new_cert, _ = ca.replace_device("kiosk-1")  # a replaced SD card: old certificate revoked
        broker.restart()  # Mosquitto reads the CRL at start
        after = Peer("127.0.0.1", port, None, client_id="after", tls=keep, log=broker.log_text)
        assert after.connect() == REFUSED_TLS
        fresh = Peer("127.0.0.1", port, None, client_id="fresh", tls=ClientTls(str(ca.ca_path), str(new_cert),
                                                                              str(ca.device_paths("kiosk-1")[1])),
                     log=broker.log_text)
        assert fresh.connect() == 0
        for peer in (after, fresh):
            peer.close()


@pytest.mark.broker
def test_device_link_from_a_tls_device_file(secure, test_pki, tmp_path):
    """What a provisioned device runs: its device file names the CA and its certificate, no password."""
    import json

    import tomli_w

    from mqttlink.bootstrap import open_link

    hub = connected(secure, "hub")
    assert hub.subscribe(TOPICS.presence("display-first")) == 1
    tls = test_pki.client("display-first")
    device_file = tmp_path / "device.toml"
    device_file.write_text(tomli_w.dumps({
        "device_id": "display-first", "site_id": SITE_ID,
        "broker": {"host": "127.0.0.1", "port": secure.tls_port, "tls_ca": tls.ca, "tls_cert": tls.cert,
                   "tls_key": tls.key}}))
    _device, link = open_link(str(device_file), "display")
    try:
        link.start()
        assert link.wait_connected(5), link.last_connack
        presence = json.loads(hub.wait_for(TOPICS.presence("display-first")).payload)
        assert presence["device"] == "display-first" and presence["online"] is True
    finally:
        link.close()
