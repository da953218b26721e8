"""The kiosk's own words in every language: gettext catalogs, read with Babel.

Sources are ``kiosk/locale/<lang>/LC_MESSAGES/kiosk.po``, extracted from the
code and the kv files with pybabel (see docs/decisions.md for the commands).
They are read at run time and compiled in memory, so there is no build step
and no generated ``.mo`` to keep in step.  A string missing (or fuzzy) in the
visitor's language falls back to English, then Portuguese, then the English
source text itself: a label is never empty.

Texts that come from the site file (menu labels, service names) are not here:
they are ``{"pt": ..., "en": ...}`` tables with the same fallback order
(:func:`pick`).
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "kiosk"
FALLBACKS = ("en", "pt")
#: the languages the kiosk is translated into, in the order of the CNAI site file
KIOSK_LANGUAGES = ("pt", "en", "fr", "es", "uk", "ru", "ar", "hi", "ne", "bn")


class Catalogs:
    """gettext translations per language from ``<locale_dir>/<lang>/LC_MESSAGES/<domain>.po``."""

    def __init__(self, locale_dir: Path | str = LOCALE_DIR, domain: str = DOMAIN,
                 fallbacks: tuple[str, ...] = FALLBACKS):
        self.locale_dir = Path(locale_dir)
        self.domain = domain
        self.fallbacks = fallbacks
        self._chains: dict[str, gettext.NullTranslations] = {}
        self._compiled: dict[str, bytes | None] = {}

    def po_file(self, language: str) -> Path:
        return self.locale_dir / language / "LC_MESSAGES" / f"{self.domain}.po"

    def languages(self) -> list[str]:
        return sorted(p.parent.parent.name for p in self.locale_dir.glob(f"*/LC_MESSAGES/{self.domain}.po"))

    def _mo(self, language: str) -> bytes | None:
        """The language's catalog compiled to .mo bytes (fuzzy entries left out), None without one."""
        if language not in self._compiled:
            path = self.po_file(language)
            compiled = None
            if path.is_file():
                with path.open("rb") as source:
                    catalog = read_po(source, locale=None, domain=self.domain)
                buffer = io.BytesIO()
                write_mo(buffer, catalog, use_fuzzy=False)
                compiled = buffer.getvalue()
            self._compiled[language] = compiled
        return self._compiled[language]

    def translator(self, language: str) -> gettext.NullTranslations:
        """The chain language → English → Portuguese → the source text (each link its own object:
        ``add_fallback`` links them, so a link is never shared between chains)."""
        if language not in self._chains:
            chain = gettext.NullTranslations()
            for code in dict.fromkeys((language, *self.fallbacks)):
                compiled = self._mo(code)
                if compiled is not None:
                    chain.add_fallback(gettext.GNUTranslations(io.BytesIO(compiled)))
            self._chains[language] = chain
        return self._chains[language]

    def gettext(self, language: str, message: str) -> str:
        return self.translator(language).gettext(message)

    def ngettext(self, language: str, singular: str, plural: str, n: int) -> str:
        return self.translator(language).ngettext(singular, plural, n)


#: the kiosk's catalogs (read lazily, one language at a time)
CATALOGS = Catalogs()


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


def pick(text: Mapping[str, str] | None, language: str, default: str = "pt") -> str:
    """A site-file text in ``language``, else English, else the site's default language."""
    if not text:
        return ""
    for code in (language, *FALLBACKS, default):
        if text.get(code):
            return text[code]
    return next((value for value in text.values() if value), "")


@lru_cache(maxsize=None)
def language_name(language: str) -> str:
    """The language's name in itself ("Português", "Українська", "العربية"), from CLDR via Babel."""
    try:
        name = Locale.parse(language.replace("-", "_")).get_display_name(language.replace("-", "_")) or language
    except (UnknownLocaleError, ValueError):
        return language
    return name[:1].upper() + name[1:]
