"""One line in display order (Unicode bidi), and wrapping by real glyph widths.

visual_runs cuts a line's runs wherever the bidi level changes, merges
neighbours that share a font and level, and orders them left to right (rule
L2 of UAX #9).  Each run keeps its text in reading order: the shaper (raqm)
draws it right to left when `rtl` is set, which joins Arabic letters and keeps
the digits of "A023" left to right.  A number written in groups ("808 257
257") stays one left-to-right unit inside right-to-left text
(grouped_numbers_ltr), as people dial it.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from PIL import ImageFont

from typeset import _fribidi
from typeset.scripts import Run, split_runs


def paragraph_rtl(text: str) -> bool:
    """The base direction of a paragraph: that of its first strong letter (LTR when none)."""
    return bool(_fribidi.paragraph_rtl(text))


def paragraphs(text: str, base_rtl: bool | None = None) -> list[tuple[str, bool]]:
    """The "\\n"-separated paragraphs of `text`, each with its base direction.

    A given base_rtl applies to all.  Otherwise each paragraph takes the
    direction of its first strong letter (Unicode rule P2), so an Arabic line
    and its Portuguese translation each start at their own edge; a paragraph
    without letters ("5", "") follows the one before it.
    """
    parts = text.split("\n")
    if base_rtl is not None:
        return [(part, base_rtl) for part in parts]
    found = [_fribidi.paragraph_rtl(part) for part in parts]
    current = next((d for d in found if d is not None), False)
    result = []
    for part, direction in zip(parts, found):
        current = current if direction is None else direction
        result.append((part, current))
    return result


#: a number written in groups ("808 257 257", "808 24 24 24", "2026.05-1"), and a range ("12–27": the
#: bidi algorithm joins digits across a hyphen-minus (rule W4) but not across an en dash, which in an
#: Arabic line drew "27–12")
NUMBER_GROUPS = re.compile(r"\d+(?:[ .\-/\u2013]\d+)+")


def grouped_numbers_ltr(line: str, levels: list[int]) -> list[int]:
    """The bidi levels of ``line`` with every grouped number kept as one left-to-right unit.

    The bidi algorithm orders "808 257 257" in an Arabic sentence group by
    group from the right ("257 257 808" on screen): the spaces between the
    groups take the sentence's direction.  Here the separators inside such a
    number take the level of its digits, as a left-to-right isolate
    (U+2066...U+2069) around it would, without adding characters to the text
    (the printer prints the same string).  ``levels`` is changed and returned."""
    if not any(level % 2 for level in levels):
        return levels  # nothing right to left: already in order
    for match in NUMBER_GROUPS.finditer(line):
        span = range(match.start(), match.end())
        digits = {levels[i] for i in span if line[i].isdigit()}
        if len(digits) == 1 and not (level := digits.pop()) % 2:
            for i in span:
                levels[i] = level
    return levels


def visual_runs(line: str, base_rtl: bool | None = None, bold: bool = False) -> list[Run]:
    """The runs of one line in left-to-right display order.

    base_rtl None takes the direction from the line's first strong letter.
    A run's `rtl` is its bidi direction (digits in Arabic text are LTR runs);
    grouped numbers are one run (grouped_numbers_ltr).
    """
    if "\n" in line:
        raise ValueError("visual_runs takes one line; split or wrap the text first")
    if not line:
        return []
    levels = grouped_numbers_ltr(line, _fribidi.embedding_levels(line, base_rtl)[0])
    pieces: list[tuple[Run, int]] = []  # (run, level), logical order
    pos = 0
    for run in split_runs(line, bold):
        start = pos
        for i in range(pos, pos + len(run.text) + 1):
            if i == pos + len(run.text) or levels[i] != levels[start]:
                _append(pieces, run, line[start:i], levels[start])
                start = i
        pos += len(run.text)
    return [run for run, _ in _reorder(pieces)]


def _append(pieces: list[tuple[Run, int]], run: Run, text: str, level: int) -> None:
    if not text:
        return
    rtl = bool(level % 2)
    if pieces and pieces[-1][1] == level and pieces[-1][0].font == run.font:
        prev = pieces[-1][0]
        pieces[-1] = (replace(prev, text=prev.text + text), level)
    else:
        pieces.append((Run(text, run.script, rtl, run.font), level))


def _reorder(pieces: list[tuple[Run, int]]) -> list[tuple[Run, int]]:
    """UAX #9 rule L2 on whole runs: reverse every sequence at or above each odd level."""
    if not pieces:
        return pieces
    highest = max(level for _, level in pieces)
    lowest_odd = min((level for _, level in pieces if level % 2), default=None)
    if lowest_odd is None:
        return pieces
    order = list(pieces)
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if order[i][1] >= level:
                j = i
                while j < len(order) and order[j][1] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return order


_thread_fonts = threading.local()


def pil_font(path: str, size_px: int) -> ImageFont.FreeTypeFont:
    """A Pillow font that shapes with raqm (joins Arabic, forms Indic conjuncts).

    Cached per thread: a FreeType face must not be used by two threads at once,
    and the printer may render while the screen does.
    """
    cache = getattr(_thread_fonts, "cache", None)
    if cache is None:
        cache = _thread_fonts.cache = {}
    key = (path, int(size_px))
    font = cache.get(key)
    if font is None:
        if len(cache) > 256:
            cache.clear()
        font = cache[key] = ImageFont.truetype(path, int(size_px), layout_engine=ImageFont.Layout.RAQM)
    return font


