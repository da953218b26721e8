"""Reading an ESC/POS byte stream back: commands, text, QR payloads, raster images.

A printer tells commands from data by their lengths (``GS v 0`` and
``GS ( k`` carry a byte count), so a reader must know them too: a naive
search for ``DLE EOT`` would also find it inside image data.  This reader
knows the commands python-escpos sends for a ticket.  The tests use it to
check what reached the printer (the code, the QR payload, the cut), the
pretend serial printer (``hardware.printer.mock``) uses it to answer status
queries as a real one would, and a technician can use it on a captured
``.bin`` file (``python -m hardware.printer.stream FILE [PROFILE]``: the
commands, then the cuts, pictures, QR payloads and text).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C

#: ESC commands with one parameter byte (ESC x n)
_ESC_ONE = set(b"!-EGMJadt{3rU V")
#: GS commands with one parameter byte (GS x n)
_GS_ONE = set(b"!BbHhwf|ra")


@dataclass(frozen=True)
class Command:
    """One command: ``name`` like ``"GS ( k"``, ``raw`` its bytes, ``data`` its payload."""

    name: str
    raw: bytes
    data: bytes = b""


@dataclass(frozen=True)
class TextRun:
    """Bytes to print as characters (in the code page selected before them)."""

    raw: bytes


class Incomplete(Exception):
    """The buffer ends inside a command; read more bytes first."""


def _need(buffer: bytes, end: int) -> None:
    if len(buffer) < end:
        raise Incomplete


def _length_prefixed(buffer: bytes, start: int, name: str) -> tuple[Command, int]:
    # GS ( k pL pH <p bytes>, GS ( L pL pH <p bytes>
    _need(buffer, start + 5)
    size = buffer[start + 3] | buffer[start + 4] << 8
    end = start + 5 + size
    _need(buffer, end)
    return Command(name, bytes(buffer[start:end]), bytes(buffer[start + 5:end])), end


def _one(buffer: bytes, start: int) -> tuple[Command | TextRun, int]:
    """The command or text run at ``start`` and where the next one begins."""
    first = buffer[start]
    if first == DLE:
        _need(buffer, start + 3)
        kind = buffer[start + 1]
        if kind in (0x04, 0x05):  # DLE EOT n, DLE ENQ n
            name = "DLE EOT" if kind == 0x04 else "DLE ENQ"
            return Command(name, bytes(buffer[start:start + 3]), bytes(buffer[start + 2:start + 3])), start + 3
        return TextRun(bytes(buffer[start:start + 1])), start + 1
    if first == ESC:
        _need(buffer, start + 2)
        op = buffer[start + 1]
        if op in (ord("@"), ord("2")):
            return Command(f"ESC {chr(op)}", bytes(buffer[start:start + 2])), start + 2
        if op in _ESC_ONE:
            _need(buffer, start + 3)
            return (Command(f"ESC {chr(op)}", bytes(buffer[start:start + 3]), bytes(buffer[start + 2:start + 3])),
                    start + 3)
        if op == ord("c"):  # ESC c 5 n, ESC c 3 n, ESC c 4 n
            _need(buffer, start + 4)
            return Command("ESC c", bytes(buffer[start:start + 4]), bytes(buffer[start + 2:start + 4])), start + 4
        if op == ord("p"):  # ESC p m t1 t2
            _need(buffer, start + 5)
            return Command("ESC p", bytes(buffer[start:start + 5])), start + 5
        if op == ord("*"):  # ESC * m nL nH <columns>
            _need(buffer, start + 5)
            mode, columns = buffer[start + 2], buffer[start + 3] | buffer[start + 4] << 8
            end = start + 5 + columns * (3 if mode >= 32 else 1)
            _need(buffer, end)
            return Command("ESC *", bytes(buffer[start:end]), bytes(buffer[start + 5:end])), end
        return Command(f"ESC ?{op:02x}", bytes(buffer[start:start + 2])), start + 2
    if first == GS:
        _need(buffer, start + 2)
        op = buffer[start + 1]
        if op == ord("(") :
            _need(buffer, start + 3)
            sub = chr(buffer[start + 2])
            return _length_prefixed(buffer, start, f"GS ( {sub}")
        if op == ord("v"):  # GS v 0 m xL xH yL yH <x*y bytes>
            _need(buffer, start + 8)
            width_bytes = buffer[start + 4] | buffer[start + 5] << 8
            height = buffer[start + 6] | buffer[start + 7] << 8
            end = start + 8 + width_bytes * height
            _need(buffer, end)
            return Command("GS v 0", bytes(buffer[start:end]), bytes(buffer[start + 4:end])), end
        if op == ord("V"):  # GS V m  |  GS V m n (m = 65, 66, 97..103)
            _need(buffer, start + 3)
            mode = buffer[start + 2]
            end = start + (4 if mode >= 65 else 3)
            _need(buffer, end)
            return Command("GS V", bytes(buffer[start:end]), bytes(buffer[start + 2:end])), end
        if op in _GS_ONE:
            _need(buffer, start + 3)
            return (Command(f"GS {chr(op)}", bytes(buffer[start:start + 3]), bytes(buffer[start + 2:start + 3])),
                    start + 3)
        if op in (ord("L"), ord("W")):
            _need(buffer, start + 4)
            return Command(f"GS {chr(op)}", bytes(buffer[start:start + 4]), bytes(buffer[start + 2:start + 4])), start + 4
        return Command(f"GS ?{op:02x}", bytes(buffer[start:start + 2])), start + 2
    end = start
    while end < len(buffer) and buffer[end] not in (ESC, GS, DLE):
        end += 1
    return TextRun(bytes(buffer[start:end])), end


def split(buffer: bytes) -> tuple[list[Command | TextRun], bytes]:
    """Every whole command and text run in ``buffer``, and the unfinished rest."""
    items: list[Command | TextRun] = []
    position = 0
    while position < len(buffer):
        try:
            item, position_after = _one(buffer, position)
        except Incomplete:
            break
        items.append(item)
        position = position_after
    return items, bytes(buffer[position:])


def parse(stream: bytes) -> list[Command | TextRun]:
    """A whole stream; raises ``ValueError`` when it ends inside a command."""
    items, rest = split(stream)
    if rest:
        raise ValueError(f"the stream ends inside a command: {rest[:16]!r}...")
    return items


def commands(stream: bytes, name: str | None = None) -> list[Command]:
    return [item for item in parse(stream) if isinstance(item, Command) and (name is None or item.name == name)]


def unknown_commands(stream: bytes) -> list[Command]:
    """Commands this reader does not know (a ticket should have none)."""
    return [c for c in commands(stream) if "?" in c.name]


def qr_payloads(stream: bytes) -> list[str]:
    """The data of every native QR code: ``GS ( k`` cn=49 fn=80 (store) commands."""
    out = []
    for command in commands(stream, "GS ( k"):
        cn, fn = command.data[0], command.data[1]
        if cn == 49 and fn == 80:  # data: cn fn m <payload>
            out.append(command.data[3:].decode("utf-8"))
    return out


def cut_count(stream: bytes) -> int:
    return len(commands(stream, "GS V"))


def decoded_text(stream: bytes, profile=None) -> str:
    """The printed characters, each run decoded with the code page selected by ``ESC t``.

    ``profile`` is a python-escpos profile (name or object); it maps ``ESC t n`` slots
    to code pages.
    """
    from escpos.capabilities import get_profile
    from escpos.codepages import CodePages

    slots = get_profile(profile).codePages
    encoding = None
    out: list[str] = []
    for item in parse(stream):
        if isinstance(item, Command) and item.name == "ESC t":
            encoding = slots.get(str(item.data[0])) or slots.get(item.data[0])
        elif isinstance(item, TextRun):
            out.append(_decode(item.raw, encoding, CodePages))
    return "".join(out)


def _decode(raw: bytes, encoding: str | None, codepages) -> str:
    if not encoding:
        return raw.decode("ascii", "replace")
    page = codepages.get_encoding(encoding)
    if "python_encode" in page:
        return raw.decode(page["python_encode"], "replace")
    table = "".join(page["data"])
    return "".join(chr(b) if b < 128 else table[b - 128] for b in raw)


def raster_images(stream: bytes):
    """Every ``GS v 0`` raster image as a black-on-white PIL image (``"1"`` mode)."""
    from PIL import Image

    images = []
    for command in commands(stream, "GS v 0"):
        width_bytes = command.data[0] | command.data[1] << 8
        height = command.data[2] | command.data[3] << 8
        bits = command.data[4:]
        image = Image.frombytes("1", (width_bytes * 8, height), bits)
        images.append(Image.eval(image.convert("L"), lambda v: 255 - v).convert("1"))
    return images


def main(argv: list[str] | None = None) -> int:
    """Print the commands of a captured stream, one a line, then what a person would find on
    the paper: the cuts, pictures and QR codes, the text, and any command this reader does not know."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        print("usage: python -m hardware.printer.stream CAPTURE.bin [PROFILE]", file=sys.stderr)
        return 2
    with open(args[0], "rb") as capture:
        data = capture.read()
    items, rest = split(data)
    for item in items:
        if isinstance(item, TextRun):
            print(f"text   {item.raw!r}")
        else:
            print(f"{item.name:<8} {len(item.raw)} bytes")
    if rest:
        print(f"(ends inside a command: {len(rest)} bytes)")
        data = data[:len(data) - len(rest)]
    # a raster without a dot only feeds the paper (the writer feeds blank bands that way)
    pictures = [image for image in raster_images(data) if image.convert("L").point(lambda v: 255 - v).getbbox()]
    print(f"\n{cut_count(data)} cut(s), {len(pictures)} picture(s)")
    for payload in qr_payloads(data):
        print(f"QR: {payload}")
    unknown = unknown_commands(data)
    if unknown:
        print("unknown commands: " + ", ".join(command.name for command in unknown))
    print("text (as the code pages print it):")
    print(decoded_text(data, args[1] if len(args) == 2 else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
