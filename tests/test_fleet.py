"""``onestop-provision fleet`` when a device retains garbage on its own presence or health topic.

Real parts: the broker and hub of the small site (``centre``); the garbage is
published retained by kiosk-1's own login, as a broken or hostile kiosk would
(the ACL lets it write only its own topics); ``read_fleet`` reads it back with
the hub's device file, as the technician's command does.  The other devices
are live links (a display with a health report, a counter that went offline,
the hub), and must show exactly as they did before the garbage.
"""

from __future__ import annotations

import json
import math
import time

import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from contract.topics import Topics
from provisioning.device_reports import is_printable
from provisioning.fleet import format_fleet, read_fleet
from sites import SITE_ID, small_site, small_site_dict

from mqtt_peer import Peer

TOPICS = Topics(SITE_ID)
HOSTILE = "kiosk-1"
DEVICES = {d.id for d in small_site().devices}


class Fleet:
    """The small site with every device but the hostile kiosk in a known state, and the kiosk's login."""

    def __init__(self, centre, tmp_path):
        site_file = tmp_path / "site.toml"
        site_file.write_text(tomli_w.dumps(small_site_dict()))
        self.hub_file = str(centre.write_hub_device_file(site_file))
        centre.link("counter-1").close()  # went offline
        centre.link("display-ground").publish_health(printer="disabled", scanner="ok", audio="speech failed")
        self.kiosk = Peer("127.0.0.1", centre.port, HOSTILE, centre.credentials.password_for(HOSTILE),
                          client_id=f"{HOSTILE}-garbage")
        assert self.kiosk.connect() == 0
        self.kiosk.publish(TOPICS.presence(HOSTILE), b"", retain=True)  # nothing retained yet
        deadline = time.monotonic() + 5
        while "audio" not in (others := self.read()[1])["display-ground"].health:  # its QoS 1 report is in
            assert time.monotonic() < deadline, others
        self.baseline = others

    def retain(self, kind: str, payload: bytes) -> None:
        topic = TOPICS.presence(HOSTILE) if kind == "presence" else TOPICS.health(HOSTILE)
        assert self.kiosk.publish(topic, payload, retain=True) in (0, 16)  # 16: no subscriber now

    def read(self):
        site_id, statuses = read_fleet(self.hub_file, timeout=5)
        by_id = {s.device: s for s in statuses}
        assert site_id == SITE_ID and len(statuses) == len(by_id) and set(by_id) == DEVICES
        return by_id, {d: s for d, s in by_id.items() if d != HOSTILE}

    def check(self):
        """The fleet as read now: every device listed, the others as before, the table printable."""
        by_id, others = self.read()
        assert others == self.baseline
        assert others["display-ground"].problems == ["audio speech failed"]
        assert others["counter-1"].state == "OFFLINE" and others["hub"].state == "online"
        assert others["display-first"].state == "never"
        text = format_fleet(SITE_ID, list(by_id.values()))
        lines = text.splitlines()
        assert len(lines) == len(DEVICES) + 2
        assert all(is_printable(line) and len(line) < 400 for line in lines), text
        return by_id[HOSTILE], next(line for line in lines if line.startswith(f"{HOSTILE} "))

    def close(self):
        self.kiosk.close()


@pytest.fixture
def fleet(centre, tmp_path):
    f = Fleet(centre, tmp_path)
    yield f
    f.close()


GOOD_PRESENCE = {"v": 1, "type": "presence", "device": HOSTILE, "role": "kiosk", "online": True,
                 "since": 1_773_000_000.0}
GOOD_HEALTH = {"v": 1, "type": "health", "device": HOSTILE, "at": 1_773_000_100.0, "printer": "paper_out"}


def dumps(value) -> bytes:
    return json.dumps(value).encode()


