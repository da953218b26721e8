"""Which font draws which script, and whether a font has a glyph.

The fonts are Debian's fonts-noto-core (one file per script, Regular and Bold).
Latin, Greek and Cyrillic share NotoSans; punctuation the script fonts lack is
drawn with NotoSans or the Noto symbol fonts.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

#: where fonts-noto-core puts its files; ONESTOP_FONT_DIR overrides it (tests, other distributions)
FONT_DIR = Path(os.environ.get("ONESTOP_FONT_DIR", "/usr/share/fonts/truetype/noto"))

#: script name (as returned by typeset.scripts.script_of) -> Noto family file stem
FAMILIES: dict[str, str] = {
    "latin": "NotoSans",
    "greek": "NotoSans",
    "cyrillic": "NotoSans",
    "common": "NotoSans",
    "armenian": "NotoSansArmenian",
    "hebrew": "NotoSansHebrew",
    "arabic": "NotoSansArabic",
    "syriac": "NotoSansSyriac",
    "thaana": "NotoSansThaana",
    "devanagari": "NotoSansDevanagari",
    "bengali": "NotoSansBengali",
    "gurmukhi": "NotoSansGurmukhi",
    "gujarati": "NotoSansGujarati",
    "oriya": "NotoSansOriya",
    "tamil": "NotoSansTamil",
    "telugu": "NotoSansTelugu",
    "kannada": "NotoSansKannada",
    "malayalam": "NotoSansMalayalam",
    "sinhala": "NotoSansSinhala",
    "thai": "NotoSansThai",
    "lao": "NotoSansLao",
    "myanmar": "NotoSansMyanmar",
    "georgian": "NotoSansGeorgian",
    "ethiopic": "NotoSansEthiopic",
    "khmer": "NotoSansKhmer",
    "mongolian": "NotoSansMongolian",
    "tifinagh": "NotoSansTifinagh",
}

#: fonts tried, in order, for characters of no particular script (punctuation, symbols)
FALLBACK_FAMILIES = ("NotoSans", "NotoSansSymbols2", "NotoSansSymbols", "NotoSansMath")

INSTALL_HINT = "install the Debian package fonts-noto-core (./onestop setup does)"


class FontMissingError(LookupError):
    """No installed font can draw this script or character."""


def _file(family: str, bold: bool) -> Path:
    return FONT_DIR / f"{family}-{'Bold' if bold else 'Regular'}.ttf"


@lru_cache(maxsize=None)
def family_path(family: str, bold: bool = False) -> str:
    """Path of a Noto family's file; Bold falls back to Regular for families without one."""
    for candidate in ((_file(family, True), _file(family, False)) if bold else (_file(family, False),)):
        if candidate.is_file():
            return str(candidate)
    raise FontMissingError(f"font {family} not found in {FONT_DIR}: {INSTALL_HINT}")


def font_path(script: str, bold: bool = False) -> str:
    """The font file that draws `script` (see typeset.scripts.script_of)."""
    family = FAMILIES.get(script)
    if family is None:
        raise FontMissingError(
            f"no font is configured for the {script!r} script (known: {', '.join(sorted(FAMILIES))})")
    return family_path(family, bold)


@lru_cache(maxsize=None)
def _cmap(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # only needed when a coverage question is asked

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def covers(path: str, char: str) -> bool:
    """Whether the font at `path` has a glyph for `char`."""
    return ord(char) in _cmap(path)


def fallback_paths(bold: bool = False) -> list[str]:
    """Installed fallback fonts for punctuation and symbols, most preferred first."""
    paths = []
    for family in FALLBACK_FAMILIES:
        try:
            paths.append(family_path(family, bold))
        except FontMissingError:
            if family == FALLBACK_FAMILIES[0]:
                raise
    return paths


def installed_families() -> dict[str, str]:
    """Script -> family for the scripts whose font is installed."""
    return {s: f for s, f in FAMILIES.items() if _file(f, False).is_file()}


def register_kivy_fonts() -> dict[str, str]:
    """Register every installed script font with Kivy under its family name.

    Kivy markup and kv files can then say ``[font=NotoSansArabic]`` or
    ``font_name: "NotoSansDevanagari"`` and [b] picks the Bold file.  Returns
    script -> registered name.  Imports Kivy, so only screens call it.
    """
    from kivy.core.text import LabelBase

    registered = {}
    for script, family in installed_families().items():
        LabelBase.register(name=family, fn_regular=family_path(family), fn_bold=family_path(family, True))
        registered[script] = family
    return registered
