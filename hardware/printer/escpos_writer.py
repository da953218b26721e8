"""A ``TicketLayout`` as ESC/POS bytes.

The bytes are made with python-escpos' ``Dummy`` printer (same profile as the
real one), then sent to the real connector in one write: making them is pure
and fast to test, and every connector gets exactly the same stream.

Text goes out as characters in the printer's own code pages (the site file's
``printer.code_pages``): ``codepages.plan`` picks the fewest pages for the
ticket, one when a page holds all its languages, and the page is selected
(``ESC t``) only between lines.  Text no configured page holds, and text code
pages cannot shape (Arabic, Indic scripts: ``typeset.scripts.needs_image``), is
drawn with typeset/Pillow and sent as a raster image (``GS v 0``).  The QR code
uses the printer's own command (``GS ( k``) when its profile has one, else an
image.

Images are centred by their blank left strip, which is sent, and printed
left-justified (``ESC a 0``): centred once, in the same place on printers that
apply ``ESC a`` to raster images (Epson) and on those that do not.  A text
picture goes out a line at a time, each line's rows with ink as one raster;
the blank rows around them are fed as narrow blank rasters.
"""

from __future__ import annotations

import textwrap

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image

from typeset.scripts import needs_image

from . import codepages
from .images import GAP_PX, QR_BORDER, placed, placed_lines, print_strip, qr_image, raster_pieces
from .layout import QRCode, Rule, Text, TicketLayout
from .media import STYLES, Media

NO_BREAK_SPACE = "\u00a0"


def ticket_bytes(layout: TicketLayout, media: Media) -> bytes:
    """The whole ticket, from printer reset to the cut."""
    writer = Writer(media)
    plan = code_page_plan(layout, media)
    writer.select(plan.first)  # the ticket's page, selected once at the start
    for block in layout.blocks:
        if isinstance(block, Text):
            page = None if needs_image(block.text) else plan.page(_line(block.text))
            if page is None:
                writer.picture(*placed_lines(block, media.width_px))
                continue
            if page:
                writer.select(page)  # sends ESC t only when the page changes
            writer.text(block.text, block.style)
        elif isinstance(block, QRCode):
            writer.qr(block.payload)
        elif isinstance(block, Rule):
            writer.rule()
    return writer.cut()


def code_page_plan(layout: TicketLayout, media: Media) -> codepages.Plan:
    """Which of the printer's code pages prints each text line of ``layout`` (None: a picture)."""
    return codepages.plan([_line(block.text) for block in layout.blocks
                           if isinstance(block, Text) and not needs_image(block.text)], media.code_page_names)


def _line(text: str) -> str:
    """A text as the printer's characters print it: a no-break space as a space, ’ as '..."""
    return codepages.fold(text.replace(NO_BREAK_SPACE, " "))


class Writer:
    """ESC/POS for one printer (``media``), made on a python-escpos ``Dummy``: text in the selected
    code page, pictures, QR codes, rules, then the cut (``cut`` returns the bytes).  Centred unless
    ``align`` says otherwise."""

    def __init__(self, media: Media):
        self.media = media
        self.printer = Dummy(profile=media.escpos_profile())
        #: blank dots still to feed before whatever comes next
        self.feed = 0
        #: the justification of text lines (pictures are always sent left-justified)
        self._align = "center"
        self.printer.hw("INIT")
        self.printer.set(align="center")

    def select(self, page: str) -> None:
        """Print the next characters from code page ``page`` (one of the media's)."""
        self.printer.charcode(page)

    def align(self, where: str) -> None:
        """"left" or "center" for the next text lines (pictures are placed by their own strip)."""
        self._flush_feed()
        self.printer.set(align=where)
        self._align = where

    def text(self, text: str, style: str = "body", *, exact: bool = False) -> None:
        """``text`` wrapped to the paper's columns in ``style``, in the selected code page (every
        character must be in it, after ``codepages.fold``); ``exact``: one line as it is."""
        self._flush_feed()
        spec = STYLES[style]
        # one size command (GS !) for every size, so no ESC ! setting lingers
        self.printer.set(custom_size=True, width=spec.magnify, height=spec.magnify, bold=spec.bold, font=spec.font)
        if exact:
            self.printer.textln(text)
            return
        # a no-break space ("90 days") keeps its words on one line, then goes out as a plain space
        for line in textwrap.wrap(codepages.fold(text), self.media.columns_for(spec)) or [""]:
            self.printer.textln(line.replace(NO_BREAK_SPACE, " "))

    def rule(self) -> None:
        self._flush_feed()
        self.printer.set(custom_size=True, width=1, height=1, bold=False, font="a")
        self.printer.textln("-" * self.media.columns)

    def qr(self, payload: str) -> None:
        media = self.media
        if media.native_qr:
            # the quiet zone above it, as the picture of a QR code has (the line after it gives the one below)
            self.feed = max(self.feed, QR_BORDER * media.qr_module_px)
            self._flush_feed()
            self.printer.set(custom_size=True, width=1, height=1)
            self.printer.qr(payload, ec=QR_ECLEVEL_M, size=media.qr_module_px, native=True)
            self.printer.ln()
        else:
            self.picture(placed(qr_image(payload, media.qr_module_px), media.width_px))

    def picture(self, *lines: Image.Image) -> None:
        """``lines`` (each as wide as the roll: ``images.placed``, ``placed_lines``) one under the
        other, each where it stands in its strip: left-justified so the printer does not move it,
        sent from the roll's left edge to its ink's right edge, its blank rows above and below fed;
        then the gap the PNG renderer leaves after a part."""
        self.printer.set(align="left")
        for line in lines:
            strip = print_strip(line)
            if strip is None:
                self.feed += line.height
                continue
            for piece in raster_pieces(strip):
                if isinstance(piece, int):
                    self.feed += piece
                else:
                    self._flush_feed()
                    self.printer.image(piece, impl="bitImageRaster")
        self.printer.set(align=self._align)
        self.feed += GAP_PX

    def cut(self) -> bytes:
        """The cut after everything so far; the whole stream."""
        self._flush_feed()
        self.printer.set(custom_size=True, width=1, height=1, bold=False, font="a", align="left")
        self.printer.cut()
        return self.printer.output

    def _flush_feed(self) -> None:
        """Feed the blank dots owed, as a blank raster one byte wide (exact on every printer, unlike
        ``ESC J``, whose unit differs between models)."""
        if self.feed:
            self.printer.image(Image.new("1", (8, self.feed), 1), impl="bitImageRaster")
            self.feed = 0
