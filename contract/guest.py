"""The opaque id that names a ticket in the guest feed (``guest/service/<id>``).

The hub publishes each service's waiting list for the guest page server, which serves the
visitors' phones.  The list must not carry the refs: a ref printed on a ticket is what a page
asks with (``/t/<ref>``), so whoever could read the list could open every visitor's page.
Each ticket is named instead by ``opaque_id``: HMAC-SHA256 of its ref under a key both sides
derive from the page server's broker password (``guest_key``; the hub reads it from the page
server's login file, docs/decisions.md "The visitor's phone page").  The page server computes
the id of the ref a phone asks for and looks it up; nothing goes back to the hub.

``ID_CHARS`` = 24 hex characters = 96 bits: among the ~2,000 tickets of a busy day the chance
of two sharing an id is about 2,000² / 2⁹⁷ ≈ 3·10⁻²³, and a 100-ticket list stays ≈ 8 KB.
"""

from __future__ import annotations

import hashlib
import hmac
import re

ID_CHARS = 24
#: what a phone may type for a ref: base32 letters and digits, in any case, with spaces or dashes
#: between groups (the paper prints it in groups of four)
_SEPARATORS = re.compile(r"[\s\-]+")
_REF = re.compile(r"^[a-z2-7]{16,32}$")


def guest_key(secret: str) -> bytes:
    """The HMAC key of a site's guest ids, from the shared secret (the page server's password)."""
    return hashlib.sha256(b"onestop guest ids\0" + secret.encode()).digest()


def normal_ref(text: str) -> str | None:
    """A ref as a phone or a typing visitor sends it (any case, groups of four), or None when it
    cannot be one (16 to 32 base32 characters: the old 80-bit and the new 128-bit refs)."""
    ref = _SEPARATORS.sub("", text).lower()
    return ref if _REF.match(ref) else None


def opaque_id(key: bytes, ref: str) -> str:
    """The id of ticket ``ref`` in the guest feed."""
    return hmac.new(key, ref.encode(), hashlib.sha256).hexdigest()[:ID_CHARS]
