"""Split mixed-script text into runs, each drawable with one font.

A run is a stretch of text in one script (plus the spaces, digits and
punctuation around it) with the font file that has its glyphs.  Neutral
characters join the run before them when that run's font has them, else the
run after them, else a fallback font (NotoSans, then the Noto symbol fonts).
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from typeset import fonts

# (first, last, script) for letters; sorted by first.  Unicode's Script property
# for the blocks the kiosk and display can meet; see script_of for exceptions.
_RANGES: list[tuple[int, int, str]] = sorted([
    (0x0041, 0x005A, "latin"), (0x0061, 0x007A, "latin"), (0x00AA, 0x00AA, "latin"),
    (0x00BA, 0x00BA, "latin"), (0x00C0, 0x024F, "latin"), (0x0250, 0x02AF, "latin"),
    (0x1D00, 0x1D7F, "latin"), (0x1E00, 0x1EFF, "latin"), (0x2C60, 0x2C7F, "latin"),
    (0xA720, 0xA7FF, "latin"), (0xAB30, 0xAB6F, "latin"), (0xFB00, 0xFB06, "latin"),
    (0xFF21, 0xFF3A, "latin"), (0xFF41, 0xFF5A, "latin"),
    (0x0370, 0x03FF, "greek"), (0x1F00, 0x1FFF, "greek"),
    (0x0400, 0x052F, "cyrillic"), (0x1C80, 0x1C8F, "cyrillic"), (0x2DE0, 0x2DFF, "cyrillic"),
    (0xA640, 0xA69F, "cyrillic"),
    (0x0530, 0x058F, "armenian"), (0xFB13, 0xFB17, "armenian"),
    (0x0590, 0x05FF, "hebrew"), (0xFB1D, 0xFB4F, "hebrew"),
    (0x0600, 0x06FF, "arabic"), (0x0750, 0x077F, "arabic"), (0x0870, 0x08FF, "arabic"),
    (0xFB50, 0xFDFF, "arabic"), (0xFE70, 0xFEFF, "arabic"),
    (0x0700, 0x074F, "syriac"), (0x0780, 0x07BF, "thaana"),
    (0x0900, 0x097F, "devanagari"), (0xA8E0, 0xA8FF, "devanagari"),
    (0x0980, 0x09FF, "bengali"), (0x0A00, 0x0A7F, "gurmukhi"), (0x0A80, 0x0AFF, "gujarati"),
    (0x0B00, 0x0B7F, "oriya"), (0x0B80, 0x0BFF, "tamil"), (0x0C00, 0x0C7F, "telugu"),
    (0x0C80, 0x0CFF, "kannada"), (0x0D00, 0x0D7F, "malayalam"), (0x0D80, 0x0DFF, "sinhala"),
    (0x0E00, 0x0E7F, "thai"), (0x0E80, 0x0EFF, "lao"), (0x1000, 0x109F, "myanmar"),
    (0x10A0, 0x10FF, "georgian"), (0x1C90, 0x1CBF, "georgian"), (0x2D00, 0x2D2F, "georgian"),
    (0x1100, 0x11FF, "hangul"), (0xAC00, 0xD7AF, "hangul"), (0x3130, 0x318F, "hangul"),
    (0x1200, 0x139F, "ethiopic"), (0x2D80, 0x2DDF, "ethiopic"),
    (0x1780, 0x17FF, "khmer"), (0x1800, 0x18AF, "mongolian"), (0x2D30, 0x2D7F, "tifinagh"),
    (0x3040, 0x309F, "hiragana"), (0x30A0, 0x30FF, "katakana"),
    (0x3400, 0x4DBF, "han"), (0x4E00, 0x9FFF, "han"), (0xF900, 0xFAFF, "han"),
    (0x20000, 0x3134F, "han"),
])
_STARTS = [r[0] for r in _RANGES]

# Characters inside script blocks that Unicode gives the Common script: they are
# shared punctuation (Arabic comma and question mark, the Indic danda) or the
# Arabic tatweel, and should join whichever run surrounds them.
_COMMON_IN_BLOCKS = frozenset("\u060c\u061b\u061f\u0640\u06dd\u0964\u0965\u0589")

#: scripts written right to left
RTL_SCRIPTS = frozenset({"arabic", "hebrew", "syriac", "thaana"})

# zero-width joiners, variation selectors: they belong to the character before them
_JOINERS = frozenset("\u200c\u200d\ufe00\ufe01\ufe02\ufe03\ufe0e\ufe0f")


@dataclass(frozen=True)
class Run:
    """A stretch of text drawn with one font; `rtl` tells the shaper its direction."""

    text: str
    script: str
    rtl: bool
    font: str


class UnsupportedTextError(ValueError):
    """The text has a character that no installed font can draw."""


def script_of(char: str) -> str:
    """The script of one character: "latin", "arabic", ... or "common" / "inherited".

    "common" is anything of no particular script (spaces, ASCII digits,
    punctuation, symbols); "inherited" is a combining mark or joiner that takes
    the script of the letter it sits on.
    """
    if len(char) != 1:
        raise ValueError(f"script_of takes one character, got {char!r}")
    cp = ord(char)
    category = unicodedata.category(char)
    if char in _JOINERS or (category in ("Mn", "Me") and not 0x0900 <= cp <= 0x0DFF
                             and not 0x0590 <= cp <= 0x08FF):
        # generic combining marks (accents); Indic/Arabic marks keep their block's script
        return "inherited"
    if char in _COMMON_IN_BLOCKS:
        return "common"
    i = bisect_right(_STARTS, cp) - 1
    if i >= 0 and _RANGES[i][0] <= cp <= _RANGES[i][1]:
        script = _RANGES[i][2]
        # ASCII digits never fall in a range; native digits (٣, ३) keep their script
        return script
    if category[0] == "L":
        return "other"
    return "common"


def is_rtl_language(lang: str) -> bool:
    """Whether a language (BCP 47 "ar", "ar-EG", "pa-Arab" or POSIX "fa_IR") is written right to left."""
    if not lang or not isinstance(lang, str):
        raise ValueError(f"a language code is needed, got {lang!r}")
    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"unknown language code {lang!r}") from exc
    return locale.text_direction == "rtl"


def _is_strong(script: str) -> bool:
    return script not in ("common", "inherited")


def _strong_font(char: str, script: str, bold: bool) -> tuple[str, str]:
    """(script, font) for a letter; letters of scripts without a font use a covering fallback."""
    try:
        path = fonts.font_path(script, bold)
        if fonts.covers(path, char):
            return script, path
    except fonts.FontMissingError:
        if script in fonts.FAMILIES:
            raise
    for path in fonts.fallback_paths(bold):
        if fonts.covers(path, char):
            return "common", path
    hint = fonts.INSTALL_HINT if script in fonts.FAMILIES else f"typeset has no font for the {script} script"
    raise UnsupportedTextError(f"no installed font can draw {char!r} (U+{ord(char):04X}, {script} script): {hint}")


def split_runs(text: str, bold: bool = False) -> list[Run]:
    """Runs in logical (reading) order; concatenating their texts gives `text` back."""
    return list(_split_runs(text, bold))


@lru_cache(maxsize=4096)
def _split_runs(text: str, bold: bool) -> tuple[Run, ...]:
    n = len(text)
    scripts = [script_of(c) for c in text]
    assigned: list[tuple[str, str] | None] = [None] * n  # (script, font) per character
    for i, (c, s) in enumerate(zip(text, scripts)):
        if _is_strong(s):
            assigned[i] = _strong_font(c, s, bold)
    # marks and joiners take the character before them
    for i, s in enumerate(scripts):
        if s == "inherited" and i and assigned[i - 1] is not None:
            assigned[i] = assigned[i - 1]
    # neutrals: the run before, else the run after, else a fallback font
    i = 0
    while i < n:
        if assigned[i] is not None:
            i += 1
            continue
        j = i
        while j < n and assigned[j] is None:
            j += 1
        before = assigned[i - 1] if i else None
        after = assigned[j] if j < n else None
        for k in range(i, j):
            assigned[k] = _neutral_font(text[k], (before, after), bold)
        i = j
    runs: list[Run] = []
    start = 0
    for i in range(1, n + 1):
        if i == n or assigned[i] != assigned[start]:
            script, font = assigned[start]
            runs.append(Run(text[start:i], script, script in RTL_SCRIPTS, font))
            start = i
    return tuple(runs)


def _neutral_font(char: str, neighbours, bold: bool) -> tuple[str, str]:
    if char in "\n\r\t" or unicodedata.category(char) in ("Cc", "Cf"):
        # controls have no glyph; keep them with a neighbour so runs stay whole
        return next((nb for nb in neighbours if nb), ("common", fonts.fallback_paths(bold)[0]))
    for nb in neighbours:
        if nb and fonts.covers(nb[1], char):
            return nb
    for path in fonts.fallback_paths(bold):
        if fonts.covers(path, char):
            return "common", path
    i = bisect_right(_STARTS, ord(char)) - 1
    if char in _COMMON_IN_BLOCKS and i >= 0 and _RANGES[i][0] <= ord(char) <= _RANGES[i][1]:
        # shared punctuation alone (a word "1،" measured while wrapping): its own block's font has it
        return _RANGES[i][2], fonts.font_path(_RANGES[i][2], bold)
    raise UnsupportedTextError(
        f"no installed font can draw {char!r} (U+{ord(char):04X}); {fonts.INSTALL_HINT}")


# ESC/POS printers print these code pages (python-escpos switches between them per
# character).  Arabic/Hebrew code pages are left out: they hold letters but the
# printer cannot join or reorder them, so such text is printed as an image.
_CODE_PAGES = ("cp437", "cp850", "cp852", "cp858", "cp860", "cp866", "cp1250", "cp1251",
               "cp1252", "cp1253", "cp1257", "cp737", "iso8859_15")


@lru_cache(maxsize=2048)
def _code_page_char(char: str) -> bool:
    for codec in _CODE_PAGES:
        try:
            char.encode(codec)
            return True
        except UnicodeEncodeError:
            continue
    return False


def needs_image(text: str) -> bool:
    """True when an ESC/POS code page cannot print `text` (Arabic, Indic, other complex scripts, emoji)."""
    return not all(_code_page_char(c) for c in unicodedata.normalize("NFC", text))
