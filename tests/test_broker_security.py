"""The production broker config against a real Mosquitto: TLS with client certificates, CRL, the ACL matrix,
the client id bound to the identity.

The broker runs the generated files with the TLS listener (site CA, client
certificate required, its CN as user name, CRL) on a free loopback port,
beside the loopback password listener the hub uses.  Every device of the
small test site connects with its own certificate; the tools' read-only
identities (``monitor.fleet`` with its password, ``doctor.<id>`` with its own
certificate) too.

The matrix: every identity x every topic class x publish/subscribe, expected
results computed from ``contract.acl.RULES`` (filled for the identity, matched
with MQTT wildcard rules).  Publishing is judged by the PUBACK code (135 =
refused); reading by what the identity *receives* on a ``<base>/#``
subscription, because Mosquitto 2.0 grants every SUBSCRIBE and filters on
delivery.

Identity binding: on both listeners, a login that asks for another identity's
client id (a kiosk's password or certificate with client id ``hub``) gets a
session of its own: the other is neither disconnected nor resumed, and the
requests queued in the hub's stored session survive.
"""

from __future__ import annotations

import time

import paho.mqtt.client as mqtt
import pytest

from broker_config import Mosquitto, SiteCredentials, write_broker_files
from broker_config.generate import TlsListener
from broker_config.runner import free_port
from contract.acl import FLEET_ID, GUESTPAGE_ID, OPERATOR_ROLES, SITE_OPERATORS, TOOL_ROLES, doctor_id, rules_for, site_tools, tool_of
from contract.topics import Topics
from mqtt_peer import REFUSED_TLS, Peer
from mqttlink.paho_setup import TlsFiles
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

    def by_cert(self, device_id: str | None, tls: TlsFiles | None = None, user: str | None = None,
                **kwargs) -> Peer:
        tls = tls or self.pki.client(device_id)
        kwargs.setdefault("client_id", f"tls-{device_id}-{len(self.peers)}")
        peer = Peer("127.0.0.1", self.tls_port, user, None, tls=tls, log=self.mosquitto.log_text, **kwargs)
        self.peers.append(peer)
        return peer

    def by_password(self, user: str | None, password: str | None, **kwargs) -> Peer:
        kwargs.setdefault("client_id", f"pw-{user}-{len(self.peers)}")
        peer = Peer("127.0.0.1", self.mosquitto.port, user, password, log=self.mosquitto.log_text, **kwargs)
        self.peers.append(peer)
        return peer

    def login(self, identity: str, listener: str, **kwargs) -> Peer:
        """``identity``'s own credentials on the ``"password"`` or the ``"tls"`` listener."""
        if listener == "tls":
            return self.by_cert(identity, **kwargs)
        return self.by_password(identity, self.credentials.password_for(identity), **kwargs)

    def close_peers(self):
        for peer in self.peers:
            peer.close()
        self.peers.clear()

    def close(self):
        self.close_peers()
        self.mosquitto.close()


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory, test_pki):
    broker = SecureBroker(tmp_path_factory.mktemp("secure-broker"), test_pki)
    yield broker
    broker.close()


@pytest.fixture
def secure(secure_broker):
    """The module's broker; every login of a test is closed after it (an identity has one connection, and
    paho would bring a forgotten one back, taking the next test's login of that identity over)."""
    yield secure_broker
    secure_broker.close_peers()


def connected(broker: SecureBroker, identity: str) -> Peer:
    """Logged in as in production: a monitor or an operator with its password (on the hub), others with
    their certificate."""
    tool = tool_of(identity)
    peer = broker.login(identity, "password" if tool and tool.role in ("monitor", "guestpage") + OPERATOR_ROLES
                        else "tls")
    assert peer.connect() == 0, broker.mosquitto.log_text()[-2000:]
    return peer


