"""The counter's drivers on gpiozero's MockFactory pins and a recording I2C bus:
buttons (press, hold, bounce), the status light's patterns as timed on the pins,
the character LCD (as an HD44780 would show it) and the TM1637 module (as the
chip would read its two wires)."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from counter_rig import (Hd44780, ProbePin, RecordingSMBus, Tm1637Chip, check_rhythm, lcd_text, on_off_durations,
                         period, press, wait_until)
from gpiozero.pins.mock import MockFactory

from counter.indications import PATTERNS, Indication
from hardware.buttons import HOLD, PRESS, CallButtons
from hardware.counter_display import CharacterLcd, FourDigitDisplay, ascii_fold, segments
from hardware.leds import BLUE, GREEN, BlinkPattern, StatusLight

TOLERANCE_S = 0.05  # gpiozero's own assert_states_and_times allows 50 ms on a Pi


@pytest.fixture
def factory():
    f = MockFactory()
    yield f
    f.reset()


class Events(list):
    """Collects ButtonEvents from any thread."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()

    def __call__(self, event):
        with self.lock:
            self.append(event)

    def kinds(self) -> list[tuple[str, str]]:
        with self.lock:
            return [(e.button, e.kind) for e in self]


def call_buttons(pins, events, factory, **options) -> CallButtons:
    """Call buttons on the mock pins whose presses and holds go to ``events``."""
    buttons = CallButtons(pins, pin_factory=factory, **options)
    buttons.add_press_listener(events)
    return buttons


# ----------------------------------------------------------------------------- buttons
def test_a_press_is_reported_on_the_edge_itself(factory):
    events = Events()
    with call_buttons({"recall": 27}, events, factory):
        before = time.monotonic()
        factory.pin(27).drive_low()
        assert events.kinds() == [("recall", PRESS)]  # already, before drive_low returned
        assert before <= events[0].at <= time.monotonic()
        factory.pin(27).drive_high()
        assert events.kinds() == [("recall", PRESS)]  # a release means nothing for this button


def test_contact_bounce_is_one_press(factory):
    events = Events()
    with call_buttons({"recall": 27}, events, factory, debounce_s=0.03):
        pin = factory.pin(27)
        for _ in range(4):  # a noisy contact closing
            pin.drive_low()
            pin.drive_high()
        pin.drive_low()
        time.sleep(0.06)
        assert events.kinds() == [("recall", PRESS)]
        for _ in range(3):  # and opening
            pin.drive_high()
            pin.drive_low()
        pin.drive_high()
        time.sleep(0.06)
        press(factory, 27)
        assert events.kinds() == [("recall", PRESS), ("recall", PRESS)]


def test_a_bounce_that_settles_on_the_other_level_is_taken_when_the_window_ends(factory):
    events = Events()
    with call_buttons({"next": 17}, events, factory, hold_buttons=["next"], hold_s=5, debounce_s=0.03):
        pin = factory.pin(17)
        pin.drive_low()
        pin.drive_high()  # released within the bounce window: the level is checked when it ends
        assert events.kinds() == []
        wait_until(lambda: events.kinds() == [("next", PRESS)], 1, "the release after the window")


def test_a_button_with_a_hold_meaning_acts_on_release_or_after_hold_time(factory):
    events = Events()
    with call_buttons({"next": 17, "pause": 24}, events, factory, hold_buttons=["next", "pause"], hold_s=0.2,
                      debounce_s=0.01):
        factory.pin(17).drive_low()
        time.sleep(0.05)
        assert events.kinds() == []  # nothing yet: it may become a hold
        released = time.monotonic()
        factory.pin(17).drive_high()
        assert events.kinds() == [("next", PRESS)]
        assert events[-1].at >= released

        factory.pin(24).drive_low()
        wait_until(lambda: len(events) == 2, 1, "the hold")
        assert events.kinds()[-1] == ("pause", HOLD)
        factory.pin(24).drive_high()
        time.sleep(0.05)
        assert events.kinds() == [("next", PRESS), ("pause", HOLD)]  # no press after a hold


def test_hold_time_is_measured_from_the_press(factory):
    events = Events()
    with call_buttons({"pause": 24}, events, factory, hold_buttons=["pause"], hold_s=0.25):
        pressed = time.monotonic()
        factory.pin(24).drive_low()
        wait_until(lambda: events, 2, "the hold")
        assert events[0].kind == HOLD
        assert events[0].at - pressed == pytest.approx(0.25, abs=TOLERANCE_S)
        factory.pin(24).drive_high()


