"""The printer's code pages: one per ticket where a page holds all its languages, the numbers the site
file gives (``printer.code_pages``), pictures for what no configured page holds, the technician's test
page, and the setting fuzzed through the site file's loader.  Every stream is read back by the tests'
own ESC/POS reader (``escpos_picture``) with the same numbers a printer of that setting would have."""

from __future__ import annotations

import copy

import pytest
from escpos.codepages import CodePages
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import escpos_picture
from hardware.printer import codepages, media_for, ticket_layout
from hardware.printer import stream
from hardware.printer.escpos_writer import code_page_plan, ticket_bytes
from hardware.printer.layout import Text
from hardware.printer.testprint import SAMPLES, parse_code_pages, print_test_page, printout
from provisioning.cli import main as provision
from siteconf.load import EXAMPLE_SITE, SiteFileError, load_site, parse_site
from siteconf.schema import CODE_PAGE_NAMES, DEFAULT_CODE_PAGES, Printer
from siteconf.slices import public_config
from typeset.scripts import needs_image

SITE = load_site(EXAMPLE_SITE)
SITE_CONFIG = public_config(SITE)
#: a ticket as the hub replies (what a layout needs), in any language
TICKET = {"code": "A012", "service": "immigration", "issued_at": "2026-12-03T10:00:00+00:00", "people_ahead": 4,
          "estimated_wait_min": 35, "estimated_wait_low_min": 28, "estimated_wait_high_min": 45,
          "qr": "OSS1:cnai-lisboa:2026-12-03:0123456789abcdef", "priority": False}


def _printed(language: str, pages: dict[str, int], paper_mm: int = 80):
    """A ticket in ``language`` on a printer with ``pages``: its layout, its bytes and the paper."""
    media = media_for("default", paper_mm, pages)
    layout = ticket_layout(dict(TICKET, language=language), SITE_CONFIG)
    data = ticket_bytes(layout, media)
    return layout, data, escpos_picture.read(data, media.width_px, pages)


def _as_text(layout) -> list[str]:
    return [block.text for block in layout.blocks if isinstance(block, Text)]


def test_the_site_files_names_are_python_escposs_single_byte_pages():
    """``CODE_PAGE_NAMES`` is written out (the hub does not import python-escpos); it must stay the pages
    whose characters python-escpos has, less the double-byte CP932."""
    usable = {name for name in CodePages.data if codepages.known(name)} - {"CP932"}
    assert CODE_PAGE_NAMES == usable
    assert set(DEFAULT_CODE_PAGES) <= CODE_PAGE_NAMES


@pytest.mark.parametrize("language, pages", [
    ("pt", ["CP850"]), ("en", ["CP850"]), ("fr", ["CP850"]), ("es", ["CP850"]),
    ("ar", ["CP850"]), ("hi", ["CP850"]), ("bn", ["CP850"]), ("ne", ["CP850"]),
    ("uk", ["CP866", "CP850"]), ("ru", ["CP866", "CP850"])])
def test_one_page_per_ticket_where_a_page_holds_its_languages(language, pages):
    """With the default pages: Portuguese's ã in CP850 (not PC857, ``ESC t 13``, as python-escpos'
    own choice had it), Ukrainian in CP866 without switching to PC855 (it did, eight times a ticket)."""
    layout, data, paper = _printed(language, DEFAULT_CODE_PAGES)
    assert code_page_plan(layout, media_for()).used == pages
    selected = [page for page, _ in paper.selections]
    assert selected == pages if len(pages) == 1 else set(selected) == set(pages) and selected[0] == pages[0]
    assert not any(inside for _, inside in paper.selections)
    assert [command.data for command in stream.commands(data, "ESC t")][0] == bytes([DEFAULT_CODE_PAGES[pages[0]]])
    assert paper.problems == []


def test_the_printers_own_numbers_are_sent_and_read_back():
    """A printer that has CP858 at 19 and CP1251 at 46 (numbers from its self-test page): the ticket
    selects them by those numbers, and read with them it prints every line the layout has."""
    pages = {"CP858": 19, "CP1251": 46}
    layout, data, paper = _printed("uk", pages)
    assert {command.data[0] for command in stream.commands(data, "ESC t")} == {19, 46}
    assert paper.problems == []
    printed = " ".join(paper.text().split())
    for line in _as_text(layout):
        assert " ".join(codepages.fold(line.replace("\u00a0", " ")).split()) in printed
    # read as a printer with Epson's numbers would: 46 is CP1251 there too, but 19 is not CP858 on it
    epson = escpos_picture.read(data, 576, {"CP437": 0, "CP850": 2, "CP1251": 46})
    assert any("ESC t 19" in problem for problem in epson.problems)


@pytest.mark.parametrize("language, pages", [("pt", {"CP437": 0}), ("uk", {"CP437": 0, "CP850": 2}),
                                             ("ru", {"CP850": 2})])
