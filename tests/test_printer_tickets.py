"""Tickets from the real hub, printed to a File connector, read back from the byte stream.

The hub (real Mosquitto + hub, the CNAI example site, every language) issues
the tickets; the printer writes the real ESC/POS stream to a file; the test
reads the stream back (code, QR payload, cut, which lines went out as text
and which as images), plays it on the tests' own ESC/POS reader
(``escpos_picture``: where every line, picture and QR code lands on the
paper, in which code page) and saves every ticket under build/tickets/: the
layout's picture and the bytes' picture side by side (``pairs/``), and all
of them on one contact sheet (``contact-sheet.png``, copied to
docs/images/tickets.png).
"""

from __future__ import annotations

import copy
import textwrap
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
import segno
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from PIL import Image

import escpos_picture
from catalog_checks import check_translated
from contract.qr import TicketQR
from hardware.printer import PrinterFault, TicketPrinter, media_for, render_ticket_image, render_ticket_png, ticket_layout
from hardware.printer import stream
from hardware.printer.escpos_writer import ticket_bytes
from hardware.printer.i18n import LOCALE_DIR, available_languages
from hardware.printer import codepages
from hardware.printer.media import STYLES
from hardware.printer.images import ink_box, placed_lines, placed_text, print_strip, raster_pieces, text_image
from hardware.printer.layout import QRCode, Rule, Text
from siteconf.load import EXAMPLE_SITE, load_site
from siteconf.slices import public_config
from simulator.centre import LocalCentre
from typeset.scripts import needs_image

#: every language a kiosk offers (the CNAI example offers them all)
LANGUAGES = ["pt", "en", "fr", "es", "uk", "ru", "ar", "hi", "ne", "bn"]
KIOSK = "kiosk-01"


@pytest.fixture(scope="module")
def cnai(tmp_path_factory):
    site = load_site(EXAMPLE_SITE)
    centre = LocalCentre(site, tmp_path_factory.mktemp("cnai")).start()
    yield centre
    centre.close()


@pytest.fixture(scope="module")
def tickets(cnai):
    """One real ticket per language from the hub, as the kiosks get them (two kiosks: each
    may ask for at most ``limits.kiosk.burst`` at once)."""
    first, second = cnai.link(KIOSK), cnai.link("kiosk-02")
    out = {}
    for i, language in enumerate(LANGUAGES):
        link = first if i < len(LANGUAGES) // 2 else second
        out[language] = link.request("issue_ticket", service="immigration", language=language)["ticket"]
    out["priority"] = first.request("issue_ticket", service="triage", language="ar", priority=True)["ticket"]
    # the sorting office's second ticket: a Ukrainian visitor sent on from triage (same code, new service)
    second.request("issue_ticket", service="triage", language="uk")
    sorting = cnai.link("counter-01")
    while sorting.request("call_next")["ticket"]["language"] != "uk":
        pass
    out["second"] = sorting.request("transfer", service="immigration")["ticket"]
    return out


@pytest.fixture(scope="module")
def site_config(cnai):
    return public_config(cnai.site)


def _flat(text: str) -> str:
    """Printed text with its line breaks (wrapping) back to single spaces."""
    return " ".join(text.split())


def texts(layout) -> list[str]:
    """Every text line of a layout, in order."""
    return [block.text for block in layout.blocks if isinstance(block, Text)]


def _privacy_lines(layout) -> list[Text]:
    """The last text lines, under the last rule: what is kept, in the visitor's and the site's language."""
    return [b for b in layout.blocks[max(i for i, b in enumerate(layout.blocks) if isinstance(b, Rule)):]
            if isinstance(b, Text)]


def _size_of(text: str, data: bytes) -> int | None:
    """The GS ! character size in force when ``text`` was printed (0x33 = four times)."""
    size = None
    for item in stream.parse(data):
        if isinstance(item, stream.Command) and item.name == "GS !":
            size = item.data[0]
        elif isinstance(item, stream.TextRun) and text.encode() in item.raw:
            return size
    return None


