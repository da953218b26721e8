"""Offline speech: espeak-ng writes a WAV per phrase, cached on disk.

The cache key is the engine's version, the voice, the speed and the exact
text, so a phrase said once (every counter's name, a recalled ticket, the
same code after a transfer) is instant the next time, and an espeak-ng
upgrade or a voice change in the site file never plays a stale file.
Silence espeak-ng puts before and after the words is trimmed, so the gaps
between parts are exactly the player's.  Files are written to a temporary
name and renamed, so a crash never leaves half a WAV in the cache.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
import wave
from array import array
from functools import lru_cache
from pathlib import Path

from .phrases import Phrase

ESPEAK = "espeak-ng"
#: espeak-ng voice per language where the plain code is not what a centre in Portugal wants
DEFAULT_VOICES = {"pt": "pt", "en": "en-gb", "fr": "fr-fr", "es": "es"}
#: samples below this (of 32767) count as silence when trimming
SILENCE_LEVEL = 300


class SpeechError(RuntimeError):
    """The synthesiser is missing or failed; the message says what to do."""


@lru_cache(maxsize=None)
def engine_version(binary: str = ESPEAK) -> str:
    path = shutil.which(binary)
    if path is None:
        raise SpeechError(f"{binary} is not installed: install the Debian package espeak-ng (./onestop setup does)")
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    return out.stdout.strip().split("  Data")[0] or "unknown"


class SpeechCache:
    """Phrase → WAV file, synthesised once with espeak-ng and kept in ``directory``."""

    def __init__(self, directory: Path | str, voices: dict[str, str] | None = None, words_per_minute: int = 150,
                 binary: str = ESPEAK):
        self.directory = Path(directory)
        self.voices = {**DEFAULT_VOICES, **(voices or {})}
        self.words_per_minute = words_per_minute
        self.binary = binary
        self._lock = threading.Lock()
        #: phrases synthesised by this process (the rest came from the cache)
        self.synthesised = 0

    def voice_for(self, language: str) -> str:
        return self.voices.get(language) or self.voices.get(language.split("-")[0]) or language

    def path_for(self, phrase: Phrase) -> Path:
        voice = self.voice_for(phrase.language)
        key = "|".join([engine_version(self.binary), voice, str(self.words_per_minute), phrase.text])
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self.directory / phrase.language / f"{digest}.wav"

    def wav(self, phrase: Phrase) -> Path:
        """The phrase's WAV, synthesising it first when it is not cached (thread-safe)."""
        path = self.path_for(phrase)
        if path.is_file():
            return path
        with self._lock:
            if path.is_file():
                return path
            path.parent.mkdir(parents=True, exist_ok=True)
            raw = path.with_suffix(f".{os.getpid()}.raw.wav")
            cmd = [shutil.which(self.binary) or self.binary, "-v", self.voice_for(phrase.language),
                   "-s", str(self.words_per_minute), "-w", str(raw), "--", phrase.text]
            if shutil.which("nice"):  # a lower priority: the screen must not wait for the synthesiser
                cmd = ["nice", "-n", "10", *cmd]  # (not preexec_fn, which is unsafe with threads)
            try:
                run = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise SpeechError(f"{self.binary} failed for {phrase.language!r}: {exc}") from None
            if run.returncode != 0 or not raw.is_file():
                raw.unlink(missing_ok=True)
                raise SpeechError(f"{self.binary} could not say {phrase.text!r} with voice "
                                  f"{self.voice_for(phrase.language)!r}: {run.stderr.strip() or run.returncode}")
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            trim_silence(raw, tmp)
            raw.unlink(missing_ok=True)
            os.replace(tmp, path)
            self.synthesised += 1
            return path


def trim_silence(source: Path, target: Path, level: int = SILENCE_LEVEL, keep_s: float = 0.02) -> None:
    """Copy a 16-bit WAV without the silence before the first and after the last sound."""
    with wave.open(str(source), "rb") as w:
        params = w.getparams()
        samples = array("h")
        samples.frombytes(w.readframes(w.getnframes()))
    if params.sampwidth != 2:
        raise SpeechError(f"{source}: expected 16-bit samples, got {8 * params.sampwidth}-bit")
    channels = params.nchannels
    first = next((i for i in range(len(samples)) if abs(samples[i]) > level), None)
    if first is not None:
        last = next(i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) > level)
        keep = int(keep_s * params.framerate) * channels
        start = max(0, (first - keep) // channels * channels)
        end = min(len(samples), (last // channels + 1) * channels + keep)
        samples = samples[start:end]
    with wave.open(str(target), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(params.framerate)
        out.writeframes(samples.tobytes())
