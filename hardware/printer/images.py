"""Ticket parts as pictures: text lines (through the shared ``typeset`` module, so
Arabic and Indic scripts are shaped) and QR codes (segno).  The ESC/POS writer
prints them and the PNG renderer draws them, so both show the same thing.

Where a picture lands on the paper is decided here once (``placed``, ``placed_lines``):
its ink centred on the roll, each line of a text on its own.  The renderer draws it
there; the writer sends the blank strip left of the ink as part of the picture
(``print_strip``) and prints it left-justified, so it lands in the same place whether
or not a printer applies ``ESC a`` to raster images (Epson's do, many compatible
ones do not).
"""

from __future__ import annotations

import segno
from PIL import Image

from typeset.pillow import line_metrics, render_text

from .layout import Text
from .media import STYLES

WHITE, BLACK = 255, 0
#: blank dots between two parts of a ticket drawn as pictures (the renderer's and the printer's)
GAP_PX = 6
#: white modules around a QR code (its quiet zone; the paper around it adds more)
QR_BORDER = 2
#: grey values darker than this are printed as a dot
THRESHOLD = 160


def text_image(block: Text, width_px: int, align: str = "center") -> Image.Image:
    """``block`` drawn black on white, wrapped to and exactly ``width_px`` wide (mode "L")."""
    spec = STYLES[block.style]
    image = render_text(block.text, spec.size_px, max_width_px=width_px, bold=spec.bold, align=align,
                        base_rtl=block.rtl, language=block.language)
    return _on_white(image)


def qr_image(payload: str, module_px: int, border: int = QR_BORDER) -> Image.Image:
    """The QR code of ``payload`` (error correction M), ``module_px`` pixels a module (mode "L")."""
    code = segno.make(payload, error="m", micro=False, boost_error=False)
    rows = list(code.matrix_iter(scale=1, border=border))
    size = len(rows)
    image = Image.new("L", (size, size), WHITE)
    image.putdata([BLACK if dark else WHITE for row in rows for dark in row])
    return image.resize((size * module_px, size * module_px), Image.NEAREST)


def ink_box(image: Image.Image, threshold: int = THRESHOLD) -> tuple[int, int, int, int] | None:
    """The box (left, top, right, bottom) of the dots ``image`` prints, or None when it prints none."""
    return image.convert("L").point(lambda v: 255 if v < threshold else 0).getbbox()


def placed(image: Image.Image, width_px: int) -> Image.Image:
    """``image`` on a white strip exactly ``width_px`` wide, its ink centred (within half a dot; ink
    wider than the roll is cut on the right), its height unchanged."""
    grey = image.convert("L")
    strip = Image.new("L", (width_px, grey.height), WHITE)
    box = ink_box(grey)
    if box is not None:
        ink_width = min(box[2] - box[0], width_px)
        strip.paste(grey.crop((box[0], 0, box[0] + ink_width, grey.height)), ((width_px - ink_width) // 2, 0))
    return strip


def text_lines(block: Text, width_px: int) -> list[Image.Image]:
    """``block`` as typeset draws it (``text_image``), one picture per wrapped line, each as high as
    typeset's line (its ink never leaves it)."""
    image = text_image(block, width_px)
    spec = STYLES[block.style]
    ascent, descent = line_metrics(block.text, spec.size_px, spec.bold, block.language)
    count = max(1, image.height // (ascent + descent))
    return [image.crop((0, i * (ascent + descent), image.width, (i + 1) * (ascent + descent)))
            for i in range(count)]


def placed_lines(block: Text, width_px: int) -> list[Image.Image]:
    """``block``'s lines (``text_lines``), each the width of the roll with its ink centred on it: the
    printer gets them one by one."""
    return [placed(line, width_px) for line in text_lines(block, width_px)]


def placed_text(block: Text, width_px: int) -> Image.Image:
    """``block`` the width of the roll, each line's ink centred on it (``placed_lines`` one under
    the other): what the PNG renderer draws."""
    lines = placed_lines(block, width_px)
    image = Image.new("L", (width_px, sum(line.height for line in lines)), WHITE)
    y = 0
    for line in lines:
        image.paste(line, (0, y))
        y += line.height
    return image


def print_strip(image: Image.Image) -> Image.Image | None:
    """The dots of ``image`` (placed: as wide as the roll) as the printer gets them: mode "1", 0 = a
    dot, from the roll's left edge to the ink's right edge (the blank strip on the left puts the ink
    in its place; the printer leaves the rest of the row blank).  None when nothing would be printed."""
    grey = image.convert("L")
    box = ink_box(grey)
    if box is None:
        return None
    return grey.crop((0, 0, box[2], grey.height)).point(lambda v: 255 if v >= THRESHOLD else 0, mode="1")


def raster_pieces(strip: Image.Image) -> list[Image.Image | int]:
    """``strip`` (from ``print_strip``: one line of text, or a QR code) for sending: the height of
    the blank rows above its ink (to feed), its rows with ink (one picture, never cut inside: a line's
    dots and accents are measured and centred together), the blank rows below (to feed)."""
    _, top, _, bottom = strip.convert("L").point(lambda v: 255 - v).getbbox()
    return [top, strip.crop((0, top, strip.width, bottom)), strip.height - bottom]


def _on_white(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA"):
        base = Image.new("RGBA", image.size, (255, 255, 255, 255))
        base.alpha_composite(image.convert("RGBA"))
        image = base
    return image.convert("L")
