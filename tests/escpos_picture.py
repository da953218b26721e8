"""What a printer puts on paper for an ESC/POS byte stream: a picture made from the bytes alone.

The tests' own reader, kept apart from the writer (``hardware/printer/escpos_writer.py``) and from
the layout's picture (``hardware/printer/render.py``): the stream is cut into commands by their
lengths (``hardware.printer.stream.split``) and played as a 203-dpi thermal printer plays them:

* text: the bytes of a line go into the line buffer, each in the code page ``ESC t`` selected
  (the printer's own numbering, given as ``{name: number}``), decoded with Python's codecs and
  drawn in a monospace font (DejaVu Sans Mono) in the ROM font's cells: font A 12x24 dots, font
  B 9x17, magnified by ``GS !`` (each dot doubled or quadrupled), bold by ``ESC E``; ``LF``
  prints the buffer, justified by the ``ESC a`` in force when the line began, and feeds the line
  spacing (30 dots) or the tallest character; a line wider than the paper wraps;
* raster images (``GS v 0``): at the left edge, or justified by ``ESC a`` when
  ``images_justified`` (Epson's printers do, many compatible ones do not: read both ways);
* QR codes: the payload of the store command (``GS ( k`` fn 80) drawn when the print command
  (fn 81) comes, at the module size (fn 67) and error correction (fn 69) last set, justified
  like text, without a quiet zone;
* ``ESC d n`` feeds n lines, ``ESC J n`` n dots; ``GS V`` is the cut (a dashed line);
  ``ESC @`` resets everything.

Anything a printer might do differently (an image wider than the paper, text waiting when an
image comes, a byte the selected page does not define, an ``ESC t`` number the printer does not
have, a command this reader does not know) is listed in ``Paper.problems``.  ``Paper.marks``
says what was put where, for tests to measure (an image's ink centred within one dot...).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import segno
from PIL import Image, ImageDraw, ImageFont

from hardware.printer import stream

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
#: ROM font cells (width, height) in dots: font A, font B
CELLS = {0: (12, 24), 1: (9, 17)}
#: the printer's default line spacing (ESC 2), in dots
LINE_SPACING = 30
WHITE, BLACK = 255, 0
QR_EC = {48: "l", 49: "m", 50: "q", 51: "h"}


@dataclass(frozen=True)
class Mark:
    """Something put on the paper: ``kind`` text, image, qr, cut or feed (a blank raster); ``box`` (left, top, right,
    bottom) on the paper; ``ink`` the box of its dots (None: blank); ``text`` a text line as
    decoded or a QR payload; ``pages`` the code pages its characters came from."""

    kind: str
    box: tuple[int, int, int, int]
    ink: tuple[int, int, int, int] | None = None
    text: str = ""
    pages: tuple[str, ...] = ()
    magnify: tuple[int, int] = (1, 1)


@dataclass
class Paper:
    image: Image.Image
    marks: list[Mark]
    problems: list[str]
    width_px: int
    #: every ``ESC t`` in order: the page it selected (None: a number the printer has not) and
    #: whether text was waiting in the line buffer (a switch inside a line)
    selections: list[tuple[str | None, bool]] = field(default_factory=list)

    def of(self, kind: str) -> list[Mark]:
        return [mark for mark in self.marks if mark.kind == kind]

    def text(self) -> str:
        """Every printed text line, one a line."""
        return "\n".join(mark.text for mark in self.of("text"))

    def off_centre(self, mark: Mark) -> float:
        """How far ``mark``'s ink is from the paper's centre line, in dots (+ right)."""
        left, _, right, _ = mark.ink
        return (left + right) / 2 - self.width_px / 2

    def box_off_centre(self, mark: Mark) -> float:
        """How far ``mark``'s cells (a text line's characters, blank ones too) are from the centre line."""
        left, _, right, _ = mark.box
        return (left + right) / 2 - self.width_px / 2


@dataclass
class _Char:
    char: str
    page: str | None
    font: int
    magnify: tuple[int, int]
    bold: bool


@dataclass
class _State:
    align: int = 0
    font: int = 0
    bold: bool = False
    magnify: tuple[int, int] = (1, 1)
    page: str | None = None
    qr_module: int = 3
    qr_ec: str = "l"
    qr_payload: bytes | None = None
    line: list[_Char] = field(default_factory=list)
    line_align: int = 0


def read(data: bytes, width_px: int, code_pages: Mapping[str, int], *, images_justified: bool = True) -> Paper:
    """The paper ``data`` prints on a roll ``width_px`` dots wide (576: 80 mm, 384: 58 mm) by a
    printer whose ``ESC t`` numbers select ``code_pages`` ({"CP850": 2, ...})."""
    return _Reader(width_px, code_pages, images_justified).play(data)


class _Reader:
    def __init__(self, width_px: int, code_pages: Mapping[str, int], images_justified: bool):
        self.width = width_px
        self.slots = {number: name for name, number in code_pages.items()}
        self.images_justified = images_justified
        self.state = _State()
        self.y = 0
        self.items: list[tuple[int, Image.Image]] = []  # (x, picture) drawn at self.y, in order
        self.placed: list[tuple[int, int, Image.Image]] = []
        self.marks: list[Mark] = []
        self.problems: list[str] = []
        self.selections: list[tuple[str | None, bool]] = []

    # ------------------------------------------------------------------ the stream
    def play(self, data: bytes) -> Paper:
        items, rest = stream.split(data)
        if rest:
            self.problems.append(f"the stream ends inside a command ({len(rest)} bytes)")
        for item in items:
            if isinstance(item, stream.TextRun):
                self._text(item.raw)
            else:
                self._command(item)
        if self.state.line:
            self.problems.append("text left in the buffer at the end (never printed)")
        return self._paper()

    def _command(self, command: stream.Command) -> None:
        state, name, data = self.state, command.name, command.data
        if name == "ESC @":
            self.state = _State()
        elif name == "ESC a":
            state.align = {0: 0, 1: 1, 2: 2, 48: 0, 49: 1, 50: 2}.get(data[0], 0)
        elif name == "ESC E":
            state.bold = bool(data[0] & 1)
        elif name == "ESC M":
            state.font = {0: 0, 1: 1, 48: 0, 49: 1}.get(data[0], 0)
        elif name == "ESC !":
            state.font = data[0] & 1
            state.bold = bool(data[0] & 8)
            state.magnify = (2 if data[0] & 32 else 1, 2 if data[0] & 16 else 1)
        elif name == "GS !":
            state.magnify = ((data[0] >> 4) + 1, (data[0] & 15) + 1)
        elif name == "ESC t":
            state.page = self.slots.get(data[0])
            self.selections.append((state.page, bool(state.line)))
            if state.page is None:
                self.problems.append(f"ESC t {data[0]}: this printer has no code page {data[0]}")
        elif name == "ESC d":
            self._print_line(feed_lines=data[0])
        elif name == "ESC J":
            self._print_line(feed_lines=0)
            self.y += data[0]
        elif name == "GS v 0":
            self._raster(data)
        elif name == "GS ( k":
            self._qr(data)
        elif name == "GS V":
            self._print_line(feed_lines=0)
            self.marks.append(Mark("cut", (0, self.y, self.width, self.y)))
            self.y += 12
        elif name in ("DLE EOT", "DLE ENQ"):
            pass  # real-time status queries print nothing
        else:
            self.problems.append(f"{name}: a command this reader does not know")

    def _text(self, raw: bytes) -> None:
        state = self.state
        for byte in raw:
            if byte == 0x0A:
                self._print_line(feed_lines=1)
                continue
            if byte == 0x0D:
                continue
            if byte < 0x20:
                self.problems.append(f"control byte {byte:#04x} in text")
                continue
            char = chr(byte) if byte < 0x80 else self._decode(byte)
            if not state.line:
                state.line_align = state.align
            cell = CELLS[state.font]
            if (self._line_width() + cell[0] * state.magnify[0]) > self.width:
                self.problems.append("a text line wider than the paper (the printer wraps it)")
                self._print_line(feed_lines=1)
                state.line_align = state.align
            state.line.append(_Char(char, state.page if byte >= 0x80 else None, state.font, state.magnify,
                                    state.bold))

    def _decode(self, byte: int) -> str:
        page = self.state.page
        if page is None:
            self.problems.append(f"byte {byte:#04x} with no code page selected")
            return "?"
        char = _page_char(page, byte)
        if char is None:
            self.problems.append(f"byte {byte:#04x} is not a character of {page}")
            return "?"
        return char

    # ------------------------------------------------------------------ printing
    def _line_width(self) -> int:
        return sum(CELLS[c.font][0] * c.magnify[0] for c in self.state.line)

    def _print_line(self, feed_lines: int) -> None:
        """Print the line buffer (if any) and feed ``feed_lines`` lines: the first is the printed
        line's own height (the line spacing or its tallest character)."""
        state = self.state
        if state.line:
            picture = _draw_line(state.line)
            x = _justified(state.line_align, picture.width, self.width)
            self._place(x, picture)
            pages = tuple(dict.fromkeys(c.page for c in state.line if c.page))
            text = "".join(c.char for c in state.line)
            self.marks.append(Mark("text", (x, self.y, x + picture.width, self.y + picture.height),
                                   _shifted(_ink(picture), x, self.y), text, pages, state.line[0].magnify))
            height = max(LINE_SPACING, picture.height)
            state.line = []
            self.y += height
            feed_lines -= 1
        self.y += LINE_SPACING * max(0, feed_lines)

    def _raster(self, data: bytes) -> None:
        if self.state.line:
            self.problems.append("a raster image while text waits in the line buffer")
            self._print_line(feed_lines=1)
        width_bytes, height = data[0] | data[1] << 8, data[2] | data[3] << 8
        bits = Image.frombytes("1", (width_bytes * 8, height), bytes(data[4:]))
        picture = bits.convert("L").point(lambda v: 255 - v)  # a set bit is a dot
        if picture.width > self.width:
            self.problems.append(f"a raster image {picture.width} dots wide on {self.width}-dot paper")
        x = _justified(self.state.align, picture.width, self.width) if self.images_justified else 0
        self._place(x, picture)
        ink = _shifted(_ink(picture), x, self.y)
        # a raster with no dots only feeds the paper
        self.marks.append(Mark("image" if ink else "feed", (x, self.y, x + picture.width, self.y + height), ink))
        self.y += height

    def _qr(self, data: bytes) -> None:
        if len(data) < 2 or data[0] != 49:
            self.problems.append(f"GS ( k {data[:2].hex(' ')}: not a QR code command")
            return
        fn = data[1]
        if fn in (65, 67, 69) and len(data) < 3:
            self.problems.append(f"GS ( k fn={fn} without its parameter")
            return
        if fn == 67:
            self.state.qr_module = data[2]
        elif fn == 69:
            self.state.qr_ec = QR_EC.get(data[2], "l")
        elif fn == 80:
            self.state.qr_payload = bytes(data[3:])
        elif fn == 81:
            if self.state.qr_payload is None:
                self.problems.append("QR print command with nothing stored")
                return
            payload = self.state.qr_payload.decode("utf-8", "replace")
            code = segno.make(payload, error=self.state.qr_ec, micro=False, boost_error=False)
            picture = _qr_picture(code, self.state.qr_module)
            x = _justified(self.state.align, picture.width, self.width)
            self._place(x, picture)
            self.marks.append(Mark("qr", (x, self.y, x + picture.width, self.y + picture.height),
                                   _shifted(_ink(picture), x, self.y), payload))
            self.y += picture.height

    def _place(self, x: int, picture: Image.Image) -> None:
        self.placed.append((x, self.y, picture))

    def _paper(self) -> Paper:
        paper = Image.new("L", (self.width, max(self.y, 1)), WHITE)
        for x, y, picture in self.placed:
            paper.paste(Image.new("L", picture.size, BLACK), (x, y), picture.point(lambda v: 255 - v))
        draw = ImageDraw.Draw(paper)
        for mark in self.of_kind("cut"):
            for x in range(0, self.width, 16):
                draw.line([(x, mark.box[1] + 6), (x + 8, mark.box[1] + 6)], fill=96, width=2)
        return Paper(paper, self.marks, self.problems, self.width, self.selections)

    def of_kind(self, kind: str) -> list[Mark]:
        return [mark for mark in self.marks if mark.kind == kind]