@lru_cache(maxsize=8192)
def run_width(run: Run, size_px: int, language: str | None = None) -> float:
    """Advance width of one shaped run in pixels."""
    return pil_font(run.font, size_px).getlength(
        run.text, direction="rtl" if run.rtl else "ltr", language=language)


@lru_cache(maxsize=8192)
def run_ink(run: Run, size_px: int, language: str | None = None) -> tuple[float, float, float, float] | None:
    """(left, top, right, bottom) of the run's ink from its pen start on the baseline
    (top is negative above the baseline); None for blank runs."""
    if not run.text.strip():
        return None
    return pil_font(run.font, size_px).getbbox(
        run.text, direction="rtl" if run.rtl else "ltr", language=language, anchor="ls")


@dataclass(frozen=True)
class LaidLine:
    """One line ready to draw: runs in display order, their pen offsets, and how far
    the ink reaches past the advance box (Arabic initial letters overhang their start)."""

    runs: tuple[Run, ...]
    offsets: tuple[float, ...]
    rtl: bool
    advance: float
    overhang_left: float
    overhang_right: float

    @property
    def width(self) -> float:
        """Room the line needs so no ink is cut."""
        return self.overhang_left + self.advance + self.overhang_right


@lru_cache(maxsize=2048)
def lay_out(line: str, size_px: int, bold: bool = False, base_rtl: bool | None = None,
            language: str | None = None) -> LaidLine:
    """Runs of one line in display order with their positions and ink extent."""
    rtl = paragraph_rtl(line) if base_rtl is None else base_rtl
    runs = tuple(visual_runs(line, rtl, bold))
    offsets, x, ink_left, ink_right = [], 0.0, 0.0, 0.0
    for run in runs:
        offsets.append(x)
        ink = run_ink(run, size_px, language)
        if ink:
            ink_left, ink_right = min(ink_left, x + ink[0]), max(ink_right, x + ink[2])
        x += run_width(run, size_px, language)
    return LaidLine(runs, tuple(offsets), rtl, x, max(0.0, -ink_left), max(0.0, ink_right - x))


def text_width(text: str, size_px: int, bold: bool = False, language: str | None = None,
               base_rtl: bool | None = None) -> float:
    """Width one line of text needs: advances of its shaped runs plus any ink overhang."""
    return lay_out(text, size_px, bold, base_rtl, language).width


def wrap(text: str, width_px: float, size_px: int, bold: bool = False,
         language: str | None = None, base_rtl: bool | None = None) -> list[str]:
    """Lines of `text` no wider than width_px, broken at spaces (and at "\\n").

    A word wider than the whole line is broken between grapheme clusters so a
    conjunct or a letter with its marks is never split.  base_rtl None gives
    each paragraph its own direction (see paragraphs).
    """
    return [line for line, _ in wrap_lines(text, width_px, size_px, bold, language, base_rtl)]


def wrap_lines(text: str, width_px: float | None, size_px: int, bold: bool = False,
               language: str | None = None, base_rtl: bool | None = None) -> list[tuple[str, bool]]:
    """Like wrap, each line with its paragraph's direction; width_px None only splits at "\\n"."""
    if width_px is not None and width_px <= 0:
        raise ValueError(f"wrap width must be positive, got {width_px}")
    if size_px <= 0:
        raise ValueError(f"text size must be positive, got {size_px}")
    lines: list[tuple[str, bool]] = []
    for paragraph, rtl in paragraphs(text, base_rtl):
        if width_px is None:
            lines.append((paragraph, rtl))
        else:
            lines.extend((line, rtl) for line in _wrap_paragraph(paragraph, width_px, size_px, bold, language, rtl))
    return lines


#: ink reaches at most this far (in em) past a line's advance box in the Noto
#: Regular/Bold fonts ("j" 0.08 em): below it a line fits without measuring ink
_OVERHANG_BOUND_EM = 0.25


def _advance(text: str, size_px: int, bold: bool, language: str | None) -> float:
    """Sum of the runs' advances: the order bidi puts them in does not change it."""
    return sum(run_width(r, size_px, language) for r in split_runs(text, bold))


def _wrap_paragraph(paragraph: str, width_px, size_px, bold, language, rtl) -> list[str]:
    def fits(s: str) -> bool:
        advance = _advance(s, size_px, bold, language)
        if advance > width_px:
            return False
        if advance + _OVERHANG_BOUND_EM * size_px <= width_px:
            return True
        return text_width(s, size_px, bold, language, rtl) <= width_px  # close call: measure the ink

    lines: list[str] = []
    current = ""
    for word in paragraph.split(" "):
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while current and not fits(current):
            head, current = _break_word(current, fits)
            lines.append(head)
    lines.append(current)
    return lines


def _break_word(word: str, fits) -> tuple[str, str]:
    """The longest head of `word` that fits, cut between grapheme clusters (at least one cluster)."""
    clusters = grapheme_clusters(word)
    head = clusters[0]
    for cluster in clusters[1:]:
        if not fits(head + cluster):
            break
        head += cluster
    return head, word[len(head):]


_VIRAMAS = frozenset("\u094d\u09cd\u0a4d\u0acd\u0b4d\u0bcd\u0c4d\u0ccd\u0d4d\u0dca\u1039\u17d2")


def grapheme_clusters(text: str) -> list[str]:
    """Text cut where a line may break inside a word: never before a mark or
    joiner, never after a virama (so Indic conjuncts stay whole)."""
    clusters: list[str] = []
    for ch in text:
        glue = clusters and (
            unicodedata.category(ch) in ("Mn", "Mc", "Me")
            or ch in "\u200c\u200d"
            or clusters[-1][-1] in _VIRAMAS
            or clusters[-1][-1] == "\u200d")
        if glue:
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters
