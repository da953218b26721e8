"""ScriptLabel and markup_for in a real (offscreen) Kivy window, one process.

Screenshots land in build/typeset/kivy_*.png; the parent checks the pixels of
the screenshot itself: Arabic paragraphs start at the right edge of their
label, the others at the left, and the labels re-lay themselves out when the
language or the width changes.
"""

from __future__ import annotations

import re

from PIL import Image

from kivy_harness import run_app, run_scenario
from typeset_samples import SAMPLES

WIDTH, HEIGHT = 800, 480
PAD = 12  # label inset from the window edge


def show_samples(args: dict) -> dict:
    """Child side: one screen per language with the ticket line (bold) and the sentence."""
    from kivy.app import App
    from kivy.core.window import Window
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.label import Label

    from typeset.fonts import register_kivy_fonts
    from typeset.kivy import ScriptLabel, markup_for

    Window.clearcolor = (1, 1, 1, 1)
    registered = register_kivy_fonts()

    def fit_height(label):
        label.bind(texture_size=lambda *_: setattr(label, "height", label.texture_size[1]))

    class Samples(App):
        def build(self):
            root = BoxLayout(orientation="vertical", padding=PAD, spacing=10)
            self.ticket = ScriptLabel(font_size=40, bold=True, color=(0, 0, 0, 1), size_hint_y=None)
            self.sentence = ScriptLabel(font_size=30, color=(0, 0, 0, 1), size_hint_y=None)
            for label in (self.ticket, self.sentence):
                fit_height(label)
                root.add_widget(label)
            self.markup = Label(markup=True, font_size=30, color=(0.3, 0.3, 0.3, 1), size_hint_y=None, height=60)
            root.add_widget(self.markup)
            root.add_widget(BoxLayout())  # takes the rest of the height
            return root

    app = Samples()

    def box(widget) -> list[float]:
        """Widget rectangle in screenshot pixels (origin top left)."""
        x, y = widget.to_window(widget.x, widget.y)
        return [x, HEIGHT - (y + widget.height), x + widget.width, HEIGHT - y]

    def texture_ink(label) -> list[int]:
        """Leftmost and rightmost ink column of the label's texture."""
        w, h = label.texture.size
        alpha = label.texture.pixels[3::4]
        cols = [x for x in range(w) if any(alpha[y * w + x] > 128 for y in range(h))]
        return [cols[0], cols[-1], w]

    def script(ui) -> dict:
        result = {"registered": registered, "languages": {}}
        for lang, (ticket, sentence) in SAMPLES.items():
            def show(lang=lang, ticket=ticket, sentence=sentence):
                app.ticket.language = app.sentence.language = lang
                app.ticket.source_text = ticket
                app.sentence.source_text = sentence
                app.markup.text = markup_for(ticket)
            ui.call(show)
            ui.wait_until(lambda: app.sentence.texture is not None and app.sentence.height > 80,
                          what=f"the {lang} sentence to be laid out")
            shot = ui.screenshot(f"typeset/kivy_{lang}")
            result["languages"][lang] = ui.call(lambda: {
                "screenshot": str(shot),
                "ticket_box": box(app.ticket), "sentence_box": box(app.sentence),
                "sentence_texture": list(app.sentence.texture_size),
                "sentence_ink": texture_ink(app.sentence),
                "text": app.sentence.text,
            })

        # the same Arabic paragraph under a left-to-right language starts at the left
        def arabic_as_portuguese():
            app.sentence.source_text = SAMPLES["ar"][1]
            app.sentence.language = "pt"
        ui.call(arabic_as_portuguese)
        ui.frames(3)
        result["arabic_in_pt_ink"] = ui.call(lambda: texture_ink(app.sentence))

        # narrower label: more lines
        def narrow():
            app.sentence.language = "ar"
            app.sentence.size_hint_x = None
            app.sentence.width = 360
        ui.call(narrow)
        ui.wait_until(lambda: app.sentence.texture_size[0] == 360, what="the narrow layout")
        ui.frames(3)
        result["narrow"] = ui.call(lambda: {"texture": list(app.sentence.texture_size),
                                            "ink": texture_ink(app.sentence)})
        ui.screenshot("typeset/kivy_ar_narrow")

        result["markup"] = {t: markup_for(t) for t in ("مرحبا (شكرا)", "[A023] & 5", "تذكرتك A023\nSenha A023")}

        # bad input is refused and changes nothing
        def refuse(name, value):
            before = (app.sentence.language, app.sentence.source_text, app.sentence.texture)
            try:
                setattr(app.sentence, name, value)
            except ValueError as exc:
                after = (app.sentence.language, app.sentence.source_text, app.sentence.texture)
                return {"error": str(exc), "unchanged": after == before}
            return {"error": None}
        result["bad_language"] = ui.call(refuse, "language", "zz-nonsense")
        result["bad_text"] = ui.call(refuse, "source_text", "Senha 中")

        # every language's ticket line at once
        def all_lines():
            root = app.root
            root.clear_widgets()
            for lang, (ticket, _) in SAMPLES.items():
                label = ScriptLabel(source_text=ticket, language=lang, font_size=32, color=(0, 0, 0, 1),
                                    size_hint_y=None)
                fit_height(label)
                root.add_widget(label)
        ui.call(all_lines)
        ui.frames(4)
        ui.screenshot("typeset/kivy_all")
        return result

    return run_app(app, script)


