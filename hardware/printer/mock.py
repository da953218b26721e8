"""Pretend ESC/POS printers for tests, benchmarks and demos, below the byte stream.

* ``PtyPrinter``: a serial printer at the far end of a pseudo-terminal.  The code
  under test opens the pty with pyserial exactly as it would open
  ``/dev/ttyUSB0``.  The port is reached through a symlink (as
  ``/dev/serial/by-id/...`` is on a Pi), so ``unplug()`` / ``plug()`` take the
  device away and bring it back at the same path.
* ``TcpPrinter``: a network printer listening on a loopback port (as a printer
  listens on 9100).

Both read the real ESC/POS stream command by command (``stream.split``, so
status bytes inside image data are not mistaken for queries) and answer the
real ``DLE EOT`` queries as a printer in the chosen ``mode`` would.  Like
gpiozero's MockFactory, they fake the device, never the driver.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from pathlib import Path

from ..mockpty import PtyPort
from .stream import Command, split

#: answers to DLE EOT 1 (printer), 2 (offline cause), 4 (paper sensor) in each mode
ANSWERS: dict[str, dict[int, int] | None] = {
    "online": {1: 0x12, 2: 0x12, 4: 0x12},
    "near_end": {1: 0x12, 2: 0x12, 4: 0x1E},
    "paper_out": {1: 0x1A, 2: 0x32, 4: 0x7E},
    "cover_open": {1: 0x1A, 2: 0x16, 4: 0x12},
    "offline": {1: 0x1A, 2: 0x52, 4: 0x12},
    #: a printer that never answers (switched off, wrong cable)
    "silent": None,
}
#: "jammed": reads nothing at all, so the sender's buffer fills and its writes block
MODES = (*ANSWERS, "jammed")
PRINTING_MODES = ("online", "near_end")


class PretendPrinter:
    """What a printer does with the stream; subclasses connect it to a pty or a socket."""

    def __init__(self, mode: str = "online"):
        self._check(mode)
        self.mode = mode
        self.received = bytearray()
        self.commands: list[Command] = []
        #: perf_counter() of the first byte received, of the first byte that is not a
        #: status query (the ticket's start), and of each cut printed
        self.first_byte_at: float | None = None
        self.ticket_started_at: float | None = None
        self.cut_times: list[float] = []
        self.status_queries = 0
        self._jam_after: int | None = None
        self._pending = b""
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def _check(mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown printer mode {mode!r}; one of {', '.join(MODES)}")

    # --------------------------------------------------------------- control
    def set_mode(self, mode: str) -> None:
        self._check(mode)
        self.mode = mode

    def jam_after(self, byte_count: int) -> None:
        """Stop reading (mode "jammed") once ``byte_count`` more bytes have arrived: a printer
        whose buffer is full, after it answered the status queries before a job."""
        self._jam_after = len(self.received) + byte_count

    # --------------------------------------------------------------- reading back
    @property
    def cuts(self) -> int:
        return len(self.cut_times)

    def wait_for(self, predicate, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def wait_for_cuts(self, count: int = 1, timeout: float = 5.0) -> bool:
        return self.wait_for(lambda: self.cuts >= count, timeout)

    def take(self) -> bytes:
        """Everything received so far (and forget it)."""
        with self._changed:
            data, self.received = bytes(self.received), bytearray()
            self.commands.clear()
            self.cut_times.clear()
            self.first_byte_at = self.ticket_started_at = None
            return data

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --------------------------------------------------------------- the printer
    def _serve(self, master: int, until_eof: bool = False) -> None:
        """Read and answer on ``master`` until stopped (or, for a socket, until the peer hangs up)."""
        while not self._stop.is_set():
            if self.mode == "jammed":
                time.sleep(0.02)
                continue
            ready, _, _ = select.select([master], [], [], 0.02)
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:
                if until_eof:
                    return
                time.sleep(0.02)  # nobody has the port open right now
                continue
            if not data and until_eof:
                return
            now = time.perf_counter()
            with self._changed:
                if self.first_byte_at is None and data:
                    self.first_byte_at = now
                self.received += data
                if self._jam_after is not None and len(self.received) >= self._jam_after:
                    self.mode, self._jam_after = "jammed", None
                items, self._pending = split(self._pending + data)
                for item in items:
                    if isinstance(item, Command):
                        self._command(master, item, now)
                self._changed.notify_all()

    def _command(self, master: int, command: Command, now: float) -> None:
        self.commands.append(command)
        if command.name != "DLE EOT" and self.ticket_started_at is None:
            self.ticket_started_at = now
        if command.name == "DLE EOT":
            self.status_queries += 1
            answers = ANSWERS.get(self.mode)
            if answers is not None and command.data[0] in answers:
                os.write(master, bytes([answers[command.data[0]]]))
        elif command.name == "GS V" and self.mode in PRINTING_MODES:
            self.cut_times.append(now)


class PtyPrinter(PretendPrinter):
    """A serial printer on a pseudo-terminal; ``port`` is the path to open."""

    def __init__(self, mode: str = "online", link: str | Path | None = None):
        super().__init__(mode)
        self._port = PtyPort(link, prefix="pty-printer-")
        self.port = self._port.path
        self.plug()

    def plug(self) -> None:
        """Connect the printer (a new pty behind the same path)."""
        if self._port.plugged:
            return
        master = self._port.plug()
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, args=(master,), name="pty-printer", daemon=True)
        self._thread.start()

    def unplug(self) -> None:
        """Pull the cable: the pty and the path disappear; the sender gets I/O errors."""
        if not self._port.plugged:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._port.unplug()

    def close(self) -> None:
        self.unplug()
        self._port.close()


class TcpPrinter(PretendPrinter):
    """A network printer on ``host``:``port`` (loopback); one connection at a time."""

    def __init__(self, mode: str = "online"):
        super().__init__(mode)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self._server.getsockname()[:2]
        self._thread = threading.Thread(target=self._accept, name="tcp-printer", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._server], [], [], 0.02)
            if not ready:
                continue
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            with connection:
                self._serve(connection.fileno(), until_eof=True)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._server.close()
