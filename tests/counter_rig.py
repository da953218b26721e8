"""What the tests of the counter need below the last real interfaces: the I2C bus of
the LCD (a bus object that records the bytes, decoded as an HD44780 would show them)
and the TM1637's two pins (a MockPin that reports its changes, decoded as the chip
would read them); plus pressing buttons and reading the status light from MockPins."""

from __future__ import annotations

import threading
import time
from typing import Callable

import pytest

from gpiozero.pins.mock import MockFactory, MockPin


# ----------------------------------------------------------------------------- I2C LCD
class RecordingSMBus:
    """Stands for smbus2.SMBus: keeps every byte written, per address."""

    def __init__(self):
        self.writes: list[tuple[int, int]] = []
        self._lock = threading.Lock()

    def write_byte(self, address: int, value: int, force=None) -> None:
        with self._lock:
            self.writes.append((address, value))

    def write_byte_data(self, address: int, register: int, value: int, force=None) -> None:
        raise AssertionError("a PCF8574 backpack is written with write_byte only")

    def close(self) -> None:
        pass

    def bytes_to(self, address: int) -> list[int]:
        with self._lock:
            return [v for a, v in self.writes if a == address]


class Hd44780:
    """An HD44780 behind a PCF8574 (D7..D4 = bits 7..4, BL 3, E 2, RW 1, RS 0): latches the
    data lines when E falls, starts in 8-bit mode, and keeps its display RAM."""

    E, RS = 0x04, 0x01

    def __init__(self, columns: int = 16, rows: int = 2):
        self.columns, self.rows = columns, rows
        self.ram = [0x20] * 128
        self.address = 0
        self.four_bit = False
        self._high: int | None = None
        self._e = False
        self.backlight = False

    def feed(self, values: list[int]) -> "Hd44780":
        for value in values:
            self.backlight = bool(value & 0x08)
            e = bool(value & self.E)
            if self._e and not e:
                self._latch(value)
            self._e = e
        return self

    def _latch(self, value: int) -> None:
        nibble, rs = value >> 4, value & self.RS
        if not self.four_bit:  # 8-bit mode: D3..D0 are not wired, so they read 0
            self._apply(nibble << 4, rs)
            return
        if self._high is None:
            self._high = nibble
            return
        self._apply(self._high << 4 | nibble, rs)
        self._high = None

    def _apply(self, byte: int, rs: int) -> None:
        if rs:
            self.ram[self.address] = byte
            self.address = (self.address + 1) & 0x7F
        elif byte & 0x80:
            self.address = byte & 0x7F
        elif byte & 0x20:  # function set: DL is bit 4
            if not self.four_bit and not byte & 0x10:
                self.four_bit = True
                self._high = None
        elif byte == 0x01:
            self.ram = [0x20] * 128
            self.address = 0
        elif byte in (0x02, 0x03):
            self.address = 0

    def lines(self) -> list[str]:
        offsets = [0x00, 0x40, self.columns, 0x40 + self.columns]
        return ["".join(chr(c) for c in self.ram[offsets[r]:offsets[r] + self.columns]) for r in range(self.rows)]


def lcd_text(bus: RecordingSMBus, address: int = 0x27, columns: int = 16, rows: int = 2) -> list[str]:
    """What the LCD at ``address`` shows now, from every byte sent to it since power-up."""
    return Hd44780(columns, rows).feed(bus.bytes_to(address)).lines()


# ----------------------------------------------------------------------------- TM1637
class ProbePin(MockPin):
    """A MockPin that also tells a listener about every change of its level."""

    def __init__(self, factory, info):
        self.listener: Callable[[int, bool], None] | None = None
        super().__init__(factory, info)

    def _change_state(self, value):
        changed = super()._change_state(value)
        if changed and self.listener is not None:
            self.listener(self.info.name, value)
        return changed


class Tm1637Chip:
    """Reads the TM1637 wire: start (DIO falls, CLK high), bits on CLK rising edges, LSB first,
    a 9th clock for the acknowledge, stop (DIO rises, CLK high); keeps the four digit bytes."""

    def __init__(self, factory: MockFactory, clk: int, dio: int):
        self.clk_pin, self.dio_pin = factory.pin(clk), factory.pin(dio)
        self.clk_name, self.dio_name = self.clk_pin.info.name, self.dio_pin.info.name
        self.clk, self.dio = True, True
        self.frames: list[list[int]] = []
        self.digits = [0, 0, 0, 0]
        self.display_on = False
        self.brightness = 0
        self._frame: list[int] | None = None
        self._bits: list[int] = []
        self.clk_pin.listener = self._changed
        self.dio_pin.listener = self._changed

    def _changed(self, name: str, value: bool) -> None:
        if name == self.clk_name:
            self.clk = value
            if value and self._frame is not None:
                self._bits.append(int(self.dio))
                if len(self._bits) == 9:  # 8 data bits + the acknowledge clock
                    self._frame.append(sum(bit << i for i, bit in enumerate(self._bits[:8])))
                    self._bits = []
            return
        self.dio = value
        if self.clk and not value:
            self._frame, self._bits = [], []
        elif self.clk and value and self._frame is not None:
            self._end(self._frame)
            self._frame = None

    def _end(self, frame: list[int]) -> None:
        self.frames.append(frame)
        if frame and frame[0] & 0xC0 == 0xC0:
            start = frame[0] & 0x03
            for i, byte in enumerate(frame[1:]):
                self.digits[(start + i) % 4] = byte
        elif frame and frame[0] & 0xF0 == 0x80:
            self.display_on = bool(frame[0] & 0x08)
            self.brightness = frame[0] & 0x07


