"""The chosen waiting estimate still meets issue 15's targets on simulated busy days.

Four days of the CNAI Lisboa example (``hub.simulate``: 1,192 visitors, the sorting office passing
most of them on, no-shows, priority tickets) through the real engine with a fake clock, on seeds
the estimator's range was never fitted on (the fit used seeds 1-3: ``bench/estimate_bench.py
--fit``): exponential visits, lognormal visits (CV 1), and each of them with a clerk away for 30
minutes without pressing PAUSE.  About 30 s of CPU.  The full comparison of every estimator over
more seeds is ``bench/estimate_bench.py`` (docs/performance.md).
"""

from __future__ import annotations

import statistics

import pytest

from hub import estimate
from hub.simulate import (BUCKETS, MAX_OVERRUN, MAX_RATIO, MIN_COVERAGE, Assumptions, Pause, Score, narrowest, score,
                          shown, simulate_day)
from siteconf import EXAMPLE_SITE, load_site

DAYS = [
    (Assumptions(law="exponential"), 101),
    (Assumptions(law="lognormal", cv=1.0), 102),
    # immigration's busier counter, in the morning peak
    (Assumptions(law="exponential", pause=Pause(30, counter="desk-04", at="10:30")), 103),
    (Assumptions(law="lognormal", cv=1.0, pause=Pause(30)), 104),  # a counter and a time the seed draws
]
#: a service with fewer scored tickets over the four days is judged with the other small ones
#: (a share of 80 % over 150 tickets is known within about +-3 points)
MIN_TICKETS = 150
ESTIMATORS = {"chosen": estimate.CHOSEN, "today": estimate.today, "naive": estimate.naive}


@pytest.fixture(scope="module")
def days():
    site = load_site(EXAMPLE_SITE)
    return [simulate_day(site, assumptions, seed, ESTIMATORS) for assumptions, seed in DAYS]


def test_the_days_are_as_busy_as_assumed(days):
    for day in days:
        assert abs(day.visitors - 1192) < 4 * 1192 ** 0.5  # Poisson arrivals around the day's 1,192
        triage = [j for j in day.joins if j.service == "triage"]
        assert 0.45 < len(triage) / day.visitors < 0.65
        assert len(day.joins) - day.visitors > 0.7 * len(triage)  # most of them joined a second queue
        assert sum(j.no_show for j in day.joins) > 0 and sum(j.priority for j in day.joins) > 0
        assert all(j.called_at is not None for j in day.joins)  # the counters stay until the last one
    paused = days[2].pause
    assert paused is not None and paused[0] == "desk-04" and days[3].pause is not None


def test_the_hub_published_what_the_chosen_estimator_said(days):
    for day in days:
        for join in day.joins:
            assert join.sent == shown(join.said["chosen"]), join.code


def test_the_range_holds_for_every_service(days):
    _, services, _ = score(days, "chosen")
    small = Score()
    failures = []
    for service, part in sorted(services.items()):
        if part.n < MIN_TICKETS:
            small.merge(part)
            continue
        if part.coverage < MIN_COVERAGE or part.overrun > MAX_OVERRUN:
            failures.append(f"{service}: {part.coverage:.0%} in the range, {part.overrun:.0%} later (n={part.n})")
    if small.n:
        if small.coverage < MIN_COVERAGE or small.overrun > MAX_OVERRUN:
            failures.append(f"small services: {small.coverage:.0%} in the range, {small.overrun:.0%} later")
    assert not failures, failures


def test_the_range_holds_however_many_are_ahead(days):
    _, _, buckets = score(days, "chosen")
    failures = [f"{lo}-{hi} ahead: {part.coverage:.0%} in the range, {part.overrun:.0%} later (n={part.n})"
                for (lo, hi), part in sorted(buckets.items())
                if part.coverage < MIN_COVERAGE or part.overrun > MAX_OVERRUN]
    assert not failures, failures


def test_the_point_beats_todays_estimate_and_the_naive_one_every_day(days):
    for day in days:
        chosen, today, naive = (score([day], name)[0].mae for name in ("chosen", "today", "naive"))
        assert chosen < today and chosen < naive, (day.seed, chosen, today, naive)


def test_the_range_is_no_wider_than_it_needs_to_be(days):
    """Issue 15 asks for a median upper/lower of at most 2.0 once 5 or more are ahead.  With 5-19
    ahead no range holding 80 % of waits is that narrow, even around a perfect point (k calls of
    exponential visits take an Erlang(k) time: its 10th-90th percentile ratio is 2.9 at k = 6,
    2.3 at k = 10, 2.0 at k = 14): there, the range (before whole minutes, which widen short
    ranges by up to a minute at each end: the bench reports both) must be within 10 % of the
    narrowest a constant pair of factors fitted on these very waits could be.  With 40 or more
    ahead, the published whole minutes meet 2.0."""
    scored = [j for day in days for j in day.joins if j.called_at is not None and not j.no_show]
    for lo, hi in BUCKETS:
        if lo < 5:
            continue
        joins = [j for j in scored if lo <= j.ahead <= hi]
        if lo >= 40:
            published = statistics.median(high / max(low, 1) for _, low, high in (shown(j.said["chosen"]) for j in joins))
            assert published <= MAX_RATIO, (lo, hi, published)
        ranges = [j.said["chosen"] for j in joins]
        median = statistics.median(high / low for _, low, high in ranges if low > 0)
        bound = narrowest([j.waited_min / j.said["chosen"][0] for j in joins if j.said["chosen"][0] > 0])
        assert median <= 1.1 * bound, (lo, hi, median, bound)
