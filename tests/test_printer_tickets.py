"""Tickets from the real hub, printed to a File connector, read back from the byte stream.

The hub (real Mosquitto + hub, the CNAI example site, every language) issues
the tickets; the printer writes the real ESC/POS stream to a file; the test
reads the stream back (code, QR payload, cut, which lines went out as text
and which as images) and saves every ticket as a PNG under build/tickets/ to
be looked at.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from contract.qr import TicketQR
from hardware.printer import PrinterFault, TicketPrinter, media_for, render_ticket_png, ticket_layout
from hardware.printer import stream
from hardware.printer.escpos_writer import ticket_bytes
from hardware.printer.images import printable, qr_image, text_image
from hardware.printer.layout import QRCode, Text
from siteconf.load import EXAMPLE_SITE, load_site
from siteconf.slices import public_config
from simulator.centre import LocalCentre
from typeset.scripts import needs_image

LANGUAGES = ["pt", "en", "uk", "ar", "hi", "bn", "ne"]
KIOSK = "kiosk-01"


@pytest.fixture(scope="module")
def cnai(tmp_path_factory):
    site = load_site(EXAMPLE_SITE)
    centre = LocalCentre(site, tmp_path_factory.mktemp("cnai")).start()
    yield centre
    centre.close()


@pytest.fixture(scope="module")
def tickets(cnai):
    """One real ticket per language from the hub, as the kiosk gets them."""
    link = cnai.link(KIOSK)
    out = {}
    for language in LANGUAGES:
        out[language] = link.request("issue_ticket", service="immigration", language=language)["ticket"]
    out["priority"] = link.request("issue_ticket", service="triage", language="ar", priority=True)["ticket"]
    return out


@pytest.fixture(scope="module")
def site_config(cnai):
    return public_config(cnai.site)


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
    assert TicketQR.decode(stream.qr_payloads(data)[0]).code == ticket["code"]
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
    assert "Não guardamos dados pessoais." in printed
    visitor_lines = [b.text for b in layout.blocks if isinstance(b, Text) and b.language == language]
    assert service.name[language] in visitor_lines
    images = stream.raster_images(data)
    if language in ("ar", "hi", "bn", "ne"):
        # complex scripts go out as pictures: none of their text is in the character stream
        assert all(needs_image(line) for line in visitor_lines)
        assert not any(line in printed for line in visitor_lines)
        # and each picture is exactly what typeset draws for that line, in order
        expected = [printable(text_image(block, 576), 576) for block in layout.blocks
                    if isinstance(block, Text) and needs_image(block.text)]
        assert len(images) == len(expected) >= len(visitor_lines)
        for image, picture in zip(images, expected):
            assert image.height == picture.height and image.width - picture.width < 8
            assert image.crop((0, 0, *picture.size)).tobytes() == picture.tobytes()
    else:
        # Latin and Cyrillic go out as characters, in a code page that has them
        for line in visitor_lines:
            for part in line.split():
                assert part in printed, f"{part!r} of {line!r} was not printed as text"
        assert images == []


def test_people_ahead_and_wait_come_from_the_reply(tickets, site_config):
    ticket = dict(tickets["en"], people_ahead=4, estimated_wait_min=35)
    texts = ticket_layout(ticket, site_config).texts()
    assert "4 people ahead of you" in texts
    assert "Estimated wait: about 35 min" in texts
    assert "You are next" in ticket_layout(dict(ticket, people_ahead=0), site_config).texts()
    assert "1 людина перед вами" in ticket_layout(dict(ticket, people_ahead=1), site_config, "uk").texts()
    assert "5 людей перед вами" in ticket_layout(dict(ticket, people_ahead=5), site_config, "uk").texts()


def test_priority_ticket_says_so_in_both_languages(tickets, site_config, build_dir):
    ticket = tickets["priority"]
    assert ticket["priority"] is True
    layout = ticket_layout(ticket, site_config)
    assert "أولوية" in layout.texts()
    render_ticket_png(layout, build_dir / "tickets" / "ticket-ar-priority.png")


def test_printer_without_native_qr_prints_the_qr_as_the_same_picture(tickets, site_config):
    ticket = tickets["pt"]
    media = media_for("POS-5890", 58)
    assert not media.native_qr
    data = ticket_bytes(ticket_layout(ticket, site_config), media)
    assert stream.qr_payloads(data) == []
    expected = printable(qr_image(ticket["qr"], media.qr_module_px), media.width_px, margin_px=12)
    # the raster is padded to whole bytes on the right
    assert any(image.height == expected.height and image.crop((0, 0, *expected.size)).tobytes() == expected.tobytes()
               for image in stream.raster_images(data))
    assert all(image.width <= media.width_px for image in stream.raster_images(data))


def test_58mm_paper_wraps_text_to_its_columns(tickets, site_config, build_dir):
    media = media_for("default", 58)
    data = ticket_bytes(ticket_layout(tickets["uk"], site_config), media)
    lines = stream.decoded_text(data, "default").split("\n")
    assert max(len(line) for line in lines) <= 32 * 4 // 3  # font B lines are the widest
    for language in ("uk", "ne"):
        layout = ticket_layout(tickets[language], site_config)
        assert all(image.width <= 384 for image in stream.raster_images(ticket_bytes(layout, media)))
        render_ticket_png(layout, build_dir / "tickets" / f"ticket-{language}-58mm.png", media)


def test_contact_sheet_of_the_printed_tickets(tickets, build_dir):
    """All 80 mm tickets side by side, half size (docs/images/tickets.png is a copy)."""
    from PIL import Image

    paths = [build_dir / "tickets" / f"ticket-{language}.png" for language in LANGUAGES]
    missing = [p.name for p in paths if not p.exists()]
    assert not missing, f"render the tickets first (run the whole module): {missing}"
    images = [Image.open(p).convert("L") for p in paths]
    images = [i.resize((i.width // 2, i.height // 2), Image.LANCZOS) for i in images]
    sheet = Image.new("L", (sum(i.width + 8 for i in images) + 8, max(i.height for i in images) + 16), 200)
    x = 8
    for image in images:
        sheet.paste(image, (x, 8))
        x += image.width + 8
    sheet.save(build_dir / "tickets" / "contact-sheet.png", optimize=True)


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
