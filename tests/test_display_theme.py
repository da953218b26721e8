"""The display's colours meet WCAG AA and its text sizes the reading distances stated in display/theme.py."""

from __future__ import annotations

import pytest

from display import theme


@pytest.mark.parametrize("name", sorted(theme.TEXT_PAIRS))
def test_every_text_colour_pair_meets_wcag_aa(name):
    foreground, background = theme.TEXT_PAIRS[name]
    assert theme.contrast_ratio(foreground, background) >= 4.5, name


def test_contrast_formula_matches_known_values():
    assert theme.contrast_ratio("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert theme.contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # the classic near-miss
    assert theme.contrast_ratio("#0B1F3A", "#0B1F3A") == pytest.approx(1.0)


def legible_at_m(font_px: float, diagonal_in: float = 55.0) -> float:
    """Reading distance by the 1/200 rule of thumb (cap height x 200)."""
    return theme.cap_height_mm(font_px, diagonal_in) * 200 / 1000


@pytest.mark.parametrize("name", sorted(theme.FONT_PX))
def test_text_is_readable_at_its_stated_distance_on_a_55_inch_screen(name):
    assert legible_at_m(theme.FONT_PX[name]) >= theme.READ_AT_M[name]


def test_the_newest_call_meets_the_ada_character_height_for_10_m():
    # ADA 703.5.5, sign 70-120 in above the floor, read from 32.8 ft: 2 in + (32.8 - 15) / 8 in
    needed_mm = (2 + (10 / 0.3048 - 15) / 8) * 25.4
    assert theme.cap_height_mm(theme.FONT_PX["code"]) >= needed_mm
    assert theme.cap_height_mm(theme.FONT_PX["counter"]) >= 50  # 1/200 of 10 m


def test_sizes_scale_with_the_short_side():
    assert theme.scale_for(1920, 1080) == 1.0
    assert theme.scale_for(1280, 720) == pytest.approx(2 / 3)
    assert theme.scale_for(1080, 1920) == 1.0
    assert theme.MM_PER_PX_55IN == pytest.approx(0.634, abs=0.001)
