"""broker_config against a real Mosquitto: hashes, ACL from the contract, retirement, persistence.

Observed with Mosquitto 2.0.11 (MQTT v5):
- a refused CONNECT (wrong password, unknown user, anonymous) gets CONNACK 135 Not authorized;
- a QoS 1 PUBLISH outside the ACL gets PUBACK 135 and the client stays connected;
- SUBSCRIBE is never refused by the ACL file (SUBACK grants the QoS: mosquitto's
  default ACL check returns success for subscribe, "FIXME - implement ACL
  subscription strings"); "read" is enforced when a message is delivered, so
  these tests check what a device receives, not what SUBACK says.
"""

from __future__ import annotations

import base64
import os
import stat
import time

import pytest

from broker_config import (BrokerError, CredentialsError, Mosquitto, SiteCredentials, find_mosquitto,
                           hash_password, new_password, verify_password, write_broker_files)
from broker_config.runner import LOCAL_FILE
from contract.acl import GUESTPAGE_ID, RULES, SITE_OPERATORS
from contract.topics import Topics
from mqtt_peer import Peer as MqttPeer
from sites import SITE_ID, small_site, small_site_dict

TOPICS = Topics(SITE_ID)
WAIT_S = 5.0
NOT_AUTHORIZED = 135
BAD_CREDENTIALS = {134, 135}  # 2.0.11 answers 135; 134 (bad user name or password) is a refusal too
DELIVERED = {0, 16}  # 16: accepted, but no subscriber matched (yet)


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture
def site():
    return small_site()


@pytest.fixture
def credentials(site):
    creds = SiteCredentials()
    creds.ensure(site)
    return creds


@pytest.fixture
def broker_files(tmp_path, site, credentials):
    return write_broker_files(site, credentials, tmp_path / "broker")


@pytest.fixture
def broker(broker_files):
    with Mosquitto(broker_files) as running:
        yield running


def Peer(broker: Mosquitto, user: str | None, password: str | None = None, **kwargs) -> MqttPeer:
    """A test client on the broker's loopback listener (see tests/mqtt_peer.py)."""
    return MqttPeer(broker.host, broker.port, user, password, log=broker.log_text, **kwargs)


@pytest.fixture
def peers(broker, credentials):
    """``peers("kiosk-1")`` connects a device with its own password; all are closed at the end."""
    made: list[Peer] = []

    def connect(device_id: str, **kwargs) -> Peer:
        peer = Peer(broker, device_id, credentials.password_for(device_id), **kwargs)
        made.append(peer)
        assert peer.connect() == 0, broker.log_text()[-2000:]
        return peer

    yield connect
    for peer in made:
        peer.close()


def refused_with(broker: Mosquitto, user: str | None, password: str | None) -> int:
    peer = Peer(broker, user, password, client_id=f"refused-{user}")
    try:
        return peer.connect()
    finally:
        peer.close()


# ---------------------------------------------------------------------------
# Passwords and credentials (no broker)
# ---------------------------------------------------------------------------


def test_hash_matches_mosquitto_passwd():
    # made by `mosquitto_passwd -b pwfile kiosk-1 secret` (Mosquitto 2.0.11)
    reference = ("$7$101$K7WFgXMtM/ou7WyX$pCZ+tJQz8cwPboZZctFGCHNOovF49xtHxfxjsz9Iz0OtBlplPgVaCksacUq"
                 "kggc3YLqHwx58y5TKzS2sl6IaEA==")
    salt = base64.b64decode("K7WFgXMtM/ou7WyX")
    assert hash_password("secret", salt=salt) == reference
    assert verify_password("secret", reference)
    assert not verify_password("Secret", reference)


def test_hash_shape_and_new_passwords():
    encoded = hash_password("pässwörd")
    empty, kind, iterations, salt, digest = encoded.split("$")
    assert (empty, kind, iterations) == ("", "7", "101")
    assert len(base64.b64decode(salt)) == 12 and len(base64.b64decode(digest)) == 64
    assert encoded != hash_password("pässwörd")  # a fresh salt each time
    assert verify_password("pässwörd", encoded)
    assert hash_password("x", iterations=1000).startswith("$7$1000$")
    passwords = {new_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p) == 24 and p.replace("-", "").replace("_", "").isalnum() for p in passwords)


