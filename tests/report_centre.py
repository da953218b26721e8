"""A small centre on the real engine and a database file, for the report tests: requests as the
devices send them, a fake clock moved by hand, survey answers inserted as the hub will store them."""

from __future__ import annotations

import json

import tomli_w
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sites import small_site, small_site_dict

from hub.clock import FakeClock
from hub.engine import Engine, Incoming
from hub.store import Store

LISBON = ZoneInfo("Europe/Lisbon")
#: a Monday in winter (Lisbon is UTC+0, so local hours are UTC hours)
DAY = "2026-01-05"


def at(day: str, hhmm: str) -> float:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return datetime.fromisoformat(day).replace(hour=hours, minute=minutes, tzinfo=LISBON).timestamp()


class Centre:
    """reception (counter c1, target 15 min) and immigration (counter c2, target 30 min)."""

    def __init__(self, tmp_path, retention_days: int = 90):
        data = small_site_dict()
        data["site"]["retention_days"] = retention_days
        data["services"][0]["target_wait_min"] = 15
        data["services"][1]["target_wait_min"] = 30
        self.data = data
        self.site = small_site(data)
        self.path = tmp_path / "hub.sqlite3"
        self.clock = FakeClock(at(DAY, "08:00"))
        self.engine = Engine(self.site, Store(self.path), self.clock)
        self.n = 0

    def ask(self, device: str, action: str, **fields) -> dict:
        self.n += 1
        payload = json.dumps({"v": 1, "request_id": f"req-{self.n:08d}",
                              "deadline_ms": int(self.clock.now() * 1000) + 60_000, **fields}).encode()
        out = self.engine.process([Incoming(device, action, payload)])
        reply = json.loads(next(o for o in out if o.kind == "reply").payload)
        assert reply["ok"], reply
        return reply["result"]

    def when(self, day: str, hhmm: str) -> None:
        self.clock.t = at(day, hhmm)
        self.engine.tick()

    def issue(self, service: str = "reception", language: str = "pt") -> dict:
        return self.ask("kiosk-1", "issue_ticket", service=service, language=language)["ticket"]

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
            self.ask("counter-1", "call_next")
            self.clock.advance(1200)
        self.ask("counter-1", "finish")

    def site_file(self, folder) -> str:
        """The site written as its TOML file, for the command's --site."""
        path = folder / "site.toml"
        path.write_text(tomli_w.dumps(self.data), encoding="utf-8")
        return str(path)

    def close(self) -> None:
        self.engine.store.close()


def next_day(day: str, days: int = 1) -> str:
    return (datetime.fromisoformat(day) + timedelta(days=days)).date().isoformat()
