"""Colours and text sizes of the wall display, and the arithmetic behind them.

Sizes are given for a screen whose short side is 1080 px and scaled with the
short side, so a 55" panel shows the same physical sizes at 1920×1080 and at
1280×720, in landscape or portrait.  On a 55" 16:9 panel the short side is
68.5 cm, so one reference pixel is 0.634 mm.

Three tiers (cap height = height of a capital letter, 0.714 em in Noto Sans):

* **the newest call** (code and counter) must be read from the back of a
  waiting room, 10 m: the ADA Standards' 703.5.5 table asks, for a sign
  mounted 70-120 in above the floor and read from 10 m (32.8 ft), 2 in +
  1/8 in per foot beyond 15 ft = 4.2 in = 107 mm.  The code is drawn at
  260 px (cap 118 mm), the counter at 150 px (cap 68 mm, which still meets
  the 1/200 rule of thumb of signage, 50 mm at 10 m);
* **previous calls**: the 1/200 rule at 10 m, cap >= 50 mm: 112 px (cap 51 mm);
  the counter's name in the visitor's language under the newest call:
  100 px (cap 45 mm, 9 m);
* **waiting counts, estimated waits, clock, the site's name, the ticker**:
  read from the waiting seats, 5-6 m: the 1/200 rule gives cap >= 25-30 mm:
  counts 72 px (cap 33 mm), clock 68 px, minutes, badge, site name and
  ticker 56 px (cap 25 mm); service names 46 px (cap 21 mm, 4 m) beside
  their prefix letter, which is what a visitor matches with the ticket.

Colours: white and a light blue-grey on a dark navy, the highlight is the
inverse (navy on amber).  ``contrast_ratio`` is WCAG 2.x's formula and the
tests check every pair the screen uses against AA (4.5:1 for normal text,
which we require even for the large text that would only need 3:1).
"""

from __future__ import annotations

import math

#: reference short side (px) the sizes below are written for
REFERENCE_PX = 1080
#: millimetres per reference pixel on a 55" 16:9 panel (short side 68.5 cm)
MM_PER_PX_55IN = 55 * 25.4 * 9 / math.hypot(16, 9) / REFERENCE_PX
#: cap height of Noto Sans as a fraction of the font size
CAP_HEIGHT_EM = 0.714

FONT_PX = {
    "code": 260,            # newest ticket code
    "counter": 150,         # newest call's counter ("Balcão 5")
    "visitor_counter": 100,  # the same counter in the visitor's language, when it differs
    "row": 112,             # previous calls (code and counter number)
    "count": 72,            # waiting tickets per service
    "minutes": 56,          # estimated wait
    "label": 46,            # service names, headings
    "badge": 56,            # "new call" badge over the newest call
    "site": 56,             # the site's name
    "clock": 68,
    "ticker": 56,
    "offline": 34,          # the discreet offline mark
}

#: reading distance (m) each text must serve by the 1/200 rule; tests check FONT_PX against it
READ_AT_M = {"code": 10, "counter": 10, "visitor_counter": 9, "row": 10, "count": 6, "minutes": 5,
             "label": 4, "badge": 5, "site": 5, "clock": 6, "ticker": 5, "offline": 3}

#: ADA 703.5.5's character height (mm) for a sign 70-120 in above the floor read from 10 m (32.8 ft)
ADA_CAP_MM_10M = (2 + (10 / 0.3048 - 15) / 8) * 25.4


def min_font_px(role: str) -> int:
    """The smallest reference size a text of ``role`` may be drawn at when it does not fit:
    the 1/200 rule at its reading distance (cap height = distance / 200), the code ADA's
    107 mm.  Text that still does not fit wraps or is abbreviated instead (typeset.fit)."""
    cap_mm = ADA_CAP_MM_10M if role == "code" else READ_AT_M[role] * 1000 / 200
    return math.ceil(cap_mm / (CAP_HEIGHT_EM * MM_PER_PX_55IN))


#: ``min_font_px`` of every role
MIN_FONT_PX = {role: min_font_px(role) for role in FONT_PX}

# Colours, as hex and as Kivy RGBA tuples.
NAVY = "#0B1F3A"        # background
PANEL = "#14335F"       # panels
WHITE = "#FFFFFF"       # main text
MUTED = "#C5D3E8"       # secondary text (headings, units)
AMBER = "#FFD23F"       # highlight background (text on it is NAVY)
TICKER_BG = "#06152A"
OFFLINE = "#FFB4A8"     # offline mark text and outline

#: (foreground, background) pairs drawn on screen
TEXT_PAIRS = {
    "text on background": (WHITE, NAVY),
    "text on panel": (WHITE, PANEL),
    "muted on background": (MUTED, NAVY),
    "muted on panel": (MUTED, PANEL),
    "highlighted call": (NAVY, AMBER),
    "ticker": (WHITE, TICKER_BG),
    "offline mark": (OFFLINE, NAVY),
    "prefix badge": (NAVY, MUTED),
}


def rgba(hex_colour: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    value = hex_colour.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255, alpha)


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b, _ = rgba(hex_colour)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio, 1 to 21."""
    a, b = relative_luminance(foreground), relative_luminance(background)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


def scale_for(width: int, height: int) -> float:
    """Pixels per reference pixel: the short side over 1080."""
    return min(width, height) / REFERENCE_PX


def cap_height_mm(font_px: float, diagonal_in: float = 55.0) -> float:
    """Cap height in mm of text drawn at ``font_px`` reference pixels on a panel of this diagonal."""
    return font_px * CAP_HEIGHT_EM * MM_PER_PX_55IN * diagonal_in / 55.0
