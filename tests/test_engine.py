"""The hub's Engine with a real SQLite store on disk and a fake clock, no broker.

Each refused request must come back as an error reply with the right reason
code and change nothing; accepted ones must survive a restart of the hub.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from contract.errors import Reason
from contract.messages import MAX_REQUEST_BYTES
from contract.qr import TicketQR
from hub.clock import FakeClock
from hub.engine import Engine, Incoming
from hub.queues import QueueModel
from hub.store import Store
from sites import SITE_ID, small_site, small_site_dict

LISBON = ZoneInfo("Europe/Lisbon")
TABLES = ("tickets", "legs", "sequences", "counters", "events")
_ids = itertools.count(1)


def lisbon(*args) -> float:
    return datetime(*args, tzinfo=LISBON).timestamp()


def payload(clock: FakeClock, **fields) -> bytes:
    """A request payload: v, a fresh request_id and a deadline a minute ahead, plus ``fields``."""
    data = {"v": 1, "request_id": f"req-{next(_ids):06d}", "deadline_ms": int(clock.now() * 1000) + 60_000}
    data.update(fields)
    return json.dumps(data).encode()


def model_state(model: QueueModel) -> dict:
    return {
        "service_day": model.service_day,
        "tickets": {i: dataclasses.asdict(t) for i, t in model.tickets.items()},
        "waiting": {s: [(key, t.id) for key, t in q] for s, q in model.waiting.items()},
        "counters": {c: dataclasses.asdict(s) for c, s in model.counters.items()},
        "sequences": dict(model.sequences),
        "open_legs": {i: dataclasses.asdict(g) for i, g in model.open_legs.items()},
        "next_ticket_id": model.next_ticket_id,
    }


class Hub:
    """An Engine on a database file, with helpers to send requests as a device."""

    def __init__(self, path, site=None, clock=None):
        self.path = path
        self.site = site or small_site()
        self.clock = clock or FakeClock()
        self.store = Store(path)
        self.engine = Engine(self.site, self.store, self.clock)

    def restart(self) -> "Hub":
        self.store.close()
        return Hub(self.path, self.site, self.clock)

    def raw(self, device: str, action: str, body: bytes) -> tuple[dict, list]:
        out = self.engine.process([Incoming(device, action, body)])
        replies = [o for o in out if o.kind == "reply"]
        assert len(replies) == 1 and replies[0].topic.endswith(f"/reply/{device}")
        return json.loads(replies[0].payload), out

    def send(self, device: str, action: str, **fields) -> dict:
        reply, _ = self.raw(device, action, payload(self.clock, **fields))
        return reply

    def ok(self, device: str, action: str, **fields) -> dict:
        reply = self.send(device, action, **fields)
        assert reply["ok"], reply
        return reply["result"]

    def issue(self, service: str = "reception", **fields) -> dict:
        fields.setdefault("language", "pt")
        return self.ok("kiosk-1", "issue_ticket", service=service, **fields)["ticket"]

    def rows(self) -> dict:
        return {t: self.store.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}

    def db_dump(self) -> dict:
        return {t: self.store.db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}

    def waiting_codes(self) -> dict[str, list[str]]:
        return {s: [t.code for _, t in q] for s, q in self.engine.model.waiting.items()}


@pytest.fixture
def hub(tmp_path):
    h = Hub(tmp_path / "hub.db")
    yield h
    h.store.close()


@pytest.fixture
def busy(hub):
    """Some state to protect: A001 called at c1, A002, A003 and B001 waiting."""
    for _ in range(3):
        hub.issue("reception")
    hub.issue("immigration")
    assert hub.ok("counter-1", "call_next")["ticket"]["code"] == "A001"
    return hub


# --------------------------------------------------------------------------- bad input
def _too_big(clock):
    return payload(clock, service="reception", language="pt", padding="x" * MAX_REQUEST_BYTES)


BAD_REQUESTS = [
    # (case, device, action, payload builder, reason, request id echoed?)
    ("malformed json", "kiosk-1", "issue_ticket", lambda c: b'{"v": 1, "request_id": ', Reason.MALFORMED_JSON, False),
    ("json but not an object", "kiosk-1", "issue_ticket", lambda c: b'["v", 1]', Reason.MALFORMED_JSON, False),
    ("schema version 2", "kiosk-1", "issue_ticket",
     lambda c: payload(c, v=2, service="reception", language="pt"), Reason.UNSUPPORTED_VERSION, True),
    ("missing language", "kiosk-1", "issue_ticket",
     lambda c: payload(c, service="reception"), Reason.INVALID_FIELDS, True),
    ("extra field", "kiosk-1", "issue_ticket",
     lambda c: payload(c, service="reception", language="pt", name="Maria Silva"), Reason.INVALID_FIELDS, True),
    ("priority as a string", "kiosk-1", "issue_ticket",
     lambda c: payload(c, service="reception", language="pt", priority="yes"), Reason.INVALID_FIELDS, True),
    ("priority as 1", "kiosk-1", "issue_ticket",
     lambda c: payload(c, service="reception", language="pt", priority=1), Reason.INVALID_FIELDS, True),
    ("oversized", "kiosk-1", "issue_ticket", _too_big, Reason.PAYLOAD_TOO_LARGE, False),
    ("unknown action", "kiosk-1", "make_coffee", lambda c: payload(c), Reason.UNKNOWN_ACTION, True),
    ("unknown service", "kiosk-1", "issue_ticket",
     lambda c: payload(c, service="parking", language="pt"), Reason.UNKNOWN_SERVICE, True),
    ("language not of the site", "kiosk-1", "issue_ticket",
     lambda c: payload(c, service="reception", language="fr"), Reason.INVALID_FIELDS, True),
    ("unknown ticket", "counter-1", "call_ticket", lambda c: payload(c, code="Z999"), Reason.UNKNOWN_TICKET, True),
    ("ticket of another counter's service", "counter-1", "call_ticket",
     lambda c: payload(c, code="B001"), Reason.SERVICE_NOT_AT_COUNTER, True),
    ("finish with nothing called", "counter-2", "finish", lambda c: payload(c), Reason.ILLEGAL_TRANSITION, True),
    ("call a ticket already called", "counter-1", "call_ticket",
     lambda c: payload(c, code="A001"), Reason.ILLEGAL_TRANSITION, True),
    ("no-show before a recall", "counter-1", "no_show", lambda c: payload(c), Reason.NO_SHOW_NEEDS_RECALL, True),
    ("transfer to a non-target", "counter-1", "transfer",
     lambda c: payload(c, service="reception"), Reason.NOT_A_TRANSFER_TARGET, True),
    ("expired", "kiosk-1", "issue_ticket",
     lambda c: payload(c, service="reception", language="pt", deadline_ms=int(c.now() * 1000) - 1),
     Reason.EXPIRED, True),
    ("kiosk calls next", "kiosk-1", "call_next", lambda c: payload(c), Reason.FORBIDDEN, True),
    ("display issues a ticket", "display-ground", "issue_ticket",
     lambda c: payload(c, service="reception", language="pt"), Reason.FORBIDDEN, True),
    ("counter acts for another counter", "counter-1", "call_next",
     lambda c: payload(c, counter="c2"), Reason.FORBIDDEN, True),
    ("schema version true", "kiosk-1", "issue_ticket",
     lambda c: payload(c, v=True, service="reception", language="pt"), Reason.UNSUPPORTED_VERSION, True),
    ("schema version 1.0", "kiosk-1", "issue_ticket",
     lambda c: payload(c, v=1.0, service="reception", language="pt"), Reason.UNSUPPORTED_VERSION, True),
    ("nested 2,000 deep", "kiosk-1", "issue_ticket", lambda c: b"[" * 2000 + b"]" * 2000,
     Reason.MALFORMED_JSON, False),
    ("request id with a lone surrogate", "kiosk-1", "issue_ticket",
     lambda c: payload(c, service="reception", language="pt").replace(b'"req-', b'"\\ud800-'),
     Reason.INVALID_FIELDS, False),
    ("extra field named with a lone surrogate", "kiosk-1", "issue_ticket",
     lambda c: payload(c, service="reception", language="pt").replace(b'"service"', b'"\\udfff", "service"', 1)
     .replace(b'"\\udfff", ', b'"\\udfff": 1, '), Reason.INVALID_FIELDS, True),
]


@pytest.mark.parametrize("case, device, action, build, reason, echoes_id", BAD_REQUESTS,
                         ids=[b[0] for b in BAD_REQUESTS])
def test_bad_request_gets_the_right_reason_and_changes_nothing(busy, case, device, action, build, reason,
                                                               echoes_id):
    hub = busy
    body = build(hub.clock)
    if reason == Reason.PAYLOAD_TOO_LARGE:
        assert len(body) > MAX_REQUEST_BYTES
    db_before, model_before, rev_before = hub.db_dump(), model_state(hub.engine.model), hub.engine.rev
    reply, out = hub.raw(device, action, body)
    assert reply["ok"] is False
    assert reply["error"]["code"] == str(reason), reply["error"]
    assert reply["error"]["message"]
    assert reply["action"] == action and reply["rev"] == rev_before
    if echoes_id:
        assert reply["request_id"] == json.loads(body)["request_id"]
    else:
        assert reply["request_id"] is None
    assert [o.kind for o in out] == ["reply"], "a refused request published events or state"
    assert hub.db_dump() == db_before
    assert model_state(hub.engine.model) == model_before
    assert hub.engine.rev == rev_before
    # and the hub still works afterwards
    assert hub.issue("reception")["code"] == "A004"


def test_a_request_from_a_device_the_site_file_does_not_know_is_dropped_and_counted(busy):
    hub = busy
    db_before = hub.db_dump()
    out = hub.engine.process([Incoming("kiosk-9", "issue_ticket", payload(hub.clock, service="reception",
                                                                          language="pt"))])
    assert out == [], "nothing is published for a device id nobody vouches for"
    assert hub.engine.dropped["unknown_device"] == 1
    assert hub.db_dump() == db_before


def test_a_kiosk_without_the_tickets_mode_may_not_issue_and_one_without_check_in_may_not_check_in(tmp_path):
    data = small_site_dict()
    data["devices"].append({"id": "kiosk-info", "role": "kiosk", "zone": "ground", "kiosk_modes": ["information"]})
    hub = Hub(tmp_path / "hub.sqlite3", small_site(data))
    reply = hub.send("kiosk-info", "issue_ticket", service="reception", language="pt")
    assert reply["error"]["code"] == "forbidden" and "tickets" in reply["error"]["message"]
    reply = hub.send("kiosk-info", "check_in", code="APT-0000-0000", language="pt")
    assert reply["error"]["code"] == "forbidden" and "check_in" in reply["error"]["message"]
    assert hub.rows()["tickets"] == 0


def test_a_request_that_breaks_the_engine_is_refused_alone_and_its_batch_is_answered(hub, monkeypatch):
    clock = hub.clock
    real_issue = QueueModel.issue

    def issue(self, **kwargs):
        if kwargs["language"] == "en":
            raise RuntimeError("a bug this request happens to trigger")
        return real_issue(self, **kwargs)

    monkeypatch.setattr(QueueModel, "issue", issue)
    batch = [Incoming("kiosk-1", "issue_ticket", payload(clock, service="reception", language=lang))
             for lang in ("pt", "en", "pt")]
    replies = [json.loads(o.payload) for o in hub.engine.process(batch) if o.kind == "reply"]
    assert [r["ok"] for r in replies] == [True, False, True]
    assert replies[1]["error"]["code"] == "internal"
    assert [r["result"]["ticket"]["code"] for r in replies if r["ok"]] == ["A001", "A002"]
    assert hub.rows()["tickets"] == 2 and hub.engine.poisoned["RuntimeError"] == 1


def test_a_refused_request_in_a_batch_does_not_undo_the_others(hub):
    clock = hub.clock
    out = hub.engine.process([
        Incoming("kiosk-1", "issue_ticket", payload(clock, service="reception", language="pt")),
        Incoming("kiosk-1", "issue_ticket", payload(clock, service="parking", language="pt")),
        Incoming("kiosk-1", "issue_ticket", payload(clock, service="reception", language="pt")),
    ])
    replies = [json.loads(o.payload) for o in out if o.kind == "reply"]
    assert [r["ok"] for r in replies] == [True, False, True]
    assert [r["result"]["ticket"]["code"] for r in replies if r["ok"]] == ["A001", "A002"]
    assert hub.rows()["tickets"] == 2


def test_transfer_to_the_end_in_the_same_batch_as_a_new_ticket_queues_behind_it(tmp_path):
    data = small_site_dict()
    data["policies"] = {"transfer_position": "end"}
    hub = Hub(tmp_path / "hub.db", small_site(data))
    try:
        hub.issue("reception")
        hub.ok("counter-1", "call_next")
        hub.clock.advance(60)
        out = hub.engine.process([
            Incoming("kiosk-1", "issue_ticket", payload(hub.clock, service="immigration", language="pt")),
            Incoming("counter-1", "transfer", payload(hub.clock, service="immigration")),
        ])
        assert all(json.loads(o.payload)["ok"] for o in out if o.kind == "reply")
        assert hub.waiting_codes()["immigration"] == ["B001", "A001"]
        assert hub.ok("counter-2", "call_next")["ticket"]["code"] == "B001"
    finally:
        hub.store.close()


# --------------------------------------------------------------------------- idempotency
def test_replayed_request_id_gets_the_same_reply_bytes_and_one_ticket(hub):
    body = payload(hub.clock, service="reception", language="pt")
    first = next(o for o in hub.engine.process([Incoming("kiosk-1", "issue_ticket", body)]) if o.kind == "reply")
    hub.clock.advance(5)
    again = hub.engine.process([Incoming("kiosk-1", "issue_ticket", body)])
    assert [o.kind for o in again] == ["reply"], "a replay must not publish events again"
    assert again[0].payload == first.payload
    assert hub.rows()["tickets"] == 1
    assert hub.issue()["code"] == "A002"


def test_replay_within_one_batch_and_after_the_deadline(hub):
    body = payload(hub.clock, service="reception", language="pt")
    out = hub.engine.process([Incoming("kiosk-1", "issue_ticket", body)] * 2)
    replies = [o.payload for o in out if o.kind == "reply"]
    assert replies[0] == replies[1]
    hub.clock.advance(3600)  # long past the deadline: still the first answer, not "expired"
    late, _ = hub.raw("kiosk-1", "issue_ticket", body)
    assert json.dumps(late, separators=(",", ":"), ensure_ascii=False).encode() == replies[0]
    assert late["ok"] and late["result"]["ticket"]["code"] == "A001"
    assert hub.rows()["tickets"] == 1


def test_replayed_call_next_does_not_call_twice(busy):
    hub = busy
    body = payload(hub.clock)
    first, _ = hub.raw("counter-1", "call_next", body)
    second, _ = hub.raw("counter-1", "call_next", body)
    assert first == second and first["result"]["ticket"]["code"] == "A002"
    assert hub.waiting_codes()["reception"] == ["A003"]


def test_request_ids_are_per_device(busy):
    hub = busy
    rid = "same-id-0001"
    a = hub.send("counter-1", "call_next", request_id=rid)
    b = hub.send("counter-2", "call_next", request_id=rid)
    assert a["result"]["ticket"]["code"] == "A002"
    assert b["result"]["ticket"]["code"] == "B001"


# --------------------------------------------------------------------------- persistence
def test_state_survives_a_restart_and_numbering_and_rev_continue(hub):
    for _ in range(3):
        hub.issue("reception")
    hub.issue("immigration")
    assert hub.ok("counter-1", "call_next")["ticket"]["code"] == "A001"
    moved = hub.ok("counter-1", "transfer", service="immigration")["ticket"]
    assert moved["code"] == "A001" and moved["service"] == "immigration"
    assert hub.ok("counter-1", "call_next")["ticket"]["code"] == "A002"
    assert hub.ok("counter-1", "recall")["ticket"]["recalls"] == 1
    waiting = hub.waiting_codes()
    assert waiting == {"reception": ["A003"], "immigration": ["A001", "B001"]}
    rev = hub.engine.rev
    cycle = hub.engine.model.counters["c1"].cycle_pos

    hub2 = hub.restart()
    try:
        assert hub2.waiting_codes() == waiting
        current = hub2.engine.model.current_ticket("c1")
        assert current.code == "A002" and current.recalls == 1
        assert hub2.engine.model.counters["c1"].status == "open"
        assert hub2.engine.model.counters["c1"].cycle_pos == cycle
        assert hub2.engine.rev == rev
        reply = hub2.send("kiosk-1", "issue_ticket", service="reception", language="pt")
        assert reply["result"]["ticket"]["code"] == "A004"
        assert reply["rev"] == rev + 1
        assert hub2.issue("immigration")["code"] == "B002"
        # the recalled ticket can now be marked a no-show, the transferred one is called by its code
        assert hub2.ok("counter-1", "no_show")["ticket"]["status"] == "no_show"
        assert hub2.ok("counter-2", "call_next")["ticket"]["code"] == "A001"
    finally:
        hub2.store.close()


def test_a_replay_after_a_restart_still_gets_the_first_reply(hub):
    body = payload(hub.clock, service="reception", language="pt")
    first, _ = hub.raw("kiosk-1", "issue_ticket", body)
    hub2 = hub.restart()
    try:
        again, _ = hub2.raw("kiosk-1", "issue_ticket", body)
        assert again == first
        assert hub2.rows()["tickets"] == 1
    finally:
        hub2.store.close()


# --------------------------------------------------------------------------- group commit
def test_one_batch_of_fifty_issues_gives_fifty_distinct_codes(hub):
    batch = [Incoming("kiosk-1", "issue_ticket", payload(hub.clock, service="reception", language="pt"))
             for _ in range(50)]
    out = hub.engine.process(batch)
    replies = [json.loads(o.payload) for o in out if o.kind == "reply"]
    assert len(replies) == 50 and all(r["ok"] for r in replies)
    codes = [r["result"]["ticket"]["code"] for r in replies]
    assert codes == [f"A{n:03d}" for n in range(1, 51)]
    assert [r["request_id"] for r in replies] == [json.loads(i.payload)["request_id"] for i in batch]
    assert hub.rows()["tickets"] == 50
    assert not hub.store.db.in_transaction
    # committed: another connection to the file sees all fifty
    other = Store(hub.path)
    try:
        assert other.db.execute("SELECT COUNT(DISTINCT code) FROM tickets").fetchone()[0] == 50
    finally:
        other.close()
    state = [json.loads(o.payload) for o in out if o.topic.endswith("/state/service/reception")]
    assert len(state) == 1 and state[0]["waiting"] == 50


# --------------------------------------------------------------------------- what a visitor sees
def test_issue_reply_has_people_ahead_wait_estimate_and_a_valid_qr(hub):
    hub.issue()
    hub.issue()
    reply = hub.send("kiosk-1", "issue_ticket", service="reception", language="en", priority=True)
    ticket = reply["result"]["ticket"]
    assert ticket["code"] == "A003" and ticket["status"] == "waiting" and ticket["priority"] is True
    assert ticket["language"] == "en"
    assert ticket["people_ahead"] == 2
    # a priority ticket at the 2:1 ratio: 1.5 calls on average before its own, of 10 min (the default)
    # each, no counter open yet (hub/estimate.py); the range to show is around it
    assert ticket["estimated_wait_min"] == 15
    assert ticket["estimated_wait_low_min"] < 15 < ticket["estimated_wait_high_min"]
    qr = TicketQR.decode(ticket["qr"])
    assert qr == TicketQR(SITE_ID, ticket["service_day"], "A003", ticket["ref"])
    status = hub.ok("kiosk-1", "ticket_status", ref=qr.ref)["ticket"]
    assert status["code"] == "A003" and status["people_ahead"] == 2


def test_wait_estimate_follows_measured_service_times(hub):
    for _ in range(4):
        hub.issue()
    hub.ok("counter-1", "call_next")
    hub.clock.advance(6 * 60)
    hub.ok("counter-1", "finish")  # one visit took 6 minutes, c1 is open
    ticket = hub.issue()
    assert ticket["people_ahead"] == 3
    # c1 is open and free: it calls the first of the 3 at once, then 3 visits of 6 minutes (measured)
    assert ticket["estimated_wait_min"] == 18
    assert ticket["estimated_wait_low_min"] < 18 < ticket["estimated_wait_high_min"]


def test_service_day_and_times_are_the_sites_local_ones(tmp_path):
    data = small_site_dict()
    data["site"]["service_day_starts"] = "04:00"
    clock = FakeClock(lisbon(2026, 7, 15, 3, 30))  # summer time: 02:30 UTC
    hub = Hub(tmp_path / "hub.db", small_site(data), clock)
    try:
        night = hub.issue()
        assert night["service_day"] == "2026-07-14"  # before 04:00 local: the previous day
        assert night["issued_at"] == "2026-07-15T03:30:00+01:00"
        assert night["code"] == "A001"
        clock.advance(45 * 60)  # 04:15 local: a new service day
        morning = hub.issue()
        assert morning["service_day"] == "2026-07-15" and morning["code"] == "A001"
        old = hub.ok("kiosk-1", "ticket_status", ref=night["ref"])["ticket"]
        assert old["status"] == "expired"
        assert hub.waiting_codes()["reception"] == ["A001"]
    finally:
        hub.store.close()


def test_local_midnight_not_utc_midnight_starts_the_day(tmp_path):
    clock = FakeClock(lisbon(2026, 7, 15, 23, 30))  # 22:30 UTC
    hub = Hub(tmp_path / "hub.db", small_site(), clock)
    try:
        assert hub.issue()["service_day"] == "2026-07-15"
        clock.advance(45 * 60)  # 00:15 local on the 16th, still the 15th in UTC
        ticket = hub.issue()
        assert ticket["service_day"] == "2026-07-16" and ticket["code"] == "A001"
        assert ticket["issued_at"] == "2026-07-16T00:15:00+01:00"
    finally:
        hub.store.close()


def test_a_hub_that_was_off_over_night_expires_yesterdays_tickets_on_start(tmp_path):
    clock = FakeClock(lisbon(2026, 1, 20, 16, 0))
    hub = Hub(tmp_path / "hub.db", small_site(), clock)
    first = hub.issue()
    hub.issue()
    hub.store.close()
    clock.advance(18 * 3600)  # 10:00 the next day
    hub2 = Hub(tmp_path / "hub.db", small_site(), clock)
    try:
        assert hub2.waiting_codes()["reception"] == []
        assert hub2.ok("kiosk-1", "ticket_status", ref=first["ref"])["ticket"]["status"] == "expired"
        assert hub2.issue()["code"] == "A001"
    finally:
        hub2.store.close()
