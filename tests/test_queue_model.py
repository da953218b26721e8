"""QueueModel on its own: numbering, call order, priority ratio, weights,
transfers, no-shows, recalls, roll-over, and "a refused operation changes nothing".

No broker, no database, no clock: every operation is given its time.
"""

from __future__ import annotations

import dataclasses
from collections import Counter as Tally

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract.errors import ContractError, Reason
from hub.queues import QueueModel
from sites import small_site, small_site_dict

DAY = "2026-09-21"
NEXT_DAY = "2026-09-22"
T0 = 1_790_000_000.0

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- helpers
def make_site(policies: dict | None = None, counters: list | None = None, services_patch: dict | None = None):
    data = small_site_dict()
    if policies:
        data["policies"] = policies
    if counters is not None:
        data["counters"] = counters
    for service in data["services"]:
        service.update((services_patch or {}).get(service["id"], {}))
    return small_site(data)


def mixed_counters() -> list:
    """c1 serves both services (reception weight 2), c2 only immigration; transfers both ways."""
    return [
        {"id": "c1", "number": 1, "name": {"pt": "Balcão 1", "en": "Counter 1"}, "zone": "ground",
         "services": [{"service": "reception", "weight": 2}, {"service": "immigration", "weight": 1}],
         "transfer_targets": ["immigration", "reception"]},
        {"id": "c2", "number": 2, "name": {"pt": "Balcão 2", "en": "Counter 2"}, "zone": "first",
         "services": [{"service": "immigration"}], "transfer_targets": ["reception"]},
    ]


class Q:
    """A model with its own notion of 'now' (one second per operation unless told)."""

    def __init__(self, site=None, day: str = DAY):
        self.model = QueueModel(site or make_site())
        self.model.service_day = day
        self.day = day
        self.t = T0
        self.refs = 0
        self.rolls = 0

    def tick(self, seconds: float = 1.0) -> float:
        self.t += seconds
        return self.t

    def issue(self, service: str = "reception", priority: bool = False, language: str = "pt", at: float | None = None):
        self.refs += 1
        now = self.tick() if at is None else at
        ticket, _ = self.model.issue(service_id=service, language=language, priority=priority, source="kiosk-1",
                                     ref=f"ref{self.refs:013d}", now=now, service_day=self.day)
        return ticket

    def call_next(self, counter: str = "c1", at: float | None = None):
        ticket, _finished, _ = self.model.call_next(counter, self.tick() if at is None else at)
        return ticket

    def code_of_next(self, counter: str = "c1", at: float | None = None) -> str | None:
        ticket = self.call_next(counter, at)
        return ticket.code if ticket else None

    def drain(self, counter: str) -> list[str]:
        codes = []
        while (code := self.code_of_next(counter)) is not None:
            codes.append(code)
        return codes


def model_state(model: QueueModel) -> dict:
    """Everything the model holds, as plain data (for before/after comparisons)."""
    return {
        "service_day": model.service_day,
        "tickets": {i: dataclasses.asdict(t) for i, t in model.tickets.items()},
        "by_ref": {r: t.id for r, t in model.by_ref.items()},
        "by_code": {c: t.id for c, t in model.by_code.items()},
        "waiting": {s: [(key, t.id) for key, t in q] for s, q in model.waiting.items()},
        "counters": {c: dataclasses.asdict(s) for c, s in model.counters.items()},
        "sequences": dict(model.sequences),
        "open_legs": {i: dataclasses.asdict(g) for i, g in model.open_legs.items()},
        "leg_counts": dict(model.leg_counts),
        "service_times": {s: list(d) for s, d in model.service_times.items()},
        "next_ticket_id": model.next_ticket_id,
    }


def refused(model: QueueModel, reason: Reason, operation, *args, **kwargs) -> ContractError:
    """Run an operation that must be refused with ``reason`` and leave the model untouched."""
    before = model_state(model)
    with pytest.raises(ContractError) as info:
        operation(*args, **kwargs)
    assert info.value.reason == reason, info.value.message
    assert model_state(model) == before, f"refused {operation.__name__} changed the model"
    return info.value


