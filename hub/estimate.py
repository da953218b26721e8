"""Waiting estimates: how long until a ticket is called, as a point and an honest range.

Every estimator here is a function of the live ``QueueModel`` (its queues, counters and the
recent history it keeps) and a ``Position`` (people ahead, of whom priority, the ticket's
class), giving minutes.  ``band`` turns a point into the range shown to visitors and
``whole_minutes`` into the whole minutes the hub publishes.

The hub uses ``CHOSEN`` (``queue_length``): on simulated busy days (``hub/simulate.py``,
``bench/estimate_bench.py``; figures in docs/performance.md, the reasons in docs/decisions.md) it
had the smallest mean absolute error of the five and the only range that held for >= 80 % of
visitors with <= 10 % waiting past its upper end, on both service-time laws and with a clerk
away for 30 minutes.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Callable

from contract.messages import CounterStatus

if TYPE_CHECKING:
    from .queues import QueueModel


@dataclass(frozen=True)
class Position:
    """Where a ticket stands in its service's queue."""

    ahead: int
    priority_ahead: int = 0
    priority: bool = False
    #: services whose waiting visitors may be transferred in ahead of it (``feeders``)
    feeders: tuple = ()
    #: seconds it has already been queued for (a transfer keeps its place by its issue time)
    queued_s: float = 0.0


@dataclass(frozen=True)
class Estimate:
    """Minutes, unrounded: the point and the range (published as ``estimated_wait_min``,
    ``estimated_wait_low_min`` and ``estimated_wait_high_min`` by ``whole_minutes``)."""

    point: float
    low: float
    high: float


def position(model: "QueueModel", ticket, now: float) -> Position:
    """A waiting ticket's place in its queue."""
    queue = model.waiting.get(ticket.service, ())
    ahead = model.people_ahead(ticket)
    if ahead >= len(queue) - 1:  # the last one (a new ticket): the priority count holds it
        priority_ahead = model.priority_waiting.get(ticket.service, 0) - ticket.priority
    else:
        priority_ahead = sum(1 for _, t in queue[:ahead] if t.priority)
    return Position(ahead, priority_ahead, ticket.priority, feeders(model, ticket.service, ticket.queued_at),
                    max(0.0, now - ticket.queued_at))


Estimator = Callable[["QueueModel", str, Position, float], float]


# ------------------------------------------------------------------ estimators (minutes)
def today(model: "QueueModel", service: str, pos: Position, now: float) -> float:
    """The hub's estimate before issue 15: rolling mean service time x people ahead / open counters."""
    return model.mean_service_minutes(service) * pos.ahead / max(1, model.open_counters(service))


def naive(model: "QueueModel", service: str, pos: Position, now: float) -> float:
    """The baseline: ``policies.default_service_minutes`` x people ahead / open counters."""
    return model.site.policies.default_service_minutes * pos.ahead / max(1, model.open_counters(service))


#: no counter calls faster than every 6 s on average (a faster pace is a burst of presses, not visits)
MIN_PACE_MIN = 0.1


def counter_minutes(model: "QueueModel", counter_id: str, service: str) -> float:
    """Minutes from one call to the next at a busy counter: its measured pace once it has three
    (``QueueModel.counter_times``), until then the service's mean visit (measured, or configured)."""
    times = model.counter_times.get(counter_id)
    if times and len(times) >= 3:
        return max(MIN_PACE_MIN, sum(times) / len(times) / 60)
    return max(MIN_PACE_MIN, model.mean_service_minutes(service))


def capacity(model: "QueueModel", service: str) -> tuple[float, int]:
    """Visits a minute the open counters give ``service`` (each at its own measured pace, shared
    with its other services as its last calls were), and how many of them are free now."""
    rate = 0.0
    idle = 0
    counters = [c for c in model.site.counters if any(cs.service == service for cs in c.services)]
    open_ = [c for c in counters if model.counters[c.id].status == CounterStatus.OPEN]
    for c in open_ or counters:
        if len(c.services) == 1:
            share = 1.0
        else:
            calls = model.counter_calls.get(c.id) or ()
            weights = sum(cs.weight for cs in c.services if cs.service == service or model.waiting.get(cs.service))
            share = next(cs.weight for cs in c.services if cs.service == service) / weights
            if len(calls) >= 5:
                share = max(share, sum(1 for s in calls if s == service) / len(calls))
        rate += share / counter_minutes(model, c.id, service)
        if open_ and model.counters[c.id].current is None:
            idle += 1
    return rate, idle


