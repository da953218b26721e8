"""How the wall screen's parts share a panel of any size, decided before anything is drawn (no Kivy).

Sizes are reference pixels (a 1080 px short side, display/theme.py), so the
plan depends on the panel's shape and on what it must show, not on its
resolution.  ``plan_layout`` makes a ``LayoutPlan``; the screen
(display/widgets.py) only applies it.  When the panel is too small for
everything at full size, the least important part goes first:

1. the newest call's code is drawn smaller, down to its minimum (ADA, 10 m);
2. the chevrons beside it are left out (the highlight keeps its inverse
   video, its frame and its badge);
3. the column of previous calls is left out (landscape), so the newest call
   gets the whole width;
4. the waiting list goes from two columns to one (more pages), its service
   names wrap onto two lines, then the estimated waits are left out;
5. only then is a name abbreviated (typeset.fit, by the label itself).

A code at its minimum that still does not fit (a two-letter prefix and five
digits, "AA99998", is 1013 px at 238 px: a portrait panel's 1048 px body
less 2 x 24 px of padding is 1000) gets the panel's tight padding (16 px,
clear of the highlight's frame) before it would be drawn under its minimum.

The widest code the plan makes room for is the zone's widest prefix with as
many digits as the codes on screen have (at least three, "IN888"), so the
layout stays put from one call to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from display.theme import FONT_PX, MIN_FONT_PX

#: the reference sizes of display/board.kv that the plan depends on
PAD = 16              # the body's side padding and the spacing between its columns
NOW_PAD = 24          # the newest call's panel padding, each side
#: the padding when the code needs the room: the highlight's frame is drawn 9 px in, at most 12 px wide
#: (a line's width is shared by both its sides: 3 to 15 px in), so 16 px still clears it
NOW_PAD_TIGHT = 16
CHEVRONS = 110        # the chevrons' width, and the spacer that balances them on the right
ROW_PAD = 24          # a previous call's row padding, each side
ROW_GAP = 40          # between a previous call's code and its counter number
HEADER = 96
TICKER = 84
TITLE = 56            # a section title's height (one line)
SERVICE_ROW = 68      # a service's row, one line of name
SERVICE_PAD = 16      # a service row's padding each side and spacing between its parts
PREFIX_W = 96         # the prefix badge
NOW_H_LANDSCAPE = 548
NOW_H_PORTRAIT = 600
BODY_H_PORTRAIT = 1070
#: rows of services a portrait panel keeps below the newest call and the previous calls
MIN_SERVICE_ROWS = 3

Measure = Callable[[str, float, bool], float]


@dataclass(frozen=True)
class LayoutPlan:
    portrait: bool
    body_height: float
    #: the newest call's panel width (landscape; portrait: the whole width)
    now_width: float
    code_font: float
    chevrons: bool
    previous: bool
    previous_cols: int
    service_cols: int
    service_row: float
    name_lines: int
    estimates: bool
    count_width: float
    estimate_width: float
    #: the newest call's side padding (NOW_PAD, or NOW_PAD_TIGHT when the code needs the room)
    now_pad: float = NOW_PAD


@dataclass(frozen=True)
class Content:
    """What the plan must make room for (display.widgets makes it from a BoardView)."""

    prefixes: tuple[str, ...]       # the service prefixes of the zone and of the codes on screen
    digits: int                     # digits of the longest code on screen (at least 3)
    names: tuple[str, ...]          # service names in the default language
    language: str = "pt"
    counter_number: str = "88"      # the widest counter number
    count: str = "888"              # the widest waiting count
    estimate: str = "~888 min"      # the widest estimated wait


def widest_code(content: Content, measure: "Measure") -> str:
    """The zone's widest prefix with as many digits as the codes on screen, all eights."""
    prefix = max(content.prefixes or ("M",), key=lambda p: measure(p, FONT_PX["code"], True))
    return prefix + "8" * max(3, content.digits)


def plan_layout(width: float, height: float, content: Content, measure: Measure) -> LayoutPlan:
    """The plan for a panel of ``width`` x ``height`` reference pixels showing ``content``."""
    return _plan(round(width), round(height), content, measure)