@pytest.mark.parametrize("language", LANGUAGES)
def test_ticket_printed_to_file_has_code_qr_cut_and_both_languages(language, tickets, site_config, tmp_path,
                                                                   build_dir):
    ticket = tickets[language]
    site = load_site(EXAMPLE_SITE)
    service = site.service("immigration")
    layout = ticket_layout(ticket, site_config)
    capture = tmp_path / "printer.bin"
    with TicketPrinter({"connector": "file", "path": str(capture), "paper_mm": 80}) as printer:
        result = printer.print_ticket(layout)
    data = capture.read_bytes()
    assert result.bytes_sent == len(data) > 0
    (build_dir / "tickets").mkdir(parents=True, exist_ok=True)
    (build_dir / "tickets" / f"ticket-{language}.bin").write_bytes(data)
    render_ticket_png(layout, build_dir / "tickets" / f"ticket-{language}.png")

    assert stream.unknown_commands(data) == []
    assert stream.qr_payloads(data) == [ticket["qr"]]
    assert TicketQR.decode(stream.qr_payloads(data)[0]).ref == ticket["ref"]  # the link to its page (issue 16)
    assert stream.cut_count(data) == 1
    assert stream.parse(data)[-1] == stream.commands(data, "GS V")[-1], "the cut is the last thing sent"

    printed = stream.decoded_text(data, "default")
    # the code, four times the normal size (GS ! 0x33), on its own line
    assert f"\n{ticket['code']}\n" in printed
    assert _size_of(ticket["code"], data) == 0x33
    # the Portuguese service name is always printed as text
    assert service.name["pt"] in printed
    # the hub's issue time, not the device clock
    issued = datetime.fromisoformat(ticket["issued_at"])
    assert f"{issued:%d/%m/%Y  %H:%M}" in printed
    # what is kept, exactly, with the site's own retention period, always in Portuguese too
    days = site_config["site"]["retention_days"]
    assert (f"Não guardamos nomes nem documentos. O registo desta senha é apagado ao fim de {days} dias."
            in _flat(printed))
    visitor_lines = [b.text for b in layout.blocks if isinstance(b, Text) and b.language == language]
    assert service.name[language] in visitor_lines
    images = stream.raster_images(data)
    if language in ("ar", "hi", "bn", "ne"):
        # complex scripts go out as pictures: none of their text is in the character stream
        assert all(needs_image(line) for line in visitor_lines)
        assert not any(line in printed for line in visitor_lines)
        # and the pictures are exactly what typeset draws for those lines, in order (blank bands fed)
        strips = [print_strip(line) for block in layout.blocks if isinstance(block, Text) and needs_image(block.text)
                  for line in placed_lines(block, 576)]
        expected = [piece for strip in strips if strip for piece in raster_pieces(strip) if not isinstance(piece, int)]
        inked = [image for image in images if ink_box(image)]
        assert len(inked) == len(expected) >= len(visitor_lines)
        for image, picture in zip(inked, expected):
            assert image.height == picture.height and image.width - picture.width < 8
            assert image.crop((0, 0, *picture.size)).tobytes() == picture.tobytes()
    else:
        # Latin and Cyrillic go out as characters, in a code page that has them
        for line in visitor_lines:
            for part in line.split():
                assert codepages.fold(part) in printed, f"{part!r} of {line!r} was not printed as text"
        assert [image for image in images if ink_box(image)] == []


def test_people_ahead_and_wait_come_from_the_reply(tickets, site_config):
    ticket = dict(tickets["en"], people_ahead=4, estimated_wait_min=35, estimated_wait_low_min=22,
                  estimated_wait_high_min=51)
    lines = texts(ticket_layout(ticket, site_config))
    assert "4 people ahead of you" in lines
    assert "Estimated wait: about 22–51\u00a0min" in lines and not any("35" in line for line in lines)
    soon = dict(ticket, estimated_wait_min=3, estimated_wait_low_min=0, estimated_wait_high_min=8)
    assert "Estimated wait: up to 8\u00a0min" in texts(ticket_layout(soon, site_config))
    # a hub older than the range sends one number: printed as before
    older = {key: value for key, value in ticket.items() if key not in ("estimated_wait_low_min",
                                                                          "estimated_wait_high_min")}
    assert "Estimated wait: about 35\u00a0min" in texts(ticket_layout(older, site_config))
    assert not any("wait:" in line for line in texts(ticket_layout(dict(older, estimated_wait_min=None),
                                                                   site_config)))
    nobody = texts(ticket_layout(dict(ticket, people_ahead=0), site_config))
    assert "You are next" in nobody and not any("wait:" in line for line in nobody)
    assert "1 людина перед вами" in texts(ticket_layout(dict(ticket, people_ahead=1), site_config, "uk"))
    assert "5 людей перед вами" in texts(ticket_layout(dict(ticket, people_ahead=5), site_config, "uk"))


