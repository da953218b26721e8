"""``TicketPrinter``: prints ticket layouts, watches the printer, never loses a ticket.

One worker thread owns the device: it runs print jobs and, between them,
polls the printer's status every ``status_poll_s`` (real-time ``DLE EOT``
queries, see ``status``).  Status changes go to the status listeners (called
on the worker thread: a Kivy app hands them over with ``Clock.schedule_once``);
``hardware.health.HealthReport`` reports them to the hub.

``print_ticket`` either returns once the whole ticket has left for the
printer, or raises ``PrinterFault(reason)``, so the caller can show the ticket
on screen instead: the printer is disabled, offline, out of paper, does not
answer, the device is gone, or the job took longer than its timeout.  It
never blocks longer than that timeout, even when a device write hangs (a
jammed USB printer, a full serial buffer): the caller stops waiting, the
printer is reported ``no_answer``, and later jobs fail at once until the
stuck one ends.  ``print_ticket_async`` does the same on a thread of its own
and gives a Future: the kiosk's screen and the counter's MQTT callback print
that way.

The printer knows nothing of the kiosk; the sorting office's counter prints
its second tickets with it too.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Callable, Mapping

from siteconf.schema import Printer

from ..device import HardwareDevice, Listeners
from .connectors import Connection, ConnectionFault, make_connection
from .escpos_writer import ticket_bytes
from .layout import TicketLayout
from .media import Media, media_for
from .status import PrinterState, PrinterStatus, read_status

log = logging.getLogger(__name__)

class PrinterFault(Exception):
    """The ticket was not (or not surely) printed; show it on screen.

    ``reason`` is a ``PrinterState`` value (``offline``, ``paper_out``, ``cover_open``,
    ``no_answer``, ``io_error``, ``disabled``) or ``timeout``, ``busy`` (a stuck job
    still holds the printer) or ``render_error``.  ``printed`` tells whether any
    part of the ticket may have come out (a fault found after sending it).
    """

    def __init__(self, reason: str, message: str, printed: bool = False):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.printed = printed


@dataclass(frozen=True)
class PrintResult:
    bytes_sent: int
    seconds: float
    status: PrinterStatus


def serial_wire_seconds(byte_count: int, baudrate: int) -> float:
    """Time ``byte_count`` bytes take on a serial line at 8N1 (10 bits a byte)."""
    return byte_count * 10 / baudrate


class _Job:
    def __init__(self, run: Callable[[], object], timeout_s: float):
        self.run = run
        self.timeout_s = timeout_s
        self.future: Future = Future()
        self.started = threading.Event()
        self.started_at = 0.0


class TicketPrinter(HardwareDevice):
    """A thermal ticket printer from the device config (``siteconf.schema.Printer``)."""

    def __init__(self, config: Printer | Mapping, *, status_timeout_s: float = 0.5,
                 job_timeout_s: float | None = None, connection: Connection | None = None):
        super().__init__()
        self.config = config if isinstance(config, Printer) else Printer.model_validate(dict(config))
        self.media: Media = media_for(self.config.profile, self.config.paper_mm, self.config.code_pages)
        self.status_timeout_s = status_timeout_s
        #: None: from the ticket's size (serial: its wire time at the configured baud rate)
        self.job_timeout_s = job_timeout_s
        self._connection = connection or make_connection(self.config, self.media.escpos_profile(),
                                                         write_timeout_s=self._default_timeout(4096),
                                                         status_timeout_s=status_timeout_s)
        #: whether the printer is asked its state (a file cannot answer; some printers never do)
        self._asks = bool(self._connection and self._connection.can_ask and self.config.status_queries)
        initial = PrinterState.DISABLED if self._connection is None else PrinterState.UNKNOWN
        self._status = PrinterStatus(initial, "not checked yet" if self._connection else "no printer configured")
        self._on_status: Listeners[PrinterStatus] = Listeners(self, "status")
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._running: _Job | None = None
        self._lock = threading.Lock()
        #: status changes come from the worker and from waiting callers: one at a time, in order
        self._status_lock = threading.RLock()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ public
    @property
    def enabled(self) -> bool:
        return self._connection is not None

    @property
    def status(self) -> PrinterStatus:
        return self._status

    def add_status_listener(self, listener: Callable[[PrinterStatus], None]) -> None:
        """``listener(status)`` on every change of state, on the printer's thread."""
        self._on_status.add(listener)

    def start(self) -> "TicketPrinter":
        """Start the worker; it checks the printer at once, then every ``status_poll_s``."""
        if self._thread is None and self.enabled and not self.closed:
            self._thread = threading.Thread(target=self._work, name="ticket-printer", daemon=True)
            self._thread.start()
        return self

    def check_status(self, timeout_s: float | None = None) -> PrinterStatus:
        """Ask the printer now (waits for the worker; never longer than ``timeout_s``)."""
        if not self.enabled:
            return self._status
        try:
            return self._run(self._poll, timeout_s or self._poll_timeout())
        except PrinterFault:
            return self._status

    def print_ticket(self, layout: TicketLayout, timeout_s: float | None = None) -> PrintResult:
        """Print ``layout``; raises ``PrinterFault`` when the visitor may not have the ticket on paper."""
        if not self.enabled:
            raise PrinterFault("disabled", "no printer is configured on this device")
        try:
            data = ticket_bytes(layout, self.media)
        except Exception as exc:  # a ticket that cannot be drawn is still shown on screen
            log.exception("could not lay out ticket %s", layout.code)
            raise PrinterFault("render_error", f"could not draw ticket {layout.code}: {exc}") from exc
        return self.print_bytes(data, timeout_s)

    def print_ticket_async(self, layout: TicketLayout, *, data: bytes | None = None) -> Future:
        """``print_ticket`` on a thread of its own, for a caller that must not wait (a screen, an
        MQTT callback): a Future of its ``PrintResult``, or of its ``PrinterFault``.  ``data`` is
        the layout's bytes when the caller made them already (``ticket_bytes(layout, printer.media)``)."""
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(self.print_ticket(layout) if data is None else self.print_bytes(data))
            except BaseException as exc:  # delivered to the caller through the future
                future.set_exception(exc)

        threading.Thread(target=run, name=f"print-{layout.code}", daemon=True).start()
        return future

    def print_bytes(self, data: bytes, timeout_s: float | None = None) -> PrintResult:
        """Send a ready ESC/POS stream (a ticket, a test page) with the same checks and timeouts."""
        if not self.enabled:
            raise PrinterFault("disabled", "no printer is configured on this device")
        timeout = timeout_s or self.job_timeout_s or self._default_timeout(len(data))
        return self._run(lambda: self._print(data, timeout), timeout + self.status_timeout_s * 6 + 1)

    def _close(self) -> None:
        """Stop the worker and close the device."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=2)
        if self._connection is not None and (self._thread is None or not self._thread.is_alive()):
            self._connection.close()

    def _where(self) -> str:
        return self._connection.describe() if self._connection is not None else "none"

    def _state(self) -> str:
        return self._status.state.value

    # ------------------------------------------------------------ worker
    def _default_timeout(self, byte_count: int) -> float:
        if self.config.connector == "serial":
            return serial_wire_seconds(byte_count, self.config.baudrate) * 1.5 + 2.0
        return 5.0

    def _run(self, work: Callable[[], object], timeout_s: float):
        """Queue ``work`` for the worker; wait for it to start (behind jobs that are not stuck),
        then at most ``timeout_s`` for it to finish."""
        if self.closed:
            raise PrinterFault("io_error", "the printer was closed")
        self.start()
        job = _Job(work, timeout_s)
        self._jobs.put(job)
        while not job.started.wait(0.02):
            stuck = self._stuck_job() is not None or not self._thread.is_alive()
            if stuck and job.future.cancel():
                self._set_status(PrinterStatus(PrinterState.NO_ANSWER, "the printer driver is stuck"))
                raise PrinterFault("busy", "an earlier print job is stuck in the printer driver")
        try:
            return job.future.result(timeout=max(0.0, job.started_at + timeout_s - time.monotonic()))
        except FutureTimeout:
            self._set_status(PrinterStatus(PrinterState.NO_ANSWER, f"a job took longer than {timeout_s:.1f} s"))
            raise PrinterFault("timeout", f"the printer did not take the job within {timeout_s:.1f} s",
                               printed=True) from None

    def _stuck_job(self) -> _Job | None:
        with self._lock:
            job = self._running
        if job is not None and time.monotonic() > job.started_at + job.timeout_s:
            return job
        return None

    def _work(self) -> None:
        next_poll = time.monotonic()
        while True:
            try:
                job = self._jobs.get(timeout=max(0.0, next_poll - time.monotonic()))
            except queue.Empty:
                # a poll is a job too, so a poll stuck in the driver shows as a stuck job
                job = _Job(self._poll_safely, self._poll_timeout())
                job.future.set_running_or_notify_cancel()
                self._execute(job)
                next_poll = time.monotonic() + self.config.status_poll_s
                continue
            if job is None:
                break
            if job.future.set_running_or_notify_cancel():
                self._execute(job)
                next_poll = time.monotonic() + self.config.status_poll_s
        if self._connection is not None:
            self._connection.close()

    def _execute(self, job: _Job) -> None:
        job.started_at = time.monotonic()
        with self._lock:
            self._running = job
        job.started.set()
        try:
            job.future.set_result(job.run())
        except BaseException as exc:  # handed to the waiting caller
            job.future.set_exception(exc)
        finally:
            with self._lock:
                self._running = None

    def _poll_timeout(self) -> float:
        return self.status_timeout_s * 4 + 1.0

    def _poll_safely(self) -> None:
        try:
            self._poll()
        except Exception:  # the poller must survive anything a driver throws
            log.exception("printer status poll failed")

    def _poll(self) -> PrinterStatus:
        connection = self._connection
        try:
            if self._asks:
                status = read_status(connection.ask)
            else:
                connection.open()
                why = "cannot report status" if not connection.can_ask else "is not asked (status_queries = false)"
                status = PrinterStatus(PrinterState.UNMONITORED, f"{connection.describe()} {why}")
        except ConnectionFault as fault:
            status = PrinterStatus(PrinterState(fault.reason) if fault.reason == "io_error"
                                   else PrinterState.NO_ANSWER, str(fault))
        self._set_status(status)
        return status

    def _print(self, data: bytes, timeout_s: float) -> PrintResult:
        started = time.perf_counter()
        before = self._poll()
        if not before.can_print:
            raise PrinterFault(before.state.value, before.detail or "the printer cannot print now")
        try:
            self._connection.write(data, timeout_s)
        except ConnectionFault as fault:
            self._set_status(PrinterStatus(PrinterState.IO_ERROR if fault.reason == "io_error"
                                           else PrinterState.NO_ANSWER, str(fault)))
            raise PrinterFault(fault.reason, str(fault), printed=True) from fault
        after = self._poll() if self._asks else before
        if not after.can_print:
            raise PrinterFault(after.state.value, f"after printing: {after.detail}", printed=True)
        return PrintResult(len(data), time.perf_counter() - started, after)

    def _set_status(self, status: PrinterStatus) -> None:
        with self._status_lock:
            previous, self._status = self._status, status
            if previous.state == status.state:
                return
            log.info("printer: %s (%s)", status.state.value, status.detail)
            self._on_status(status)