# ----------------------------------------------------------------------------- buttons, light
def press(factory: MockFactory, pin: int, hold_s: float = 0.03) -> float:
    """Press a button (pin low), keep it down ``hold_s``, release; returns the release time."""
    factory.pin(pin).drive_low()
    time.sleep(hold_s)
    released = time.monotonic()
    factory.pin(pin).drive_high()
    return released


def wait_until(check: Callable[[], object], timeout: float = 5.0, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s (last: {value!r})")
        time.sleep(0.005)


def on_off_durations(pin: MockPin, active_high: bool = True) -> list[tuple[bool, float]]:
    """The recorded levels of an LED pin as (lit, seconds it stayed so), oldest first;
    the last (still running) level is left out."""
    states = pin.states
    out = []
    for current, following in zip(states, states[1:]):
        out.append((current.state == active_high, following.timestamp))
    return out


def period(pattern) -> float:
    """One cycle of a blink pattern, in seconds."""
    return sum(pattern.rhythm)


def check_rhythm(durations: list[tuple[bool, float]], rhythm: tuple[float, ...], cycles: int,
                 tolerance_s: float = 0.05) -> None:
    """The recorded (lit, seconds) match ``rhythm`` for ``cycles`` whole cycles, within the tolerance."""
    start = next(i for i, (lit, _) in enumerate(durations) if lit)  # from the first flash
    measured = durations[start:start + len(rhythm) * cycles]
    assert len(measured) == len(rhythm) * cycles, f"too few changes recorded: {durations}"
    expected = [(i % 2 == 0, rhythm[i % len(rhythm)]) for i in range(len(measured))]
    for (lit, seconds), (want_lit, want_s) in zip(measured, expected):
        assert lit == want_lit
        assert seconds == pytest.approx(want_s, abs=tolerance_s), f"{measured} vs {expected}"


def rhythm_seen(durations: list[tuple[bool, float]], rhythm: tuple[float, ...], tolerance_s: float = 0.05) -> bool:
    """Somewhere after the first (maybe partial) level, one whole cycle of ``rhythm`` was recorded,
    starting at any of its flashes."""
    n = len(rhythm)
    for start in range(1, len(durations) - n + 1):
        if not durations[start][0]:
            continue
        for phase in range(0, n, 2):
            turned = rhythm[phase:] + rhythm[:phase]
            if all(lit == (i % 2 == 0) and abs(seconds - turned[i]) <= tolerance_s
                   for i, (lit, seconds) in enumerate(durations[start:start + n])):
                return True
    return False


# ----------------------------------------------------------------------------- a whole desk
class Desk:
    """A counter device as in a test: its own MockFactory pins, its LCD's bus, its real link
    to the test centre, and the CounterDevice firmware on top."""

    def __init__(self, centre, device_id: str, factory: MockFactory | None = None, settings=None, **device_args):
        from counter.controller import CounterSettings
        from counter.device import CounterDevice

        self.centre = centre
        self.device_id = device_id
        self.config = centre.site.device(device_id)
        self.pins = self.config.pins
        display = self.config.small_display
        self.factory = factory or MockFactory(pin_class=ProbePin)
        #: the TM1637 chip listening on its two pins, when the desk has one
        self.chip = Tm1637Chip(self.factory, display.clk_pin, display.dio_pin) if display.kind == "tm1637" else None
        self.bus = RecordingSMBus()
        self.link = centre.link(device_id)
        self.device = CounterDevice(self.link, pin_factory=self.factory, i2c_bus=self.bus,
                                    settings=settings or CounterSettings(), **device_args).start()
        if not self.device.ready.wait(5):
            raise AssertionError(f"{device_id} got no config/device slice")

    @property
    def controller(self):
        return self.device.controller

    def press(self, button: str, hold: bool = False) -> float:
        """A short press (released after the debounce window) or a hold; returns the deciding edge's time."""
        pin = getattr(self.pins, button)
        down_s = self.pins.hold_s + 0.1 if hold else self.pins.debounce_ms / 1000 + 0.01
        self.factory.pin(pin).drive_low()
        time.sleep(down_s)
        released = time.monotonic()
        self.factory.pin(pin).drive_high()
        return released

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until no request is on its way (its reply or failure is in)."""
        wait_until(lambda: self.controller.in_flight is None, timeout, f"{self.device_id}: reply")

    def lcd(self) -> list[str]:
        """What the LCD shows (trailing blanks dropped), decoded from the bytes on its bus."""
        display = self.device.hardware.display
        display.flush(5)
        lines = lcd_text(self.bus, self.config.small_display.i2c_address, display.columns, display.rows)
        return [line.rstrip() for line in lines]

    def picture(self, name: str, build_dir) -> list[str]:
        """Save what the LCD and the light show now under build/counter/ (for people to look at)."""
        lines = self.lcd()
        columns = self.device.hardware.display.columns
        save_desk_picture(lines, columns, self.controller.indication(), build_dir / "counter" / f"{name}.png")
        return lines

    def digits(self) -> list[int]:
        """The segment bytes the TM1637 chip holds now."""
        self.device.hardware.display.flush(5)
        return list(self.chip.digits)

    def wait_lcd(self, check: Callable[[list[str]], bool], timeout: float = 5.0) -> list[str]:
        box: list = []

        def seen():
            box[:] = [self.lcd()]
            return check(box[0])
        try:
            wait_until(seen, timeout, "LCD text")
        except AssertionError:
            raise AssertionError(f"{self.device_id}: the LCD shows {box[0] if box else None}") from None
        return box[0]

    def led_pins(self) -> list[MockPin]:
        return [self.factory.pin(p) for p in (self.pins.led_red, self.pins.led_green, self.pins.led_blue)]

    def light_shows(self, indication, timeout: float = 5.0) -> None:
        """Read the status light back from its pins until it shows ``indication``'s pattern."""
        from counter.indications import PATTERNS

        pattern = PATTERNS[indication]
        deadline = time.monotonic() + timeout
        while True:
            pins = self.led_pins()
            for pin in pins:
                pin.clear_states()
            window = 0.3 if pattern.steady else period(pattern) + max(pattern.rhythm) + 0.15
            time.sleep(window)
            lit = [pin.state == self.pins.led_active_high for pin in pins]
            changes = [on_off_durations(pin, self.pins.led_active_high) for pin in pins]
            if pattern.colour is None:
                ok = not any(lit) and all(not any(on for on, _ in c) for c in changes)
            elif pattern.steady:
                ok = lit == [bool(c) for c in pattern.colour] and all(len(c) == 0 for c in changes)
            else:
                ok = all(rhythm_seen(c, pattern.rhythm) if on else not any(x for x, _ in c) and not l
                         for c, on, l in zip(changes, pattern.colour, lit))
            if ok:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.device_id}: the light does not show {indication.value}: "
                                     f"now {lit}, changes {changes}")

    def close(self) -> None:
        self.device.close()
        self.link.close()


