"""onestop-report over a month whose first weeks are past the retention (from ``daily_stats``), and
while the hub writes (issue 14)."""

from __future__ import annotations

import csv
import threading

from report_centre import DAY, Centre, next_day
from sites import small_site

from hub.engine import Engine
from hub.store import Store
from report.figures import compute
from report.main import main, make_report
from report.reader import connect, read_period

#: January 2026 from Monday the 5th: 27 days of three visitors; the hub keeps 10 days of tickets
DAYS = [next_day(DAY, i) for i in range(27)]


def rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_a_month_with_its_older_days_from_the_daily_figures(tmp_path):
    centre = Centre(tmp_path, retention_days=10)
    for day in DAYS:
        centre.quick_day(day)
    centre.when(next_day(DAYS[-1]), "08:00")  # the purge of the 1st of February's first tick
    centre.answers([(day, "reception", 1, 2, 1, 3) for day in DAYS[:12] for _ in range(2)])
    centre.close()
    db = connect(centre.path)
    data = read_period(db, "2026-01-01", "2026-01-31")
    db.close()
    kept = sorted({leg.day for leg in data.legs})
    folded = sorted({cell.day for cell in data.cells})
    assert kept[0] == data.kept_from and len(kept) == 10 and folded == DAYS[:17], "the purge did not run"

    out = tmp_path / "reports"
    assert main(["--site", centre.site_file(tmp_path), "--database", str(centre.path), "--month", "2026-01",
                 "--out", str(out)]) == 0
    folder = out / "2026-01"
    by_day = {r["day"]: r for r in rows(folder / "by_day.csv")}
    assert list(by_day) == DAYS, "every day of the month, kept or folded"
    assert all(r["tickets"] == "3" and r["served"] == "3" for r in by_day.values())
    assert {d for d, r in by_day.items() if r["estimated"] == "yes"} == set(folded)
    # waits 10, 40, 70 minutes every day: exact while kept; from the 5-, 15- and 30-minute buckets
    # (10-15, 30-45, 60-90) once folded, so the median is inside 30-45
    assert by_day[kept[0]]["wait_p50_min"] == "40.0"
    assert 30 <= float(by_day[folded[0]]["wait_p50_min"]) <= 45
    total = rows(folder / "summary.csv")[0]
    assert (total["tickets"], total["served"], total["estimated"]) == (str(3 * len(DAYS)), str(3 * len(DAYS)), "yes")
    # one in three waited within reception's 15 minutes, on every day
    assert 30 <= float(total["within_target_pct"]) <= 36
    counters = {r["counter"]: r for r in rows(folder / "by_counter.csv")}
    assert counters["c1"]["called"] == str(3 * len(kept)) and counters["-"]["called"] == str(3 * len(folded))
    page = (folder / "report.en.html").read_text(encoding="utf-8")
    assert f"estimated from the daily figures (days before {kept[0]})" in page
    assert "(older days: no counter kept)" in page
    # the survey by week for a month: two answers a day from the 5th to the 16th (14 in week 2, 10 in
    # week 3), none after: week 4 is suppressed
    weeks = {(r["week"], r["question"]): r for r in rows(folder / "survey_by_week.csv")}
    assert (weeks[("2026-W02", "kindness")]["answers"], weeks[("2026-W03", "kindness")]["answers"]) == ("14", "10")
    assert weeks[("2026-W03", "kindness")]["positive_pct"] == "100.0"
    assert (weeks[("2026-W04", "kindness")]["answers"], weeks[("2026-W04", "kindness")]["suppressed"]) == ("0", "yes")
    assert weeks[("*", "mediator")]["positive_pct"] == "0.0" and weeks[("*", "mediator")]["answers"] == "24"
    assert "Relationship with the mediator" in page


def test_reading_while_the_hub_writes(tmp_path):
    """The hub's engine issues and serves tickets in its own thread on its own connection while
    reports are made again and again: the hub is never refused (locked) and every report sees a
    consistent day (each ticket once)."""
    centre = Centre(tmp_path)
    centre.when(DAY, "09:00")
    stop = threading.Event()
    failures: list = []
    issued = [0]

    def hub():
        try:
            while not stop.is_set() and issued[0] < 20000:
                centre.issue()
                issued[0] += 1
                centre.clock.advance(5)
                if issued[0] % 3 == 0:
                    centre.do("counter-1", "call_next")
        except Exception as exc:  # noqa: BLE001 - the test reports it
            failures.append(exc)

    writer = threading.Thread(target=hub)
    writer.start()
    seen = []
    try:
        while writer.is_alive() and len(seen) < 6:
            files = make_report(centre.path, centre.site, DAY, DAY, tmp_path / "out" / DAY, centre.clock.now(),
                                languages=("en",))
            total = rows(next(p for p in files if p.name == "summary.csv"))[0]
            seen.append(int(total["tickets"]))
    finally:
        stop.set()
        writer.join()
    assert not failures, failures
    assert len(seen) >= 3 and seen == sorted(seen) and seen[0] < seen[-1], f"not read while written: {seen}"
    make_report(centre.path, centre.site, DAY, DAY, tmp_path / "out" / DAY, centre.clock.now(), languages=("en",))
    assert rows(tmp_path / "out" / DAY / "summary.csv")[0]["tickets"] == str(issued[0])
    centre.close()


class _Fetched:
    def __init__(self, rows):
        self.rows = rows

    def fetchall(self):
        return self.rows


class PurgeAfterTheLegs:
    """The report's connection, with the hub's purge committed right after the tickets' query:
    the worst moment for a reader that did not hold one snapshot."""

    def __init__(self, db, purge):
        self.db, self.purge = db, purge

    def execute(self, sql, *args):
        cursor = self.db.execute(sql, *args)
        if "FROM legs" in sql:
            rows = cursor.fetchall()
            self.purge()
            return _Fetched(rows)
        return cursor


def test_a_purge_while_reading_counts_every_ticket_once(tmp_path):
    centre = Centre(tmp_path)
    days = DAYS[:8]
    for day in days:
        centre.quick_day(day)
    data = dict(centre.data, site=dict(centre.data["site"], retention_days=2))
    purger = Engine(small_site(data), Store(centre.path), centre.clock)
    folded = []
    db = connect(centre.path)
    try:
        during = read_period(PurgeAfterTheLegs(db, lambda: folded.append(purger.purge(centre.clock.now()))),
                             days[0], days[-1])
        after = read_period(db, days[0], days[-1])
    finally:
        db.close()
        purger.store.close()
        centre.close()
    assert folded and folded[0] > 0, "the purge folded nothing: the test would prove nothing"
    assert len(during.legs) == 3 * len(days) and during.cells == [], "the read saw the purge half-way"
    assert len({cell.day for cell in after.cells}) >= 5
    for data_ in (during, after):
        figures = compute(data_, {"reception": 15}, "Europe/Lisbon")
        assert figures.total.tickets == 3 * len(days)
