"""Key codes to characters for keyboard-wedge scanners.

A wedge scanner "types" what it read as a USB keyboard with the US layout
(the factory default; set the scanner to US if the kiosk is elsewhere).
Shift and Caps Lock are tracked; Enter ends a scan.
"""

from __future__ import annotations

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


class KeyDecoder:
    """Feed it evdev events; it returns the text of a scan when Enter is pressed."""

    def __init__(self):
        self._chars: list[str] = []
        self._shift = 0
        self._caps = False

    def feed(self, event) -> str | None:
        if event.type != ecodes.EV_KEY:
            return None
        code, value = event.code, event.value
        if code in SHIFT_KEYS:
            self._shift += 1 if value == KEY_DOWN else -1 if value == KEY_UP else 0
            self._shift = max(0, self._shift)
            return None
        if value != KEY_DOWN:
            return None
        if code == ecodes.KEY_CAPSLOCK:
            self._caps = not self._caps
            return None
        if code in ENTER_KEYS:
            text, self._chars = "".join(self._chars), []
            return text
        if code in IGNORED_KEYS:
            return None
        chars = US_KEYS.get(code)
        if chars is None:
            self._chars.append(UNKNOWN_CHAR)
            return None
        plain, shifted = chars
        upper = bool(self._shift) != (self._caps and plain.isalpha())
        self._chars.append(shifted if upper else plain)
        return None

    def reset(self) -> None:
        self._chars, self._shift = [], 0
