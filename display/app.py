"""The wall display's Kivy app: the board on screen, calls announced aloud.

MQTT messages arrive on paho's thread; the feed puts them in a queue and
wakes Kivy's main thread, which applies them to the BoardModel in arrival
order, announces new calls and redraws once per batch.  Import this module
only after the Kivy environment is set (``display.main`` does it).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder

from display import theme
from display.announce.timing import AnnounceTiming
from display.board import BoardModel
from display.feed import DEVICE, EVENT, HUB, LINK, SITE, ZONE_STATE, ZoneFeed
from display.memory import Memory
from display.widgets import DisplayRoot
from mqttlink.link import DeviceLink

log = logging.getLogger(__name__)

KV_FILE = Path(__file__).with_name("board.kv")


@dataclass
class DisplayOptions:
    """Everything a test or a technician may change; the rest comes from the hub."""

    #: highlight pulse, scrolling ticker, service pages (off in tests: llvmpipe need not redraw at 60 fps)
    motion: bool = True
    highlight_s: float = 8.0
    #: False: never play sound (a display without speakers, or a test that does not listen)
    audio: bool = True
    #: speech and chime cache, and the last picture; None: <state_dir>/display
    data_dir: str | None = None
    timing: AnnounceTiming = field(default_factory=AnnounceTiming)
    #: write one JSON line per shown call and per sound to this file (the benchmark's probe)
    trace: str | None = None
    #: follow the device slice's screen size and orientation (False when the window is given, e.g. tests)
    follow_screen: bool = True


class DisplayApp(App):
    title = "onestop display"

    def __init__(self, link: DeviceLink, device_id: str, options: DisplayOptions | None = None,
                 data_dir: Path | str = "/var/lib/onestop/display", **kwargs):
        super().__init__(**kwargs)
        self.link = link
        self.device_id = device_id
        self.options = options or DisplayOptions()
        self.data_dir = Path(self.options.data_dir or data_dir)
        self.board = BoardModel(device_id, highlight_s=self.options.highlight_s)
        self.memory = Memory(self.data_dir / "last-picture.json")
        self.player = None  # AnnouncementPlayer, made at the first call
        self._inbox: deque = deque()
        self._drain_trigger = Clock.create_trigger(self._drain, 0)
        self._highlight_event = None
        self._trace = open(self.options.trace, "a", encoding="utf-8", buffering=1) if self.options.trace else None
        self._shown_code: str | None = None
        self._rest_pending = False
        self.started_at = time.time()
        self.feed: ZoneFeed | None = None

    # ----------------------------------------------------------- lifecycle
    def build(self):
        from typeset.fonts import register_kivy_fonts
        register_kivy_fonts()
        Builder.load_file(str(KV_FILE))
        Window.clearcolor = theme.rgba(theme.NAVY)
        root = DisplayRoot(animate=self.options.motion)
        self._fit_window(root)
        Window.bind(size=lambda *_: self._fit_window(root), on_flip=self._after_flip)
        remembered = self.memory.load()
        for kind in ("site", "device", "zone_state"):
            if kind in remembered:
                self._apply(kind, remembered[kind], remember=False)
        self.feed = ZoneFeed(self.link, self.device_id, self._post)
        if self.board.zone:
            self.feed.follow(self.board.zone)
        if self._trace:
            root.ids.now.ids.code.bind(texture=self._code_drawn)
            original_flip = Window.flip

            def flip():
                original_flip()
                self._flipped()
            Window.flip = flip
        self.link.start()
        return root

    def on_start(self):
        self._refresh()
        # ready the announcer (imports, SDL audio, the chime) before the first call, not during it
        Clock.schedule_once(lambda _dt: self._player(), 0.5)
        self._log_trace({"event": "started", "t": time.time(), "since_start_s": time.time() - self.started_at})

    def on_stop(self):
        if self.player:
            self.player.close()
        self.root.ids.ticker.stop()
        self.link.close()
        self.memory.close()

    # -------------------------------------------------------------- input
    def _post(self, kind: str, payload) -> None:
        """Called on paho's thread: keep the order, wake the main thread."""
        self._inbox.append((kind, payload))
        self._drain_trigger()

    def _drain(self, _dt=None) -> None:
        new_call = False
        while self._inbox:
            kind, payload = self._inbox.popleft()
            new_call |= self._apply(kind, payload)
        if new_call and self.root is not None:
            # the frame that shows a call should only have to draw the call: the list of
            # previous calls and the waiting counts follow in the frame after it
            self.root.show_newest(self.board.view())
            self._rest_pending = True
            Clock.schedule_once(self._refresh_rest, 0.25)  # in case no frame is drawn
            return
        self._refresh()

    def _after_flip(self, *_):
        if self._rest_pending:
            Clock.schedule_once(self._refresh_rest, 0)

    def _refresh_rest(self, *_):
        if self._rest_pending:
            self._rest_pending = False
            self._refresh()

    def _apply(self, kind: str, payload, remember: bool = True) -> bool:
        """Apply one message; True when it was a new call."""
        board = self.board
        new_call = False
        if kind == SITE:
            board.on_site_config(payload)
        elif kind == DEVICE:
            board.on_device_config(payload)
            if payload:
                self._configure_device(payload.get("device", {}))
        elif kind == ZONE_STATE:
            board.on_zone_state(payload)
        elif kind == EVENT:
            for call in board.on_event(payload):
                new_call = True
                self._log_trace({"event": "call", "code": call.code, "t": time.time()})
                if self._player():
                    self.player.announce(call)
        elif kind == HUB:
            board.on_hub_presence(payload)
        elif kind == LINK:
            board.on_link(bool(payload))
        if remember and kind in (SITE, DEVICE, ZONE_STATE):
            self.memory.remember(kind, payload)
        return new_call

    def _configure_device(self, device: dict) -> None:
        if self.player:
            from display.announce.player import AudioSettings
            self.player.configure(AudioSettings.from_slice(device.get("audio")))
        screen = device.get("screen") or {}
        if self.options.follow_screen and screen and self.root is not None:
            want_portrait = screen.get("orientation") == "portrait"
            if not screen.get("fullscreen", True):
                Window.size = (screen.get("width", 1280), screen.get("height", 720))
            wide = Window.system_size[0] >= Window.system_size[1]
            Window.rotation = 90 if (want_portrait and wide) else 0

    def _player(self):
        """The announcer, made at the first call (its imports and SDL audio cost nothing before)."""
        if not self.options.audio:
            return None
        if self.player is None:
            from display.announce.player import AnnouncementPlayer, AudioSettings
            settings = AudioSettings.from_slice(self.board.device.get("audio"))
            try:
                self.player = AnnouncementPlayer(
                    self.data_dir / "speech", self.board.counter_names, lambda: self.board.config.default_language,
                    timing=self.options.timing, settings=settings, on_part=self._on_sound,
                    on_idle=lambda: self._log_trace({"event": "announcer_idle", "t": time.time()}),
                    on_error=lambda message: self.link.publish_health(audio=f"speech failed: {message}"))
            except Exception as exc:
                log.exception("display: announcements are off")
                self.link.publish_health(audio=f"off: {exc}")
                self.options.audio = False
                return None
        return self.player

    # ------------------------------------------------------------- output
    def _refresh(self, *_):
        root = self.root
        if root is None:
            return
        view = self.board.view()
        root.show(view)
        if self._highlight_event is not None:
            self._highlight_event.cancel()
            self._highlight_event = None
        remaining = self.board.highlight_remaining()
        if remaining > 0:
            self._highlight_event = Clock.schedule_once(self._refresh, remaining + 0.01)

    def _fit_window(self, root: DisplayRoot) -> None:
        width, height = Window.size
        root.s = theme.scale_for(width, height)
        root.portrait = height > width

    # -------------------------------------------------------------- probe
    def _code_drawn(self, label, _texture):
        self._shown_code = label.text

    def _flipped(self):
        if self._shown_code:
            self._log_trace({"event": "flip", "code": self._shown_code, "t": time.time()})
            self._shown_code = None

    def _on_sound(self, part: dict) -> None:
        self._log_trace({"event": "sound", "kind": part["kind"], "code": part["code"],
                         "language": part["language"], "t": time.time()})

    def _log_trace(self, entry: dict) -> None:
        if self._trace:
            self._trace.write(json.dumps(entry) + "\n")


def default_data_dir(state_dir: str) -> Path:
    """``<state_dir>/display`` when writable, else the user's cache (a desktop or the demo)."""
    preferred = Path(state_dir) / "display"
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if os.access(preferred, os.W_OK):
            return preferred
    except OSError:
        pass
    fallback = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "onestop" / "display"
    fallback.mkdir(parents=True, exist_ok=True)
    print(f"onestop-display: {preferred} is not writable; using {fallback}", file=sys.stderr)
    return fallback
