"""The test page: every code page a printer is configured with, beside what it should print.

    sudo systemctl stop onestop-kiosk        # the kiosk (or onestop-counter) holds the printer
    sudo onestop-provision test-print        # this device's printer entry: from the hub, else the bundle's copy
    sudo onestop-provision test-print --code-pages "CP850=2,CP866=17,CP1251=46"   # try numbers first
    sudo systemctl start onestop-kiosk

For each of the printer's code pages (``printer.code_pages`` in the site file): its name and
``ESC t`` number, then its characters 128-255 in eight rows of sixteen, each row twice: first
printed by the printer from its own table, then as a picture of what that page holds (drawn
here).  Where the two rows differ, the printer has another page at that number, or none: take
the number from the printer's own self-test page (most print one when switched on with FEED
held) or leave the page out.  Then words of the languages each page serves, as the tickets print
them; a line as characters and the same line as a picture, which should stand one above the
other (the picture is centred by the blank strip sent left of it: a printer that moves it shows
here); pictures of Arabic, Devanagari and Bengali (only where the Noto fonts are installed); and a
QR code (the printer's own, or a picture where its profile has none).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from PIL import Image, ImageDraw, ImageFont

from siteconf.schema import Printer

from . import codepages
from .escpos_writer import Writer
from .images import WHITE, placed, placed_lines
from .layout import Text
from .media import Media, media_for

#: a monospace font with Latin, Greek, Cyrillic and box drawing (Debian's fonts-dejavu-core, on every role)
REFERENCE_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
#: the printer's font A: 12 dots a character, 24 high
CELL = (12, 24)
#: words each language's tickets need, printed under every page that holds them
SAMPLES = {
    "pt": "Português: ação, pão, você, à, é",
    "es": "Español: ¿año? ¡señal! día",
    "fr": "Français: élève, garçon, où, île",
    "ru": "Русский: съешь ещё этих булок",
    "uk": "Українська: їжак, єдність, сім",
}
#: what only pictures can print, one line each (needs the Noto fonts)
PICTURE_SAMPLES = (Text("العربية: الإقامة والهجرة", "body", "ar"), Text("हिन्दी: निवास परमिट", "body", "hi"),
                   Text("বাংলা: বসবাসের অনুমতি", "body", "bn"))
QR_SAMPLE = "OSS1:test-print"


def printout(media: Media, heading: str = "") -> bytes:
    """The whole test page for a printer of ``media`` (its code pages, width, QR), ending in a cut."""
    writer = Writer(media)
    first = media.code_page_names[0]
    writer.select(first)
    writer.text("ONESTOP TEST PRINT", "title")
    if heading:
        writer.text(heading, "small")
    writer.text(f"{media.paper_mm} mm, {media.width_px} dots, profile {media.profile}", "small")
    writer.text("code pages: " + ", ".join(f"{name}={number}" for name, number in media.code_pages), "small")
    for name, number in media.code_pages:
        writer.rule()
        writer.align("center")
        writer.select(name)
        writer.text(f"{name}  (ESC t {number})", "title")
        writer.text("each row printed, then as it should look:", "small")
        writer.align("left")
        for row in range(8):
            characters = _row(name, row)
            writer.text(f"{8 + row:X}x {characters}", exact=True)
            writer.picture(_reference(f"{8 + row:X}x {characters}", media.width_px))
        writer.align("center")
        for sample in SAMPLES.values():
            if codepages.holds(name, codepages.fold(sample)):
                writer.text(sample)
    writer.rule()
    writer.select(first)
    writer.text("centred: characters, then a picture", "small")
    writer.text("| centre |")
    writer.picture(placed(_reference("| centre |", media.width_px), media.width_px))
    try:
        for block in PICTURE_SAMPLES:
            writer.picture(*placed_lines(block, media.width_px))
    except LookupError as exc:  # typeset.fonts.FontMissingError: no Noto fonts on this device
        writer.text(f"no pictures of text: {exc}", "small")
    writer.qr(QR_SAMPLE)
    writer.text(f"QR: {QR_SAMPLE}", "small")
    return writer.cut()


def _row(name: str, row: int) -> str:
    """Characters 128 + 16 * row ... of page ``name``, a space where it has none."""
    table = codepages.characters(name)[16 * row:16 * row + 16]
    return "".join(char if char.isprintable() and char != " " else " " for char in table)


def _reference(text: str, width_px: int) -> Image.Image:
    """``text`` drawn one character a font A cell from the left edge, as the printer's row above
    it should look."""
    image = Image.new("L", (width_px, CELL[1]), WHITE)
    font = ImageFont.truetype(REFERENCE_FONT, 20)
    draw = ImageDraw.Draw(image)
    for index, char in enumerate(text):
        draw.text((index * CELL[0] + CELL[0] / 2, CELL[1] - 5), char, font=font, fill=0, anchor="ms")
    return image


def parse_code_pages(text: str) -> dict[str, int]:
    """``"CP850=2,CP866=17"`` as ``{"CP850": 2, "CP866": 17}`` (checked like the site file's)."""
    pages = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, number = item.partition("=")
        if not number.strip().isdigit():
            raise ValueError(f"{item!r}: write NAME=NUMBER, e.g. CP850=2")
        pages[name.strip()] = int(number)
    return Printer(code_pages=pages).code_pages


def print_test_page(config: Printer | Mapping, *, code_pages: Mapping[str, int] | None = None,
                    to: str | Path | None = None, heading: str = "") -> str:
    """Print the test page on the printer of ``config`` (``code_pages`` instead of its own; ``to``: a
    file instead of the printer) and say what was printed; raises ``PrinterFault``."""
    from .ticket_printer import TicketPrinter

    data = dict(config if isinstance(config, Mapping) else config.model_dump())
    if code_pages is not None:
        data["code_pages"] = dict(code_pages)
    if to is not None:
        data.update(connector="file", path=str(to))
    printer = TicketPrinter(data)
    unknown = [name for name in printer.config.code_pages if not codepages.known(name)]
    with printer:
        result = printer.print_bytes(printout(printer.media, heading))
    pages = ", ".join(f"{name} (ESC t {number})" for name, number in printer.media.code_pages)
    lines = [f"printed {result.bytes_sent} bytes on {'file ' + str(to) if to else printer.config.connector}: {pages}",
             "compare each printed row with the picture under it: where they differ, the printer has "
             "another page at that number (its self-test page lists its own)"]
    if unknown:
        lines.append(f"left out, unknown to python-escpos: {', '.join(unknown)}")
    return "\n".join(lines)