def _wait_line(layout) -> Text:
    """The line under the people ahead: the estimated wait."""
    blocks = [b for b in layout.blocks if isinstance(b, Text)]
    return blocks[[b.style for b in blocks].index("code") + 2]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_printed_wait_is_the_replys_range_in_the_visitors_language(language, tickets, site_config):
    """The hub's own reply (a real ticket with people ahead): its range, low first with an en dash, in
    the visitor's language; "up to" its high end when it starts at 0; the one number of an older hub.
    On paper a code page has no en dash: Latin and Cyrillic tickets print a hyphen, the others draw
    the dash in the picture of their line."""
    ticket = next(t for t in tickets.values() if t["people_ahead"] and t["estimated_wait_high_min"])
    ticket = dict(ticket, language=language)
    real = _wait_line(ticket_layout(ticket, site_config))
    low, high = ticket["estimated_wait_low_min"], ticket["estimated_wait_high_min"]
    assert real.language == language and str(high) in real.text
    assert (f"{low}–{high}" in real.text) == (low > 0)
    ranged = _wait_line(ticket_layout(dict(ticket, estimated_wait_low_min=12, estimated_wait_high_min=27),
                                      site_config))
    soon = _wait_line(ticket_layout(dict(ticket, estimated_wait_low_min=0, estimated_wait_high_min=9), site_config))
    older = _wait_line(ticket_layout(dict(ticket, estimated_wait_low_min=None, estimated_wait_high_min=None,
                                          estimated_wait_min=25), site_config))
    assert "12–27" in ranged.text and "9" in soon.text and "0" not in soon.text and "25" in older.text
    assert len({ranged.text, soon.text, older.text}) == 3
    # the last number and its noun never end up on two lines of paper
    assert "27\u00a0" in ranged.text and "9\u00a0" in soon.text and "25\u00a0" in older.text
    data = ticket_bytes(ticket_layout(dict(ticket, estimated_wait_low_min=12, estimated_wait_high_min=27),
                                      site_config), media_for("default", 58))
    printed = _flat(stream.decoded_text(data, "default"))
    assert ("12-27" in printed) != needs_image(ranged.text)


def test_the_printed_wait_in_words():
    """The wording in a few languages, from a bare reply (no hub needed)."""
    bare = {"code": "A012", "service": "immigration", "issued_at": "2026-12-03T10:00:00+00:00", "people_ahead": 6,
            "estimated_wait_min": 19, "estimated_wait_low_min": 12, "estimated_wait_high_min": 27}
    site = public_config(load_site(EXAMPLE_SITE))
    soon = dict(bare, estimated_wait_low_min=0, estimated_wait_high_min=9)
    assert [_flat(_wait_line(ticket_layout(bare, site, lang)).text) for lang in ("pt", "fr", "uk", "ar")] == [
        "Espera estimada: cerca de 12–27 min", "Attente estimée : environ 12–27 min",
        "Орієнтовне очікування: близько 12–27 хв", "الانتظار المتوقع: حوالي 12–27 دقيقة"]
    assert [_flat(_wait_line(ticket_layout(soon, site, lang)).text) for lang in ("en", "es", "ru", "hi")] == [
        "Estimated wait: up to 9 min", "Espera estimada: hasta 9 min", "Ожидание: до 9 мин",
        "अनुमानित प्रतीक्षा: अधिकतम 9 मिनट"]


def test_an_arabic_ticket_prints_the_range_low_to_high_left_to_right(tickets, site_config):
    from typeset.bidi_lines import visual_runs
    line = _wait_line(ticket_layout(dict(tickets["ar"], estimated_wait_low_min=12, estimated_wait_high_min=27),
                                    site_config))
    assert "12–27" in "".join(run.text for run in visual_runs(line.text, True))


