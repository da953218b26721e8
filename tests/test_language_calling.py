"""Issue 18 in the pure queue model: language-aware calling and appointments on time.

Three reception counters: c1 speaks Portuguese, c3 English, c4 Ukrainian (c4 is opened only
where a test needs it); the site's visitors speak pt, en and uk.  No broker, no database: every
operation is given its time.  The rule is docs/protocol.md's "Who is called next".
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract.messages import CounterStatus
from hub.queues import QueueModel
from sites import small_site, small_site_dict

DAY = "2026-09-21"
T0 = 1_790_000_000.0
SKIP_S = 600.0  # language_max_skip_min = 10


def site(skip_min: float = 10, ratio=(2, 1), c1_languages=("pt",)):
    data = small_site_dict()
    data["site"]["languages"] = ["pt", "en", "uk"]
    data["policies"] = {"language_max_skip_min": skip_min, "priority_ratio": list(ratio)}
    name = data["counters"][0]["name"]
    data["counters"][0]["languages"] = list(c1_languages)
    data["counters"] += [
        {"id": "c3", "number": 3, "name": name, "zone": "ground", "services": [{"service": "reception"}],
         "languages": ["en"]},
        {"id": "c4", "number": 4, "name": name, "zone": "ground", "services": [{"service": "reception"}],
         "languages": ["uk"]},
    ]
    return small_site(data)


class Day:
    def __init__(self, the_site=None, open_counters=("c1", "c3")):
        self.model = QueueModel(the_site or site())
        self.model.service_day = DAY
        self.n = 0
        for counter in open_counters:
            self.model.set_counter_status(counter, CounterStatus.OPEN, T0 - 100)

    def issue(self, language: str, at: float, priority: bool = False, appointment_at: float | None = None):
        self.n += 1
        ticket, _ = self.model.issue(service_id="reception", language=language, priority=priority, source="kiosk-1",
                                     ref=f"ref{self.n:013d}", now=at, service_day=DAY,
                                     appointment_at=appointment_at)
        return ticket

    def call(self, counter: str, at: float):
        ticket, _finished, changes = self.model.call_next(counter, at)
        called = [e.data for e in changes.events if e.type == "ticket_called"]
        return ticket, (called[0] if called else None)


# ------------------------------------------------------------------ the preference
def test_a_counter_calls_a_visitor_it_speaks_to_before_an_earlier_one_another_open_counter_speaks_to():
    day = Day()
    en = day.issue("en", T0)
    pt = day.issue("pt", T0 + 60)
    ticket, event = day.call("c1", T0 + 120)
    assert ticket is pt and event["own_language"] is True
    assert event["passed_over"] == [{"code": en.code, "at_head_s": 120.0}]
    assert en.passed_over_s == 120.0 and en.status == "waiting"
    ticket, event = day.call("c3", T0 + 130)  # the English speaker's counter takes them next
    assert ticket is en and event["own_language"] is True and event["passed_over"] == []


def test_within_one_language_arrival_order_holds_and_the_passed_over_keep_their_place():
    day = Day()
    en1, en2 = day.issue("en", T0), day.issue("en", T0 + 1)
    pt1, pt2 = day.issue("pt", T0 + 2), day.issue("pt", T0 + 3)
    assert day.call("c1", T0 + 10)[0] is pt1
    assert day.call("c1", T0 + 20)[0] is pt2
    assert [t.code for _, t in day.model.waiting["reception"]] == [en1.code, en2.code]
    assert day.call("c1", T0 + 30)[0] is en1  # nobody pt left: arrival order


def test_a_visitor_is_passed_over_only_while_at_the_head_less_than_the_bound():
    day = Day()
    en = day.issue("en", T0)  # at the head from T0
    for i in range(3):
        day.issue("pt", T0 + 1 + i)
    assert day.call("c1", T0 + SKIP_S - 0.5)[0].language == "pt"
    assert en.passed_over_s == SKIP_S - 0.5
    ticket, event = day.call("c1", T0 + SKIP_S)  # 10 minutes at the head: arrival order wins
    assert ticket is en and event["own_language"] is False and event["passed_over"] == []


def test_the_head_clock_starts_when_a_visitor_becomes_the_head_not_when_they_arrive():
    day = Day()
    pt = day.issue("pt", T0)
    en = day.issue("en", T0 + 1)
    pt_late = day.issue("pt", T0 + 2)
    assert en.head_at is None
    assert day.call("c1", T0 + 1000)[0] is pt  # the head speaks pt: arrival order
    assert en.head_at == T0 + 1000  # the head from the call that took the visitor ahead
    ticket, event = day.call("c1", T0 + 1000 + SKIP_S - 1)  # 1,599 s in the queue, 599 s at the head
    assert ticket is pt_late and event["passed_over"] == [{"code": en.code, "at_head_s": SKIP_S - 1}]
    day.issue("pt", T0 + 1700)
    assert day.call("c1", T0 + 1000 + SKIP_S)[0] is en


def test_a_visitor_no_open_counter_of_the_service_speaks_to_is_never_held_back():
    day = Day(open_counters=("c1",))  # the English counter is closed
    en = day.issue("en", T0)
    day.issue("pt", T0 + 1)
    ticket, event = day.call("c1", T0 + 5)
    assert ticket is en and event["own_language"] is False and en.passed_over_s is None
    # behind the head too: a uk visitor (c4 closed) stops the pass-over of the en head
    day = Day(open_counters=("c1", "c3"))
    en = day.issue("en", T0)
    day.issue("uk", T0 + 1)
    day.issue("pt", T0 + 2)
    assert day.call("c1", T0 + 5)[0] is en


def test_a_counter_without_stated_languages_and_a_zero_bound_call_in_arrival_order():
    for the_site in (site(c1_languages=()), site(skip_min=0)):
        day = Day(the_site)
        en = day.issue("en", T0)
        day.issue("pt", T0 + 1)
        ticket, event = day.call("c1", T0 + 5)
        assert ticket is en and event["passed_over"] == []
    assert Day(site(c1_languages=())).call("c1", T0)[1] is None
    day = Day(site(c1_languages=()))
    day.issue("en", T0)
    assert day.call("c1", T0 + 1)[1]["own_language"] is None


def test_the_days_languages_change_the_calls_and_end_with_the_day():
    day = Day()
    day.model.set_languages("c1", ["en"])
    en = day.issue("en", T0)
    day.issue("pt", T0 + 1)
    assert day.call("c1", T0 + 5)[0] is en  # c1 speaks en today (and not pt): the en visitor first
    assert day.model.languages_of("c1") == ("en",)
    day.model.roll_over("2026-09-22", T0 + 86400)
    assert day.model.languages_of("c1") == ("pt",)


def test_a_counter_prefers_a_language_it_speaks_and_not_every_open_counter_does_over_a_common_one():
    day = Day()
    day.model.set_languages("c3", ["pt", "en"])  # c3: pt and en; c1: pt only
    pt = day.issue("pt", T0)
    en = day.issue("en", T0 + 1)
    ticket, event = day.call("c3", T0 + 60)
    assert ticket is en and event["passed_over"] == [{"code": pt.code, "at_head_s": 60.0}]
    assert day.call("c1", T0 + 61)[0] is pt
    # bounded alike: ten minutes at the head and arrival order wins
    pt = day.issue("pt", T0 + 100)
    day.issue("en", T0 + 101)
    assert day.call("c3", T0 + 100 + SKIP_S)[0] is pt
    # c1 closed: nobody else speaks pt, so the pt visitor is never held back
    day = Day(open_counters=("c3",))
    day.model.set_languages("c3", ["pt", "en"])
    pt = day.issue("pt", T0)
    day.issue("en", T0 + 1)
    assert day.call("c3", T0 + 60)[0] is pt


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["pt", "en", "uk"]), st.booleans(), st.sampled_from(["c1", "c3", "c4"]),
                          st.integers(0, 400)), min_size=1, max_size=40),
       st.sampled_from([(2, 1), (1, 1), (3, 2), (0, 1)]))
def test_the_rule_changes_who_within_a_class_never_the_class_nor_the_bound(steps, ratio):
    """The same arrivals and calls with the rule and without (bound 0): every call takes the same
    class (the priority ratio is untouched); no pass-over at 10 minutes at the head or more."""
    runs = []
    for skip in (10, 0):
        day = Day(site(skip_min=skip, ratio=ratio), open_counters=("c1", "c3", "c4"))
        t, classes, longest = T0, [], 0.0
        for language, priority, counter, gap in steps:
            t += gap
            day.issue(language, t, priority)
            t += gap
            ticket, event = day.call(counter, t)
            classes.append(None if ticket is None else ticket.priority)
            for passed in (event or {}).get("passed_over", []):
                longest = max(longest, passed["at_head_s"])
        runs.append(classes)
        assert longest < skip * 60 or longest == 0
    assert runs[0] == runs[1]


# ------------------------------------------------------------------ appointments
def test_a_due_appointment_is_called_by_the_first_call_after_its_slot_ahead_of_walk_ins():
    day = Day()
    walk_ins = [day.issue("pt", T0 + i) for i in range(3)]
    slot = T0 + 600
    early = day.issue("pt", T0 + 10, appointment_at=slot)  # checked in 10 minutes early
    assert day.call("c1", slot - 1)[0] is walk_ins[0]  # before the slot it waits
    assert day.call("c3", slot)[0] is early  # the first call after the slot, at any counter of the service
    assert day.call("c1", slot + 1)[0] is walk_ins[1]


def test_due_appointments_go_by_slot_and_the_priority_turn_stays():
    day = Day(site(ratio=(1, 1)))
    late_slot = day.issue("pt", T0, appointment_at=T0 + 200)
    soon_slot = day.issue("pt", T0 + 1, appointment_at=T0 + 100)
    priority = day.issue("pt", T0 + 2, priority=True)
    walk_in = day.issue("pt", T0 + 3)
    # the cycle starts on the priority turn: the priority visitor first, then the appointments by slot
    assert [day.call("c1", T0 + 300 + i)[0] for i in range(4)] == [priority, soon_slot, late_slot, walk_in]


def test_an_appointment_is_not_a_walk_in_of_its_queue():
    day = Day()
    appointment = day.issue("pt", T0, appointment_at=T0 + 3600)
    walk_in = day.issue("pt", T0 + 1)
    assert walk_in.head_at == T0 + 1  # the head of the walk-ins, though the appointment came first
    assert day.call("c1", T0 + 5)[0] is walk_in  # its slot has not come: the walk-in first
    assert appointment.status == "waiting"


def test_an_idle_counter_calls_an_early_appointment_rather_than_nobody_and_a_walk_in_still_goes_first():
    """Gap (a): the counter's display counts the checked-in appointment as waiting, so NEXT with
    nobody else waiting calls it (the earliest slot first) instead of answering "nobody"."""
    day = Day()
    later = day.issue("uk", T0, appointment_at=T0 + 7200)
    sooner = day.issue("en", T0 + 1, appointment_at=T0 + 3600)
    assert day.model.waiting_count("reception") == 2
    ticket, event = day.call("c1", T0 + 5)
    assert ticket is sooner and event["code"] == sooner.code and event["passed_over"] == []
    walk_in = day.issue("pt", T0 + 10)  # a walk-in arrives: it goes before the appointment's slot
    assert day.call("c3", T0 + 20)[0] is walk_in
    assert day.call("c3", T0 + 30)[0] is later
    assert day.call("c1", T0 + 40)[0] is None and day.model.waiting_count("reception") == 0
    # a priority walk-in, too, goes before an early appointment, on either turn of the ratio
    day = Day(site(ratio=(1, 1)))
    early = day.issue("pt", T0, appointment_at=T0 + 3600)
    priority = day.issue("pt", T0 + 1, priority=True)
    assert [day.call("c1", T0 + 5 + i)[0] for i in range(3)] == [priority, early, None]


# ------------------------------------------------------------------ through the engine (no broker)
_IDS = itertools.count(1)

def _engine(tmp_path, clock, appointments=()):
    from hub.engine import Engine
    from hub.store import Store
    data = small_site_dict()
    data["site"]["languages"] = ["pt", "en", "uk"]
    data["counters"][0]["languages"] = ["pt"]
    return Engine(small_site(data), Store(tmp_path / "hub.db"), clock, appointments=list(appointments))


def _send(engine, device, action, **fields):
    import json
    from hub.engine import Incoming
    body = {"v": 1, "request_id": f"req-{next(_IDS):06d}",
            "deadline_ms": int(engine.clock.now() * 1000) + 60_000, **fields}
    out = engine.process([Incoming(device, action, json.dumps(body).encode())])
    return json.loads(next(o.payload for o in out if o.kind == "reply"))


def test_counter_languages_own_counter_any_for_an_operator_refused_otherwise_and_audited(tmp_path):
    from hub.clock import FakeClock
    engine = _engine(tmp_path, FakeClock(T0))
    reply = _send(engine, "counter-1", "counter_languages", languages=["pt", "uk"])
    assert reply["ok"] and reply["result"] == {"counter": "c1", "languages": ["pt", "uk"], "from_site_file": False}
    assert _send(engine, "counter-1", "counter_languages", counter="c2", languages=["en"])["error"]["code"] == \
        "forbidden"
    assert _send(engine, "kiosk-1", "counter_languages", languages=["en"])["error"]["code"] == "forbidden"
    reply = _send(engine, "technician.hub", "counter_languages", counter="c2", languages=["en"],
                  reason="mediator in today")
    assert reply["ok"] and engine.model.languages_of("c2") == ("en",)
    before = engine.model.languages_of("c1"), engine.model.languages_of("c2")
    for fields, reason in [({"languages": ["en"]}, "invalid_fields"),  # an operator must name the counter
                           ({"counter": "c9", "languages": ["en"]}, "unknown_counter"),
                           ({"counter": "c1", "languages": ["en", "en"]}, "invalid_fields"),
                           ({"counter": "c1", "languages": ["english"]}, "invalid_fields"),
                           ({"counter": "c1"}, "invalid_fields")]:
        assert _send(engine, "supervisor.console", "counter_languages", staff="ana.lopes",
                     **fields)["error"]["code"] == reason
    assert (engine.model.languages_of("c1"), engine.model.languages_of("c2")) == before
    assert engine.refused[("supervisor.console", "invalid_fields")] == 4
    audit = engine.store.db.execute("SELECT who, detail FROM audit WHERE action = 'counter_languages' "
                                    "AND outcome = 'ok'").fetchall()
    assert [who for who, _ in audit] == ["counter-1", "technician.hub"]
    refused = engine.store.db.execute("SELECT who, staff, outcome FROM audit WHERE outcome != 'ok'").fetchall()
    assert ("supervisor.console", "ana.lopes", "unknown_counter") in refused, "refusals are audited too"
    assert '"before":["pt"],"languages":["pt","uk"]' in audit[0][1]
    engine.store.close()
    restarted = _engine(tmp_path, FakeClock(T0 + 5))
    assert restarted.model.languages_of("c1") == ("pt", "uk"), "the day's languages survive a restart"
    assert _send(restarted, "counter-1", "counter_languages", languages=None)["result"]["from_site_file"]
    assert restarted.model.languages_of("c1") == ("pt",)


def test_check_in_says_early_due_or_late_and_the_ticket_is_called_accordingly(tmp_path):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from hub.clock import FakeClock
    from siteconf.appointments import Appointment
    at = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Europe/Lisbon")).timestamp()
    appointments = [Appointment(code=f"APT-0000-000{i}", day="2026-11-27", service="reception", time=hhmm)
                    for i, hhmm in enumerate(["10:30", "09:50", "09:40", None])]
    clock = FakeClock(at)
    engine = _engine(tmp_path, clock, appointments)
    _send(engine, "kiosk-1", "issue_ticket", service="reception", language="pt")  # A001, a walk-in
    timings = [_send(engine, "kiosk-1", "check_in", code=a.code, language="en")["result"] for a in appointments]
    assert [r["appointment"]["timing"] for r in timings] == ["early", "due", "late", None]
    # 10 min after its slot is within the 15 min grace: due, called before the walk-ins
    assert _send(engine, "counter-1", "call_next")["result"]["ticket"]["code"] == timings[1]["ticket"]["code"]
    assert _send(engine, "counter-1", "call_next")["result"]["ticket"]["code"] == "A001"
    engine.store.close()
    engine = _engine(tmp_path, clock, appointments)  # a restart: the slot comes back from the database
    walk_ins = [_send(engine, "kiosk-1", "issue_ticket", service="reception", language="pt")["result"]["ticket"]
                for _ in range(2)]
    for walk_in in (timings[2]["ticket"], timings[3]["ticket"], walk_ins[0]):  # late, without a time: walk-ins
        assert _send(engine, "counter-1", "call_next")["result"]["ticket"]["code"] == walk_in["code"]
    clock.advance(30 * 60)  # 10:30: the early one's slot, and it goes before the walk-in who came earlier
    assert _send(engine, "counter-1", "call_next")["result"]["ticket"]["code"] == timings[0]["ticket"]["code"]
    assert _send(engine, "counter-1", "call_next")["result"]["ticket"]["code"] == walk_ins[1]["code"]
    again = _send(engine, "kiosk-1", "check_in", code=appointments[0].code, language="en")["result"]
    assert again["appointment"]["already_checked_in"] and again["appointment"]["timing"] == "early"


def test_a_database_from_before_gets_the_new_columns_and_keeps_its_rows(tmp_path):
    import sqlite3

    from hub.store import Store
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute("CREATE TABLE counters (id TEXT PRIMARY KEY, status TEXT NOT NULL, current INTEGER, "
                   "cycle_pos INTEGER NOT NULL)")
        db.execute("INSERT INTO counters VALUES ('c1', 'open', NULL, 1)")
        db.execute("CREATE TABLE tickets (id INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE, code TEXT NOT NULL, "
                   "service_day TEXT NOT NULL, service TEXT NOT NULL, first_service TEXT NOT NULL, status TEXT NOT "
                   "NULL, priority INTEGER NOT NULL, language TEXT NOT NULL, source TEXT NOT NULL, issued_at REAL "
                   "NOT NULL, queued_at REAL NOT NULL, counter TEXT, called_at REAL, recalls INTEGER NOT NULL "
                   "DEFAULT 0, finished_at REAL, UNIQUE (service_day, code))")
        db.execute("INSERT INTO tickets (id, ref, code, service_day, service, first_service, status, priority, "
                   "language, source, issued_at, queued_at) VALUES (1, 'abcdefghijklmnop', 'A001', '2026-09-21', "
                   "'reception', 'reception', 'waiting', 0, 'uk', 'kiosk-1', 1, 1)")
    store = Store(tmp_path / "old.db")
    columns = {row[1] for row in store.db.execute("PRAGMA table_info(tickets)")}
    assert {"head_at", "appointment_at", "passed_over_s", "own_language"} <= columns
    assert store.db.execute("SELECT id, status, cycle_pos, languages FROM counters").fetchall() == \
        [("c1", "open", 1, None)]
    assert store.ticket_by_id(1).language == "uk" and store.ticket_by_id(1).head_at is None
    store.close()
