"""The counter firmware from its pins to the wall: gpiozero buttons and LEDs on
MockFactory pins, the LCD on a recording I2C bus, requests through the real
Mosquitto (the project's config, ACLs and per-device credentials) to the real
hub, and a display device subscribed to its zone, checking what the wall shows."""

from __future__ import annotations

import signal
import threading
import time

import pytest
import tomli_w
from counter_rig import Desk, wait_until
from gpiozero.pins.mock import MockFactory
from mqtt_helpers import Inbox, event_is, topic_is
from sites import small_site, small_site_dict

from counter.controller import CounterSettings
from counter.indications import Indication

pytestmark = pytest.mark.broker

#: fast but human-like timings for the counters of the test site
FAST_PINS = {"hold_s": 0.25, "repeat_guard_ms": 150, "debounce_ms": 5, "reply_timeout_ms": 600}
QUICK = CounterSettings(error_show_s=2.0, message_show_s=1.5, choice_timeout_s=5.0)


def counter_site_dict(printer_path: str | None = None) -> dict:
    """The small site with a third service so counter c1 has two transfer targets, LCDs and fast pins."""
    data = small_site_dict()
    data["services"].append(
        {"id": "legal", "prefix": "C", "name": {"pt": "Apoio jurídico", "en": "Legal support"},
         "office": {"pt": "Gabinete jurídico", "en": "Legal office"}, "zone": "first",
         "waiting_area": {"pt": "Sala C", "en": "Room C"}})
    data["counters"][1]["services"] = [{"service": "immigration"}, {"service": "legal"}]
    data["counters"][0]["transfer_targets"] = ["immigration", "legal"]
    for device in data["devices"]:
        if device["role"] == "counter":
            device["pins"] = dict(FAST_PINS)
            device["small_display"] = {"kind": "lcd_i2c", "i2c_address": 0x27, "columns": 16, "rows": 2}
    if printer_path:
        data["devices"][2]["printer"] = {"connector": "file", "path": printer_path}
    return data


@pytest.fixture
def site(tmp_path):
    return small_site(counter_site_dict(str(tmp_path / "counter-1-printer.bin")))


@pytest.fixture
def desks():
    made: list[Desk] = []

    def make(centre, device_id: str, **kwargs) -> Desk:
        kwargs.setdefault("settings", QUICK)
        desk = Desk(centre, device_id, **kwargs)
        made.append(desk)
        return desk

    yield make
    for desk in made:
        desk.close()


class Wall:
    """A display device of a zone: the events it would announce and the retained picture it shows."""

    def __init__(self, centre, device_id: str, zone: str):
        self.link = centre.link(device_id)
        self.topics = self.link.topics
        self.zone = zone
        self.events = Inbox()
        self.state = Inbox()
        self.link.subscribe(self.topics.zone_events(zone), self.events)
        self.link.subscribe(self.topics.zone_state(zone), self.state)
        self.state.wait_for(lambda t, p: True)

    def counter(self, counter_id: str) -> dict:
        latest = self.state.latest(self.topics.zone_state(self.zone))
        return next(c for c in latest["counters"] if c["counter"] == counter_id)

    def wait_counter(self, counter_id: str, **expected) -> dict:
        def match(topic, payload):
            entry = next((c for c in payload["counters"] if c["counter"] == counter_id), {})
            return all(entry.get(k) == v for k, v in expected.items())
        return self.state.wait_for(match)[1]

    def calls(self, kind: str = "ticket_called") -> list[str]:
        return [e["data"]["code"] for e in self.events.events(kind)]


def issue(kiosk, n: int, service: str = "reception", language: str = "pt") -> list[str]:
    return [kiosk.request("issue_ticket", service=service, language=language, priority=False)["ticket"]["code"]
            for _ in range(n)]


def between_presses(desk: Desk) -> None:
    """Let the repeat window of the last press pass, as a person would between two presses."""
    time.sleep(desk.pins.repeat_guard_ms / 1000)


