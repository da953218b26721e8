"""A small centre on the real engine and a database file, for the report tests: requests as the
devices send them, a fake clock moved by hand, survey answers inserted as the hub will store them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import tomli_w
from sites import small_site, small_site_dict
from test_retention import Centre as RetentionCentre

from hub.engine import Engine
from hub.store import Store

LISBON = ZoneInfo("Europe/Lisbon")
#: a Monday in winter (Lisbon is UTC+0, so local hours are UTC hours)
DAY = "2026-01-05"


def at(day: str, hhmm: str) -> float:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return datetime.fromisoformat(day).replace(hour=hours, minute=minutes, tzinfo=LISBON).timestamp()


class Centre(RetentionCentre):
    """test_retention's centre with targets: reception (counter c1, 15 min) and immigration (counter
    c2, 30 min)."""

    def __init__(self, tmp_path, retention_days: int = 90):
        super().__init__(tmp_path, retention_days=retention_days)
        self.data = small_site_dict()
        self.data["site"]["retention_days"] = retention_days
        self.data["services"][0]["target_wait_min"] = 15
        self.data["services"][1]["target_wait_min"] = 30
        self.site = small_site(self.data)
        self.engine.store.close()
        self.engine = Engine(self.site, Store(self.path), self.clock)

    def do(self, device: str, action: str, **fields) -> dict:
        """The request's result (it must be accepted)."""
        reply = self.ask(device, action, **fields)
        assert reply["ok"], reply
        return reply["result"]

    def when(self, day: str, hhmm: str) -> None:
        self.clock.t = at(day, hhmm)
        self.engine.tick()

    def issue(self, service: str = "reception", language: str = "pt") -> dict:
        return self.do("kiosk-1", "issue_ticket", service=service, language=language)["ticket"]

    def answers(self, rows) -> None:
        """(day, service, hours, space, kindness, mediator) rows, as the hub will store them."""
        self.engine.store.db.executemany("INSERT INTO survey_answers (service_day, service, hours, space, "
                                         "kindness, mediator) VALUES (?, ?, ?, ?, ?, ?)", rows)

    def quick_day(self, day: str, visitors: int = 3) -> None:
        """Visitors take tickets at 09:00 (pt, en, pt...); counter 1 calls them at 09:10, 09:40,
        10:10... (waits of 10, 40, 70 minutes), each served until the next call (30 minutes), the
        last for 20."""
        self.when(day, "09:00")
        for i in range(visitors):
            self.issue(language=("pt", "en")[i % 2])
        for _ in range(visitors):
            self.clock.advance(600)
            self.do("counter-1", "call_next")
            self.clock.advance(1200)
        self.do("counter-1", "finish")

    def site_file(self, folder) -> str:
        """The site written as its TOML file, for the command's --site."""
        path = folder / "site.toml"
        path.write_text(tomli_w.dumps(self.data), encoding="utf-8")
        return str(path)

    def close(self) -> None:
        self.engine.store.close()


def next_day(day: str, days: int = 1) -> str:
    return (datetime.fromisoformat(day) + timedelta(days=days)).date().isoformat()
