"""hub/estimate.py on hand-built queues: the chosen estimator's arithmetic, the range around it,
the whole minutes the hub publishes, and the hub's replies and retained state carrying them.

No broker, no clock of its own: every operation is given its time.  The simulated days that chose
the estimator are tests/test_estimate_sim.py.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from hub import estimate
from hub.estimate import Estimate, Position, band, gamma_ratio, whole_minutes
from hub.queues import QueueModel
from sites import small_site, small_site_dict

DAY = "2026-09-21"
T0 = 1_790_000_000.0


def erlang_quantile(p: float, k: int) -> float:
    """The exact p-quantile of Erlang(k) of mean 1, by bisection on its closed-form CDF."""
    def cdf(x: float) -> float:
        return 1 - sum(math.exp(-x) * x ** i / math.factorial(i) for i in range(k))
    lo, hi = 0.0, 10.0 * k + 50
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < p else (lo, mid)
    return lo / k


@pytest.mark.parametrize("k", [2, 3, 5, 10, 20, 50])
@pytest.mark.parametrize("p", [0.10, 0.95])
def test_the_gamma_quantiles_are_within_their_stated_error(k, p):
    assert gamma_ratio(k, NormalDist().inv_cdf(p)) == pytest.approx(erlang_quantile(p, k), rel=0.004)


def test_the_range_narrows_as_calls_grow_but_never_below_the_points_own_error():
    ratios = [band(10.0, calls)[1] / band(10.0, calls)[0] for calls in (1, 2, 5, 10, 20, 50, 1000)]
    assert ratios == sorted(ratios, reverse=True)
    low, high = band(10.0, 10**9)  # infinitely many calls: only the point's error is left
    z = NormalDist()
    assert low == pytest.approx(10 * (1 + estimate.POINT_ERROR * z.inv_cdf(estimate.LOW_Q)), rel=0.02)
    assert high == pytest.approx(10 * (1 + estimate.POINT_ERROR * z.inv_cdf(estimate.HIGH_Q)), rel=0.02)
    assert band(0.0, 5) == (0.0, 0.0)


@pytest.mark.parametrize("point, low, high", [(0.0, 0.0, 0.0), (0.4, 0.1, 0.9), (12.4, 7.2, 19.01),
                                               (3.0, 2.999, 3.001), (100.6, 60.5, 160.2)])
def test_whole_minutes_round_outwards_and_keep_the_point_inside(point, low, high):
    p, lo, hi = whole_minutes(Estimate(point, low, high))
    assert all(isinstance(x, int) for x in (p, lo, hi))
    assert lo <= low and hi >= high and hi >= lo + 1
    assert lo <= p <= hi and abs(p - point) <= max(0.5, point - hi, lo - point)


# --------------------------------------------------------------------------- on a model
def model_with(counters: list | None = None, policies: dict | None = None) -> QueueModel:
    data = small_site_dict()
    if counters is not None:
        data["counters"] = counters
    if policies:
        data["policies"] = policies
    model = QueueModel(small_site(data))
    model.service_day = DAY
    return model


def two_reception_counters() -> list:
    return [{"id": f"c{i}", "number": i, "name": {"pt": f"B{i}", "en": f"C{i}"}, "zone": "ground",
             "services": [{"service": "reception"}], "transfer_targets": ["immigration"]} for i in (1, 2)] + [
        {"id": "c3", "number": 3, "name": {"pt": "B3", "en": "C3"}, "zone": "first",
         "services": [{"service": "immigration"}]}]


class Day:
    def __init__(self, model: QueueModel):
        self.model, self.t, self.n = model, T0, 0

    def issue(self, service: str = "reception", priority: bool = False):
        self.n += 1
        self.t += 1
        ticket, _ = self.model.issue(service_id=service, language="en", priority=priority, source="kiosk-1",
                                     ref=f"r{self.n:04d}", now=self.t, service_day=DAY)
        return ticket

    def call(self, counter: str, after_s: float = 0.0):
        self.t += after_s
        return self.model.call_next(counter, self.t)


def test_queue_length_divides_the_calls_to_come_by_the_counters_measured_paces():
    day = Day(model_with(two_reception_counters()))
    for _ in range(20):
        day.issue()
    start = day.t
    for minute, counter in [(0, "c1"), (0, "c2"), (4, "c1"), (6, "c2"), (8, "c1"), (12, "c1"), (12, "c2"),
                            (16, "c1"), (18, "c2")]:
        day.model.call_next(counter, start + minute * 60)  # c1 calls every 4 minutes, c2 every 6
    day.t = start + 18 * 60
    model = day.model
    assert list(model.counter_times["c1"]) == [240.0] * 4 and list(model.counter_times["c2"]) == [360.0] * 3
    rate, idle = estimate.capacity(model, "reception")
    assert rate == pytest.approx(1 / 4 + 1 / 6) and idle == 0  # both have a visitor at the counter
    ticket = day.issue()
    pos = estimate.position(model, ticket, day.t)
    assert pos.ahead == 20 - 9 and pos.priority_ahead == 0 and not pos.priority
    # nobody priority has been called: its own call comes after the 11 ahead of it, 12 calls
    assert estimate.queue_length(model, "reception", pos, day.t) == pytest.approx(12 / (1 / 4 + 1 / 6))
    # a free counter takes the first of them at once
    model.finish("c2", day.t)
    assert estimate.capacity(model, "reception")[1] == 1
    assert estimate.queue_length(model, "reception", pos, day.t) == pytest.approx(11 / (1 / 4 + 1 / 6))


def test_a_priority_ticket_waits_for_the_priority_ahead_and_its_share_of_normal_calls():
    day = Day(model_with(policies={"priority_ratio": [2, 1]}))
    for _ in range(6):
        day.issue()
    day.issue(priority=True)
    ticket = day.issue(priority=True)
    pos = estimate.position(day.model, ticket, day.t)
    assert (pos.ahead, pos.priority_ahead, pos.priority) == (7, 1, True)
    # the one priority ahead, its own call, and the normal calls the 2:1 cycle makes meanwhile
    # (2 per priority call ahead, and half a cycle's on average before its own: 2.5)
    assert estimate.calls_before(day.model, "reception", pos) == pytest.approx(1 + 1 + 2.5)
    normal = estimate.position(day.model, day.model.waiting["reception"][5][1], day.t)
    assert (normal.ahead, normal.priority) == (5, False)
    assert estimate.calls_before(day.model, "reception", normal) == pytest.approx(6)  # no priority called yet


def test_before_anything_is_measured_the_configured_minutes_set_the_pace():
    day = Day(model_with(two_reception_counters()))
    for _ in range(10):
        day.issue()
    day.model.call_next("c1", day.t)
    day.model.call_next("c2", day.t)
    point, low, high = estimate.for_newcomer(day.model, "reception", day.t)
    assert low < point < high
    # 8 waiting + its own = 9 calls; two busy counters at the default 10 minutes a visit
    assert point == round(9 / (2 / 10))


# --------------------------------------------------------------------------- what the hub publishes
def test_the_hubs_replies_and_retained_state_carry_the_range(tmp_path):
    import json

    from hub.clock import FakeClock
    from hub.engine import Engine, Incoming
    from hub.store import Store

    clock = FakeClock(T0)
    engine = Engine(small_site(), Store(str(tmp_path / "hub.db")), clock)
    n = iter(range(1, 1000))

    def send(device: str, action: str, **fields) -> list:
        body = {"v": 1, "request_id": f"req-{next(n):06d}", "deadline_ms": int(clock.t * 1000) + 60_000, **fields}
        return engine.process([Incoming(device, action, json.dumps(body).encode())])

    for _ in range(6):
        out = send("kiosk-1", "issue_ticket", service="reception", language="en", priority=False)
    reply = next(json.loads(o.payload) for o in out if o.kind == "reply")
    ticket = reply["result"]["ticket"]
    model = engine.model
    assert (ticket["estimated_wait_min"], ticket["estimated_wait_low_min"], ticket["estimated_wait_high_min"]) == \
        estimate.for_ticket(model, model.by_code[ticket["code"]], clock.t)
    assert ticket["estimated_wait_low_min"] < ticket["estimated_wait_min"] < ticket["estimated_wait_high_min"]
    service = next(json.loads(o.payload) for o in out if o.topic.endswith("/state/service/reception"))
    zone = next(json.loads(o.payload) for o in out if o.topic.endswith("/state/zone/ground"))
    newcomer = estimate.for_newcomer(model, "reception", clock.t)
    assert (service["estimated_wait_min"], service["estimated_wait_low_min"],
            service["estimated_wait_high_min"]) == newcomer
    entry = next(s for s in zone["services"] if s["service"] == "reception")
    assert (entry["estimated_wait_min"], entry["estimated_wait_low_min"], entry["estimated_wait_high_min"]) == newcomer
    assert service["waiting"] == 6 and newcomer[0] > ticket["estimated_wait_min"]  # one more ahead of a newcomer


def test_a_restarted_hub_estimates_from_the_same_history(tmp_path):
    """The counters' paces, the delays and where each service sends its visitors are rebuilt from
    the stored legs, so a hub restarted mid-morning does not fall back to the configured minutes."""
    from hub.store import Store

    site = small_site()
    store = Store(str(tmp_path / "hub.db"))
    model = QueueModel(site)
    model.service_day = DAY
    day = Day(model)
    for _ in range(12):
        store.save_changes(day.model.issue(service_id="reception", language="en", priority=False, source="kiosk-1",
                                           ref=f"r{day.n + 1:04d}", now=day.t + 1, service_day=DAY)[1])
        day.n += 1
        day.t += 1
    for i in range(6):
        day.t += 200 + 40 * i
        *_, changes = model.call_next("c1", day.t)
        store.save_changes(changes)
        if i % 2:
            day.t += 30
            store.save_changes(model.transfer("c1", "immigration", day.t)[1])
    again = QueueModel(site)
    store.load_into(again, DAY)
    for name in ("counter_times", "counter_calls", "sent_on"):
        assert {k: list(v) for k, v in getattr(again, name).items()} == \
            {k: list(v) for k, v in getattr(model, name).items()}, name
    # the people ahead when each joined is not stored (delay_history, not chosen, is the one that reads it)
    assert {k: [(w, p) for w, _, p in v] for k, v in again.delays.items()} == \
        {k: [(w, p) for w, _, p in v] for k, v in model.delays.items()}
    assert [d[1] for d in again.delays["reception"]] == [None] * 6
    assert again.into == model.into and again.last_call_at == model.last_call_at
    assert again.last_end_at == model.last_end_at
    ticket = again.by_code[next(iter(again.waiting["reception"]))[1].code]
    assert estimate.for_ticket(again, ticket, day.t) == estimate.for_ticket(model, model.by_code[ticket.code], day.t)
