"""The QR payload printed on tickets.

``OSS1:<site>:<service day>:<code>:<ref>``: the site and day make a code
unique, the ref (80 random bits, base32) makes the ticket unguessable, so a
scanned QR can show the ticket's status without naming anybody.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

from .fields import CODE, ID, REF, SERVICE_DAY

PREFIX = "OSS1"
_QR_RE = re.compile(rf"^{PREFIX}:({ID}):({SERVICE_DAY}):({CODE}):({REF})$")


def new_ref() -> str:
    """16 base32 characters = 80 random bits."""
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()


@dataclass(frozen=True)
class TicketQR:
    site: str
    service_day: str
    code: str
    ref: str

    def encode(self) -> str:
        return f"{PREFIX}:{self.site}:{self.service_day}:{self.code}:{self.ref}"

    @classmethod
    def decode(cls, text: str) -> "TicketQR":
        match = _QR_RE.match(text.strip())
        if not match:
            raise ValueError("not a ticket QR code of this system")
        return cls(*match.groups())
