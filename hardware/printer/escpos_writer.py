"""A ``TicketLayout`` as ESC/POS bytes.

The bytes are made with python-escpos' ``Dummy`` printer (same profile as the
real one), then sent to the real connector in one write: making them is pure
and fast to test, and every connector gets exactly the same stream.

Text goes out as characters when the printer's code pages can print it
(Latin, Cyrillic: python-escpos' MagicEncode picks the code page and sends
``ESC t``); text they cannot shape (Arabic, Indic scripts:
``typeset.scripts.needs_image``), or a character no code page of the profile
has, is drawn with typeset/Pillow and sent as a raster image (``GS v 0``).
The QR code uses the printer's own command (``GS ( k``) when its profile has
one, else an image.
"""

from __future__ import annotations

import textwrap

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

from typeset.scripts import needs_image

from .images import printable, qr_image, text_image
from .layout import QRCode, Rule, Text, TicketLayout
from .media import STYLES, Media

NO_BREAK_SPACE = "\u00a0"


def ticket_bytes(layout: TicketLayout, media: Media) -> bytes:
    """The whole ticket, from printer reset to the cut."""
    printer = Dummy(profile=media.escpos_profile())
    printer.hw("INIT")
    printer.set(align="center")
    for block in layout.blocks:
        if isinstance(block, Text):
            _text(printer, block, media)
        elif isinstance(block, QRCode):
            _qr(printer, block.payload, media)
        elif isinstance(block, Rule):
            printer.set(custom_size=True, width=1, height=1, bold=False, font="a")
            printer.textln("-" * media.columns)
    printer.set(custom_size=True, width=1, height=1, bold=False, font="a", align="left")
    printer.cut()
    return printer.output


def printable_as_text(printer: Dummy, text: str) -> bool:
    """Whether the printer's own characters can print ``text`` correctly."""
    if needs_image(text):
        return False
    encoder = printer.magic.encoder
    return all(ord(char) < 128 or encoder.find_suitable_encoding(char) for char in text)


def _text(printer: Dummy, block: Text, media: Media) -> None:
    spec = STYLES[block.style]
    if not printable_as_text(printer, block.text.replace(NO_BREAK_SPACE, " ")):
        printer.image(printable(text_image(block, media.width_px), media.width_px), impl="bitImageRaster")
        return
    # one size command (GS !) for every size, so no ESC ! setting lingers
    printer.set(custom_size=True, width=spec.magnify, height=spec.magnify, bold=spec.bold, font=spec.font)
    # a no-break space ("90 days") keeps its words on one line, then goes out as a plain space
    for line in textwrap.wrap(block.text, media.columns_for(spec)) or [""]:
        printer.textln(line.replace(NO_BREAK_SPACE, " "))


def _qr(printer: Dummy, payload: str, media: Media) -> None:
    printer.set(custom_size=True, width=1, height=1, align="center")
    if media.native_qr:
        printer.qr(payload, ec=QR_ECLEVEL_M, size=media.qr_module_px, native=True)
        printer.ln()
    else:
        printer.image(printable(qr_image(payload, media.qr_module_px), media.width_px, margin_px=12),
                      impl="bitImageRaster")
