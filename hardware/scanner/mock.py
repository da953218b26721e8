"""Pretend scanners for tests and demos, below the interfaces the drivers read.

* ``PtyScanner``: a serial scanner at the far end of a pseudo-terminal; ``scan()``
  sends a code as the scanner would (text + CR LF).
* ``MockInputBus``: keyboard-wedge scanners without ``/dev/uinput``.  Its
  ``open`` replaces ``evdev.InputDevice`` and returns ``MockInputDevice`` objects
  with evdev's read interface (``fd`` to select on, ``read()`` yielding real
  ``evdev.InputEvent`` objects, ``grab()``, ``close()``); ``type()`` makes the key
  presses and releases a US-layout scanner sends for a text, ending with Enter.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path

from evdev import InputEvent, ecodes

from ..mockpty import PtyPort
from .keymap import US_KEYS


class PtyScanner:
    def __init__(self, link: str | Path | None = None):
        self._port = PtyPort(link, prefix="pty-scanner-")
        self.port = self._port.path
        self._port.plug()

    def scan(self, text: str | bytes, end: bytes = b"\r\n") -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        os.write(self._port.master, data + end)

    def unplug(self) -> None:
        self._port.unplug()

    def plug(self) -> None:
        self._port.plug()

    def close(self) -> None:
        self._port.close()

    def __enter__(self) -> "PtyScanner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# character -> (key code, needs shift), from the driver's own US table
_KEYS_FOR = {}
for _code, (_plain, _shifted) in US_KEYS.items():
    _names = ecodes.KEY[_code] if isinstance(ecodes.KEY[_code], (list, tuple)) else [ecodes.KEY[_code]]
    if not any(name.startswith("KEY_KP") for name in _names):
        _KEYS_FOR.setdefault(_plain, (_code, False))
        _KEYS_FOR.setdefault(_shifted, (_code, True))


def key_event(code: int, value: int, at: float) -> list[InputEvent]:
    """One key event (1 press, 0 release, 2 autorepeat) at time ``at`` and its SYN_REPORT."""
    sec, usec = int(at), int(at % 1 * 1e6)
    return [InputEvent(sec, usec, ecodes.EV_KEY, code, value),
            InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0)]


def key_press(code: int, at: float | None = None) -> list[InputEvent]:
    """A key pressed and released at ``at`` (default now)."""
    at = time.time() if at is None else at
    return key_event(code, 1, at) + key_event(code, 0, at)


def key_events(text: str, enter: bool = True, at: float | None = None) -> list[InputEvent]:
    """The events a US-layout wedge scanner sends for ``text`` (press, release, SYN), all at ``at``
    (default now: a scanner types a whole code within a few milliseconds)."""
    at = time.time() if at is None else at
    events: list[InputEvent] = []

    def key(code: int, value: int) -> None:
        events.extend(key_event(code, value, at))

    for char in text:
        if char not in _KEYS_FOR:
            raise ValueError(f"a US keyboard has no key for {char!r}")
        code, shift = _KEYS_FOR[char]
        if shift:
            key(ecodes.KEY_LEFTSHIFT, 1)
        key(code, 1)
        key(code, 0)
        if shift:
            key(ecodes.KEY_LEFTSHIFT, 0)
    if enter:
        key(ecodes.KEY_ENTER, 1)
        key(ecodes.KEY_ENTER, 0)
    return events


class MockInputDevice:
    """One opened input device: a pipe's read end as ``fd``, events queued by the bus."""

    def __init__(self, bus: "MockInputBus", path: str):
        self.bus = bus
        self.path = path
        self.name = bus.name
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        self._events: list[InputEvent] = []
        self._lock = threading.Lock()
        self.gone = False
        self.grabbed = False
        self.closed = False

    @property
    def fd(self) -> int:
        return self._read_fd

    def fileno(self) -> int:
        return self._read_fd

    def _push(self, events: list[InputEvent]) -> None:
        with self._lock:
            self._events.extend(events)
        os.write(self._write_fd, b"!")

    def _vanish(self) -> None:
        self.gone = True
        os.write(self._write_fd, b"!")

    def read(self):
        """Like ``evdev.InputDevice.read``: the waiting events, BlockingIOError when none,
        OSError ENODEV when the device was unplugged."""
        try:
            os.read(self._read_fd, 4096)
        except BlockingIOError:
            pass
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        with self._lock:
            events, self._events = self._events, []
        if not events:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        return iter(events)

    def grab(self) -> None:
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        self.grabbed = True

    def ungrab(self) -> None:
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        self.grabbed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self._read_fd)
            os.close(self._write_fd)


class MockInputBus:
    """Stands for ``/dev/input``: one wedge scanner at ``path`` that can be (un)plugged."""

    def __init__(self, path: str = "/dev/input/by-id/usb-mock-scanner-event-kbd", name: str = "Mock Barcode Scanner"):
        self.path = path
        self.name = name
        self.plugged = True
        self.opened: list[MockInputDevice] = []
        self._ready = threading.Condition()

    # what HidScanner calls instead of evdev.InputDevice / evdev.list_devices
    def open(self, path: str) -> MockInputDevice:
        if path != self.path or not self.plugged:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        device = MockInputDevice(self, path)
        with self._ready:
            self.opened.append(device)
            self._ready.notify_all()
        return device

    def list_devices(self) -> list[str]:
        return [self.path] if self.plugged else []

    # what a test does with the scanner
    def current(self, timeout: float = 5.0) -> MockInputDevice:
        """The device the driver has open now (waits for it to open one)."""
        with self._ready:
            if not self._ready.wait_for(lambda: self.opened and not self.opened[-1].closed
                                        and not self.opened[-1].gone, timeout):
                raise AssertionError("the driver did not open the scanner")
            return self.opened[-1]

    def type(self, text: str, enter: bool = True, at: float | None = None) -> None:
        self.current()._push(key_events(text, enter, at))

    def send(self, events: list[InputEvent]) -> None:
        self.current()._push(list(events))

    def wait_read(self, timeout: float = 5.0) -> None:
        """Until the driver has read every event sent so far (it decodes a batch before its next read)."""
        device, end = self.current(), time.monotonic() + timeout
        while device._events:
            if time.monotonic() > end:
                raise AssertionError("the driver did not read the scanner's events")
            time.sleep(0.005)

    def unplug(self) -> None:
        self.plugged = False
        with self._ready:
            for device in self.opened:
                if not device.closed:
                    device._vanish()

    def plug(self) -> None:
        self.plugged = True
