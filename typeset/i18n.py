"""Which text a visitor reads: one fallback order for site texts, and gettext catalogs.

Every role shows texts in the visitor's language and in the site's default
language, and some are missing in some languages.  Two kinds of text, one
place for both, no Kivy (the printer and the counter import it too):

* **site texts** (``{"pt": "Saúde", "en": "Health"}`` tables of the site file
  and the content pack) go through :func:`pick`:

  1. the visitor's language;
  2. English, the language a visitor who did not find theirs most often reads
     (the CNAI's own second language), before
  3. the site's default language, which the site file requires in every table,
     so the chain ends here in practice;
  4. any non-empty text (a cached or hand-made payload without the default),
     else "".

  The same order chooses a whole content pack (:func:`fallback_languages`).

* **the firmware's own words** come from gettext catalogs, one domain per
  role (``kiosk``, ``ticket``), read from the ``.po`` sources with Babel and
  compiled in memory (:class:`Catalogs`): the visitor's language, then
  English, then Portuguese, then the English source text itself, so a label
  is never empty.  Catalogs know no site; Portuguese stands where the site's
  default would, as the language of the centres the firmware is made for.

Usage::

    from typeset.i18n import Catalogs, pick

    pick(service["name"], "hi", "pt")          # Hindi, else English, else Portuguese
    catalogs = Catalogs(Path("kiosk/locale"), "kiosk")
    catalogs.gettext("uk", "Back")             # "Назад"
    catalogs.translator("ar").ngettext(...)    # a gettext.NullTranslations chain
"""

from __future__ import annotations

import gettext
import io
import threading
from pathlib import Path
from typing import Mapping

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

#: after the visitor's language, before the site's default (site texts) or Portuguese (catalogs)
SECOND_LANGUAGE = "en"
#: the catalogs' chain after the visitor's language
CATALOG_FALLBACKS = (SECOND_LANGUAGE, "pt")


def fallback_languages(language: str, default: str) -> tuple[str, ...]:
    """The languages to try, in order, for a visitor reading ``language`` at a site whose default is
    ``default``: ``(language, "en", default)`` without repeats."""
    return tuple(dict.fromkeys((language, SECOND_LANGUAGE, default)))


def pick(texts: Mapping[str, str] | None, language: str, default: str) -> str:
    """A site text in ``language``, else English, else the site's ``default`` language, else any, else ""."""
    if not texts:
        return ""
    for code in fallback_languages(language, default):
        if texts.get(code):
            return texts[code]
    return next((value for value in texts.values() if value), "")


class Catalogs:
    """gettext translations per language from ``<locale_dir>/<lang>/LC_MESSAGES/<domain>.po``.

    A language is read and compiled the first time it is asked for (a few ms);
    fuzzy entries are left out.  Safe to use from several threads (the kiosk's
    printer builds its ticket on the request's thread)."""

    def __init__(self, locale_dir: Path | str, domain: str, fallbacks: tuple[str, ...] = CATALOG_FALLBACKS):
        self.locale_dir = Path(locale_dir)
        self.domain = domain
        self.fallbacks = fallbacks
        self._chains: dict[str, gettext.NullTranslations] = {}
        self._compiled: dict[str, bytes | None] = {}
        self._lock = threading.Lock()

    def po_file(self, language: str) -> Path:
        return self.locale_dir / language / "LC_MESSAGES" / f"{self.domain}.po"

    def languages(self) -> list[str]:
        """The languages that have a catalog, sorted."""
        return sorted(p.parent.parent.name for p in self.locale_dir.glob(f"*/LC_MESSAGES/{self.domain}.po"))

    def _mo(self, language: str) -> bytes | None:
        """The language's catalog compiled to .mo bytes, None without one."""
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
        chain = self._chains.get(language)
        if chain is None:
            with self._lock:
                chain = self._chains.get(language)
                if chain is None:
                    chain = gettext.NullTranslations()
                    for code in dict.fromkeys((language, *self.fallbacks)):
                        compiled = self._mo(code)
                        if compiled is not None:
                            chain.add_fallback(gettext.GNUTranslations(io.BytesIO(compiled)))
                    self._chains[language] = chain
        return chain

    def gettext(self, language: str, message: str) -> str:
        return self.translator(language).gettext(message)

    def ngettext(self, language: str, singular: str, plural: str, n: int) -> str:
        return self.translator(language).ngettext(singular, plural, n)