def test_unfitted_buttons_are_skipped_and_close_releases_the_pins(factory):
    events = Events()
    buttons = call_buttons({"next": 17, "recall": None}, events, factory)
    assert buttons.pins == {"next": 17}
    buttons.close()
    buttons.close()  # idempotent
    factory.pin(17).drive_low()
    assert events == []
    again = CallButtons({"next": 17}, pin_factory=factory)  # the pin is free again
    again.close()


# ----------------------------------------------------------------------------- patterns
def _rhythm_class(pattern: BlinkPattern) -> tuple:
    """What an eye tells apart without colour: dark, steady, or flashes per cycle and cycle length."""
    if pattern.colour is None:
        return ("dark",)
    if not pattern.rhythm:
        return ("steady",)
    on_times = pattern.rhythm[0::2]
    return ("flashes", len(on_times), round(period(pattern), 1), round(max(on_times) / period(pattern), 2))


def test_every_meaning_has_its_own_rhythm():
    classes = {ind: _rhythm_class(p) for ind, p in PATTERNS.items()}
    assert set(PATTERNS) == set(Indication)
    for a, b in itertools.combinations(Indication, 2):
        assert classes[a] != classes[b], f"{a.value} and {b.value} blink alike: {classes[a]}"
    # patterns with the same number of flashes differ at least 2x in cycle length or duty cycle
    blinking = [p for p in PATTERNS.values() if p.rhythm and p.colour]
    for a, b in itertools.combinations(blinking, 2):
        if len(a.rhythm) == len(b.rhythm):
            ratio = max(period(a), period(b)) / min(period(a), period(b))
            duty = [a.rhythm[0] / period(a), b.rhythm[0] / period(b)]
            assert ratio >= 2 or max(duty) / min(duty) >= 2, f"{a.name} and {b.name} are too alike"
    assert PATTERNS[Indication.CLOSED].colour is None and PATTERNS[Indication.SERVING].rhythm == ()


def test_each_blink_pattern_is_played_on_the_pins_as_defined(factory):
    """All blinking meanings at once, each on its own light (its own three pins)."""
    blinking = [ind for ind, p in PATTERNS.items() if p.rhythm and p.colour]
    lights = {}
    for n, ind in enumerate(blinking):
        red, green, blue = 2 + 3 * n, 3 + 3 * n, 4 + 3 * n
        lights[ind] = (StatusLight(red, green, blue, pin_factory=factory), (red, green, blue))
    try:
        for ind, (light, pins) in lights.items():
            for pin in pins:
                factory.pin(pin).clear_states()
            light.play(PATTERNS[ind])
        longest = max(period(PATTERNS[ind]) for ind in blinking)
        time.sleep(2 * longest + 0.3)
        for ind, (light, pins) in lights.items():
            pattern = PATTERNS[ind]
            cycles = max(2, int(2 * longest / period(pattern)) - 1)
            for channel_on, pin in zip(pattern.colour, pins):
                durations = on_off_durations(factory.pin(pin))
                if channel_on:
                    check_rhythm(durations, pattern.rhythm, cycles)
                else:
                    assert not any(lit for lit, _ in durations), f"{ind.value}: pin {pin} should stay dark"
    finally:
        for light, _ in lights.values():
            light.close()


def test_steady_and_dark_patterns_do_not_blink(factory):
    with StatusLight(5, 6, 13, pin_factory=factory) as light:
        light.play(PATTERNS[Indication.SERVING])
        wait_until(lambda: factory.pin(6).state, 1, "green on")
        factory.pin(6).clear_states()
        time.sleep(0.5)
        assert [s.state for s in factory.pin(6).states] == [True]
        assert not factory.pin(5).state and not factory.pin(13).state
        light.play(PATTERNS[Indication.CLOSED])
        wait_until(lambda: not factory.pin(6).state, 1, "dark")


def test_switching_pattern_takes_effect_at_once(factory):
    with StatusLight(5, 6, 13, pin_factory=factory) as light:
        light.play(PATTERNS[Indication.PAUSED])  # 1 s on, 1 s off
        wait_until(lambda: factory.pin(5).state, 1, "yellow on")
        switched = time.monotonic()
        light.play(PATTERNS[Indication.ERROR])
        wait_until(lambda: not factory.pin(6).state, 1, "green off (red only)")
        assert time.monotonic() - switched < 0.1  # "at once" for a person