@lru_cache(maxsize=256)
def _plan(width: int, height: int, content: Content, measure: Measure) -> LayoutPlan:
    portrait = height > width
    body = width - 2 * PAD

    code = widest_code(content, measure)

    def code_width(font: float) -> float:
        return measure(code, font, True)

    row_need = 2 * ROW_PAD + code_width(FONT_PX["row"]) + ROW_GAP + measure(content.counter_number, FONT_PX["row"],
                                                                          True)
    sizes = [FONT_PX["code"]] + [f for f in range(FONT_PX["code"] - 4, MIN_FONT_PX["code"] - 1, -4)] + \
        [MIN_FONT_PX["code"]]

    def now_fit(room: float) -> tuple[float, bool] | None:
        """(code font, chevrons) for a newest-call panel ``room`` wide: smaller code first, then no chevrons."""
        for chevrons in (True, False):
            for font in sizes:
                if 2 * NOW_PAD + code_width(font) + (2 * CHEVRONS if chevrons else 0) <= room:
                    return font, chevrons
        return None

    def now_last(room: float) -> tuple[tuple[float, bool], float]:
        """((code font, chevrons), padding) when ``now_fit`` found nothing: the code at its minimum with
        the tight padding (a two-letter prefix and five digits in portrait), else smaller (never cut)."""
        if code_width(MIN_FONT_PX["code"]) + 2 * NOW_PAD_TIGHT <= room:
            return (float(MIN_FONT_PX["code"]), False), NOW_PAD_TIGHT
        return (_shrunk(code, room - 2 * NOW_PAD_TIGHT, measure), False), NOW_PAD_TIGHT

    previous, previous_cols, now_pad = True, 1, NOW_PAD
    if portrait:
        now_width = body
        fitted = now_fit(now_width)
        if fitted is None:
            fitted, now_pad = now_last(now_width)
        previous_cols = 2 if 2 * row_need <= body else 1
        body_height = min(BODY_H_PORTRAIT, height - HEADER - TICKER - TITLE - 8 - MIN_SERVICE_ROWS * SERVICE_ROW)
    else:
        body_height = NOW_H_LANDSCAPE
        fitted, now_width = None, body
        least = 0.6 * (body - PAD)
        for chevrons_first in (True, False):
            for font in sizes:
                need = 2 * NOW_PAD + code_width(font) + (2 * CHEVRONS if chevrons_first else 0)
                room = max(least, need)
                if body - PAD - room >= row_need:
                    fitted, now_width = (font, chevrons_first), room
                    break
            if fitted:
                break
        if fitted is None:  # the previous calls make way for the newest (the column's spacing stays)
            previous, now_width = False, body - PAD
            fitted = now_fit(now_width)
            if fitted is None:
                fitted, now_pad = now_last(now_width)
    code_font, chevrons = fitted
    services = _services(width - 2 * PAD, portrait, content, measure)
    return LayoutPlan(portrait, body_height, now_width, code_font, chevrons, previous, previous_cols, *services,
                      now_pad=now_pad)


def _shrunk(code: str, room: float, measure: Measure) -> float:
    """A code that fits nowhere at its minimum is still drawn whole, smaller (never cut)."""
    font = float(MIN_FONT_PX["code"])
    while font > 20 and measure(code, font, True) > room:
        font -= 4
    return font


def _services(width: float, portrait: bool, content: Content, measure: Measure):
    from typeset.fit import fit_text
    count_width = measure(content.count, FONT_PX["count"], True) + 8
    estimate_width = measure(content.estimate, FONT_PX["minutes"], False) + 8
    names = content.names or ("",)

    def fits(name_width: float, lines: int) -> bool:
        for name in names:
            if not name:
                continue
            if lines == 1:
                if measure(name, MIN_FONT_PX["label"], False) > name_width:
                    return False
            elif fit_text(name, FONT_PX["label"], name_width, min_px=MIN_FONT_PX["label"], max_lines=lines,
                          language=content.language).ellipsized:
                return False
        return True

    options = [(2, 1, True)] if not portrait else []
    options += [(1, 1, True), (1, 2, True), (1, 2, False)]
    for cols, lines, estimates in options:
        column = width / cols
        fixed = 2 * SERVICE_PAD + PREFIX_W + count_width + SERVICE_PAD * 2 + \
            ((estimate_width + SERVICE_PAD) if estimates else 0)
        if fits(column - fixed, lines):
            break
    row = SERVICE_ROW if lines == 1 else _two_lines(content.language)
    return cols, row, lines, estimates, count_width, estimate_width if estimates else 0


def _two_lines(language: str) -> float:
    from typeset.pillow import line_metrics
    ascent, descent = line_metrics("Ág", FONT_PX["label"], False, language)
    return 2 * (ascent + descent) + 8
