"""The ticket's link to its phone page (issue 16): 128-bit refs, the QR as
``http://<guest host>/t/<ref>`` when the site has a page server, the kiosk's scanner reading the old
``OSS1:`` form and the link alike, and the paper showing the host and the ref in groups of four."""

from __future__ import annotations

import pytest
from sites import small_site, small_site_dict
from test_engine import Hub

from contract.guest import normal_ref
from contract.qr import TicketQR, grouped, guest_url, new_ref
from hardware.printer.layout import Text, ticket_layout
from hardware.scanner.parse import ScanParser, TicketScan, UnknownScan
from siteconf.slices import public_config


def test_refs_have_128_random_bits():
    refs = {new_ref() for _ in range(1000)}
    assert len(refs) == 1000 and {len(r) for r in refs} == {26}
    assert all(set(r) <= set("abcdefghijklmnopqrstuvwxyz234567") for r in refs)


def test_a_site_with_a_page_server_prints_links_and_one_without_the_old_form(tmp_path):
    data = small_site_dict()
    data["network"] = {**data.get("network", {}), "guest_host": "10.99.0.1"}
    linked = Hub(tmp_path / "a.sqlite3", small_site(data)).issue()
    assert linked["qr"] == f"http://10.99.0.1/t/{linked['ref']}" and len(linked["ref"]) == 26
    plain = Hub(tmp_path / "b.sqlite3").issue()
    assert plain["qr"] == f"OSS1:test-centre:{plain['service_day']}:{plain['code']}:{plain['ref']}"


@pytest.mark.parametrize("scanned, ref", [
    ("http://10.99.0.1/t/otq5bs6gwxcd5oth53mwr4vd5m", "otq5bs6gwxcd5oth53mwr4vd5m"),
    ("HTTP://Fila.Cnai:8080/t/otq5bs6gwxcd5oth53mwr4vd5m/", "otq5bs6gwxcd5oth53mwr4vd5m"),
    ("OSS1:test-centre:2026-03-10:A001:45zkv6dw5qyop7hg", "45zkv6dw5qyop7hg"),  # printed before issue 16
])
def test_the_kiosks_scanner_reads_the_link_and_the_old_form(scanned, ref):
    scan = ScanParser("test-centre").parse(scanned)
    assert isinstance(scan, TicketScan) and scan.qr.ref == ref


@pytest.mark.parametrize("scanned, reason", [
    ("https://example.com/menu", "not_ours"),                     # somebody else's link
    ("http://10.99.0.1/t/short", "not_ours"),
    ("OSS1:test-centre:2026-03-10:A001:!!", "damaged_ticket"),
    ("OSS1:other-centre:2026-03-10:A001:45zkv6dw5qyop7hg", "other_site"),
])
def test_what_is_not_a_ticket_of_this_site_is_refused_with_its_reason(scanned, reason):
    scan = ScanParser("test-centre").parse(scanned)
    assert isinstance(scan, UnknownScan) and scan.reason == reason


def test_the_paper_shows_the_host_and_the_ref_in_groups_of_four_under_a_link():
    ref = "otq5bs6gwxcd5oth53mwr4vd5m"
    ticket = {"code": "A001", "service": "reception", "issued_at": "2026-03-10T09:00:00+00:00", "language": "en",
              "ref": ref, "qr": guest_url("10.99.0.1", ref)}
    lines = [b.text for b in ticket_layout(ticket, public_config(small_site())).blocks if isinstance(b, Text)]
    hint = lines.index("Scan with your phone on the guest Wi-Fi to follow your turn, or open:")
    assert lines[hint + 1:hint + 3] == ["10.99.0.1/t/", "otq5-bs6g-wxcd-5oth-53mw-r4vd-5m"]
    assert len("otq5-bs6g-wxcd-5oth-53mw-r4vd-5m") <= 32, "one line of a 58 mm roll"
    # what a visitor types from the paper opens the same ticket
    assert normal_ref(grouped(ref).upper()) == ref
    old = dict(ticket, qr=TicketQR("test-centre", "2026-03-10", "A001", ref).encode())
    old_lines = [b.text for b in ticket_layout(old, public_config(small_site())).blocks if isinstance(b, Text)]
    assert not any("/t/" in line or grouped(ref) in line for line in old_lines)
    assert "Show this code at a kiosk scanner to see your turn." in old_lines
