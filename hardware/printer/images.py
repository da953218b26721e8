"""Ticket parts as pictures: text lines (through the shared ``typeset`` module, so
Arabic and Indic scripts are shaped) and QR codes (segno).  The ESC/POS writer
prints them and the PNG renderer draws them, so both show the same thing.
"""

from __future__ import annotations

import segno
from PIL import Image

from typeset.pillow import render_text

from .layout import Text
from .media import STYLES

WHITE, BLACK = 255, 0


def text_image(block: Text, width_px: int, align: str = "center") -> Image.Image:
    """``block`` drawn black on white, wrapped to and exactly ``width_px`` wide (mode "L")."""
    spec = STYLES[block.style]
    image = render_text(block.text, spec.size_px, max_width_px=width_px, bold=spec.bold, align=align,
                        base_rtl=block.rtl, language=block.language)
    return _on_white(image)


def qr_image(payload: str, module_px: int, border: int = 2) -> Image.Image:
    """The QR code of ``payload`` (error correction M), ``module_px`` pixels a module (mode "L")."""
    code = segno.make(payload, error="m", micro=False, boost_error=False)
    rows = list(code.matrix_iter(scale=1, border=border))
    size = len(rows)
    image = Image.new("L", (size, size), WHITE)
    image.putdata([BLACK if dark else WHITE for row in rows for dark in row])
    return image.resize((size * module_px, size * module_px), Image.NEAREST)


def centred(image: Image.Image, width_px: int) -> Image.Image:
    """``image`` on a white strip exactly ``width_px`` wide (cropped if wider)."""
    if image.width == width_px:
        return image
    strip = Image.new("L", (width_px, image.height), WHITE)
    left = (width_px - image.width) // 2
    strip.paste(image if left >= 0 else image.crop((-left, 0, -left + width_px, image.height)), (max(left, 0), 0))
    return strip


def printable(image: Image.Image, width_px: int, threshold: int = 160, margin_px: int = 4) -> Image.Image:
    """``image`` as the printer gets it: one bit per dot (mode "1"), centred on a roll
    ``width_px`` dots wide, blank rows above and below trimmed to ``margin_px``.

    Only the blank strip left of the picture is sent: the printer leaves the rest of
    the row blank by itself, and every byte counts on a 9600-baud serial line.
    """
    grey = image.convert("L")
    ink = grey.point(lambda v: 255 if v < threshold else 0)
    box = ink.getbbox()
    if box is None:  # nothing to print: one blank row
        return Image.new("1", (8, 1), 1)
    left, top, right, bottom = box
    top, bottom = max(0, top - margin_px), min(grey.height, bottom + margin_px)
    content = grey.crop((left, top, right, bottom))
    offset = max(0, (width_px - content.width) // 2)
    strip = Image.new("L", (min(width_px, offset + content.width), content.height), WHITE)
    strip.paste(content, (offset, 0))
    return strip.point(lambda v: 255 if v >= threshold else 0, mode="1")


def _on_white(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA"):
        base = Image.new("RGBA", image.size, (255, 255, 255, 255))
        base.alpha_composite(image.convert("RGBA"))
        image = base
    return image.convert("L")
