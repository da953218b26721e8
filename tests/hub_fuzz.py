"""Hostile requests for the hub, as Hypothesis strategies, and the run that sends them through the
real broker with the devices' own logins.  Shared by tests/test_hub_fuzz.py (bounded) and
bench/hub_fuzz_bench.py (10,000 and more).

What a stolen kiosk, counter or display login can put on its own request topics: every action
and made-up ones, QoS 0 and 1, valid requests with one field wrong, any JSON, any bytes,
arrays nested thousands deep, lone surrogates, oversized payloads.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import strategies as st
from raw_device import RawDevice

from contract.errors import Reason
from contract.messages import REQUEST_TYPES

DEVICES = ("kiosk-1", "counter-1", "display-ground", "kiosk-info")
ACTIONS = tuple(REQUEST_TYPES)

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                     st.text(max_size=20))
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=8), inner, max_size=4), max_leaves=12)

#: right values for the small test site
_right = {
    "v": st.just(1),
    "request_id": st.from_regex(r"\A[A-Za-z0-9_.:-]{8,64}\Z"),
    "deadline_ms": st.just("FUTURE"),
    "service": st.sampled_from(["reception", "immigration"]),
    "language": st.sampled_from(["pt", "en"]),
    "priority": st.booleans(),
    "ref": st.from_regex(r"\A[a-z2-7]{20}\Z"),
    "code": st.sampled_from(["A001", "A002", "B001", "APT-0000-0000"]),
    "counter": st.sampled_from(["c1", "c2", None]),
    "status": st.sampled_from(["open", "paused", "closed"]),
    "languages": st.one_of(st.none(), st.lists(st.sampled_from(["pt", "en", "uk", "kea", "pt-BR"]), max_size=4)),
    "reason": st.sampled_from(["mediator in today", "staff change", None]),
    "survey_pin": st.one_of(st.none(), st.from_regex(r"\A[0-9]{6}\Z")),
    **{q: st.one_of(st.none(), st.integers(1, 4)) for q in ("hours", "space", "kindness", "mediator")},
}
#: wrong ones: of another type, out of range, almost right
_wrong = {
    "v": st.sampled_from([2, 0, True, 1.0, "1", None]),
    "request_id": st.one_of(st.text(max_size=70), st.just("\ud800abcdefgh"), st.integers()),
    "deadline_ms": st.one_of(st.integers(min_value=-2, max_value=2 ** 70), st.floats()),
    "service": st.sampled_from(["parking", "", "Reception", "a" * 50]),
    "language": st.sampled_from(["uk", "xx", "", "pt-BR", "ar\u202e"]),
    "priority": st.sampled_from([0, 1, "yes", None]),
    "ref": st.text(max_size=40),
    "code": st.sampled_from(["Z99999", "a001", "A" * 9, "APT-IIII-0000"]),
    "counter": st.sampled_from(["c9", 1, ""]),
    "status": st.sampled_from(["gone", 0, None]),
    "languages": st.sampled_from([["pt", "pt"], "pt", [1], ["portuguese"], [""], ["pt"] * 40, {"pt": 1}]),
    "reason": st.sampled_from(["", "x" * 300, 7]),
    "survey_pin": st.sampled_from(["12345", "1234567", "\u0661\u0662\u0663\u0664\u0665\u0666", 123456, ""]),
    **{q: st.sampled_from([0, 5, "1", 1.0, True, -1]) for q in ("hours", "space", "kindness", "mediator")},
}


@st.composite
def near_valid(draw) -> bytes:
    """A request with the fields of some action, most right and some wrong, missing or extra."""
    action = draw(st.sampled_from(ACTIONS))
    names = ["v", "request_id", "deadline_ms"] + sorted(REQUEST_TYPES[action].model_fields.keys() - {
        "v", "request_id", "deadline_ms"})
    body = {}
    for name in names:
        roll = draw(st.integers(0, 19))
        if roll == 0:
            continue  # a missing field
        body[name] = draw(_wrong.get(name, _json) if roll <= 2 else _right.get(name, _json))
    if draw(st.integers(0, 9)) == 0:
        body[draw(st.text(max_size=10))] = draw(_json)  # an unknown field
    if body.get("deadline_ms") == "FUTURE":
        body["deadline_ms"] = int((time.time() + 60) * 1000)
    return json.dumps(body).encode("utf-8", "surrogatepass")


payloads = st.one_of(
    near_valid(), near_valid(), near_valid(),
    _json.map(lambda value: json.dumps(value).encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
    st.integers(100, 5000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(100, 3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.integers(4000, 20000).map(lambda n: b'{"v":1,"pad":"' + b"x" * n + b'"}'),
)



@st.composite
def requests(draw) -> tuple[str, str, bytes, int]:
    """(device, action, payload, qos): mostly a known action from a device whose role may send
    it, so that real tickets are issued and called among the garbage."""
    action = draw(st.one_of(st.sampled_from(ACTIONS), st.sampled_from(ACTIONS), st.sampled_from(ACTIONS),
                            st.from_regex(r"\A[a-z_]{1,30}\Z")))
    model = REQUEST_TYPES.get(action)
    if model is not None and draw(st.booleans()):
        device = "kiosk-1" if "kiosk" in model.roles else "counter-1"
    else:
        device = draw(st.sampled_from(DEVICES))
    return device, action, draw(payloads), draw(st.sampled_from([1] * 9 + [0]))


@dataclass
class FuzzRun:
    """Sends each request and checks its reply: a well-formed answer with a known reason code."""

    centre: object
    devices: dict = field(default_factory=dict)
    sent: int = 0
    reasons: Counter = field(default_factory=Counter)
    #: refs of the tickets replies handed out (a repeated request id hands out the same one again)
    tickets_handed_out: set = field(default_factory=set)
    pending: list = field(default_factory=list)

    def __post_init__(self):
        self.devices = {d: RawDevice(self.centre, d) for d in DEVICES}

    def send(self, device: str, action: str, payload: bytes, qos: int) -> dict:
        """Send one request and check its reply."""
        self.send_nowait(device, action, payload, qos)
        return self.check_pending()[-1]

    def send_nowait(self, device: str, action: str, payload: bytes, qos: int) -> None:
        """Send without waiting (so requests share the hub's batches, as in a flood)."""
        raw = self.devices[device]
        self.pending.append((raw, action, payload, raw.send(action, payload, qos=qos)))

    def check_pending(self, timeout: float = 20) -> list[dict]:
        """Wait for the reply to everything sent and check each."""
        replies = []
        for raw, action, payload, correlation in self.pending:
            try:
                reply = raw.wait_reply(correlation, timeout=timeout)
            except AssertionError:
                raise AssertionError(f"no reply to {raw.device_id} {action} {payload[:200]!r}") from None
            self._check(action, reply)
            replies.append(reply)
        self.pending.clear()
        return replies

    def _check(self, action: str, reply: dict) -> None:
        self.sent += 1
        assert reply["v"] == 1 and reply["type"] == "reply" and isinstance(reply["ok"], bool), reply
        if reply["ok"]:
            self.reasons["ok"] += 1
            ticket = (reply["result"] or {}).get("ticket")
            if action in ("issue_ticket", "check_in") and ticket:
                self.tickets_handed_out.add(ticket["ref"])
        else:
            assert reply["error"]["code"] in set(Reason), reply
            self.reasons[reply["error"]["code"]] += 1

    def close(self) -> None:
        for raw in self.devices.values():
            raw.close()


def tickets_in(database: str) -> int:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")