def ink_columns(image: Image.Image, box) -> tuple[int, int]:
    """Leftmost and rightmost dark column of the screenshot inside a widget's box."""
    gray = image.convert("L")
    left, top, right, bottom = (int(round(v)) for v in box)
    px = gray.load()
    cols = [x for x in range(left, right) if any(px[x, y] < 128 for y in range(top, bottom))]
    assert cols, f"no ink inside {box}"
    return cols[0], cols[-1]


def test_script_labels_in_a_real_window(tmp_path):
    from typeset.bidi_lines import wrap
    from typeset.pillow import line_metrics

    result = run_scenario("test_typeset_kivy:show_samples", {}, tmp_path=tmp_path, width=WIDTH, height=HEIGHT)
    assert {"latin", "arabic", "devanagari", "bengali"} <= set(result["registered"])
    inner = WIDTH - 2 * PAD
    for lang, seen in result["languages"].items():
        shot = Image.open(seen["screenshot"])
        assert shot.size == (WIDTH, HEIGHT)
        assert seen["text"] == SAMPLES[lang][1], "text mirrors source_text"
        # the texture spans the label; the number of lines is wrap()'s
        tex_w, tex_h = seen["sentence_texture"]
        assert tex_w == inner
        ascent, descent = line_metrics(SAMPLES[lang][1], 30)
        assert tex_h == (ascent + descent) * len(wrap(SAMPLES[lang][1], inner, 30, language=lang)) >= 2 * (
            ascent + descent)
        # on the screen: lines start at the right edge in Arabic, at the left otherwise
        for key in ("ticket_box", "sentence_box"):
            first, last = ink_columns(shot, seen[key])
            if lang == "ar":
                assert last >= WIDTH - PAD - 6, f"{lang} {key}: ink ends at {last}, not at the right edge"
                if key == "ticket_box":
                    assert first > WIDTH / 3, "the Arabic ticket line is not right-aligned"
            else:
                assert first <= PAD + 6, f"{lang} {key}: ink starts at {first}, not at the left edge"
                if key == "ticket_box":
                    assert last < WIDTH - 100, "a short left-to-right line is not left-aligned"
    # language decides the base direction, and the label follows changes
    left, right, width = result["arabic_in_pt_ink"]
    assert left <= 6, "an Arabic paragraph under language 'pt' starts at the left"
    tex_w, tex_h = result["narrow"]["texture"]
    assert tex_w == 360 and tex_h > result["languages"]["ar"]["sentence_texture"][1]
    left, right, width = result["narrow"]["ink"]
    assert right >= width - 6, "back to Arabic: right edge again"
    markup = {text: re.sub(r"\[font=[^\]]*/(\w+)-Regular\.ttf\]", r"[\1]", m) for text, m in result["markup"].items()}
    # runs in display order; the brackets around an Arabic word are handed over mirrored
    assert markup["مرحبا (شكرا)"] == "[NotoSans]([/font][NotoSansArabic]شكرا[/font][NotoSans])[/font][NotoSansArabic]مرحبا [/font]"
    assert markup["[A023] & 5"] == "[NotoSans]&bl;A023&br; &amp; 5[/font]"
    assert markup["تذكرتك A023\nSenha A023"] == (
        "[NotoSans]A023[/font][NotoSansArabic]تذكرتك [/font]\n[NotoSans]Senha A023[/font]")
    assert "zz-nonsense" in result["bad_language"]["error"] and result["bad_language"]["unchanged"]
    assert "U+4E2D" in result["bad_text"]["error"] and result["bad_text"]["unchanged"]


def test_kivy_stays_out_of_the_printer_path():
    """typeset's non-Kivy modules must import without Kivy (the printer does not need it)."""
    import subprocess
    import sys

    code = ("import sys, typeset.pillow, typeset.scripts, typeset.fonts, typeset.bidi_lines; "
            "sys.exit(1 if any(m == 'kivy' or m.startswith('kivy.') for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
