"""A contact sheet of the display's layout screenshots (build/display/*.png → one small PNG)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

LABEL_PX = 28


def _font(size: int):
    try:
        return ImageFont.truetype("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", size)
    except OSError:
        return ImageFont.load_default()


def make_contact_sheet(folder: Path, rows: list[list[tuple[str, str]]], out: Path, width: int = 1280,
                       gap: int = 8) -> Path | None:
    """``rows``: per row, (file stem, caption); each row's pictures are scaled to share one height."""
    font = _font(20)
    laid: list[tuple[list[tuple[Image.Image, str]], int]] = []
    for row in rows:
        images = [(Image.open(folder / f"{stem}.png").convert("RGB"), caption) for stem, caption in row
                  if (folder / f"{stem}.png").exists()]
        if not images:
            continue
        # height such that the row fills the width
        aspect_sum = sum(img.width / img.height for img, _ in images)
        height = int((width - gap * (len(images) + 1)) / aspect_sum)
        laid.append(([(img.resize((int(img.width * height / img.height), height), Image.LANCZOS), caption)
                      for img, caption in images], height))
    if not laid:
        return None
    total = sum(h + LABEL_PX + gap for _, h in laid) + gap
    sheet = Image.new("RGB", (width, total), (230, 230, 230))
    draw = ImageDraw.Draw(sheet)
    y = gap
    for images, height in laid:
        x = gap
        for img, caption in images:
            sheet.paste(img, (x, y + LABEL_PX))
            draw.text((x, y + 2), caption, fill=(20, 20, 20), font=font)
            x += img.width + gap
        y += height + LABEL_PX + gap
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    return out
