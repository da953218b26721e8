"""One shape for every driver, gpiozero's: ``HardwareDevice`` and its ``Listeners``.

    with CallButtons({"next": 17, "recall": 27}, hold_buttons=["next"]) as buttons:
        buttons.add_press_listener(controller.on_button)    # ButtonEvent, on the pin's thread
        ...
    buttons                       # <CallButtons next=17 recall=27 closed>

Every driver of ``hardware`` (call buttons, status light, small displays, ticket
printer, scanners, the timer thread) has the same life:

* made with the one or two things that say where it is (a pin map, pins, a
  port, a printer entry) as positionals, every option after them keyword-only;
* ``add_<event>_listener(listener)``: every listener added is called, in the
  order added, on the driver's own thread; one that raises is logged and the
  others still run.  There is no other way to be told of an event;
* ``start()`` begins what it does on its own (reading, polling) and returns
  the device; a driver that is live once made (a gpiozero pin) has nothing to
  start.  ``with`` starts it and closes it;
* ``close()`` releases what it holds (pins, bus, port, threads) once; a second
  call does nothing, ``closed`` says whether it was called;
* ``repr()`` names the class, where it is attached and its state, or
  ``closed``: ``<StatusLight red=5 green=6 blue=13 idle>``.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Generic, TypeVar

log = logging.getLogger(__name__)

Event = TypeVar("Event")


class Listeners(Generic[Event]):
    """The listeners of one event of one device, called in the order they were added."""

    def __init__(self, owner: object, event: str):
        self._owner = owner
        self._event = event
        self._listeners: list[Callable[[Event], None]] = []
        self._lock = threading.Lock()

    def add(self, listener: Callable[[Event], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def __call__(self, value: Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(value)
            except Exception:  # one bad listener must not silence the others or stop the driver
                log.exception("%r: a %s listener failed", self._owner, self._event)


class HardwareDevice:
    """The base of every driver: ``start``, idempotent ``close``, ``closed``, ``with``, ``repr``.

    A subclass calls ``super().__init__()`` first, releases what it holds in
    ``_close()`` (called once, also after a failed ``__init__``), and says where it
    is attached in ``_where()`` and how it is in ``_state()``.
    """

    def __init__(self) -> None:
        self._closed = False
        self._close_lock = threading.Lock()

    @property
    def closed(self) -> bool:
        return self._closed

    def start(self):
        """Begin what the device does on its own; returns the device.  Nothing to do here."""
        return self

    def close(self) -> None:
        """Release the device; idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._close()

    def _close(self) -> None:
        pass

    def _where(self) -> str:
        return ""

    def _state(self) -> str:
        return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        parts = [type(self).__name__, self._where(), "closed" if self._closed else self._state()]
        return "<" + " ".join(part for part in parts if part) + ">"
