"""The guest page server's pure parts: the board (positions from the feed), the per-IP limits,
the page's words, the opaque ids.  No network, no browser (issue 16)."""

from __future__ import annotations

import pytest

from contract import payloads
from contract.guest import guest_key, normal_ref, opaque_id
from guest.board import ALERT_MIN, NOTHING, Board
from guest.limits import IpLimits
from guest.texts import LANGUAGES, language_of, render

KEY = guest_key("a shared secret")
NAMES = {"pt": "Segurança social", "en": "Social security", "ar": "الضمان الاجتماعي"}


def oid(ref: str) -> str:
    return opaque_id(KEY, ref)


def feed(service="social", day="2026-12-03", waiting=(), called=()) -> dict:
    """A feed message as the hub builds it: ``waiting`` as (ref, code, wait, low, high)."""
    return payloads.guest_service(
        7, service, day, NAMES,
        [payloads.guest_waiting(oid(ref), code, "ar", wait, low, high) for ref, code, wait, low, high in waiting],
        [payloads.guest_called(oid(ref), code, "en", number, "2026-12-03T10:00:00+00:00", 0)
         for ref, code, number in called])


REF_A, REF_B, REF_C = "a" * 26, "b" * 26, "c" * 16


def test_position_comes_from_the_order_of_the_list_and_the_alert_from_the_estimate():
    board = Board()
    assert board.update("social", feed(waiting=[(REF_A, "S001", 2, 0, 6), (REF_B, "S002", 20, 12, 31)]))
    first, second = board.view(oid(REF_A)), board.view(oid(REF_B))
    assert (first["state"], first["ahead"], first["alert"]) == ("waiting", 0, True)
    assert (second["ahead"], second["low_min"], second["high_min"], second["alert"]) == (1, 12, 31, False)
    assert second["code"] == "S002" and second["names"] == NAMES
    # the first is called: the second moves up, the first shows its counter
    board.update("social", feed(waiting=[(REF_B, "S002", ALERT_MIN, 1, 9)], called=[(REF_A, "S001", 5)]))
    assert board.view(oid(REF_B))["ahead"] == 0 and board.view(oid(REF_B))["alert"] is True
    called = board.view(oid(REF_A))
    assert (called["state"], called["counter_number"], called["code"]) == ("called", 5, "S001")


def test_a_finished_a_wrong_and_an_unknown_ref_look_the_same():
    board = Board()
    board.update("social", feed(called=[(REF_A, "S001", 5)]))
    board.update("social", feed())  # finished: it left the list
    assert board.view(oid(REF_A)) is NOTHING
    assert board.view(oid(REF_B)) is NOTHING
    assert board.view("not an id") is NOTHING


def test_a_transfer_moves_the_ticket_to_its_new_service():
    board = Board()
    board.update("social", feed(waiting=[(REF_A, "S001", 9, 3, 15)]))
    board.update("health", feed("health", waiting=[(REF_B, "H001", 3, 0, 7), (REF_A, "S001", 9, 3, 15)]))
    board.update("social", feed())
    assert board.view(oid(REF_A))["service"] == "health" and board.view(oid(REF_A))["ahead"] == 1


def test_a_list_of_a_day_that_is_over_shows_nothing():
    board = Board()
    board.update("social", feed(day="2026-12-02", waiting=[(REF_A, "S001", 9, 3, 15)]))
    board.update("health", feed("health", day="2026-12-03", waiting=[(REF_B, "H001", 3, 0, 7)]))
    assert board.view(oid(REF_A)) is NOTHING and board.view(oid(REF_B))["state"] == "waiting"


def test_a_cleared_topic_forgets_its_tickets():
    board = Board()
    board.update("social", feed(waiting=[(REF_A, "S001", 9, 3, 15)]))
    assert board.update("social", None) and board.view(oid(REF_A)) is NOTHING


@pytest.mark.parametrize("bad", [
    42, "text", {"type": "state.service"}, {**feed(), "service": "health"},
    {**feed(), "waiting": [{"id": "../../x", "code": "S1", "language": "pt", "wait_min": 1, "low_min": 0,
                            "high_min": 2}]},
    {**feed(), "waiting": [{"id": "a" * 24, "code": "S1", "language": "pt", "wait_min": 1, "low_min": 5,
                            "high_min": 2}]},
    {**feed(), "called": [{"id": "a" * 24, "code": "S1", "language": "pt", "counter_number": True}]},
    {**feed(), "names": ["pt"]}, {**feed(), "service_day": "yesterday"},
])
def test_a_bad_feed_message_is_refused_counted_and_changes_nothing(bad):
    board = Board()
    board.update("social", feed(waiting=[(REF_A, "S001", 9, 3, 15)]))
    before = board.view(oid(REF_A))
    assert board.update("social", bad) is False
    assert board.view(oid(REF_A)) == before and sum(board.bad.values()) == 1