def test_a_desk_with_one_led_still_shows_every_rhythm(factory):
    offline = PATTERNS[Indication.OFFLINE]
    assert offline.colour == BLUE
    with StatusLight(green=6, pin_factory=factory) as light:  # only a green LED fitted
        factory.pin(6).clear_states()
        light.play(offline)
        time.sleep(2 * period(offline) + 0.2)
        check_rhythm(on_off_durations(factory.pin(6)), offline.rhythm, 2)


def test_a_common_anode_led_lights_when_its_pin_is_low(factory):
    with StatusLight(5, 6, 13, active_high=False, pin_factory=factory) as light:
        light.play(BlinkPattern("green", GREEN))
        wait_until(lambda: not factory.pin(6).state, 1, "green pin low")
        assert factory.pin(5).state and factory.pin(13).state  # the others dark = high


# ----------------------------------------------------------------------------- LCD
def test_the_lcd_shows_the_lines_as_the_hd44780_receives_them():
    bus = RecordingSMBus()
    with CharacterLcd(0x27, columns=16, rows=2, bus=bus) as lcd:
        lcd.show(["A023   chamada 2", "Ninguém à espera"])
        assert lcd.flush(5)
        assert lcd_text(bus) == ["A023   chamada 2", "Ninguem a espera"]
        lcd.show(["B7", "Em espera: 12 pessoas"])  # short lines are blanked, long ones cut
        assert lcd.flush(5)
        assert lcd_text(bus) == ["B7              ", "Em espera: 12 pe"]
        assert Hd44780().feed(bus.bytes_to(0x27)).backlight
        assert lcd.fault is None


def test_a_20x4_lcd_at_another_address():
    bus = RecordingSMBus()
    with CharacterLcd(0x3F, columns=20, rows=4, bus=bus) as lcd:
        lcd.show(["line one", "line two", "line three"])
        assert lcd.flush(5)
    assert bus.bytes_to(0x27) == []
    assert lcd_text(bus, 0x3F, 20, 4) == ["line one".ljust(20), "line two".ljust(20), "line three".ljust(20),
                                         " " * 20]


class FlakyBus(RecordingSMBus):
    """An I2C bus whose module can be unplugged (``broken``) and plugged back."""

    broken = False

    def write_byte(self, address, value, force=None):
        if self.broken:
            raise OSError(121, "Remote I/O error")
        super().write_byte(address, value)


def test_an_lcd_that_stops_answering_is_a_fault_not_a_crash():
    bus = FlakyBus()
    reports = []
    with CharacterLcd(bus=bus) as lcd:
        lcd.add_fault_listener(reports.append)
        bus.broken = True
        lcd.show(["A001", ""])
        assert lcd.flush(5)
        assert "Remote I/O error" in lcd.fault
        lcd.show(["A001 again", ""])
        assert lcd.flush(5)
        bus.broken = False  # plugged back in: the next screen initialises it again
        lcd.show(["A002", ""])
        assert lcd.flush(5)
        assert lcd.fault is None
        assert len(reports) == 2 and "Remote I/O error" in reports[0] and reports[1] is None  # once each way
        assert lcd_text(bus)[0].strip() == "A002"


def test_every_fault_listener_hears_the_fault_not_only_the_last_added():
    """The health report and a second listener both follow the display: adding one never
    replaces another (``on_fault(listener)`` used to keep only the last one given)."""
    bus = FlakyBus()
    first, second = [], []
    with CharacterLcd(bus=bus) as lcd:
        lcd.add_fault_listener(first.append)
        lcd.add_fault_listener(second.append)
        bus.broken = True
        lcd.show(["A001", ""])
        assert lcd.flush(5)
        bus.broken = False
        lcd.show(["A002", ""])
        assert lcd.flush(5)
    assert len(first) == 2 and "Remote I/O error" in first[0] and first[1] is None
    assert second == first


def test_text_is_folded_to_what_every_lcd_rom_has():
    assert ascii_fold("Balcão 5 · Saúde") == "Balcao 5 ? Saude"
    assert ascii_fold("Українська") == "??????????"


# ----------------------------------------------------------------------------- TM1637
def test_the_tm1637_receives_the_four_digits_on_its_two_wires():
    factory = MockFactory(pin_class=ProbePin)
    chip = Tm1637Chip(factory, clk=20, dio=21)
    with FourDigitDisplay(20, 21, brightness=5, pin_factory=factory) as display:
        display.show(["A023"])
        assert display.flush(5)
        assert chip.digits == segments("A023") == [0x77, 0x3F, 0x5B, 0x4F]
        assert chip.display_on and chip.brightness == 5
        assert chip.frames[-3:] == [[0x40], [0xC0, 0x77, 0x3F, 0x5B, 0x4F], [0x8D]]
        display.show(["P  3", "ignored second line"])
        assert display.flush(5)
        assert chip.digits == [0x73, 0x00, 0x00, 0x4F]
    factory.reset()


