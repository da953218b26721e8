"""A period's figures, from the hub's records and its daily figures: pure (data in, tables out).

Each row of each table (per service, counter, hour, language, day, and the whole centre) is a
``Stat``: counts of stays ("legs") by outcome, the tickets issued, waiting and service times.
Times are exact while the tickets are kept: percentiles are the linear interpolation between the
two nearest measured waits (``statistics.quantiles``' "inclusive" method, what a spreadsheet's
PERCENTILE.INC gives).  A day older than the retention has only ``daily_stats``' histograms (buckets
ending at 5, 10, 15, 20, 30, 45, 60, 90, 120, 180 and 240 minutes), so a group that holds such a day
gets its percentiles and its share within the target by linear interpolation inside the buckets, and
is marked approximate (``Stat.approx``): at the 5-minute edges of short waits that is within 2.5
minutes.  Percentiles are worked out here, not in SQL, because neither SQLite nor a portable SQL has
them (PostgreSQL's ``percentile_cont`` is not in SQLite).

What each count means (the report's notes say the same):

* a **leg** is one stay of a ticket in one service's queue: a transfer ends one leg (``transferred``)
  and opens another at the next service; outcomes are per leg;
* **tickets** are the legs that were a ticket's first (the tickets issued for that service, hour or
  language); **visitors** are the tickets that were not voided (a voided ticket was a fake one);
* **waiting** runs from joining the queue to the (first) call, over the legs that were called;
  **service** from the call to the end of a leg that finished; the **share within target** is of the
  called legs of services with a ``target_wait_min``, each judged by its own service's target.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hub.retention import BUCKET_EDGES_MIN, OUTCOMES

from .reader import LegRecord, PeriodData, StatCell

#: a counter the daily figures do not keep
NO_COUNTER = "-"


@dataclass
class Stat:
    legs: int = 0
    tickets: int = 0
    visitors: int = 0
    called: int = 0
    outcomes: dict = field(default_factory=lambda: {o: 0 for o in OUTCOMES})
    #: exact seconds (kept tickets) and bucket counts (older days)
    waits: list = field(default_factory=list)
    wait_hist: list = field(default_factory=lambda: [0] * (len(BUCKET_EDGES_MIN) + 1))
    wait_sum_s: float = 0.0
    services: list = field(default_factory=list)
    service_hist: list = field(default_factory=lambda: [0] * (len(BUCKET_EDGES_MIN) + 1))
    service_sum_s: float = 0.0
    #: called legs of services with a target, and how many of them within it (a float when estimated)
    target_n: int = 0
    within: float = 0.0
    approx: bool = False

    # ---------------------------------------------------------------- adding
    def add_leg(self, leg: LegRecord, target_min: float | None) -> None:
        self.legs += 1
        self.tickets += leg.first
        self.visitors += leg.first and not leg.voided
        outcome = leg.outcome or "open"
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if leg.called_at is not None:
            self.called += 1
            waited = max(0.0, leg.called_at - leg.joined_at)
            self.waits.append(waited)
            self.wait_sum_s += waited
            if target_min is not None:
                self.target_n += 1
                self.within += waited <= target_min * 60
            if outcome == "finished" and leg.ended_at is not None:
                served = max(0.0, leg.ended_at - leg.called_at)
                self.services.append(served)
                self.service_sum_s += served

    def add_cell(self, cell: StatCell, prepared: tuple) -> None:
        """A ``daily_stats`` row; ``prepared`` is ``prepare(cell, target)``, worked out once for the
        six tables the row goes into (a month's 17,000 rows took 2 s more without it)."""
        tickets, visitors, called, within, has_target = prepared
        self.approx = True
        self.legs += cell.legs
        self.tickets += tickets
        self.visitors += visitors
        for outcome, n in cell.outcomes.items():
            if n:
                self.outcomes[outcome] = self.outcomes.get(outcome, 0) + n
        self.called += called
        for hist, add in ((self.wait_hist, cell.wait_hist), (self.service_hist, cell.service_hist)):
            for i, n in enumerate(add):
                if n:
                    hist[i] += n
        self.wait_sum_s += cell.wait_sum_s
        self.service_sum_s += cell.service_sum_s
        if has_target:
            self.target_n += called
            self.within += within

    # ---------------------------------------------------------------- reading
    def wait_min(self, q: float) -> float | None:
        return quantile_min(self.waits, self.wait_hist, q)

    def service_min(self, q: float) -> float | None:
        return quantile_min(self.services, self.service_hist, q)

    @property
    def wait_mean_min(self) -> float | None:
        return self.wait_sum_s / 60 / self.called if self.called else None

    @property
    def served(self) -> int:
        return self.outcomes.get("finished", 0)

    @property
    def service_mean_min(self) -> float | None:
        n = len(self.services) + sum(self.service_hist)
        return self.service_sum_s / 60 / n if n else None

    @property
    def within_pct(self) -> float | None:
        return 100 * self.within / self.target_n if self.target_n else None


def prepare(cell: StatCell, target_min: float | None) -> tuple:
    """(tickets, visitors, called, called within the target, has a target) of a ``daily_stats`` row."""
    voided = cell.outcomes.get("voided", 0)
    # an older hub's figures have no ticket count: every leg that was not a transfer's
    tickets = cell.tickets if cell.tickets is not None else cell.legs - cell.outcomes.get("transferred", 0)
    called = sum(cell.wait_hist)
    has_target = target_min is not None and called > 0
    within = share_below(cell.wait_hist, target_min) * called if has_target else 0.0
    return tickets, max(0, tickets - voided), called, within, has_target


def quantile_min(exact_s: list, hist: list, q: float) -> float | None:
    """The ``q`` quantile (0..1) in minutes of exact times plus a histogram of older ones."""
    if not any(hist):
        if not exact_s:
            return None
        ordered = sorted(exact_s)
        pos = q * (len(ordered) - 1)
        low = int(pos)
        high = min(low + 1, len(ordered) - 1)
        return (ordered[low] + (ordered[high] - ordered[low]) * (pos - low)) / 60
    merged = list(hist)
    for seconds in exact_s:
        merged[bisect.bisect_right(BUCKET_EDGES_MIN, seconds / 60)] += 1
    return hist_quantile(merged, q)


def hist_quantile(hist: list, q: float) -> float:
    """Linear interpolation inside the bucket where the ``q`` share is reached; the open last bucket
    answers its lower edge (240 minutes: "at least")."""
    total = sum(hist)
    want = q * total
    seen = 0
    for i, n in enumerate(hist):
        if n and seen + n >= want:
            low = BUCKET_EDGES_MIN[i - 1] if i else 0
            if i == len(BUCKET_EDGES_MIN):
                return float(low)
            return low + (BUCKET_EDGES_MIN[i] - low) * max(0.0, want - seen) / n
        seen += n
    return float(BUCKET_EDGES_MIN[-1])


def share_below(hist: list, minutes: float) -> float:
    """The share of a histogram's times of at most ``minutes`` (linear inside the bucket)."""
    total = sum(hist)
    if not total:
        return 0.0
    below = 0.0
    for i, n in enumerate(hist):
        low = BUCKET_EDGES_MIN[i - 1] if i else 0
        high = BUCKET_EDGES_MIN[i] if i < len(BUCKET_EDGES_MIN) else None
        if high is not None and minutes >= high:
            below += n
        elif minutes > low and high is not None:
            below += n * (minutes - low) / (high - low)
    return below / total


# ---------------------------------------------------------------------------- the report's tables
DIMENSIONS = ("service", "counter", "hour", "language", "day")


@dataclass
class Figures:
    first: str
    last: str
    total: Stat
    #: dimension -> {key: Stat}, keys sorted as the tables show them
    tables: dict
    #: days of the period whose tickets were gone (figures from daily_stats)
    aggregated_days: list
    kept_from: str | None


def compute(data: PeriodData, targets: dict, timezone_name: str) -> Figures:
    """The period's tables; ``targets`` maps each service of the site file, in its order, to its
    ``target_wait_min`` (or None)."""
    tz = ZoneInfo(timezone_name)
    tables = {d: {} for d in DIMENSIONS}
    total = Stat()

    def stats(keys):
        yield total
        for dim, key in keys:
            stat = tables[dim].get(key)
            if stat is None:  # not setdefault: a new Stat for every row cost a month's report 1 s
                stat = tables[dim][key] = Stat()
            yield stat

    for leg in data.legs:
        hour = datetime.fromtimestamp(leg.joined_at, timezone.utc).astimezone(tz).hour
        keys = [("service", leg.service), ("hour", hour), ("language", leg.language), ("day", leg.day)]
        if leg.counter is not None:
            keys.append(("counter", leg.counter))
        for stat in stats(keys):
            stat.add_leg(leg, targets.get(leg.service))
    for cell in data.cells:
        keys = [("service", cell.service), ("hour", cell.hour), ("language", cell.language), ("day", cell.day)]
        if any(cell.wait_hist):
            keys.append(("counter", NO_COUNTER))
        prepared = prepare(cell, targets.get(cell.service))
        for stat in stats(keys):
            stat.add_cell(cell, prepared)
    detail_days = {leg.day for leg in data.legs}
    aggregated = sorted({cell.day for cell in data.cells} - detail_days)
    # services in the site file's order (``targets`` is made from it), any it no longer has after them
    order = {service: i for i, service in enumerate(targets)}
    for dim in DIMENSIONS:
        key = {"hour": lambda kv: kv[0], "service": lambda kv: (order.get(kv[0], len(order)), kv[0])}.get(
            dim, lambda kv: str(kv[0]))
        tables[dim] = dict(sorted(tables[dim].items(), key=key))
    return Figures(data.first, data.last, total, tables, aggregated, data.kept_from)


# ---------------------------------------------------------------------------- periods
def days_of(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
