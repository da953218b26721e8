"""The hub's guest feed through the real broker and hub, and the page server that reads it
(issue 16): only the page server's identity reads it, it names tickets by opaque id only, and a
ticket's page follows it from issue to the call to its end without asking the hub."""

from __future__ import annotations

import json
import time
import urllib.request

from mqtt_helpers import Inbox, topic_is

from contract.acl import GUESTPAGE_ID
from contract.guest import opaque_id
from mqttlink.link import DeviceLink


def state(guest, ref: str, lang: str = "en") -> dict:
    with urllib.request.urlopen(f"{guest.url}/t/{ref}/state?lang={lang}", timeout=5) as response:
        return json.loads(response.read())


def wait_state(guest, ref: str, want: str, timeout: float = 5.0, every: float = 0.02) -> dict:
    """A page's view once it is ``want`` (or at the deadline); a ref not in today's lists is a miss,
    which the guessing limit counts: wait for a new ticket with a longer ``every``."""
    deadline = time.monotonic() + timeout
    while True:
        view = state(guest, ref)
        if view["state"] == want or time.monotonic() > deadline:
            return view
        time.sleep(every)


def test_only_the_page_server_reads_the_feed_and_it_holds_no_ref(centre):
    kiosk = centre.link("kiosk-1")
    watch = centre.monitor()
    page_server = DeviceLink(centre.site.site.id, GUESTPAGE_ID, centre.credentials.password_for(GUESTPAGE_ID),
                             host="127.0.0.1", port=centre.port, role="guestpage", timing=centre.timing)
    seen_by_monitor, seen_by_guest = Inbox(), Inbox()
    watch.subscribe(watch.topics.all_guest_services(), seen_by_monitor)
    watch.subscribe(watch.topics.service_state("reception"), seen_by_monitor)
    page_server.subscribe(page_server.topics.all_guest_services(), seen_by_guest)
    page_server.start()
    assert page_server.wait_connected(5)
    time.sleep(0.3)
    ticket = kiosk.request("issue_ticket", service="reception", language="en", priority=False)["ticket"]
    topic, feed = seen_by_guest.wait_for(topic_is(page_server.topics.guest_service("reception"),
                                                  lambda p: any(w["code"] == ticket["code"] for w in p["waiting"])))
    entry = next(w for w in feed["waiting"] if w["code"] == ticket["code"])
    assert entry["id"] == opaque_id(centre.guest_key(), ticket["ref"]) and entry["language"] == "en"
    assert (entry["low_min"], entry["high_min"]) == (ticket["estimated_wait_low_min"], ticket["estimated_wait_high_min"])
    assert ticket["ref"] not in json.dumps(feed)
    seen_by_monitor.wait_for(topic_is(watch.topics.service_state("reception"), lambda p: p["waiting"] >= 1))
    time.sleep(0.3)
    assert not [t for t, _ in seen_by_monitor.messages if "/guest/" in t], "a monitor read the guest feed"
    page_server.close()


def test_a_page_follows_its_ticket_from_issue_to_the_call_to_its_end(centre):
    guest = centre.guest_pages()
    kiosk, counter = centre.link("kiosk-1"), centre.link("counter-1")
    first, mine = (kiosk.request("issue_ticket", service="reception", language=lang, priority=False)["ticket"]
                   for lang in ("pt", "en"))
    view = wait_state(guest, mine["ref"], "waiting")
    assert view["code"] == mine["code"] and view["ahead"] == "1 person ahead of you"
    assert view["service"] == "Welcoming and sorting"
    counter.request("call_next")  # calls the first
    assert wait_state(guest, first["ref"], "called")["banner"] == "Your turn: counter 1"
    deadline = time.monotonic() + 5
    while state(guest, mine["ref"])["ahead"] != "No one is ahead of you" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert state(guest, mine["ref"])["ahead"] == "No one is ahead of you"
    counter.request("call_next")  # the first is finished, mine is called
    assert wait_state(guest, mine["ref"], "called")["banner"] == "Your turn: counter 1"
    assert wait_state(guest, first["ref"], "none")["state"] == "none"
    assert state(guest, mine["ref"], "uk")["banner"] == "Ваша черга: віконце 1"
    counter.request("finish")
    assert wait_state(guest, mine["ref"], "none")["state"] == "none"
    assert guest.server.board.bad == {}


