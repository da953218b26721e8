"""The retention promise kept (issue "Clear errors for every bad input, and a retention promise
that is kept"): after ``retention_days`` a ticket's record, its legs and events, check-ins and
stored replies are gone, folded first into anonymous daily figures; one ticket can be erased
earlier on request, audited.  Over simulated months, on the real engine and database."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sites import small_site, small_site_dict

from hub.clock import FakeClock
from hub.engine import Engine, Incoming
from hub.retention import BUCKET_EDGES_MIN
from hub.store import Store
from siteconf.appointments import Appointment

LISBON = ZoneInfo("Europe/Lisbon")
START = datetime(2026, 1, 5, 9, 0, tzinfo=LISBON)


class Centre:
    def __init__(self, tmp_path, retention_days=90, years=10, appointments=()):
        data = small_site_dict()
        data["site"]["retention_days"] = retention_days
        data["site"]["aggregate_retention_years"] = years
        self.site = small_site(data)
        self.path = tmp_path / "hub.sqlite3"
        self.clock = FakeClock(START.timestamp())
        self.appointments = list(appointments)
        self.engine = Engine(self.site, Store(self.path), self.clock, appointments=self.appointments)
        self.n = 0

    def ask(self, device: str, action: str, **fields) -> dict:
        self.n += 1
        payload = json.dumps({"v": 1, "request_id": f"req-{self.n:08d}",
                              "deadline_ms": int(self.clock.now() * 1000) + 60_000, **fields}).encode()
        out = self.engine.process([Incoming(device, action, payload)])
        return json.loads(next(o for o in out if o.kind == "reply").payload)

    def day(self, index: int, visitors: int = 3) -> list[str]:
        """One service day: visitors take tickets (pt, en, priority), the counter serves them."""
        morning = START + timedelta(days=index)
        self.clock.t = morning.timestamp()
        self.engine.tick()
        codes = []
        for i in range(visitors):
            reply = self.ask("kiosk-1", "issue_ticket", service="reception", language=("pt", "en")[i % 2],
                             priority=i == 2)
            codes.append(reply["result"]["ticket"]["code"])
        for i in range(visitors):
            self.clock.t += 600  # ten minutes' wait, then twenty minutes at the desk
            self.ask("counter-1", "call_next")
            self.clock.t += 1200
        self.ask("counter-1", "finish")
        return codes

    def rows(self, sql: str, *args) -> list[tuple]:
        with sqlite3.connect(self.path) as db:
            return db.execute(sql, args).fetchall()

    def restart(self) -> None:
        self.engine.store.close()
        self.engine = Engine(self.site, Store(self.path), self.clock, appointments=self.appointments)


def test_a_hundred_and_twenty_days_keep_ninety_days_of_records_and_figures_of_all(tmp_path):
    first_day = START.date().isoformat()
    centre = Centre(tmp_path, appointments=[Appointment(code="APT-7KQ2-M9XD", day=first_day, service="reception",
                                                        time="09:30")])
    reply = centre.ask("kiosk-1", "check_in", code="APT-7KQ2-M9XD", language="en")
    assert reply["ok"], reply
    revs = []
    for index in range(120):
        centre.day(index)
        revs.append(centre.engine.rev)
    today = centre.engine.model.service_day
    oldest_kept = (START + timedelta(days=119 - 90)).date().isoformat()
    days = [r[0] for r in centre.rows("SELECT DISTINCT service_day FROM tickets ORDER BY 1")]
    assert days[0] == oldest_kept and days[-1] == today and len(days) == 91
    # nothing of the purged days is left anywhere
    purge_start = centre.engine.time.day_start(oldest_kept)
    assert centre.rows("SELECT COUNT(*) FROM legs l LEFT JOIN tickets t ON t.id = l.ticket_id "
                       "WHERE t.id IS NULL") == [(0,)]
    assert centre.rows("SELECT COUNT(*) FROM events WHERE at < ?", purge_start) == [(0,)]
    assert centre.rows("SELECT COUNT(*) FROM requests WHERE at < ?", purge_start) == [(0,)]
    assert centre.rows("SELECT COUNT(*) FROM appointments") == [(0,)], "the check-in linked a code to a ticket"
    assert centre.rows("SELECT COUNT(*) FROM sequences WHERE service_day < ?", oldest_kept) == [(0,)]
    # ... but its figures are, without codes, refs or times
    stats = centre.rows("SELECT service_day, service, hour, language, priority, legs, outcomes, wait_hist, "
                        "wait_sum_s, service_hist FROM daily_stats WHERE service_day = ? ORDER BY 3, 4, 5", first_day)
    cells = {(hour, language, priority): (legs, json.loads(outcomes), json.loads(wait), wait_sum, json.loads(served))
             for _day, _service, hour, language, priority, legs, outcomes, wait, wait_sum, served in stats}
    assert set(cells) == {(9, "pt", 0), (9, "en", 0), (9, "pt", 1)}
    assert cells[(9, "en", 0)][0] == 2, "the check-in and the English visitor"
    legs, outcomes, wait, wait_sum, served = cells[(9, "pt", 0)]
    assert legs == 1 and outcomes["finished"] == 1
    assert sum(wait) == 1 and sum(served) == 1
    total_legs = sum(c[0] for c in cells.values())
    assert total_legs == 4, "three visitors and the check-in of the first day"
    every_day = centre.rows("SELECT COUNT(DISTINCT service_day), SUM(legs) FROM daily_stats")
    assert every_day == [(29, 29 * 3 + 1)]
    # the hub's revision never goes back, even once the events that carried it are gone
    centre.restart()
    assert centre.engine.rev == revs[-1]
    centre.day(120)
    assert centre.engine.rev > revs[-1]


def test_figures_are_dropped_after_the_aggregate_retention_and_a_long_gap_is_caught_up(tmp_path):
    centre = Centre(tmp_path, retention_days=10, years=1)
    for index in range(3):
        centre.day(index)
    centre.clock.t = (START + timedelta(days=500)).timestamp()  # the hub was off for more than a year
    while centre.engine.purge(centre.clock.now()):
        pass
    assert centre.rows("SELECT COUNT(*) FROM tickets") == [(0,)]
    assert centre.rows("SELECT COUNT(*) FROM daily_stats") == [(0,)], "figures older than a year"
    assert centre.rows("SELECT COUNT(*) FROM events") == [(0,)]


def test_waiting_and_service_times_land_in_their_buckets():
    from hub.retention import LegRow, fold
    local = lambda t: datetime.fromtimestamp(t, LISBON)  # noqa: E731
    t0 = START.timestamp()
    legs = [LegRow("2026-01-05", "reception", t0, "pt", False, t0 + 7 * 60, t0 + 27 * 60, "finished"),
            LegRow("2026-01-05", "reception", t0, "pt", False, t0 + 300 * 60, None, "no_show"),
            LegRow("2026-01-05", "reception", t0, "pt", False, None, t0 + 60, "cancelled")]
    cell = fold(legs, local)[("2026-01-05", "reception", 9, "pt", 0)]
    assert cell.legs == 3 and cell.outcomes["no_show"] == 1 and cell.outcomes["cancelled"] == 1
    assert cell.wait_hist[1] == 1 and cell.wait_hist[len(BUCKET_EDGES_MIN)] == 1
    assert cell.service_hist[4] == 1  # 20 minutes: in the 20-30 bucket
    assert cell.wait_sum_s == 7 * 60 + 300 * 60


@pytest.mark.parametrize("appointments", [[]])
def test_past_appointments_in_the_file_are_not_loaded_again(tmp_path, appointments):
    past = Appointment(code="APT-0000-0001", day="2025-12-01", service="reception", time="09:00")
    future = Appointment(code="APT-0000-0002", day=(START + timedelta(days=3)).date().isoformat(),
                         service="reception", time="09:00")
    centre = Centre(tmp_path, appointments=[past, future])
    assert centre.rows("SELECT code FROM appointments") == [("APT-0000-0002",)]


def test_a_ticket_erased_early_is_counted_once_when_its_day_is_purged(tmp_path):
    centre = Centre(tmp_path, retention_days=30)
    erased_day = (START + timedelta(days=10)).date().isoformat()
    for index in range(60):
        codes = centre.day(index)
        if index == 12:  # two days later the visitor of day 10 asks for the record to be erased
            reply = centre.ask("technician.hub", "erase_ticket", code="A001", service_day=erased_day,
                               reason="the visitor asked at the desk")
            assert reply["ok"], reply
            assert centre.rows("SELECT COUNT(*) FROM tickets WHERE service_day = ?", erased_day) == [(2,)]
        assert codes
    legs = centre.rows("SELECT SUM(legs) FROM daily_stats WHERE service_day = ?", erased_day)
    assert legs == [(3,)], "the erased ticket's figures were kept once, its day's others added at the purge"
    assert centre.rows("SELECT action, reason FROM audit") == [("erase_ticket", "the visitor asked at the desk")]
    assert centre.rows("SELECT COUNT(*) FROM tickets WHERE service_day <= ?", erased_day) == [(0,)]
