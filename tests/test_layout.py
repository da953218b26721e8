"""Every screen fits every panel (issue 20): the layout check (tests/layout_check.py) over a slice of
the matrix, on the real wall display and the real kiosk in offscreen Kivy windows, resized through
the panels, with the CNAI example and a site with deliberately long names (tests/layout_sites.py).

The whole matrix (ten panels and their portrait turns, ten languages, every kiosk screen and mode,
both sites) is ``bench/layout_matrix.py``; its result is in docs/performance.md.  The first test
shows the check finds each kind of fault, so an empty list below means something."""

from __future__ import annotations

import pytest
from kivy_harness import run_scenario


def problems_of(result: dict) -> list[str]:
    return [f"{p['case']}: {p['kind']}: {p['where']}: {p['detail']}" for p in result["problems"]]


def test_the_check_finds_each_kind_of_fault(tmp_path):
    result = run_scenario("layout_scenarios:known_faults", {}, tmp_path=tmp_path, width=800, height=480)
    found = {(p["kind"], p["where"].split("'")[1]) for p in result["problems"]}
    assert ("overlap", "Overlap one") in found or ("overlap", "Overlap two") in found
    assert ("outside", "Far too long for its box") in found
    assert ("broken_word", "Informações") in found
    assert ("too_small", "tiny") in found
    assert not any(text == "Fine" for _kind, text in found)
    # a pictogram counts where it is drawn: over a label, an overlap; scrolled out of its view, nothing
    overlaps = [p for p in result["problems"] if p["kind"] == "overlap"]
    assert any("Under an icon" in p["where"] + p["detail"] for p in overlaps)
    assert not any("Under the view" in p["where"] + p["detail"] for p in overlaps)


@pytest.mark.parametrize("site, sizes, languages", [
    ("example", [[800, 600], [1024, 768], [1366, 768], [1080, 1920]], ["pt", "ar", "hi", "uk"]),
    ("long", [[800, 480], [1920, 1080], [768, 1366]], ["pt", "ar", "bn"]),
])
def test_the_wall_display_fits(tmp_path, site, sizes, languages):
    result = run_scenario("layout_scenarios:display_matrix",
                          {"sizes": sizes, "languages": languages, "site": site, "data_dir": str(tmp_path / "data")},
                          tmp_path=tmp_path, width=sizes[0][0], height=sizes[0][1], timeout=300)
    assert result["cases"] == len(sizes) * len(languages)
    assert problems_of(result) == []


@pytest.mark.parametrize("site, size, languages, modes", [
    ("example", [800, 480], ["ar"], ["normal", "large"]),     # a 7" panel: right to left, large text
    ("long", [1024, 768], ["hi"], ["low-large"]),             # long names, Indic shaping, the low layout
])
def test_every_kiosk_screen_fits(tmp_path, site, size, languages, modes):
    result = run_scenario("layout_scenarios:kiosk_matrix",
                          {"sizes": [size], "languages": languages, "modes": modes, "site": site},
                          tmp_path=tmp_path, width=size[0], height=size[1], timeout=300)
    assert result["cases"] >= 11 * len(languages) * len(modes)  # every screen, some with pages
    assert problems_of(result) == []
