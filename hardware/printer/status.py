"""What state the printer is in, from the ESC/POS real-time status commands.

``DLE EOT n`` is answered at once, even while the printer is offline or its
buffer is full (one byte; bits 1 and 4 always on, 0 and 7 always off):

* n=1 printer status: bit 3 = offline;
* n=2 offline cause: bit 2 = cover open, bit 5 = stopped at paper end;
* n=4 paper roll sensor: bits 2-3 = near end, bits 5-6 = paper end.

python-escpos' ``paper_status()`` reports "paper adequate" when the printer
does not answer at all, so the printer is asked ``DLE EOT 1`` first and
silence there is a fault of its own (``no_answer``).  ``GS r 1`` (paper status
too) is not used: it is answered only after everything buffered before it has
been printed, and not at all while the printer is stopped, so it cannot tell
why it stopped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

STATUS_PRINTER = b"\x10\x04\x01"
STATUS_OFFLINE_CAUSE = b"\x10\x04\x02"
STATUS_PAPER = b"\x10\x04\x04"

#: a real-time status byte always has bits 1 and 4 on and bits 0 and 7 off
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12


class PrinterState(str, Enum):
    #: not checked yet
    UNKNOWN = "unknown"
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    #: the printer did not answer a status query (unplugged, off, wrong port or baud rate)
    NO_ANSWER = "no_answer"
    #: the device cannot be opened or written (gone, permissions)
    IO_ERROR = "io_error"
    #: the connector cannot read status (a file); faults show only as write errors
    UNMONITORED = "unmonitored"
    #: no printer configured (connector "none")
    DISABLED = "disabled"

    @property
    def can_print(self) -> bool:
        return self in (PrinterState.OK, PrinterState.PAPER_NEAR_END, PrinterState.UNMONITORED)


@dataclass(frozen=True)
class PrinterStatus:
    state: PrinterState
    #: a technician's explanation ("status byte 0x1a: offline")
    detail: str = ""
    #: wall-clock time of this reading
    at: float = field(default_factory=time.time)

    @property
    def can_print(self) -> bool:
        return self.state.can_print


#: asks one status command; returns the answer byte or None when nothing came back in time
Ask = Callable[[bytes], "int | None"]


def _valid(byte: int | None) -> bool:
    return byte is not None and byte & _FIXED_MASK == _FIXED_BITS


def read_status(ask: Ask) -> PrinterStatus:
    """Ask the printer how it is (two or three real-time queries)."""
    printer = ask(STATUS_PRINTER)
    if printer is None:
        return PrinterStatus(PrinterState.NO_ANSWER, "no answer to DLE EOT 1")
    if not _valid(printer):
        return PrinterStatus(PrinterState.NO_ANSWER, f"not a status byte: 0x{printer:02x} (wrong baud rate?)")
    paper = ask(STATUS_PAPER)
    if not _valid(paper):
        return PrinterStatus(PrinterState.NO_ANSWER, "no valid answer to DLE EOT 4")
    if paper & 0x60:
        return PrinterStatus(PrinterState.PAPER_OUT, f"paper sensor 0x{paper:02x}: paper end")
    if printer & 0x08:
        cause = ask(STATUS_OFFLINE_CAUSE)
        if _valid(cause) and cause & 0x04:
            return PrinterStatus(PrinterState.COVER_OPEN, f"offline cause 0x{cause:02x}: cover open")
        if _valid(cause) and cause & 0x20:
            return PrinterStatus(PrinterState.PAPER_OUT, f"offline cause 0x{cause:02x}: stopped at paper end")
        detail = f"offline cause 0x{cause:02x}" if _valid(cause) else "offline, cause unknown"
        return PrinterStatus(PrinterState.OFFLINE, detail)
    if paper & 0x0C:
        return PrinterStatus(PrinterState.PAPER_NEAR_END, f"paper sensor 0x{paper:02x}: near end")
    return PrinterStatus(PrinterState.OK, "online, paper adequate")