# --------------------------------------------------------------------------- numbering
def test_codes_count_per_service_prefix_with_three_digits():
    q = Q()
    assert [q.issue("reception").code for _ in range(3)] == ["A001", "A002", "A003"]
    assert q.issue("immigration").code == "B001"
    assert q.issue("reception").code == "A004"


def test_issue_reports_people_ahead_in_the_same_service_only():
    q = Q()
    q.issue("reception")
    q.issue("immigration")
    q.issue("reception")
    ticket = q.issue("reception")
    assert q.model.people_ahead(ticket) == 2
    assert q.model.people_ahead(q.model.by_code["B001"]) == 0


@pytest.mark.parametrize("kwargs, reason", [
    ({"service_id": "parking"}, Reason.UNKNOWN_SERVICE),
    ({"language": "xx"}, Reason.INVALID_FIELDS),
    ({"service_id": "immigration", "priority": True}, Reason.NOT_PRIORITY_ELIGIBLE),
])
def test_refused_issue_changes_nothing_not_even_the_numbering(kwargs, reason):
    q = Q(make_site(services_patch={"immigration": {"priority_eligible": False}}))
    q.issue("reception")
    args = {"service_id": "reception", "language": "pt", "priority": False, "source": "kiosk-1",
            "ref": "refrefused000000", "now": q.tick(), "service_day": DAY, **kwargs}
    refused(q.model, reason, q.model.issue, **args)
    assert q.issue("reception").code == "A002"
    assert q.issue("immigration").code == "B001"


# --------------------------------------------------------------------------- call order
def test_fifo_for_a_single_service_counter():
    q = Q()
    issued = [q.issue("reception").code for _ in range(5)]
    assert q.drain("c1") == issued


def test_call_next_finishes_the_current_ticket():
    q = Q()
    q.issue()
    q.issue()
    first = q.call_next()
    second, finished, _ = q.model.call_next("c1", q.tick())
    assert finished is first and first.status == "finished"
    assert second.code == "A002" and second.status == "called"
    assert q.model.current_ticket("c1") is second


def test_call_next_with_nothing_waiting_opens_the_counter_and_calls_nobody():
    q = Q()
    assert q.model.counters["c1"].status == "closed"
    assert q.call_next("c1") is None
    assert q.model.counters["c1"].status == "open"
    assert q.model.current_ticket("c1") is None


def test_counter_never_calls_a_service_it_does_not_serve():
    q = Q()
    q.issue("immigration")
    assert q.call_next("c1") is None
    assert q.code_of_next("c2") == "B001"


def test_priority_ratio_two_normal_one_priority_with_both_always_waiting():
    q = Q()  # default ratio [2, 1]
    for i in range(60):
        q.issue("reception", priority=i % 2 == 1)  # 30 normal, 30 priority, interleaved
    calls = [q.call_next("c1").priority for _ in range(30)]
    assert sum(calls) == 10
    for start in range(len(calls) - 2):
        assert sum(calls[start:start + 3]) == 1, f"window {start}: {calls[start:start + 3]}"


def test_priority_ticket_waiting_alone_is_called_next_even_in_a_normal_slot():
    q = Q()
    q.issue("reception", priority=False)
    q.issue("reception", priority=True)
    assert q.call_next().priority is True   # slot 0 of the [2, 1] cycle: priority
    assert q.call_next().priority is False  # normal slot
    q.issue("reception", priority=True)     # a normal slot comes next, but only priority waits
    ticket = q.call_next()
    assert ticket is not None and ticket.priority is True


def test_priority_ticket_goes_ahead_of_earlier_normal_tickets_but_normal_is_not_starved():
    q = Q()
    for _ in range(3):
        q.issue("reception")
    for _ in range(6):
        q.issue("reception", priority=True)
    order = [q.call_next() for _ in range(9)]
    assert [t.priority for t in order] == [True, False, False, True, False, True, True, True, True]
    assert [t.code for t in order if not t.priority] == ["A001", "A002", "A003"]


