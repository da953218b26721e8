"""The shared text module: runs per script, bidi order, wrapping, rendering.

Rendered samples land in build/typeset/<lang>.png for people to look at; the
assertions check what a reader would: every glyph exists in the font drawing
it, Arabic reads right to left with "A023" left to right, lines start at the
right edge in Arabic, every run sits on one baseline, wrapped lines fit.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops, ImageDraw, ImageFont

from typeset import fonts
from typeset.bidi_lines import (grapheme_clusters, lay_out, paragraph_rtl, run_width, text_width, visual_runs,
                                wrap)
from typeset.pillow import line_metrics, render_text
from typeset.scripts import UnsupportedTextError, is_rtl_language, needs_image, script_of, split_runs
from typeset_samples import FAMILY, SAMPLES

LANGS = list(SAMPLES)
INK = 128  # a pixel darker than this (on white) is ink


def family(path: str) -> str:
    return Path(path).name.rsplit("-", 1)[0]


_cmaps: dict[str, set[int]] = {}


def cmap(path: str) -> set[int]:
    """The font's character map, read here with fontTools (not through typeset)."""
    if path not in _cmaps:
        with TTFont(path) as font:
            _cmaps[path] = set(font.getBestCmap())
    return _cmaps[path]


def ink_columns(image: Image.Image) -> list[int]:
    gray = image.convert("L")
    w, h = gray.size
    px = gray.load()
    return [x for x in range(w) if any(px[x, y] < INK for y in range(h))]


def ink_box(image: Image.Image):
    """(left, top, right, bottom) of the dark pixels, right/bottom exclusive."""
    return ImageChops.invert(image.convert("L")).point(lambda v: 255 if v > 255 - INK else 0).getbbox()


# --- scripts and runs -----------------------------------------------------------------------


@pytest.mark.parametrize("char, script", [
    ("a", "latin"), ("ã", "latin"), ("Ç", "latin"), ("ї", "cyrillic"), ("Ω", "greek"),
    ("ت", "arabic"), ("٣", "arabic"), ("ट", "devanagari"), ("ं", "devanagari"), ("५", "devanagari"),
    ("ক", "bengali"), ("্", "bengali"), ("5", "common"), (" ", "common"), ("—", "common"),
    ("،", "common"), ("।", "common"), ("\u0301", "inherited"), ("\u200d", "inherited"),
    ("ש", "hebrew"), ("中", "han"),
])
def test_script_of_each_character(char, script):
    assert script_of(char) == script


def test_script_of_wants_one_character():
    with pytest.raises(ValueError, match="one character"):
        script_of("ab")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("which", [0, 1], ids=["ticket", "sentence"])
def test_runs_give_the_text_back_and_put_the_code_in_a_latin_run(lang, which):
    text = SAMPLES[lang][which]
    runs = split_runs(text)
    assert "".join(r.text for r in runs) == text
    code_run = next(r for r in runs if "A023" in r.text)
    assert family(code_run.font) == "NotoSans" and not code_run.rtl
    own_words = [r for r in runs if r.script not in ("latin", "common")] or runs
    assert {family(r.font) for r in own_words} == {FAMILY[lang]}
    assert all(a.font != b.font or a.script != b.script for a, b in zip(runs, runs[1:])), "runs not merged"


def test_an_arabic_ticket_line_is_three_runs():
    runs = split_runs(SAMPLES["ar"][0])
    assert [(r.text, r.script, r.rtl, family(r.font)) for r in runs] == [
        ("تذكرتك ", "arabic", True, "NotoSansArabic"),
        ("A023 — ", "latin", False, "NotoSans"),
        ("الشباك 5", "arabic", True, "NotoSansArabic"),
    ]


def test_punctuation_a_script_font_lacks_goes_to_a_font_that_has_it():
    # NotoSansArabic has no "(" nor "—": they must not be drawn as boxes in the Arabic font
    runs = split_runs("رقمك (٥) — شكرا")
    for run in runs:
        for ch in run.text:
            assert ord(ch) in cmap(run.font), f"{ch!r} drawn with {family(run.font)}"
    assert any(family(r.font) == "NotoSans" and "(" in r.text for r in runs)