def test_the_ticket_says_what_is_kept_and_for_how_long_in_the_visitors_and_the_sites_language(tickets,
                                                                                               site_config):
    days = site_config["site"]["retention_days"]
    assert days == 90  # the CNAI example keeps the schema's default
    lines = _privacy_lines(ticket_layout(tickets["en"], site_config))
    assert [(_flat(b.text), b.language, b.style) for b in lines] == [
        ("We keep no name or document. This ticket's record is deleted after 90 days.", "en", "small"),
        ("Não guardamos nomes nem documentos. O registo desta senha é apagado ao fim de 90 dias.", "pt", "small")]
    # the number and its noun are never split between two lines of paper
    assert [b.text.count("90\u00a0") for b in lines] == [1, 1]
    # a Portuguese visitor gets it once
    assert len(_privacy_lines(ticket_layout(tickets["pt"], site_config))) == 1


def _keeping(site_config: dict, days) -> dict:
    site = copy.deepcopy(site_config)
    if days is None:
        del site["site"]["retention_days"]
    else:
        site["site"]["retention_days"] = days
    return site


def test_a_site_that_keeps_records_30_days_prints_30_in_every_language(tickets, site_config, build_dir):
    site = _keeping(site_config, 30)
    media = media_for("default", 58)
    for language in LANGUAGES:
        layout = ticket_layout(tickets[language], site)
        visitor = _privacy_lines(layout)[0]
        assert visitor.language == language
        # the number as the project prints every number: ASCII digits, never the script's own
        assert "30" in visitor.text and "90" not in visitor.text, (language, visitor.text)
        assert not [c for c in visitor.text if unicodedata.category(c) == "Nd" and not c.isascii()], language
        printed = stream.decoded_text(ticket_bytes(layout, media), "default")
        assert "\u00a0" not in printed  # the no-break space goes out as a plain space
        assert "O registo desta senha é apagado ao fim de 30 dias." in _flat(printed)
        if not needs_image(visitor.text):
            assert _flat(codepages.fold(visitor.text)) in _flat(printed)
    lines = [_flat(text) for text in texts(ticket_layout(tickets["en"], site))]
    assert "We keep no name or document. This ticket's record is deleted after 30 days." in lines


@pytest.mark.parametrize("language, days, wanted", [
    ("en", 1, "after 1 day."), ("en", 30, "after 30 days."),
    ("pt", 1, "ao fim de 1 dia."), ("pt", 365, "ao fim de 365 dias."),
    ("fr", 1, "au bout de 1 jour."), ("fr", 30, "au bout de 30 jours."),
    ("es", 1, "al cabo de 1 día."), ("es", 90, "al cabo de 90 días."),
    ("uk", 21, "через 21 день."), ("uk", 3, "через 3 дні."),
    ("uk", 90, "через 90 днів."), ("uk", 11, "через 11 днів."),
    ("ru", 31, "через 31 день."), ("ru", 22, "через 22 дня."),
    ("ru", 30, "через 30 дней."), ("ru", 12, "через 12 дней."),
    ("ar", 1, "بعد يوم واحد."), ("ar", 2, "بعد يومين."), ("ar", 7, "بعد 7 أيام."), ("ar", 30, "بعد 30 يومًا."),
    ("ar", 100, "بعد 100 يوم."), ("ar", 365, "بعد 365 يومًا."),
    ("hi", 1, "1 दिन बाद"), ("hi", 90, "90 दिन बाद"),
    ("ne", 90, "90 दिनपछि"), ("bn", 90, "90 দিন পরে"),
])
def test_the_number_of_days_agrees_with_its_noun(language, days, wanted, tickets, site_config):
    """ngettext with each catalog's Plural-Forms: the right form of "day" for every number."""
    layout = ticket_layout(tickets["pt"], _keeping(site_config, days), language)
    assert wanted in _flat(_privacy_lines(layout)[0].text)


