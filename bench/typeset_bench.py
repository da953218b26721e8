"""typeset benchmark: what drawing a visitor's text costs a screen or the printer.

    .venv/bin/python bench/typeset_bench.py            # ~10 s
    .venv/bin/python bench/typeset_bench.py --json

For each test language (tests/typeset_samples.py) it times, in this process:

* cold: the first render_text of the wrapped sentence at 30 px into 776 px (a
  kiosk label on an 800 px screen), with typeset's caches and Pillow fonts
  emptied, so font files, cmaps and shaping are all paid;
* new text: render_text of a sentence not seen before (fonts loaded, no cached
  layout): what a ScriptLabel pays when its text changes;
* same text again: a relayout of text already measured (width or colour change);
* the ticket line at 48 px bold, new text (a printer line drawn as an image).

No targets are named for typeset in the issues; the kiosk's tap -> next screen
<= 50 ms budget is the context.  Prints figures, always exits 0.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from typeset import bidi_lines, fonts, pillow, scripts  # noqa: E402
from typeset_samples import SAMPLES  # noqa: E402

WIDTH, SIZE, TICKET_SIZE = 776, 30, 48


def clear_caches() -> None:
    for fn in (scripts._split_runs, scripts._code_page_char, bidi_lines.run_width, bidi_lines.run_ink,
               bidi_lines.lay_out, fonts._cmap, fonts.family_path):
        fn.cache_clear()
    bidi_lines._thread_fonts.__dict__.clear()


def ms(fn, repeat: int) -> list[float]:
    out = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def bench(repeat: int) -> dict:
    results = {}
    for lang, (ticket, sentence) in SAMPLES.items():
        clear_caches()
        cold = ms(lambda i: pillow.render_text(sentence, SIZE, WIDTH, language=lang), 1)[0]
        # a different number each time makes every text new to the layout caches
        new = ms(lambda i: pillow.render_text(sentence.replace("A023", f"A{i:03d}"), SIZE, WIDTH,
                                              language=lang), repeat)
        again = ms(lambda i: pillow.render_text(sentence, SIZE, WIDTH, language=lang), repeat)
        line = ms(lambda i: pillow.render_text(ticket.replace("A023", f"B{i:03d}"), TICKET_SIZE, 576,
                                               bold=True, align="center"), repeat)
        results[lang] = {
            "cold_ms": round(cold, 1),
            "new_text_ms_median": round(statistics.median(new), 2),
            "new_text_ms_max": round(max(new), 2),
            "same_text_ms_median": round(statistics.median(again), 2),
            "ticket_line_ms_median": round(statistics.median(line), 2),
        }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    results = bench(args.repeat)
    if args.json:
        print(json.dumps({"machine": platform.platform(), "python": platform.python_version(),
                          "results": results}, indent=2))
        return 0
    print(f"typeset on {platform.machine()} {platform.platform()}, Python {platform.python_version()}, "
          f"{args.repeat} repeats")
    print(f"sentence {SIZE} px wrapped to {WIDTH} px; ticket line {TICKET_SIZE} px bold in 576 px (80 mm paper)")
    print(f"{'lang':5} {'cold':>8} {'new text':>10} {'(max)':>8} {'same text':>10} {'ticket line':>12}   ms")
    for lang, r in results.items():
        print(f"{lang:5} {r['cold_ms']:8.1f} {r['new_text_ms_median']:10.2f} {r['new_text_ms_max']:8.2f} "
              f"{r['same_text_ms_median']:10.2f} {r['ticket_line_ms_median']:12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
