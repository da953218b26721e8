"""The project's own ticket renderer: a ``TicketLayout`` drawn as a PNG the width of
the roll, with the same text images, QR code and sizes the printer gets, each
picture's ink centred as the printer places it (``images.placed_text``, ``placed``).
It shows what the layout means; what the bytes print is drawn by the tests' own
ESC/POS reader (``tests/escpos_picture.py``) beside it on the contact sheet.

Tests save every printed ticket this way under ``build/tickets/`` for people to
look at; the simulated centre shows the kiosk's tickets with it.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from .images import GAP_PX, WHITE, placed, placed_text, qr_image
from .layout import QRCode, Rule, Text, TicketLayout
from .media import Media, media_for

#: white border around the drawn ticket, in pixels
MARGIN_PX = 16


def render_ticket_image(layout: TicketLayout, media: Media | None = None) -> Image.Image:
    media = media or media_for()
    width = media.width_px
    parts: list[Image.Image] = []
    for block in layout.blocks:
        if isinstance(block, Text):
            parts.append(placed_text(block, width))
        elif isinstance(block, QRCode):
            parts.append(placed(qr_image(block.payload, media.qr_module_px), width))
        elif isinstance(block, Rule):
            rule = Image.new("L", (width, 9), WHITE)
            ImageDraw.Draw(rule).line([(0, 4), (width, 4)], fill=0, width=2)
            parts.append(rule)
    height = sum(p.height for p in parts) + GAP_PX * len(parts) + 2 * MARGIN_PX
    ticket = Image.new("L", (width + 2 * MARGIN_PX, height), WHITE)
    y = MARGIN_PX
    for part in parts:
        ticket.paste(part, (MARGIN_PX, y))
        y += part.height + GAP_PX
    # the cut: a dashed line at the bottom edge
    draw = ImageDraw.Draw(ticket)
    for x in range(0, ticket.width, 12):
        draw.line([(x, height - 2), (x + 6, height - 2)], fill=128, width=1)
    return ticket


def render_ticket_png(layout: TicketLayout, path: str | Path, media: Media | None = None) -> Path:
    """Draw ``layout`` to the PNG file ``path`` (folders are created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    render_ticket_image(layout, media).save(path)
    return path