# ----------------------------------------------------------------------------- a whole day
def test_a_day_at_one_counter_from_the_buttons_to_the_wall(centre, desks):
    wall = Wall(centre, "display-ground", "ground")
    first_floor = Wall(centre, "display-first", "first")
    desk = desks(centre, "counter-1")
    desk.light_shows(Indication.CLOSED)  # the hub's counters start the day closed
    assert desk.wait_lcd(lambda lines: lines[0] == "----     FECHADO") == ["----     FECHADO", "Em espera: 0"]
    codes = issue(centre.link("kiosk-1"), 5, language="en")
    desk.wait_lcd(lambda lines: lines[1] == "Em espera: 5")

    # open the counter: PAUSE opens a closed counter; the wall shows it open, the light idles
    desk.press("pause")
    wall.wait_counter("c1", status="open", current=None)
    desk.light_shows(Indication.IDLE)

    # NEXT x3: each press calls the next ticket on the wall; the LCD shows it
    for n, code in enumerate(codes[:3]):
        between_presses(desk)
        desk.press("next")
        wall.events.wait_for(event_is("ticket_called", code=code, counter="c1"))
        desk.wait_lcd(lambda lines, code=code, n=n: lines == [code, f"Em espera: {4 - n}"])
    assert wall.calls() == codes[:3]
    desk.light_shows(Indication.SERVING)
    assert wall.counter("c1")["current"] == codes[2]

    # NO-SHOW before a recall: the site's policy refuses it; the light flashes the error at once
    desk.press("no_show")
    desk.wait_lcd(lambda lines: lines[1] == "Rechame primeiro")
    desk.light_shows(Indication.ERROR, timeout=1)
    assert wall.events.events("ticket_no_show") == []

    # RECALL: the wall announces the same ticket again; then NO-SHOW is allowed
    desk.press("recall")
    wall.events.wait_for(event_is("ticket_recalled", code=codes[2], recall=1))
    desk.wait_lcd(lambda lines: lines[0] == f"{codes[2]}   chamada 2")
    desk.press("no_show")
    wall.events.wait_for(event_is("ticket_no_show", code=codes[2]))
    desk.wait_lcd(lambda lines: lines[0].startswith("----") and lines[1] == f"{codes[2]} faltou")
    desk.light_shows(Indication.IDLE)

    # TRANSFER: cycle the targets on the LCD, hold to send; the ticket keeps its code
    between_presses(desk)
    desk.press("next")
    wall.events.wait_for(event_is("ticket_called", code=codes[3]))
    desk.wait_lcd(lambda lines: lines[0].startswith(codes[3]))
    desk.press("transfer")
    assert desk.wait_lcd(lambda lines: lines[0] == f"{codes[3]} para    1/2") == [
        f"{codes[3]} para    1/2", "B Autorizacao de"]
    between_presses(desk)
    desk.press("transfer")
    assert desk.wait_lcd(lambda lines: "2/2" in lines[0])[1] == "C Apoio juridico"
    between_presses(desk)
    desk.press("transfer")
    desk.wait_lcd(lambda lines: "1/2" in lines[0])
    assert wall.events.events("ticket_transferred") == [] and first_floor.events.events("ticket_transferred") == []
    between_presses(desk)
    desk.press("transfer", hold=True)
    _, moved = first_floor.events.wait_for(event_is("ticket_transferred", code=codes[3]))
    assert moved["data"]["from"] == "reception" and moved["data"]["to"] == "immigration"
    desk.wait_lcd(lambda lines: lines == ["----", f"{codes[3]} -> B"])
    first_floor.state.wait_for(lambda t, p: any(s["service"] == "immigration" and s["waiting"] == 1
                                                for s in p["services"]))

    # hold NEXT: finish without calling anyone
    between_presses(desk)
    desk.press("next")
    wall.events.wait_for(event_is("ticket_called", code=codes[4]))
    between_presses(desk)
    desk.press("next", hold=True)
    wall.events.wait_for(event_is("ticket_finished", code=codes[4]))
    wall.wait_counter("c1", status="open", current=None)
    assert wall.calls() == codes[:4] + [codes[4]]

    # NEXT with nobody waiting says so and calls nobody
    between_presses(desk)
    desk.press("next")
    desk.wait_lcd(lambda lines: lines == ["----", "Ninguem a espera"])
    desk.light_shows(Indication.IDLE)

    # PAUSE: the wall shows the counter paused; hold PAUSE closes it for the day
    between_presses(desk)
    desk.press("pause")
    wall.wait_counter("c1", status="paused")
    desk.light_shows(Indication.PAUSED)
    assert desk.lcd()[0] == "----       PAUSA"
    between_presses(desk)
    desk.press("pause", hold=True)
    wall.wait_counter("c1", status="closed")
    desk.light_shows(Indication.CLOSED)
    assert desk.lcd()[0] == "----     FECHADO"
    assert wall.calls() == codes[:3] + [codes[3], codes[4]]
