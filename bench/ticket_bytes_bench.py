"""What a ticket's bytes cost and where they print: per language and paper width, no hub.

    .venv/bin/python bench/ticket_bytes_bench.py                       # this checkout
    cd OTHER && /work/main/.venv/bin/python /work/main/bench/ticket_bytes_bench.py --code .   # another one

For each language of the CNAI example and both paper widths (python-escpos' default profile): the
ticket's layout and ESC/POS bytes (``ticket_layout`` + ``ticket_bytes``, timed, median of ``--rounds``),
how many bytes, how many ``ESC t`` (code page selections) and which pages, and, read back by the tests'
own reader (``tests/escpos_picture.py`` of this file's checkout, on an Epson-like printer that applies
``ESC a`` to raster images), how far the worst picture's ink lands from the paper's centre line.  The
printer code comes from ``--code`` (default: this file's checkout), so two checkouts can be compared
with the same reader.  A benchmark, not a test: it prints figures and exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
LANGUAGES = ["pt", "en", "fr", "es", "uk", "ru", "ar", "hi", "ne", "bn"]
TICKET = {"code": "M012", "service": "immigration", "issued_at": "2026-12-03T10:00:00+00:00", "people_ahead": 7,
          "estimated_wait_min": 140, "qr": "OSS1:cnai-lisboa:2026-12-03:0123456789abcdef", "priority": False}
#: the ESC t numbers of python-escpos' default profile (Epson's), which the code before issue 21 used
EPSON = {"CP437": 0, "CP850": 2, "CP857": 13, "CP866": 17, "CP855": 34, "CP858": 19, "CP1252": 16, "CP1251": 46}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--code", default=str(HERE), help="the checkout whose printer code is measured")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    sys.path[:0] = [str(Path(args.code).resolve()), str(HERE / "tests")]
    from escpos_picture import read

    from hardware.printer import media_for, ticket_layout
    from hardware.printer import stream
    from hardware.printer.escpos_writer import ticket_bytes
    from siteconf.load import EXAMPLE_SITE, load_site
    from siteconf.slices import public_config

    site = public_config(load_site(EXAMPLE_SITE))
    print(f"{'paper':>5} {'lang':<4} {'bytes':>6} {'ms p50':>7} {'ESC t':>5}  {'pages':<22} worst picture off centre")
    for paper_mm in (80, 58):
        media = media_for("default", paper_mm)
        for language in LANGUAGES:
            ticket = dict(TICKET, language=language)
            times = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                data = ticket_bytes(ticket_layout(ticket, site), media)
                times.append((time.perf_counter() - start) * 1000)
            selections = [command.data[0] for command in stream.commands(data, "ESC t")]
            names = {number: name for name, number in EPSON.items()}
            pages = ",".join(dict.fromkeys(names.get(n, str(n)) for n in selections))
            paper = read(data, media.width_px, EPSON)
            offs = [paper.off_centre(mark) for mark in paper.of("image") if mark.ink]
            worst = max(offs, key=abs, default=0.0)
            print(f"{paper_mm:>5} {language:<4} {len(data):>6} {statistics.median(times):>7.1f} {len(selections):>5}  "
                  f"{pages:<22} {worst:+.1f} dots ({worst / 8:+.1f} mm)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
