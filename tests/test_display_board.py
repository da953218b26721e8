"""The wall display's board model without a screen: retained state, live events,
duplicates and gaps (per-zone seq), highlight timing, offline mark."""

from __future__ import annotations

from display.board import BoardModel

SITE = {
    "v": 1, "type": "config.site",
    "site": {"id": "s", "name": "CNAI Lisboa", "timezone": "Europe/Lisbon", "languages": ["pt", "uk", "ar"],
             "default_language": "pt"},
    "zones": [{"id": "ground", "name": {"pt": "Piso 0", "uk": "Поверх 0"}}],
    "services": [{"id": "triage", "prefix": "A", "name": {"pt": "Acolhimento", "uk": "Прийом"}}],
    "counters": [{"id": "c5", "number": 5, "name": {"pt": "Balcão 5", "uk": "Вікно 5", "ar": "الشباك 5"},
                  "zone": "ground"},
                 {"id": "c6", "number": 6, "name": {"pt": "Balcão 6"}, "zone": "ground"}],
    "ticker": {"messages": [{"pt": "Olá", "uk": "Привіт"}], "speed_px_s": 60},
}
DEVICE = {"v": 1, "type": "config.device", "device": {"id": "display-ground", "zone": "ground"}}


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def call(code, counter="c5", number=5, language="pt", recall=0, rev=1):
    return {"code": code, "service": "triage", "counter": counter, "counter_number": number, "zone": "ground",
            "language": language, "recall": recall, "at": "2026-03-10T09:00:00+00:00", "rev": rev}


def state(seq, calls, waiting=3):
    return {"v": 1, "type": "state.zone", "rev": seq, "seq": seq, "zone": "ground", "service_day": "2026-03-10",
            "calls": calls, "counters": [],
            "services": [{"service": "triage", "waiting": waiting, "estimated_wait_min": 15}]}


def event(seq, data, kind="ticket_called"):
    return {"v": 1, "type": "event", "event": kind, "rev": seq, "seq": seq, "zone": "ground", "at": "", "data": data}


def board() -> tuple[BoardModel, FakeClock]:
    clock = FakeClock()
    model = BoardModel("display-ground", highlight_s=8, clock=clock)
    model.on_site_config(SITE)
    assert model.on_device_config(DEVICE) == "ground"
    model.on_link(True)
    model.on_hub_presence({"online": True})
    return model, clock


def test_retained_state_draws_the_picture_at_once_without_highlight_or_announcement():
    model, _ = board()
    model.on_zone_state(state(4, [call("A002", rev=4), call("A001", counter="c6", number=6, rev=2)]))
    view = model.view()
    assert view.newest.code == "A002" and view.newest.counter_name == "Balcão 5"
    assert [c.code for c in view.previous] == ["A001"]
    assert not view.highlighted and not view.offline
    assert view.services[0].waiting == 3 and view.services[0].prefix == "A"
    assert view.site_name == "CNAI Lisboa" and view.zone_name["pt"] == "Piso 0"
    assert view.ticker == (("pt", "Olá"), ("uk", "Привіт"))


def test_a_live_call_goes_on_top_is_highlighted_for_a_while_and_is_announced_once():
    model, clock = board()
    model.on_zone_state(state(4, [call("A002", rev=4)]))
    said = model.on_event(event(5, call("A003", language="uk", rev=5)))
    assert [(c.code, c.language, c.counter_number) for c in said] == [("A003", "uk", 5)]
    view = model.view()
    assert view.newest.code == "A003" and view.highlighted
    assert view.newest.visitor_counter_name == "Вікно 5"
    # the state that includes the event follows: same top call, the highlight goes on
    clock.now += 3
    model.on_zone_state(state(5, [call("A003", language="uk", rev=5), call("A002", rev=4)]))
    assert model.view().highlighted and 4.9 < model.highlight_remaining() < 5.1
    # a duplicate delivery (QoS 1) changes nothing and is not announced again
    assert model.on_event(event(5, call("A003", language="uk", rev=5))) == []
    assert model.ignored_events == 1
    clock.now += 5.1
    assert not model.view().highlighted


def test_a_recall_moves_the_ticket_back_on_top_and_is_announced_again():
    model, _ = board()
    model.on_zone_state(state(6, [call("A003", rev=6), call("A002", counter="c6", number=6, rev=5)]))
    said = model.on_event(event(7, call("A002", counter="c6", number=6, recall=1, rev=7), "ticket_recalled"))
    assert [(c.code, c.recall) for c in said] == [("A002", 1)]
    view = model.view()
    assert view.newest.code == "A002" and view.newest.recall == 1 and view.highlighted
    assert [c.code for c in view.previous] == ["A003"]  # each ticket once


