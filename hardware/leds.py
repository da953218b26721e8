"""A counter's status light: an RGB LED (or up to three single LEDs) playing blink patterns.

A pattern is a colour and a rhythm.  The rhythm carries the meaning (a
colour-blind staff member tells steady, heartbeat, slow blink, fast blink,
double and triple flashes apart); the colour only repeats it.  Each channel is
a gpiozero ``LED`` without PWM, so a colour is any mix of red, green and blue.
Patterns are played by one thread that schedules every change against the
pattern's start, so the rhythm does not drift.

    light = StatusLight(5, 6, 13)                     # red, green, blue pins (any may be None)
    light.play(BlinkPattern("idle", GREEN, (0.15, 1.85)))
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from gpiozero import LED

from .device import HardwareDevice

Colour = tuple[int, int, int]
RED: Colour = (1, 0, 0)
GREEN: Colour = (0, 1, 0)
BLUE: Colour = (0, 0, 1)
YELLOW: Colour = (1, 1, 0)
WHITE: Colour = (1, 1, 1)
CHANNELS = ("red", "green", "blue")


@dataclass(frozen=True)
class BlinkPattern:
    """``rhythm`` alternates on and off durations in seconds, starting with on, and repeats;
    an empty rhythm is steady on; ``colour`` None is dark."""

    name: str
    colour: Colour | None
    rhythm: tuple[float, ...] = ()

    def __post_init__(self):
        if len(self.rhythm) % 2 or any(d <= 0 for d in self.rhythm):
            raise ValueError(f"pattern {self.name!r}: the rhythm is pairs of positive on/off durations")

    @property
    def steady(self) -> bool:
        return self.colour is None or not self.rhythm


DARK = BlinkPattern("dark", None)


class StatusLight(HardwareDevice):
    """Plays one pattern at a time on the fitted channels (a missing pin = channel not fitted)."""

    def __init__(self, red: int | None = None, green: int | None = None, blue: int | None = None, *,
                 active_high: bool = True, pin_factory=None):
        super().__init__()
        self._pins = {channel: pin for channel, pin in zip(CHANNELS, (red, green, blue)) if pin is not None}
        self._leds: dict[str, LED] = {}
        self._thread: threading.Thread | None = None
        self._cond = threading.Condition()
        self._pattern = DARK
        self._generation = 0
        try:
            for channel, pin in self._pins.items():
                self._leds[channel] = LED(pin, active_high=active_high, pin_factory=pin_factory)
        except Exception:
            self.close()
            raise
        self._thread = threading.Thread(target=self._run, name="status-light", daemon=True)
        self._thread.start()

    @property
    def pattern(self) -> BlinkPattern:
        return self._pattern

    def play(self, pattern: BlinkPattern) -> None:
        """Switch to ``pattern`` at once; the same pattern again keeps its rhythm running."""
        with self._cond:
            if pattern == self._pattern or self.closed:
                return
            self._pattern = pattern
            self._generation += 1
            self._cond.notify_all()

    def _lit(self, colour: Colour | None) -> dict[str, bool]:
        """Which fitted channels light for ``colour``; a colour none of them can show lights them
        all, so the rhythm is still seen on a desk with a single LED."""
        if colour is None:
            return {channel: False for channel in self._leds}
        wanted = {channel for channel, on in zip(CHANNELS, colour) if on}
        if not wanted & set(self._leds):
            wanted = set(self._leds)
        return {channel: channel in wanted for channel in self._leds}

    def _show(self, colour: Colour | None) -> None:
        for channel, on in self._lit(colour).items():
            led = self._leds[channel]
            if on:
                led.on()
            else:
                led.off()

    def _run(self) -> None:
        with self._cond:
            while not self.closed:
                pattern, generation = self._pattern, self._generation
                if pattern.steady:
                    self._show(pattern.colour)
                    while generation == self._generation and not self.closed:
                        self._cond.wait()
                    continue
                due = time.monotonic()
                step = 0
                while generation == self._generation and not self.closed:
                    self._show(pattern.colour if step % 2 == 0 else None)
                    due += pattern.rhythm[step % len(pattern.rhythm)]
                    step += 1
                    while generation == self._generation and not self.closed:
                        remaining = due - time.monotonic()
                        if remaining <= 0:
                            break
                        self._cond.wait(remaining)

    def _close(self) -> None:
        """Dark, pins released."""
        with self._cond:
            self._cond.notify_all()  # the player sees ``closed`` and stops
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        for led in self._leds.values():
            led.close()

    def _where(self) -> str:
        return " ".join(f"{channel}={pin}" for channel, pin in self._pins.items())

    def _state(self) -> str:
        return self._pattern.name
