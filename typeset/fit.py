"""Make a text fit its box: shrink within limits, then wrap at word boundaries (hyphenating where
the language has rules), then abbreviate with an ellipsis, in that order.  Never a word broken
without a hyphen, never a line wider than the box.

``fit_text(text, size, width, min_px=..., max_lines=..., max_height=...)`` returns a
``Fitted``: the size to draw at and the lines to draw (each with its paragraph's
direction), ready for ``typeset.pillow.render_lines``.

1. ``shrink_first`` (a name on one line: a service, a counter, a heading): the largest
   size down to ``min_px`` at which every paragraph fits on one line;
2. the largest size down to ``min_px`` at which the text wraps between words with every
   word whole, in at most ``max_lines`` lines and ``max_height`` pixels;
3. the same with words too wide for a line hyphenated at the language's hyphenation
   points (``typeset.hyphenate``; a hyphen already in a word is a break too);
4. at ``min_px``: the lines that fit, the last one ending in "…".  A text ending in a
   number ("Gabinete de Atendimento 14") keeps its number after the ellipsis
   ("Gabinete de…  14"): it is what the visitor is looking for.

Sizes are whole pixels (what the renderer draws).  No Kivy: the wall display and the
kiosk use it through ``typeset.kivy.ScriptLabel``; tests call it directly.

    >>> fit_text("Nacionalidade", 46, 200, min_px=40, language="pt").lines
    (('Naciona-', False), ('lidade', False))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from typeset.bidi_lines import _OVERHANG_BOUND_EM, _advance, grapheme_clusters, paragraphs, text_width
from typeset.hyphenate import HYPHEN, points
from typeset.pillow import line_metrics

ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class Fitted:
    """What to draw: the size in whole pixels and the lines, each with its direction (True: right to left)."""

    size: int
    lines: tuple[tuple[str, bool], ...]
    hyphenated: bool = False
    ellipsized: bool = False

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(line for line, _ in self.lines)


@lru_cache(maxsize=4096)
def fit_text(text: str, size_px: float, width_px: float, min_px: float = 0, max_lines: int = 0,
             max_height: float = 0, bold: bool = False, language: str | None = None,
             base_rtl: bool | None = None, shrink_first: bool = False) -> Fitted:
    """The largest way ``text`` fits ``width_px`` (and ``max_lines`` / ``max_height`` when given)."""
    size = max(1, int(round(size_px)))
    least = max(1, min(size, int(math.ceil(min_px - 1e-6)) if min_px else size))
    paras = tuple(paragraphs(text, base_rtl))
    if width_px <= 0 or not text:
        return Fitted(size, paras)
    lay = _Layout(paras, float(width_px), bold, language, max_lines, max_height)
    if shrink_first:
        found = _largest(least, size, lambda s: lay.attempt(s, hyphens=False, one_line=True))
        if found:
            return Fitted(found[0], found[1])
    found = _largest(least, size, lambda s: lay.attempt(s, hyphens=False))
    if found:
        return Fitted(found[0], found[1])
    found = _largest(least, size, lambda s: lay.attempt(s, hyphens=True))
    if found:
        return Fitted(found[0], found[1], hyphenated=any(line.endswith(HYPHEN) for line, _ in found[1]))
    return lay.abbreviated(least)


def _largest(low: int, high: int, attempt):
    """(size, lines) for the largest size in [low, high] where ``attempt`` gives lines; None if none.

    Fitting gets no harder as the size goes down, so a binary search is enough."""
    got = attempt(high)
    if got is not None:
        return high, got
    if low >= high:
        return None
    got = attempt(low)
    if got is None:
        return None
    best = (low, got)
    lo, hi = low + 1, high - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        got = attempt(mid)
        if got is not None:
            best, lo = (mid, got), mid + 1
        else:
            hi = mid - 1
    return best


class _Layout:
    def __init__(self, paras, width: float, bold: bool, language: str | None, max_lines: int, max_height: float):
        self.paras, self.width, self.bold, self.language = paras, width, bold, language
        self.max_lines, self.max_height = max_lines, max_height
        self.text = "\n".join(p for p, _ in paras)

    # ---------------------------------------------------------------- measuring
    def fits(self, line: str, size: int, rtl: bool) -> bool:
        advance = _advance(line, size, self.bold, self.language)
        if advance > self.width:
            return False
        if advance + _OVERHANG_BOUND_EM * size <= self.width:
            return True
        return text_width(line, size, self.bold, self.language, rtl) <= self.width  # close call: the ink

    def line_height(self, size: int) -> int:
        ascent, descent = line_metrics(self.text, size, self.bold, self.language)
        return ascent + descent

    def room(self, size: int, least: int = 1) -> int:
        """How many lines the box holds at this size (0: any number), at least ``least``."""
        limits = []
        if self.max_lines:
            limits.append(self.max_lines)
        if self.max_height:
            limits.append(max(least, int(self.max_height // self.line_height(size))))
        return min(limits) if limits else 0

    # ---------------------------------------------------------------- wrapping
    def attempt(self, size: int, hyphens: bool, one_line: bool = False):
        lines = []
        for para, rtl in self.paras:
            got = self.wrap(para, size, rtl, hyphens)
            if got is None or (one_line and len(got) > 1):
                return None
            lines += [(line, rtl) for line in got]
        # a box lower than one line at this size: smaller (the abbreviation at the least size still
        # draws one line, the most a box can be given)
        room = self.room(size, least=0)
        if (self.max_lines or self.max_height) and len(lines) > room:
            return None
        return tuple(lines)

    def wrap(self, para: str, size: int, rtl: bool, hyphens: bool, cut: bool = False):
        """Lines of one paragraph broken between words; a word too wide for a line is broken at a
        hyphen it has or (``hyphens``) at a hyphenation point; None when one cannot be
        (``cut``: the paragraph ends there with an ellipsis instead)."""
        lines: list[str] = []
        current = ""
        for word in para.split(" "):
            candidate = f"{current} {word}" if current else word
            if self.fits(candidate, size, rtl):
                current = candidate
                continue
            if current:
                lines.append(current)
                current = ""
            if self.fits(word, size, rtl):
                current = word
                continue
            pieces = self.split_word(word, size, rtl, hyphens)
            if pieces is None:
                if not cut:
                    return None
                lines.append(self.shorten(word, ELLIPSIS, size, rtl))
                return lines
            lines += pieces[:-1]
            current = pieces[-1]
        lines.append(current)
        return lines

    def split_word(self, word: str, size: int, rtl: bool, hyphens: bool):
        breaks = {i + 1: "" for i, c in enumerate(word[:-1]) if c in "-\u2010" and i > 0}
        if hyphens:
            for p in points(word, self.language):
                breaks.setdefault(p, HYPHEN)
        pieces, start = [], 0
        while not self.fits(word[start:], size, rtl):
            head = None
            for p in sorted((p for p in breaks if p > start), reverse=True):
                piece = word[start:p] + breaks[p]
                if self.fits(piece, size, rtl):
                    head = (p, piece)
                    break
            if head is None:
                return None
            pieces.append(head[1])
            start = head[0]
        pieces.append(word[start:])
        return pieces

    # ---------------------------------------------------------------- abbreviating
    def shorten(self, line: str, suffix: str, size: int, rtl: bool) -> str:
        """``line`` cut (at a word, else between letters) so that it and ``suffix`` fit."""
        words = line.split(" ")
        while len(words) > 1 and not self.fits(" ".join(words) + suffix, size, rtl):
            words.pop()
        head = " ".join(words)
        if not self.fits(head + suffix, size, rtl):
            clusters = grapheme_clusters(head)
            while clusters and not self.fits("".join(clusters) + suffix, size, rtl):
                clusters.pop()
            head = "".join(clusters)
        head = head.rstrip(" ,;:.—–-")
        return head + suffix if head else suffix.strip()

    def abbreviated(self, size: int) -> Fitted:
        room = self.room(size)
        lines: list[tuple[str, bool]] = []
        cut = False
        for para, rtl in self.paras:
            got = self.wrap(para, size, rtl, hyphens=True, cut=True)
            cut = cut or any(line.endswith(ELLIPSIS) for line in got)
            lines += [(line, rtl) for line in got]
        if room and len(lines) > room:
            lines, cut = lines[:room], True
            last, rtl = lines[-1]
            words = self.text.split()
            tail = words[-1] if words and any(c.isdigit() for c in words[-1]) and len(words[-1]) <= 6 else ""
            suffix = ELLIPSIS + (f" {tail}" if tail and not last.endswith(tail) else "")
            lines[-1] = (self.shorten(last.rstrip(HYPHEN), suffix, size, rtl), rtl)
        return Fitted(size, tuple(lines), hyphenated=any(line.endswith(HYPHEN) for line, _ in lines), ellipsized=cut)