def _qr_picture(code: segno.QRCode, module: int) -> Image.Image:
    rows = list(code.matrix_iter(scale=1, border=0))
    picture = Image.new("L", (len(rows), len(rows)), WHITE)
    picture.putdata([BLACK if dark else WHITE for row in rows for dark in row])
    return picture.resize((picture.width * module, picture.height * module), Image.NEAREST)


def _justified(align: int, width: int, paper: int) -> int:
    if align == 1:
        return max(0, (paper - width) // 2)
    if align == 2:
        return max(0, paper - width)
    return 0


def _ink(picture: Image.Image) -> tuple[int, int, int, int] | None:
    """The box of the dots of ``picture`` (black on white)."""
    return picture.point(lambda v: 255 if v < 128 else 0).getbbox()


def _shifted(box, x: int, y: int):
    return None if box is None else (box[0] + x, box[1] + y, box[2] + x, box[3] + y)


@lru_cache(maxsize=None)
def _page_char(page: str, byte: int) -> str | None:
    """Byte ``byte`` (128-255) of code page ``page`` by Python's own codecs (python-escpos' table
    when Python has no codec of that name)."""
    try:
        char = bytes([byte]).decode(codecs.lookup(page.replace("_", "-").lower()).name)
    except (LookupError, UnicodeDecodeError):
        from escpos.codepages import CodePages

        try:
            entry = CodePages.get_encoding(page)
        except KeyError:
            return None
        if "data" not in entry:
            return None
        char = "".join(entry["data"])[byte - 128]
    return char if char.isprintable() and char != " " or char == "\u00a0" else None


@lru_cache(maxsize=None)
def _font(font: int, bold: bool) -> ImageFont.FreeTypeFont:
    name = "DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf"
    # sized so that a character's advance fills the cell's width (DejaVu Sans Mono: 0.602 em)
    return ImageFont.truetype(str(FONT_DIR / name), round(CELLS[font][0] / 0.602))


@lru_cache(maxsize=4096)
def _glyph(char: str, font: int, bold: bool) -> Image.Image:
    """One character in its ROM-font cell, black on white, as the print head's dots."""
    cell = Image.new("L", CELLS[font], WHITE)
    face = _font(font, bold)
    ascent, descent = face.getmetrics()
    top = (CELLS[font][1] - (ascent + descent)) // 2
    ImageDraw.Draw(cell).text((0, top), char, font=face, fill=BLACK)
    return cell.point(lambda v: 0 if v < 128 else 255)


def _draw_line(chars: list[_Char]) -> Image.Image:
    height = max(CELLS[c.font][1] * c.magnify[1] for c in chars)
    width = sum(CELLS[c.font][0] * c.magnify[0] for c in chars)
    line = Image.new("L", (width, height), WHITE)
    x = 0
    for c in chars:
        cell = _glyph(c.char, c.font, c.bold)
        if c.magnify != (1, 1):
            cell = cell.resize((cell.width * c.magnify[0], cell.height * c.magnify[1]), Image.NEAREST)
        line.paste(cell, (x, height - cell.height))  # characters stand on one baseline
        x += cell.width
    return line


# ---------------------------------------------------------------------- the contact sheet
CAPTION_PX = 30
GAP_PX = 12
SHEET_GREY = (200, 200, 200)


def side_by_side(meant: Image.Image, paper: Paper, caption: str) -> Image.Image:
    """The layout's picture (left) and what the bytes print (right, on white paper framed in
    blue), level at the top, under ``caption``: a difference between the two shows."""
    printed = paper.image.convert("RGB")
    meant = meant.convert("RGB")
    width = meant.width + printed.width + 3 * GAP_PX
    out = Image.new("RGB", (width, CAPTION_PX + max(meant.height, printed.height + 4) + GAP_PX), SHEET_GREY)
    out.paste(meant, (GAP_PX, CAPTION_PX))
    x = 2 * GAP_PX + meant.width
    ImageDraw.Draw(out).rectangle([x - 2, CAPTION_PX - 2, x + printed.width + 1, CAPTION_PX + printed.height + 1],
                                  outline=(40, 90, 200), width=2)
    out.paste(printed, (x, CAPTION_PX))
    ImageDraw.Draw(out).text((GAP_PX, 4), caption, fill=(20, 20, 20), font=_caption_font())
    return out


def contact_sheet(pairs: list[Image.Image], out: Path, *, per_row: int, scale: float) -> Path:
    """``pairs`` (from ``side_by_side``) in rows of ``per_row``, each scaled by ``scale`` (all alike,
    so a 58 mm ticket looks narrower than an 80 mm one), saved as a PNG at ``out``."""
    small = [p.resize((round(p.width * scale), round(p.height * scale)), Image.LANCZOS) for p in pairs]
    rows = [small[i:i + per_row] for i in range(0, len(small), per_row)]
    width = max(sum(p.width for p in row) for row in rows)
    sheet = Image.new("RGB", (width, sum(max(p.height for p in row) for row in rows)), SHEET_GREY)
    y = 0
    for row in rows:
        x = 0
        for picture in row:
            sheet.paste(picture, (x, y))
            x += picture.width
        y += max(p.height for p in row)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    return out


@lru_cache(maxsize=None)
def _caption_font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), 20)