def test_priority_within_its_class_is_fifo():
    q = Q()
    codes = [q.issue("reception", priority=True).code for _ in range(4)]
    assert q.drain("c1") == codes


def test_weights_multiply_the_waiting_time_of_each_service_head():
    # c1 serves reception (weight 2) and immigration (weight 1)
    q = Q(make_site(counters=mixed_counters()))
    q.issue("immigration", at=T0)           # B001 waited 300 s at T0+300 -> 300
    q.issue("reception", at=T0 + 100)       # A001 waited 200 s x 2 -> 400
    assert q.code_of_next("c1", at=T0 + 300) == "A001"

    q = Q(make_site(counters=mixed_counters()))
    q.issue("immigration", at=T0)           # 300
    q.issue("reception", at=T0 + 200)       # 100 x 2 = 200
    assert q.code_of_next("c1", at=T0 + 300) == "B001"


def test_choose_next_only_looks():
    q = Q(make_site(counters=mixed_counters()))
    q.issue("immigration")
    q.issue("reception", priority=True)
    before = model_state(q.model)
    assert q.model.choose_next("c1", q.tick()).code == "A001"
    assert model_state(q.model) == before


# --------------------------------------------------------------------------- call_ticket
def test_call_ticket_calls_a_specific_waiting_ticket_out_of_order():
    q = Q()
    for _ in range(3):
        q.issue("reception")
    ticket, finished, _ = q.model.call_ticket("c1", "A003", q.tick())
    assert ticket.code == "A003" and finished is None
    assert q.drain("c1") == ["A001", "A002"]


def test_call_ticket_refusals_change_nothing():
    q = Q()
    q.issue("reception")
    q.issue("immigration")
    q.call_next("c1")  # A001 called at c1
    refused(q.model, Reason.SERVICE_NOT_AT_COUNTER, q.model.call_ticket, "c1", "B001", q.tick())
    refused(q.model, Reason.UNKNOWN_TICKET, q.model.call_ticket, "c1", "Z999", q.tick())
    refused(q.model, Reason.ILLEGAL_TRANSITION, q.model.call_ticket, "c1", "A001", q.tick())
    refused(q.model, Reason.UNKNOWN_COUNTER, q.model.call_ticket, "c9", "A001", q.tick())
    assert q.model.current_ticket("c1").code == "A001"


# --------------------------------------------------------------------------- recall / no-show / finish
def test_no_show_needs_a_recall_first_when_the_policy_says_so():
    q = Q()
    q.issue()
    q.call_next()
    refused(q.model, Reason.NO_SHOW_NEEDS_RECALL, q.model.no_show, "c1", q.tick())
    ticket, _ = q.model.recall("c1", q.tick())
    assert ticket.recalls == 1
    ticket, _ = q.model.no_show("c1", q.tick())
    assert ticket.status == "no_show"
    assert q.model.current_ticket("c1") is None
    assert q.model.waiting_count("reception") == 0


def test_no_show_without_recall_when_the_policy_allows_it():
    q = Q(make_site({"no_show_requires_recall": False}))
    q.issue()
    q.call_next()
    ticket, _ = q.model.no_show("c1", q.tick())
    assert ticket.status == "no_show"


def test_recall_limit():
    q = Q(make_site({"recall_limit": 2}))
    q.issue()
    q.call_next()
    assert q.model.recall("c1", q.tick())[0].recalls == 1
    assert q.model.recall("c1", q.tick())[0].recalls == 2
    refused(q.model, Reason.RECALL_LIMIT, q.model.recall, "c1", q.tick())
    assert q.model.current_ticket("c1").recalls == 2


def test_recall_no_show_finish_with_nothing_called_are_illegal():
    q = Q()
    q.issue()  # waiting, never called
    for op in (q.model.recall, q.model.no_show, q.model.finish):
        refused(q.model, Reason.ILLEGAL_TRANSITION, op, "c1", q.tick())
    assert q.model.by_code["A001"].status == "waiting"


