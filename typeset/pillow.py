"""Draw text to a Pillow image: wrapped, bidi-ordered, every run shaped with its font.

The printer prints these images for lines its code pages cannot shape, and the
tests render tickets with them.  All runs of a line sit on one baseline; see
line_metrics for the line height.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

from typeset import fonts
from typeset.bidi_lines import LaidLine, lay_out, pil_font, run_ink, wrap_lines
from typeset.scripts import split_runs

ALIGNS = ("start", "center", "end", "left", "right")


def render_text(text: str, size_px: int, max_width_px: int | None = None, bold: bool = False,
                align: str = "start", base_rtl: bool | None = None,
                fill=(0, 0, 0, 255), background=(255, 255, 255, 255),
                language: str | None = None) -> Image.Image:
    """An RGBA image of `text`.

    max_width_px wraps the text and makes the image exactly that wide; without
    it the image is as wide as the longest line.  align "start" is the left
    edge for left-to-right text and the right edge for right-to-left text,
    "end" the other one; "left" and "right" are the physical edges
    (base_rtl None: each paragraph from its first strong letter, see
    typeset.bidi_lines.paragraphs).  background
    None gives a transparent image (for Kivy textures).  language (e.g. "ne")
    selects the language's letter forms where the font has them.
    """
    if align not in ALIGNS:
        raise ValueError(f"align must be one of {ALIGNS}, got {align!r}")
    if size_px <= 0:
        raise ValueError(f"text size must be positive, got {size_px}")
    lines = wrap_lines(text, max_width_px or None, size_px, bold, language, base_rtl)
    return render_lines(lines, size_px, max_width_px, bold, align, fill, background, language, metrics_of=text)


def render_lines(lines, size_px: int, max_width_px: int | None = None, bold: bool = False, align: str = "start",
                 fill=(0, 0, 0, 255), background=(255, 255, 255, 255), language: str | None = None,
                 metrics_of: str | None = None) -> Image.Image:
    """An RGBA image of lines already broken, each ``(text, rtl)`` (``typeset.fit.fit_text`` makes them);
    as ``render_text`` otherwise.  ``metrics_of``: the text whose line height to use (default: the lines)."""
    if align not in ALIGNS:
        raise ValueError(f"align must be one of {ALIGNS}, got {align!r}")
    fill = _rgba(fill)
    lines = list(lines) or [("", False)]
    ascent, descent = line_metrics(metrics_of if metrics_of is not None else "\n".join(t for t, _ in lines),
                                   size_px, bold, language)
    laid_out = [lay_out(line, size_px, bold, rtl, language) for line, rtl in lines]
    width = int(max_width_px) if max_width_px else max(1, math.ceil(max(ln.width for ln in laid_out)))
    height = max(1, (ascent + descent) * len(lines))
    bg = (*fill[:3], 0) if background is None else _rgba(background)
    image = Image.new("RGBA", (width, height), bg)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(laid_out):
        x0 = _line_x(align, width, line)
        baseline = index * (ascent + descent) + ascent
        for run, offset in zip(line.runs, line.offsets):
            draw.text((x0 + offset, baseline), run.text, font=pil_font(run.font, size_px), fill=fill,
                      anchor="ls", direction="rtl" if run.rtl else "ltr", language=language)
    return image


def line_metrics(text: str, size_px: int, bold: bool = False, language: str | None = None) -> tuple[int, int]:
    """(ascent, descent) of every line of `text`, in pixels.

    At least NotoSans' own metrics (so all labels share a rhythm), more when the
    text's ink reaches higher or lower.  Not the script fonts' metrics: Noto
    Sans Arabic reserves 2.1 em for stacked vowel marks, which would space
    ordinary Arabic lines twice as far apart as Latin ones.
    """
    ascent, descent = pil_font(fonts.font_path("latin", bold), size_px).getmetrics()
    for paragraph in text.split("\n"):
        for run in split_runs(paragraph, bold):
            ink = run_ink(run, size_px, language)
            if ink:
                # one pixel more so antialiased edges are not shaved
                ascent, descent = max(ascent, math.ceil(-ink[1]) + 1), max(descent, math.ceil(ink[3]) + 1)
    return ascent, descent


def _line_x(align: str, width: int, line: LaidLine) -> float:
    """Pen start of a line so its ink (not just its advance) sits at the aligned edge."""
    if align == "center":
        return (width - line.width) / 2 + line.overhang_left
    if align in ("left", "right"):
        at_right = align == "right"
    else:
        at_right = (align == "start") == line.rtl
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