def test_what_no_configured_page_holds_is_printed_as_a_centred_picture(language, pages):
    layout, data, paper = _printed(language, pages)
    assert paper.problems == []
    held = [line for line in _as_text(layout) if not needs_image(line)
            and any(codepages.holds(page, codepages.fold(line)) for page in pages)]
    pictured = [line for line in _as_text(layout) if line not in held]
    assert pictured, "the ticket has lines these pages cannot hold"
    printed = " ".join(paper.text().split())
    for line in pictured:
        assert " ".join(codepages.fold(line).split()) not in printed
    for line in held:
        assert " ".join(codepages.fold(line.replace("\u00a0", " ")).split()) in printed
    assert len([mark for mark in paper.of("image") if mark.ink]) >= len(pictured)
    for mark in paper.of("image"):
        assert abs(paper.off_centre(mark)) <= 1


def test_typographic_punctuation_and_ukrainian_i_print_as_their_look_alikes():
    assert codepages.fold("It’s “ok” – і І…") == "It's \"ok\" - i I..."
    plan = codepages.plan(["Доброго дня, друже", "Café à la crème", "plain"], list(DEFAULT_CODE_PAGES))
    assert plan.page("plain") == "" and plan.page("Café à la crème") == "CP437"  # the first that holds it
    assert plan.page("Доброго дня, друже") == "CP866" and plan.used == ["CP866", "CP437"]  # most text first
    assert codepages.plan(["ع"], ["CP437"]).pages == {"ع": None}
    with pytest.raises(ValueError):
        codepages.plan(["x"], [])


# ----------------------------------------------------------------------------- the setting, fuzzed
#: half of them pages the printer driver knows at numbers 0-255, half anything a TOML file can hold
CODE_PAGE_VALUES = st.booleans().flatmap(lambda known: (
    st.dictionaries(st.sampled_from(sorted(CODE_PAGE_NAMES)), st.integers(0, 255), min_size=1, max_size=6) if known
    else st.one_of(st.dictionaries(st.sampled_from(sorted(CODE_PAGE_NAMES))
                                | st.sampled_from(["cp850", "Cp866", "iso_8859-15"]) | st.text(max_size=12),
                                st.integers(-3, 260) | st.booleans() | st.text(max_size=3) | st.floats(allow_nan=True),
                                max_size=18),
                st.lists(st.integers(0, 3), max_size=3), st.text(max_size=8), st.integers(), st.none())))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages=CODE_PAGE_VALUES, language=st.sampled_from(["pt", "uk", "fr", "ru", "en"]))
def test_fuzz_the_code_pages_setting(pages, language):
    """Any value of ``code_pages`` on a kiosk's printer: the site file is refused with a message that
    names the setting, or every ticket prints cleanly with it (read back with the same numbers: every
    character a character of its page, every line of the layout on the paper)."""
    data = copy.deepcopy(SITE.model_dump(mode="json", exclude_none=True))
    kiosk = next(device for device in data["devices"] if device["id"] == "kiosk-01")
    kiosk["printer"] = {"connector": "none", "code_pages": pages}
    try:
        site = parse_site(data, "site.toml")
    except SiteFileError as exc:
        assert "code_pages" in str(exc) and "Traceback" not in str(exc)
        event("refused")
        return
    event("printed")
    printer = site.device("kiosk-01").printer
    assert printer.code_pages and all(name in CODE_PAGE_NAMES for name in printer.code_pages)
    layout, _, paper = _printed(language, printer.code_pages)
    assert paper.problems == []
    printed = " ".join(paper.text().split())
    for line in _as_text(layout):
        flat = " ".join(codepages.fold(line.replace("\u00a0", " ")).split())
        assert (flat in printed) == any(codepages.holds(page, flat) for page in printer.code_pages) or flat.isascii()


@pytest.mark.parametrize("pages, message", [
    ({"CP9999": 1}, "not a code page"), ({"cp850": 2, "CP850": 3}, "listed twice"),
    ({"CP850": 2, "CP866": 2}, "both say ESC t 2"), ({}, "at least 1"), ({"CP850": 256}, "less than or equal"),
    ({"CP850": "2"}, "valid integer")])
def test_a_bad_code_pages_setting_says_what_is_wrong(pages, message):
    with pytest.raises(ValueError, match=message):
        Printer(code_pages=pages)


