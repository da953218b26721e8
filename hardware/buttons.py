"""A counter's call buttons: gpiozero Buttons that say "pressed" or "held", once.

Each button is a gpiozero ``Button`` (pull-up, switch to ground).  On top of
gpiozero's edges this adds what a staff member expects of a desk button:

* **debounce without delay**: the first edge counts at once, edges within
  ``debounce_s`` after it are contact bounce; if the contact settled on the
  other level meanwhile, that level is taken when the window ends.  (gpiozero's
  ``bounce_time`` is left to the pin library, and its stable-time filters
  would add their window to every press.)
* **long presses**: a button with a hold meaning reports ``hold`` once it has
  been down for ``hold_s``, or ``press`` when it is released before that, so it
  acts on release; a button without one reports ``press`` on the press edge.

What a press *means* is not decided here (see ``counter.controller``).

    buttons = CallButtons({"next": 17, "recall": 27}, hold_buttons=["next"], hold_s=1.0)
    buttons.add_press_listener(controller.on_button)   # ButtonEvent("next", "hold", at)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from gpiozero import Button

from .device import HardwareDevice, Listeners
from .scheduler import Scheduled, Scheduler

PRESS = "press"
HOLD = "hold"


@dataclass(frozen=True)
class ButtonEvent:
    button: str  #: the button's name, e.g. "next"
    kind: str  #: PRESS or HOLD
    at: float  #: time.monotonic() of the edge (or hold time) that decided it


@dataclass
class _Contact:
    device: Button
    holds: bool
    down: bool = False  # the accepted (debounced) level
    last_edge: float = float("-inf")
    held: bool = False
    presses: int = 0  # identifies the current press for its hold timer
    settle: Scheduled | None = None
    hold_timer: Scheduled | None = None


class CallButtons(HardwareDevice):
    """The buttons of one desk, by name; each press or hold goes to the press listeners.

    ``pins`` maps a button name to its BCM pin (missing or None = not fitted);
    ``hold_buttons`` names the buttons with a long-press meaning.
    """

    def __init__(self, pins: Mapping[str, int | None], *, hold_buttons: Iterable[str] = (), hold_s: float = 1.0,
                 debounce_s: float = 0.02, pin_factory=None, scheduler: Scheduler | None = None):
        super().__init__()
        self._on_press: Listeners[ButtonEvent] = Listeners(self, "press")
        self._own_scheduler = scheduler is None
        self.scheduler = scheduler or Scheduler("button-timers")
        self.hold_s = hold_s
        self.debounce_s = debounce_s
        self._lock = threading.Lock()
        holds = set(hold_buttons)
        #: the fitted buttons' pins, by name
        self.pins: dict[str, int] = {name: pin for name, pin in pins.items() if pin is not None}
        self._contacts: dict[str, _Contact] = {}
        try:
            for name, pin in self.pins.items():
                device = Button(pin, pull_up=True, bounce_time=None, pin_factory=pin_factory)
                self._contacts[name] = _Contact(device, name in holds)
                device.when_pressed = lambda _d=None, n=name: self._edge(n, True)
                device.when_released = lambda _d=None, n=name: self._edge(n, False)
        except Exception:
            self.close()
            raise

    def add_press_listener(self, listener: Callable[[ButtonEvent], None]) -> None:
        """``listener(ButtonEvent)`` for each press or hold, on the thread of the edge (or of the
        timer) that decided it."""
        self._on_press.add(listener)

    # ----------------------------------------------------------------- edges
    def _edge(self, name: str, down: bool, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        events: list[ButtonEvent] = []
        with self._lock:
            contact = self._contacts.get(name)
            if contact is None or self.closed or down == contact.down:
                return
            since = now - contact.last_edge
            if since < self.debounce_s:
                if contact.settle is None:  # look again when the bounce window is over
                    contact.settle = self.scheduler.call_later(self.debounce_s - since, lambda: self._settled(name))
                return
            events = self._accept(name, contact, down, now)
        for event in events:
            self._on_press(event)

    def _settled(self, name: str) -> None:
        with self._lock:
            contact = self._contacts.get(name)
            if contact is None or self.closed:
                return
            contact.settle = None
            level = contact.device.is_pressed
            events = self._accept(name, contact, level, time.monotonic()) if level != contact.down else []
        for event in events:
            self._on_press(event)

    def _accept(self, name: str, contact: _Contact, down: bool, now: float) -> list[ButtonEvent]:
        contact.down = down
        contact.last_edge = now
        if down:
            contact.presses += 1
            if not contact.holds:
                return [ButtonEvent(name, PRESS, now)]
            contact.held = False
            press = contact.presses
            contact.hold_timer = self.scheduler.call_later(self.hold_s, lambda: self._held(name, press))
            return []
        if contact.hold_timer is not None:
            contact.hold_timer.cancel()
            contact.hold_timer = None
        if contact.holds and not contact.held:
            return [ButtonEvent(name, PRESS, now)]
        return []

    def _held(self, name: str, press: int) -> None:
        with self._lock:
            contact = self._contacts.get(name)
            if contact is None or self.closed or not contact.down or contact.presses != press:
                return
            contact.held = True
            contact.hold_timer = None
        self._on_press(ButtonEvent(name, HOLD, time.monotonic()))

    # ------------------------------------------------------------- lifecycle
    def _close(self) -> None:
        """Release the pins and drop pending timers."""
        with self._lock:  # an edge being decided finishes first; later ones see ``closed``
            contacts = list(self._contacts.values())
        for contact in contacts:
            for timer in (contact.settle, contact.hold_timer):
                if timer is not None:
                    timer.cancel()
            contact.device.close()
        if self._own_scheduler:
            self.scheduler.close()

    def _where(self) -> str:
        return " ".join(f"{name}={pin}" for name, pin in self.pins.items())

    def _state(self) -> str:
        down = [name for name, contact in self._contacts.items() if contact.down]
        return f"pressed={','.join(down)}" if down else "released"
