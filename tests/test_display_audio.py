"""Announcements end to end: a counter calls, the hub publishes, the display's
Kivy app plays chime + speech through SDL2, and SDL's disk audio driver
records exactly what would have come out of the speakers
(``SDL_AUDIODRIVER=disk``, ``SDL_DISKAUDIOFILE``).  Real time: ~20 s."""

from __future__ import annotations

import wave
from array import array
from pathlib import Path

import pytest
from kivy_harness import BUILD_DIR, run_scenario
from sites import small_site, small_site_dict

#: SDL2_mixer as Kivy opens it: 44.1 kHz, signed 16 bit, stereo
RATE, CHANNELS = 44100, 2
FRAME_S = 0.01
SILENCE = 250        # |sample| below this is silence (espeak's quietest voiced frames are well above)
GAP_S = 0.4          # silence that separates two parts (the player waits >= 0.5 s between parts in this test)


@pytest.fixture
def site():
    """The small site with Ukrainian and Arabic visitors and a display that may speak both."""
    data = small_site_dict()
    data["site"]["languages"] = ["pt", "en", "uk", "ar"]
    for counter in data["counters"]:
        n = counter["number"]
        counter["name"].update({"uk": f"Вікно {n}", "ar": f"الشباك {n}"})
    for device in data["devices"]:
        device["audio"]["languages"] = ["pt", "en", "uk", "ar"]
    return small_site(data)


def envelope(samples: array, channels: int, rate: int) -> list[float]:
    """Mean absolute level of the first channel per 10 ms frame."""
    step = int(rate * FRAME_S) * channels
    return [sum(abs(samples[i]) for i in range(start, min(start + step, len(samples)), channels))
            / max(1, min(step, len(samples) - start) // channels) for start in range(0, len(samples), step)]


def segments(levels: list[float]) -> list[tuple[float, float, float]]:
    """(start s, duration s, mean level) of each sound separated by >= GAP_S of silence."""
    found, start, quiet = [], None, 0
    for index, level in enumerate(levels + [0.0] * int(GAP_S / FRAME_S + 1)):
        if level > SILENCE:
            if start is None:
                start = index
            quiet = 0
        elif start is not None:
            quiet += 1
            if quiet * FRAME_S >= GAP_S:
                end = index - quiet + 1
                loud = levels[start:end]
                found.append((start * FRAME_S, (end - start) * FRAME_S, sum(loud) / max(1, len(loud))))
                start, quiet = None, 0
    return found


def wav_level(path: str, volume: float) -> tuple[float, float]:
    """(audible duration s, mean level) of a mono WAV from the cache, as heard at ``volume``:
    from the first to the last frame above silence (the chime's tail fades below it)."""
    with wave.open(path) as w:
        data = array("h")
        data.frombytes(w.readframes(w.getnframes()))
        rate = w.getframerate()
    levels = envelope(data, 1, rate)
    loud = [i for i, level in enumerate(levels) if level * volume > SILENCE]
    span = levels[loud[0]:loud[-1] + 1]
    return len(span) * FRAME_S, sum(span) / len(span)


def test_three_quick_calls_are_three_complete_announcements_in_order_with_the_visitors_language(centre, tmp_path):
    kiosk = centre.link("kiosk-1")
    languages = ["pt", "uk", "ar"]
    for language in languages:
        kiosk.request("issue_ticket", service="reception", language=language)
    capture = tmp_path / "speakers.raw"
    expected_parts = 2 + 3 + 3  # chime+pt, chime+pt+uk, chime+pt+ar
    args = {"port": centre.port, "site_id": centre.site.site.id, "passwords": dict(centre.credentials.passwords),
            "roles": {d.id: d.role for d in centre.site.devices}, "display": "display-ground",
            "counter": "counter-1", "data_dir": str(tmp_path / "display-data"), "audio": True, "calls": 3,
            "expected_parts": expected_parts,
            "timing": {"after_chime_s": 0.5, "between_languages_s": 0.6, "between_announcements_s": 1.0}}
    result = run_scenario("display_scenarios:announcements", args, tmp_path=tmp_path, width=1280, height=720,
                          env={"SDL_AUDIODRIVER": "disk", "SDL_DISKAUDIOFILE": str(capture)}, timeout=180)
    codes = [c["code"] for c in result["calls"]]
    assert codes == ["A001", "A002", "A003"]
    history = result["history"]
    # what the player did: every part, in order, none cut off (each ended before the next started)
    assert [(h["kind"], h["code"], h["language"]) for h in history] == [
        ("chime", None, None), ("speech", "A001", "pt"),
        ("chime", None, None), ("speech", "A002", "pt"), ("speech", "A002", "uk"),
        ("chime", None, None), ("speech", "A003", "pt"), ("speech", "A003", "ar")]
    for before, after in zip(history, history[1:]):
        assert before["ended"] <= after["started"], history
        # played to its end: SDL_mixer reports a sound finished once its last samples are mixed into
        # the device buffer, up to one buffer (<= 0.1 s here) before they leave the speaker
        assert before["ended"] - before["started"] >= before["length_s"] - 0.15, history
    assert history[4]["text"] == "Талон а два, Вікно один."
    assert history[7]["text"] == "التذكرة رقم إيه ثلاثة، الشباك واحد."
    # the chime starts well within a second of the counter's request (the bench measures it precisely)
    assert history[0]["started"] - result["calls"][0]["sent"] < 1.0

    # what came out of the speakers: the captured PCM has the same parts, separated by silence
    raw = array("h")
    raw.frombytes(capture.read_bytes())
    found = segments(envelope(raw, CHANNELS, RATE))
    assert len(found) == expected_parts, found
    volume = 0.8  # the site file's audio.volume for the display (default)
    for part, (start, duration, level) in zip(history, found):
        wav_s, wav_mean = wav_level(part["file"], volume)
        assert abs(duration - wav_s) < 0.08, (part, duration, wav_s)
        assert 0.85 * volume < level / wav_mean < 1.15 * volume, (part, level, wav_mean)
    # keep the recording for people to listen to
    out = BUILD_DIR / "display" / "announcements-3-calls.wav"
    out.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(out), "wb") as w:
        w.setnchannels(CHANNELS)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(raw.tobytes())
    assert Path(out).stat().st_size > 0
