"""Pictograms from the Material Design Icons font (fonticon-materialdesignicons7).

A visitor who reads little recognises a passport, a briefcase or a
wheelchair.  The site file names a menu entry's icon (``icon = "passport"``);
this maps those names, and the kiosk's own pictograms, to glyphs of the MDI
font, which any ``Label`` draws with ``font_name = ICON_FONT``.  A site file
may also use any MDI name directly (``account_group``); an unknown name gets
a neutral circle, never a missing-glyph box.
"""

from __future__ import annotations

from fonticon_mdi7 import MDI7

ICON_FONT = MDI7.__font_file__

#: the site file's icon names (and the kiosk's own) -> MDI names
ALIASES = {
    "passport": "passport",
    "briefcase": "briefcase",
    "scales": "scale_balance",
    "money": "cash",
    "id_card": "card_account_details",
    "family": "human_male_female_child",
    "health": "hospital_box",
    "school": "school",
    "house": "home",
    "info": "information",
    "help": "help_circle",
    "documents": "file_document_multiple",
    "residence": "home_city",
    # the kiosk's own pictograms
    "unsure": "help_circle",
    "pregnancy": "human_pregnant",
    "infant": "baby_carriage",
    "disability": "wheelchair_accessibility",
    "elderly": "human_cane",
    "back": "arrow_left",
    "back_rtl": "arrow_right",
    "home_screen": "home",
    "language": "translate",
    "large_text": "format_size",
    "low_layout": "human_wheelchair",
    "tickets": "ticket_confirmation",
    "information": "information",
    "survey": "emoticon_happy_outline",
    "unavailable": "alert_circle",
    "phone": "phone",
    "where": "map_marker",
    "hours": "clock_outline",
    "bring": "file_document_multiple",
    "what": "information_outline",
    "printer_fault": "printer_alert",
    "printer": "printer",
    "people": "account_group",
    "wait": "timer_sand",
    "priority": "star",
    # the survey's four points, the best first (no midpoint), and its keys
    "survey_1": "emoticon_excited_outline",
    "survey_2": "emoticon_happy_outline",
    "survey_3": "emoticon_sad_outline",
    "survey_4": "emoticon_cry_outline",
    "skip": "debug_step_over",
    "erase": "backspace_outline",
}
FALLBACK = "circle_outline"


def glyph(name: str) -> str:
    """The character that draws ``name`` in ICON_FONT."""
    for candidate in (ALIASES.get(name, name), name.replace("-", "_"), FALLBACK):
        value = getattr(MDI7, candidate, None)
        if isinstance(value, str):
            return value.split(".", 1)[1]
    raise LookupError(f"the MDI font has no {FALLBACK!r} glyph")  # pragma: no cover - font damaged