def test_finish_ends_the_visit_and_feeds_the_service_time_estimate():
    q = Q()
    for _ in range(3):
        q.issue()
    q.call_next(at=T0 + 100)
    ticket, _ = q.model.finish("c1", T0 + 100 + 240)  # 4 minutes at the counter
    assert ticket.status == "finished" and ticket.finished_at == T0 + 340
    assert q.model.current_ticket("c1") is None
    assert q.model.mean_service_minutes("reception") == pytest.approx(4.0)
    # measured 4 min per visit, c1 is the one open counter: 1 person ahead -> 4 min
    assert q.model.estimated_wait_min("reception", 1) == 4
    refused(q.model, Reason.ILLEGAL_TRANSITION, q.model.finish, "c1", q.tick())


def test_cancel_only_a_waiting_ticket():
    q = Q()
    a1 = q.issue()
    a2 = q.issue()
    q.model.cancel(a2, q.tick())
    assert a2.status == "cancelled" and q.model.waiting_count("reception") == 1
    q.call_next()
    refused(q.model, Reason.ILLEGAL_TRANSITION, q.model.cancel, a1, q.tick())
    refused(q.model, Reason.ILLEGAL_TRANSITION, q.model.cancel, a2, q.tick())


def test_closing_a_counter_finishes_its_ticket():
    q = Q()
    q.issue()
    q.call_next()
    q.model.set_counter_status("c1", "closed", q.tick())
    assert q.model.by_code["A001"].status == "finished"
    assert q.model.counters["c1"].status == "closed" and q.model.current_ticket("c1") is None


# --------------------------------------------------------------------------- transfer
@pytest.mark.parametrize("position, order", [
    ("original_arrival", ["B001", "A001", "B002"]),
    ("end", ["B001", "B002", "A001"]),
    ("front", ["A001", "B001", "B002"]),
])
def test_transfer_keeps_the_code_and_joins_by_policy(position, order):
    q = Q(make_site({"transfer_position": position}))
    q.issue("immigration", at=T0)       # B001
    q.issue("reception", at=T0 + 10)    # A001
    q.issue("immigration", at=T0 + 20)  # B002
    assert q.code_of_next("c1", at=T0 + 30) == "A001"
    ticket, _ = q.model.transfer("c1", "immigration", T0 + 40)
    assert ticket.code == "A001" and ticket.status == "waiting"
    assert ticket.service == "immigration" and ticket.first_service == "reception"
    assert q.model.by_code["A001"] is ticket
    assert q.model.current_ticket("c1") is None
    assert q.model.people_ahead(ticket) == order.index("A001")
    assert q.drain("c2") == order


def test_transfer_to_the_end_within_one_instant_goes_after_tickets_issued_then():
    """A hub batch applies several requests at one timestamp: a ticket issued in the
    same batch as a transfer 'to the end' is still ahead of the transferred ticket."""
    q = Q(make_site({"transfer_position": "end"}))
    q.issue("reception", at=T0)
    q.call_next("c1", at=T0 + 10)
    q.issue("immigration", at=T0 + 20)  # B001
    q.model.transfer("c1", "immigration", T0 + 20)
    assert q.drain("c2") == ["B001", "A001"]


def test_transfer_then_called_again_keeps_the_code_and_starts_a_new_leg():
    q = Q()
    q.issue("reception")
    q.call_next("c1")
    q.model.transfer("c1", "immigration", q.tick())
    assert q.code_of_next("c2") == "A001"
    assert q.model.leg_counts[1] == 2
    assert q.model.open_legs[1].service == "immigration"


