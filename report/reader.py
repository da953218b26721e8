"""Reading the hub's database while the hub runs: read-only, one short snapshot, plain SQL.

The hub writes in WAL mode (``hub/store.py``), so a reader never blocks it and is never blocked by
it: the report opens the file with SQLite's read-only URI (``mode=ro``, ``query_only``), reads
everything it needs inside one deferred transaction (one WAL snapshot: a purge committed meanwhile
is seen either wholly or not at all, so a day is never counted twice or lost between the
``tickets`` and the ``daily_stats`` query) and ends it as soon as the rows are fetched (they are
parsed after it).  A busy month (18,000 stays kept, 17,000 daily figures) holds the snapshot for
0.23 s on the development machine (``bench/report_bench.py``, docs/performance.md), so the hub's WAL
checkpoint waits that long at most.

The queries are plain SQL (no SQLite functions, no JSON operators, no date arithmetic): the JSON
columns and the percentiles are worked out in Python (``report.figures``), so the same text runs on
PostgreSQL once the central store exists (only the parameter mark differs: ``PARAM``).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

#: the DB-API parameter mark (sqlite3: "?"; psycopg: "%s")
PARAM = "?"

LEGS_SQL = ("SELECT t.service_day, l.service, l.seq = 1, t.language, t.priority, t.status, l.joined_at, "
            "l.called_at, l.counter, l.ended_at, l.outcome FROM legs l JOIN tickets t ON t.id = l.ticket_id "
            "WHERE t.service_day >= {p} AND t.service_day <= {p}")
STATS_SQL = ("SELECT service_day, service, hour, language, priority, legs, {tickets}, outcomes, wait_hist, "
             "wait_sum_s, service_hist, service_sum_s FROM daily_stats WHERE service_day >= {p} AND "
             "service_day <= {p}")
SURVEY_SQL = ("SELECT service_day, service, hours, space, kindness, mediator FROM survey_answers "
              "WHERE service_day >= {p} AND service_day <= {p}")
KEPT_SQL = "SELECT value FROM meta WHERE key = 'purged_before'"


class ReportError(Exception):
    """A problem the person running the report can fix; the message says what and how."""


@dataclass(frozen=True)
class LegRecord:
    """One stay of a ticket in a service, as the hub recorded it (times in Unix seconds)."""

    day: str
    service: str
    first: bool
    language: str
    priority: bool
    voided: bool
    joined_at: float
    called_at: float | None
    counter: str | None
    ended_at: float | None
    outcome: str | None


@dataclass(frozen=True)
class StatCell:
    """One ``daily_stats`` row: the figures kept of a day older than the retention."""

    day: str
    service: str
    hour: int
    language: str
    priority: bool
    legs: int
    #: None: folded before the figures counted tickets (an older hub)
    tickets: int | None
    outcomes: dict
    wait_hist: list
    wait_sum_s: float
    service_hist: list
    service_sum_s: float


@dataclass(frozen=True)
class Answer:
    """One answered survey: 1 (very satisfied...) to 4 (not at all), None when skipped."""

    day: str
    service: str
    hours: int | None
    space: int | None
    kindness: int | None
    mediator: int | None


@dataclass
class PeriodData:
    first: str
    last: str
    legs: list[LegRecord] = field(default_factory=list)
    cells: list[StatCell] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    #: False when the database has no survey table yet
    survey_table: bool = True
    #: the first service day whose tickets are still kept (None: nothing purged yet)
    kept_from: str | None = None


def connect(path: str | Path) -> sqlite3.Connection:
    """The hub's database, read-only; ReportError when it is missing or not a hub database."""
    path = Path(path)
    if not path.exists():
        raise ReportError(f"database: {path} does not exist (the hub's is named by `database` in "
                          "/etc/onestop/device.toml, by default /var/lib/onestop/hub.sqlite3)")
    if not path.is_file():
        raise ReportError(f"database: {path} is not a file; name the hub's database file")
    try:
        db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=10,
                             isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA query_only = ON")
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise ReportError(f"database: {path}: {exc} (not a hub database? restore the hub's file)") from None
    missing = {"tickets", "legs", "daily_stats", "meta"} - tables
    if missing:
        db.close()
        raise ReportError(f"database: {path} is not a hub database (no table {', '.join(sorted(missing))})")
    return db


def read_period(db, first: str, last: str) -> PeriodData:
    """Everything the report needs of service days ``first`` to ``last`` (ISO dates), in one snapshot."""
    data = PeriodData(first, last)
    p = PARAM
    args = (first, last)
    try:
        # only fetching inside the snapshot; the rows are turned into records (JSON parsed) after it
        db.execute("BEGIN")
        try:
            stats_columns = {d[0] for d in db.execute("SELECT * FROM daily_stats WHERE 1 = 0").description}
            tickets = "tickets" if "tickets" in stats_columns else "NULL"
            row = db.execute(KEPT_SQL).fetchone()
            data.kept_from = row[0] if row else None
            legs = db.execute(LEGS_SQL.format(p=p), args).fetchall()
            cells = db.execute(STATS_SQL.format(p=p, tickets=tickets), args).fetchall()
            # last, so that a missing table (an older hub) spoils no earlier query on PostgreSQL either
            try:
                answers = db.execute(SURVEY_SQL.format(p=p), args).fetchall()
            except sqlite3.OperationalError as exc:
                if "no such table" not in str(exc):
                    raise
                answers, data.survey_table = [], False
        finally:
            db.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise ReportError(f"database: cannot read it: {exc}") from None
    try:
        data.legs = [LegRecord(day, service, bool(first_), language, bool(priority), status == "voided",
                               joined, called, counter, ended, "voided" if status == "voided" else outcome)
                     for day, service, first_, language, priority, status, joined, called, counter, ended,
                     outcome in legs]
        data.cells = [StatCell(day, service, int(hour), language, bool(priority), n_legs, n, json.loads(outcomes),
                               json.loads(wait_hist), wait_sum, json.loads(service_hist), service_sum)
                      for day, service, hour, language, priority, n_legs, n, outcomes, wait_hist, wait_sum,
                      service_hist, service_sum in cells]
        data.answers = [Answer(*row) for row in answers]
    except (ValueError, TypeError) as exc:  # a daily_stats row whose JSON is not the hub's
        raise ReportError(f"database: a daily figure cannot be read ({exc}); restore the hub's file") from None
    return data