# ----------------------------------------------------------------------------- the test page
def test_the_test_page_prints_every_configured_page_beside_its_picture(build_dir):
    """Each page's characters 128-255 as the printer's own characters (read back: exactly that page's
    table), each row followed by its picture, the samples of the languages the page holds, pictures
    of Arabic, Devanagari and Bengali and a QR code; saved as a picture under build/tickets/."""
    pages = {"CP437": 0, "CP850": 2, "CP866": 17, "CP1251": 46}
    media = media_for("default", 80, pages)
    data = printout(media, "kiosk-01")
    paper = escpos_picture.read(data, media.width_px, pages)
    assert paper.problems == []
    assert [page for page, _ in paper.selections] == ["CP437", "CP850", "CP866", "CP1251", "CP437"]
    lines = paper.text().split("\n")
    for name in pages:
        row = next(i for i, line in enumerate(lines) if line.startswith(name))
        table = codepages.characters(name)
        for n in range(8):
            printed = next(line for line in lines[row:] if line.startswith(f"{8 + n:X}x "))[3:]
            wanted = "".join(c if c.isprintable() and c not in " \x00" else " " for c in table[16 * n:16 * n + 16])
            assert printed.rstrip() == wanted.rstrip(), (name, n)
    text = paper.text()
    assert SAMPLES["pt"] in text and SAMPLES["uk"].replace("і", "i") in text and SAMPLES["ru"] in text
    assert [mark.text for mark in paper.of("qr")] == ["OSS1:test-print"]
    assert len(paper.of("image")) >= 8 * len(pages) + 3
    for mark in paper.of("image")[-3:]:  # the scripts' pictures, centred
        assert abs(paper.off_centre(mark)) <= 1
    (build_dir / "tickets").mkdir(parents=True, exist_ok=True)
    paper.image.save(build_dir / "tickets" / "test-print.png")


def test_parse_code_pages_from_the_command_line():
    assert parse_code_pages("cp850=2, CP866=17,") == {"CP850": 2, "CP866": 17}
    for bad in ("CP850", "CP850=x", "CP850=2,CP866=2", "XX=1"):
        with pytest.raises(ValueError):
            parse_code_pages(bad)


def test_print_test_page_on_a_file_printer_through_python_escpos(tmp_path):
    capture = tmp_path / "lp0"
    said = print_test_page({"connector": "file", "path": str(capture), "paper_mm": 58},
                           code_pages={"CP858": 19})
    data = capture.read_bytes()
    assert said.startswith(f"printed {len(data)} bytes") and "CP858 (ESC t 19)" in said
    paper = escpos_picture.read(data, 384, {"CP858": 19})
    assert paper.problems == [] and stream.cut_count(data) == 1


def test_the_technicians_command_prints_the_devices_printer_entry(tmp_path, capsys):
    """``onestop-provision test-print``: the device's printer from its config copy (the hub is not
    asked: no broker here), ``--code-pages`` to try other numbers, ``--to`` a file."""
    device_config = tmp_path / "device-config.json"
    device_config.write_text('{"device": {"role": "kiosk", "printer": {"connector": "file", "path": "%s", '
                             '"code_pages": {"CP850": 2, "CP1251": 46}}}}' % (tmp_path / "printer"))
    assert provision(["test-print", "--device-config", str(device_config)]) == 0
    out = capsys.readouterr().out
    assert "CP850 (ESC t 2), CP1251 (ESC t 46)" in out
    paper = escpos_picture.read((tmp_path / "printer").read_bytes(), 576, {"CP850": 2, "CP1251": 46})
    assert paper.problems == []
    assert provision(["test-print", "--device-config", str(device_config), "--code-pages", "CP866=17",
                      "--to", str(tmp_path / "other")]) == 0
    assert "CP866 (ESC t 17)" in capsys.readouterr().out
    assert escpos_picture.read((tmp_path / "other").read_bytes(), 576, {"CP866": 17}).problems == []
    assert provision(["test-print", "--device-config", str(device_config), "--code-pages", "CP866=x"]) == 2
    assert "NAME=NUMBER" in capsys.readouterr().err
    device_config.write_text('{"device": {"role": "kiosk", "printer": {"connector": "none"}}}')
    assert provision(["test-print", "--device-config", str(device_config)]) == 2
    assert "no printer" in capsys.readouterr().err


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("CP850=2,;x-_ 17\u00e9\x00") | st.characters(), max_size=40))
def test_fuzz_the_command_lines_code_pages(text):
    """``--code-pages``: any text gives pages the site file would accept, or a ValueError that says what."""
    try:
        pages = parse_code_pages(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert Printer(code_pages=pages).code_pages == pages


ESCPOS_PIECES = st.sampled_from([b"\x1b@", b"\x1ba\x01", b"\x1bt\x02", b"\x1bt\x63", b"\x1d!\x33", b"\x1dV\x00",
                                 b"\x1dv0\x00\x01\x00\x02\x00\xff\x81", b"\x1d(k\x03\x001P0", b"\x1d(k\x03\x001Q0",
                                 b"\x1d(k\x02\x001C", b"\x1bJ\x10", b"\x1bd\x02", b"\n", "ação Ж".encode("cp850", "replace"),
                                 b"\x1dv0\x00\x00\x00\x00\x00", b"\x1dv0\x00\x40\x00\x01\x00" + b"\xff" * 64,
                                 b"\x1d(k\x01\x001"])


@settings(max_examples=200, deadline=None)
@given(data=st.lists(ESCPOS_PIECES | st.binary(max_size=12), max_size=30).map(b"".join))
def test_fuzz_the_tests_reader(data):
    """The tests' own reader takes any stream: a picture and a list of problems, never an exception."""
    paper = escpos_picture.read(data, 384, DEFAULT_CODE_PAGES)
    assert paper.image.width == 384 and all(isinstance(problem, str) for problem in paper.problems)
