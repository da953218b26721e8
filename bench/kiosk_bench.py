"""Kiosk figures (issue 3), printed:

* cold start: ``onestop-kiosk``'s process launched → the first frame with the
  languages drawn (target ≤ 2 s);
* tap → the next screen completely drawn (every label's texture made), per
  kind of tap (target ≤ 50 ms);
* the final tap → the hub's reply → the whole ticket written to a File
  connector (target ≤ 150 ms p99), plus the time a 9,600-baud serial printer
  needs for the same bytes;
* resident memory after every screen in every language (target ≤ 200 MB).

Real parts throughout: Mosquitto with the project's config and the hub on
loopback (LocalCentre), the Kivy app in an offscreen SDL window of the
CNAI kiosk's size (1920x1080), touches dispatched through Kivy's input path.

    .venv/bin/python bench/kiosk_bench.py [--tickets 200] [--starts 5]

Other sessions may be loading the machine: run it when it is quiet and
read the figures with that in mind.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from kiosk_centre import kiosk_device_file, kiosk_site_dict, start_centre  # noqa: E402
from kivy_harness import kivy_env, run_app, run_scenario  # noqa: E402

PANEL = (1920, 1080, 15.6)
#: the scenario functions below run in the child: it must find this module
CHILD_PATH = {"PYTHONPATH": os.pathsep.join(str(p) for p in (REPO / "tests", REPO, REPO / "bench"))}
LANGUAGES = ["pt", "en", "fr", "es", "uk", "ru", "ar", "hi", "ne", "bn"]


# ---------------------------------------------------------------------------
# child side
# ---------------------------------------------------------------------------


def _rss_mb() -> tuple[float, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def cold_start(args: dict) -> dict:
    """Report the wall-clock time of the first frame that shows the language buttons drawn."""
    from kiosk.launch import make_kiosk
    app = make_kiosk(args["device"], configure=False, animations=False)
    from kivy.clock import Clock
    from kivy.core.window import Window
    box = {}

    def on_flip(*_):
        if "first" in box or app.root is None:
            return
        screen = app.root.manager.current_screen
        buttons = [w for w in screen.walk(restrict=True) if getattr(w, "code", "")]
        labels = [w for b in buttons for w in b.walk(restrict=True) if hasattr(w, "source_text")]
        if buttons and all(w.texture is not None for w in labels if w.source_text.strip()):
            box["first"] = time.time()
            Clock.schedule_once(lambda _dt: app.stop(), 0)

    Window.bind(on_flip=on_flip)
    Clock.schedule_once(lambda _dt: app.stop(), 30)
    app.run()
    return {"first_frame": box.get("first")}


def bare_window(args: dict) -> dict:
    """What an empty Kivy window costs in this process (the GL driver, SDL, Kivy): the baseline."""
    from kivy.app import App
    from kivy.uix.label import Label

    class Bare(App):
        def build(self):
            return Label(text="")

    def script(ui) -> dict:
        ui.frames(10)
        return {"rss_mb": _rss_mb()[0]}

    return run_app(Bare(), script)


def taps(args: dict) -> dict:
    """Time taps to the frame where the new screen is completely drawn, and tickets to the printer."""
    from kiosk.launch import make_kiosk
    app = make_kiosk(args["device"], configure=False, animations=False)
    timings: dict[str, list[float]] = {}
    tickets: list[float] = []

    def script(ui) -> dict:
        from kivy.tests.common import UnitTestTouch
        ui.wait_until(lambda: app.tickets_available, timeout=20, what="tickets available")
        pending = {}

        def drawn() -> bool:
            screen = app.root.manager.current_screen
            labels = [w for w in screen.walk(restrict=True) if hasattr(w, "source_text") and w.source_text.strip()]
            return all(w.texture is not None and not w._trigger_texture.is_triggered for w in labels)

        def on_flip(*_):
            job = pending.get("job")
            if job and job["ready"]() and drawn():
                timings.setdefault(job["name"], []).append((time.perf_counter() - job["t0"]) * 1000)
                pending.pop("job").get("done").set()

        rounds: dict[str, list[int]] = {}

        ui.Window.bind(on_flip=on_flip)

        def tap(name: str, find, ready) -> None:
            import threading
            ui.frames(2)  # the screen has settled: the card is where it is drawn
            widget = ui.find(find, what=name)
            done = threading.Event()

            def press():
                x, y = widget.to_window(*widget.center)
                pending["job"] = {"name": name, "t0": time.perf_counter(), "ready": ready, "done": done}
                touch = UnitTestTouch(x, y)
                touch.touch_down()
                touch.touch_up()
                ui.Window.canvas.ask_update()
            ui.call(press)
            if not done.wait(10):
                raise AssertionError(f"{name}: the next screen was never drawn")

        def by(attr, value):
            return lambda w: getattr(w, attr, None) == value and hasattr(w, "trigger_action")

        screen = lambda name: lambda: app.root.manager.current == name  # noqa: E731
        for rnd in range(args["rounds"]):
            for lang in LANGUAGES:
                rounds.setdefault("order", []).append(rnd)
                tap("language → menu", by("code", lang), screen("menu"))
                tap("matter → offices", by("value", "work"), lambda: app.flow.state.path == ("work",))
                tap("back → matters", by("action", "back"), lambda: app.flow.state.path == ())
                tap("nav → information", by("action", "info"), screen("info"))
                tap("information → a service", by("value", "triage"), screen("info_item"))
                tap("nav → start again", by("action", "home"), screen("start"))
        # the final tap to the ticket on paper
        printed = {}
        original = app._printed

        def stamped(ok, reason):
            printed["t"] = time.perf_counter()
            original(ok, reason)
        app._printed = stamped
        for i in range(args["tickets"]):
            lang = LANGUAGES[i % len(LANGUAGES)]
            ui.tap(ui.find(by("code", lang)), settle_frames=0)
            ui.wait_until(screen("menu"), what="menu")
            ui.frames(2)  # the cards have their final places
            card = ui.find(by("value", "health"))
            printed.clear()
            t0 = {}

            def press():
                x, y = card.to_window(*card.center)
                t0["t"] = time.perf_counter()
                touch = UnitTestTouch(x, y)
                touch.touch_down()
                touch.touch_up()
            ui.call(press)
            ui.wait_until(lambda: "t" in printed, timeout=10,
                          what=f"the ticket on paper (ticket {i}, {lang}; state {app.flow.state!r}, "
                               f"available {app.tickets_available})")
            tickets.append((printed["t"] - t0["t"]) * 1000)
            ui.wait_until(screen("ticket"), what="ticket screen")
            ui.tap(ui.find(by("action", "home")), settle_frames=0)
            ui.wait_until(screen("start"), what="start")
        rss, peak = _rss_mb()
        from kiosk.widgets import TEXTURES
        return {"taps": timings, "tickets": tickets, "rss_mb": rss, "peak_mb": peak,
                "texture_cache_mb": TEXTURES.used / 2 ** 20, "languages": len(LANGUAGES)}

    return run_app(app, script, timeout=1800)


# ---------------------------------------------------------------------------
# parent side
# ---------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of taps through every language")
    parser.add_argument("--panel", default="1920x1080x15.6", help="WIDTHxHEIGHTxDIAGONAL (the CNAI kiosk's)")
    args = parser.parse_args()
    global PANEL
    width, height, diagonal = args.panel.split("x")
    PANEL = (int(width), int(height), float(diagonal))
    folder = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    printer = folder / "printer.bin"
    data = kiosk_site_dict(PANEL, printer={"connector": "file", "path": str(printer)}, idle_timeout_s=600,
                           ticket_screen_s=600)
    centre, _ = start_centre(folder, data)
    try:
        device = str(kiosk_device_file(centre, folder))
        # a first run fills the kiosk's cache (site config, content), as on a kiosk that has run before
        run_scenario("kiosk_bench:cold_start", {"device": device}, tmp_path=folder / "warm", width=PANEL[0],
                     height=PANEL[1], env=CHILD_PATH)
        starts = []
        for i in range(args.starts):
            env = kivy_env(folder / f"start-{i}", PANEL[0], PANEL[1])
            result_file = folder / f"start-{i}.json"
            env["KIVY_HARNESS_RESULT"] = str(result_file)
            env.update(CHILD_PATH)
            t0 = time.time()
            subprocess.run([sys.executable, str(REPO / "tests" / "kivy_harness.py"), "kiosk_bench:cold_start",
                            json.dumps({"device": device})], env=env, check=True, cwd=str(REPO),
                           capture_output=True, timeout=120)
            starts.append(json.loads(result_file.read_text())["first_frame"] - t0)
        baseline = run_scenario("kiosk_bench:bare_window", {}, tmp_path=folder / "bare", width=PANEL[0],
                                height=PANEL[1], env=CHILD_PATH)["rss_mb"]
        result = run_scenario("kiosk_bench:taps", {"device": device, "tickets": args.tickets, "rounds": args.rounds},
                              tmp_path=folder / "taps", width=PANEL[0], height=PANEL[1], timeout=3600,
                              env=CHILD_PATH)
        ticket_bytes = printer.read_bytes().count(b"\x1dV")
        size = len(printer.read_bytes()) / max(1, ticket_bytes)
    finally:
        centre.close()

    from hardware.printer import serial_wire_seconds
    print(f"Kiosk figures ({PANEL[0]}x{PANEL[1]} {PANEL[2]}\" offscreen, Mesa llvmpipe; CNAI site, Mosquitto + hub "
          f"on loopback)\n")
    print(f"cold start to the first interactive frame: median {statistics.median(starts):.2f} s, "
          f"max {max(starts):.2f} s over {len(starts)} starts (target <= 2 s)")
    print("tap -> next screen completely drawn (ms); 'first' = the first time a language's screen is drawn,\n"
          "'again' = every later time (labels drawn before come from the texture cache):")
    n_lang = result["languages"]
    firsts, agains = [], []
    for name, values in result["taps"].items():
        first, again = values[:n_lang], values[n_lang:]
        firsts += first
        agains += again
        line = f"  {name:<26} first p50 {pct(first, 50):6.1f} max {max(first):6.1f}"
        if again:
            line += f" | again p50 {pct(again, 50):6.1f} p95 {pct(again, 95):6.1f} max {max(again):6.1f}"
        print(line + f"  (n={len(values)})")
    print(f"  {'all taps':<26} first p50 {pct(firsts, 50):6.1f} max {max(firsts):6.1f}"
          + (f" | again p50 {pct(agains, 50):6.1f} p95 {pct(agains, 95):6.1f} max {max(agains):6.1f}"
             if agains else "") + "  (target <= 50)")
    tickets = result["tickets"]
    print(f"final tap -> hub reply -> whole ticket in the File connector (ms): p50 {pct(tickets, 50):.1f}  "
          f"p99 {pct(tickets, 99):.1f}  max {max(tickets):.1f}  (n={len(tickets)}; target p99 <= 150)")
    wire = serial_wire_seconds(int(size), 9600)
    print(f"  a ticket is {size:.0f} bytes: on a 9,600-baud serial printer the first byte leaves as the file "
          f"write starts (p50 {pct(tickets, 50):.0f} ms after the tap), the cut {wire * 1000:.0f} ms later")
    print(f"resident memory after {args.rounds} rounds of every screen in 10 languages and {len(tickets)} tickets: "
          f"{result['rss_mb']:.0f} MB (peak {result['peak_mb']:.0f} MB; target <= 200 MB), of which the label "
          f"texture cache {result['texture_cache_mb']:.0f} MB; a bare Kivy window of the same size with the "
          f"same GL: {baseline:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