def test_credentials_ensure_keeps_adds_and_drops(tmp_path, site):
    creds = SiteCredentials()
    changes = creds.ensure(site)
    devices = [d.id for d in site.devices]
    # every device, fleet's and the console's monitors, a doctor per device (the hub's included) and the
    # site's operators
    assert sorted(changes.added) == sorted(devices + ["monitor.fleet", "monitor.console"]
                                           + [f"doctor.{d}" for d in devices]
                                           + ["technician.hub", "supervisor.console", GUESTPAGE_ID])
    assert not changes.removed
    assert site.hub_device.id in creds.passwords
    before = dict(creds.passwords)

    path = tmp_path / "secrets" / "site-secrets.toml"
    creds.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = SiteCredentials.load(path)
    assert loaded.passwords == before

    data = small_site_dict()
    data["devices"] = [d for d in data["devices"] if d["id"] != "display-first"]
    data["devices"].append({"id": "kiosk-2", "role": "kiosk", "zone": "first",
                            "audio": {"languages": ["pt", "en"]}})
    changes = loaded.ensure(small_site(data))
    assert changes.added == ["kiosk-2", "doctor.kiosk-2"]
    assert changes.removed == ["display-first", "doctor.display-first"]  # a retired device's doctor goes too
    assert "display-first" not in loaded.passwords
    assert all(loaded.password_for(d) == before[d] for d in before if not d.endswith("display-first"))
    with pytest.raises(KeyError, match="display-first"):
        loaded.password_for("display-first")
    # more monitors (the demo's observer), and back
    assert loaded.ensure(small_site(data), ("fleet", "observer")).added == ["monitor.observer"]
    assert loaded.ensure(small_site(data)).removed == ["monitor.observer"]