def identities(site) -> list[str]:
    """Every broker identity of the site: its devices, then its tools (monitor.fleet, a doctor per device)."""
    devices = [d.id for d in site.devices]
    return devices + [t.id for t in site_tools(devices)]


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
    for operator in SITE_OPERATORS:
        topics += [TOPICS.request(operator, "void_tickets"), TOPICS.reply(operator)]
    topics += [TOPICS.site_config(), TOPICS.content("pt"), TOPICS.recent_calls()]
    topics += [TOPICS.service_state(s.id) for s in site.services]
    topics += [TOPICS.guest_service(s.id) for s in site.services]
    topics += [TOPICS.counter_state(c.id) for c in site.counters]
    for zone in site.zones:
        topics += [TOPICS.zone_state(zone.id), TOPICS.event(zone.id, "called")]
    return topics


def contract_allows(site, identity: str, topic: str, access: str) -> bool:
    """Does contract.acl.RULES let this identity (a device, or a tool) read/write this topic?"""
    device, tool = site.device(identity), tool_of(identity)
    fill = dict(base=TOPICS.base, device=identity, zone=site.device_zone(device), counter=device.counter or "-") \
        if device else dict(base=TOPICS.base, device=tool.device or "-")
    for rule in rules_for(device.role if device else tool.role):
        if access not in rule.access:
            continue
        if mqtt.topic_matches_sub(rule.topic.format(**fill), topic):
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
    assert [i for i in identities(site) if reads(i, TOPICS.request("kiosk-1", "issue_ticket"))] == ["hub"]
    # the tools write nothing (no requests, no presence); fleet reads every presence and health report,
    # a doctor only its own device's slice
    tools = [t.id for t in site_tools([d.id for d in site.devices]) if t.role in TOOL_ROLES]
    assert not [(i, t) for i in tools for t in topic_classes(site) if writes(i, t)]
    # an operator sends requests in its own name and reads the replies to them, nothing else
    for operator in SITE_OPERATORS:
        assert [t for t in topic_classes(site) if writes(operator, t)] == [TOPICS.request(operator, "void_tickets")]
        assert [t for t in topic_classes(site) if reads(operator, t)] == [TOPICS.reply(operator)]
    assert all(reads(FLEET_ID, t) for d in site.devices for t in (TOPICS.presence(d.id), TOPICS.health(d.id)))
    assert not reads(FLEET_ID, TOPICS.reply("kiosk-1")) and not reads(FLEET_ID, TOPICS.device_config("kiosk-1"))
    assert [t for t in topic_classes(site) if reads(doctor_id("kiosk-1"), t)] == [TOPICS.device_config("kiosk-1")]
    # the guest feed (waiting lists by opaque id): the page server alone reads it, besides the hub
    assert [i for i in identities(site) if reads(i, TOPICS.guest_service("reception"))] == ["hub", GUESTPAGE_ID]
    assert [t for t in topic_classes(site) if reads(GUESTPAGE_ID, t)] == [TOPICS.presence("hub")] + [
        TOPICS.guest_service(s.id) for s in site.services]


# ---------------------------------------------------------------------------
# The broker does exactly that
# ---------------------------------------------------------------------------


