"""One counter desk of the demo, on screen: the real counter firmware on gpiozero's MockFactory pins.

``python -m simulator.desk --device FILE`` runs ``counter.device.CounterDevice``
(the firmware of ``onestop-counter``) with its own device file and broker
login, on MockFactory pins instead of a Pi's GPIO and with an I2C bus that
takes the LCD's bytes.  A small window shows what the desk shows, the LCD's
two lines (as the module's ROM draws them) and the status light (read from
the LED pins), and has the desk's five buttons: a tap drives the button's
pin low and lifts it again, so a press goes through the firmware's debounce,
hold and repeat rules like a finger on a real button (hold NEXT to finish).

``--auto S`` plays the clerk: every S seconds it presses NEXT on the mock
pin, unless a person pressed a button in the last 30 s.  Headless, the demo
does not start this window and its clerk sends plain requests instead.

``DeskRig`` is the desk without Kivy (pins, firmware, what the LCD and the
light show); ``DeskApp`` only draws it and turns taps into pin edges.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from dataclasses import dataclass

from counter.controller import BUTTONS
from hardware.counter_display import ascii_fold

#: the buttons' faces, in the order they sit on the desk
FACES = {"next": "NEXT\n(hold: finish)", "recall": "RECALL", "no_show": "NO SHOW", "transfer": "TRANSFER",
         "pause": "PAUSE\n(hold: close)"}
#: a person's press keeps the automatic clerk away this long (s)
HANDS_OFF_S = 30.0
#: how long the automatic clerk holds NEXT down (a short press: longer than the debounce, far under hold_s)
TAP_S = 0.08


class SinkBus:
    """Stands for smbus2.SMBus on a machine without I2C: takes the LCD's bytes (RPLCD writes with
    ``write_byte`` only, through the PCF8574 backpack)."""

    def write_byte(self, address: int, value: int, force=None) -> None:
        pass

    def write_byte_data(self, address: int, register: int, value: int, force=None) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class DeskLook:
    """What a person sees on the desk now."""

    lcd: tuple[str, ...]
    light: tuple[bool, bool, bool]   # red, green, blue lit
    pattern: str                     # the light's pattern (its name, e.g. "serving")
    ready: bool


class DeskRig:
    """The counter firmware on MockFactory pins, its link started, and what it shows."""

    def __init__(self, link):
        from gpiozero.pins.mock import MockFactory

        from counter.device import CounterDevice
        self.factory = MockFactory()
        self.link = link
        self.device = CounterDevice(link, pin_factory=self.factory, i2c_bus=SinkBus())
        self.last_person = 0.0
        self._lock = threading.Lock()

    def start(self) -> "DeskRig":
        self.device.start()
        self.link.start()
        return self

    def close(self) -> None:
        self.device.close()
        self.link.close()

    def _pin(self, button: str):
        hardware = self.device.hardware
        number = getattr(hardware.pins, button, None) if hardware is not None else None
        return None if number is None else self.factory.pin(number)

    def press(self, button: str, person: bool = True) -> None:
        """The button goes down (its pin is pulled up: pressed is low)."""
        pin = self._pin(button)
        if pin is not None:
            if person:
                self.last_person = time.monotonic()
            pin.drive_low()

    def release(self, button: str) -> None:
        pin = self._pin(button)
        if pin is not None:
            pin.drive_high()

    def auto_next(self) -> bool:
        """The automatic clerk's turn: a short press of NEXT, unless a person used the desk lately."""
        if time.monotonic() - self.last_person < HANDS_OFF_S or not self.device.ready.is_set():
            return False
        self.press("next", person=False)
        time.sleep(TAP_S)
        self.release("next")
        return True

    def look(self) -> DeskLook:
        hardware = self.device.hardware
        if hardware is None:
            return DeskLook(("", ""), (False, False, False), "", False)
        display = hardware.display
        shown = getattr(getattr(display, "_writer", None), "shown", None) or []
        columns = getattr(display, "columns", 16)
        lcd = tuple(ascii_fold(line)[:columns].ljust(columns) for line in shown) or ("",)
        pins, active_high = hardware.pins, hardware.pins.led_active_high
        lit = []
        for name in ("led_red", "led_green", "led_blue"):
            number = getattr(pins, name)
            state = bool(self.factory.pin(number).state) if number is not None else False
            lit.append(state == active_high if number is not None else False)
        pattern = hardware.light.pattern.name if hardware.light is not None else ""
        return DeskLook(lcd, tuple(lit), pattern, True)


def _kivy_environment(width: int, height: int) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_TEXT", "pil")
    from kivy.config import Config
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "exit_on_escape", "0")


