"""Sizes in millimetres on the real glass, and how many menu cards fit.

A touch target must be at least 15 mm whatever the panel: the screen's
diagonal (``screen.diagonal_in`` in the device's entry of the site file)
gives pixels per millimetre; without it 150 dpi is assumed, the densest
usual kiosk panel, so a target is never smaller than 15 mm.  Pure functions,
no Kivy: the screens read the numbers, tests check them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

MM_PER_INCH = 25.4
ASSUMED_DPI = 150.0
MIN_TARGET_MM = 15.0
LARGE_TEXT_FACTOR = 1.3
#: text sizes in millimetres (normal text), by kind; the app has a property ``f_<kind>`` for each
TEXT_MM = {"body": 4.2, "small": 3.4, "button": 4.6, "title": 6.0, "lang": 6.5, "icon": 8.0}
#: the smallest text a label may shrink to (mm of font size): a capital 16 arc minutes high seen from
#: 400 mm (ISO 9241-303's least character height for reading; a visitor stands within reach of the
#: glass), 1.86 mm, over Noto Sans's cap height of 0.714 em
MIN_TEXT_MM = 400 * math.tan(math.radians(16 / 60)) / 0.714
MIN_CODE_MM = 12.0
#: a panel less high than this is "short" (a 7" 800x480 or 1024x600 one is 90 mm): its screens keep
#: a ticket's caption out, names on fewer lines, so the code and the cards keep their room
SHORT_MM = 95.0


@dataclass(frozen=True)
class Sizes:
    """Pixel sizes for one window size, panel and text mode."""

    px_per_mm: float
    large_text: bool = False

    @classmethod
    def for_screen(cls, width_px: int, height_px: int, diagonal_in: float | None,
                   large_text: bool = False) -> "Sizes":
        if diagonal_in:
            dpi = math.hypot(width_px, height_px) / diagonal_in
        else:
            dpi = ASSUMED_DPI
        return cls(dpi / MM_PER_INCH, large_text)

    def mm(self, millimetres: float) -> float:
        return millimetres * self.px_per_mm

    @property
    def _text(self) -> float:
        return LARGE_TEXT_FACTOR if self.large_text else 1.0

    @property
    def target(self) -> float:
        """The smallest side of anything a visitor taps: 15 mm, more with large text."""
        return math.ceil(self.mm(MIN_TARGET_MM) * (1.15 if self.large_text else 1.0))

    @property
    def gap(self) -> float:
        return round(self.mm(2.0))

    def font(self, kind: str) -> float:
        """A text size in pixels: ``TEXT_MM[kind]`` millimetres on the glass, 1.3 times that with large text."""
        return round(self.mm(TEXT_MM[kind]) * self._text)

    def short(self, height_px: float) -> bool:
        """A panel ``height_px`` high is short (``SHORT_MM``, 1.3 times that with large text: an 8"
        800x600 panel, 122 mm, left the English ticket's caption 8 px out of the window)."""
        return height_px < self.mm(SHORT_MM) * self._text

    def min_font(self, role: str = "") -> float:
        """The least text size in pixels for any role (``MIN_TEXT_MM``; the layout check holds every label
        to it)."""
        return self.mm(MIN_TEXT_MM)

    def font_code(self, height_px: float) -> float:
        """The ticket code: as large as a fifth of the screen, at least 25 mm."""
        return round(max(self.mm(25.0), height_px * 0.2))

    @property
    def least_code(self) -> float:
        """The ticket code where the screen is too short for it and the words under it (a 7" panel
        with large text): 12 mm, a capital of 8.6 mm, still three times the least text's."""
        return round(self.mm(MIN_CODE_MM))


@dataclass(frozen=True)
class Grid:
    cols: int
    rows: int
    card_height: float
    show_hints: bool

    @property
    def per_page(self) -> int:
        return self.cols * self.rows


def card_grid(width: float, height: float, sizes: Sizes, min_card_mm: float = 45.0, max_cols: int = 3,
              hints: bool = True, count: int | None = None) -> Grid:
    """Columns and rows of menu cards that fit ``width`` x ``height`` with targets of at least 15 mm.

    Cards show their hint when that still leaves room for three rows;
    otherwise the label alone, at the full target height.  With ``count``,
    no more columns than needed to show all cards on one page (wider cards)."""
    gap = sizes.gap
    cols = max(1, min(max_cols, int((width + gap) // (sizes.mm(min_card_mm) + gap))))
    plain = sizes.target
    if count is not None and not hints:
        rows = max(1, int((height + gap) // (plain + gap)))
        cols = max(1, min(cols, -(-count // rows)))
    # a label and a hint of up to two lines each (long words wrap, nothing is cut)
    with_hint = max(plain, (sizes.font("button") + sizes.font("small")) * 1.4 * 2 + 2 * gap)
    rows_with_hint = int((height + gap) // (with_hint + gap))
    if hints and rows_with_hint >= 3:
        return Grid(cols, rows_with_hint, with_hint, True)
    rows = max(1, int((height + gap) // (plain + gap)))
    return Grid(cols, rows, plain, False)


def page_slots(count: int, per_page: int, fixed_tail: int = 1) -> list[list[tuple[str, int]]]:
    """Cut ``count`` entries into pages of ``per_page`` grid cells.

    Every page ends with ``fixed_tail`` cells that are always there ("I don't
    know"); a page with entries before it starts with a ("prev", 0) cell, one
    with entries after it ends (before the tail) with a ("next", 0) cell, so
    paging is done with big buttons like everything else.  Entries are
    ("entry", index).  Paging needs ``per_page >= fixed_tail + 3``."""
    room = max(1, per_page - fixed_tail)
    if count <= room:
        return [[("entry", i) for i in range(count)]]
    result, start = [], 0
    while start < count:
        cells = [("prev", 0)] if start else []
        space = room - len(cells)
        if count - start > space:  # more after this page: keep a cell for "next"
            space = max(1, space - 1)
            cells += [("entry", i) for i in range(start, start + space)] + [("next", 0)]
        else:
            cells += [("entry", i) for i in range(start, count)]
        result.append(cells)
        start += space
    return result


@lru_cache(maxsize=8192)
def fit_font(text: str, size: float, width: float, bold: bool = False, language: str = "",
             height: float = 0, least: float = 0) -> float:
    """The largest text size up to ``size`` at which ``text`` fits its box.

    Labels wrap between words; a word wider than ``width`` would be cut in two
    ("Informaçõ-es"), and with ``height`` too many lines would spill out of
    their button, so the label gets smaller instead: never below half, nor below ``least`` (the
    readable minimum, ``Sizes.min_font``); what still does not fit there is hyphenated or
    abbreviated by the label (typeset.fit)."""
    words = text.split()
    if not words or width <= 0 or size <= 0:
        return size
    # most labels fit with room to spare: a generous bound (0.75 em a character, 1.6 em a line)
    # answers without shaping anything
    longest = max(len(word) for word in words)
    lines_bound = -(-len(text) * size * 0.75 // width) if width else 1
    if longest * size * 0.75 <= width and (height <= 0 or lines_bound * size * 1.6 <= height):
        return size
    from typeset.bidi_lines import text_width, wrap
    from typeset.pillow import line_metrics
    lang = language or None
    floor = min(size, max(size * 0.5, math.ceil(least)))
    widest = max(text_width(word, max(1, int(size)), bold, lang) for word in words)
    fitted = size if widest <= width else max(floor, int(size * width / widest))
    while height > 0 and fitted > floor:
        ascent, descent = line_metrics(text, int(fitted), bold, lang)
        if len(wrap(text, width, int(fitted), bold, lang)) * (ascent + descent) <= height:
            break
        fitted = max(floor, int(fitted * 0.9))
    return fitted


@lru_cache(maxsize=1024)
def line_fits(size: float, room: float, bold: bool = False) -> bool:
    """Whether one line at ``size`` (ascent + descent, Noto Sans) is at most ``room`` pixels high."""
    from typeset.pillow import line_metrics
    ascent, descent = line_metrics("G0", size, bold, "en")
    return ascent + descent <= room


def line_fit(size: float, least: float, room: float, bold: bool = False) -> float:
    """The largest whole size up to ``size`` whose line (ascent + descent, Noto Sans) is at most
    ``room`` pixels high; ``least`` when even that is too high (the ticket's code on a 7" panel)."""
    from typeset.pillow import line_metrics
    fitted = int(size)
    while fitted > least:
        ascent, descent = line_metrics("G0", fitted, bold, "en")
        if ascent + descent <= room:
            break
        fitted = max(int(least), int(fitted * 0.94))
    return max(fitted, math.ceil(least)) if least else fitted
