"""The kiosk's own words in every language: its gettext catalogs, read with Babel.

Sources are ``kiosk/locale/<lang>/LC_MESSAGES/kiosk.po``, extracted from the
code and the kv files with pybabel (see kiosk/babel.cfg for the commands).
They are read at run time and compiled in memory by :class:`typeset.i18n.Catalogs`
(shared with the printer), so there is no build step and no generated ``.mo``
to keep in step.  A string missing (or fuzzy) in the visitor's language falls
back to English, then Portuguese, then the English source text itself: a
label is never empty.

Texts that come from the site file (menu labels, service names) are not here:
they are ``{"pt": ..., "en": ...}`` tables, chosen by :func:`typeset.i18n.pick`
(the visitor's language, English, the site's default language, any).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError

from typeset.i18n import Catalogs

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "kiosk"
#: the languages the kiosk is translated into, in the order of the CNAI site file
KIOSK_LANGUAGES = ("pt", "en", "fr", "es", "uk", "ru", "ar", "hi", "ne", "bn")

#: the kiosk's catalogs (read lazily, one language at a time)
CATALOGS = Catalogs(LOCALE_DIR, DOMAIN)


def _(message: str) -> str:
    """Marks a string for extraction where it is defined; translate it later with ``tr``."""
    return message


def tr(language: str, message: str, **values) -> str:
    """``message`` in ``language`` (with fallbacks), ``%(name)s`` filled from ``values``."""
    text = CATALOGS.gettext(language, message)
    return text % values if values else text


def ntr(language: str, singular: str, plural: str, n: int, **values) -> str:
    text = CATALOGS.ngettext(language, singular, plural, n)
    return text % {"n": n, **values}


@lru_cache(maxsize=None)
def language_name(language: str) -> str:
    """The language's name in itself ("Português", "Українська", "العربية"), from CLDR via Babel."""
    try:
        name = Locale.parse(language.replace("-", "_")).get_display_name(language.replace("-", "_")) or language
    except (UnknownLocaleError, ValueError):
        return language
    return name[:1].upper() + name[1:]
