"""The counter's small display: an I2C character LCD or a TM1637 4-digit module.

Both take whole screens as lines of text (``show(["A023        ", "Waiting: 4"])``)
and write them on their own thread, newest screen first, so a button press or
an MQTT callback never waits for the bus.  What to show is decided by
``counter.screen``.

* ``CharacterLcd``: an HD44780 LCD behind a PCF8574 I2C backpack (the usual
  16x2 / 20x4 module), driven by RPLCD over smbus2.  The bus can be given (any
  object with smbus2's ``write_byte``), otherwise ``smbus2.SMBus(port)`` is opened.
  Text is folded to ASCII: cheap modules carry the Japanese A00 ROM, where
  accented letters do not exist.
* ``FourDigitDisplay``: a TM1637 module, bit-banged on two gpiozero output
  pins (the chip speaks a two-wire protocol that is not I2C).  It shows four
  characters of the first line; letters are drawn as well as seven segments allow.

    lcd = CharacterLcd(0x27, columns=16, rows=2)          # smbus2.SMBus(1) at 0x27
    lcd.add_fault_listener(lambda fault: ...)              # "OSError: ..." when it stops answering, None when back
    lcd.show(["A023   chamada 2", "Em espera: 4"])
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from typing import Callable, Sequence

from gpiozero import DigitalOutputDevice

from .device import HardwareDevice, Listeners

log = logging.getLogger(__name__)


class _NewestScreenWriter:
    """One thread that writes the newest submitted screen; older unwritten ones are skipped."""

    def __init__(self, write: Callable[[list[str]], None], name: str, on_fault: Callable[[str | None], None]):
        self._write = write
        self._on_fault = on_fault
        self._cond = threading.Condition()
        self._pending: list[str] | None = None
        self._busy = False
        self._closed = False
        self.shown: list[str] | None = None
        #: the last write's failure (an unplugged module), None when fine
        self.fault: str | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, lines: list[str]) -> None:
        with self._cond:
            self._pending = lines
            self._cond.notify_all()

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until every submitted screen is written (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending is not None or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                lines, self._pending, self._busy = self._pending, None, True
            before = self.fault
            try:
                if lines != self.shown:
                    self._write(lines)
                    self.shown = lines
                self.fault = None
            except Exception as exc:  # an I2C error must not stop the counter
                self.fault = f"{type(exc).__name__}: {exc}"
                self.shown = None
                log.warning("small display: %s", self.fault)
            if (before is None) != (self.fault is None):
                self._on_fault(self.fault)
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def close(self) -> None:
        self.flush(1.0)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2)


class CounterDisplay(HardwareDevice):
    """What the counter needs of any small display."""

    columns: int
    rows: int

    def __init__(self, write: Callable[[list[str]], None], name: str):
        super().__init__()
        self._on_fault: Listeners[str | None] = Listeners(self, "fault")
        self._writer = _NewestScreenWriter(write, name, self._on_fault)

    def show(self, lines: Sequence[str]) -> None:
        """Show these lines (missing lines blank, longer ones cut) as soon as the bus allows."""
        fitted = [str(line)[:self.columns].ljust(self.columns) for line in list(lines)[:self.rows]]
        fitted += [" " * self.columns] * (self.rows - len(fitted))
        self._writer.submit(fitted)

    def flush(self, timeout: float = 2.0) -> bool:
        return self._writer.flush(timeout)

    @property
    def fault(self) -> str | None:
        return self._writer.fault

    def add_fault_listener(self, listener: Callable[[str | None], None]) -> None:
        """``listener(fault)`` when the module stops answering (a message) or answers again (None),
        on the display's writer thread."""
        self._on_fault.add(listener)

    def _close(self) -> None:
        self._writer.close()
        self._release()

    def _release(self) -> None:
        pass

    def _state(self) -> str:
        return "ok" if self.fault is None else "fault"


