"""USB HID keyboard-wedge scanners, read with evdev.

The scanner is an input device (``/dev/input/by-id/usb-...-event-kbd``, or
its name as evdev reports it).  It is grabbed, so what it types goes to this
reader only and never into the kiosk's screen as keystrokes.  Each event
batch is decoded by ``KeyDecoder``; Enter ends a scan.  Typing the decoder
drops (longer than any code, or no Enter before a pause) is counted in the
status as a bad scan, never delivered.

``open_device`` (default ``evdev.InputDevice``) is what opens a path; tests
pass a factory of fake devices with the same read interface (``fd``,
``read()``, ``grab()``, ``close()``), since there is no ``/dev/uinput`` here.
"""

from __future__ import annotations

import errno
import select
from typing import Callable, Iterator

import evdev

from .base import DeviceGone, Scanner
from .keymap import BadScan, KeyDecoder


def find_device(name_or_path: str, list_devices: Callable[[], list[str]] = evdev.list_devices,
                open_device: Callable = evdev.InputDevice) -> str:
    """The event device path: ``name_or_path`` itself when it is a path, else the
    first input device with that name."""
    if name_or_path.startswith("/"):
        return name_or_path
    for path in list_devices():
        device = open_device(path)
        try:
            if device.name == name_or_path:
                return path
        finally:
            device.close()
    raise DeviceGone(f"no input device named {name_or_path!r}")


class HidScanner(Scanner):
    def __init__(self, device: str, *, open_device: Callable = evdev.InputDevice,
                 list_devices: Callable[[], list[str]] = evdev.list_devices, grab: bool = True, **kwargs):
        kwargs.setdefault("name", f"scanner {device}")
        super().__init__(**kwargs)
        self.device = device
        self.grab = grab
        self._open_device = open_device
        self._list_devices = list_devices
        self._input = None
        self._decoder = KeyDecoder()

    def _open(self) -> str:
        path = find_device(self.device, self._list_devices, self._open_device)
        try:
            self._input = self._open_device(path)
            if self.grab:
                self._input.grab()
        except OSError as exc:
            self._close_device()
            raise DeviceGone(f"cannot open {path}: {exc}") from exc
        self._decoder.reset()
        return f"hid {path} ({getattr(self._input, 'name', '?')})"

    def _read_scans(self) -> Iterator[str]:
        device = self._input
        while not self.closed:
            try:
                ready, _, _ = select.select([device.fd], [], [], self.poll_s)
                if not ready:
                    continue
                events = list(device.read())
            except BlockingIOError:
                continue
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EINTR):
                    continue
                raise DeviceGone(f"gone: {exc}") from exc
            for event in events:
                text = self._decoder.feed(event)
                if isinstance(text, BadScan):
                    self._bad_scan(str(text))
                elif text is not None and text.strip():
                    yield text

    def _where(self) -> str:
        return self.device

    def _close_device(self) -> None:
        if self._input is None:
            return
        try:
            if self.grab:
                self._input.ungrab()
        except OSError:
            pass
        try:
            self._input.close()
        except OSError:
            pass
        self._input = None