def test_a_gap_is_shown_from_the_state_that_follows_and_never_announced():
    model, clock = board()
    model.on_zone_state(state(4, [call("A002", rev=4)]))
    clock.now += 60
    # events 5 and 6 were lost; 7 is a counter status change
    assert model.on_event(event(7, {"counter": "c5", "status": "paused"}, "counter_status")) == []
    assert model.gap
    model.on_zone_state(state(7, [call("A004", rev=6), call("A003", rev=5), call("A002", rev=4)]))
    view = model.view()
    assert not model.gap
    assert [view.newest.code] + [c.code for c in view.previous] == ["A004", "A003", "A002"]
    assert view.highlighted  # new on screen, so highlighted, but nothing was announced


def test_events_of_other_zones_and_other_kinds_are_not_calls():
    model, _ = board()
    model.on_zone_state(state(1, []))
    other = event(2, call("B001"))
    other["zone"] = "first"
    assert model.on_event(other) == []
    assert model.on_event(event(2, {"code": "A009", "service": "triage"}, "ticket_issued")) == []
    assert model.view().newest is None and model.last_seq == 2


def test_offline_keeps_the_last_picture_and_recovers():
    model, _ = board()
    model.on_zone_state(state(4, [call("A002", rev=4)]))
    model.on_link(False)
    view = model.view()
    assert view.offline and view.newest.code == "A002"
    model.on_link(True)
    assert not model.view().offline
    model.on_hub_presence({"online": False})  # the hub's last will
    assert model.view().offline and model.view().newest.code == "A002"
    model.on_hub_presence({"online": True})
    assert not model.view().offline


def test_a_restart_of_the_hub_service_day_replaces_everything():
    model, _ = board()
    model.on_zone_state(state(9, [call("A009", rev=9)]))
    empty = state(9, [], waiting=0)
    empty["service_day"] = "2026-03-11"
    model.on_zone_state(empty)
    assert model.view().newest is None and model.service_day == "2026-03-11"


def test_a_visitor_in_the_default_language_gets_no_second_counter_name():
    model, _ = board()
    model.on_zone_state(state(1, [call("A001", language="pt")]))
    assert model.view().newest.visitor_counter_name is None
    model.on_zone_state(state(2, [call("A002", counter="c6", number=6, language="uk")]))
    assert model.view().newest.visitor_counter_name is None  # c6 has no Ukrainian name


def test_a_call_committed_longer_ago_than_announce_max_age_is_listed_silently():
    """A hub that comes back after a crash delivers the calls it had committed: one made minutes
    ago goes on the list without a chime, a highlight or a voice sending the visitor running."""
    committed = 1_773_133_200.0  # 2026-03-10T09:00:00Z, the time in call()
    model, _ = board()
    model.on_zone_state(state(4, [call("A002", rev=4)]))
    model.wall_clock = lambda: committed + 31
    assert model.on_event(event(5, call("A003", rev=5)) | {"at": "2026-03-10T09:00:00+00:00"}) == []
    view = model.view()
    assert view.newest.code == "A003" and not view.highlighted and model.late_calls == 1
    model.wall_clock = lambda: committed + 29
    said = model.on_event(event(6, call("A004", rev=6)) | {"at": "2026-03-10T09:00:00+00:00"})
    assert [c.code for c in said] == ["A004"] and model.view().highlighted


def test_the_site_file_sets_how_old_a_call_may_be_and_still_be_announced():
    committed = 1_773_133_200.0
    model, _ = board()
    model.on_site_config(SITE | {"policies": {"announce_max_age_s": 120}})
    model.on_zone_state(state(4, []))
    model.wall_clock = lambda: committed + 90
    assert [c.code for c in model.on_event(event(5, call("A003", rev=5)) | {"at": "2026-03-10T10:00:00+01:00"})
            ] == ["A003"]


def test_the_waiting_list_shows_the_hubs_range_and_reads_an_older_hubs_point():
    from display.wording import wait_text
    model, _ = board()
    ranged = state(4, [call("A001", rev=4)])
    ranged["services"][0].update(estimated_wait_low_min=12, estimated_wait_high_min=25)
    model.on_zone_state(ranged)
    line = model.view().services[0]
    assert wait_text(*line.wait, "pt") == "12–25 min"
    model.on_zone_state(state(5, [call("A002", rev=5)]))  # a hub from before the range: its point only
    line = model.view().services[0]
    assert wait_text(*line.wait, "pt") == "~15 min"
    assert wait_text(0, 6, "en") == "0–6 min" and wait_text(0, 0, "pt") == "< 1 min"
    assert wait_text(None, None, "pt") == "–"