def test_transfer_refusals_change_nothing():
    q = Q(make_site(counters=mixed_counters()))
    refused(q.model, Reason.ILLEGAL_TRANSITION, q.model.transfer, "c1", "immigration", q.tick())
    q.issue("immigration")
    q.code_of_next("c2")
    q.issue("reception")
    q.code_of_next("c1")
    refused(q.model, Reason.UNKNOWN_SERVICE, q.model.transfer, "c1", "parking", q.tick())
    refused(q.model, Reason.ILLEGAL_TRANSITION, q.model.transfer, "c1", "reception", q.tick())
    q2 = Q(make_site())  # the small site: c2 has no transfer targets
    q2.issue("immigration")
    q2.code_of_next("c2")
    refused(q2.model, Reason.NOT_A_TRANSFER_TARGET, q2.model.transfer, "c2", "reception", q2.tick())


# --------------------------------------------------------------------------- roll-over
def test_roll_over_expires_yesterdays_tickets_and_restarts_numbering():
    q = Q()
    for _ in range(3):
        q.issue("reception")
    q.issue("immigration")
    q.call_next("c1")
    changes = q.model.roll_over(NEXT_DAY, q.tick())
    statuses = {t.code: t.status for t in changes.tickets.values()}
    assert statuses == {"A001": "expired", "A002": "expired", "A003": "expired", "B001": "expired"}
    assert q.model.current_ticket("c1") is None
    assert q.model.waiting_count("reception") == q.model.waiting_count("immigration") == 0
    assert q.call_next("c1") is None
    q.day = NEXT_DAY
    ticket = q.issue("reception")
    assert ticket.code == "A001" and ticket.service_day == NEXT_DAY
    assert q.issue("immigration").code == "B001"


# --------------------------------------------------------------------------- refusals in general
def test_unknown_counter_is_refused_everywhere_without_change():
    q = Q()
    q.issue()
    for op in (q.model.call_next, q.model.recall, q.model.no_show, q.model.finish):
        refused(q.model, Reason.UNKNOWN_COUNTER, op, "c9", q.tick())
    refused(q.model, Reason.UNKNOWN_COUNTER, q.model.transfer, "c9", "immigration", q.tick())
    refused(q.model, Reason.UNKNOWN_COUNTER, q.model.set_counter_status, "c9", "open", q.tick())


# --------------------------------------------------------------------------- properties
SERVICES = ("reception", "immigration")
COUNTERS = ("c1", "c2")

#: operation kinds, repeated to make the common ones more frequent
KINDS = (["issue"] * 6 + ["call_next"] * 3 + ["transfer"] * 3 + ["call_ticket"] * 2 + ["recall"] * 2
         + ["cancel", "no_show", "finish", "status", "roll_over"])
operation = st.tuples(st.sampled_from(KINDS), st.sampled_from(COUNTERS), st.sampled_from(SERVICES + ("parking",)),
                      st.booleans(), st.integers(0, 40), st.sampled_from(("open", "paused", "closed")))


def apply(q: Q, op: tuple, issued: list) -> None:
    """One operation (kind, counter, service, priority, index, status); may raise ContractError."""
    kind, counter, service, priority, index, status = op
    m = q.model
    now = q.tick(0.5)
    if kind == "issue":
        ticket = q.issue(service if service in SERVICES else "reception", priority=priority, at=now)
        issued.append((ticket.service_day, ticket.code))
    elif kind == "call_next":
        m.call_next(counter, now)
    elif kind == "call_ticket":
        codes = sorted(m.by_code)
        m.call_ticket(counter, codes[index % len(codes)] if codes else "A999", now)
    elif kind == "transfer":
        m.transfer(counter, service, now)
    elif kind == "cancel":
        tickets = sorted(m.tickets.values(), key=lambda t: t.id)
        if tickets:
            m.cancel(tickets[index % len(tickets)], now)
    elif kind == "recall":
        m.recall(counter, now)
    elif kind == "no_show":
        m.no_show(counter, now)
    elif kind == "finish":
        m.finish(counter, now)
    elif kind == "status":
        m.set_counter_status(counter, status, now)
    elif kind == "roll_over":
        q.rolls += 1
        q.day = f"2026-10-{q.rolls:02d}"
        m.roll_over(q.day, now)