def calls_before(model: "QueueModel", service: str, pos: Position) -> float:
    """Calls at the service until this ticket's own: a priority ticket passes normal ones at the
    priority ratio; a normal one is passed by the priority tickets still to come (their recent share)."""
    normal_n, priority_n = model.site.policies.priority_ratio
    if pos.priority:
        normals = pos.ahead - pos.priority_ahead
        return pos.priority_ahead + 1 + min(normals, pos.priority_ahead * normal_n / priority_n + 0.5)
    recent = model.delays.get(service) or ()
    share = sum(1 for d in recent if d[2]) / len(recent) if len(recent) >= 5 else 0.0
    share = min(share, priority_n / (normal_n + priority_n))
    return (pos.ahead + 1) / (1 - share)


def feeders(model: "QueueModel", service: str, queued_at: float) -> tuple[tuple[str, float, int], ...]:
    """The services that send visitors to ``service`` (by the share of their last visitors they
    sent here) and how many of their waiting tickets would join ahead of one queued at ``queued_at``
    if sent (``transfer_position`` "original_arrival": those issued before it; "front": all)."""
    position = model.site.policies.transfer_position
    if position == "end":
        return ()
    found = []
    for source, count in model.into.get(service, {}).items():
        queue = model.waiting.get(source)
        if count <= 0 or not queue:
            continue
        before = len(queue) if position == "front" else bisect.bisect_left(queue, ((queued_at, 0),))
        if before:
            found.append((source, count / len(model.sent_on[source]), before))
    return tuple(found)


def queue_length(model: "QueueModel", service: str, pos: Position, now: float) -> float:
    """Queue length with per-counter rates: calls still to come / the service's visits a minute."""
    rate, idle = capacity(model, service)
    k = max(0.0, calls_before(model, service, pos) - idle)
    wait = k / rate if rate else 0.0
    if k and pos.feeders and not pos.priority:
        # visitors transferred in ahead while it waits: at most those waiting there now, at most
        # as fast as those services send them
        inflow = sum(share * capacity(model, source)[0] for source, share, _ in pos.feeders)
        most = sum(share * before for _, share, before in pos.feeders)
        wait = (k + most) / rate
        if inflow < rate:
            wait = min(wait, k / (rate - inflow))
    return max(wait, heavier_heads(model, service, now) - pos.queued_s / 60)


def heavier_heads(model: "QueueModel", service: str, now: float) -> float:
    """Minutes a ticket of ``service`` waits at least when every counter serving it also has other
    services' tickets waiting: a counter calls the head whose wait x weight is the longest, so the
    ticket must first have waited the other head's wait x their weight ratio, or until the counter
    has called the other service's tickets now waiting, whichever comes first."""
    least = math.inf
    for c in model.site.counters:
        mine = next((cs.weight for cs in c.services if cs.service == service), None)
        if mine is None or model.counters[c.id].status != CounterStatus.OPEN:
            continue
        longest = 0.0
        pace = None
        for cs in c.services:
            queue = model.waiting.get(cs.service)
            if cs.service != service and queue:
                if pace is None:
                    pace = counter_minutes(model, c.id, service) * 60
                longest = max(longest, min((now - queue[0][1].queued_at) * cs.weight / mine, len(queue) * pace))
        least = min(least, longest)
    return 0.0 if least is math.inf else least / 60


def last_entered(model: "QueueModel", service: str, pos: Position, now: float) -> float:
    """Last to enter service: what the last ticket of the same class called at this service waited."""
    delays = model.delays.get(service) or ()
    for waited, _ahead, priority in reversed(delays):
        if priority == pos.priority:
            return waited / 60
    return delays[-1][0] / 60 if delays else queue_length(model, service, pos, now)


