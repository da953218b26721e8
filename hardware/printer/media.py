"""The paper and the printer's abilities: width in dots, columns, native QR, code
pages, and how each layout style is printed (ESC/POS text settings) or drawn (pixel size).

Taken from the python-escpos capability profile where it knows them, else from
the configured paper width (80 mm roll: 576 dots, 58 mm: 384 dots at 203 dpi); the
code pages from the printer's entry in the site file (``printer.code_pages``), not
from the profile: compatible printers number them differently.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from escpos.capabilities import Profile, get_profile

from siteconf.schema import DEFAULT_CODE_PAGES

from . import codepages

log = logging.getLogger(__name__)

#: printable dots across the roll at 203 dpi, when the profile does not say
DOTS_FOR_PAPER = {80: 576, 58: 384}
#: font A is 12 dots wide
FONT_A_DOTS = 12


@dataclass(frozen=True)
class StyleSpec:
    #: pixel height when drawn as an image (and in the PNG rendering)
    size_px: int
    bold: bool
    #: ESC/POS character magnification (1 = normal, 2 = double, 4 = quadruple)
    magnify: int
    #: ESC/POS font: "a" (12x24 dots) or "b" (9x17 dots)
    font: str = "a"


STYLES: dict[str, StyleSpec] = {
    "title": StyleSpec(28, True, 1),
    "heading": StyleSpec(44, True, 2),
    "code": StyleSpec(96, True, 4),
    "body": StyleSpec(26, False, 1),
    "small": StyleSpec(22, False, 1, font="b"),
}


@dataclass(frozen=True)
class Media:
    profile: str
    paper_mm: int
    width_px: int
    #: characters per line in font A at normal size
    columns: int
    #: the printer draws QR codes itself (``GS ( k``); else they are sent as images
    native_qr: bool
    #: dots per QR module
    qr_module_px: int
    #: the printer's code pages and the ``ESC t`` number of each, in preference order
    code_pages: tuple[tuple[str, int], ...] = tuple(DEFAULT_CODE_PAGES.items())

    def escpos_profile(self) -> Profile:
        """The python-escpos profile with this paper's width and this printer's code pages filled in
        (it checks images against the width, complaining on stdout when a profile does not know it,
        and selects a code page by the number given here)."""
        return _sized_profile(self.profile, self.width_px, self.code_pages)

    @property
    def code_page_names(self) -> list[str]:
        return [name for name, _ in self.code_pages]

    def columns_for(self, spec: StyleSpec) -> int:
        columns = self.columns if spec.font == "a" else self.columns * 4 // 3
        return max(1, columns // spec.magnify)


def media_for(profile: str = "default", paper_mm: int = 80, code_pages: Mapping[str, int] | None = None) -> Media:
    """The media of a python-escpos profile name on ``paper_mm`` paper (KeyError: unknown profile) with
    the printer's ``code_pages`` (name: ``ESC t`` number; default: the site file's default).  A page
    python-escpos has no characters for is left out (logged); none left means the default."""
    data = get_profile(profile).profile_data
    width = data.get("media", {}).get("width", {}).get("pixels")
    paper_dots = DOTS_FOR_PAPER[paper_mm]
    if isinstance(width, int) and width > 0:
        width_px = min(width, paper_dots)
        columns = int(data["fonts"]["0"]["columns"]) * width_px // width
    else:
        width_px = paper_dots
        columns = width_px // FONT_A_DOTS
    native = bool(data.get("features", {}).get("qrCode"))
    return Media(profile, paper_mm, width_px, columns, native, 6 if width_px >= 512 else 5,
                 _usable(code_pages if code_pages is not None else DEFAULT_CODE_PAGES))


def _usable(pages: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    usable = tuple((codepages.canonical(name), int(number)) for name, number in pages.items()
                   if codepages.known(name))
    unknown = [name for name in pages if not codepages.known(name)]
    if unknown:
        log.warning("printer code pages python-escpos does not know, not used: %s", ", ".join(unknown))
    return usable or tuple(DEFAULT_CODE_PAGES.items())


@lru_cache(maxsize=None)
def _sized_profile(name: str, width_px: int, code_pages: tuple[tuple[str, int], ...]) -> Profile:
    data = copy.deepcopy(get_profile(name).profile_data)
    data.setdefault("media", {}).setdefault("width", {})["pixels"] = width_px
    data["codePages"] = {str(number): page for page, number in code_pages}
    sized = type(f"{type(get_profile(name)).__name__}{width_px}", (Profile,), {"profile_data": data})
    return sized(features=data.get("features", {}))
