"""Contact sheets of the wall display and the kiosk on the panels that broke (issue 20): 800x600,
1024x768 and 1366x768, with 1920x1080 and portrait beside them, in several scripts, the CNAI example
and the site with long names.  The pictures come from the layout check's own scenarios
(tests/layout_scenarios.py), so every picture on a sheet was also checked; the sheet's run fails
when the check finds anything in them.

    .venv/bin/python tests/layout_contact_sheets.py     # writes docs/layout-display-sheet.png
                                                        # and docs/layout-kiosk-sheet.png
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
for _p in (str(REPO), str(TESTS)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from contact_sheet import make_contact_sheet  # noqa: E402
from kivy_harness import BUILD_DIR, run_scenario  # noqa: E402

FOLDER = "layout-sheets"
#: (site, size, language) of the wall display pictures, row by row
DISPLAY_ROWS = [
    [("example", (800, 600), "pt"), ("example", (800, 600), "ar"), ("long", (800, 600), "uk")],
    [("example", (1024, 768), "hi"), ("long", (1024, 768), "ar"), ("example", (1366, 768), "bn")],
    [("long", (1366, 768), "ne"), ("example", (1920, 1080), "ar"), ("long", (768, 1366), "bn"),
     ("example", (1080, 1920), "hi")],
]
#: (site, size, language, mode, screen, page) of the kiosk pictures, row by row
KIOSK_ROWS = [
    [("example", (800, 600), "pt", "normal", "menu", 1), ("example", (800, 600), "ar", "normal", "ticket", 1),
     ("long", (800, 600), "uk", "large", "offices", 1)],
    [("example", (1024, 768), "hi", "normal", "menu", 1), ("long", (1024, 768), "fr", "normal", "menu", 1),
     ("example", (1024, 768), "bn", "large", "ticket", 1)],
    [("example", (1366, 768), "ar", "normal", "info", 1), ("long", (1366, 768), "ne", "low-large", "menu", 1),
     ("example", (1366, 768), "ru", "normal", "scan-called", 1)],
    [("example", (800, 480), "es", "large", "ticket", 1), ("example", (800, 480), "ar", "low-large", "menu", 1),
     ("long", (800, 480), "pt", "normal", "info-service", 1)],
]


def _stem(*parts) -> str:
    return "-".join(str(p) if not isinstance(p, tuple) else f"{p[0]}x{p[1]}" for p in parts)


def _runs(rows, key_of):
    """{(site, size): {shot key: picture name}} for one scenario run per site and size."""
    runs: dict = {}
    for row in rows:
        for item in row:
            runs.setdefault((item[0], item[1]), {})[key_of(item)] = f"{FOLDER}/{_stem(*item)}"
    return runs


def main() -> int:
    problems = []
    work = Path(tempfile.mkdtemp(prefix="layout-sheets-"))
    display = _runs(DISPLAY_ROWS, lambda i: f"{i[1][0]}x{i[1][1]}/{i[2]}")
    for (site, (w, h)), shots in display.items():
        languages = sorted({key.split("/")[1] for key in shots})
        result = run_scenario("layout_scenarios:display_matrix",
                              {"sizes": [[w, h]], "languages": languages, "site": site, "shots": shots,
                               "data_dir": str(work / "data")}, tmp_path=work, width=w, height=h, timeout=900)
        problems += result["problems"]
    kiosk = _runs(KIOSK_ROWS, lambda i: f"{i[1][0]}x{i[1][1]}/{i[2]}/{i[3]}/{i[4]}" + (f"/{i[5]}" if i[5] > 1 else ""))
    for (site, (w, h)), shots in kiosk.items():
        keys = [key.split("/") for key in shots]
        result = run_scenario("layout_scenarios:kiosk_matrix",
                              {"sizes": [[w, h]], "site": site, "shots": shots,
                               "languages": sorted({k[1] for k in keys}), "modes": sorted({k[2] for k in keys}),
                               "screens": sorted({k[3] for k in keys})}, tmp_path=work, width=w, height=h,
                              timeout=900)
        problems += result["problems"]
    folder = BUILD_DIR / FOLDER
    sheets = [
        (DISPLAY_ROWS, lambda i: f"{i[1][0]}x{i[1][1]} {i[2]} ({i[0]})", REPO / "docs" / "layout-display-sheet.png"),
        (KIOSK_ROWS, lambda i: f"{i[1][0]}x{i[1][1]} {i[2]} {i[3]} {i[4]} ({i[0]})",
         REPO / "docs" / "layout-kiosk-sheet.png"),
    ]
    for rows, caption, out in sheets:
        made = make_contact_sheet(folder, [[(_stem(*item), caption(item)) for item in row] for row in rows], out,
                                  width=1600)
        print(f"wrote {made}")
    for problem in problems:
        print(f"  {problem['case']}: {problem['kind']}: {problem['where']}: {problem['detail']}")
    print(f"{len(problems)} problems in the pictures' runs")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
