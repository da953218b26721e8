"""The kiosk's visitor flow without a screen: taps, hub answers, timeouts."""

from __future__ import annotations

import pytest

from hub.clock import FakeClock
from kiosk.flow import IssueRequest, KioskConfig, KioskFlow
from siteconf import EXAMPLE_SITE, load_site
from siteconf.slices import device_slice, public_config


def cnai_flow(device: str = "kiosk-01", **overrides) -> tuple[KioskFlow, FakeClock]:
    site = load_site(EXAMPLE_SITE)
    config = KioskConfig.from_payloads(public_config(site), device_slice(site, device)["device"])
    if overrides:
        config = KioskConfig(**{**config.__dict__, **overrides})
    clock = FakeClock(1000.0)
    return KioskFlow(config, clock), clock


def test_three_taps_from_language_to_a_ticket_request_for_an_office():
    flow, _ = cnai_flow()
    flow.choose_language("uk")                       # tap 1
    assert flow.screen == "menu" and flow.language == "uk"
    assert flow.open_entry("work") is None           # tap 2: a matter with offices
    assert [e["id"] for e in flow.entries()] == ["work-conditions", "work-jobs"]
    request = flow.open_entry("work-jobs")           # tap 3: the office issues the ticket
    assert request == IssueRequest("employment", "uk", False)
    assert flow.state.busy


def test_a_top_level_office_is_two_taps_and_i_dont_know_goes_to_the_welcoming_office():
    flow, _ = cnai_flow()
    flow.choose_language("ar")
    assert flow.open_entry("health") == IssueRequest("health", "ar", False)
    flow.issue_refused("site_closed")
    assert flow.unsure() == IssueRequest("triage", "ar", False)


def test_the_priority_category_never_leaves_the_kiosk():
    flow, _ = cnai_flow()
    flow.choose_language("pt")
    flow.toggle_priority("pregnancy")
    request = flow.open_entry("residence")
    assert request == IssueRequest("immigration", "pt", True)
    assert "pregnancy" not in repr(request)
    assert flow.state.priority == "pregnancy"


def test_priority_is_a_toggle_and_unknown_categories_are_refused():
    flow, _ = cnai_flow()
    flow.choose_language("en")
    flow.toggle_priority("elderly")
    flow.toggle_priority("elderly")
    assert flow.state.priority is None
    with pytest.raises(ValueError):
        flow.toggle_priority("vip")


def test_a_service_that_is_not_priority_eligible_gets_a_normal_ticket():
    flow, _ = cnai_flow(priority_services=frozenset({"triage"}))
    flow.choose_language("en")
    flow.toggle_priority("disability")
    assert flow.open_entry("health").priority is False


def test_a_second_tap_while_the_hub_answers_asks_for_nothing():
    flow, _ = cnai_flow()
    flow.choose_language("en")
    assert flow.open_entry("health") is not None
    assert flow.open_entry("health") is None and flow.unsure() is None
    flow.back()
    assert flow.screen == "menu" and flow.state.busy


def test_the_ticket_screen_returns_to_the_start_after_its_time():
    flow, clock = cnai_flow(ticket_screen_s=20)
    flow.choose_language("hi")
    flow.open_entry("health")
    flow.ticket_issued({"code": "U001"})
    clock.advance(19)
    flow.tick()
    assert flow.screen == "ticket"
    clock.advance(1)
    flow.tick()
    assert flow.screen == "start" and flow.state.language is None


def test_a_printer_fault_keeps_the_ticket_on_screen_longer():
    flow, clock = cnai_flow(ticket_screen_s=20)
    flow.choose_language("en")
    flow.open_entry("health")
    flow.ticket_issued({"code": "U001"})
    flow.ticket_printed(False, "paper_out")
    assert flow.state.print_state == "fault"
    clock.advance(30)
    flow.tick()
    assert flow.screen == "ticket"
    clock.advance(11)
    flow.tick()
    assert flow.screen == "start"


def test_idle_timeout_resets_language_priority_and_accessibility():
    flow, clock = cnai_flow(idle_timeout_s=45)
    flow.choose_language("bn")
    flow.toggle_large_text()
    flow.toggle_low_layout()
    flow.toggle_priority("infant")
    flow.open_entry("work")
    clock.advance(44)
    flow.touched()
    clock.advance(44)
    flow.tick()
    assert flow.screen == "menu"
    clock.advance(1)
    flow.tick()
    s = flow.state
    assert (flow.screen, s.language, s.path, s.priority, s.large_text, s.low_layout) == \
        ("start", None, (), None, False, False)


def test_start_again_keeps_the_accessibility_modes():
    flow, _ = cnai_flow()
    flow.choose_language("fr")
    flow.toggle_large_text()
    flow.start_again()
    assert flow.screen == "start" and flow.state.large_text and flow.state.language is None


