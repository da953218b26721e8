"""Which code page prints which line: the printer's own characters, chosen per ticket.

A printer prints the bytes 128-255 of a text line from the code page ``ESC t n`` selected.
Which pages a printer has, and which ``n`` selects each, differ between printers (Epson's
``ESC t 13`` is PC857, many compatible printers have no PC857 or put another page there),
so the site file says it per printer (``printer.code_pages``, the default numbered alike
almost everywhere) and ``onestop-provision test-print`` prints every configured page for a
technician to compare.

``plan`` picks as few pages as a ticket needs, the one holding most of its text first (one
page when a page holds all its languages: CP850 for Portuguese with English, French or
Spanish), each line whole in one page, so the printer switches pages only between lines and
only when a ticket mixes alphabets no page holds together (Cyrillic with Portuguese).  A line
no configured page holds is drawn and sent as a picture.  Typographic punctuation with an
ASCII look-alike (’ “ ” – — …) and Ukrainian's і (the Latin i's shape) are printed as that
look-alike (``fold``) rather than turning a whole line into a picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping

from escpos.codepages import CodePages

#: printed as their ASCII look-alike: typographic punctuation, and Ukrainian's і and І, which are
#: the Latin letters' very shapes (CP866, the Cyrillic page nearly every printer has at 17, lacks them)
_FOLDS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"',
                        "\u201e": '"', "\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-",
                        "\u2026": "...", "\u2212": "-", "\u0456": "i", "\u0406": "I"})


def fold(text: str) -> str:
    """``text`` with typographic punctuation and Ukrainian і, І as their ASCII look-alikes."""
    return text.translate(_FOLDS)


def canonical(name: str) -> str:
    return CodePages.get_encoding_name(name)


def known(name: str) -> bool:
    """Whether python-escpos knows the characters of code page ``name`` (so it can be used)."""
    try:
        return characters(canonical(name)).strip("\x00") != ""
    except (KeyError, LookupError):
        return False


@lru_cache(maxsize=None)
def characters(name: str) -> str:
    """The 128 characters of bytes 128-255 in code page ``name`` ("\\x00" where the page has none)."""
    page = CodePages.get_encoding(canonical(name))
    if "data" in page:
        table = "".join(page["data"])
        return table if len(table) == 128 else table[:128].ljust(128, "\x00")
    if "python_encode" not in page:
        raise LookupError(name)
    out = []
    for byte in range(128, 256):
        try:
            out.append(bytes([byte]).decode(page["python_encode"]))
        except UnicodeDecodeError:
            out.append("\x00")
    return "".join(char if len(char) == 1 else "\x00" for char in out)


@lru_cache(maxsize=None)
def _byte_of(name: str) -> dict[str, int]:
    return {char: 128 + i for i, char in enumerate(characters(name)) if char not in ("\x00", " ")}


def holds(name: str, text: str) -> bool:
    """Whether code page ``name`` has every character of ``text`` (ASCII is in every page)."""
    table = _byte_of(name)
    return all(ord(char) < 128 or char in table for char in text)


@dataclass(frozen=True)
class Plan:
    """The pages of one ticket: ``first`` is selected at its start; ``pages`` gives each line that
    is not plain ASCII its page, or None when no page holds it (a picture).  ASCII lines print in
    whatever page is selected."""

    first: str
    pages: Mapping[str, str | None]

    def page(self, line: str) -> str | None:
        """The page for ``line``; "" for a plain ASCII line (any page)."""
        return self.pages[line] if line in self.pages else ""

    @property
    def used(self) -> list[str]:
        """The pages the ticket uses, most text first."""
        return list(dict.fromkeys([self.first, *(p for p in self.pages.values() if p)]))


def plan(lines: Iterable[str], pages: Iterable[str]) -> Plan:
    """The fewest pages of ``pages`` (the printer's, in preference order) that print ``lines``:
    the page holding the most of their characters first, then the one holding most of the rest..."""
    pages = [canonical(p) for p in pages]
    if not pages:
        raise ValueError("a printer has at least one code page")
    remaining = list(dict.fromkeys(line for line in lines if not line.isascii()))
    chosen: dict[str, str | None] = {}
    order: list[str] = []
    while remaining:
        weight = {page: sum(len(line) for line in remaining if holds(page, line)) for page in pages}
        best = max(pages, key=lambda page: weight[page])  # the first configured on a tie
        if not weight[best]:
            break
        order.append(best)
        chosen.update((line, best) for line in remaining if holds(best, line))
        remaining = [line for line in remaining if line not in chosen]
    chosen.update((line, None) for line in remaining)
    return Plan(order[0] if order else pages[0], chosen)