# ------------------------------------------------------------------ limits
class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_guessing_is_refused_after_ten_misses_for_right_and_wrong_refs_alike_then_comes_back():
    clock = Clock()
    limits = IpLimits(clock)
    for _ in range(10):
        assert not limits.guessing("10.0.0.9")
        limits.note_miss("10.0.0.9")
    assert limits.guessing("10.0.0.9") and limits.refused["guessing"] == 1
    assert not limits.guessing("10.0.0.10")  # another phone is not concerned
    clock.now += 6.1  # one miss back every 6 s
    assert not limits.guessing("10.0.0.9")


def test_requests_are_limited_per_address():
    clock = Clock()
    limits = IpLimits(clock, rate=1, burst=30)
    assert all(limits.allow_request("10.0.0.9") for _ in range(30))
    assert not limits.allow_request("10.0.0.9") and limits.refused["requests"] == 1
    clock.now += 1
    assert limits.allow_request("10.0.0.9")


def test_open_connections_are_limited_and_given_back():
    limits = IpLimits(Clock(), max_open=2)
    assert limits.open("ip") and limits.open("ip") and not limits.open("ip")
    limits.close("ip")
    assert limits.open("ip")


def test_a_flood_of_addresses_costs_bounded_memory_but_keeps_open_pages():
    limits = IpLimits(Clock(), max_addresses=100)
    assert limits.open("keep")
    for n in range(1000):
        limits.allow_request(f"10.0.{n // 250}.{n % 250}")
    assert len(limits.clients) == 100 and "keep" in limits.clients


# ------------------------------------------------------------------ words
def test_the_page_speaks_the_tickets_language_unless_the_visitor_chose_another():
    assert language_of(None, "ar") == "ar"
    assert language_of("uk", "ar") == "uk"
    assert language_of(None, None, "fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert language_of("xx", "yy", "de") == "pt"


def test_arabic_is_right_to_left_and_uses_the_kiosks_plural_forms():
    board = Board()
    board.update("social", feed(waiting=[(REF_B, "S002", 3, 0, 7), (REF_C, "S003", 4, 1, 8),
                                         (REF_A, "S004", 20, 12, 31)]))
    words = render(board.view(oid(REF_A)), "ar")
    assert words["dir"] == "rtl" and words["lang"] == "ar" and words["service"] == NAMES["ar"]
    assert words["ahead"] == "أمامك شخصان"  # Arabic's dual, from the kiosk's catalog
    assert "12–31" in words["wait"] and words["alert"] == ""
    english = render(board.view(oid(REF_A)), "en")
    assert english["ahead"] == "2 people ahead of you" and english["wait"] == "About 12–31 minutes"
    assert render(board.view(oid(REF_B)), "en")["alert"].startswith("Your turn is near")


def test_the_call_banner_names_the_counter_in_every_language():
    board = Board()
    board.update("social", feed(called=[(REF_A, "S001", 5)]))
    for lang in LANGUAGES:
        words = render(board.view(oid(REF_A)), lang)
        assert words["state"] == "called" and "5" in words["banner"] and words["code"] == "S001"
    assert render(board.view(oid(REF_A)), "en")["banner"] == "Your turn: counter 5"
    assert render(NOTHING, "pt")["none"].startswith("Não há nenhuma senha")


# ------------------------------------------------------------------ refs and ids
@pytest.mark.parametrize("typed, ref", [
    ("abcd efgh ijkl mnop", "abcdefghijklmnop"),                   # the old 16, typed in groups
    ("ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ", "abcdefghijklmnopqrstuvwxyz"),  # the new 26, from the paper
    ("abcd", None), ("abcdefghijklmnop1", None), ("a" * 33, None), ("ábcdefghijklmnop", None), ("", None),
])
def test_a_ref_is_read_as_printed_or_typed(typed, ref):
    assert normal_ref(typed) == ref


def test_the_opaque_id_depends_on_the_sites_secret():
    assert opaque_id(KEY, REF_A) != opaque_id(guest_key("another site"), REF_A)
    assert len(opaque_id(KEY, REF_A)) == 24 and REF_A not in opaque_id(KEY, REF_A)