def ascii_fold(text: str) -> str:
    """"Balcão 5 · Saúde" -> "Balcao 5 ? Saude": what every HD44780 ROM can show."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch if " " <= ch <= "}" else "?" for ch in plain)


class CharacterLcd(CounterDisplay):
    """HD44780 character LCD on a PCF8574 I2C backpack (RPLCD).

    The module is initialised on the writer thread at the first screen, so a
    missing or unplugged module shows as ``fault`` instead of stopping the counter.
    """

    def __init__(self, address: int = 0x27, *, columns: int = 16, rows: int = 2, port: int = 1, bus=None):
        self.columns, self.rows = columns, rows
        self.address, self.port, self._bus = address, port, bus
        self._lcd = None
        super().__init__(self._write, "counter-lcd")

    def _open(self):
        from RPLCD.i2c import CharLCD  # imported here: smbus2 is only needed where an LCD is fitted

        bus = self._bus

        class _LcdOnBus(CharLCD):
            """RPLCD opens ``SMBus(port)`` itself; this one can be handed its bus."""

            def _init_connection(self):
                if bus is None:
                    super()._init_connection()
                else:
                    self.bus = bus
                    time.sleep(0.05)  # RPLCD's own power-up wait

        return _LcdOnBus("PCF8574", self.address, port=self.port, cols=self.columns, rows=self.rows,
                         charmap="A00", auto_linebreaks=False)

    def _write(self, lines: list[str]) -> None:
        try:
            if self._lcd is None:
                self._lcd = self._open()
            for row, line in enumerate(lines):
                self._lcd.cursor_pos = (row, 0)
                self._lcd.write_string(ascii_fold(line))
        except Exception:
            self._lcd = None  # after a bus error the module is initialised again
            raise

    def _release(self) -> None:
        if self._lcd is not None:
            self._lcd.close(clear=False)

    def _where(self) -> str:
        return f"i2c-{self.port} 0x{self.address:02x} {self.columns}x{self.rows}"


# --------------------------------------------------------------------------- TM1637

#: segments a..g = bits 0..6; letters approximated where seven segments cannot draw them
SEGMENTS = {
    "0": 0x3F, "1": 0x06, "2": 0x5B, "3": 0x4F, "4": 0x66, "5": 0x6D, "6": 0x7D, "7": 0x07, "8": 0x7F, "9": 0x6F,
    "A": 0x77, "B": 0x7C, "C": 0x39, "D": 0x5E, "E": 0x79, "F": 0x71, "G": 0x3D, "H": 0x76, "I": 0x30,
    "J": 0x1E, "K": 0x75, "L": 0x38, "M": 0x37, "N": 0x54, "O": 0x5C, "P": 0x73, "Q": 0x67, "R": 0x50,
    "S": 0x6D, "T": 0x78, "U": 0x3E, "V": 0x1C, "W": 0x2A, "X": 0x76, "Y": 0x6E, "Z": 0x5B,
    "-": 0x40, "_": 0x08, " ": 0x00,
}
CMD_DATA_AUTO_INCREMENT = 0x40
CMD_ADDRESS_0 = 0xC0
CMD_DISPLAY_ON = 0x88


def segments(text: str) -> list[int]:
    """Four segment bytes for the first four characters of ``text`` (padded with blanks)."""
    return [SEGMENTS.get(ch, SEGMENTS["-"]) for ch in ascii_fold(text).upper()[:4].ljust(4)]


class FourDigitDisplay(CounterDisplay):
    """TM1637 4-digit LED module on two GPIO pins (CLK, DIO), one line of four characters."""

    columns, rows = 4, 1

    def __init__(self, clk: int, dio: int, *, brightness: int = 7, bit_delay_s: float = 0.0, pin_factory=None):
        if not 0 <= brightness <= 7:
            raise ValueError("TM1637 brightness is 0-7")
        self.pins = (clk, dio)
        self.brightness = brightness
        self.bit_delay_s = bit_delay_s
        self._clk = DigitalOutputDevice(clk, initial_value=True, pin_factory=pin_factory)
        try:
            self._dio = DigitalOutputDevice(dio, initial_value=True, pin_factory=pin_factory)
        except Exception:
            self._clk.close()
            raise
        super().__init__(self._write, "counter-tm1637")

    def _write(self, lines: list[str]) -> None:
        self._frame([CMD_DATA_AUTO_INCREMENT])
        self._frame([CMD_ADDRESS_0, *segments(lines[0])])
        self._frame([CMD_DISPLAY_ON | self.brightness])

    # the wire: start, bytes LSB first with an acknowledge clock each, stop
    def _frame(self, data: list[int]) -> None:
        self._set(self._dio, 1)
        self._set(self._clk, 1)
        self._set(self._dio, 0)  # start: DIO falls while CLK is high
        for byte in data:
            for bit in range(8):
                self._set(self._clk, 0)
                self._set(self._dio, (byte >> bit) & 1)
                self._set(self._clk, 1)  # the chip reads DIO on the rising edge
            self._set(self._clk, 0)
            self._set(self._dio, 0)  # the chip pulls DIO low to acknowledge; never drive it high here
            self._set(self._clk, 1)
        self._set(self._clk, 0)
        self._set(self._dio, 0)
        self._set(self._clk, 1)
        self._set(self._dio, 1)  # stop: DIO rises while CLK is high

    def _set(self, device: DigitalOutputDevice, value: int) -> None:
        device.value = value
        if self.bit_delay_s:
            time.sleep(self.bit_delay_s)

    def _release(self) -> None:
        self._clk.close()
        self._dio.close()

    def _where(self) -> str:
        return "clk={} dio={}".format(*self.pins)