@pytest.mark.broker
@pytest.mark.parametrize("identity", identities(small_site()))
def test_publish_matrix(secure, identity):
    peer = connected(secure, identity)
    wrong = {}
    for topic in topic_classes(secure.site):
        code = peer.publish(topic)
        allowed = contract_allows(secure.site, identity, topic, "write")
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
    for identity in identities(site):
        if identity == "hub":
            continue
        peer = connected(secure, identity)
        assert peer.subscribe(f"{TOPICS.base}/#") == 1
        listeners[identity] = peer
    hub = connected(secure, "hub")
    topics = topic_classes(site)
    for topic in topics:
        assert hub.publish(topic, b"matrix") in ALLOWED_PUBACK
    # published last, they end the run: every device may read presence/hub, every doctor its device's slice
    markers = [f"{TOPICS.base}/presence/hub"] + [TOPICS.device_config(d.id) for d in site.devices]
    markers += [TOPICS.reply(operator) for operator in SITE_OPERATORS]  # all an operator may read
    markers += [TOPICS.guest_service(s.id) for s in site.services]  # all the guest page server may read
    for marker in markers:
        assert hub.publish(marker, b"end") in ALLOWED_PUBACK
    wrong = {}
    for identity, peer in listeners.items():
        peer._wait(lambda p=peer: any(m.payload == b"end" for m in p.messages), f"end marker at {identity}")
        received = {m.topic for m in peer.messages if m.payload == b"matrix"}
        expected = {t for t in topics if contract_allows(site, identity, t, "read")}
        if received != expected:
            wrong[identity] = {"unexpected": sorted(received - expected), "missing": sorted(expected - received)}
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
    assert secure.by_cert("none", tls=TlsFiles(str(test_pki.ca.ca_path))).connect() == REFUSED_TLS
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
    keep = TlsFiles(str(ca.ca_path), str(tmp_path / "k.crt"), str(tmp_path / "k.key"))
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
        fresh = Peer("127.0.0.1", port, None, client_id="fresh", tls=TlsFiles(str(ca.ca_path), str(new_cert),
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


# ---------------------------------------------------------------------------
# The client id is the identity: nobody takes another's connection or session over
# ---------------------------------------------------------------------------

#: who tries to pass for another (its own credentials, the other's client id), on which listener
INTRUDERS = [("password", "kiosk-1"), ("tls", "kiosk-1"), ("password", FLEET_ID), ("tls", doctor_id("kiosk-1"))]


def still_connected(peer: Peer, settle_s: float = 0.3) -> bool:
    """True when ``peer`` was never disconnected (paho would reconnect it at once: ``closed`` remembers)."""
    time.sleep(settle_s)
    return not peer.closed and peer.client.is_connected()


@pytest.mark.broker
@pytest.mark.parametrize("listener, intruder", INTRUDERS)
def test_a_login_with_the_hubs_client_id_neither_kicks_the_hub_nor_resumes_its_session(secure, listener,
                                                                                       intruder):
    """Issue 10: a kiosk's password or certificate with client id ``hub`` threw the hub off (26 times in
    20 s) and, resuming the hub's stored session, discarded the requests queued for it."""
    persistent = dict(client_id="hub", clean_start=False, session_expiry=3600)
    hub = secure.login("hub", "password", **persistent)  # the hub's own login, as on the hub
    assert hub.connect() == 0
    assert hub.subscribe(TOPICS.all_requests()) == 1
    counter = connected(secure, "counter-1")

    # the intruder's own sessions end with its connections (expiry 0), so any session it finds is the hub's
    attacker = secure.login(intruder, listener, client_id="hub", clean_start=False)
    assert attacker.connect() == 0 and attacker.session_present is False  # not the hub's
    assert still_connected(hub), "the hub was disconnected by another identity's login"
    assert counter.publish(TOPICS.request("counter-1", "call_next"), b"while-attacked") in ALLOWED_PUBACK
    assert hub.wait_for(TOPICS.request("counter-1", "call_next")).payload == b"while-attacked"
    attacker.close()

    hub.close()  # away with its session stored: the broker queues its requests
    queued = TOPICS.request("counter-1", "issue_ticket")
    assert counter.publish(queued, b"queued") in ALLOWED_PUBACK
    for clean_start in (False, True):  # resume it, or throw it away
        again = secure.login(intruder, listener, client_id="hub", clean_start=clean_start)
        assert again.connect() == 0 and again.session_present is False
        time.sleep(0.2)
        assert queued not in again.topics()
        again.close()

    back = secure.login("hub", "password", **persistent)
    assert back.connect() == 0 and back.session_present is True
    assert back.wait_for(queued).payload == b"queued"  # the queued request survived


@pytest.mark.broker
@pytest.mark.parametrize("listener, intruder", INTRUDERS)
def test_a_login_with_a_devices_client_id_does_not_kick_the_device(secure, listener, intruder):
    """The same against any device: counter-1 on the TLS listener with its certificate, as in production."""
    victim = secure.login("counter-1", "tls", client_id="counter-1")
    assert victim.connect() == 0
    assert victim.subscribe(TOPICS.counter_state("c1")) == 1
    attacker = secure.login(intruder, listener, client_id="counter-1")
    assert attacker.connect() == 0
    assert still_connected(victim), "counter-1 was disconnected by another identity's login"
    hub = connected(secure, "hub")
    assert hub.publish(TOPICS.counter_state("c1"), b"still here") in ALLOWED_PUBACK
    assert victim.wait_for(TOPICS.counter_state("c1")).payload == b"still here"
    attacker.close()
