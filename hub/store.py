"""SQLite persistence of the hub: the durable record of every ticket and event.

WAL mode with ``synchronous=FULL``: a commit is on disk (fsync of the WAL)
before the hub answers, so a power cut after a reply never loses a ticket.
Nothing is wiped at day end: tickets, their legs (one per service stay) and
the event log are history for reports.  The hub batches the requests that
arrive together into one transaction (group commit), which is what makes
thousands of durable issues per second possible on an SD card.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from contract.messages import CounterStatus, TicketStatus

from .queues import CounterState, Leg, QueueModel, Ticket
from .retention import Figures, LegRow

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL,
    service_day TEXT NOT NULL,
    service TEXT NOT NULL,
    first_service TEXT NOT NULL,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL,
    language TEXT NOT NULL,
    source TEXT NOT NULL,
    issued_at REAL NOT NULL,
    queued_at REAL NOT NULL,
    counter TEXT,
    called_at REAL,
    recalls INTEGER NOT NULL DEFAULT 0,
    finished_at REAL,
    head_at REAL,
    appointment_at REAL,
    passed_over_s REAL,
    own_language INTEGER,
    UNIQUE (service_day, code)
);
CREATE INDEX IF NOT EXISTS tickets_day ON tickets (service_day, status);
CREATE TABLE IF NOT EXISTS legs (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    seq INTEGER NOT NULL,
    service TEXT NOT NULL,
    joined_at REAL NOT NULL,
    called_at REAL,
    counter TEXT,
    ended_at REAL,
    outcome TEXT,
    PRIMARY KEY (ticket_id, seq)
);
CREATE INDEX IF NOT EXISTS legs_service ON legs (service, ended_at);
CREATE TABLE IF NOT EXISTS sequences (
    prefix TEXT NOT NULL, service_day TEXT NOT NULL, last INTEGER NOT NULL,
    PRIMARY KEY (prefix, service_day)
);
CREATE TABLE IF NOT EXISTS counters (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, current INTEGER, cycle_pos INTEGER NOT NULL, languages TEXT
);
CREATE TABLE IF NOT EXISTS requests (
    device TEXT NOT NULL, request_id TEXT NOT NULL, action TEXT NOT NULL,
    reply BLOB NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (device, request_id)
);
CREATE INDEX IF NOT EXISTS requests_at ON requests (at);
CREATE TABLE IF NOT EXISTS appointments (
    code TEXT PRIMARY KEY, day TEXT NOT NULL, service TEXT NOT NULL, slot TEXT,
    checked_in_at REAL, ticket_id INTEGER
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL, correlation BLOB,
    kind TEXT NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS daily_stats (
    service_day TEXT NOT NULL, service TEXT NOT NULL, hour INTEGER NOT NULL, language TEXT NOT NULL,
    priority INTEGER NOT NULL, legs INTEGER NOT NULL, outcomes TEXT NOT NULL,
    wait_hist TEXT NOT NULL, wait_sum_s REAL NOT NULL, service_hist TEXT NOT NULL, service_sum_s REAL NOT NULL,
    tickets INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (service_day, service, hour, language, priority)
);
-- what operators did (void, erase, a counter's languages, a service's state, the ticker, a call to a
-- counter; issue 17): who is the broker identity (supervisor.console, technician.hub, a counter),
-- staff the person logged in to the console; args the request's fields, outcome ok or the refusal
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
    reason TEXT NOT NULL, detail TEXT NOT NULL
);
-- the kiosk survey's answers (issue 14): service and day only, no ticket and no finer time; each
-- answer 1 (very satisfied, very adequate...) to 4 (not at all), NULL when skipped
CREATE TABLE IF NOT EXISTS survey_answers (
    service_day TEXT NOT NULL, service TEXT NOT NULL,
    hours INTEGER, space INTEGER, kindness INTEGER, mediator INTEGER
);
CREATE TABLE IF NOT EXISTS events (
    rev INTEGER PRIMARY KEY, seq INTEGER NOT NULL, zone TEXT NOT NULL, type TEXT NOT NULL,
    at REAL NOT NULL, data TEXT NOT NULL
);
"""

TICKET_COLUMNS = ("id", "ref", "code", "service_day", "service", "first_service", "status", "priority",
                  "language", "source", "issued_at", "queued_at", "counter", "called_at", "recalls",
                  "finished_at", "head_at", "appointment_at", "passed_over_s", "own_language", "survey_pin",
                  "survey_answered")
