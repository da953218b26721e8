"""Retained state the hub publishes, split so each device reads only what it needs.

* ``state/service/<id>``: waiting counts and the estimated wait (kiosks, displays)
* ``state/counter/<id>``: one counter's status and current ticket (its counter device)
* ``state/zone/<id>``: a wall display's whole picture: recent calls, counters, services
* ``state/calls``: the site's recent calls
* ``guest/service/<id>``: the waiting list by opaque id, for the guest page server only
Each carries ``rev``, the hub-wide revision of the last change it includes.
"""

from __future__ import annotations

from collections import deque

from contract import payloads
from contract.guest import opaque_id
from siteconf.schema import Site

from . import estimate
from .clock import Clock, SiteTime
from .queues import QueueModel, Ticket

RECENT_CALLS = 10


class SiteIndex:
    """Which counters serve a service and which services concern a zone (fixed per site file)."""

    def __init__(self, site: Site):
        self.counters_by_service: dict[str, list[str]] = {s.id: [] for s in site.services}
        for c in site.counters:
            for cs in c.services:
                self.counters_by_service[cs.service].append(c.id)
        self.services_by_zone: dict[str, list[str]] = {z.id: [] for z in site.zones}
        for s in site.services:
            self.services_by_zone[s.zone].append(s.id)
        for c in site.counters:
            for cs in c.services:
                if cs.service not in self.services_by_zone[c.zone]:
                    self.services_by_zone[c.zone].append(cs.service)
        self.counters_by_zone: dict[str, list[str]] = {z.id: [] for z in site.zones}
        for c in site.counters:
            self.counters_by_zone[c.zone].append(c.id)
        self.zone_of_service = {s.id: s.zone for s in site.services}
        self.zone_of_counter = {c.id: c.zone for c in site.counters}
        self.services_of_counter = {c.id: {cs.service for cs in c.services} for c in site.counters}


