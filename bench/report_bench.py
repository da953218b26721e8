"""How long onestop-report takes for a month of a busy centre (issue 14).

    .venv/bin/python bench/report_bench.py                 # 31 busy days, 21 of them folded (~1 min)
    .venv/bin/python bench/report_bench.py --kept-days 31  # none folded: every ticket still kept

The month is the simulated busy day of ``report.demo`` (the CNAI example, 1,155 tickets, 1,665 stays,
through the real engine) copied to every day of March 2026 with its times shifted; then the real
engine's retention purge folds the days older than ``--kept-days`` into ``daily_stats``, as a hub
with that ``retention_days`` would have at the start of April.  It prints the database's rows, then
the time the read snapshot is held (what the hub's WAL checkpoint waits for), of the read with its
records, of the figures, and of the whole report
(read, figures, CSV, eight charts, two HTML pages), best and median of ``--runs``, and the peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.clock import FakeClock, SiteTime  # noqa: E402
from hub.engine import Engine  # noqa: E402
from hub.simulate import DAY  # noqa: E402
from hub.store import TICKET_COLUMNS, Store  # noqa: E402
from report.demo import simulate_into  # noqa: E402
from report.figures import compute  # noqa: E402
from report.main import make_report  # noqa: E402
from report.reader import LEGS_SQL, PARAM, STATS_SQL, SURVEY_SQL, connect, read_period  # noqa: E402

FIRST, LAST = "2026-03-01", "2026-03-31"


def month_database(path: Path, kept_days: int):
    site = simulate_into(path)
    db = sqlite3.connect(path)
    tickets = db.execute(f"SELECT {', '.join(TICKET_COLUMNS)} FROM tickets").fetchall()
    legs = db.execute("SELECT ticket_id, seq, service, joined_at, called_at, counter, ended_at, outcome FROM legs").fetchall()
    answers = db.execute("SELECT service_day, service, hours, space, kindness, mediator FROM survey_answers").fetchall()
    db.execute("DELETE FROM legs")
    db.execute("DELETE FROM tickets")
    db.execute("DELETE FROM survey_answers")
    step = max(t[0] for t in tickets) + 1
    ix = {c: i for i, c in enumerate(TICKET_COLUMNS)}
    times = [ix[c] for c in ("issued_at", "queued_at", "called_at", "finished_at", "head_at", "appointment_at")
             if c in ix]
    start = date.fromisoformat(DAY)
    for k, day in enumerate(date.fromisoformat(FIRST) + timedelta(days=i) for i in range(31)):
        shift = (day - start).days * 86400.0
        rows = []
        for t in tickets:
            row = list(t)
            row[ix["id"]] += k * step
            row[ix["ref"]] = f"{row[ix['ref']]}-{k}"
            row[ix["service_day"]] = day.isoformat()
            for i in times:
                if row[i] is not None:
                    row[i] += shift
            rows.append(row)
        db.executemany(f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) VALUES ({', '.join('?' * len(TICKET_COLUMNS))})",
                       rows)
        db.executemany("INSERT INTO legs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       [(tid + k * step, seq, svc, j + shift, None if c is None else c + shift, counter,
                         None if e is None else e + shift, outcome)
                        for tid, seq, svc, j, c, counter, e, outcome in legs])
        db.executemany("INSERT INTO survey_answers VALUES (?, ?, ?, ?, ?, ?)",
                       [(day.isoformat(), *a[1:]) for a in answers])
    db.commit()
    db.close()
    site = site.model_copy(update={"site": site.site.model_copy(update={"retention_days": kept_days})})
    april = SiteTime(site.site.timezone).day_start("2026-04-01") + 3600
    engine = Engine(site, Store(path), FakeClock(april))
    while engine.purge(april):
        pass
    engine.store.close()
    return site


def timed(fn, runs: int) -> tuple[float, float]:
    seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - t0)
    return min(seconds), statistics.median(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kept-days", type=int, default=10, help="retention_days of the hub (default 10)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hub.sqlite3"
        t0 = time.perf_counter()
        site = month_database(path, args.kept_days)
        print(f"database made in {time.perf_counter() - t0:.0f} s: {path.stat().st_size / 1e6:.1f} MB")
        db = connect(path)
        data = read_period(db, FIRST, LAST)
        print(f"{LAST[:7]}: {len(data.legs)} stays kept ({len({leg.day for leg in data.legs})} days), "
              f"{len(data.cells)} daily_stats rows ({len({c.day for c in data.cells})} days), "
              f"{len(data.answers)} survey answers")
        def snapshot():  # what read_period does inside its transaction: the hub's checkpoint waits for it
            db.execute("BEGIN")
            for sql in (LEGS_SQL, STATS_SQL.replace("{tickets}", "tickets"), SURVEY_SQL):
                db.execute(sql.format(p=PARAM), (FIRST, LAST)).fetchall()
            db.execute("COMMIT")

        held = timed(snapshot, args.runs)
        read = timed(lambda: read_period(db, FIRST, LAST), args.runs)
        db.close()
        targets = {s.id: s.target_wait_min for s in site.services}
        figures = timed(lambda: compute(data, targets, site.site.timezone), args.runs)
        whole = timed(lambda: make_report(path, site, FIRST, LAST, Path(tmp) / "out" / "2026-03", time.time()),
                      args.runs)
        day = timed(lambda: make_report(path, site, LAST, LAST, Path(tmp) / "out" / LAST, time.time()), args.runs)
        for name, (best, median) in (("a day's report (the timer's)", day), ("snapshot held", held), ("read (records)", read), ("figures", figures),
                                     ("whole report (pt, en)", whole)):
            print(f"  {name:30s} best {best:6.2f} s   median {median:6.2f} s")
        print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
