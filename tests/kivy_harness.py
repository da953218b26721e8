"""Run a real Kivy window per scenario, in its own process, and drive it with touches.

Kivy allows one window per process and reads its environment at import time,
so every UI scenario runs in a fresh subprocess.  Two halves:

**In the test (parent process)**::

    from kivy_harness import run_scenario
    result = run_scenario("test_kiosk_ui:pick_a_matter", {"language": "uk"}, tmp_path=tmp_path)
    assert result["code"].startswith("M")

``run_scenario`` starts ``python tests/kivy_harness.py module:function``
with SDL's offscreen driver, ``KIVY_NO_ARGS``, a private ``KIVY_HOME`` and
the Pillow text provider (it shapes Arabic and Indic scripts), then returns
the dict the scenario returned (JSON).  A scenario that raises fails the test
with its traceback.

**In the scenario (child process)**: a module-level function that takes the
args dict, builds its app and hands it to :func:`run_app` with a script.  The
script runs in a helper thread; every ``Driver`` call hops to Kivy's main
thread and waits for it, so scripts read like a person using the screen::

    def pick_a_matter(args):
        from kiosk.app import KioskApp          # import Kivy only here
        app = KioskApp(...)

        def script(ui: Driver) -> dict:
            ui.wait_until(lambda: app.root.current == "start", what="the start screen")
            ui.tap(ui.find(lambda w: getattr(w, "language", None) == args["language"]))
            ui.screenshot("kiosk/start-uk")
            return {"screen": ui.call(lambda: app.root.current)}

        return run_app(app, script)

Screenshots are taken inside ``Window.on_flip`` after a few frames, because
the offscreen GL back buffer is only complete there (a screenshot from a
clock callback reads black).  Every wait has a timeout and a description.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
BUILD_DIR = Path(os.environ.get("ONESTOP_BUILD_DIR", REPO / "build"))
RESULT_ENV = "KIVY_HARNESS_RESULT"
DEFAULT_TIMEOUT_S = float(os.environ.get("KIVY_HARNESS_TIMEOUT", "120"))
#: how long one hop to Kivy's main thread may take (an emulated arm64 kiosk draws a frame in seconds)
CALL_TIMEOUT_S = float(os.environ.get("KIVY_HARNESS_CALL_TIMEOUT", "10"))


# ---------------------------------------------------------------------------
# Parent side
# ---------------------------------------------------------------------------


def kivy_env(home: Path | str, width: int = 800, height: int = 480, extra: dict[str, str] | None = None) -> dict:
    """The environment a Kivy child needs, set before Kivy is imported."""
    env = dict(os.environ)
    env.update({
        "KIVY_NO_ARGS": "1",
        "KIVY_HOME": str(home),
        "KIVY_TEXT": "pil",
        "KIVY_NO_CONSOLELOG": "1",
        "KIVY_NO_FILELOG": "1",
        "KIVY_LOG_MODE": "PYTHON",
        "SDL_VIDEODRIVER": os.environ.get("KIVY_HARNESS_VIDEODRIVER", "offscreen"),
        "SDL_AUDIODRIVER": os.environ.get("SDL_AUDIODRIVER", "dummy"),
        "KIVY_HARNESS_WIDTH": str(width),
        "KIVY_HARNESS_HEIGHT": str(height),
        "ONESTOP_BUILD_DIR": str(BUILD_DIR),
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    })
    env.update(extra or {})
    return env


class ScenarioFailed(AssertionError):
    pass


def run_scenario(target: str, args: dict | None = None, *, tmp_path: Path | str | None = None,
                 width: int = 800, height: int = 480, env: dict[str, str] | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S) -> dict:
    """Run ``module:function`` in a fresh process with a real offscreen Kivy window; return its result."""
    workdir = Path(tmp_path) if tmp_path is not None else Path(tempfile.mkdtemp(prefix="kivy-scenario-"))
    workdir.mkdir(parents=True, exist_ok=True)
    name = target.replace(":", "-").replace(".", "-")
    result_file = workdir / f"{name}.result.json"
    result_file.unlink(missing_ok=True)
    child_env = kivy_env(workdir / f"{name}.kivy-home", width, height, {RESULT_ENV: str(result_file), **(env or {})})
    cmd = [sys.executable, str(Path(__file__).resolve()), target, json.dumps(args or {})]
    try:
        run = subprocess.run(cmd, env=child_env, capture_output=True, text=True, timeout=timeout, cwd=str(REPO))
    except subprocess.TimeoutExpired as exc:
        raise ScenarioFailed(f"{target} did not finish within {timeout} s\n--- stderr ---\n"
                             f"{(exc.stderr or b'')[-4000:] if isinstance(exc.stderr, str) else ''}") from None
    if run.returncode != 0 or not result_file.exists():
        raise ScenarioFailed(f"{target} failed (exit {run.returncode})\n--- stdout ---\n{run.stdout[-3000:]}"
                             f"\n--- stderr ---\n{run.stderr[-6000:]}")
    return json.loads(result_file.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------
# Child side
# ---------------------------------------------------------------------------


def _touch(x: float, y: float):
    """A touch at window coordinates, as ``kivy.tests.common.UnitTestTouch`` makes it; written here
    because kivy.tests imports pytest, which a device's own environment (the Pi rehearsal) lacks."""
    from kivy.base import EventLoop
    from kivy.input.motionevent import MotionEvent

    class Touch(MotionEvent):
        def depack(self, args):
            self.sx, self.sy = args["x"], args["y"]
            super().depack(args)

        def touch_down(self):
            EventLoop.post_dispatch_input("begin", self)

        def touch_up(self):
            EventLoop.post_dispatch_input("end", self)

    window = EventLoop.window
    touch = Touch("HarnessTouch", 99, {"x": x / (window.width - 1.0), "y": y / (window.height - 1.0)},
                  is_touch=True, type_id="touch")
    touch.profile = ["pos"]
    return touch


