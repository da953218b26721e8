"""Colours of the two looks: calm (the default) and high contrast (with large text).

Both meet WCAG AA for body text; the high-contrast look is white and yellow
on black, for visitors with low vision.  RGBA floats, as Kivy wants them.
"""

from __future__ import annotations

#: each colour of the screens: (the calm look, the high-contrast look)
COLOURS = {
    "bg": ((0.95, 0.96, 0.97, 1), (0, 0, 0, 1)),
    "surface": ((1, 1, 1, 1), (0.07, 0.07, 0.07, 1)),
    "surface_down": ((0.82, 0.88, 0.95, 1), (0.35, 0.35, 0.35, 1)),
    "text": ((0.09, 0.10, 0.12, 1), (1, 1, 1, 1)),
    "muted": ((0.30, 0.33, 0.38, 1), (0.92, 0.92, 0.92, 1)),
    "accent": ((0.03, 0.33, 0.63, 1), (1, 0.86, 0.0, 1)),
    "on_accent": ((1, 1, 1, 1), (0, 0, 0, 1)),
    "border": ((0.76, 0.80, 0.86, 1), (1, 1, 1, 1)),
    "warn": ((0.70, 0.16, 0.08, 1), (1, 0.55, 0.45, 1)),
    "selected": ((0.99, 0.80, 0.25, 1), (1, 0.86, 0.0, 1)),
    "on_selected": ((0.09, 0.10, 0.12, 1), (0, 0, 0, 1)),
    "icon": ((0.03, 0.33, 0.63, 1), (1, 0.86, 0.0, 1)),
}


def palette(high_contrast: bool) -> dict[str, tuple[float, float, float, float]]:
    """Every colour of one look, by name (the app has a property ``c_<name>`` for each)."""
    return {name: looks[1 if high_contrast else 0] for name, looks in COLOURS.items()}
