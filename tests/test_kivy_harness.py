"""The Kivy scenario harness itself: a real offscreen window, a real touch, a real screenshot."""

from __future__ import annotations

from kivy_harness import run_app, run_scenario


def tap_a_button(args: dict) -> dict:
    """Child side: one button that counts presses."""
    from kivy.app import App
    from kivy.uix.button import Button

    class OneButton(App):
        def build(self):
            self.presses = 0
            button = Button(text=args["label"], font_size=40)
            button.bind(on_release=lambda *_: setattr(self, "presses", self.presses + 1))
            return button

    app = OneButton()

    def script(ui) -> dict:
        button = ui.find(lambda w: getattr(w, "text", None) == args["label"], what="the button")
        ui.tap(button)
        ui.wait_until(lambda: app.presses == 1, what="the press to arrive")
        shot = ui.screenshot("harness/one-button")
        return {"presses": app.presses, "screenshot": str(shot)}

    return run_app(app, script)


def test_a_touch_presses_a_button_and_the_screenshot_shows_it(tmp_path):
    from PIL import Image

    result = run_scenario("test_kivy_harness:tap_a_button", {"label": "Press me"}, tmp_path=tmp_path,
                          width=400, height=240)
    assert result["presses"] == 1
    image = Image.open(result["screenshot"]).convert("L")
    assert image.size == (400, 240)
    lo, hi = image.getextrema()
    assert hi - lo > 100, "the screenshot is blank: it was taken outside a drawn frame"


def test_a_failing_scenario_reports_its_traceback(tmp_path):
    import pytest
    from kivy_harness import ScenarioFailed

    with pytest.raises(ScenarioFailed, match="ZeroDivisionError"):
        run_scenario("test_kivy_harness:divide_by_zero", {}, tmp_path=tmp_path, width=320, height=240)


def divide_by_zero(args: dict) -> dict:
    from kivy.app import App
    from kivy.uix.label import Label

    class Blank(App):
        def build(self):
            return Label(text="x")

    return run_app(Blank(), lambda ui: 1 / 0)
