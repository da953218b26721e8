"""Simulated visitors, staff and wall displays for the demo centre.

Each actor is a real device client (its own credentials, its own DeviceLink)
that behaves like the people around it: visitors pick a matter at a kiosk in
their language, staff call, recall, transfer and finish, displays print the
calls they receive (a display whose real wall screen runs prints through the
demo's read-only observer instead).  Times are divided by ``speed`` so a day
runs in minutes.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Callable

from kiosk.console import wait_words
from mqttlink.link import DeviceLink, LinkError, RequestRefused
from siteconf.schema import MenuEntry, Site

#: languages of visitors, roughly as the brief describes CNAI's public
LANGUAGE_SHARE = {"pt": 30, "en": 12, "fr": 8, "es": 4, "uk": 8, "ru": 4, "ar": 6, "hi": 12, "ne": 10, "bn": 6}

Say = Callable[[str, str], None]


def menu_leaves(entries: list[MenuEntry]) -> list[MenuEntry]:
    leaves = []
    for entry in entries:
        leaves += [entry] if entry.service else menu_leaves(entry.children)
    return leaves


class Actor(threading.Thread):
    """``name``: whom it plays (default: the link's device)."""

    def __init__(self, link: DeviceLink, site: Site, say: Say, speed: float, rng: random.Random,
                 stop: threading.Event, name: str | None = None):
        super().__init__(name=name or link.device_id, daemon=True)
        self.link, self.site, self.say, self.speed, self.rng, self.stop_event = link, site, say, speed, rng, stop

    def pause(self, seconds: float) -> bool:
        """Sleep in simulated time; False when the demo is stopping."""
        return not self.stop_event.wait(seconds / self.speed)

    def text(self, localized: dict[str, str], language: str | None = None) -> str:
        return localized.get(language or "en") or localized.get("en") or localized[self.site.site.default_language]


class VisitorStream(Actor):
    """Visitors arriving at one kiosk: mean ``gap_s`` simulated seconds apart."""

    #: every how many tickets the stream prints one's phone page (the first ticket's too)
    PAGE_EVERY = 10

    def __init__(self, *args, gap_s: float = 40.0, pages: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.gap_s = gap_s
        #: the visitors' page server (``http://127.0.0.1:<port>``): some tickets' page links are said
        self.pages = pages
        self.issued = 0
        self.leaves = menu_leaves(self.site.kiosk.menu)
        self.languages = [lang for lang in LANGUAGE_SHARE if lang in self.site.site.languages] or \
            self.site.site.languages

    def run(self) -> None:
        while self.pause(self.rng.expovariate(1 / self.gap_s)):
            language = self.rng.choices(self.languages, [LANGUAGE_SHARE.get(x, 1) for x in self.languages])[0]
            unsure = self.rng.random() < 0.15
            service_id = self.site.kiosk.unsure_service if unsure else self.rng.choice(self.leaves).service
            service = self.site.service(service_id)
            priority = service.priority_eligible and self.rng.random() < 0.1
            try:
                ticket = self.link.request("issue_ticket", service=service_id, language=language, priority=priority)["ticket"]
            except (LinkError, RequestRefused) as exc:
                self.say(self.link.device_id, f"could not issue a ticket: {exc}")
                continue
            mark = " priority" if priority else ""
            self.say(self.link.device_id,
                     f"ticket {ticket['code']:<5} {self.text(service.name)} [{language}{mark}] "
                     f"{ticket['people_ahead']} ahead, {wait_words(ticket)}")
            if self.pages and self.issued % self.PAGE_EVERY == 0:
                self.say(self.link.device_id, f"ticket {ticket['code']}'s phone page: {self.pages}/t/{ticket['ref']}")
            self.issued += 1


class Clerk(Actor):
    """The staff member at one counter."""

    def __init__(self, *args, counter_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.counter = self.site.counter(counter_id)
        self.name = self.text(self.counter.name)

    def request(self, action: str, **fields) -> dict | None:
        try:
            return self.link.request(action, **fields)
        except (LinkError, RequestRefused) as exc:
            if not self.stop_event.is_set():
                self.say(self.name, f"{action} failed: {exc}")
            return None

    def run(self) -> None:
        while not self.stop_event.is_set():
            result = self.request("call_next")
            ticket = result and result["ticket"]
            if not ticket:
                if not self.pause(20):
                    return
                continue
            self.say(self.name, f"calls {ticket['code']} ({ticket['service']}), {result['waiting']} waiting here")
            if self.rng.random() < 0.08:  # nobody comes: recall, then no-show
                if not self.pause(30):
                    return
                self.say(self.name, f"recalls {ticket['code']}")
                self.request("recall")
                if not self.pause(30):
                    return
                if self.request("no_show"):
                    self.say(self.name, f"{ticket['code']} did not come (no-show)")
                continue
            service = self.site.service(ticket["service"])
            minutes = service.service_minutes or self.site.policies.default_service_minutes
            if not self.pause(self.rng.uniform(0.5, 1.5) * minutes * 60):
                return
            targets = [t for t in self.counter.transfer_targets if t != ticket["service"]]
            if targets and self.rng.random() < 0.7:
                target = self.rng.choice(targets)
                moved = self.request("transfer", service=target)
                if moved:
                    self.say(self.name, f"sends {ticket['code']} on to {self.text(self.site.service(target).name)}"
                                        f" (same code, {moved['ticket']['people_ahead']} ahead)")


class WallDisplay(Actor):
    """Prints what a wall display of one zone shows and announces."""

    def __init__(self, *args, zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def run(self) -> None:
        topics = self.link.topics
        self.link.subscribe(topics.zone_events(self.zone), self.on_event)
        self.stop_event.wait()

    def on_event(self, topic: str, event: dict) -> None:
        if event is None or event.get("event") not in ("ticket_called", "ticket_recalled"):
            return
        call = event["data"]
        counter = self.site.counter(call["counter"])
        again = " (again)" if event["event"] == "ticket_recalled" else ""
        languages = "pt" if call["language"] == "pt" else f"pt + {call['language']}"
        self.say(self.name, f">>> {call['code']} -> {self.text(counter.name, 'pt')}{again}"
                            f"   [announced in {languages}]")


def waiting_summary(site: Site, states: dict[str, dict]) -> str:
    parts = []
    for service in site.services:
        state = states.get(service.id)
        if state and state["waiting"]:
            parts.append(f"{service.prefix}:{state['waiting']}")
    return "waiting " + (" ".join(parts) if parts else "none")


def now_hms() -> str:
    return time.strftime("%H:%M:%S")