#: columns added since a table was first made: (table, column, its definition), added to an older
#: database at start.  daily_stats.tickets: the reports count tickets (issue 14; 0 in old rows);
#: the tickets' and counters' columns: language-aware calling and appointments (issue 18)
ADDED_COLUMNS = (("daily_stats", "tickets", "INTEGER NOT NULL DEFAULT 0"),
                 ("tickets", "head_at", "REAL"), ("tickets", "appointment_at", "REAL"),
                 ("tickets", "passed_over_s", "REAL"), ("tickets", "own_language", "INTEGER"),
                 ("counters", "languages", "TEXT"),
                 ("tickets", "survey_pin", "TEXT"), ("tickets", "survey_answered", "INTEGER NOT NULL DEFAULT 0"),
                 ("audit", "staff", "TEXT"), ("audit", "args", "TEXT NOT NULL DEFAULT '{}'"),
                 ("audit", "outcome", "TEXT NOT NULL DEFAULT 'ok'"))
#: the audit table's columns, as ``Store.audit_entries`` gives them
AUDIT_COLUMNS = ("id", "at", "who", "staff", "action", "args", "reason", "outcome", "detail")


class Store:
    def __init__(self, path: Path | str):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        for table, column, definition in ADDED_COLUMNS:
            if column not in {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        self._in_tx = False

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    # ------------------------------------------------------------ transactions
    def begin(self) -> None:
        if not self._in_tx:
            self.db.execute("BEGIN IMMEDIATE")
            self._in_tx = True

    def commit(self) -> None:
        if self._in_tx:
            self.db.execute("COMMIT")
            self._in_tx = False

    def rollback(self) -> None:
        if self._in_tx:
            self.db.execute("ROLLBACK")
            self._in_tx = False

    # ------------------------------------------------------------------ writes
    def save_changes(self, changes) -> None:
        db = self.db
        if changes.sequences:
            db.executemany("INSERT INTO sequences (prefix, service_day, last) VALUES (?, ?, ?) "
                           "ON CONFLICT (prefix, service_day) DO UPDATE SET last = excluded.last",
                           [(p, d, n) for (p, d), n in changes.sequences.items()])
        if changes.tickets:
            cols = ", ".join(TICKET_COLUMNS)
            marks = ", ".join("?" for _ in TICKET_COLUMNS)
            updates = ", ".join(f"{c} = excluded.{c}" for c in TICKET_COLUMNS[1:])
            db.executemany(f"INSERT INTO tickets ({cols}) VALUES ({marks}) "
                           f"ON CONFLICT (id) DO UPDATE SET {updates}",
                           [tuple(getattr(t, c) for c in TICKET_COLUMNS) for t in changes.tickets.values()])
        if changes.legs:
            db.executemany("INSERT INTO legs (ticket_id, seq, service, joined_at, called_at, counter, ended_at,"
                           " outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id, seq) DO UPDATE SET"
                           " called_at = excluded.called_at, counter = excluded.counter,"
                           " ended_at = excluded.ended_at, outcome = excluded.outcome",
                           [(g.ticket_id, g.seq, g.service, g.joined_at, g.called_at, g.counter, g.ended_at,
                             g.outcome) for g in changes.legs.values()])
        if changes.counters:
            db.executemany("INSERT INTO counters (id, status, current, cycle_pos, languages) VALUES (?, ?, ?, ?, ?) "
                           "ON CONFLICT (id) DO UPDATE SET status = excluded.status, current = excluded.current, "
                           "cycle_pos = excluded.cycle_pos, languages = excluded.languages",
                           [(c.id, c.status, c.current, c.cycle_pos,
                             None if c.languages is None else json.dumps(list(c.languages)))
                            for c in changes.counters.values()])
        if changes.settings is not None:
            self.set_meta("day_settings", json.dumps(changes.settings, separators=(",", ":")))

    def save_event(self, rev: int, seq: int, zone: str, type_: str, at: float, data: dict) -> None:
        self.db.execute("INSERT INTO events (rev, seq, zone, type, at, data) VALUES (?, ?, ?, ?, ?, ?)",
                        (rev, seq, zone, type_, at, json.dumps(data, separators=(",", ":"))))

    def save_reply(self, device: str, request_id: str, action: str, reply: bytes, at: float) -> None:
        self.db.execute("INSERT OR IGNORE INTO requests (device, request_id, action, reply, at) "
                        "VALUES (?, ?, ?, ?, ?)", (device, request_id, action, reply, at))

    def outbox_add(self, outgoing, at: float) -> None:
        """Keep replies and events in the transaction of their effect, until the broker has them.

        Each gets its row id in ``outbox_id``.  Costs one row insert each; the fsync is the
        commit's, shared with the effect (see docs/performance.md)."""
        db = self.db
        for out in outgoing:
            out.outbox_id = db.execute("INSERT INTO outbox (topic, payload, correlation, kind, at) "
                                       "VALUES (?, ?, ?, ?, ?)",
                                       (out.topic, out.payload, out.correlation, out.kind, at)).lastrowid
            out.at = at

    def outbox_delete(self, ids) -> None:
        if ids:
            self.db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

    def outbox(self) -> list[tuple]:
        """(id, topic, payload, correlation, kind, at) of every row, oldest first."""
        return self.db.execute("SELECT id, topic, payload, correlation, kind, at FROM outbox ORDER BY id").fetchall()

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def load_appointments(self, appointments) -> None:
        """Add or update appointments from the appointments file; a check-in already made is kept."""
        self.begin()
        self.db.executemany("INSERT INTO appointments (code, day, service, slot) VALUES (?, ?, ?, ?) "
                            "ON CONFLICT (code) DO UPDATE SET day = excluded.day, service = excluded.service, "
                            "slot = excluded.slot",
                            [(a.code, a.day, a.service, a.time) for a in appointments])
        self.commit()

    def appointment(self, code: str) -> tuple | None:
        """(day, service, slot, checked_in_at, ticket_id) of an appointment code."""
        return self.db.execute("SELECT day, service, slot, checked_in_at, ticket_id FROM appointments "
                               "WHERE code = ?", (code,)).fetchone()

    def check_in(self, code: str, at: float, ticket_id: int) -> None:
        self.db.execute("UPDATE appointments SET checked_in_at = ?, ticket_id = ? WHERE code = ?",
                        (at, ticket_id, code))

    def ticket_by_id(self, ticket_id: int) -> Ticket | None:
        cols = ", ".join(TICKET_COLUMNS)
        row = self.db.execute(f"SELECT {cols} FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return _ticket(row) if row else None

    def prune(self, before: float) -> int:
        """Forget request ids older than ``before`` (idempotency needs them only for minutes)."""
        return self.db.execute("DELETE FROM requests WHERE at < ?", (before,)).rowcount

    # ------------------------------------------------------------------- reads
    def stored_reply(self, device: str, request_id: str) -> tuple[str, bytes] | None:
        """(action, reply) first given to this device's request id, if any."""
        row = self.db.execute("SELECT action, reply FROM requests WHERE device = ? AND request_id = ?",
                              (device, request_id)).fetchone()
        return (row[0], row[1]) if row else None

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def last_rev(self) -> int:
        """The newest event's revision (or, once purged, the one remembered for it)."""
        floor = json.loads(self.meta("events_floor") or "{}")
        return max(self.db.execute("SELECT COALESCE(MAX(rev), 0) FROM events").fetchone()[0], floor.get("rev", 0))

    def zone_seqs(self) -> dict[str, int]:
        seqs = dict(json.loads(self.meta("events_floor") or "{}").get("seqs", {}))
        for zone, seq in self.db.execute("SELECT zone, MAX(seq) FROM events GROUP BY zone"):
            seqs[zone] = max(seq, seqs.get(zone, 0))
        return seqs

    def ticket_by_ref(self, ref: str) -> Ticket | None:
        cols = ", ".join(TICKET_COLUMNS)
        row = self.db.execute(f"SELECT {cols} FROM tickets WHERE ref = ?", (ref,)).fetchone()
        return _ticket(row) if row else None

    def recent_events(self, zone: str | None, types: tuple[str, ...], limit: int) -> list[tuple]:
        marks = ", ".join("?" for _ in types)
        if zone is None:
            sql = f"SELECT rev, zone, type, at, data FROM events WHERE type IN ({marks}) ORDER BY rev DESC LIMIT ?"
            args = (*types, limit)
        else:
            sql = (f"SELECT rev, zone, type, at, data FROM events WHERE zone = ? AND type IN ({marks}) "
                   "ORDER BY rev DESC LIMIT ?")
            args = (zone, *types, limit)
        return self.db.execute(sql, args).fetchall()

    def load_into(self, model: QueueModel, service_day: str) -> None:
        """Rebuild the live model: today's tickets, open legs, counters, sequences, estimates' history."""
        model.service_day = service_day
        cols = ", ".join(TICKET_COLUMNS)
        for row in self.db.execute(f"SELECT {cols} FROM tickets WHERE service_day = ? ORDER BY id",
                                   (service_day,)):
            model.load_ticket(_ticket(row))
        max_id = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM tickets").fetchone()[0]
        model.next_ticket_id = max(model.next_ticket_id, max_id + 1)
        legs = [Leg(*row) for row in self.db.execute(
                "SELECT l.ticket_id, l.seq, l.service, l.joined_at, l.called_at, l.counter, l.ended_at, l.outcome "
                "FROM legs l JOIN tickets t ON t.id = l.ticket_id WHERE t.service_day = ?", (service_day,))]
        for leg in legs:
            model.load_leg(leg)
        model.rebuild_history(legs)  # the waiting estimates' counter paces and delays
        for prefix, day, last in self.db.execute("SELECT prefix, service_day, last FROM sequences "
                                                 "WHERE service_day = ?", (service_day,)):
            model.sequences[(prefix, day)] = last
        for cid, status, current, cycle_pos, languages in self.db.execute(
                "SELECT id, status, current, cycle_pos, languages FROM counters"):
            if cid in model.counters:
                live = current if current in model.tickets and model.tickets[current].status == TicketStatus.CALLED \
                    else None
                model.counters[cid] = CounterState(cid, CounterStatus(status), live, cycle_pos,
                                                   None if languages is None else tuple(json.loads(languages)))
        model.load_settings(json.loads(self.meta("day_settings") or "{}"))
        window = model.site.policies.estimate_window
        for service in model.service_times:
            rows = self.db.execute("SELECT ended_at - called_at FROM legs WHERE service = ? AND outcome = "
                                   "'finished' AND called_at IS NOT NULL ORDER BY ended_at DESC LIMIT ?",
                                   (service, window)).fetchall()
            model.service_times[service].extend(max(0.0, r[0]) for r in reversed(rows))

    def stale_live_days(self, service_day: str) -> bool:
        """Whether tickets of an earlier day are still waiting or called (the hub was off at rollover)."""
        row = self.db.execute("SELECT 1 FROM tickets WHERE service_day < ? AND status IN ('waiting', 'called') "
                              "LIMIT 1", (service_day,)).fetchone()
        return row is not None

    def expire_before(self, service_day: str, now: float) -> int:
        self.db.execute("UPDATE legs SET ended_at = ?, outcome = 'expired' WHERE ended_at IS NULL AND ticket_id IN "
                        "(SELECT id FROM tickets WHERE service_day < ? AND status IN ('waiting', 'called'))",
                        (now, service_day))
        return self.db.execute("UPDATE tickets SET status = 'expired', finished_at = ? WHERE service_day < ? "
                               "AND status IN ('waiting', 'called')", (now, service_day)).rowcount


    # ------------------------------------------------------------- retention
    def days_before(self, day: str, limit: int) -> list[str]:
        """Service days before ``day`` that still have tickets, oldest first."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT service_day FROM tickets WHERE service_day < ? "
                                              "ORDER BY service_day LIMIT ?", (day, limit))]

    def legs_for_stats(self, where: str, args: tuple) -> list[LegRow]:
        return [LegRow(*row) for row in self.db.execute(
            "SELECT t.service_day, l.service, l.joined_at, t.language, t.priority, l.called_at, l.ended_at, "
            f"CASE WHEN t.status = 'voided' THEN 'voided' ELSE l.outcome END, l.seq = 1 FROM legs l JOIN tickets t "
            f"ON t.id = l.ticket_id WHERE {where}", args)]

    def add_stats(self, cells: dict) -> None:
        """Add folded figures to ``daily_stats`` (a cell may already hold an erased ticket's)."""
        for key, cell in cells.items():
            row = self.db.execute("SELECT legs, outcomes, wait_hist, wait_sum_s, service_hist, service_sum_s, "
                                  "tickets FROM daily_stats WHERE service_day = ? AND service = ? AND hour = ? AND "
                                  "language = ? AND priority = ?", key).fetchone()
            if row is not None:
                cell = Figures(row[0], json.loads(row[1]), json.loads(row[2]), row[3], json.loads(row[4]),
                               row[5], row[6]).add(cell)
            self.db.execute("INSERT OR REPLACE INTO daily_stats (service_day, service, hour, language, priority, "
                            "legs, outcomes, wait_hist, wait_sum_s, service_hist, service_sum_s, tickets) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (*key, cell.legs, json.dumps(cell.outcomes), json.dumps(cell.wait_hist), cell.wait_sum_s,
                             json.dumps(cell.service_hist), cell.service_sum_s, cell.tickets))

    def delete_day(self, day: str) -> int:
        """Tickets of a service day, their legs, check-ins and numbering (already folded)."""
        db = self.db
        db.execute("DELETE FROM legs WHERE ticket_id IN (SELECT id FROM tickets WHERE service_day = ?)", (day,))
        db.execute("DELETE FROM appointments WHERE day <= ?", (day,))
        db.execute("DELETE FROM sequences WHERE service_day <= ?", (day,))
        return db.execute("DELETE FROM tickets WHERE service_day = ?", (day,)).rowcount

    def delete_before(self, before: float, stats_before_day: str, audit_before: float) -> None:
        """Events, stored replies and outbox rows older than ``before``; figures older than
        ``stats_before_day`` and audit entries older than ``audit_before``.  The newest revision
        and zone sequences are remembered first, so numbering never goes back."""
        db = self.db
        floor = {"rev": self.last_rev(), "seqs": self.zone_seqs()}
        self.set_meta("events_floor", json.dumps(floor))
        db.execute("DELETE FROM events WHERE at < ?", (before,))
        db.execute("DELETE FROM requests WHERE at < ?", (before,))
        db.execute("DELETE FROM outbox WHERE at < ?", (before,))
        db.execute("DELETE FROM daily_stats WHERE service_day < ?", (stats_before_day,))
        db.execute("DELETE FROM audit WHERE at < ?", (audit_before,))

    def erase_ticket(self, ticket: Ticket, day_start: float, day_end: float) -> None:
        """Everything that holds this ticket: its row, legs, events of its day that name its code,
        the check-in linked to it, stored replies and outbox rows that carry its ref."""
        db = self.db
        code = f'%"code":"{ticket.code}"%'
        ref = f"%{ticket.ref}%"
        db.execute("DELETE FROM legs WHERE ticket_id = ?", (ticket.id,))
        db.execute("DELETE FROM appointments WHERE ticket_id = ?", (ticket.id,))
        db.execute("DELETE FROM events WHERE at >= ? AND at < ? AND data LIKE ?", (day_start, day_end, code))
        db.execute("DELETE FROM requests WHERE CAST(reply AS TEXT) LIKE ?", (ref,))
        db.execute("DELETE FROM outbox WHERE CAST(payload AS TEXT) LIKE ? OR (at >= ? AND at < ? AND "
                   "CAST(payload AS TEXT) LIKE ?)", (ref, day_start, day_end, code))
        db.execute("DELETE FROM tickets WHERE id = ?", (ticket.id,))

    def ticket_by_code(self, service_day: str, code: str) -> Ticket | None:
        cols = ", ".join(TICKET_COLUMNS)
        row = self.db.execute(f"SELECT {cols} FROM tickets WHERE service_day = ? AND code = ?",
                              (service_day, code)).fetchone()
        return _ticket(row) if row else None

    def add_survey_answer(self, service_day: str, service: str, answers: tuple, rowid: int) -> None:
        """One visitor's answers with the service and day only; ``rowid`` is random, so the rows'
        order says nothing of when (or after which ticket) they came."""
        self.db.execute("INSERT INTO survey_answers (rowid, service_day, service, hours, space, kindness, mediator)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)", (rowid, service_day, service, *answers))

    def audit(self, at: float, who: str, action: str, reason: str, detail: dict, *, staff: str | None = None,
              args: dict | None = None, outcome: str = "ok") -> None:
        """One operator action: who sent it (the broker identity) and for whom (the staff account), its
        arguments, and its outcome (``ok`` or the refusal's reason code) with what it did (``detail``)."""
        self.db.execute("INSERT INTO audit (at, who, staff, action, args, reason, outcome, detail) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (at, who, staff, action, json.dumps(args or {}, separators=(",", ":"), ensure_ascii=False),
                         reason, outcome, json.dumps(detail, separators=(",", ":"), ensure_ascii=False)))

    def audit_entries(self, since: float = 0.0, limit: int = 1000) -> list[dict]:
        """The audit's entries from ``since``, oldest first (``args`` and ``detail`` parsed)."""
        rows = self.db.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit WHERE at >= ? ORDER BY id LIMIT ?",
                               (since, limit)).fetchall()
        entries = [dict(zip(AUDIT_COLUMNS, row)) for row in rows]
        for entry in entries:
            entry["args"] = json.loads(entry["args"])
            entry["detail"] = json.loads(entry["detail"])
        return entries


def _ticket(row) -> Ticket:
    values = dict(zip(TICKET_COLUMNS, row))
    values["priority"] = bool(values["priority"])
    values["own_language"] = None if values["own_language"] is None else bool(values["own_language"])
    values["survey_answered"] = bool(values["survey_answered"])
    values["status"] = TicketStatus(values["status"])
    return Ticket(**values)