def test_bold_runs_use_bold_files():
    runs = split_runs(SAMPLES["hi"][0], bold=True)
    assert all(r.font.endswith("-Bold.ttf") for r in runs)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("bold", [False, True])
def test_no_tofu_every_character_is_in_its_runs_font(lang, bold):
    for text in SAMPLES[lang]:
        for run in split_runs(text, bold):
            missing = [c for c in run.text if ord(c) not in cmap(run.font)]
            assert not missing, f"{lang}: {missing} not in {Path(run.font).name}"


def test_a_character_no_font_has_is_a_clear_error():
    with pytest.raises(UnsupportedTextError, match=r"U\+4E2D.*han script"):
        split_runs("Senha 中")


# --- languages, code pages ------------------------------------------------------------------


@pytest.mark.parametrize("lang, rtl", [
    ("ar", True), ("ar-EG", True), ("fa", True), ("ur", True), ("he", True), ("ps", True),
    ("pt", False), ("pt-BR", False), ("en", False), ("uk", False), ("hi", False), ("ne", False),
    ("bn", False), ("pa_Arab", True),
])
def test_is_rtl_language(lang, rtl):
    assert is_rtl_language(lang) is rtl


@pytest.mark.parametrize("bad", ["", "zz-nonsense", None])
def test_an_unknown_language_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="language"):
        is_rtl_language(bad)


@pytest.mark.parametrize("lang, image", [
    ("pt", False), ("en", False), ("uk", False), ("ar", True), ("hi", True), ("ne", True), ("bn", True)])
def test_needs_image_for_scripts_code_pages_cannot_shape(lang, image):
    assert all(needs_image(text) is image for text in SAMPLES[lang])


@pytest.mark.parametrize("text, image", [
    ("A023", False), ("Καλημέρα", False), ("e\u0301", False), ("Ґанок 5", False), ("—", False),
    ("שלום", True), ("✓", True), ("A023 ٥", True)])
def test_needs_image_other_cases(text, image):
    assert needs_image(text) is image


# --- fonts ------------------------------------------------------------------------------------


def test_font_path_for_each_script():
    assert family(fonts.font_path("latin")) == family(fonts.font_path("cyrillic")) == "NotoSans"
    assert fonts.font_path("arabic", bold=True).endswith("NotoSansArabic-Bold.ttf")
    assert Path(fonts.font_path("bengali")).is_file()


def test_missing_fonts_say_which_package_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "FONT_DIR", tmp_path)
    fonts.family_path.cache_clear()
    try:
        with pytest.raises(fonts.FontMissingError, match="fonts-noto-core"):
            fonts.font_path("devanagari")
    finally:
        monkeypatch.undo()
        fonts.family_path.cache_clear()
    with pytest.raises(fonts.FontMissingError, match="klingon"):
        fonts.font_path("klingon")


# --- bidi order -------------------------------------------------------------------------------


def test_arabic_line_in_display_order_keeps_the_code_left_to_right():
    runs = visual_runs(SAMPLES["ar"][0])
    assert [(r.text, r.rtl) for r in runs] == [
        ("5", False), ("الشباك ", True), (" — ", True), ("A023", False), ("تذكرتك ", True)]
    assert [family(r.font) for r in runs] == [
        "NotoSansArabic", "NotoSansArabic", "NotoSans", "NotoSans", "NotoSansArabic"]


def test_an_arabic_word_in_a_portuguese_line():
    runs = visual_runs("Balcão: الشباك 5 (A023)")
    assert [(r.text, r.rtl) for r in runs] == [
        ("Balcão: ", False), ("5", False), ("الشباك ", True), (" ", False), ("(A023)", False)]


def test_a_given_base_direction_wins_over_the_first_letter():
    assert [r.text for r in visual_runs("A023 تذكرتك")] == ["A023 ", "تذكرتك"]
    assert [r.text for r in visual_runs("A023 تذكرتك", base_rtl=True)] == ["تذكرتك", " ", "A023"]