class Snapshots:
    def __init__(self, model: QueueModel, site_time: SiteTime, clock: Clock | None = None):
        self.model = model
        #: the hub's clock: estimates depend on how long the tickets at the counters have waited
        self.clock = clock or Clock()
        self.site = model.site
        self.time = site_time
        self.index = SiteIndex(model.site)
        self.calls_by_zone: dict[str, deque[dict]] = {z.id: deque(maxlen=RECENT_CALLS) for z in self.site.zones}
        self.calls: deque[dict] = deque(maxlen=2 * RECENT_CALLS)
        self.last_called: dict[str, str] = {}
        #: opaque ids of the guest feed by ref (``guest``)
        self._guest_ids: dict[str, str] = {}

    def remember_call(self, call: dict) -> None:
        """A call or recall event (newest last), for the zone and site call lists."""
        self.calls_by_zone[call["zone"]].append(call)
        self.calls.append(call)
        self.last_called[call["service"]] = call["code"]

    def forget_codes(self, codes: set[str]) -> None:
        """Calls of voided tickets leave the lists (a fake ticket a counter had called)."""
        for zone, calls in self.calls_by_zone.items():
            self.calls_by_zone[zone] = deque((c for c in calls if c["code"] not in codes), maxlen=RECENT_CALLS)
        self.calls = deque((c for c in self.calls if c["code"] not in codes), maxlen=2 * RECENT_CALLS)
        self.last_called = {s: c for s, c in self.last_called.items() if c not in codes}

    def forget_calls(self) -> None:
        for calls in self.calls_by_zone.values():
            calls.clear()
        self.calls.clear()
        self.last_called.clear()

    def _ticket_brief(self, ticket: Ticket | None) -> dict | None:
        if ticket is None:
            return None
        # what the counter's light and small display need; who the visitor is stays on the hub
        return payloads.ticket_brief(ticket.code, ticket.service, self.time.iso(ticket.called_at), ticket.recalls,
                                     ticket.language)

    def service(self, service_id: str, rev: int) -> dict:
        m = self.model
        queue = m.waiting.get(service_id, [])
        wait, low, high = estimate.for_newcomer(m, service_id, self.clock.now())
        setting = m.service_settings.get(service_id)
        oldest = min((t.queued_at for _, t in queue), default=None)  # appointments are not in walk-in order
        return payloads.service_state(rev, service_id, m.service_day, len(queue), m.priority_waiting.get(service_id, 0),
                                      m.open_counters(service_id), round(m.mean_service_minutes(service_id), 1),
                                      wait, self.last_called.get(service_id), low, high,
                                      status=str(m.service_status(service_id)),
                                      status_reason=setting.reason if setting else None,
                                      status_since=self.time.iso(setting.since) if setting else None,
                                      oldest_queued_at=self.time.iso(oldest), today=self._today(service_id))

    def _today(self, service_id: str) -> dict:
        f = self.model.figures[service_id]
        mean = round(f.wait_sum_s / f.calls / 60, 1) if f.calls else None
        longest = round(f.longest_wait_s / 60, 1) if f.calls else None
        return payloads.day_figures(f.issued, f.served, f.no_shows, f.calls, mean, longest)

    def counter(self, counter_id: str, rev: int) -> dict:
        m = self.model
        state = m.counters[counter_id]
        config = self.site.counter(counter_id)
        return payloads.counter_state(rev, counter_id, config.number, config.zone, state.status,
                                      self._ticket_brief(m.current_ticket(counter_id)),
                                      m.waiting_for_counter(counter_id), languages=list(m.languages_of(counter_id)),
                                      languages_of_day=state.languages is not None)

    def zone(self, zone_id: str, rev: int, seq: int) -> dict:
        m = self.model
        now = self.clock.now()
        counters = []
        for cid in self.index.counters_by_zone[zone_id]:
            current = m.current_ticket(cid)
            counters.append(payloads.zone_counter(cid, self.site.counter(cid).number, m.counters[cid].status,
                                                  current.code if current else None))
        services = []
        for sid in self.index.services_by_zone[zone_id]:
            services.append(payloads.zone_service(sid, m.waiting_count(sid), *estimate.for_newcomer(m, sid, now),
                                                  status=str(m.service_status(sid))))
        ticker = m.ticker_of(zone_id)
        return payloads.zone_state(rev, seq, zone_id, m.service_day, list(reversed(self.calls_by_zone[zone_id])),
                                   counters, services,
                                   payloads.ticker(ticker.text, self.time.iso(ticker.since)) if ticker else None)

    def recent_calls(self, rev: int) -> dict:
        return payloads.calls_state(rev, list(reversed(self.calls)))

    def guest(self, service_id: str, rev: int, key: bytes) -> dict:
        """The service's waiting list in its order with each ticket's estimate (``estimate.for_ticket``'s,
        what its paper said), and its tickets at a counter, by opaque id: every phone page's
        position comes from this one message, not from a request to the hub.  The positions are
        walked once (the priority tickets ahead counted as it goes, where ``estimate.position``
        counts them for each ticket), the same figures as ``for_ticket`` (tests/test_guest_feed.py):
        500 waiting in one service, medians of 7 on the 2-core dev machine at load 4.5, took 52.8 ms
        ticket by ticket and take 28.9 ms this way, ids remembered (an HMAC each, ~18 ms for 500)."""
        m = self.model
        now = self.clock.now()
        waiting = []
        priority_ahead = 0
        for ahead, (_, t) in enumerate(m.waiting.get(service_id, ())):
            pos = estimate.Position(ahead, priority_ahead, t.priority, estimate.feeders(m, service_id, t.queued_at),
                                    max(0.0, now - t.queued_at))
            span = estimate.whole_minutes(estimate.estimate(m, service_id, pos, now, estimate.CHOSEN))
            waiting.append(payloads.guest_waiting(self._guest_id(key, t.ref), t.code, t.language, *span))
            priority_ahead += t.priority
        called = []
        for cid in self.index.counters_by_service.get(service_id, ()):
            t = m.current_ticket(cid)
            if t is not None and t.service == service_id and t.status == "called":
                called.append(payloads.guest_called(self._guest_id(key, t.ref), t.code, t.language,
                                                    self.site.counter(cid).number, self.time.iso(t.called_at),
                                                    t.recalls))
        return payloads.guest_service(rev, service_id, m.service_day, self.site.service(service_id).name,
                                      waiting, called)

    def _guest_id(self, key: bytes, ref: str) -> str:
        ids = self._guest_ids
        if len(ids) > 20_000:  # a day's tickets are far fewer; a long-running hub starts again
            ids.clear()
        if ref not in ids:
            ids[ref] = opaque_id(key, ref)
        return ids[ref]
