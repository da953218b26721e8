"""Check-in by appointment: the kiosk scans the code, the hub records it and issues the ticket."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import tomli_w
from sites import small_site, small_site_dict

from hub.clock import FakeClock
from hub.engine import Engine, Incoming
from hub.store import Store
from siteconf import SiteFileError
from siteconf.appointments import Appointment, read_appointments

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Europe/Lisbon")).timestamp()
TODAY = [Appointment(code="APT-7KQ2-M9XD", day="2026-11-27", service="immigration", time="10:30"),
         Appointment(code="APT-0000-0001", day="2026-11-28", service="immigration", time="09:00")]


def ask(engine, request_id, **fields):
    payload = {"v": 1, "request_id": request_id, "deadline_ms": int(engine.clock.now() * 1000) + 5000, **fields}
    out = engine.process([Incoming("kiosk-1", "check_in", json.dumps(payload).encode())])
    return json.loads(next(o for o in out if o.kind == "reply").payload), out


def test_checking_in_issues_the_appointments_ticket_once_and_a_second_scan_gives_it_again(tmp_path):
    engine = Engine(small_site(), Store(tmp_path / "hub.db"), FakeClock(NOW), appointments=TODAY)
    reply, out = ask(engine, "scan-0001", code="APT-7KQ2-M9XD", language="en")
    assert reply["ok"], reply
    ticket = reply["result"]["ticket"]
    assert ticket["code"] == "B001" and ticket["service"] == "immigration" and ticket["language"] == "en"
    assert reply["result"]["appointment"] == {"code": "APT-7KQ2-M9XD", "service": "immigration", "time": "10:30",
                                              "already_checked_in": False, "timing": "early"}
    assert any(o.topic.endswith("/event/first/ticket_issued") for o in out)
    again, _ = ask(engine, "scan-0002", code="APT-7KQ2-M9XD", language="en")
    assert again["result"]["ticket"]["code"] == "B001" and again["result"]["appointment"]["already_checked_in"]
    assert engine.model.waiting_count("immigration") == 1, "a second scan makes no second ticket"
    engine.store.close()
    restarted = Engine(small_site(), Store(tmp_path / "hub.db"), FakeClock(NOW), appointments=TODAY)
    after, _ = ask(restarted, "scan-0003", code="APT-7KQ2-M9XD", language="en")
    assert after["result"]["ticket"]["code"] == "B001", "the check-in survives a restart and a re-read of the file"


@pytest.mark.parametrize("code", ["APT-0000-0001", "APT-ZZZZ-ZZZZ"])
def test_an_appointment_of_another_day_or_an_unknown_code_is_refused_and_changes_nothing(tmp_path, code):
    engine = Engine(small_site(), Store(tmp_path / "hub.db"), FakeClock(NOW), appointments=TODAY)
    reply, _ = ask(engine, "scan-0001", code=code, language="pt")
    assert reply["error"]["code"] == "unknown_appointment"
    assert engine.model.tickets == {}


def test_a_malformed_code_is_invalid_fields(tmp_path):
    engine = Engine(small_site(), Store(tmp_path / "hub.db"), FakeClock(NOW), appointments=TODAY)
    reply, _ = ask(engine, "scan-0001", code="APT-IIII-OOOO", language="pt")
    assert reply["error"]["code"] == "invalid_fields"


def test_the_appointments_file_beside_the_site_file_is_validated(tmp_path):
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(small_site_dict()), encoding="utf-8")
    site = small_site()
    assert read_appointments(site, site_file) == []
    (tmp_path / "appointments.toml").write_text(tomli_w.dumps({"appointments": [
        {"code": "APT-7KQ2-M9XD", "day": "2026-11-27", "service": "dentist", "time": "10:30"}]}), encoding="utf-8")
    with pytest.raises(SiteFileError, match=r"appointments\[0\].service: unknown service 'dentist'"):
        read_appointments(site, site_file)
    (tmp_path / "appointments.toml").write_text(tomli_w.dumps({"appointments": [
        {"code": "APT-7KQ2-M9XD", "day": "2026-11-27", "service": "immigration", "time": "10:30"}]}), encoding="utf-8")
    assert read_appointments(site, site_file)[0].service == "immigration"