def test_grouped_numbers_stay_left_to_right_inside_right_to_left_text():
    """A phone number reads as it is dialled, not group by group from the right (kiosk and ticker alike)."""
    line = "اتصل بالرقم 808 257 257 مجانًا"
    assert [(r.text, r.rtl) for r in visual_runs(line)] == [
        (" مجانًا", True), ("808 257 257", False), ("اتصل بالرقم ", True)]
    assert [r.text for r in visual_runs("الخط 808 24 24 24")] == ["808 24 24 24", "الخط "]
    assert [r.text for r in visual_runs("النسخة 2026.05-1")] == ["2026.05-1", "النسخة "]
    assert [r.text for r in visual_runs("رقم ٨٠٨ ٢٥٧ ٢٥٧")] == ["٨٠٨ ٢٥٧ ٢٥٧", "رقم "]  # Arabic-Indic digits too
    # an Arabic name in a left-to-right line: the number follows it as one unit, as a single number would
    assert [r.text for r in visual_runs("Linha: الخط 808 257 257")] == ["Linha: ", "808 257 257", "الخط "]
    # left-to-right text, single numbers and codes are as the bidi algorithm leaves them
    assert [r.text for r in visual_runs("Ligue 808 257 257")] == ["Ligue 808 257 257"]
    assert [r.text for r in visual_runs("الشباك 5")] == ["5", "الشباك "]
    # the text itself is unchanged (the printer prints these strings): only the order of the runs
    assert "".join(sorted(r.text for r in visual_runs(line))) == "".join(sorted(
        ["اتصل بالرقم ", "808 257 257", " مجانًا"]))


def test_a_grouped_number_draws_as_inside_a_left_to_right_isolate():
    """The picture is the one the kiosk used to get by wrapping numbers in U+2066...U+2069 itself."""
    for text in ("اتصل بالرقم 808 257 257 مجانًا", "الخط 808 24 24 24"):
        isolated = text.replace("808", "\u2066808").replace(" مجانًا", "\u2069 مجانًا") if "مجانًا" in text \
            else text.replace("808", "\u2066808") + "\u2069"
        drawn, expected = render_text(text, 40).convert("RGB"), render_text(isolated, 40).convert("RGB")
        assert ImageChops.difference(drawn, expected).getbbox() is None


def test_visual_runs_takes_one_line():
    with pytest.raises(ValueError, match="one line"):
        visual_runs("a\nb")


# --- wrapping -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_wrapped_lines_fit_and_break_only_at_spaces(lang):
    text = SAMPLES[lang][1]
    lines = wrap(text, 360, 32)
    assert len(lines) >= 3
    assert " ".join(lines) == text
    assert all(text_width(line, 32) <= 360 for line in lines)
    assert all(line and not line.startswith(" ") for line in lines)


def test_wrap_keeps_hard_line_breaks_and_long_lines_fill_the_width():
    lines = wrap("um dois três\nquatro", 10_000, 30)
    assert lines == ["um dois três", "quatro"]
    words = SAMPLES["en"][1].split()
    lines = wrap(SAMPLES["en"][1], 400, 30)
    for line, nxt in zip(lines, lines[1:]):
        assert text_width(f"{line} {nxt.split()[0]}", 30) > 400, "a word would have fitted on the line above"
    assert sum(len(line.split()) for line in lines) == len(words)


def test_a_word_wider_than_the_line_is_cut_between_clusters():
    word = "स्क्रीनप्रतीक्षाक्षेत्र"  # conjuncts and vowel signs all along
    lines = wrap(word, 60, 30)
    assert "".join(lines) == word and len(lines) > 1
    clusters = grapheme_clusters(word)
    boundaries = {sum(len(c) for c in clusters[:i]) for i in range(len(clusters) + 1)}
    pos = 0
    for line in lines:
        assert pos in boundaries, f"cut inside a cluster before {line!r}"
        pos += len(line)


