"""``HealthReport``: the printer's and the scanner's state, sent to the hub together.

A device's health is one retained message (``health/<device>``), so a
printer change must not wipe the scanner's state and the other way round:
this keeps the latest of each and publishes them together, only when one
changes.  ``publish`` is ``DeviceLink.publish_health`` (thread-safe: it may be
called from the printer's and the scanner's threads).

The values are the state names (``ok``, ``paper_near_end``, ``paper_out``,
``cover_open``, ``offline``, ``no_answer``, ``io_error``, ``unmonitored``,
``disabled``; ``ok``, ``disconnected``, ``disabled`` for scanners): what a
technician needs to know which part to look at.  ``scanner_bad_scans`` (a
number, present once there was one) counts typing a scanner dropped as not a
scan (see ``hardware.scanner.keymap``).
"""

from __future__ import annotations

import threading
from typing import Callable


class HealthReport:
    def __init__(self, publish: Callable[..., None]):
        self._publish = publish
        self._parts: dict[str, str | int] = {}
        self._lock = threading.Lock()

    def watch_printer(self, printer) -> "HealthReport":
        """Report ``printer`` (a ``TicketPrinter``) on every change of its state."""
        self._note(printer=printer.status.state.value)
        printer.add_status_listener(lambda status: self.update(printer=status.state.value))
        return self

    def watch_scanner(self, scanner) -> "HealthReport":
        """Report ``scanner`` (a ``Scanner``) on every change of its state, and its count of bad
        scans (``scanner_bad_scans``, from the first one on)."""
        self._note(**_scanner_parts(scanner.status))
        scanner.on_status(lambda status: self.update(**_scanner_parts(status)))
        return self

    def publish(self) -> "HealthReport":
        """Send the current report now (e.g. after reconnecting to the broker)."""
        with self._lock:
            self._publish(**self._parts)
        return self

    def _note(self, **parts: str) -> None:
        # what is known before anything changed; sent with the first change (or publish())
        with self._lock:
            self._parts.update(parts)

    def update(self, **parts: str) -> "HealthReport":
        with self._lock:
            if all(self._parts.get(key) == value for key, value in parts.items()):
                return self
            self._parts.update(parts)
            current = dict(self._parts)
            # publish inside the lock: two threads' reports reach the broker in the order they were made
            self._publish(**current)
        return self

    @property
    def parts(self) -> dict[str, str | int]:
        with self._lock:
            return dict(self._parts)


def _scanner_parts(status) -> dict[str, str | int]:
    parts: dict[str, str | int] = {"scanner": status.state.value}
    if status.bad_scans:
        parts["scanner_bad_scans"] = status.bad_scans
    return parts
