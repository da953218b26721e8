"""Keeping what the site promises and no more: anonymous daily figures, then forgetting.

A ticket's record (code, services, language, priority, kiosk, times) is kept for the site's
``retention_days`` (site file, 90 by default).  Then the daily purge folds it into
``daily_stats``, one row per (service day, service, hour joined, language, class) holding counts
by outcome and histograms of the waiting and service times, and deletes the tickets, their legs
and events, the check-ins and the stored replies of that day.  The figures are kept for
``aggregate_retention_years``.  One ticket's record can also be erased on request (folded first,
so the day's figures stay right), which is audited.

The audit table (what operators did: void, erase, a counter's languages, a service's state, the
ticker, a call to a named counter) names the staff account that acted (issue 17), so it is personal
data of the staff with a retention of its own, ``AUDIT_RETENTION_DAYS``, not the figures' years.

``fold`` is pure: legs in, per-key figures out; ``Store`` does the SQL.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime

#: upper edges of the histogram buckets, in minutes; the last bucket is everything longer
BUCKET_EDGES_MIN = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240)
#: days an audit entry is kept (docs/privacy.md): a year, so a complaint, a dispute over a voided or
#: erased ticket or the yearly review of who changed what can still be answered; then it is deleted
AUDIT_RETENTION_DAYS = 365
OUTCOMES = ("finished", "no_show", "cancelled", "transferred", "expired", "voided", "open")


def bucket(minutes: float) -> int:
    return bisect.bisect_right(BUCKET_EDGES_MIN, minutes)


@dataclass
class Figures:
    """The anonymous figures of one (day, service, hour, language, class) cell."""

    legs: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: {o: 0 for o in OUTCOMES})
    #: waited from joining the queue to being called (called legs only)
    wait_hist: list[int] = field(default_factory=lambda: [0] * (len(BUCKET_EDGES_MIN) + 1))
    wait_sum_s: float = 0.0
    #: from the call to the end of a finished leg
    service_hist: list[int] = field(default_factory=lambda: [0] * (len(BUCKET_EDGES_MIN) + 1))
    service_sum_s: float = 0.0
    #: legs that were their ticket's first (the tickets issued; the rest came by transfer): the
    #: reports' tickets per service once the tickets themselves are gone
    tickets: int = 0

    def add(self, other: "Figures") -> "Figures":
        self.legs += other.legs
        self.tickets += other.tickets
        for outcome, n in other.outcomes.items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + n
        self.wait_hist = [a + b for a, b in zip(self.wait_hist, other.wait_hist)]
        self.service_hist = [a + b for a, b in zip(self.service_hist, other.service_hist)]
        self.wait_sum_s += other.wait_sum_s
        self.service_sum_s += other.service_sum_s
        return self


@dataclass(frozen=True)
class LegRow:
    service_day: str
    service: str
    joined_at: float
    language: str
    priority: bool
    called_at: float | None
    ended_at: float | None
    outcome: str | None
    #: the ticket's first leg (not a transfer's)
    first: bool = False


Key = tuple[str, str, int, str, int]  # service day, service, hour, language, priority (0/1)


def fold(legs, local: "callable[[float], datetime]") -> dict[Key, Figures]:
    """Sum legs into anonymous cells; ``local`` turns a Unix time into the site's local time."""
    cells: dict[Key, Figures] = {}
    for leg in legs:
        key = (leg.service_day, leg.service, local(leg.joined_at).hour, leg.language, int(bool(leg.priority)))
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = Figures()
        cell.legs += 1
        cell.tickets += int(bool(leg.first))
        outcome = leg.outcome or "open"
        cell.outcomes[outcome] = cell.outcomes.get(outcome, 0) + 1
        if leg.called_at is not None:
            waited = max(0.0, leg.called_at - leg.joined_at)
            cell.wait_hist[bucket(waited / 60)] += 1
            cell.wait_sum_s += waited
            if outcome == "finished" and leg.ended_at is not None:
                served = max(0.0, leg.ended_at - leg.called_at)
                cell.service_hist[bucket(served / 60)] += 1
                cell.service_sum_s += served
    return cells
