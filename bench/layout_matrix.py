"""The layout check over the whole matrix (issue 20): every kiosk screen and the wall display, every
panel, every language, the CNAI example and the site with deliberately long names.

    .venv/bin/python bench/layout_matrix.py                      # everything (see docs/performance.md)
    .venv/bin/python bench/layout_matrix.py --only display       # the wall display only
    .venv/bin/python bench/layout_matrix.py --sizes 800x600 --sites long --jobs 2

One real Kivy window per (app, site, panel), offscreen (tests/layout_scenarios.py):
the window is resized to the panel, the app gets what its hub would send
(tests/layout_sites.py), and every picture is checked by tests/layout_check.py
(overlaps, text outside its boxes, words broken without a hyphen, text under
its role's minimum).  The wall display is checked in landscape and in its
portrait turn, with the newest call live in each language (and offline once
per panel); the kiosk in every screen a visitor can reach (every page of a
paged grid) in its normal, large-text and low layouts, on the diagonal a
panel of that resolution usually has (layout_sites.KIOSK_DIAGONALS).

Prints the cases, the problems by kind and the first problems; writes all of
them to ``build/layout-matrix.json``; exit 1 when any problem was found.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT), str(ROOT / "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from kivy_harness import BUILD_DIR, ScenarioFailed, run_scenario  # noqa: E402
from layout_sites import LANGUAGES, SIZES  # noqa: E402


def job(app: str, site: str, size: tuple[int, int], languages: list[str], workdir: Path,
        screens: list[str] | None = None) -> dict:
    width, height = size
    args = {"sizes": [[width, height]], "languages": languages, "site": site, "timeout": 3000}
    if screens:
        args["screens"] = screens
    if app == "display":
        args.update(turn=width != height and (height, width) not in SIZES, data_dir=str(workdir / "data"))
    started = time.monotonic()
    try:
        # a loaded machine (other runs beside it) can hold a frame of a large panel past the harness's
        # usual 10 s: a stall is not a layout problem
        result = run_scenario(f"layout_scenarios:{app}_matrix", args, tmp_path=workdir, width=width, height=height,
                              timeout=3600, env={"LP_NUM_THREADS": "0", "KIVY_HARNESS_CALL_TIMEOUT": "120"})
    except ScenarioFailed as exc:  # recorded, and the other panels still run
        result = {"cases": 0, "problems": [], "failed": str(exc)[-2000:]}
    result["seconds"] = time.monotonic() - started
    result["job"] = f"{app} {site} {width}x{height}"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["display", "kiosk"], help="one app only")
    parser.add_argument("--sites", default="example,long")
    parser.add_argument("--sizes", default=",".join(f"{w}x{h}" for w, h in SIZES))
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    parser.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--json", default=str(BUILD_DIR / "layout-matrix.json"))
    parser.add_argument("--screens", default="",
                        help="the kiosk's screens to check, by name (survey,survey-question,...; default: all)")
    args = parser.parse_args(argv)
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    languages = args.languages.split(",")
    apps = [args.only] if args.only else ["display", "kiosk"]
    work = Path(tempfile.mkdtemp(prefix="layout-matrix-"))
    jobs = [(app, site, size) for app in apps for site in args.sites.split(",") for size in sizes]
    started = time.monotonic()
    results = []
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)

    def write(done: bool) -> None:
        """The results so far (after every job: a long run stopped early keeps what it checked)."""
        out.write_text(json.dumps({
            "done": done, "cases": sum(r["cases"] for r in results), "minutes": (time.monotonic() - started) / 60,
            "problems": [p for r in results for p in r["problems"]],
            "jobs": [{k: r[k] for k in ("job", "cases", "seconds")} | {"problems": len(r["problems"])}
                     | ({"failed": r["failed"]} if "failed" in r else {}) for r in results],
            "ellipsized": [e for r in results for e in r.get("ellipsized", [])]}, ensure_ascii=False, indent=1),
            encoding="utf-8")

    with ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(job, app, site, size, languages, work / f"{app}-{site}-{size[0]}x{size[1]}",
                               [n for n in args.screens.split(",") if n])
                   for app, site, size in jobs]
        for future in futures:
            result = future.result()
            results.append(result)
            write(False)
            print(f"{result['job']:<32} {result['cases']:>5} cases {len(result['problems']):>4} problems "
                  f"{result['seconds']:6.1f} s" + ("  FAILED (see the json)" if "failed" in result else ""),
                  flush=True)
    write(True)
    problems = [p for r in results for p in r["problems"]]
    cases = sum(r["cases"] for r in results)
    kinds = Counter(p["kind"] for p in problems)
    abbreviated = sum(len(r.get("ellipsized", [])) for r in results)
    elapsed = time.monotonic() - started
    print(f"\n{cases} pictures checked in {elapsed / 60:.1f} min ({args.jobs} at a time): "
          f"{len(problems)} problems {dict(kinds)}; {abbreviated} labels abbreviated with an ellipsis")
    for problem in problems[:40]:
        print(f"  {problem['case']}: {problem['kind']}: {problem['where']}: {problem['detail']}")
    failed = [r["job"] for r in results if "failed" in r]
    if failed:
        print(f"NOT CHECKED (the run failed, see {out}): {', '.join(failed)}")
    print(f"all of it in {out}")
    return 1 if problems or failed else 0


if __name__ == "__main__":
    sys.exit(main())