def test_the_feeds_estimates_are_what_each_ticket_was_told(tmp_path):
    """The feed walks the queue once instead of asking ``estimate.for_ticket`` ticket by ticket: the
    same three figures for every position, priority tickets and two services included."""
    from sites import small_site

    from contract.guest import guest_key
    from contract.qr import new_ref
    from hub import estimate
    from hub.clock import FakeClock
    from hub.engine import Engine
    from hub.store import Store

    clock = FakeClock()
    engine = Engine(small_site(), Store(str(tmp_path / "hub.sqlite3")), clock, guest_key=guest_key("x"))
    model = engine.model
    day = engine.time.service_day(clock.now())
    for n in range(60):
        model.issue(service_id=("reception", "immigration")[n % 2], language="pt", priority=n % 7 == 0,
                    source="kiosk-1", ref=new_ref(), now=clock.now() + n, service_day=day)
    for service in ("reception", "immigration"):
        feed = engine.snap.guest(service, 1, engine.guest_key)
        told = [estimate.for_ticket(model, t, clock.now()) for _, t in model.waiting[service]]
        assert [(w["wait_min"], w["low_min"], w["high_min"]) for w in feed["waiting"]] == told
        assert [w["code"] for w in feed["waiting"]] == [t.code for _, t in model.waiting[service]]


def test_the_hub_reads_its_key_from_guest_toml_and_runs_without_it(broker_only, tmp_path):
    """The hub process's start (``hub.main``): the key from the guest.toml beside its device file, the
    same as the page server derives; without the file, or with another identity's, no feed (and tickets
    as before)."""
    import tomli_w
    from sites import small_site_dict

    from hub.main import build_service

    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(small_site_dict()), encoding="utf-8")
    device_file = broker_only.write_hub_device_file(site_file)
    service = build_service(str(device_file))
    assert service.engine.guest_key == broker_only.guest_key()
    service.store.close()
    guest_file = device_file.parent / "guest.toml"
    guest_file.write_text(guest_file.read_text().replace("guestpage.web", "monitor.fleet"))
    service = build_service(str(device_file))
    assert service.engine.guest_key is None
    service.store.close()
    guest_file.unlink()
    service = build_service(str(device_file))
    assert service.engine.guest_key is None
    service.store.close()


def test_while_the_hub_is_away_the_page_says_so_and_keeps_the_place(centre):
    guest = centre.guest_pages()
    ticket = centre.link("kiosk-1").request("issue_ticket", service="reception", language="en",
                                            priority=False)["ticket"]
    assert wait_state(guest, ticket["ref"], "waiting")["hub_down"] == ""
    centre.stop_hub()
    deadline = time.monotonic() + 5
    while not state(guest, ticket["ref"])["hub_down"] and time.monotonic() < deadline:
        time.sleep(0.02)
    away = state(guest, ticket["ref"])
    assert away["hub_down"].startswith("The centre's queue system is not answering")
    assert away["state"] == "waiting" and away["code"] == ticket["code"], "the last known place stays"
    centre.start_hub()
    deadline = time.monotonic() + 5
    while state(guest, ticket["ref"])["hub_down"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert state(guest, ticket["ref"])["hub_down"] == ""


def test_at_the_new_service_day_yesterdays_pages_show_nothing(tmp_path):
    """The day rolls over on the hub's own clock with nobody asking anything (its tick): every
    service's feed is published for the new day, and a page of yesterday's waiting ticket, still
    open on a phone, says nothing any more (issue 16: "it shows nothing once the day is over")."""
    from hub.clock import FakeClock
    from simulator.centre import LocalCentre
    from sites import small_site

    clock = FakeClock(time.time() - 86400)  # yesterday, so that "the next day" is not past any deadline
    centre = LocalCentre(small_site(), tmp_path, clock=clock).start()
    try:
        guest = centre.guest_pages()
        kiosk = centre.link("kiosk-1")
        ticket = kiosk.request("issue_ticket", service="reception", language="en", priority=False)["ticket"]
        assert wait_state(guest, ticket["ref"], "waiting", every=0.25)["code"] == ticket["code"]
        yesterday = centre.hub.engine.model.service_day
        clock.t = time.time()
        # the hub's tick (every hub.service.TICK_S, 15 s) rolls the day over; polled within the page limits
        view = wait_state(guest, ticket["ref"], "none", timeout=25, every=1.5)
        assert view["state"] == "none" and centre.hub.engine.model.service_day > yesterday
        assert guest.server.board.today() > yesterday and guest.server.board.bad == {}
        # and a ticket of the new day shows as ever
        today = kiosk.request("issue_ticket", service="reception", language="en", priority=False)["ticket"]
        assert today["code"] == "A001" and wait_state(guest, today["ref"], "waiting", every=0.5)["code"] == "A001"
    finally:
        centre.close()
