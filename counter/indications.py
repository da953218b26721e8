"""What the counter's status light says, and the blink pattern of each meaning.

The rhythm is the message; the colour only repeats it, so a colour-blind staff
member reads the light as well as anyone:

    serving   steady on                                     green
    idle      a short flash every 2 s (heartbeat)           green
    paused    slow even blink, 1 s on / 1 s off             yellow
    sending   fast even blink, 0.1 s on / 0.1 s off         white   (a request is on its way)
    offline   double flash every 1.5 s                      blue    (hub or broker unreachable)
    error     triple flash, shown for 2 s after a refusal   red     (or a press that got no answer)
    closed    dark
"""

from __future__ import annotations

from enum import Enum

from hardware.leds import BLUE, DARK, GREEN, RED, WHITE, YELLOW, BlinkPattern


class Indication(str, Enum):
    SERVING = "serving"
    IDLE = "idle"
    PAUSED = "paused"
    SENDING = "sending"
    OFFLINE = "offline"
    ERROR = "error"
    CLOSED = "closed"


PATTERNS: dict[Indication, BlinkPattern] = {
    Indication.SERVING: BlinkPattern("serving", GREEN),
    Indication.IDLE: BlinkPattern("idle", GREEN, (0.15, 1.85)),
    Indication.PAUSED: BlinkPattern("paused", YELLOW, (1.0, 1.0)),
    Indication.SENDING: BlinkPattern("sending", WHITE, (0.1, 0.1)),
    Indication.OFFLINE: BlinkPattern("offline", BLUE, (0.15, 0.15, 0.15, 1.05)),
    Indication.ERROR: BlinkPattern("error", RED, (0.1, 0.1, 0.1, 0.1, 0.1, 0.6)),
    Indication.CLOSED: DARK,
}