def test_credentials_file_errors(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(CredentialsError, match="not found"):
        SiteCredentials.load(missing)
    assert SiteCredentials.load(missing, missing_ok=True).passwords == {}
    bad = tmp_path / "bad.toml"
    bad.write_text("[passwords]\nkiosk-1 = 12\n")
    with pytest.raises(CredentialsError, match="kiosk-1"):
        SiteCredentials.load(bad)
    bad.write_text("[passwords\n")
    with pytest.raises(CredentialsError, match="cannot read"):
        SiteCredentials.load(bad)
    bad.write_text('[passwords]\n"janitor.kiosk-1" = "x"\n')  # neither a device nor a tool
    with pytest.raises(CredentialsError, match="janitor.kiosk-1"):
        SiteCredentials.load(bad)
    good = tmp_path / "good.toml"
    good.write_text('[passwords]\n"doctor.kiosk-1" = "x"\n"monitor.fleet" = "y"\nhub = "z"\n')
    assert SiteCredentials.load(good).passwords == {"doctor.kiosk-1": "x", "monitor.fleet": "y", "hub": "z"}


# ---------------------------------------------------------------------------
# Generated files (no broker)
# ---------------------------------------------------------------------------


def test_generated_files(tmp_path, site, credentials):
    out = tmp_path / "broker"
    files = write_broker_files(site, credentials, out)
    conf = files.conf.read_text()
    options = [line.split(None, 1) for line in conf.splitlines() if line and not line.startswith("#")]
    settings = dict(options)
    assert "listener" not in settings and "port" not in settings
    assert settings["per_listener_settings"] == "false"
    assert settings["allow_anonymous"] == "false"
    assert settings["password_file"] == str(out.resolve() / "passwd")
    assert settings["acl_file"] == str(out.resolve() / "acl")
    assert settings["persistence_location"] == f"{out.resolve() / 'data'}/"
    assert settings["include_dir"] == str(out.resolve() / "conf.d")
    assert (settings["autosave_interval"], settings["autosave_on_changes"]) == ("1", "false")
    assert settings["set_tcp_nodelay"] == "true"
    assert files.data_dir.is_dir() and files.conf_d.is_dir() and not any(files.conf_d.iterdir())
    assert files.listener is None

    passwd = dict(line.split(":", 1) for line in files.passwd.read_text().splitlines())
    devices = [d.id for d in site.devices]
    assert set(passwd) == {*devices, "monitor.fleet", "monitor.console", *(f"doctor.{d}" for d in devices),
                           *SITE_OPERATORS,
                           GUESTPAGE_ID}
    assert all(verify_password(credentials.password_for(d), h) for d, h in passwd.items())

    acl = [line for line in files.acl.read_text().splitlines() if line and not line.startswith("#")]
    # no pattern line: it would apply to every user, the read-only tools too; each user has its own block
    assert not [line for line in acl if line.startswith("pattern ")]
    assert [line.split()[1] for line in acl if line.startswith("user ")] == \
        [site.hub_device.id] + [d for d in devices if d != "hub"] + sorted(set(passwd) - set(devices))
    block = acl[acl.index("user counter-2") + 1:acl.index("user display-ground")]
    assert block == [f"topic {rule.access} " + rule.topic.format(base=TOPICS.base, device="counter-2", zone="first",
                                                                counter="c2")
                     for rule in RULES if rule.who in ("every device", "counter")]
    assert f"topic write {TOPICS.base}/req/counter-2/+" in block
    assert acl[acl.index("user hub") + 1] == f"topic readwrite {TOPICS.base}/#"
    fleet = acl[acl.index("user monitor.fleet") + 1:]
    fleet = fleet[:next((i for i, line in enumerate(fleet) if line.startswith("user ")), len(fleet))]
    assert fleet and all(line.startswith("topic read ") for line in fleet)
    assert acl[acl.index("user doctor.kiosk-1") + 1:acl.index("user doctor.kiosk-1") + 2] == \
        [f"topic read {TOPICS.device_config('kiosk-1')}"]
    assert not [line for line in acl if "{" in line]  # every template filled (the legend comments keep theirs)

    with_listener = write_broker_files(site, credentials, out, listener=("0.0.0.0", 1883))
    listener = [line for line in with_listener.listener.read_text().splitlines() if not line.startswith("#")]
    assert listener == ["listener 1883 0.0.0.0", "use_username_as_clientid true"]
    write_broker_files(site, credentials, out)
    assert not (files.conf_d / "listener.conf").exists()


def test_generated_files_for_another_install_dir(tmp_path, site, credentials):
    files = write_broker_files(site, credentials, tmp_path / "bundle", install_dir="/etc/mosquitto/onestop",
                               data_dir="/var/lib/mosquitto")
    conf = files.conf.read_text()
    assert "password_file /etc/mosquitto/onestop/passwd" in conf
    assert "persistence_location /var/lib/mosquitto/" in conf
    assert "include_dir /etc/mosquitto/onestop/conf.d" in conf


def test_missing_password_is_a_clear_error(tmp_path, site):
    with pytest.raises(ValueError, match="ensure"):
        write_broker_files(site, SiteCredentials({"hub": "x"}), tmp_path)


# ---------------------------------------------------------------------------
# The real broker
# ---------------------------------------------------------------------------


def test_mosquitto_is_installed():
    assert os.access(find_mosquitto(), os.X_OK)


@pytest.mark.broker
def test_devices_connect_with_their_passwords_only(broker, site, credentials, peers):
    assert "Warning: ACL" not in broker.log_text()
    for device in site.devices:
        peers(device.id)
    assert refused_with(broker, "kiosk-1", "wrong") in BAD_CREDENTIALS
    assert refused_with(broker, "kiosk-1", credentials.password_for("display-ground")) in BAD_CREDENTIALS
    assert refused_with(broker, "stranger", "whatever") in BAD_CREDENTIALS
    assert refused_with(broker, None, None) in BAD_CREDENTIALS


@pytest.mark.broker
def test_requests_only_in_own_name(peers):
    hub = peers("hub")
    assert hub.subscribe(TOPICS.all_requests()) == 1  # granted QoS 1
    kiosk = peers("kiosk-1")

    assert kiosk.publish(TOPICS.request("kiosk-1", "take-ticket")) == 0
    hub.wait_for(TOPICS.request("kiosk-1", "take-ticket"))

    assert kiosk.publish(TOPICS.request("counter-1", "call-next")) == NOT_AUTHORIZED
    assert kiosk.publish(TOPICS.zone_state("ground"), retain=True) == NOT_AUTHORIZED
    assert kiosk.publish(TOPICS.reply("counter-1")) == NOT_AUTHORIZED
    # the client stays connected after a refusal; the next allowed request still goes through
    assert kiosk.client.is_connected()
    assert kiosk.publish(TOPICS.request("kiosk-1", "marker")) == 0
    hub.wait_for(TOPICS.request("kiosk-1", "marker"))
    assert TOPICS.request("counter-1", "call-next") not in hub.topics()


@pytest.mark.broker
def test_display_reads_only_its_zone(peers):
    hub = peers("hub")
    assert hub.publish(TOPICS.zone_state("first"), b'{"zone": "first"}', retain=True) in DELIVERED
    assert hub.publish(TOPICS.zone_state("ground"), b'{"zone": "ground"}', retain=True) in DELIVERED

    display = peers("display-ground")
    # Mosquitto 2.0.11 grants every SUBSCRIBE; "read" is checked on delivery
    for topic in (TOPICS.zone_events("ground"), TOPICS.zone_events("first"), TOPICS.all_requests(),
                  f"{TOPICS.base}/state/zone/+"):
        assert display.subscribe(topic) == 1
    assert hub.subscribe(TOPICS.all_requests()) == 1

    kiosk = peers("kiosk-1")
    assert kiosk.publish(TOPICS.request("kiosk-1", "take-ticket")) == 0
    assert hub.publish(TOPICS.event("first", "called")) in DELIVERED
    assert hub.publish(TOPICS.event("ground", "called")) in DELIVERED  # published last: the marker
    hub.wait_for(TOPICS.request("kiosk-1", "take-ticket"))
    display.wait_for(TOPICS.event("ground", "called"))
    assert sorted(display.topics()) == sorted([TOPICS.zone_state("ground"), TOPICS.event("ground", "called")])
    assert display.wait_for(TOPICS.zone_state("ground")).retain


@pytest.mark.broker
def test_every_device_reads_site_config_and_own_reply(peers):
    hub = peers("hub")
    assert hub.publish(TOPICS.site_config(), b"{}", retain=True) in DELIVERED
    counter = peers("counter-1")
    for topic in (TOPICS.site_config(), TOPICS.reply("counter-1"), TOPICS.reply("counter-2"),
                  TOPICS.counter_state("c1"), TOPICS.counter_state("c2")):
        counter.subscribe(topic)
    for topic in (TOPICS.reply("counter-2"), TOPICS.counter_state("c2"), TOPICS.counter_state("c1"),
                  TOPICS.reply("counter-1")):
        assert hub.publish(topic) in DELIVERED
    counter.wait_for(TOPICS.reply("counter-1"))
    assert sorted(counter.topics()) == sorted([TOPICS.site_config(), TOPICS.counter_state("c1"),
                                               TOPICS.reply("counter-1")])


@pytest.mark.broker
def test_retired_device_is_refused(tmp_path, broker, broker_files, credentials, peers):
    secrets = tmp_path / "secrets.toml"
    credentials.save(secrets)
    old_password = credentials.password_for("display-first")
    doctor_password = credentials.password_for("doctor.display-first")
    peers("display-first").close()  # it worked until now
    peers("doctor.display-first").close()

    data = small_site_dict()
    data["devices"] = [d for d in data["devices"] if d["id"] != "display-first"]
    smaller = small_site(data)
    creds = SiteCredentials.load(secrets)
    assert creds.ensure(smaller).removed == ["display-first", "doctor.display-first"]
    creds.save(secrets)
    write_broker_files(smaller, creds, broker_files.out_dir)
    broker.restart()

    assert refused_with(broker, "display-first", old_password) in BAD_CREDENTIALS
    assert refused_with(broker, "doctor.display-first", doctor_password) in BAD_CREDENTIALS
    assert "user display-first" not in broker_files.acl.read_text()
    assert "user doctor.display-first" not in broker_files.acl.read_text()
    peers("display-ground")  # everyone else keeps working with the same password


@pytest.mark.broker
def test_queued_qos1_request_survives_a_broker_kill(broker, peers, credentials):
    hub = peers("hub", client_id="hub", clean_start=False, session_expiry=3600)
    assert hub.subscribe(TOPICS.all_requests()) == 1
    hub.close()  # offline with a persistent session: the broker queues its requests

    kiosk = peers("kiosk-1")
    published_ns = time.time_ns()
    assert kiosk.publish(TOPICS.request("kiosk-1", "take-ticket"), b'{"request_id": "r1"}') == 0
    db = broker.data_dir / "mosquitto.db"
    deadline = time.monotonic() + WAIT_S
    while not (db.exists() and db.stat().st_mtime_ns > published_ns):  # the next autosave
        assert time.monotonic() < deadline, "no autosave within 5 s"
        time.sleep(0.01)

    kiosk.close()  # (a client left connected would sit in paho's 1 s reconnect wait at teardown)
    broker.kill()
    broker.start()
    hub = peers("hub", client_id="hub", clean_start=False, session_expiry=3600)
    assert hub.session_present
    assert hub.wait_for(TOPICS.request("kiosk-1", "take-ticket")).payload == b'{"request_id": "r1"}'


@pytest.mark.broker
def test_runner_lifecycle(broker_files):
    runner = Mosquitto(broker_files)
    with runner:
        port = runner.port
        assert runner.running and (broker_files.conf_d / LOCAL_FILE).exists()
        assert f"listener {port} 127.0.0.1" in (broker_files.conf_d / LOCAL_FILE).read_text()
        first_pid = runner.pid
        runner.restart()
        assert runner.port == port and runner.pid != first_pid and runner.running
        runner.kill()
        assert not runner.running
        runner.start()
        assert runner.port == port
    assert not runner.running and not (broker_files.conf_d / LOCAL_FILE).exists()
    runner.close()  # idempotent
    assert runner.log_text().count(f"--- starting {broker_files.conf.resolve()}") == 3


@pytest.mark.broker
def test_runner_reports_a_broken_config(broker_files):
    (broker_files.conf_d / "broken.conf").write_text("no_such_option 1\n")
    runner = Mosquitto(broker_files)
    with pytest.raises(BrokerError, match="no_such_option"):
        runner.start()
    assert not runner.running
    runner.close()


@pytest.mark.broker
def test_runner_refuses_a_second_persistence_location(broker_files, tmp_path):
    with pytest.raises(BrokerError, match="persistence_location"):
        Mosquitto(broker_files, data_dir=tmp_path / "elsewhere")
    Mosquitto(broker_files, data_dir=broker_files.data_dir).close()  # the same place is fine