@pytest.mark.parametrize("days", [None, 0, "90", True, 2.5])
def test_without_a_known_retention_period_no_period_is_printed(days, tickets, site_config):
    """A site config without a whole number of days (not one the hub publishes): the ticket
    says only what is never kept rather than a period that may be wrong."""
    lines = _privacy_lines(ticket_layout(tickets["uk"], _keeping(site_config, days)))
    assert [b.text for b in lines] == ["Ми не зберігаємо ні імен, ні документів.",
                                       "Não guardamos nomes nem documentos."]


def test_every_ticket_catalog_translates_every_printed_message_with_its_plural_forms():
    """Each language's ticket.po has exactly the messages the layout prints (the old ones gone),
    none fuzzy or empty, really translated, with the source's placeholders, and as many plural
    forms as its Plural-Forms header says."""
    layout = Path(__file__).resolve().parent.parent / "hardware" / "printer" / "layout.py"
    printed = {m[1] for m in extract_from_file("python", str(layout), keywords={"gettext": None, "ngettext": (1, 2)})}
    assert "We keep no name or document." in printed
    assert available_languages() == sorted(LANGUAGES)
    for language in LANGUAGES:
        path = LOCALE_DIR / language / "LC_MESSAGES" / "ticket.po"
        # Python's gettext reads the plural rule from this header, or falls back to English's
        assert '"Plural-Forms: nplurals=' in path.read_text(encoding="utf-8"), language
        with path.open("rb") as source:
            catalog = read_po(source, locale=language)
        check_translated(language, catalog, printed, forms=True)


def test_priority_ticket_says_so_in_both_languages(tickets, site_config, build_dir):
    ticket = tickets["priority"]
    assert ticket["priority"] is True
    layout = ticket_layout(ticket, site_config)
    assert "أولوية" in texts(layout)
    render_ticket_png(layout, build_dir / "tickets" / "ticket-ar-priority.png")


def test_printer_without_native_qr_prints_the_qr_as_a_centred_picture(tickets, site_config):
    """The QR code, found in the picture the bytes print (not in the writer's own image): the
    segno matrix of the payload, module for module, centred within one dot."""
    ticket = tickets["pt"]
    media = media_for("POS-5890", 58)
    assert not media.native_qr
    data = ticket_bytes(ticket_layout(ticket, site_config), media)
    assert stream.qr_payloads(data) == []
    assert all(image.width <= media.width_px for image in stream.raster_images(data))
    for justified in (True, False):
        paper = escpos_picture.read(data, media.width_px, dict(media.code_pages), images_justified=justified)
        left, _ = _find_qr(paper.image, ticket["qr"], media.qr_module_px)
        width = _qr_matrix(ticket["qr"], media.qr_module_px).width
        assert abs(left + width / 2 - media.width_px / 2) <= 1, (justified, left, width)


def _qr_matrix(payload: str, module_px: int) -> Image.Image:
    code = segno.make(payload, error="m", micro=False, boost_error=False)
    rows = list(code.matrix_iter(scale=1, border=0))
    image = Image.new("L", (len(rows), len(rows)), 255)
    image.putdata([0 if dark else 255 for row in rows for dark in row])
    return image.resize((len(rows) * module_px, len(rows) * module_px), Image.NEAREST)


def _find_qr(paper: Image.Image, payload: str, module_px: int) -> tuple[int, int]:
    """Where the QR code of ``payload`` is on ``paper`` (its top left module), pixel for pixel."""
    wanted = _qr_matrix(payload, module_px)
    first = wanted.crop((0, 0, wanted.width, 1)).tobytes()
    for y in range(paper.height - wanted.height + 1):
        for x in range(paper.width - wanted.width + 1):
            if (paper.getpixel((x, y)) == 0 and paper.crop((x, y, x + wanted.width, y + 1)).tobytes() == first
                    and paper.crop((x, y, x + wanted.width, y + wanted.height)).tobytes() == wanted.tobytes()):
                return x, y
    raise AssertionError(f"no QR code of {payload!r} on the paper")


