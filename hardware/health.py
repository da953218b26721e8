"""``HealthReport``: a device's one retained health message, kept whole and sent on change.

    health = HealthReport(link.publish_health, connected=lambda: link.connected)
    health.watch_printer(printer).watch_scanner(scanner)   # each change of theirs is sent
    health.update(tickets="ok")                             # the role's own parts
    health.publish()                                        # again after a reconnect

A device's health is one retained message (``health/<device>``), so a
printer change must not wipe the scanner's state and the other way round:
this keeps the latest of every part and publishes them all together, only
when one changed since the last message sent.  With ``connected``, nothing is
sent while the broker is away and ``publish()`` (called when it is back)
sends the whole report again.  ``publish`` is ``DeviceLink.publish_health``
(thread-safe: it may be called from the printer's and the scanner's threads).

Every watched part is reported as its state name and, in ``<part>_detail``,
what the driver said about it (None when nothing): ``printer``
(``ok``, ``paper_near_end``, ``paper_out``, ``cover_open``, ``offline``,
``no_answer``, ``io_error``, ``unmonitored``, ``disabled``), ``scanner``
(``ok``, ``disconnected``, ``disabled``; ``scanner_bad_scans`` counts typing
the scanner dropped as not a scan, see ``hardware.scanner.keymap``) and
``small_display`` (``ok``, ``fault``): what a technician needs to know which
part to look at.  A closed device's late changes are ignored (a desk rebuilt
from a new site file reports its new parts only).
"""

from __future__ import annotations

import threading
from typing import Any, Callable


class HealthReport:
    def __init__(self, publish: Callable[..., None], *, connected: Callable[[], bool] | None = None):
        self._publish = publish
        self._connected = connected or (lambda: True)
        self._parts: dict[str, Any] = {}
        #: the parts as last sent; None: nothing sent yet (or to be sent again)
        self._sent: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def watch_printer(self, printer) -> "HealthReport":
        """Report ``printer`` (a ``TicketPrinter``): ``printer``, ``printer_detail``."""
        return self._watch(printer, printer.add_status_listener, printer.status, lambda s: _parts("printer", s))

    def watch_scanner(self, scanner) -> "HealthReport":
        """Report ``scanner`` (a ``Scanner``): ``scanner``, ``scanner_detail`` and its count of bad
        scans, ``scanner_bad_scans`` (None before the first)."""
        return self._watch(scanner, scanner.add_status_listener, scanner.status, _scanner_parts)

    def watch_display(self, display) -> "HealthReport":
        """Report a small display (a ``CounterDisplay``): ``small_display`` ``ok`` or ``fault``, and
        the fault in ``small_display_detail``."""
        return self._watch(display, display.add_fault_listener, display.fault, _display_parts)

    def update(self, **parts: Any) -> "HealthReport":
        """Merge ``parts`` into the report; send it if that changed it (and the broker is there)."""
        with self._lock:
            self._parts.update(parts)
            self._send()
        return self

    def publish(self) -> "HealthReport":
        """Send the whole report now (at start, and after reconnecting to the broker)."""
        with self._lock:
            self._sent = None
            self._send()
        return self

    @property
    def parts(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._parts)

    def _watch(self, device, add_listener, now, parts_of: Callable[[Any], dict[str, Any]]) -> "HealthReport":
        with self._lock:  # what is known before anything changed: sent with the first change, or publish()
            self._parts.update(parts_of(now))

        def changed(value) -> None:
            if not device.closed:
                self.update(**parts_of(value))

        add_listener(changed)
        return self

    def _send(self) -> None:
        # inside the lock: two threads' reports reach the broker in the order they were made
        if self._parts == self._sent or not self._connected():
            return
        self._sent = dict(self._parts)
        self._publish(**self._sent)


def _parts(part: str, status) -> dict[str, Any]:
    return {part: status.state.value, f"{part}_detail": status.detail or None}


def _scanner_parts(status) -> dict[str, Any]:
    return {**_parts("scanner", status), "scanner_bad_scans": status.bad_scans or None}


def _display_parts(fault: str | None) -> dict[str, Any]:
    return {"small_display": "ok" if fault is None else "fault", "small_display_detail": fault}
