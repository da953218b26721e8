"""Key codes to characters for keyboard-wedge scanners.

A wedge scanner "types" what it read as a USB keyboard with the US layout
(the factory default; set the scanner to US if the kiosk is elsewhere).
Shift and Caps Lock are tracked; Enter ends a scan.

No key state outlives a scan: one stray Caps Lock, or a Shift whose release
was lost, would otherwise garble every later scan.  Shift and Caps Lock are
let go at each line end, when the scanner is opened again, and after an idle
gap of ``IDLE_GAP_S`` between two key events (their kernel time stamps; a
clock stepped back counts as a pause): a scanner types a whole code as one
burst, a key every few milliseconds, so a pause that long means the burst is
over.  Characters left without a line end
at such a pause, and lines longer than ``MAX_SCAN_CHARS``, are bad scans
(``BadScan``): dropped, never a scan, and the decoder is in step again at the
next line end or pause.
"""

from __future__ import annotations

from dataclasses import dataclass

from evdev import ecodes

_names = {f"KEY_{c}": (c.lower(), c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_names.update({f"KEY_{d}": (d, s) for d, s in zip("1234567890", "!@#$%^&*()")})
_names.update({f"KEY_KP{d}": (d, d) for d in "0123456789"})
_names.update({
    "KEY_MINUS": ("-", "_"), "KEY_EQUAL": ("=", "+"), "KEY_LEFTBRACE": ("[", "{"), "KEY_RIGHTBRACE": ("]", "}"),
    "KEY_SEMICOLON": (";", ":"), "KEY_APOSTROPHE": ("'", '"'), "KEY_GRAVE": ("`", "~"),
    "KEY_BACKSLASH": ("\\", "|"), "KEY_COMMA": (",", "<"), "KEY_DOT": (".", ">"), "KEY_SLASH": ("/", "?"),
    "KEY_SPACE": (" ", " "), "KEY_KPMINUS": ("-", "-"), "KEY_KPPLUS": ("+", "+"),
    "KEY_KPASTERISK": ("*", "*"), "KEY_KPSLASH": ("/", "/"), "KEY_KPDOT": (".", "."),
})

#: key code -> (plain, shifted)
US_KEYS: dict[int, tuple[str, str]] = {ecodes.ecodes[name]: chars for name, chars in _names.items()}
SHIFT_KEYS = frozenset({ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT})
ENTER_KEYS = frozenset({ecodes.KEY_ENTER, ecodes.KEY_KPENTER})
#: keys that carry no character and are ignored (modifiers other than shift)
IGNORED_KEYS = frozenset({ecodes.KEY_LEFTCTRL, ecodes.KEY_RIGHTCTRL, ecodes.KEY_LEFTALT, ecodes.KEY_RIGHTALT,
                          ecodes.KEY_NUMLOCK})
#: stands for a key that has no character here (the parser refuses the scan as unreadable)
UNKNOWN_CHAR = "\ufffd"

KEY_DOWN, KEY_UP, KEY_HOLD = 1, 0, 2

#: a pause between two key events this long ends whatever was being typed.  A wedge
#: scanner sends a key report every 1-10 ms (the polling interval of its USB
#: interrupt endpoint); the slowest "inter-character delay" settings of scanners add
#: a few tens of ms.  A person needs a second or more to present the next code.
#: 0.25 s is five times the slowest burst and a quarter of the quickest person.
IDLE_GAP_S = 0.25
#: longest line taken as a scan.  The longest code this firmware reads is a ticket
#: QR of 97 characters (``OSS1:`` + a 40-character site id + day + code + a 32-
#: character ref); appointment codes are 13.  256 leaves room for spaces and
#: prefixes some scanners add, and bounds what a stuck or hostile "keyboard" can
#: make the kiosk hold.
MAX_SCAN_CHARS = 256


@dataclass(frozen=True)
class BadScan:
    """Typing that is not a scan: too long, or left without a line end."""

    reason: str  # "too_long" | "no_line_end"
    length: int  # characters typed

    def __str__(self) -> str:
        if self.reason == "too_long":
            return (f"too long: {self.length} characters, more than the {MAX_SCAN_CHARS} of any code "
                    "this kiosk reads (a stuck key, or a code that is not ours)")
        return (f"{self.length} characters and no Enter within {IDLE_GAP_S} s (set the scanner to send "
                "Enter after each code)")


class KeyDecoder:
    """Feed it evdev events; it returns the text of a scan when Enter is pressed, a
    ``BadScan`` when typing is dropped, otherwise None."""

    def __init__(self):
        self.reset()

    def feed(self, event) -> str | BadScan | None:
        if event.type != ecodes.EV_KEY:
            return None
        at, self._last_at = self._last_at, event.timestamp()
        dropped = None
        if at is not None and abs(self._last_at - at) > IDLE_GAP_S:
            dropped = self._end_line()
        code, value = event.code, event.value
        if code in SHIFT_KEYS:
            (self._shift.add if value != KEY_UP else self._shift.discard)(code)
            return dropped
        if value != KEY_DOWN:
            return dropped
        if code == ecodes.KEY_CAPSLOCK:
            self._caps = not self._caps
            return dropped
        if code in ENTER_KEYS:
            return dropped or self._end_line(enter=True)
        if code in IGNORED_KEYS:
            return dropped
        self._typed += 1
        if self._typed <= MAX_SCAN_CHARS:
            self._chars.append(self._char(code))
        return dropped

    def _char(self, code: int) -> str:
        chars = US_KEYS.get(code)
        if chars is None:
            return UNKNOWN_CHAR
        plain, shifted = chars
        upper = bool(self._shift) != (self._caps and plain.isalpha())
        return shifted if upper else plain

    def _end_line(self, enter: bool = False) -> str | BadScan | None:
        """What was typed since the last line end (a scan, a bad scan or nothing); every key let go."""
        text, typed = "".join(self._chars), self._typed
        self._chars, self._typed, self._shift, self._caps = [], 0, set(), False
        if typed > MAX_SCAN_CHARS:
            return BadScan("too_long", typed)
        if enter:
            return text
        return BadScan("no_line_end", typed) if text.strip() else None

    def reset(self) -> None:
        """A device (re)opened: nothing typed, no key held."""
        self._chars: list[str] = []
        self._typed = 0
        self._shift: set[int] = set()
        self._caps = False
        self._last_at: float | None = None