def check_invariants(model: QueueModel) -> None:
    codes = [t.code for t in model.tickets.values()]
    assert len(codes) == len(set(codes))
    for service_id, queue in model.waiting.items():
        assert [k for k, _ in queue] == sorted(k for k, _ in queue)
        for _, ticket in queue:
            assert ticket.status == "waiting" and ticket.service == service_id
        assert model.priority_waiting[service_id] == sum(t.priority for _, t in queue)
    waiting_ids = [t.id for q in model.waiting.values() for _, t in q]
    assert len(waiting_ids) == len(set(waiting_ids))
    assert set(waiting_ids) == {t.id for t in model.tickets.values() if t.status == "waiting"}
    current = [s.current for s in model.counters.values() if s.current is not None]
    assert len(current) == len(set(current))
    assert set(current) == {t.id for t in model.tickets.values() if t.status == "called"}
    for cid, state in model.counters.items():
        if state.current is not None:
            ticket = model.tickets[state.current]
            assert ticket.counter == cid
            assert any(cs.service == ticket.service for cs in model.site.counter(cid).services)
    for ticket in model.tickets.values():
        prefix = model.site.service(ticket.first_service).prefix
        assert ticket.code.startswith(prefix)
        assert int(ticket.code[len(prefix):]) <= model.sequences[(prefix, ticket.service_day)]


@FAST
@given(st.lists(operation, min_size=10, max_size=60))
def test_any_interleaving_keeps_codes_unique_per_day_and_refusals_change_nothing(ops):
    q = Q(make_site(counters=mixed_counters(), policies={"recall_limit": 1}))
    issued: list[tuple[str, str]] = []
    for op in ops:
        before = model_state(q.model)
        try:
            apply(q, op, issued)
        except ContractError:
            after = model_state(q.model)
            assert after == before, f"refused {op} changed the model"
        check_invariants(q.model)
    duplicates = [key for key, n in Tally(issued).items() if n > 1]
    assert duplicates == []


@FAST
@given(st.lists(st.sampled_from(["normal", "priority", "call"]), max_size=60))
def test_fifo_within_each_class_for_a_single_service_counter(ops):
    q = Q()
    issued = {False: [], True: []}
    called = {False: [], True: []}
    for op in ops:
        if op == "call":
            ticket = q.call_next("c1")
            if ticket is not None:
                called[ticket.priority].append(ticket.code)
        else:
            ticket = q.issue("reception", priority=op == "priority")
            issued[ticket.priority].append(ticket.code)
    for cls in (False, True):
        assert called[cls] == issued[cls][:len(called[cls])]


@FAST
@given(st.integers(0, 5), st.integers(1, 5), st.integers(1, 4), st.lists(st.booleans(), max_size=10))
def test_ratio_holds_in_every_window_while_both_classes_wait(normal_n, priority_n, cycles, history):
    q = Q(make_site({"priority_ratio": [normal_n, priority_n]}))
    # some history first: the counter may be anywhere in its cycle
    for priority in history:
        q.issue("reception", priority=priority)
        q.call_next("c1")
    window = normal_n + priority_n
    calls = window * cycles
    for _ in range(calls + window):
        q.issue("reception", priority=False)
        q.issue("reception", priority=True)
    picked = [q.call_next("c1").priority for _ in range(calls)]
    for start in range(calls - window + 1):
        assert sum(picked[start:start + window]) == priority_n, picked
    assert sum(picked) == priority_n * cycles


@FAST
@given(st.lists(st.sampled_from(["normal", "priority", "call", "call"]), max_size=30))
def test_a_priority_ticket_waiting_alone_is_called_next_whatever_came_before(ops):
    q = Q()
    for op in ops:
        if op == "call":
            q.call_next("c1")
        else:
            q.issue("reception", priority=op == "priority")
    q.drain("c1")
    ticket = q.issue("reception", priority=True)
    assert q.call_next("c1") is ticket