def test_58mm_paper_wraps_text_to_its_columns(tickets, site_config, build_dir):
    media = media_for("default", 58)
    for language in LANGUAGES:
        layout = ticket_layout(tickets[language], site_config)
        data = ticket_bytes(layout, media)
        lines = stream.decoded_text(data, "default").split("\n")
        assert max(len(line) for line in lines) <= 32 * 4 // 3, language  # font B lines are the widest
        assert all(image.width <= 384 for image in stream.raster_images(data)), language
        render_ticket_png(layout, build_dir / "tickets" / f"ticket-{language}-58mm.png", media)
        # what is kept stays a short paragraph: at most three lines of small print a language
        small = media.columns_for(STYLES["small"])
        for block in _privacy_lines(layout):
            if needs_image(block.text):
                box = ink_box(placed_text(block, media.width_px))
                height = box[3] - box[1]
                line = text_image(Text("x", "small", block.language), media.width_px).height
                assert height <= 3 * line, (language, block.text, height, line)
            else:
                assert len(textwrap.wrap(block.text, small)) <= 3, (language, block.text)


#: every ticket read from its bytes: (name, ticket, python-escpos profile, paper): both widths in every
#: language, priority, the counter's second ticket (on the sorting office's TM-T20II) and a printer
#: without native QR codes (POS-5890), in the contact sheet's order, six to a row
PRINTED = ([(f"{language}-80mm", language, "default", 80) for language in LANGUAGES]
           + [("priority-ar-80mm", "priority", "default", 80), ("second-uk-TM-T20II", "second", "TM-T20II", 80)]
           + [(f"{language}-58mm", language, "default", 58) for language in LANGUAGES]
           + [("priority-ar-58mm", "priority", "default", 58), ("no-native-qr-hi-58mm", "hi", "POS-5890", 58)])


@pytest.mark.parametrize("name, key, profile, paper_mm", PRINTED, ids=[case[0] for case in PRINTED])
def test_the_bytes_print_every_line_centred_in_one_code_page(name, key, profile, paper_mm, tickets, site_config,
                                                             build_dir):
    """The stream played by the tests' own reader: nothing a printer might do differently, every
    picture, QR code and text line centred within one dot, the same paper whether or not the printer
    applies ESC a to raster images, the text in one code page (two for Cyrillic with Portuguese,
    switched only between lines), the QR code and the cut; saved beside the layout's picture."""
    ticket = tickets[key]
    media = media_for(profile, paper_mm)
    layout = ticket_layout(ticket, site_config)
    data = ticket_bytes(layout, media)
    paper = escpos_picture.read(data, media.width_px, dict(media.code_pages))
    assert paper.problems == []
    other = escpos_picture.read(data, media.width_px, dict(media.code_pages), images_justified=False)
    assert other.image.tobytes() == paper.image.tobytes()
    assert [m for m in other.marks if m.kind != "feed"] == [m for m in paper.marks if m.kind != "feed"]

    assert paper.of("image") or paper.of("qr")
    for mark in paper.of("image") + paper.of("qr"):
        assert abs(paper.off_centre(mark)) <= 1, (mark.kind, mark.box, mark.ink)
    for mark in paper.of("text"):
        assert abs(paper.box_off_centre(mark)) <= 1, (mark.text, mark.box)

    language = ticket["language"]
    selected = [page for page, _ in paper.selections]
    assert not any(inside for _, inside in paper.selections), "a code page switched inside a line"
    if language in ("uk", "ru"):  # no page has Cyrillic and Portuguese's ã
        assert set(selected) == {"CP866", "CP850"} and selected[0] == "CP866"
    else:
        assert selected == ["CP850"]
    printed = _flat(paper.text())
    for block in layout.blocks:
        if isinstance(block, Text):
            line = _flat(codepages.fold(block.text.replace("\u00a0", " ")))
            assert (line in printed) != needs_image(block.text), (line, printed)

    if media.native_qr:
        assert [mark.text for mark in paper.of("qr")] == [ticket["qr"]]
    else:
        assert paper.of("qr") == [] and _find_qr(paper.image, ticket["qr"], media.qr_module_px)
    if media.escpos_profile().features.get("paperFullCut"):
        assert [mark.kind for mark in paper.marks][-1] == "cut" and len(paper.of("cut")) == 1
    else:  # no cutter (POS-5890): fed past the tear bar instead
        assert paper.of("cut") == [] and stream.parse(data)[-1].name == "ESC d"

    folder = build_dir / "tickets" / "pairs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.bin").write_bytes(data)
    escpos_picture.side_by_side(render_ticket_image(layout, media), paper,
                                f"{name} ({ticket['code']}): layout | bytes").save(folder / f"{name}.png")