def test_wrap_refuses_nonsense_sizes():
    with pytest.raises(ValueError):
        wrap("x", 0, 20)
    with pytest.raises(ValueError):
        wrap("x", 100, -1)


# --- rendering ---------------------------------------------------------------------------------

SIZE = 40
WIDTH = 640


@pytest.mark.parametrize("lang", LANGS)
def test_render_each_language(lang, build_dir):
    """Ticket line (bold) and wrapped sentence, saved for a person to look at."""
    out = build_dir / "typeset"
    out.mkdir(parents=True, exist_ok=True)
    ticket = render_text(SAMPLES[lang][0], SIZE, WIDTH, bold=True)
    sentence = render_text(SAMPLES[lang][1], SIZE, WIDTH, language=lang)
    sheet = Image.new("RGBA", (WIDTH, ticket.height + sentence.height), "white")
    sheet.paste(ticket, (0, 0))
    sheet.paste(sentence, (0, ticket.height))
    sheet.save(out / f"{lang}.png")

    rtl = lang == "ar"
    ascent, descent = line_metrics(SAMPLES[lang][1], SIZE)
    line_h = ascent + descent
    assert sentence.size == (WIDTH, line_h * len(wrap(SAMPLES[lang][1], WIDTH, SIZE, language=lang)))
    assert ink_box(sentence) is not None
    # every line starts at the start edge: right for Arabic, left otherwise
    for i in range(sentence.height // line_h):
        band = sentence.crop((0, i * line_h, WIDTH, (i + 1) * line_h))
        cols = ink_columns(band)
        assert cols, f"line {i} is blank"
        if rtl:
            assert cols[-1] >= WIDTH - 6, f"Arabic line {i} does not start at the right edge"
        else:
            assert cols[0] <= 6, f"line {i} does not start at the left edge"
        assert cols[-1] < WIDTH and cols[0] >= 0


LANGUAGE_NAMES = ("Português · English · Français · Español\nУкраїнська · Русский · Ελληνικά\n"
                  "العربية · فارسی · اردو · עברית\nहिन्दी · नेपाली · বাংলা · ਪੰਜਾਬੀ · தமிழ்\n"
                  "שלום A023 — דלפק 5\nنوبت شما A023 — باجه ۵")


def test_language_names_as_the_start_screen_shows_them(build_dir):
    for paragraph in LANGUAGE_NAMES.split("\n"):
        for run in split_runs(paragraph):
            assert all(ord(c) in cmap(run.font) for c in run.text), f"tofu in {run.text!r}"
    image = render_text(LANGUAGE_NAMES, 36, 900, align="center")
    (build_dir / "typeset").mkdir(parents=True, exist_ok=True)
    image.save(build_dir / "typeset" / "language_names.png")
    for cols in line_bands(image, 6):
        assert abs((cols[0] + cols[-1]) / 2 - 450) < 12, "centred lines"


def code_position(line: str, size: int) -> tuple[float, float]:
    """(left, right) of "A023" in render_text(line, size), from the display-order runs."""
    laid = lay_out(line, size)
    width = render_text(line, size).width
    x0 = width - laid.advance - laid.overhang_right if paragraph_rtl(line) else laid.overhang_left
    for run, offset in zip(laid.runs, laid.offsets):
        if "A023" in run.text:
            assert not run.rtl
            before = run.text[:run.text.index("A023")]
            left = x0 + offset + (run_width(replace(run, text=before), size) if before else 0)
            return left, left + run_width(replace(run, text="A023"), size)
    raise AssertionError(f"no run of {line!r} holds A023")


@pytest.mark.parametrize("lang", LANGS)
def test_the_code_sits_on_the_baseline_of_the_line(lang):
    """'A023' is drawn with NotoSans inside a line of another font: its letters must
    stand on the line's baseline, not float (ink bottom of the code = baseline)."""
    line = SAMPLES[lang][0]
    image = render_text(line, SIZE)
    ascent, _ = line_metrics(line, SIZE)
    left, right = code_position(line, SIZE)
    box = ink_box(image.crop((int(left) + 2, 0, int(right) - 2, image.height)))
    assert box is not None
    assert abs(box[3] - ascent) <= 1, f"A023 bottom at {box[3]}, baseline at {ascent}"


def test_arabic_code_reads_left_to_right_in_the_image():
    """The pixels where the bidi order puts the code are 'A023' drawn alone, left to right."""
    line = SAMPLES["ar"][0]
    image = render_text(line, SIZE).convert("L")
    left, right = code_position(line, SIZE)
    baseline = line_metrics(line, SIZE)[0]
    margin = 4  # the neighbouring Arabic letters' ink may reach into the code's side bearings
    here = image.crop((int(left) + margin, 0, int(right) - margin, image.height))

    def alone(word: str) -> Image.Image:
        """`word` drawn by itself with NotoSans at the same sub-pixel offset."""
        picture = Image.new("L", image.size, 255)
        font = ImageFont.truetype(fonts.font_path("latin"), SIZE, layout_engine=ImageFont.Layout.RAQM)
        ImageDraw.Draw(picture).text((left, baseline), word, font=font, fill=0, anchor="ls")
        return picture.crop((int(left) + margin, 0, int(right) - margin, image.height))

    same, wrong = mean_difference(here, alone("A023")), mean_difference(here, alone("320A"))
    assert same < 2 and wrong > 20, f"A023 is not drawn left to right there ({same:.1f} vs {wrong:.1f})"


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    diff = list(ImageChops.difference(a, b).get_flattened_data())
    return sum(diff) / len(diff)


@pytest.mark.parametrize("lang", LANGS)
def test_no_ink_is_cut_at_the_edges(lang):
    """Some glyphs reach past their advance ("j" to the left): a line rendered to
    exactly its width, or at the start edge of a wrapped block, keeps all its ink."""
    edge_cases = {"pt": ["jogo off"], "bn": ["আমি"]}  # "j" hangs left, "ff" and "মি" right
    for line in wrap(SAMPLES[lang][1], WIDTH, SIZE, language=lang) + edge_cases.get(lang, []):
        roomy = ink_box(render_text(line, SIZE, WIDTH + 200, align="center", language=lang))
        for tight in (render_text(line, SIZE, language=lang), render_text(line, SIZE, WIDTH, language=lang)):
            box = ink_box(tight)
            assert box[2] - box[0] >= roomy[2] - roomy[0] - 1, f"{lang}: ink cut in {line!r}"


@pytest.mark.parametrize("text", [
    *(t for pair in SAMPLES.values() for t in pair),
    "مَرْحَبًا بِكُمْ فِي المَرْكَز",  # Arabic with vowel marks stacked above and below
    "कृपया श्रृंखला ड्रॉ क्षत्रिय",  # Devanagari marks below and above the headline
    "কৃষ্ণ গ্রন্থ",
])
def test_no_ink_is_cut_above_or_below(text):
    image = render_text(text, SIZE, WIDTH)
    top, bottom = ink_box(image)[1], ink_box(image)[3]
    assert top > 0 and bottom < image.height, f"ink touches the image edge ({top}, {bottom}, {image.height})"


def test_latin_and_arabic_lines_keep_a_similar_rhythm():
    """Line height follows the ink, not Noto Sans Arabic's 2.1 em reserve."""
    latin = sum(line_metrics(SAMPLES["pt"][1], SIZE))
    arabic = sum(line_metrics(SAMPLES["ar"][1], SIZE))
    assert latin <= arabic <= 1.25 * latin


def test_alignment_center_and_end():
    text = SAMPLES["pt"][0]
    natural = render_text(text, SIZE).width
    centred = ink_columns(render_text(text, SIZE, 1000, align="center"))
    assert abs((centred[0] + centred[-1]) / 2 - 500) < 10
    end = ink_columns(render_text(text, SIZE, 1000, align="end"))
    assert end[-1] >= 1000 - 6 and end[0] >= 1000 - natural - 6
    arabic_end = ink_columns(render_text(SAMPLES["ar"][0], SIZE, 1000, align="end"))
    assert arabic_end[0] <= 6, "end of an Arabic line is the left edge"


def line_bands(image: Image.Image, count: int) -> list[list[int]]:
    h = image.height // count
    return [ink_columns(image.crop((0, i * h, image.width, (i + 1) * h))) for i in range(count)]


def test_each_paragraph_starts_at_its_own_edge():
    """A ticket shows the service in Arabic and in Portuguese: each line starts at its edge;
    a line without letters follows the paragraph before it."""
    image = render_text("خدمة الإقامة\nAutorização de residência\nتذكرتك\n5", SIZE, WIDTH)
    arabic, portuguese, arabic2, number = line_bands(image, 4)
    assert arabic[-1] >= WIDTH - 6 and arabic[0] > WIDTH / 3
    assert portuguese[0] <= 6
    assert arabic2[-1] >= WIDTH - 6 and number[-1] >= WIDTH - 6
    forced = line_bands(render_text("خدمة الإقامة\nAutorização de residência", SIZE, WIDTH, base_rtl=True), 2)
    assert forced[1][-1] >= WIDTH - 6, "a given base direction applies to every paragraph"


def test_physical_left_and_right():
    left = line_bands(render_text(SAMPLES["ar"][0], SIZE, WIDTH, align="left"), 1)[0]
    right = line_bands(render_text(SAMPLES["pt"][0], SIZE, WIDTH, align="right"), 1)[0]
    assert left[0] <= 6 and right[-1] >= WIDTH - 6


def test_transparent_background_keeps_the_ink_colour():
    image = render_text("A023", SIZE, fill=(255, 255, 255), background=None)
    alphas = [a for *_, a in image.get_flattened_data()]
    assert min(alphas) == 0 and max(alphas) == 255
    assert {px[:3] for px in image.get_flattened_data()} == {(255, 255, 255)}


def test_render_refuses_a_bad_alignment():
    with pytest.raises(ValueError, match="align"):
        render_text("x", 20, align="middle")


# --- which text: the one picker every role uses --------------------------------------------------


def test_a_site_text_in_the_visitors_language_else_english_else_the_sites_default_else_any():
    from typeset.i18n import fallback_languages, pick
    text = {"pt": "Saúde", "en": "Health", "uk": "Здоров’я"}
    assert pick(text, "uk", "pt") == "Здоров’я"
    assert pick(text, "hi", "pt") == "Health"
    assert pick({"pt": "Saúde", "es": "Salud"}, "hi", "es") == "Salud"    # the site's default, not pt
    assert pick({"pt": "Saúde", "en": ""}, "hi", "pt") == "Saúde"         # empty counts as missing
    assert pick({"fr": "Santé"}, "hi", "pt") == "Santé"                   # a table without the default: any
    assert pick({}, "hi", "pt") == pick(None, "hi", "pt") == ""
    assert fallback_languages("ar", "pt") == ("ar", "en", "pt")
    assert fallback_languages("en", "en") == ("en",)


def test_catalogs_chain_the_visitors_language_english_portuguese_and_the_source(tmp_path):
    from typeset.i18n import Catalogs

    def po(language: str, entries: dict[str, str]) -> None:
        path = tmp_path / language / "LC_MESSAGES" / "demo.po"
        path.parent.mkdir(parents=True)
        body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
        path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' + body,
                        encoding="utf-8")

    po("uk", {"Back": "Назад"})
    po("en", {"Back": "Back", "Done": "Finished"})
    po("pt", {"Back": "Voltar", "Done": "Terminar", "Wait": "Aguarde"})
    catalogs = Catalogs(tmp_path, "demo")
    assert catalogs.languages() == ["en", "pt", "uk"]
    assert [catalogs.gettext("uk", m) for m in ("Back", "Done", "Wait", "Other")] == [
        "Назад", "Finished", "Aguarde", "Other"]
    assert catalogs.translator("uk") is catalogs.translator("uk")
    assert catalogs.ngettext("de", "one", "many", 2) == "many"
