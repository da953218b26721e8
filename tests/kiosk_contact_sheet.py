"""Make docs/kiosk-contact-sheet.png from the kiosk UI tests' screenshots.

    .venv/bin/python -m pytest tests/test_kiosk_ui.py tests/test_kiosk_survey_ui.py   # writes build/kiosk/
    .venv/bin/python tests/kiosk_contact_sheet.py           # writes docs/kiosk-contact-sheet.png

A small montage (palette PNG, a few hundred KB) so readers see the kiosk in
several languages and modes without running anything.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "build" / "kiosk"
OUT = REPO / "docs" / "kiosk-contact-sheet.png"
#: (screenshot under build/kiosk, caption)
PICKS = [
    ("start.png", "start: languages in their own script"),
    ("en/menu.png", "en: matter"),
    ("uk/offices.png", "uk: office (3rd tap issues)"),
    ("uk/ticket-unsure.png", "uk: ticket, the wait as a range"),
    ("ar/menu.png", "ar: right to left"),
    ("ar/ticket-priority.png", "ar: priority ticket"),
    ("hi/menu-priority.png", "hi: priority pictograms"),
    ("hi/ticket-unsure.png", "hi: ticket, the wait as a range"),
    ("bn/offices.png", "bn: offices"),
    ("ne/ticket-unsure.png", "ne: ticket"),
    ("ru/language-picker.png", "language on every screen"),
    ("ar/info.png", "ar: information point"),
    ("hi/info-service.png", "hi: a service, what to bring"),
    ("uk/ticket-printer-fault.png", "printer fault: ticket on screen"),
    ("en/unavailable.png", "hub down: where to go instead"),
    ("ar/ticket-unsure.png", "ar: the range, right to left"),
    ("pt/start-large-text.png", "7\": large text, high contrast"),
    ("pt/menu-low.png", "7\": low layout (wheelchair)"),
    ("ar/menu-low-large.png", "7\": ar, low + large text"),
    ("pt/menu-low-priority.png", "7\": low layout, priority"),
    # the survey (tests/test_kiosk_survey_ui.py), every language
    ("survey/pt/identify.png", "pt: survey, number and PIN"),
    ("survey/ar/question-1.png", "ar: survey, opening hours"),
    ("survey/en/question-2.png", "en: survey, the space"),
    ("survey/fr/question-3.png", "fr: survey, kindness"),
    ("survey/es/question-4.png", "es: survey, the mediator"),
    ("survey/uk/question-1.png", "uk: survey, opening hours"),
    ("survey/ru/question-3.png", "ru: survey, kindness"),
    ("survey/hi/question-2.png", "hi: survey, the space"),
    ("survey/ne/question-4.png", "ne: survey, the mediator"),
    ("survey/bn/question-3.png", "bn: survey, kindness"),
    ("survey/answered/pt/end.png", "pt: survey, thanks"),
    ("survey/hi/end.png", "hi: survey, a ticket not known"),
    # a supervisor paused and closed services (tests/test_kiosk_service_state.py, issue 17)
    ("ar/menu-service-unavailable.png", "ar: services paused and closed"),
]
THUMB_W = 480
COLS = 4


def main() -> int:
    missing = [name for name, _ in PICKS if not (SHOTS / name).exists()]
    if missing:
        print(f"run tests/test_kiosk_ui.py first; missing: {', '.join(missing)}", file=sys.stderr)
        return 1
    thumbs = []
    font = ImageFont.truetype("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", 16)
    for name, caption in PICKS:
        image = Image.open(SHOTS / name).convert("RGB")
        image.thumbnail((THUMB_W, THUMB_W))
        card = Image.new("RGB", (THUMB_W, image.height + 28), "white")
        card.paste(image, (0, 0))
        ImageDraw.Draw(card).text((6, image.height + 4), caption, fill=(30, 30, 30), font=font)
        thumbs.append(card)
    cell_h = max(t.height for t in thumbs)
    rows = -(-len(thumbs) // COLS)
    sheet = Image.new("RGB", (COLS * (THUMB_W + 8) + 8, rows * (cell_h + 8) + 8), (200, 204, 210))
    for i, thumb in enumerate(thumbs):
        sheet.paste(thumb, (8 + (i % COLS) * (THUMB_W + 8), 8 + (i // COLS) * (cell_h + 8)))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(OUT, optimize=True)
    print(f"{OUT}: {OUT.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