BIG = dumps({"x": "y" * 1_000_000})
#: (payload, what the row says) for either topic
GARBAGE = [
    (b"[]", "not a JSON object but a list"),
    (b'"online"', "not a JSON object but a string"),
    (b"42", "not a JSON object but a number"),
    (b"null", "not a JSON object but null"),
    (b"{online: true}", "not JSON"),
    (b"\xff\xfe\x00{", "not UTF-8 text"),
    (b"[" * 8000 + b"]" * 8000, "nested too deeply"),
    (BIG, f"{len(BIG)} bytes, more than the 16384"),
]
PRESENCE_GARBAGE = GARBAGE + [
    (dumps({**GOOD_PRESENCE, "since": 1e308}), "since: not a time"),
    (dumps({**GOOD_PRESENCE, "since": math.nan}), "since: not a time"),
    (dumps({**GOOD_PRESENCE, "since": -math.inf}), "since: not a time"),
    (dumps({**GOOD_PRESENCE, "since": "yesterday"}), "since: input should be a valid number"),
    (dumps({**GOOD_PRESENCE, "online": "false"}), "online: input should be a valid boolean"),
    (dumps({**GOOD_PRESENCE, "online": None}), "online: input should be a valid boolean"),
    (dumps({"v": 1, "type": "presence"}), "online: field required"),
    (dumps({**GOOD_PRESENCE, "role": "\x1b[2J\x1b[31mhub"}), "role: not a name"),
]
HEALTH_GARBAGE = GARBAGE + [
    (dumps({**GOOD_HEALTH, "at": 1e308}), "at: not a time"),
    (dumps({**GOOD_HEALTH, "at": math.nan}), "at: not a time"),
    (dumps({**GOOD_HEALTH, "at": True}), "at: input should be a valid number"),
    (dumps({**GOOD_HEALTH, "printer": "p" * 10_000}), "printer: longer than 500 characters"),
    (dumps({**GOOD_HEALTH, "printer": "ok\x1b[2J"}), "printer: not printable text"),
    (dumps({**GOOD_HEALTH, "printer": "ok\u202eyap"}), "printer: not printable text"),
    (dumps({**GOOD_HEALTH, "Printer\x1b[2J": "ok"}), "a health field whose name is not a name"),
]


@pytest.mark.broker
def test_fleet_shows_a_device_that_retained_garbage_as_unreadable_and_every_other_device(fleet):
    fleet.retain("health", dumps(GOOD_HEALTH))
    for payload, reason in PRESENCE_GARBAGE:
        fleet.retain("presence", payload)
        kiosk, row = fleet.check()
        assert kiosk.state == "unreadable" and kiosk.online is None, payload[:80]
        assert kiosk.problems[0].startswith(f"presence unreadable: {reason}"), (payload[:80], kiosk.problems)
        assert "unreadable" in row and "printer paper_out" in row  # its health is still read
        assert row.count("\n") == 0 and "\x1b" not in row
    fleet.retain("presence", dumps(GOOD_PRESENCE))
    for payload, reason in HEALTH_GARBAGE:
        fleet.retain("health", payload)
        kiosk, row = fleet.check()
        assert kiosk.state == "online" and kiosk.health == {}, payload[:80]
        assert kiosk.problems == [f"health unreadable: {kiosk.unreadable['health']}"]
        assert kiosk.unreadable["health"].startswith(reason), (payload[:80], kiosk.unreadable)
        assert f"health unreadable: {reason}" in row


@pytest.mark.broker
def test_fleet_after_a_device_cleared_or_fixed_its_retained_reports(fleet):
    """An empty retained message deletes the retained one: the device is 'never' seen, not an error;
    a good report after garbage reads as usual, with extra fields of a newer firmware ignored."""
    fleet.retain("presence", b"[]")
    fleet.retain("presence", b"")
    fleet.retain("health", b"")
    kiosk, _row = fleet.check()
    assert kiosk.state == "never" and kiosk.problems == [] and kiosk.last_heard is None
    fleet.retain("presence", dumps({**GOOD_PRESENCE, "firmware": {"version": [2, 0]}}))
    fleet.retain("health", dumps({**GOOD_HEALTH, "content": {"pt": "3/ab"}, "scanner_bad_scans": 4,
                                  "scanner_detail": None}))
    kiosk, row = fleet.check()
    assert (kiosk.state, kiosk.role, kiosk.problems) == ("online", "kiosk", ["printer paper_out"])
    assert kiosk.last_heard == GOOD_HEALTH["at"]


# --------------------------------------------------------------------------- fuzz

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)
_time = st.floats(0, 4.2e9) | st.floats() | st.integers() | st.sampled_from([1e308, -1.0, 0, 4102444800])
_presence = st.fixed_dictionaries({"online": st.booleans()},
                                  optional={"v": _json, "type": _json, "since": _time,
                                            "role": st.sampled_from(["kiosk", "counter"]) | st.text(max_size=45)})
_health = st.dictionaries(st.sampled_from(["at", "printer", "scanner", "tickets", "content", "v"])
                          | st.text(max_size=45), _time | _json | st.text(max_size=600), max_size=6)
PAYLOADS = st.one_of(_json.map(dumps), _presence.map(dumps), _health.map(dumps), st.binary(max_size=60),
                     st.text(max_size=60).map(str.encode),
                     st.fixed_dictionaries({"online": _json}, optional={"since": _json}).map(dumps))


@pytest.mark.broker
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(presence=PAYLOADS, health=PAYLOADS)
def test_fleet_fuzz_any_retained_presence_and_health_of_one_device(fleet, presence, health):
    fleet.retain("presence", presence)
    fleet.retain("health", health)
    kiosk, row = fleet.check()
    assert kiosk.state in ("online", "OFFLINE", "never", "unreadable")
    event(f"presence {kiosk.state}, health {'unreadable' if 'health' in kiosk.unreadable else 'read'}")
    assert (kiosk.state == "unreadable") == ("presence" in kiosk.unreadable)
