"""The supervisor's console's view model from retained state, without a browser or a broker (issue 17):
queues, counters, devices, the day's figures; hostile retained messages refused, counted, harmless."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from console.view import Board, StateError, check, console_view
from contract import payloads
from contract.topics import Topics
from sites import SITE_ID, small_site

T = Topics(SITE_ID)
NOW = datetime(2026, 12, 3, 10, 30, tzinfo=timezone.utc).timestamp()


def board_with_a_morning() -> Board:
    board = Board(SITE_ID)
    board.update(T.presence("hub"), payloads.presence("hub", "hub", True, NOW - 3600))
    board.update(T.service_state("reception"), {
        **payloads.service_state(7, "reception", "2026-12-03", 5, 1, 1, 8.5, 20, "A003", 12, 31),
        "status": "open", "oldest_queued_at": "2026-12-03T10:02:00+00:00",
        "today": {"issued": 9, "served": 3, "no_shows": 1, "calls": 4, "mean_wait_min": 10.0,
                  "longest_wait_min": 21.5}})
    board.update(T.service_state("immigration"), {
        **payloads.service_state(7, "immigration", "2026-12-03", 0, 0, 0, 10, 0, None), "status": "paused",
        "status_reason": "system down at the ministry", "oldest_queued_at": None,
        "today": {"issued": 5, "served": 5, "no_shows": 0, "calls": 6, "mean_wait_min": 20.0,
                  "longest_wait_min": 30.0}})
    board.update(T.zone_state("first"), {**payloads.zone_state(7, 3, "first", "2026-12-03", [], [], []),
                                         "ticker": {"text": "Immigration resumes at 14:00", "since": None}})
    board.update(T.counter_state("c1"), payloads.counter_state(
        7, "c1", 1, "ground", "open", payloads.ticket_brief("A003", "reception", "2026-12-03T10:21:30+00:00", 1, "uk"),
        5))
    board.update(T.counter_state("c2"), payloads.counter_state(7, "c2", 2, "first", "closed", None, 0))
    board.update(T.presence("kiosk-1"), payloads.presence("kiosk-1", "kiosk", True, NOW - 60))
    board.update(T.health("kiosk-1"), payloads.health("kiosk-1", NOW - 50, {"printer": "paper_near_end",
                                                                             "scanner": "ok"}))
    board.update(T.presence("counter-1"), payloads.presence("counter-1", "counter", True, NOW - 60))
    board.update(T.presence("counter-1"), payloads.presence("counter-1", "counter", False, NOW - 60), now=NOW - 120)
    return board


def test_queues_counters_devices_and_figures_of_a_morning():
    site = small_site()
    view = console_view(board_with_a_morning(), site, NOW, "en")
    assert view.hub_online and view.service_day == "2026-12-03" and view.site_name == "Test centre"
    reception, immigration = view.queues
    assert (reception.name, reception.state, reception.waiting, reception.waiting_priority) == \
        ("Welcoming and sorting", "open", 5, 1)
    assert reception.estimate == (12, 31) and reception.longest_wait_min == 28 and reception.last_called == "A003"
    assert (immigration.state, immigration.state_reason) == ("paused", "system down at the ministry")
    assert immigration.estimate is None and immigration.longest_wait_min is None and immigration.today["calls"] == 6
    c1, c2 = view.counters
    assert (c1.status, c1.serving, c1.serving_language, c1.serving_min, c1.recalls) == ("open", "A003", "uk", 8, 1)
    assert (c2.status, c2.serving, c2.serving_min) == ("closed", None, None)
    devices = {d.device: d for d in view.devices}
    assert devices["kiosk-1"].online and devices["kiosk-1"].last_seen == NOW
    assert devices["kiosk-1"].problems == ("printer:paper_near_end",) and devices["kiosk-1"].scanner == "ok"
    assert devices["counter-1"].online is False and devices["counter-1"].last_seen == NOW - 120
    assert devices["display-first"].online is None and devices["display-first"].problems == ("never_seen",)
    assert view.figures == {"issued": 14, "served": 8, "no_shows": 1, "calls": 10, "mean_wait_min": 16.0,
                            "longest_wait_min": 30.0}
    assert view.tickers == (("first", "Immigration resumes at 14:00"),)
    assert view.waiting_total == 5 and view.problems == sum(1 for d in view.devices if d.problems)
    assert console_view(board_with_a_morning(), site, NOW, "pt").queues[0].name == "Acolhimento e triagem"


def test_a_counter_s_languages_are_the_hub_s_and_before_it_said_the_site_file_s():
    site = small_site()
    board = Board(SITE_ID)
    view = console_view(board, site, NOW, "en")
    assert view.counters[1].languages == tuple(site.counters[1].languages) and view.counters[0].status == "unknown"
    assert not view.hub_online and view.queues[0].waiting is None and view.figures == {}
    board.update(T.counter_state("c2"), {**payloads.counter_state(7, "c2", 2, "first", "open", None, 0),
                                         "languages": ["uk", "ru"], "languages_of_day": True})
    c2 = console_view(board, site, NOW, "en").counters[1]
    assert (c2.languages, c2.languages_of_day) == (("uk", "ru"), True)
    assert board.update(T.counter_state("c2"), {"status": "open", "languages": "uk"}) is False


def test_a_cleared_topic_forgets_and_a_repeat_changes_nothing():
    board = board_with_a_morning()
    again = payloads.counter_state(7, "c2", 2, "first", "closed", None, 0)
    assert board.update(T.counter_state("c2"), again) is False
    assert board.update(T.counter_state("c2"), None) is True
    assert console_view(board, small_site(), NOW).counters[1].status == "unknown"


def test_hostile_messages_are_refused_counted_and_change_nothing():
    board = board_with_a_morning()
    before = dict(board.entries)
    for topic, payload in [(T.service_state("reception"), {"waiting": -1}),
                           (T.service_state("reception"), {"waiting": True}),
                           (T.service_state("reception"), {"status": "exploded"}),
                           (T.service_state("reception"), {"today": {"issued": -3}}),
                           (T.zone_state("first"), {"ticker": "hello"}),
                           (T.counter_state("c1"), {"status": "open", "current": "A001"}),
                           (T.counter_state("c1"), {"status": "open", "current": {"called_at": "yesterday"}}),
                           (T.presence("kiosk-1"), {"online": "yes"}),
                           (T.health("kiosk-1"), {"at": float("nan")}),
                           (T.health("kiosk-1"), ["not", "an", "object"]),
                           (T.service_state("reception"), {"oldest_queued_at": "10:02"})]:
        assert board.update(topic, payload) is False
    assert board.entries == before and sum(board.bad.values()) == 11
    assert board.update(T.base + "/state/calls", {"x": 1}) is False and board.ignored == 1
    assert board.update("oss/v1/another-site/presence/hub", {"online": True}) is False


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["state/service", "state/counter", "state/zone", "presence", "health"]),
       payload=st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                            lambda inner: st.lists(inner, max_size=4)
                            | st.dictionaries(st.sampled_from(["waiting", "state", "status", "current", "online",
                                                               "since", "at", "printer", "called_at", "today",
                                                               "ticker", "text", "estimated_wait_low_min", "issued",
                                                               "oldest_queued_at", "code", "mean_wait_min"]), inner, max_size=6),
                            max_leaves=12))
def test_any_retained_message_is_kept_checked_or_refused_and_the_view_is_always_made(kind, payload):
    board = Board(SITE_ID)
    try:
        check(kind, payload)
    except StateError:
        pass
    topic = f"{T.base}/{kind}/first"
    board.update(topic, payload)
    console_view(board, small_site(), NOW, "en")