def delay_history(model: "QueueModel", service: str, pos: Position, now: float) -> float:
    """Recent delay per place: the last calls' waits / their places when they joined, x this place."""
    waited = places = 0.0
    for w, ahead, priority in model.delays.get(service) or ():
        if ahead is not None and priority == pos.priority:
            waited += w
            places += ahead + 1
    if places < 5:
        return queue_length(model, service, pos, now)
    return waited / places / 60 * (pos.ahead + 1)


ESTIMATORS: dict[str, Estimator] = {
    "today": today, "naive": naive, "queue_length": queue_length, "last_entered": last_entered,
    "delay_history": delay_history,
}


# ------------------------------------------------------------------ the range
#: The spread of one visitor's wait around the point.  k calls of counters whose visits have a
#: coefficient of variation CV take a gamma-distributed time of shape k / CV**2 (Erlang(k) in an
#: M/M/s queue: while every counter is busy the calls come as a Poisson stream); the point's own
#: error (paces measured on a few visits, priority and transferred tickets passing ahead, a clerk
#: away) adds a relative spread POINT_ERROR.  The range runs from the LOW_Q to the HIGH_Q quantile.
#: The four were fitted on simulated days of seeds 1-3 (a grid, ``bench/estimate_bench.py
#: --fit``) for the narrowest range that still holds >= 81 % of waits and lets <= 9 % run past it
#: in every people-ahead bucket, then checked on seeds the fit never saw (docs/performance.md).
#: A CV above 1 here is not the visits' own CV: it stands for what makes calls burstier than a
#: Poisson stream (a counter's NEXT after a no-show's two recalls, the sorting office's transfers).
CV = 1.2
POINT_ERROR = 0.15
LOW_Q = 0.10
HIGH_Q = 0.95
_Z = NormalDist()


def gamma_ratio(shape: float, z: float) -> float:
    """The quantile of a gamma law of mean 1 and this shape at normal quantile ``z`` (Wilson and
    Hilferty's cube-root approximation; measured against exact Erlang quantiles at the 10th and
    95th percentiles: within 0.4 % from shape 2 up, 7 % low at shape 1's 10th percentile)."""
    c = 1 / (9 * shape)
    return max(0.0, 1 - c + z * math.sqrt(c)) ** 3


def band(point: float, calls: float, cv: float = CV, point_error: float = POINT_ERROR,
         low_q: float = LOW_Q, high_q: float = HIGH_Q) -> tuple[float, float]:
    """The range around ``point`` (minutes) for a ticket with ``calls`` calls still to come."""
    shape = 1 / (cv * cv / max(1.0, calls) + point_error * point_error)
    return point * gamma_ratio(shape, _Z.inv_cdf(low_q)), point * gamma_ratio(shape, _Z.inv_cdf(high_q))


def estimate(model: "QueueModel", service: str, pos: Position, now: float,
             estimator: Estimator = queue_length) -> Estimate:
    point = estimator(model, service, pos, now)
    low, high = band(point, calls_before(model, service, pos))
    return Estimate(point, low, high)


def whole_minutes(e: Estimate) -> tuple[int, int, int]:
    """What a visitor is told, in whole minutes: the low end rounded down, the high end up (at
    least one minute above the low end), the point rounded and kept inside the range."""
    low = math.floor(e.low)
    high = max(math.ceil(e.high), low + 1)
    return min(max(round(e.point), low), high), low, high


# ------------------------------------------------------------------ what the hub publishes
#: the estimator the hub publishes (docs/decisions.md, "Waiting estimates")
CHOSEN: Estimator = queue_length


def for_ticket(model: "QueueModel", ticket, now: float) -> tuple[int, int, int]:
    """A waiting ticket's wait in whole minutes: (point, low, high)."""
    return whole_minutes(estimate(model, ticket.service, position(model, ticket, now), now, CHOSEN))


def for_newcomer(model: "QueueModel", service: str, now: float) -> tuple[int, int, int]:
    """The wait of a normal ticket taken now at ``service`` (what kiosks and displays show before
    a visitor takes one), in whole minutes: (point, low, high)."""
    queue = model.waiting.get(service, ())
    pos = Position(len(queue), model.priority_waiting.get(service, 0), False, feeders(model, service, now), 0.0)
    return whole_minutes(estimate(model, service, pos, now, CHOSEN))
