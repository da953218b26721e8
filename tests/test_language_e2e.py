"""Language-aware calling through the real broker and hub (issue 18): the day's languages set by
a counter for itself, by the supervisor's identity for another counter and by the hub-side command;
the call that prefers the visitor a counter speaks to, as the wall's event and the counter's state
show it."""

from __future__ import annotations

import pytest
from mqtt_helpers import Inbox, event_is, start_hub_from_file
from sites import small_site, small_site_dict

from mqttlink.link import RequestRefused
from provisioning.cli import main as provision


def _site_dict() -> dict:
    data = small_site_dict()
    data["site"]["languages"] = ["pt", "en", "uk"]
    data["counters"].append({"id": "c3", "number": 3, "name": data["counters"][0]["name"], "zone": "ground",
                             "services": [{"service": "reception"}]})
    data["devices"].append({"id": "counter-3", "role": "counter", "counter": "c3"})
    return data


@pytest.fixture
def site():
    return small_site(_site_dict())


def test_a_counter_calls_the_visitor_it_speaks_to_and_the_wall_and_desk_are_told(centre):
    kiosk, desk_1, desk_3 = centre.link("kiosk-1"), centre.link("counter-1"), centre.link("counter-3")
    supervisor = centre.operator("supervisor.console")
    assert desk_1.request("counter_languages", languages=["pt"])["languages"] == ["pt"]
    with pytest.raises(RequestRefused) as refused:
        desk_1.request("counter_languages", counter="c3", languages=["uk"])
    assert refused.value.code == "forbidden", "a counter sets only its own languages"
    assert supervisor.request("counter_languages", counter="c3", languages=["en"],
                              reason="the English-speaking mediator is in", staff="ana.lopes")["languages"] == ["en"]
    for counter in (desk_1, desk_3):
        counter.request("counter_status", status="open")
    english = kiosk.request("issue_ticket", service="reception", language="en", priority=False)["ticket"]
    portuguese = kiosk.request("issue_ticket", service="reception", language="pt", priority=False)["ticket"]

    watch = centre.monitor()
    wall, desk_state = Inbox(), Inbox()
    watch.subscribe(watch.topics.zone_events("ground"), wall)
    watch.subscribe(watch.topics.counter_state("c1"), desk_state)
    called = desk_1.request("call_next")["ticket"]
    assert called["code"] == portuguese["code"], "c1 speaks pt: the English visitor waits for c3"
    _, event = wall.wait_for(event_is("ticket_called"))
    assert event["data"]["own_language"] is True
    assert [p["code"] for p in event["data"]["passed_over"]] == [english["code"]]
    assert 0 <= event["data"]["passed_over"][0]["at_head_s"] < 600
    _, state = desk_state.wait_for(lambda t, p: (p.get("current") or {}).get("code") == portuguese["code"])
    assert state["current"]["language"] == "pt", "the desk's small display shows the visitor's language"
    assert desk_3.request("call_next")["ticket"]["code"] == english["code"]
    _, event = wall.wait_for(event_is("ticket_called", counter="c3"))
    assert event["data"]["own_language"] is True and event["data"]["passed_over"] == []


def test_the_hub_side_command_sets_a_counters_languages(broker_only, tmp_path, capsys):
    centre = broker_only
    device_file = start_hub_from_file(centre, tmp_path, _site_dict())
    assert provision(["languages", "--device", str(device_file), "--counter", "c3", "--set", "en,kea",
                      "--reason", "the Creole-speaking mediator is in"]) == 0
    assert "c3 speaks today: en, kea" in capsys.readouterr().out
    assert provision(["languages", "--device", str(device_file), "--counter", "c9", "--set", "en",
                      "--reason", "no such counter"]) == 2
    assert "unknown_counter" in capsys.readouterr().err
    assert provision(["languages", "--device", str(device_file), "--counter", "c3", "--site-file",
                      "--reason", "the mediator left"]) == 0
    assert "c3 speaks today: none stated" in capsys.readouterr().out
