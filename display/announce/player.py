"""Plays announcements through Kivy's SoundLoader (SDL2 audio), one part at a time.

The chime starts at once; the phrases are synthesised (or found in the
cache) on a worker thread while it rings, and each part starts only when the
one before has ended, after a configurable gap.  So an announcement is never
cut off, and with ``SDL_AUDIODRIVER=disk`` everything played lands in
``SDL_DISKAUDIOFILE`` for the tests to check.

Everything here runs on Kivy's main thread; the worker hands results back
with ``Clock.schedule_once``.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kivy.clock import Clock
from kivy.core.audio import SoundLoader

from display.board import CallToAnnounce

from .chime import chime_wav
from .plan import CHIME, Part, plan
from .queue import AnnouncementQueue
from .speech import SpeechCache, SpeechError
from .timing import AnnounceTiming

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AudioSettings:
    """The display's ``audio`` slice (site file) as the player uses it."""

    enabled: bool = True
    volume: float = 0.8
    chime: bool = True
    languages: tuple[str, ...] = ()
    voices: tuple[tuple[str, str], ...] = ()
    max_queue_delay_s: float = 20.0

    @classmethod
    def from_slice(cls, audio: dict | None) -> "AudioSettings":
        audio = audio or {}
        return cls(enabled=bool(audio.get("enabled", True)), volume=float(audio.get("volume", 0.8)),
                   chime=bool(audio.get("chime", True)), languages=tuple(audio.get("languages") or ()),
                   voices=tuple(sorted((audio.get("voices") or {}).items())),
                   max_queue_delay_s=float(audio.get("max_queue_delay_s", 20.0)))


class AnnouncementPlayer:
    """Queue + plan + speech cache + SDL playback."""

    def __init__(self, cache_dir: Path | str, counter_names: Callable[[str], dict[str, str]],
                 default_language: Callable[[], str], timing: AnnounceTiming = AnnounceTiming(),
                 settings: AudioSettings = AudioSettings(), clock: Callable[[], float] = time.monotonic,
                 on_part: Callable[[dict], None] | None = None, on_idle: Callable[[], None] | None = None,
                 on_error: Callable[[str], None] | None = None):
        self.cache_dir = Path(cache_dir)
        self.counter_names = counter_names
        self.default_language = default_language
        self.timing = timing
        self.clock = clock
        self.on_part = on_part
        self.on_idle = on_idle
        #: told (on the worker thread) when speech fails, so the device can report it
        self.on_error = on_error
        self.queue = AnnouncementQueue(settings.max_queue_delay_s)
        self.settings = settings
        self.speech = SpeechCache(self.cache_dir, dict(settings.voices))
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech")
        self._chime_path = chime_wav(self.cache_dir)
        self._chime = SoundLoader.load(str(self._chime_path))
        self._parts: list[Part] = []
        self._futures: list[Future | None] = []
        self._index = 0
        self._sound = None
        self._closed = False
        #: every part played: kind, language, text, file, start and end (monotonic), for tests and the bench
        self.history: list[dict] = []

    # ---------------------------------------------------------------- API
    def configure(self, settings: AudioSettings) -> None:
        """Apply a new audio slice (volume, voices, languages, delay) from the next announcement on."""
        if settings.voices != self.settings.voices:
            self.speech = SpeechCache(self.cache_dir, dict(settings.voices))
        self.settings = settings
        self.queue.max_delay_s = settings.max_queue_delay_s

    def announce(self, call: CallToAnnounce) -> None:
        """Queue a live call (main thread)."""
        if self._closed or not self.settings.enabled:
            return
        self.queue.push(call, self.clock())
        self._pump()

    @property
    def idle(self) -> bool:
        return not self.queue.busy and not self.queue.waiting

    def close(self) -> None:
        self._closed = True
        self._worker.shutdown(wait=False, cancel_futures=True)

    # ----------------------------------------------------------- playing
    def _plan(self, announcement) -> list[Part]:
        return plan(announcement, self.counter_names, self.default_language(), self.settings.languages,
                    chime=self.settings.chime)

    def _synthesise(self, phrase):
        try:
            return self.speech.wav(phrase)
        except SpeechError as exc:
            log.error("announcement: %s", exc)
            if self.on_error:
                self.on_error(str(exc))
            return None

    def _prepare(self, phrase):
        """On the worker: the phrase's WAV and its loaded Sound (SDL converts it to the mixer's
        format while loading, which the main thread must not wait for)."""
        path = self._synthesise(phrase)
        return (path, SoundLoader.load(str(path))) if path else (None, None)

    def _pump(self, *_):
        if self._closed:
            return
        announcement = self.queue.start_next(self.clock())
        if announcement is None:
            return
        self._parts = self._plan(announcement)
        self._futures = [self._worker.submit(self._prepare, p.phrase) if p.phrase else None for p in self._parts]
        self._index = 0
        self._play_current()

    def _play_current(self, *_):
        if self._closed:
            return
        if self._index >= len(self._parts):
            self.queue.finish(self.clock())
            if self.on_idle and not self.queue.waiting:
                self.on_idle()
            Clock.schedule_once(self._pump, self.timing.between_announcements_s)
            return
        part = self._parts[self._index]
        if part.kind == CHIME:
            path = self._chime_path
            sound = self._chime
        else:
            future = self._futures[self._index]
            if not future.done():
                future.add_done_callback(lambda _f: Clock.schedule_once(self._play_current, 0))
                return
            path, sound = future.result()
        if sound is None:
            self._next_part(part)
            return
        sound.volume = self.settings.volume
        entry = {"kind": part.kind, "code": part.code, "language": part.phrase.language if part.phrase else None,
                 "text": part.phrase.text if part.phrase else None, "file": str(path), "started": self.clock(),
                 "length_s": sound.length}
        self.history.append(entry)
        self._sound = sound
        sound.bind(on_stop=self._on_stop)
        sound.play()
        if self.on_part:
            self.on_part(entry)

    def _on_stop(self, sound):
        sound.unbind(on_stop=self._on_stop)
        if sound is not self._chime:
            sound.unload()  # a phrase is played once: free its converted samples now
        if self.history:
            self.history[-1]["ended"] = self.clock()
        self._next_part(self._parts[self._index] if self._index < len(self._parts) else None)

    def _next_part(self, finished: Part | None):
        self._index += 1
        if self._index >= len(self._parts):
            Clock.schedule_once(self._play_current, 0)
            return
        gap = self.timing.after_chime_s if finished and finished.kind == CHIME else self.timing.between_languages_s
        Clock.schedule_once(self._play_current, gap)
