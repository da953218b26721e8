"""Fake tickets voided in one command, one ticket's record erased on request, both audited
(issues "Nobody kicks, starves or floods the centre" and "a retention promise that is kept").
Through the real broker, as the technician's operator identity (``technician.hub``) and with the
hub-side commands ``onestop-provision void`` / ``erase``."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from mqtt_helpers import Inbox, event_is, start_hub_from_file, topic_is
from sites import small_site_dict

from mqttlink.link import RequestRefused
from provisioning.cli import main as provision
from provisioning.operator import to_ms


def issue(link, n: int, language: str = "pt", service: str = "reception") -> list[dict]:
    return [link.request("issue_ticket", service=service, language=language, priority=False)["ticket"]
            for _ in range(n)]


def audit_rows(database: str) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT who, action, reason, detail FROM audit ORDER BY id").fetchall()


def test_fake_tickets_of_one_kiosk_in_a_window_leave_queues_screens_and_estimates_at_once(centre):
    kiosk, counter = centre.link("kiosk-1"), centre.link("counter-1")
    real_before = issue(kiosk, 2)
    time.sleep(0.05)
    window_start = int(time.time() * 1000)
    fakes = issue(kiosk, 20)
    window_end = int(time.time() * 1000)
    time.sleep(0.05)
    real_after = issue(kiosk, 1)
    called = counter.request("call_next")["ticket"]  # the counter calls the first real one
    assert called["code"] == real_before[0]["code"]

    watch = centre.monitor()
    wall = Inbox()
    watch.subscribe(watch.topics.zone_state("ground"), wall)
    watch.subscribe(watch.topics.zone_events("ground"), wall)
    watch.subscribe(watch.topics.service_state("reception"), wall)
    technician = centre.operator()
    result = technician.request("void_tickets", source="kiosk-1", issued_from_ms=window_start,
                                issued_to_ms=window_end, reason="a stolen kiosk login flooded the queue")
    assert result["voided"] == 20 and result["not_live"] == 0
    assert set(result["codes"]) == {t["code"] for t in fakes}

    _, event = wall.wait_for(event_is("tickets_voided"))
    assert set(event["data"]["codes"]) == {t["code"] for t in fakes}
    _, service = wall.wait_for(topic_is(watch.topics.service_state("reception"),
                                        lambda p: p["rev"] >= event["rev"]))
    assert service["waiting"] == 2, "the two real ones behind the called one are all that wait"
    ahead = kiosk.request("issue_ticket", service="reception", language="en", priority=False)["ticket"]
    assert ahead["people_ahead"] == 2, "the next visitor is not told about fakes"
    assert counter.request("call_next")["ticket"]["code"] == real_before[1]["code"]
    assert counter.request("call_next")["ticket"]["code"] == real_after[0]["code"]
    status = kiosk.request("ticket_status", ref=fakes[0]["ref"])["ticket"]
    assert status["status"] == "voided", "kept in history as voided"
    who, action, reason, detail = audit_rows(centre.database)[-1]
    assert (who, action) == ("technician.hub", "void_tickets") and "flooded" in reason
    assert len(json.loads(detail)["voided"]) == 20


def test_a_called_fake_ticket_leaves_its_counter_and_the_wall_and_the_quota_is_given_back(tmp_path):
    from sites import small_site
    from simulator.centre import LocalCentre
    data = small_site_dict()
    data["limits"]["kiosk"]["tickets_per_day"] = 5
    with LocalCentre(small_site(data), tmp_path) as centre:
        kiosk, counter = centre.link("kiosk-1"), centre.link("counter-1")
        fakes = issue(kiosk, 5)
        with pytest.raises(RequestRefused):
            issue(kiosk, 1)  # the quota is used up by the fakes
        called = counter.request("call_next")["ticket"]
        technician = centre.operator()
        result = technician.request("void_tickets", codes=[t["code"] for t in fakes], reason="fake tickets")
        assert result["voided"] == 5
        watch = centre.monitor()
        wall = Inbox()
        watch.subscribe(watch.topics.zone_state("ground"), wall)
        # the hub publishes its reply before the new retained picture (hub/engine.py, Engine.process): a
        # wall that subscribes just after the reply may first get the picture from before the voiding
        _, zone = wall.wait_for(lambda t, p: p is not None and called["code"] not in [c["code"] for c in p["calls"]],
                                timeout=5.0)  # raises "no matching message" if the wall keeps the fake call
        assert {"counter": "c1", "number": 1, "status": "open", "current": None} in zone["counters"]
        assert issue(kiosk, 1)[0]["code"] == "A006", "voided tickets no longer count against the quota"


def test_only_an_operator_may_void_or_erase(centre):
    kiosk = centre.link("kiosk-1")
    issue(kiosk, 1)
    with pytest.raises(RequestRefused) as refused:
        kiosk.request("void_tickets", source="kiosk-1", reason="a kiosk voiding its own tickets")
    assert refused.value.code == "forbidden"
    with pytest.raises(RequestRefused) as refused:
        centre.link("counter-1").request("erase_ticket", code="A001", service_day="2026-01-01", reason="not mine to erase")
    assert refused.value.code == "forbidden"


def test_a_ticket_record_is_erased_on_request_its_figures_kept_and_the_erasure_audited(centre):
    kiosk, counter = centre.link("kiosk-1"), centre.link("counter-1")
    ticket, other = issue(kiosk, 2, language="en")
    counter.request("call_next")
    technician = centre.operator()
    with pytest.raises(RequestRefused) as refused:
        technician.request("erase_ticket", ref=ticket["ref"], reason="the visitor asked")
    assert refused.value.code == "illegal_transition", "a ticket at a counter is finished first"
    counter.request("finish")
    result = technician.request("erase_ticket", ref=ticket["ref"], reason="the visitor asked at the desk")
    assert result["erased"] == {"service_day": ticket["service_day"], "code": ticket["code"]}
    with sqlite3.connect(centre.database) as db:
        assert db.execute("SELECT COUNT(*) FROM tickets WHERE ref = ?", (ticket["ref"],)).fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM events WHERE data LIKE ?", (f'%"{ticket["code"]}"%',)).fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM requests WHERE CAST(reply AS TEXT) LIKE ?",
                          (f"%{ticket['ref']}%",)).fetchone()[0] == 0
        legs, outcomes = db.execute("SELECT legs, outcomes FROM daily_stats WHERE language = 'en'").fetchone()
        assert legs == 1 and json.loads(outcomes)["finished"] == 1
        assert db.execute("SELECT COUNT(*) FROM tickets WHERE ref = ?", (other["ref"],)).fetchone()[0] == 1
    with pytest.raises(RequestRefused) as refused:
        kiosk.request("ticket_status", ref=ticket["ref"])
    assert refused.value.code == "unknown_ticket"
    who, action, reason, detail = audit_rows(centre.database)[-1]
    assert (who, action, json.loads(detail)) == ("technician.hub", "erase_ticket",
                                                 {"service_day": ticket["service_day"], "code": ticket["code"]})
    centre.stop_hub()
    centre.start_hub()  # nothing of it comes back from the database
    with pytest.raises(RequestRefused):
        kiosk.request("ticket_status", ref=ticket["ref"])


def test_the_hub_side_commands_void_and_erase(broker_only, tmp_path, capsys):
    centre = broker_only
    device_file = start_hub_from_file(centre, tmp_path, small_site_dict())
    kiosk = centre.link("kiosk-1")
    fakes = issue(kiosk, 3)
    assert provision(["void", "--device", str(device_file), "--source", "kiosk-1", "--from", "00:00",
                      "--reason", "test of the command"]) == 0
    assert f"voided 3 tickets: {', '.join(t['code'] for t in fakes)}" in capsys.readouterr().out
    assert provision(["erase", "--device", str(device_file), "--code", fakes[0]["code"],
                      "--day", fakes[0]["service_day"], "--reason", "the visitor asked"]) == 0
    assert f"erased the record of {fakes[0]['code']}" in capsys.readouterr().out
    assert provision(["erase", "--device", str(device_file), "--code", "Z999", "--day", "2020-01-01",
                      "--reason", "nothing"]) == 2
    assert "unknown_ticket" in capsys.readouterr().err
    assert provision(["void", "--device", str(device_file), "--reason", "nothing named"]) == 2


def test_times_for_the_command_are_the_sites_local_ones():
    from datetime import datetime
    from zoneinfo import ZoneInfo
    lisbon = ZoneInfo("Europe/Lisbon")
    now = datetime(2026, 7, 1, 15, 0, tzinfo=lisbon)  # summer time, UTC+1
    assert to_ms("10:05", "Europe/Lisbon", now) == int(datetime(2026, 7, 1, 9, 5, tzinfo=ZoneInfo("UTC"))
                                                       .timestamp() * 1000)
    assert to_ms("2026-07-01T10:05", "Europe/Lisbon") == to_ms("10:05", "Europe/Lisbon", now)