def run_window(rig: DeskRig, title: str, auto_s: float) -> int:
    """The desk's window until it is closed (or the demo terminates the process)."""
    from kivy.app import App
    from kivy.clock import Clock
    import kivy
    from kivy.graphics import Color, Ellipse, Rectangle
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button
    from kivy.uix.label import Label
    from kivy.uix.widget import Widget

    mono = os.path.join(os.path.dirname(kivy.__file__), "data", "fonts", "RobotoMono-Regular.ttf")

    class Light(Widget):
        def show(self, rgb: tuple[bool, bool, bool]) -> None:
            self.canvas.clear()
            on = any(rgb)
            colour = tuple(0.95 if c else 0.12 for c in rgb) if on else (0.18, 0.2, 0.24)
            size = min(self.width, self.height) * 0.8
            with self.canvas:
                Color(*colour, 1)
                Ellipse(pos=(self.center_x - size / 2, self.center_y - size / 2), size=(size, size))

    class DeskApp(App):
        def build(self):
            self.title = title
            root = BoxLayout(orientation="vertical", padding=12, spacing=10)
            with root.canvas.before:
                Color(0.2, 0.22, 0.25, 1)
                self._bg = Rectangle(pos=root.pos, size=root.size)
            root.bind(pos=lambda w, v: setattr(self._bg, "pos", v), size=lambda w, v: setattr(self._bg, "size", v))
            root.add_widget(Label(text=title, size_hint_y=None, height=30, font_size=18, bold=True,
                                  color=(0.93, 0.94, 0.96, 1), halign="left", text_size=(None, None)))
            middle = BoxLayout(spacing=14)
            self.lcd = Label(font_name=mono, font_size=30, color=(0.08, 0.12, 0.02, 1), halign="left",
                             valign="middle")
            with self.lcd.canvas.before:
                Color(0.62, 0.78, 0.18, 1)
                self._lcd_bg = Rectangle()
            self.lcd.bind(pos=self._place_lcd, size=self._place_lcd)
            middle.add_widget(self.lcd)
            side = BoxLayout(orientation="vertical", size_hint_x=None, width=130)
            self.light = Light()
            self.pattern = Label(size_hint_y=None, height=26, font_size=15, color=(0.85, 0.87, 0.9, 1))
            side.add_widget(self.light)
            side.add_widget(self.pattern)
            middle.add_widget(side)
            root.add_widget(middle)
            buttons = BoxLayout(size_hint_y=None, height=74, spacing=8)
            for name in BUTTONS:
                button = Button(text=FACES[name], halign="center", font_size=15, bold=True)
                button.bind(on_press=lambda _b, n=name: rig.press(n), on_release=lambda _b, n=name: rig.release(n))
                buttons.add_widget(button)
            root.add_widget(buttons)
            Clock.schedule_interval(self._refresh, 0.05)
            if auto_s > 0:
                Clock.schedule_interval(lambda _dt: threading.Thread(target=rig.auto_next, daemon=True).start(),
                                        auto_s)
            return root

        def _place_lcd(self, widget, _value):
            self._lcd_bg.pos, self._lcd_bg.size = widget.pos, widget.size
            widget.text_size = (widget.width - 24, widget.height)

        def _refresh(self, _dt):
            look = rig.look()
            self.lcd.text = "\n".join(look.lcd) if look.ready else "waiting for the hub..."
            self.light.show(look.light)
            self.pattern.text = look.pattern

        def on_stop(self):
            rig.close()

    DeskApp().run()
    return 0


def open_desk(centre, device_id: str, workdir, place, auto_s: float, title: str):
    """Start this window for ``device_id`` of a LocalCentre (the demo's side): its own device file and
    login, its window at ``place`` (simulator.windows.Place); output in ``<workdir>/<device>/desk.log``."""
    import subprocess
    from pathlib import Path
    folder = Path(workdir) / device_id
    folder.mkdir(parents=True, exist_ok=True)
    device_file = centre.write_device_file(device_id, folder / "device.toml", state_dir=folder / "state")
    env = {**os.environ, **place.env(), "KIVY_HOME": str(folder / "kivy")}
    cmd = [sys.executable, "-m", "simulator.desk", "--device", str(device_file), "--size", place.size,
           "--auto", f"{auto_s:.1f}", "--title", title]
    with (folder / "desk.log").open("ab") as log:
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.desk", description=__doc__.splitlines()[0])
    parser.add_argument("--device", required=True, help="the counter's device file")
    parser.add_argument("--size", default="800x300", help="window size WxH")
    parser.add_argument("--auto", type=float, default=0, help="press NEXT every this many seconds (0: never)")
    parser.add_argument("--title", default="", help="the window's heading")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    from mqttlink.bootstrap import open_link
    device, link = open_link(args.device, "counter")
    _kivy_environment(width, height)
    rig = DeskRig(link).start()
    title = args.title or f"{device.device_id}: the counter firmware on MockFactory pins"
    try:
        return run_window(rig, title, args.auto)
    finally:
        rig.close()


if __name__ == "__main__":
    sys.exit(main())
