"""Where the demo's windows go on a person's screen: the kiosk, the wall screen and one counter desk
side by side, each at a size a real device has, none on top of another (on a screen at least 1280
pixels wide).

The kiosk is a Raspberry Pi Touch Display's 800x480 (the usual 7" kiosk
panel), the desk panel sits under it, and the wall screen takes the rest of
the width at 16:9 (it draws the same at any resolution: its sizes follow the
short side, display/theme.py).  Kivy places a window where
``KCFG_GRAPHICS_POSITION=custom`` with ``KCFG_GRAPHICS_LEFT/TOP`` say (its
config from the environment), so the processes need no option for it.  No
Kivy here: the demo's parent process only computes and passes environments.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from dataclasses import dataclass
from typing import NamedTuple

KIOSK = (800, 480)
#: the desk panel's least height (LCD, light and buttons)
DESK_MIN_H = 260
DESK_MAX_H = 320
#: below this the wall screen is not worth opening beside the kiosk: it goes under the desk instead
WALL_MIN_W = 480


@dataclass(frozen=True)
class Place:
    x: int
    y: int
    width: int
    height: int

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    def env(self) -> dict[str, str]:
        """Kivy's config from the environment: the window's top-left corner on the screen."""
        return {"KCFG_GRAPHICS_POSITION": "custom", "KCFG_GRAPHICS_LEFT": str(self.x),
                "KCFG_GRAPHICS_TOP": str(self.y)}


class Arrangement(NamedTuple):
    """The three windows' places."""

    kiosk: Place
    wall: Place
    desk: Place


def arrange(screen_width: int, screen_height: int) -> Arrangement:
    """The three windows on a screen of this size (1920x1080: kiosk 800x480 and desk 800x320 on the
    left, the wall screen 1120x630 on the right)."""
    kw, kh = KIOSK
    if screen_width < kw or screen_height < kh + DESK_MIN_H:  # a small screen: the kiosk's shape, smaller
        scale = min(screen_width / kw, (screen_height - DESK_MIN_H) / kh, 1.0)
        kw, kh = max(320, int(kw * scale)), max(192, int(kh * scale))
    desk_h = max(DESK_MIN_H, min(DESK_MAX_H, screen_height - kh))
    kiosk = Place(0, 0, kw, kh)
    desk = Place(0, kh, kw, desk_h)
    room = screen_width - kw
    if room >= WALL_MIN_W:
        wall_w = room
        wall_h = min(screen_height, wall_w * 9 // 16)
        wall_w = min(wall_w, wall_h * 16 // 9)
        wall = Place(kw, 0, wall_w, wall_h)
    else:  # a screen narrower than 1280: the wall screen at 640x360 on the right, over the kiosk's edge
        wall_w = min(screen_width, 640)
        wall = Place(screen_width - wall_w, 0, wall_w, wall_w * 9 // 16)
    return Arrangement(kiosk, wall, desk)


def screen_size(display: str | None = None) -> tuple[int, int] | None:
    """The X screen's size in pixels (libX11 through ctypes), or None when there is no X display."""
    display = display if display is not None else os.environ.get("DISPLAY")
    if not display:
        return None
    name = ctypes.util.find_library("X11")
    if not name:
        return None
    try:
        x11 = ctypes.CDLL(name)
    except OSError:
        return None
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultScreen.argtypes = [ctypes.c_void_p]
    x11.XDisplayWidth.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    handle = x11.XOpenDisplay(display.encode())
    if not handle:
        return None
    try:
        screen = x11.XDefaultScreen(handle)
        return int(x11.XDisplayWidth(handle, screen)), int(x11.XDisplayHeight(handle, screen))
    finally:
        x11.XCloseDisplay(handle)
