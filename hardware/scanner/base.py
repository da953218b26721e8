"""The common part of every scanner: a reader thread that opens the device,
reads scans until the device goes away, reports that, and opens it again
when it comes back.

Subclasses only say how to open the device and how to read from it
(``_open``, ``_read_scans``, ``_close_device``).  Listeners run on the reader
thread: a Kivy app hands them over with ``Clock.schedule_once``.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Callable, Iterator

from ..device import HardwareDevice, Listeners
from .parse import Scan, ScanParser

log = logging.getLogger(__name__)


class ScannerState(str, Enum):
    #: not opened yet
    UNKNOWN = "unknown"
    OK = "ok"
    #: the device is gone or cannot be opened; the reader keeps trying
    DISCONNECTED = "disconnected"
    #: no scanner configured (kind "none")
    DISABLED = "disabled"


@dataclass(frozen=True)
class ScannerStatus:
    state: ScannerState
    detail: str = ""
    at: float = field(default_factory=time.time)
    #: typing dropped as not a scan since the scanner was made (too long, no line end), and why the last was
    bad_scans: int = 0
    last_bad: str = ""


class DeviceGone(Exception):
    """The device disappeared or failed while reading."""


class Scanner(HardwareDevice, ABC):
    """A barcode/QR scanner read on its own thread; each ``Scan`` goes to the scan listeners."""

    def __init__(self, *, parser: ScanParser | None = None, reconnect_s: float = 1.0,
                 poll_s: float = 0.1, name: str = "scanner"):
        super().__init__()
        self.parser = parser or ScanParser()
        self.reconnect_s = reconnect_s
        #: how often the reader looks at ``close()`` while the device is quiet
        self.poll_s = poll_s
        self.name = name
        self._on_scan: Listeners[Scan] = Listeners(self, "scan")
        self._on_status: Listeners[ScannerStatus] = Listeners(self, "status")
        self._status = ScannerStatus(ScannerState.UNKNOWN, "not opened yet")
        #: set by ``close()``: wakes the reader from its wait before reconnecting
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ public
    def add_scan_listener(self, listener: Callable[[Scan], None]) -> None:
        """``listener(scan)`` for each scan (``TicketScan``, ``AppointmentScan``, ``UnknownScan``)."""
        self._on_scan.add(listener)

    def add_status_listener(self, listener: Callable[[ScannerStatus], None]) -> None:
        """``listener(status)`` on every change (ok, disconnected..., and each bad scan)."""
        self._on_status.add(listener)

    @property
    def status(self) -> ScannerStatus:
        return self._status

    def start(self) -> "Scanner":
        if self._thread is None and not self.closed:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        return self

    def _close(self) -> None:
        """Stop reading and release the device."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2 + self.poll_s)

    def _state(self) -> str:
        return self._status.state.value

    # ------------------------------------------------------------ subclass side
    @abstractmethod
    def _open(self) -> str:
        """Open the device; return a description for the status.  Raise ``DeviceGone`` (or OSError)."""

    @abstractmethod
    def _read_scans(self) -> Iterator[str]:
        """Yield each scanned text; return when closed; raise ``DeviceGone`` when the device fails.
        Must come back to check ``self.closed`` at least every ``poll_s``."""

    @abstractmethod
    def _close_device(self) -> None:
        """Release the device (may be called when it is already gone)."""

    # ------------------------------------------------------------ reader thread
    def _run(self) -> None:
        while not self.closed:
            try:
                description = self._open()
            except (DeviceGone, OSError) as exc:
                self._set_status(ScannerState.DISCONNECTED, f"{self.name}: {exc}")
                self._stop.wait(self.reconnect_s)
                continue
            self._set_status(ScannerState.OK, description)
            try:
                for text in self._read_scans():
                    self._deliver(text)
            except (DeviceGone, OSError) as exc:
                self._set_status(ScannerState.DISCONNECTED, f"{self.name}: {exc}")
            finally:
                self._close_device()
            if not self.closed:
                self._stop.wait(self.reconnect_s)

    def _deliver(self, text: str) -> None:
        self._on_scan(self.parser.parse(text))

    def _bad_scan(self, reason: str) -> None:
        """Typing that is not a scan: counted in the status and logged, never delivered."""
        status = self._status
        self._status = replace(status, at=time.time(), bad_scans=status.bad_scans + 1, last_bad=reason)
        log.warning("%s: bad scan dropped: %s", self.name, reason)
        self._on_status(self._status)

    def _set_status(self, state: ScannerState, detail: str) -> None:
        previous, self._status = self._status, replace(self._status, state=state, detail=detail, at=time.time())
        if previous.state == state:
            return
        log.info("%s: %s (%s)", self.name, state.value, detail)
        self._on_status(self._status)


class NoScanner(Scanner):
    """Scanner kind "none": never scans, status ``disabled``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._status = ScannerStatus(ScannerState.DISABLED, "no scanner configured")

    def start(self) -> "Scanner":
        return self

    def _open(self) -> str:
        raise DeviceGone("no scanner configured")

    def _read_scans(self) -> Iterator[str]:
        return iter(())

    def _close_device(self) -> None:
        pass
