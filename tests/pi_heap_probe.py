"""Run a Python program with tracemalloc on and write its Python heap to a file after a while.

    python pi_heap_probe.py SECONDS OUT.json PROGRAM [ARGS...]

The Pi rehearsal (tests/test_pi_rehearsal.py) starts each role through this inside its arm64
tree: under qemu the process's memory counts the emulator, but the Python heap that tracemalloc
counts is the program's own, as on a Pi.  ``OUT.json`` gets {"after_s", "current_mb", "peak_mb"}
``SECONDS`` after the start, then again when the program ends.
"""

from __future__ import annotations

import json
import runpy
import sys
import threading
import time
import tracemalloc


def main() -> None:
    seconds, out, program, *args = sys.argv[1:]
    started = time.monotonic()
    tracemalloc.start()

    def write() -> None:
        current, peak = tracemalloc.get_traced_memory()
        with open(out, "w", encoding="utf-8") as handle:
            json.dump({"after_s": round(time.monotonic() - started, 1), "current_mb": round(current / 1e6, 1),
                       "peak_mb": round(peak / 1e6, 1)}, handle)

    timer = threading.Timer(float(seconds), write)
    timer.daemon = True
    timer.start()
    sys.argv = [program, *args]
    try:
        runpy.run_path(program, run_name="__main__")
    finally:
        if timer.is_alive():  # ended before the time: what it had at the end
            timer.cancel()
            write()


if __name__ == "__main__":
    main()
