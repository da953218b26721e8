"""The QR payload printed on tickets.

Two forms, both decoded by ``TicketQR.decode``:

* ``http://<guest host>/t/<ref>`` (issue 16), printed when the site file names the guest page
  server (``network.guest_host``): a phone's camera opens the ticket's live page; a kiosk's
  scanner reads the ref from it just the same;
* ``OSS1:<site>:<service day>:<code>:<ref>``, the form before it, still printed by a site without
  a page server and still accepted from the tickets already on paper.

The ref (``new_ref``: 128 random bits, 26 base32 characters; tickets printed before issue 16 have
80 bits, 16 characters) makes the ticket unguessable, so a scanned QR can show the ticket's
status without naming anybody.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

from .fields import CODE, ID, REF, SERVICE_DAY

PREFIX = "OSS1"
_QR_RE = re.compile(rf"^{PREFIX}:({ID}):({SERVICE_DAY}):({CODE}):({REF})$")
#: the guest page's link: a host (a name or an address, with a port when it is not 80) and the ref
_URL_RE = re.compile(rf"^(?i:https?)://([A-Za-z0-9.-]{{1,253}}(?::[0-9]{{1,5}})?)/t/({REF})/?$")


def new_ref() -> str:
    """26 base32 characters = 128 random bits (the issue's "at least 128 bits")."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def guest_url(host: str, ref: str) -> str:
    """The ticket's page on the guest Wi-Fi (plain HTTP: docs/decisions.md, "The visitor's phone page")."""
    return f"http://{host}/t/{ref}"


def grouped(ref: str) -> str:
    """The ref as printed for typing: groups of four joined by hyphens (a space in an address bar
    would start a web search; the page server ignores the hyphens)."""
    return "-".join(ref[i:i + 4] for i in range(0, len(ref), 4))


@dataclass(frozen=True)
class TicketQR:
    """A decoded ticket QR; a link (``guest_url``) carries only the ref and the host it names."""

    site: str | None
    service_day: str | None
    code: str | None
    ref: str
    host: str | None = None

    def encode(self) -> str:
        if self.site is None:
            return guest_url(self.host, self.ref)
        return f"{PREFIX}:{self.site}:{self.service_day}:{self.code}:{self.ref}"

    @classmethod
    def decode(cls, text: str) -> "TicketQR":
        text = text.strip()
        if match := _QR_RE.match(text):
            return cls(*match.groups())
        if match := _URL_RE.match(text):
            return cls(None, None, None, match.group(2), host=match.group(1).lower())
        raise ValueError("not a ticket QR code of this system")