# ----------------------------------------------------------------------------- the site file's part
def test_the_site_file_refuses_a_desk_wired_twice_to_one_pin():
    from pydantic import ValidationError
    from sites import small_site, small_site_dict

    def counter_with(**changes):
        data = small_site_dict()
        data["devices"][2].update(changes)
        return data

    with pytest.raises(ValidationError, match="two different pins, clk_pin and dio_pin"):
        small_site(counter_with(small_display={"kind": "tm1637", "clk_pin": 20}))
    with pytest.raises(ValidationError, match=r"small_display pins \[17\] are already used by `pins`"):
        small_site(counter_with(small_display={"kind": "tm1637", "clk_pin": 17, "dio_pin": 21}))
    with pytest.raises(ValidationError, match="reply_timeout_ms"):
        small_site(counter_with(pins={"reply_timeout_ms": 10}))
    ok = small_site(counter_with(small_display={"kind": "tm1637", "clk_pin": 20, "dio_pin": 21},
                                 pins={"buzzer": 26, "led_active_high": False}))
    assert ok.device("counter-1").pins.led_active_high is False


# ----------------------------------------------------------------------------- timers
def test_one_scheduler_thread_runs_calls_in_due_order_and_skips_cancelled_ones():
    from hardware.scheduler import Scheduler

    ran: list[tuple[str, float]] = []
    scheduler = Scheduler()
    try:
        start = time.monotonic()
        scheduler.call_later(0.15, lambda: ran.append(("late", time.monotonic() - start)))
        scheduler.call_later(0.05, lambda: ran.append(("early", time.monotonic() - start)))
        scheduler.call_later(0.10, lambda: ran.append(("cancelled", 0))).cancel()
        scheduler.call_later(0.0, lambda: 1 / 0)  # a failing action does not stop the others
        wait_until(lambda: len(ran) == 2, 2, "both calls")
        time.sleep(0.05)
        assert [name for name, _ in ran] == ["early", "late"]
        assert ran[0][1] == pytest.approx(0.05, abs=TOLERANCE_S) and ran[1][1] == pytest.approx(0.15, abs=TOLERANCE_S)
    finally:
        scheduler.close()
        scheduler.close()


# ----------------------------------------------------------------------------- one shape
def test_every_driver_has_gpiozeros_shape(factory):
    """Where it is and how it is in its repr, ``closed`` after ``close()``, which may come twice,
    ``with`` closes it; options after the pins are keyword-only."""
    from hardware.scheduler import Scheduler

    tm_factory = MockFactory(pin_class=ProbePin)
    Tm1637Chip(tm_factory, clk=20, dio=21)
    with CallButtons({"next": 17, "recall": 27, "pause": None}, pin_factory=factory) as buttons, \
            StatusLight(5, 6, 13, pin_factory=factory) as light, \
            CharacterLcd(0x27, bus=RecordingSMBus()) as lcd, \
            FourDigitDisplay(20, 21, pin_factory=tm_factory) as digits, \
            Scheduler("desk-timers") as timers:
        factory.pin(17).drive_low()
        assert repr(buttons) == "<CallButtons next=17 recall=27 pressed=next>"
        factory.pin(17).drive_high()  # within the bounce window: taken when it ends
        wait_until(lambda: repr(buttons) == "<CallButtons next=17 recall=27 released>", 1, "the release")
        light.play(PATTERNS[Indication.IDLE])
        assert repr(light) == "<StatusLight red=5 green=6 blue=13 idle>"
        assert repr(lcd) == "<CharacterLcd i2c-1 0x27 16x2 ok>"
        assert repr(digits) == "<FourDigitDisplay clk=20 dio=21 ok>"
        timers.call_later(60, lambda: None)
        assert repr(timers) == "<Scheduler 'desk-timers' 1 pending>"
        devices = [buttons, light, lcd, digits, timers]
        assert not any(device.closed for device in devices)
    for device in devices:
        assert device.closed and repr(device).endswith(" closed>")
        device.close()  # a second time: nothing happens
    assert repr(buttons) == "<CallButtons next=17 recall=27 closed>"
    with pytest.raises(TypeError):
        StatusLight(5, 6, 13, True)  # active_high is keyword-only, as gpiozero's
    tm_factory.reset()
