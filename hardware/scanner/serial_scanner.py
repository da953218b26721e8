"""Serial scanners (RS-232, or USB in CDC-ACM/serial mode: ``/dev/ttyACM0``) over pyserial.

A scan is one line: the scanner must be set to send CR, LF or CR LF after each
code (the factory default of most models).  Bytes are UTF-8; what does not
decode shows up as unreadable and is refused by the parser.
"""

from __future__ import annotations

import re
from typing import Iterator

import serial

from .base import DeviceGone, Scanner

_LINE_END = re.compile(rb"[\r\n]")
#: a line longer than this is garbage (a stuck scanner, a wrong baud rate): dropped
MAX_LINE = 4096


class SerialScanner(Scanner):
    def __init__(self, port: str, *, baudrate: int = 9600, **kwargs):
        kwargs.setdefault("name", f"scanner {port}")
        super().__init__(**kwargs)
        self.port = port
        self.baudrate = baudrate
        self._serial: serial.Serial | None = None

    def _open(self) -> str:
        try:
            self._serial = serial.Serial(self.port, self.baudrate, timeout=self.poll_s)
        except (serial.SerialException, ValueError) as exc:
            raise DeviceGone(f"cannot open: {exc}") from exc
        return f"serial {self.port} at {self.baudrate} baud"

    def _read_scans(self) -> Iterator[str]:
        pending = b""
        while not self.closed:
            try:
                data = self._serial.read(self._serial.in_waiting or 1)
            except (serial.SerialException, OSError) as exc:
                raise DeviceGone(f"gone: {exc}") from exc
            if not data:
                continue
            *lines, pending = _LINE_END.split(pending + data)
            if len(pending) > MAX_LINE:
                pending = b""
            for line in lines:
                if line:
                    yield line.decode("utf-8", "replace")

    def _where(self) -> str:
        return f"{self.port} {self.baudrate} baud"

    def _close_device(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except (serial.SerialException, OSError):
                pass
            self._serial = None
