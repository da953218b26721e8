"""One open link to the printer, over a python-escpos printer class.

python-escpos' ``Usb``, ``Serial``, ``Network`` and ``File`` classes open the
device and write to it; this layer adds what a kiosk needs around them:
timeouts on every write and read, one status byte per real-time query (their
``_read`` waits for 16 bytes or the timeout, so every query would last the
whole timeout), and one exception, ``ConnectionFault``, for everything that
can go wrong with the device itself.

Of python-escpos it uses only the printer classes' constructors, ``open()``,
``close()`` and their ``device`` property (the open pyserial port, socket, pyusb
device or file; setting it to ``False`` forgets a device whose ``close()``
failed, so the next ``open()`` starts afresh) and the attributes their
constructors set (``devfile``, ``host``, ``port``, ``usb_args``, ``in_ep``,
``out_ep``).  That property and its ``False`` ("not open") came with
python-escpos 3.0, hence ``python-escpos>=3.1,<4`` (see docs/decisions.md).
"""

from __future__ import annotations

import errno
import logging
import socket
from abc import ABC, abstractmethod

from siteconf.schema import Printer

log = logging.getLogger(__name__)


class ConnectionFault(Exception):
    """The device could not be opened, written or read; ``reason`` is "io_error" or "timeout"."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class Connection(ABC):
    """Open, write, ask a status byte, close.  Not thread-safe: one worker owns it."""

    #: whether the printer can answer status queries over this link
    can_ask = True

    def __init__(self, escpos_printer, write_timeout_s: float, status_timeout_s: float):
        self.printer = escpos_printer
        self.write_timeout_s = write_timeout_s
        self.status_timeout_s = status_timeout_s
        self.is_open = False

    def describe(self) -> str:
        return type(self.printer).__name__

    def open(self) -> None:
        if self.is_open:
            return
        try:
            self.printer.open()
        except Exception as exc:  # not found, no permission, no libusb backend...
            self.printer.device = False
            raise ConnectionFault("io_error", f"{self.describe()}: {exc}".replace("\n", " ")) from exc
        self.is_open = True
        self._after_open()

    def _after_open(self) -> None:
        pass

    def write(self, data: bytes, timeout_s: float | None = None) -> None:
        """Send ``data`` and wait until it has left (for serial: until the UART drained)."""
        self.open()
        try:
            self._write(data, self.write_timeout_s if timeout_s is None else timeout_s)
        except ConnectionFault:
            self.close()
            raise
        except (TimeoutError, socket.timeout) as exc:
            self.close()
            raise ConnectionFault("timeout", f"{self.describe()}: the printer took no data for too long") from exc
        except Exception as exc:  # pyserial, pyusb and socket errors have no common base
            self.close()
            raise _fault(self, exc) from exc

    def ask(self, command: bytes) -> int | None:
        """Send a real-time status command; the answer byte, or None after ``status_timeout_s``."""
        self.open()
        try:
            return self._ask(command)
        except Exception as exc:
            self.close()
            raise _fault(self, exc) from exc

    def close(self) -> None:
        if not self.is_open:
            return
        self.is_open = False
        try:
            self.printer.close()
        except Exception as exc:  # a device that is gone may fail to close; it is closed anyway
            log.debug("%s: closing: %s", self.describe(), exc)
        self.printer.device = False

    @abstractmethod
    def _write(self, data: bytes, timeout_s: float) -> None: ...

    @abstractmethod
    def _ask(self, command: bytes) -> int | None: ...


def _fault(connection: Connection, exc: Exception) -> ConnectionFault:
    timeout = "timeout" in type(exc).__name__.lower() or getattr(exc, "errno", None) == errno.ETIMEDOUT
    return ConnectionFault("timeout" if timeout else "io_error", f"{connection.describe()}: {exc}")


class FileConnection(Connection):
    """A device file (``/dev/usb/lp0``) or a plain file capturing the stream (tests, demo)."""

    can_ask = False

    def describe(self) -> str:
        return f"file {self.printer.devfile}"

    def _write(self, data: bytes, timeout_s: float) -> None:
        # a device file blocks without a timeout of its own: TicketPrinter's job timeout covers it
        device = self.printer.device
        device.write(data)
        device.flush()

    def _ask(self, command: bytes) -> int | None:
        return None


class SerialConnection(Connection):
    def describe(self) -> str:
        return f"serial {self.printer.devfile}"

    def _after_open(self) -> None:
        self.printer.device.timeout = self.status_timeout_s

    def _write(self, data: bytes, timeout_s: float) -> None:
        device = self.printer.device
        device.write_timeout = timeout_s
        device.write(data)
        device.flush()

    def _ask(self, command: bytes) -> int | None:
        device = self.printer.device
        device.reset_input_buffer()
        device.write_timeout = self.status_timeout_s
        device.write(command)
        device.flush()
        answer = device.read(1)
        return answer[0] if answer else None


class NetworkConnection(Connection):
    def describe(self) -> str:
        return f"network {self.printer.host}:{self.printer.port}"

    def _write(self, data: bytes, timeout_s: float) -> None:
        self.printer.device.settimeout(timeout_s)
        self.printer.device.sendall(data)

    def _ask(self, command: bytes) -> int | None:
        device = self.printer.device
        device.settimeout(self.status_timeout_s)
        device.sendall(command)
        try:
            answer = device.recv(1)
        except (TimeoutError, socket.timeout):
            return None
        if not answer:
            raise ConnectionError("the printer closed the connection")
        return answer[0]


class UsbConnection(Connection):
    def describe(self) -> str:
        ids = self.printer.usb_args
        return f"usb {ids.get('idVendor', 0):04x}:{ids.get('idProduct', 0):04x}"

    def _write(self, data: bytes, timeout_s: float) -> None:
        self.printer.device.write(self.printer.out_ep, data, int(timeout_s * 1000))

    def _ask(self, command: bytes) -> int | None:
        import usb.core

        device = self.printer.device
        device.write(self.printer.out_ep, command, int(self.status_timeout_s * 1000))
        try:
            answer = device.read(self.printer.in_ep, 16, int(self.status_timeout_s * 1000))
        except usb.core.USBTimeoutError:
            return None
        return answer[-1] if len(answer) else None


def make_connection(config: Printer, profile, write_timeout_s: float, status_timeout_s: float) -> Connection | None:
    """The connection the device config asks for; None for connector "none"."""
    timeouts = (write_timeout_s, status_timeout_s)
    if config.connector == "none":
        return None
    if config.connector == "file":
        from escpos.printer import File

        return FileConnection(File(config.path, auto_flush=True, profile=profile), *timeouts)
    if config.connector == "serial":
        from escpos.printer import Serial

        return SerialConnection(Serial(config.serial_port, baudrate=config.baudrate, timeout=status_timeout_s,
                                       dsrdtr=False, profile=profile), *timeouts)
    if config.connector == "network":
        from escpos.printer import Network

        return NetworkConnection(Network(config.host, port=config.port, timeout=write_timeout_s,
                                         profile=profile), *timeouts)
    if config.connector == "usb":
        from escpos.printer import Usb

        return UsbConnection(Usb(config.usb_vendor, config.usb_product, timeout=int(write_timeout_s * 1000),
                                 profile=profile), *timeouts)
    raise ValueError(f"unknown printer connector {config.connector!r}")
