"""The texts printed on a ticket, from gettext catalogs (``locale/<lang>/LC_MESSAGES/ticket.po``).

The printer is used by the kiosk and by the sorting office's counter, so it carries its own small
catalog instead of borrowing the kiosk's; both are read by ``typeset.i18n.Catalogs`` (the ``.po``
sources compiled in memory with Babel, no build step).  A language without a catalog, or a string
missing from one, falls back to English, then Portuguese; never to an empty text.
"""

from __future__ import annotations

from pathlib import Path

from typeset.i18n import Catalogs

LOCALE_DIR = Path(__file__).with_name("locale")
TICKET = Catalogs(LOCALE_DIR, "ticket")
#: the ticket texts for a language (a gettext chain: it, English, Portuguese, the source)
translations = TICKET.translator
available_languages = TICKET.languages
