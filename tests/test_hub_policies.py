"""Hub behaviour driven by the clock and the site's policies (engine only, no broker)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sites import small_site, small_site_dict

from hub.clock import FakeClock
from hub.engine import Engine, Incoming
from hub.store import Store

LISBON = ZoneInfo("Europe/Lisbon")


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=LISBON).timestamp()


def ask(engine: Engine, device: str, action: str, request_id: str, **fields) -> dict:
    payload = {"v": 1, "request_id": request_id, "deadline_ms": int(engine.clock.now() * 1000) + 5000, **fields}
    out = engine.process([Incoming(device, action, json.dumps(payload).encode())])
    return json.loads(next(o for o in out if o.kind == "reply").payload)


def test_an_idle_hub_rolls_the_service_day_over_by_itself(tmp_path):
    clock = FakeClock(at("2026-11-27 15:00"))
    engine = Engine(small_site(), Store(tmp_path / "hub.db"), clock)
    ask(engine, "kiosk-1", "issue_ticket", "day-one-1", service="reception", language="pt")
    assert engine.tick() == [], "nothing to do within the day"
    clock.t = at("2026-11-28 00:00:30")
    published = engine.tick()
    states = {o.topic: json.loads(o.payload) for o in published if o.retain}
    service = states["oss/v1/test-centre/state/service/reception"]
    assert service["service_day"] == "2026-11-28" and service["waiting"] == 0
    reply = ask(engine, "kiosk-1", "issue_ticket", "day-two-1", service="reception", language="pt")
    assert reply["result"]["ticket"]["code"] == "A001", "numbering restarts on the new day"


def test_tickets_are_refused_outside_opening_hours_when_the_site_says_so(tmp_path):
    data = small_site_dict()
    data["policies"] = {"issue_only_when_open": True}
    data["opening_hours"] = {"weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "08:00",
                                         "close": "16:30"}], "closed_dates": ["2026-12-08"]}
    clock = FakeClock(at("2026-11-27 07:59"))  # a Friday
    engine = Engine(small_site(data), Store(tmp_path / "hub.db"), clock)
    assert ask(engine, "kiosk-1", "issue_ticket", "early-0001", service="reception",
               language="pt")["error"]["code"] == "site_closed"
    clock.t = at("2026-11-27 08:00")
    assert ask(engine, "kiosk-1", "issue_ticket", "open-0001", service="reception", language="pt")["ok"]
    clock.t = at("2026-12-08 10:00")  # a public holiday
    assert ask(engine, "kiosk-1", "issue_ticket", "holiday-01", service="reception",
               language="pt")["error"]["code"] == "site_closed"


def test_a_request_id_reused_for_another_action_is_refused_not_answered_with_the_old_reply(tmp_path):
    engine = Engine(small_site(), Store(tmp_path / "hub.db"), FakeClock(at("2026-11-27 10:00")))
    ask(engine, "kiosk-1", "issue_ticket", "same-id-01", service="reception", language="pt")
    ask(engine, "counter-1", "call_next", "same-id-02")
    reply = ask(engine, "counter-1", "recall", "same-id-02")
    assert reply["ok"] is False and reply["error"]["code"] == "invalid_fields"
    assert "already used for call_next" in reply["error"]["message"]
    assert engine.model.current_ticket("c1").recalls == 0
