"""What a scan means: a ticket's QR code, an appointment code, or something else.

Appointment codes (the format is this project's; a booking system prints it
on the confirmation, as text and as a QR or Code 128 barcode)::

    APT-7K3M-Q9XD

``APT-`` then eight Crockford base32 symbols (digits and capital letters
without I, L, O, U, so nothing reads as another), the last one a check
symbol (Luhn mod 32 over the first seven).  40 bits: a million appointments
leave one chance in a million that a random string is valid.  Reading is
forgiving the way Crockford base32 is: lower case, spaces, missing dashes,
O for 0 and I/L for 1 are accepted; a code whose check symbol is wrong (a
misread or a typo) is refused with its own reason.

Anything else gets a reason a visitor can be told in plain words.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Union

from contract.qr import PREFIX as TICKET_PREFIX
from contract.qr import TicketQR

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
APPOINTMENT_PREFIX = "APT"
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_APPOINTMENT_RE = re.compile(r"^APT[-\s]*([0-9A-Z][0-9A-Z\s-]*)$")

#: reason -> what a visitor is told (English; the kiosk translates it)
REASONS = {
    "empty": "Nothing was read. Please scan again.",
    "unreadable": "The code could not be read. Please scan it again, slowly.",
    "other_site": "This ticket is from another centre. Please take a ticket here.",
    "damaged_ticket": "This ticket's code is damaged. Please ask at the reception desk.",
    "appointment_typo": "This appointment code is not valid. Please check it or ask at the reception desk.",
    "not_ours": "This is not a ticket or an appointment code of this centre.",
}


@dataclass(frozen=True)
class TicketScan:
    """A ticket's QR code: show its status (``ticket_status`` with ``qr.ref``)."""

    raw: str
    qr: TicketQR


@dataclass(frozen=True)
class AppointmentScan:
    """An appointment code, canonical (``APT-XXXX-XXXX``): check the visitor in."""

    raw: str
    code: str


@dataclass(frozen=True)
class UnknownScan:
    """Not usable; ``reason`` is a key of ``REASONS``, ``message`` its friendly text."""

    raw: str
    reason: str

    @property
    def message(self) -> str:
        return REASONS[self.reason]


Scan = Union[TicketScan, AppointmentScan, UnknownScan]


def _check_symbol(symbols: str) -> str:
    """Luhn mod 32 check symbol for ``symbols`` (characters of ALPHABET)."""
    factor, total = 2, 0
    for char in reversed(symbols):
        addend = factor * ALPHABET.index(char)
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def appointment_code(body: str) -> str:
    """The canonical code for seven symbols of ALPHABET (adds the check symbol)."""
    if len(body) != 7 or any(c not in ALPHABET for c in body):
        raise ValueError("an appointment code body is 7 Crockford base32 symbols")
    symbols = body + _check_symbol(body)
    return f"{APPOINTMENT_PREFIX}-{symbols[:4]}-{symbols[4:]}"


def new_appointment_code() -> str:
    """A random appointment code (for booking systems and tests)."""
    return appointment_code("".join(secrets.choice(ALPHABET) for _ in range(7)))


class ScanParser:
    """Turns what a scanner read into a ``Scan``.  ``site_id``: tickets of other sites are refused."""

    def __init__(self, site_id: str | None = None):
        self.site_id = site_id

    def parse(self, raw: str) -> Scan:
        text = raw.strip()
        if not text:
            return UnknownScan(raw, "empty")
        if any(unicodedata.category(c)[0] == "C" or c == "\ufffd" for c in text):
            return UnknownScan(raw, "unreadable")
        if text.upper().startswith(TICKET_PREFIX + ":") or text.lower().startswith(("http://", "https://")):
            return self._ticket(raw, text)
        upper = text.upper()
        compact = re.sub(r"[\s-]", "", upper)
        if upper.startswith(APPOINTMENT_PREFIX + "-") or (compact.startswith(APPOINTMENT_PREFIX) and len(compact) == 11):
            return self._appointment(raw, upper)
        return UnknownScan(raw, "not_ours")

    def _ticket(self, raw: str, text: str) -> Scan:
        try:
            qr = TicketQR.decode(text)
        except ValueError:  # a link that is not a ticket's page is somebody else's code
            return UnknownScan(raw, "damaged_ticket" if text.upper().startswith(TICKET_PREFIX) else "not_ours")
        if self.site_id is not None and qr.site is not None and qr.site != self.site_id:
            return UnknownScan(raw, "other_site")
        return TicketScan(raw, qr)

    def _appointment(self, raw: str, upper: str) -> Scan:
        match = _APPOINTMENT_RE.match(upper)
        if not match:
            return UnknownScan(raw, "not_ours")
        symbols = re.sub(r"[\s-]", "", match.group(1)).translate(_CROCKFORD_ALIASES)
        if len(symbols) != 8 or any(c not in ALPHABET for c in symbols):
            return UnknownScan(raw, "appointment_typo")
        if _check_symbol(symbols[:7]) != symbols[7]:
            return UnknownScan(raw, "appointment_typo")
        return AppointmentScan(raw, f"{APPOINTMENT_PREFIX}-{symbols[:4]}-{symbols[4:]}")
