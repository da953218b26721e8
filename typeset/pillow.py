"""Draw text to a Pillow image: wrapped, bidi-ordered, every run shaped with its font.

The printer prints these images for lines its code pages cannot shape, and the
tests render tickets with them.  All runs of a line sit on one baseline; the
line height is the tallest ascent plus the deepest descent of the fonts used.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

from typeset.bidi_lines import LaidLine, lay_out, paragraph_rtl, pil_font, wrap
from typeset.scripts import split_runs

ALIGNS = ("start", "center", "end")


def render_text(text: str, size_px: int, max_width_px: int | None = None, bold: bool = False,
                align: str = "start", base_rtl: bool | None = None,
                fill=(0, 0, 0, 255), background=(255, 255, 255, 255),
                language: str | None = None) -> Image.Image:
    """An RGBA image of `text`.

    max_width_px wraps the text and makes the image exactly that wide; without
    it the image is as wide as the longest line.  align "start" is the left
    edge for left-to-right text and the right edge for right-to-left text
    (base_rtl None: from the first strong letter of the text).  background
    None gives a transparent image (for Kivy textures).  language (e.g. "ne")
    selects the language's letter forms where the font has them.
    """
    if align not in ALIGNS:
        raise ValueError(f"align must be one of {ALIGNS}, got {align!r}")
    if size_px <= 0:
        raise ValueError(f"text size must be positive, got {size_px}")
    fill = _rgba(fill)
    rtl = paragraph_rtl(text) if base_rtl is None else base_rtl
    lines = (wrap(text, max_width_px, size_px, bold, language, rtl) if max_width_px
             else text.split("\n"))
    ascent, descent = line_metrics(text, size_px, bold)
    laid_out = [lay_out(line, size_px, bold, rtl, language) for line in lines]
    width = int(max_width_px) if max_width_px else max(1, math.ceil(max(ln.width for ln in laid_out)))
    height = max(1, (ascent + descent) * len(lines))
    bg = (*fill[:3], 0) if background is None else _rgba(background)
    image = Image.new("RGBA", (width, height), bg)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(laid_out):
        x0 = _line_x(align, rtl, width, line)
        baseline = index * (ascent + descent) + ascent
        for run, offset in zip(line.runs, line.offsets):
            draw.text((x0 + offset, baseline), run.text, font=pil_font(run.font, size_px), fill=fill,
                      anchor="ls", direction="rtl" if run.rtl else "ltr", language=language)
    return image


def line_metrics(text: str, size_px: int, bold: bool = False) -> tuple[int, int]:
    """(ascent, descent) in pixels covering every font the text uses (NotoSans when empty)."""
    paths = {r.font for r in split_runs(text, bold)} or {split_runs("x", bold)[0].font}
    metrics = [pil_font(p, size_px).getmetrics() for p in paths]
    return max(a for a, _ in metrics), max(d for _, d in metrics)


def _line_x(align: str, rtl: bool, width: int, line: LaidLine) -> float:
    """Pen start of a line so its ink (not just its advance) sits at the aligned edge."""
    if align == "center":
        return (width - line.width) / 2 + line.overhang_left
    at_right = (align == "start") == rtl
    if at_right:
        return width - line.advance - line.overhang_right
    return line.overhang_left


def _rgba(colour) -> tuple[int, int, int, int]:
    colour = tuple(int(c) for c in colour)
    if len(colour) == 3:
        return (*colour, 255)
    if len(colour) != 4:
        raise ValueError(f"a colour is (r, g, b) or (r, g, b, a) in 0..255, got {colour!r}")
    return colour
