"""The ticket's QR code as a Kivy texture, sharp at any size (segno draws the matrix)."""

from __future__ import annotations

import segno


def qr_modules(payload: str, border: int = 2) -> list[list[bool]]:
    """Rows of dark (True) and light modules, top row first, quiet zone included."""
    code = segno.make(payload, error="m", micro=False)
    return [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=border)]


def qr_texture(payload: str, border: int = 2, dark=(0, 0, 0), light=(255, 255, 255)):
    """A texture with one texel per module; nearest filtering keeps the edges crisp when scaled."""
    from kivy.graphics.texture import Texture
    rows = qr_modules(payload, border)
    size = len(rows)
    buffer = bytearray()
    for row in reversed(rows):  # GL textures start at the bottom row
        for is_dark in row:
            buffer += bytes((*(dark if is_dark else light), 255))
    texture = Texture.create(size=(size, size), colorfmt="rgba")
    texture.blit_buffer(bytes(buffer), colorfmt="rgba", bufferfmt="ubyte")
    texture.mag_filter = "nearest"
    texture.min_filter = "nearest"
    return texture