class Driver:
    """What a scenario script uses: every call runs on Kivy's main thread."""

    def __init__(self, app):
        from kivy.clock import Clock
        from kivy.core.window import Window
        self.app = app
        self.Clock = Clock
        self.Window = Window
        self._flips = 0
        self._flip_cond = threading.Condition()
        self._flip_hooks: list[Callable[[], None]] = []
        Window.bind(on_flip=self._on_flip)

    # -- main-thread plumbing ------------------------------------------------
    def _on_flip(self, *_):
        hooks, self._flip_hooks = self._flip_hooks, []
        for hook in hooks:
            hook()
        with self._flip_cond:
            self._flips += 1
            self._flip_cond.notify_all()

    def call(self, fn: Callable[..., Any], *args, timeout: float = CALL_TIMEOUT_S) -> Any:
        """Run ``fn(*args)`` on the main thread and return its result (or raise its exception)."""
        done = threading.Event()
        box: dict[str, Any] = {}

        def run(_dt):
            try:
                box["value"] = fn(*args)
            except BaseException as exc:  # handed back to the script thread
                box["error"] = exc
            done.set()

        self.Clock.schedule_once(run, 0)
        if not done.wait(timeout):
            import faulthandler
            sys.stderr.write("--- every thread, while the main thread is stuck ---\n")
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            raise TimeoutError(f"the main thread did not run {getattr(fn, '__name__', fn)} within {timeout} s")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def frames(self, count: int = 2, timeout: float = CALL_TIMEOUT_S) -> None:
        """Wait until ``count`` more frames were drawn (asks for redraws meanwhile)."""
        with self._flip_cond:
            target = self._flips + count
        deadline = time.monotonic() + timeout
        while True:
            self.call(self.Window.canvas.ask_update)
            with self._flip_cond:
                if self._flips >= target:
                    return
                self._flip_cond.wait(max(0.0, min(0.05, deadline - time.monotonic())))
                if self._flips >= target:
                    return
            if time.monotonic() > deadline:
                import faulthandler
                sys.stderr.write("--- every thread, while no frame is drawn ---\n")
                faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
                raise TimeoutError(f"fewer than {count} frames drawn within {timeout} s")

    def wait_until(self, predicate: Callable[[], Any], timeout: float = CALL_TIMEOUT_S, what: str = "the condition") -> Any:
        """Poll ``predicate`` on the main thread until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.call(predicate)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.02)

    # -- finding and touching --------------------------------------------------
    def walk(self) -> list:
        """Every widget in the window (popups included), parents before children."""
        return self.call(lambda: list(_widgets(self.Window)))

    def find(self, predicate: Callable[[Any], bool], timeout: float = CALL_TIMEOUT_S, what: str = "a widget") -> Any:
        """The first widget on screen for which ``predicate(widget)`` is true (waits for it)."""
        def search():
            for widget in _widgets(self.Window):
                try:
                    if predicate(widget) and _on_screen(widget):
                        return widget
                except Exception:
                    continue
            return None
        return self.wait_until(search, timeout, what)

    def find_all(self, predicate: Callable[[Any], bool]) -> list:
        return self.call(lambda: [w for w in _widgets(self.Window) if _safe(predicate, w) and _on_screen(w)])

    def tap(self, widget, settle_frames: int = 1) -> None:
        """Press and release a real touch at the centre of ``widget`` (window coordinates)."""
        def press():
            x, y = widget.to_window(*widget.center)
            touch = _touch(x, y)
            touch.touch_down()
            touch.touch_up()
        self.call(press)
        if settle_frames:
            self.frames(settle_frames)

    def tap_at(self, x: float, y: float) -> None:
        def press():
            touch = _touch(x, y)
            touch.touch_down()
            touch.touch_up()
        self.call(press)

    # -- pictures ----------------------------------------------------------------
    def screenshot(self, name: str, settle_frames: int = 3, timeout: float = CALL_TIMEOUT_S) -> Path:
        """Save the window as ``build/<name>.png`` after ``settle_frames`` frames were drawn."""
        self.frames(settle_frames)
        path = BUILD_DIR / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        done = threading.Event()
        box: dict[str, Any] = {}

        def grab():
            try:
                # read as RGBA (4 bytes a pixel): Kivy's own screenshot reads RGB rows, which OpenGL
                # pads to 4 bytes, so a window 1366 px wide (4098 bytes a row) came out sheared
                from kivy.graphics.opengl import GL_RGBA, GL_UNSIGNED_BYTE, glReadPixels
                from PIL import Image
                width, height = self.Window.system_size
                pixels = glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE)
                image = Image.frombytes("RGBA", (width, height), pixels).transpose(Image.FLIP_TOP_BOTTOM)
                written = path.with_suffix(".part.png")
                image.convert("RGB").save(written)
                box["written"] = str(written)
            except BaseException as exc:
                box["error"] = exc
            done.set()

        self._flip_hooks.append(grab)
        self.call(self.Window.canvas.ask_update)
        if not done.wait(timeout):
            raise TimeoutError(f"no frame drawn for the screenshot {name} within {timeout} s")
        if "error" in box:
            raise box["error"]
        written = Path(box["written"])
        written.replace(path)
        return path


def _widgets(window):
    for root in list(window.children):
        yield from root.walk(restrict=True)


def _safe(predicate, widget) -> bool:
    try:
        return bool(predicate(widget))
    except Exception:
        return False


def _on_screen(widget) -> bool:
    """Visible to a person: attached to the window, not hidden, not on an inactive screen."""
    from kivy.uix.screenmanager import Screen, ScreenManager
    node = widget
    while node is not None:
        if getattr(node, "opacity", 1) == 0 or getattr(node, "disabled", False):
            return False
        parent = node.parent
        if isinstance(node, Screen) and isinstance(parent, ScreenManager) and parent.current_screen is not node:
            return False
        if parent is node:
            break
        node = parent
    return True


def run_app(app, script: Callable[[Driver], Any], timeout: float = DEFAULT_TIMEOUT_S) -> Any:
    """Run ``app`` on the main thread and ``script(driver)`` beside it; stop the app when the script ends.

    Returns what the script returned; re-raises what it raised."""
    from kivy.clock import Clock
    box: dict[str, Any] = {}

    def start(_dt):
        driver = Driver(app)

        def body():
            try:
                box["value"] = script(driver)
            except BaseException as exc:
                box["error"] = exc
                box["trace"] = traceback.format_exc()
            finally:
                Clock.schedule_once(lambda _dt: app.stop(), 0)

        threading.Thread(target=body, name="kivy-scenario", daemon=True).start()

    def watchdog(_dt):
        box.setdefault("error", TimeoutError(f"the scenario ran longer than {timeout} s"))
        app.stop()

    Clock.schedule_once(start, 0)
    Clock.schedule_once(watchdog, timeout)
    app.run()
    if "error" in box:
        sys.stderr.write(box.get("trace", ""))
        raise box["error"]
    return box.get("value")


def configure_window() -> None:
    """Window size from the parent's settings; call before ``kivy.core.window`` is imported."""
    from kivy.config import Config
    Config.set("graphics", "width", os.environ.get("KIVY_HARNESS_WIDTH", "800"))
    Config.set("graphics", "height", os.environ.get("KIVY_HARNESS_HEIGHT", "480"))
    Config.set("graphics", "resizable", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "exit_on_escape", "0")


def child_main(argv: list[str]) -> int:
    target, raw_args = argv[0], (argv[1] if len(argv) > 1 else "{}")
    module_name, function_name = target.split(":", 1)
    configure_window()
    module = importlib.import_module(module_name)
    result = getattr(module, function_name)(json.loads(raw_args))
    out = os.environ.get(RESULT_ENV)
    if out:
        Path(out).write_text(json.dumps(result if result is not None else {}, ensure_ascii=False, default=str),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(TESTS_DIR))
    sys.path.insert(0, str(REPO))
    sys.exit(child_main(sys.argv[1:]))
