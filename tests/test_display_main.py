"""The display's entry point: window size and orientation before Kivy starts, and the demo's
wall screen (a real onestop-display process in a real X server, Xvfb)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys

import pytest

from display.main import _screen


def args(**kw):
    return argparse.Namespace(size=None, windowed=False, **kw)


def test_the_window_follows_the_screen_remembered_from_the_device_slice(tmp_path):
    assert _screen(tmp_path, args()) == (1920, 1080, True)  # nothing remembered yet
    (tmp_path / "last-picture.json").write_text(json.dumps({"device": {"device": {"screen": {
        "width": 1920, "height": 1080, "orientation": "portrait", "fullscreen": True}}}}))
    assert _screen(tmp_path, args()) == (1080, 1920, True)
    assert _screen(tmp_path, argparse.Namespace(size="1280x720", windowed=False)) == (1280, 720, False)


def test_a_bad_size_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        _screen(tmp_path, argparse.Namespace(size="big", windowed=False))
    assert stop.value.code == 2
    assert "--size wants WxH" in capsys.readouterr().err


def test_the_demo_opens_a_real_wall_screen_when_there_is_a_screen(tmp_path):
    xvfb_run = shutil.which("xvfb-run")
    assert xvfb_run, "xvfb-run is missing: install the Debian package xvfb (./onestop setup does)"
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env.update(KIVY_HOME=str(tmp_path / "kivy-home"), SDL_AUDIODRIVER="dummy")
    run = subprocess.run([xvfb_run, "-a", "-s", "-screen 0 1280x720x24", sys.executable, "-m", "simulator.main",
                          "--duration", "10", "--speed", "60", "--seed", "3", "--workdir", str(tmp_path / "demo")],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "wall screen of display-ground opened" in run.stdout
    picture = json.loads((tmp_path / "demo" / "display-ground" / "display" / "last-picture.json").read_text())
    called = [line.split(">>> ")[1].split()[0] for line in run.stdout.splitlines()
              if line.split()[1:2] == ["display-ground"] and ">>>" in line]
    assert called, run.stdout[-2000:]
    # the window (its own process and broker login) received the calls the printout shows
    shown = [call["code"] for call in picture["zone_state"]["calls"]]
    assert len(set(called) & set(shown)) >= min(3, len(called)), (called, shown)