# ----------------------------------------------------------------------------- pictures for people
MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"


def save_desk_picture(lines: list[str], columns: int, indication, path) -> None:
    """Draw the LCD as decoded from its bus (blue module, character cells) and the status light
    with its pattern's name and rhythm, so a person can look at what the desk showed."""
    from pathlib import Path

    from PIL import Image, ImageDraw, ImageFont

    from counter.indications import PATTERNS

    font = ImageFont.truetype(MONO, 30)
    small = ImageFont.truetype(MONO, 18)
    cell_w, cell_h, gap, margin = 22, 38, 3, 24
    rows = len(lines)
    lcd_width = margin * 2 + columns * (cell_w + gap)
    width = max(lcd_width, 600)  # room for the light's legend
    height = margin * 2 + rows * (cell_h + gap) + 70
    image = Image.new("RGB", (width, height), (30, 30, 30))
    draw = ImageDraw.Draw(image)
    draw.rectangle([margin - 10, margin - 10, lcd_width - margin + 10, margin + rows * (cell_h + gap) + 6],
                   fill=(40, 70, 200))
    for r, line in enumerate(lines):
        for c in range(columns):
            x, y = margin + c * (cell_w + gap), margin + r * (cell_h + gap)
            draw.rectangle([x, y, x + cell_w, y + cell_h], fill=(55, 90, 220))
            ch = line[c] if c < len(line) else " "
            draw.text((x + 1, y + 2), ch, font=font, fill=(235, 240, 255))
    pattern = PATTERNS[indication]
    colour = tuple(255 * v for v in pattern.colour) if pattern.colour else (60, 60, 60)
    y = height - 52
    draw.ellipse([margin, y, margin + 32, y + 32], fill=colour, outline=(200, 200, 200))
    rhythm = ("dark" if pattern.colour is None else "steady") if pattern.steady else \
        "/".join(f"{d:g}" for d in pattern.rhythm) + " s on/off"
    draw.text((margin + 44, y + 6), f"{indication.value}: {rhythm}", font=small, fill=(230, 230, 230))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
