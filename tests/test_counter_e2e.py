"""The counter firmware from its pins to the wall: gpiozero buttons and LEDs on
MockFactory pins, the LCD on a recording I2C bus, requests through the real
Mosquitto (the project's config, ACLs and per-device credentials) to the real
hub, and a display device subscribed to its zone, checking what the wall shows."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
import tomli_w
from counter_rig import Desk, on_off_durations, wait_until
from gpiozero.pins.mock import MockFactory
from mqtt_helpers import Inbox, event_is, topic_is
from sites import small_site, small_site_dict

from contract.qr import TicketQR
from counter.controller import CounterSettings
from counter.indications import Indication
from hardware.counter_display import segments
from hardware.printer import render_ticket_png, stream, ticket_layout
from hardware.printer.mock import PtyPrinter
from simulator.centre import LocalCentre
from siteconf.slices import public_config

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
    # c2 (first floor) also helps with reception: two counters can race for one ticket
    data["counters"][1]["services"] = [{"service": "immigration"}, {"service": "legal"}, {"service": "reception"}]
    data["counters"][0]["transfer_targets"] = ["immigration", "legal"]
    for device in data["devices"]:
        if device["role"] == "counter":
            device["pins"] = dict(FAST_PINS)
            device["small_display"] = {"kind": "lcd_i2c", "i2c_address": 0x27, "columns": 16, "rows": 2}
    data["devices"][2]["pins"]["buzzer"] = 26
    data["devices"][3]["small_display"] = {"kind": "tm1637", "clk_pin": 20, "dio_pin": 21}
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
        payload = self.state.wait_for(match)[1]
        return next(c for c in payload["counters"] if c["counter"] == counter_id)

    def calls(self, kind: str = "ticket_called") -> list[str]:
        return [e["data"]["code"] for e in self.events.events(kind)]


def issue(kiosk, n: int, service: str = "reception", language: str = "pt") -> list[str]:
    return [kiosk.request("issue_ticket", service=service, language=language, priority=False)["ticket"]["code"]
            for _ in range(n)]


def between_presses(desk: Desk) -> None:
    """Let the repeat window of the last press pass, as a person would between two presses."""
    time.sleep(desk.pins.repeat_guard_ms / 1000)


# ----------------------------------------------------------------------------- a whole day
def test_a_day_at_one_counter_from_the_buttons_to_the_wall(centre, desks, build_dir):
    wall = Wall(centre, "display-ground", "ground")
    first_floor = Wall(centre, "display-first", "first")
    desk = desks(centre, "counter-1")
    desk.light_shows(Indication.CLOSED)  # the hub's counters start the day closed
    assert desk.wait_lcd(lambda lines: lines[0] == "----     FECHADO") == ["----     FECHADO", "Em espera: 0"]
    codes = issue(centre.link("kiosk-1"), 5, language="en")
    desk.wait_lcd(lambda lines: lines[1] == "Em espera: 5")
    desk.picture("day-01-closed", build_dir)

    # open the counter: PAUSE opens a closed counter; the wall shows it open, the light idles
    desk.press("pause")
    wall.wait_counter("c1", status="open", current=None)
    desk.light_shows(Indication.IDLE)
    desk.picture("day-02-open-idle", build_dir)

    # NEXT x3: each press calls the next ticket on the wall; the LCD shows it
    for n, code in enumerate(codes[:3]):
        between_presses(desk)
        desk.press("next")
        wall.events.wait_for(event_is("ticket_called", code=code, counter="c1"))
        desk.wait_lcd(lambda lines, code=code, n=n: lines == [f"{code} en", f"Em espera: {4 - n}"])
    assert wall.calls() == codes[:3]
    desk.light_shows(Indication.SERVING)
    desk.picture("day-03-serving", build_dir)
    assert wall.counter("c1")["current"] == codes[2]

    # NO-SHOW before a recall: the site's policy refuses it; the light flashes the error at once
    desk.press("no_show")
    desk.wait_lcd(lambda lines: lines[1] == "Rechame primeiro")
    desk.picture("day-04-no-show-refused", build_dir)
    desk.light_shows(Indication.ERROR, timeout=1)
    assert wall.events.events("ticket_no_show") == []

    # RECALL: the wall announces the same ticket again; then NO-SHOW is allowed
    desk.press("recall")
    wall.events.wait_for(event_is("ticket_recalled", code=codes[2], recall=1))
    desk.wait_lcd(lambda lines: lines[0] == f"{codes[2]}   chamada 2")
    desk.picture("day-05-recalled", build_dir)
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
    desk.picture("day-06-transfer-choice-1", build_dir)
    between_presses(desk)
    desk.press("transfer")
    assert desk.wait_lcd(lambda lines: "2/2" in lines[0])[1] == "C Apoio juridico"
    desk.picture("day-07-transfer-choice-2", build_dir)
    between_presses(desk)
    desk.press("transfer")
    desk.wait_lcd(lambda lines: "1/2" in lines[0])
    assert wall.events.events("ticket_transferred") == [] and first_floor.events.events("ticket_transferred") == []
    between_presses(desk)
    desk.press("transfer", hold=True)
    _, moved = first_floor.events.wait_for(event_is("ticket_transferred", code=codes[3]))
    assert moved["data"]["from"] == "reception" and moved["data"]["to"] == "immigration"
    desk.wait_lcd(lambda lines: lines == ["----", f"{codes[3]} impressa"])  # the second ticket is out
    desk.picture("day-08-transferred-printed", build_dir)
    _check_second_ticket(centre, codes[3], build_dir)
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
    desk.picture("day-09-nobody-waiting", build_dir)

    # PAUSE: the wall shows the counter paused; hold PAUSE closes it for the day
    between_presses(desk)
    desk.press("pause")
    wall.wait_counter("c1", status="paused")
    desk.light_shows(Indication.PAUSED)
    assert desk.lcd()[0] == "----       PAUSA"
    desk.picture("day-10-paused", build_dir)
    between_presses(desk)
    desk.press("pause", hold=True)
    wall.wait_counter("c1", status="closed")
    desk.light_shows(Indication.CLOSED)
    assert desk.lcd()[0] == "----     FECHADO"
    desk.picture("day-11-closed", build_dir)
    assert wall.calls() == codes[:3] + [codes[3], codes[4]]


def _check_second_ticket(centre, code: str, build_dir) -> None:
    """The sorting office's printer got a real ESC/POS ticket with the same code for the new service;
    saved (bytes and a rendering) under build/tickets/ for people to look at."""
    data = Path(centre.site.device("counter-1").printer.path).read_bytes()
    assert stream.unknown_commands(data) == []
    assert stream.cut_count(data) == 1
    (qr,) = stream.qr_payloads(data)
    ref = TicketQR.decode(qr).ref
    text = stream.decoded_text(data)
    assert f"\n{code}\n" in text and "Residence permit" in text and "Autoriza" in text
    # the second ticket's QR at the kiosk (its one login: link() closes the one that issued the tickets)
    ticket = centre.link("kiosk-1").request("ticket_status", ref=ref)["ticket"]
    assert (ticket["code"], ticket["service"], ticket["status"]) == (code, "immigration", "waiting")
    (build_dir / "tickets").mkdir(parents=True, exist_ok=True)
    (build_dir / "tickets" / "counter-second-ticket.bin").write_bytes(data)
    render_ticket_png(ticket_layout(ticket, public_config(centre.site)),
                      build_dir / "tickets" / "counter-second-ticket.png")


# ----------------------------------------------------------------------------- double presses
def test_a_second_press_within_the_repeat_window_is_not_sent(centre, desks):
    wall = Wall(centre, "display-ground", "ground")
    codes = issue(centre.link("kiosk-1"), 3)
    desk = desks(centre, "counter-1")
    desk.press("pause")
    wall.wait_counter("c1", status="open")
    between_presses(desk)

    first = desk.press("next")  # a quick double press: release, press again 40 ms later
    time.sleep(0.04)
    second = desk.press("next")
    assert second - first < desk.pins.repeat_guard_ms / 1000
    wall.events.wait_for(event_is("ticket_called", code=codes[0]))
    time.sleep(0.5)
    assert wall.calls() == [codes[0]]
    assert wall.wait_counter("c1", current=codes[0])["current"] == codes[0]
    waiting = next(s for s in wall.state.latest(wall.topics.zone_state("ground"))["services"]
                   if s["service"] == "reception")
    assert waiting["waiting"] == 2

    between_presses(desk)  # once the window has passed, the same button works again
    desk.press("next")
    wall.events.wait_for(event_is("ticket_called", code=codes[1]))
    assert wall.calls() == codes[:2]


def _frozen_hub_centre(broker_only, tmp_path, site_data: dict):
    """The hub as its own process, so a test can freeze it (SIGSTOP) like a hung machine."""
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(site_data), encoding="utf-8")
    return broker_only.spawn_hub_process(site_file)


def test_presses_while_a_request_is_in_flight_are_not_sent(broker_only, tmp_path, desks):
    centre = broker_only
    data = counter_site_dict()
    for device in data["devices"]:
        if device["role"] == "counter":
            device["pins"]["reply_timeout_ms"] = 3000
    hub = _frozen_hub_centre(centre, tmp_path, data)
    wall = Wall(centre, "display-ground", "ground")
    desk = desks(centre, "counter-1")
    desk.light_shows(Indication.CLOSED, timeout=15)  # the hub process is up
    codes = issue(centre.link("kiosk-1"), 2)

    hub.send_signal(signal.SIGSTOP)  # the hub hangs: the request stays in flight
    try:
        desk.press("next")
        assert desk.controller.in_flight == "call_next"
        desk.light_shows(Indication.SENDING, timeout=1)
        between_presses(desk)
        desk.press("next")  # impatient presses while it is on its way
        desk.press("recall")
        desk.press("pause")
        assert desk.controller.in_flight == "call_next"
    finally:
        hub.send_signal(signal.SIGCONT)
    wall.events.wait_for(event_is("ticket_called", code=codes[0]))
    desk.settle()
    time.sleep(0.5)
    assert wall.calls() == [codes[0]]
    assert wall.events.events("ticket_recalled") == []
    # call_next opened the closed counter; the PAUSE press was not sent
    assert [e["data"]["status"] for e in wall.events.events("counter_status")] == ["open"]
    assert wall.wait_counter("c1", status="open", current=codes[0])
    desk.light_shows(Indication.SERVING)


def test_a_press_the_hub_did_not_answer_in_time_is_never_applied_later(broker_only, tmp_path, desks):
    centre = broker_only
    hub = _frozen_hub_centre(centre, tmp_path, counter_site_dict())
    wall = Wall(centre, "display-ground", "ground")
    desk = desks(centre, "counter-1")
    desk.light_shows(Indication.CLOSED, timeout=15)
    codes = issue(centre.link("kiosk-1"), 1)

    hub.send_signal(signal.SIGSTOP)
    try:
        pressed = desk.press("next")
        desk.wait_lcd(lambda lines: lines[1] == "Sem resposta", timeout=3)
        told = time.monotonic() - pressed
        assert told <= desk.pins.reply_timeout_ms / 1000 + 0.5
        desk.light_shows(Indication.ERROR, timeout=1)
        time.sleep(0.3)  # the hub comes back after the press's deadline
    finally:
        hub.send_signal(signal.SIGCONT)
    time.sleep(1.0)
    assert wall.calls() == [], "a press reported as failed was applied later"
    assert wall.counter("c1")["status"] == "closed"

    desk.light_shows(Indication.CLOSED, timeout=5)  # the staff member presses again: it works
    desk.press("next")
    wall.events.wait_for(event_is("ticket_called", code=codes[0]))
    assert wall.calls() == [codes[0]]


# ----------------------------------------------------------------------------- outages
def test_a_press_during_a_broker_restart_shows_at_once_and_is_not_replayed(centre, desks, build_dir):
    wall = Wall(centre, "display-ground", "ground")
    codes = issue(centre.link("kiosk-1"), 2)
    desk = desks(centre, "counter-1")
    desk.press("next")
    wall.events.wait_for(event_is("ticket_called", code=codes[0]))
    desk.light_shows(Indication.SERVING)

    centre.broker.stop()
    wait_until(lambda: desk.controller.indication() == Indication.OFFLINE, 2, "the counter to notice")
    desk.light_shows(Indication.OFFLINE, timeout=2)
    assert desk.lcd()[0] == f"{codes[0]} pt  SEM HUB"
    desk.picture("outage-broker-down", build_dir)
    between_presses(desk)
    red = desk.factory.pin(desk.pins.led_red)
    assert not red.state
    desk.press("next")  # NEXT acts on release: the error must be on the light right after it
    wait_until(lambda: red.state, 0.1, "the red light at once (within 0.1 s)")
    assert desk.controller.in_flight is None  # nothing was sent
    assert desk.lcd()[1] == "Hub sem ligacao"
    desk.light_shows(Indication.ERROR, timeout=1)

    centre.broker.start()
    desk.light_shows(Indication.SERVING, timeout=10)  # link, hub and retained state are back
    time.sleep(0.5)
    assert wall.link.connected
    assert wall.counter("c1")["current"] == codes[0], "the press during the outage was applied"
    assert codes[1] not in wall.calls()
    between_presses(desk)
    desk.press("next")  # pressed again once the light says the link is back
    wall.events.wait_for(event_is("ticket_called", code=codes[1]))
    assert wall.calls() == codes


def test_a_press_while_the_hub_is_down_is_refused_at_once(centre, desks):
    desk = desks(centre, "counter-1")
    issue(centre.link("kiosk-1"), 1)
    desk.light_shows(Indication.CLOSED)
    centre.stop_hub()  # a clean stop: the hub says offline
    desk.light_shows(Indication.OFFLINE, timeout=2)
    buzzer = desk.factory.pin(desk.pins.buzzer)
    buzzer.clear_states()
    desk.press("pause")
    assert desk.controller.in_flight is None  # nothing was sent
    assert desk.lcd()[1] == "Hub sem ligacao"
    desk.light_shows(Indication.ERROR, timeout=1)
    beeps = on_off_durations(buzzer)
    assert [on for on, _ in beeps] == [False, True, False, True]  # two short beeps with the error
    assert all(abs(seconds - 0.08) < 0.05 for _, seconds in beeps[1:])
    centre.start_hub()
    desk.light_shows(Indication.CLOSED, timeout=5)
    between_presses(desk)
    desk.press("pause")
    wait_until(lambda: desk.controller.indication() == Indication.IDLE, 5, "the counter open")


# ----------------------------------------------------------------------------- the race
def test_two_counters_racing_for_the_last_ticket_exactly_one_gets_it(centre, desks):
    ground = Wall(centre, "display-ground", "ground")
    first = Wall(centre, "display-first", "first")
    one, two = desks(centre, "counter-1"), desks(centre, "counter-2")
    kiosk = centre.link("kiosk-1")
    winners = []
    for round_ in range(5):
        (code,) = issue(kiosk, 1)
        start = threading.Barrier(2)

        def press_next(desk):
            start.wait()
            desk.press("next")

        threads = [threading.Thread(target=press_next, args=(d,)) for d in (one, two)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        one.settle()
        two.settle()
        time.sleep(0.2)
        called = [c for c in ground.calls() + first.calls() if c == code]
        assert called == [code], f"round {round_}: {code} was called {len(called)} times"
        currents = {d.device_id: (d.controller.view().current) for d in (one, two)}
        winner = [d for d, current in currents.items() if current == code]
        assert len(winner) == 1, currents
        winners.append(winner[0])
        if winner[0] == "counter-1":
            one.wait_lcd(lambda lines: lines[0] == f"{code} pt")
            assert two.digits() == segments("   0")  # nobody at counter 2, 0 waiting
        else:
            assert two.digits() == segments(code)
            one.wait_lcd(lambda lines: lines == ["----", "Ninguem a espera"])
        time.sleep(FAST_PINS["repeat_guard_ms"] / 1000)
    assert len(winners) == 5


# ----------------------------------------------------------------------------- printer fault
def test_a_printer_fault_at_the_sorting_office_loses_no_ticket(tmp_path, desks):
    with PtyPrinter("paper_out") as paper:
        data = counter_site_dict()
        data["devices"][2]["printer"] = {"connector": "serial", "serial_port": paper.port, "baudrate": 9600,
                                         "status_poll_s": 0.1}
        with LocalCentre(small_site(data), tmp_path) as centre:
            first_floor = Wall(centre, "display-first", "first")
            (code,) = issue(centre.link("kiosk-1"), 1)
            desk = desks(centre, "counter-1")
            desk.press("next")
            desk.wait_lcd(lambda lines: lines[0] == f"{code} pt")
            desk.press("transfer")
            desk.wait_lcd(lambda lines: "1/2" in lines[0])
            between_presses(desk)
            desk.press("transfer", hold=True)
            first_floor.events.wait_for(event_is("ticket_transferred", code=code))
            # the LCD names the code, so the staff member can tell the visitor; the light flags it
            desk.wait_lcd(lambda lines: lines[1] == f"Falha imp. {code}", timeout=15)
            desk.light_shows(Indication.ERROR, timeout=1)
            assert b"\n" + code.encode() + b"\n" not in bytes(paper.received)
            first_floor.state.wait_for(lambda t, p: any(s["service"] == "immigration" and s["waiting"] == 1
                                                        for s in p["services"]))
            health = Inbox()
            probe = centre.monitor()  # read only: the desk keeps its login
            probe.subscribe(probe.topics.health("counter-1"), health)
            health.wait_for(lambda t, p: p.get("printer") == "paper_out")
            desk.close()  # before its centre goes away


# ----------------------------------------------------------------------------- a technician's edit
def test_a_changed_site_file_rewires_the_desk_without_a_restart(centre, desks, tmp_path):
    wall = Wall(centre, "display-ground", "ground")
    desk = desks(centre, "counter-1")
    codes = issue(centre.link("kiosk-1"), 2)
    desk.press("next")
    wall.events.wait_for(event_is("ticket_called", code=codes[0]))

    data = counter_site_dict(str(tmp_path / "counter-1-printer.bin"))
    data["devices"][2]["pins"]["next"] = 16  # NEXT moved to another GPIO, a 20x4 LCD fitted
    data["devices"][2]["small_display"] = {"kind": "lcd_i2c", "i2c_address": 0x27, "columns": 20, "rows": 4}
    old_hardware = desk.device.hardware
    centre.stop_hub()
    centre.site = small_site(data)  # what SIGHUP does on a hub: the new file, every slice republished
    centre.start_hub()
    def rebuilt():
        hardware = desk.device.hardware
        return hardware is not None and hardware is not old_hardware and hardware.pins.next == 16
    wait_until(rebuilt, 5, "the desk rebuilt from the new slice")
    desk.pins = centre.site.device("counter-1").pins
    desk.config = centre.site.device("counter-1")
    desk.light_shows(Indication.SERVING)
    assert desk.wait_lcd(lambda lines: len(lines) == 4)[0] == f"{codes[0]} pt"
    desk.factory.pin(17).drive_low()  # the old NEXT pin means nothing now
    desk.factory.pin(17).drive_high()
    time.sleep(0.3)
    assert wall.calls() == [codes[0]]
    between_presses(desk)
    desk.press("next")
    wall.events.wait_for(event_is("ticket_called", code=codes[1]))
    assert desk.wait_lcd(lambda lines: lines[0] == f"{codes[1]} pt") == [f"{codes[1]} pt", "Em espera: 0", "", ""]
