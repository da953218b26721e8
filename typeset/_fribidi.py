"""GNU FriBidi through ctypes: per-character embedding levels (UAX #9).

FriBidi is the bidi engine raqm (and so Pillow's text layout) already loads,
so the levels we order runs by are the ones the shaper uses inside a run.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

# FriBidiParType values (fribidi-bidi-types.h): strong LTR/RTL, or "other neutral" = auto
PAR_LTR = 0x110
PAR_RTL = 0x111
PAR_ON = 0x40


@lru_cache(maxsize=1)
def _lib() -> ctypes.CDLL:
    name = ctypes.util.find_library("fribidi") or "libfribidi.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:  # pragma: no cover - depends on the machine
        raise RuntimeError(
            "GNU FriBidi (libfribidi0) is missing; it is needed for right-to-left text. "
            "Install it with: apt-get install libfribidi0 (./onestop setup does)") from exc
    u32p = ctypes.POINTER(ctypes.c_uint32)
    lib.fribidi_get_bidi_types.argtypes = [u32p, ctypes.c_int, u32p]
    lib.fribidi_get_bidi_types.restype = None
    lib.fribidi_get_bracket_types.argtypes = [u32p, ctypes.c_int, u32p, u32p]
    lib.fribidi_get_bracket_types.restype = None
    lib.fribidi_get_par_direction.argtypes = [u32p, ctypes.c_int]
    lib.fribidi_get_par_direction.restype = ctypes.c_uint32
    lib.fribidi_get_par_embedding_levels_ex.argtypes = [
        u32p, u32p, ctypes.c_int, u32p, ctypes.POINTER(ctypes.c_int8)]
    lib.fribidi_get_par_embedding_levels_ex.restype = ctypes.c_int8
    lib.fribidi_get_mirror_char.argtypes = [ctypes.c_uint32, u32p]
    lib.fribidi_get_mirror_char.restype = ctypes.c_int
    return lib


def _types(text: str):
    n = len(text)
    chars = (ctypes.c_uint32 * n)(*map(ord, text))
    types = (ctypes.c_uint32 * n)()
    _lib().fribidi_get_bidi_types(chars, n, types)
    return chars, types


def paragraph_rtl(text: str) -> bool | None:
    """True/False from the first strong character, None when there is none."""
    if not text:
        return None
    _, types = _types(text)
    par = _lib().fribidi_get_par_direction(types, len(text))
    if par == PAR_RTL:
        return True
    if par == PAR_LTR:
        return False
    return None


def embedding_levels(text: str, base_rtl: bool | None = None) -> tuple[list[int], bool]:
    """Resolved level of every character and whether the paragraph is RTL."""
    n = len(text)
    if n == 0:
        return [], bool(base_rtl)
    lib = _lib()
    chars, types = _types(text)
    brackets = (ctypes.c_uint32 * n)()
    lib.fribidi_get_bracket_types(chars, n, types, brackets)
    par = ctypes.c_uint32({True: PAR_RTL, False: PAR_LTR, None: PAR_ON}[base_rtl])
    levels = (ctypes.c_int8 * n)()
    if lib.fribidi_get_par_embedding_levels_ex(types, brackets, n, ctypes.byref(par), levels) == 0:
        raise RuntimeError(f"FriBidi could not resolve the levels of {text!r}")
    return list(levels), par.value == PAR_RTL


def mirrored(char: str) -> str:
    """The mirror image of a bracket-like character ("(" -> ")"), else the character."""
    out = ctypes.c_uint32()
    if _lib().fribidi_get_mirror_char(ord(char), ctypes.byref(out)):
        return chr(out.value)
    return char
