"""The chime before every announcement: two soft bell tones ("ding-dong").

Made here rather than shipped as a file, so it has the synthesiser's format
(mono, 16 bit, 22 050 Hz) and no licence question.  Each tone is a sine with
two quieter overtones and an exponential decay, so it is heard over a
waiting room without being harsh.
"""

from __future__ import annotations

import math
import os
import wave
from array import array
from pathlib import Path

RATE = 22050
#: (frequency Hz, start s, length s): E5 then C5, a falling major third
TONES = ((659.25, 0.0, 0.9), (523.25, 0.45, 1.1))
PEAK = 0.55  # of full scale, leaves room for the mixer's volume


def chime_samples(rate: int = RATE) -> array:
    length = max(start + dur for _, start, dur in TONES)
    total = int(length * rate)
    mix = [0.0] * total
    for freq, start, dur in TONES:
        first = int(start * rate)
        for n in range(int(dur * rate)):
            t = n / rate
            envelope = min(1.0, t / 0.01) * math.exp(-4.0 * t / dur)
            value = (math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t)
                     + 0.1 * math.sin(6 * math.pi * freq * t)) / 1.4
            if first + n < total:
                mix[first + n] += envelope * value
    peak = max(abs(v) for v in mix) or 1.0
    return array("h", (int(v / peak * PEAK * 32767) for v in mix))


def chime_wav(directory: Path | str) -> Path:
    """The chime's WAV in ``directory`` (written once)."""
    path = Path(directory) / "chime-v1.wav"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(chime_samples().tobytes())
    os.replace(tmp, path)
    return path