@pytest.mark.parametrize("paper_mm", [80, 58])
def test_a_text_picture_cut_into_lines_keeps_every_dot(paper_mm, tickets, site_config):
    """Each line of a text picture is placed on its own (``placed_lines``): cut at typeset's line
    height, so the lines together hold every dot typeset drew, none cut off (the Bengali heading and
    the privacy lines wrap on both widths)."""
    media = media_for("default", paper_mm)
    wrapped = 0
    for language in ("ar", "hi", "ne", "bn"):
        for block in texts_blocks(ticket_layout(tickets[language], site_config)):
            if not needs_image(block.text):
                continue
            drawn = text_image(block, media.width_px)
            lines = placed_lines(block, media.width_px)
            wrapped += len(lines) > 1
            assert sum(line.height for line in lines) == drawn.height, block.text
            assert sum(_dots(line) for line in lines) == _dots(drawn), block.text
    assert wrapped >= 4


def texts_blocks(layout) -> list[Text]:
    return [block for block in layout.blocks if isinstance(block, Text)]


def _dots(image) -> int:
    """How many dots ``image`` prints (grey below the printer's threshold)."""
    return image.convert("L").point(lambda v: 255 if v < 160 else 0).histogram()[255]


def test_contact_sheet_of_the_printed_tickets(build_dir):
    """Every ticket above, the layout's picture beside what its bytes print (docs/images/tickets.png
    is a copy)."""
    paths = [build_dir / "tickets" / "pairs" / f"{case[0]}.png" for case in PRINTED]
    missing = [p.name for p in paths if not p.exists()]
    assert not missing, f"print the tickets first (run the whole module): {missing}"
    sheet = escpos_picture.contact_sheet([Image.open(p) for p in paths], build_dir / "tickets" / "contact-sheet.png",
                                         per_row=6, scale=0.36)
    assert Image.open(sheet).width >= 6 * 400


def test_a_technician_reads_a_capture_back_with_the_stream_tool(tickets, site_config, tmp_path, capsys):
    """``python -m hardware.printer.stream capture.bin``: the commands, then what the paper shows."""
    capture = tmp_path / "printer.bin"
    with TicketPrinter({"connector": "file", "path": str(capture)}) as printer:
        printer.print_ticket(ticket_layout(tickets["en"], site_config))
    assert stream.main([str(capture), "default"]) == 0
    out = capsys.readouterr().out
    assert "GS V" in out and "1 cut(s), 0 picture(s)" in out
    assert f"QR: {tickets['en']['qr']}" in out and "unknown commands" not in out
    assert f"\n{tickets['en']['code']}\n" in out.split("text (as the code pages print it):")[1]
    assert stream.main([]) == 2


def test_layout_keeps_the_qr_and_refuses_a_reply_that_is_not_a_ticket(tickets, site_config):
    layout = ticket_layout(tickets["hi"], site_config)
    assert [b.payload for b in layout.blocks if isinstance(b, QRCode)] == [tickets["hi"]["qr"]]
    with pytest.raises(ValueError, match="code"):
        ticket_layout({"service": "immigration", "issued_at": "2026-01-01T09:00:00+00:00"}, site_config)


def test_missing_file_folder_is_a_printer_fault_not_a_lost_ticket(tickets, site_config, tmp_path):
    layout = ticket_layout(tickets["en"], site_config)
    with TicketPrinter({"connector": "file", "path": str(tmp_path / "no" / "such" / "lp0")}) as printer:
        with pytest.raises(PrinterFault) as fault:
            printer.print_ticket(layout)
    assert fault.value.reason == "io_error"
    assert fault.value.printed is False


def test_no_printer_configured_raises_disabled(tickets, site_config):
    printer = TicketPrinter({"connector": "none"})
    assert printer.status.state.value == "disabled"
    with pytest.raises(PrinterFault) as fault:
        printer.print_ticket(ticket_layout(tickets["en"], site_config))
    assert fault.value.reason == "disabled"
    printer.close()
    printer.close()