def test_the_language_can_change_on_any_screen_without_leaving_it():
    flow, _ = cnai_flow()
    flow.choose_language("pt")
    flow.open_entry("documents")
    flow.open_language_picker()
    flow.choose_language("ne")
    assert (flow.screen, flow.state.path, flow.language, flow.state.language_picker) == \
        ("menu", ("documents",), "ne", False)
    with pytest.raises(ValueError):
        flow.choose_language("de")


def test_hub_down_shows_unavailable_and_recovers_to_the_menu_by_itself():
    flow, _ = cnai_flow()
    flow.choose_language("uk")
    flow.open_entry("work")
    flow.set_tickets_available(False, "hub_offline")
    assert flow.screen == "unavailable" and flow.unavailable_reason == "hub_offline"
    assert flow.open_entry("work-jobs") is None
    flow.set_tickets_available(True)
    assert flow.screen == "menu" and flow.state.path == () and flow.language == "uk"


def test_a_request_that_times_out_makes_tickets_unavailable():
    flow, _ = cnai_flow()
    flow.choose_language("en")
    flow.open_entry("health")
    flow.issue_failed("timeout")
    assert flow.screen == "unavailable" and not flow.state.busy and not flow.tickets_available


def test_choosing_a_language_while_the_hub_is_down_says_so_at_once():
    flow, _ = cnai_flow()
    flow.set_tickets_available(False, "broker")
    flow.choose_language("ar")
    assert flow.screen == "unavailable"
    flow.open_info()
    assert flow.screen == "info"
    flow.back()
    assert flow.screen == "unavailable"


def test_an_information_only_kiosk_starts_on_the_information_point_and_issues_nothing():
    flow, _ = cnai_flow("kiosk-03")
    flow.choose_language("es")
    assert flow.screen == "info"
    flow.open_info_item("service", "housing")
    assert flow.issue_for("housing") is None
    flow.open_tickets()
    assert flow.screen == "info_item"
    flow.back()
    flow.back()
    assert flow.screen == "start"


def test_a_ticket_from_the_information_point():
    flow, _ = cnai_flow()
    flow.choose_language("ru")
    flow.open_info()
    flow.open_info_item("service", "legal")
    assert flow.issue_for("legal") == IssueRequest("legal", "ru", False)


def test_back_climbs_the_menu_then_returns_to_the_languages():
    flow, _ = cnai_flow()
    flow.choose_language("en")
    flow.open_entry("legal")
    flow.back()
    assert flow.screen == "menu" and flow.state.path == ()
    flow.back()
    assert flow.screen == "start"


def test_the_survey_slot_stays_closed_until_its_screen_exists():
    flow, _ = cnai_flow("kiosk-03")
    flow.choose_language("en")
    flow.open_survey()
    assert flow.screen == "info"
    flow.survey_ready = True
    flow.open_survey()
    assert flow.screen == "survey"


def test_a_timeout_reported_twice_still_leaves_the_menu():
    """The connection says "unavailable" while the request is out, then the request fails."""
    flow, _ = cnai_flow()
    seen = []
    flow.on_change = lambda f: seen.append(f.screen)
    flow.choose_language("en")
    flow.open_entry("health")
    flow.set_tickets_available(False, "timeout")
    assert flow.screen == "menu"  # the visitor's request is still on its way
    flow.issue_failed("timeout")
    assert flow.screen == "unavailable" and seen[-1] == "unavailable"


def test_pages_never_hold_more_cells_than_the_grid_and_show_every_entry():
    from kiosk.sizing import page_slots
    for count in range(0, 25):
        for per_page in range(3, 12):
            for tail in (0, 1, 2):
                if per_page < tail + 3:
                    continue
                pages = page_slots(count, per_page, fixed_tail=tail)
                assert all(len(p) + tail <= per_page for p in pages), (count, per_page, tail)
                shown = [i for p in pages for kind, i in p if kind == "entry"]
                assert shown == list(range(count))
                assert all(("next", 0) in p for p in pages[:-1]) and all(("prev", 0) in p for p in pages[1:])


def test_touch_targets_are_15_mm_on_every_panel():
    from kiosk.sizing import Sizes, card_grid
    for width, height, diagonal in ((800, 480, 7), (1280, 800, 10.1), (1920, 1080, 15.6), (1080, 1920, 21.5)):
        sizes = Sizes.for_screen(width, height, diagonal)
        assert sizes.target >= sizes.mm(15)
        grid = card_grid(width * 0.95, height * 0.5, sizes)
        assert grid.card_height >= sizes.mm(15) and width * 0.95 / grid.cols >= sizes.mm(15)
    assert Sizes.for_screen(1920, 1080, None).px_per_mm == pytest.approx(150 / 25.4)
