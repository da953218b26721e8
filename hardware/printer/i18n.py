"""The texts printed on a ticket, from gettext catalogs (``locale/<lang>/LC_MESSAGES/ticket.po``).

The printer is used by the kiosk and by the sorting office's counter, so it
carries its own small catalog instead of borrowing the kiosk's.  Catalogs are
read from the ``.po`` sources with Babel and compiled in memory (no build
step, nothing generated to commit).  A language without a catalog, or a
string missing from one, falls back to English, then Portuguese; never to
an empty text.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "ticket"
FALLBACKS = ("en", "pt")


@lru_cache(maxsize=None)
def _compiled(language: str) -> bytes | None:
    """The catalog of ``language`` compiled to .mo bytes, or None when there is none."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return None
    with path.open("rb") as source:
        catalog = read_po(source, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


@lru_cache(maxsize=None)
def translations(language: str) -> gettext.NullTranslations:
    """The ticket texts for ``language``, falling back to English, then Portuguese."""
    first = gettext.NullTranslations()
    for code in dict.fromkeys((language, *FALLBACKS)):  # keep order, drop repeats
        compiled = _compiled(code)
        if compiled is not None:
            first.add_fallback(gettext.GNUTranslations(io.BytesIO(compiled)))
    return first


def available_languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
