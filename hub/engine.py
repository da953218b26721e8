"""The hub's request handling: validate, apply, persist, then say what to publish.

``Engine.process`` takes a batch of requests that arrived together, applies
them one by one inside one SQLite transaction, commits once (group commit),
and only then returns the replies, events and retained snapshots to publish.
Nothing is published before the commit, so a device never hears of a ticket
the hub could lose.  The engine does no network I/O, so it is tested without
a broker.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from contract import messages as msg
from contract.errors import ContractError, Reason
from contract.qr import TicketQR, new_ref
from contract.topics import Topics
from siteconf.content import ContentPacks
from siteconf.schema import Site
from siteconf.slices import device_slice, public_config

from .clock import Clock, SiteTime
from .content import content_messages
from .model import Changes, QueueModel, Ticket
from .snapshots import Snapshots
from .store import Store

log = logging.getLogger(__name__)

#: how long the hub remembers request ids (a retry comes within seconds)
REQUEST_MEMORY_S = 24 * 3600
READ_ONLY = {"ticket_status"}


@dataclass
class Incoming:
    device: str
    action: str
    payload: bytes
    correlation: bytes | None = None
    mid: int = 0


@dataclass
class Outgoing:
    topic: str
    payload: bytes
    retain: bool = False
    correlation: bytes | None = None
    kind: str = "state"  # reply | event | state | config


@dataclass
class _Dirty:
    services: set[str] = field(default_factory=set)
    counters: set[str] = field(default_factory=set)
    zones: set[str] = field(default_factory=set)
    calls: bool = False


def _dumps(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


class Engine:
    def __init__(self, site: Site, store: Store, clock: Clock | None = None, content: ContentPacks | None = None,
                 appointments: list | None = None):
        self.site = site
        if appointments:
            store.load_appointments(appointments)
        self.content = content
        self.store = store
        self.clock = clock or Clock()
        self.time = SiteTime(site.site.timezone, site.site.service_day_starts)
        self.topics = Topics(site.site.id)
        self.model = QueueModel(site)
        self.snap = Snapshots(self.model, self.time)
        now = self.clock.now()
        day = self.time.service_day(now)
        if store.stale_live_days(day):
            store.begin()
            expired = store.expire_before(day, now)
            store.commit()
            log.info("expired %d unfinished tickets of earlier service days", expired)
        store.load_into(self.model, day)
        self.rev = store.last_rev()
        self.zone_seq: dict[str, int] = {z.id: 0 for z in site.zones}
        self.zone_seq.update({z: s for z, s in store.zone_seqs().items() if z in self.zone_seq})
        for _rev, _zone, _type, at, data in reversed(store.recent_events(
                None, ("ticket_called", "ticket_recalled"), 2 * len(site.zones) * 10)):
            call = json.loads(data)
            if self.time.service_day(at) == day and call.get("zone") in self.zone_seq:
                self.snap.remember_call(call)

    # -------------------------------------------------------------- requests
    def process(self, batch: list[Incoming]) -> list[Outgoing]:
        """Apply a batch in one transaction; return what to publish after the commit."""
        now = self.clock.now()
        dirty = _Dirty()
        replies: list[Outgoing] = []
        events: list[Outgoing] = []
        self.store.begin()
        try:
            self._maybe_roll_over(now, dirty, events)
            for incoming in batch:
                reply = self._handle(incoming, now, dirty, events)
                replies.append(Outgoing(self.topics.reply(incoming.device), reply,
                                        correlation=incoming.correlation, kind="reply"))
            self.store.commit()
        except Exception:
            self.store.rollback()
            log.exception("a batch failed; reloading the queues from the database")
            self._reload()
            raise
        return replies + events + self._snapshots(dirty)

    def _handle(self, incoming: Incoming, now: float, dirty: _Dirty, events: list[Outgoing]) -> bytes:
        action = incoming.action
        request_id = None
        try:
            device = self.site.device(incoming.device)
            if device is None:
                raise ContractError(Reason.UNKNOWN_DEVICE, f"{incoming.device!r} is not a device of this site")
            request = msg.parse_request(action, incoming.payload)
            request_id = request.request_id
            stored = self.store.stored_reply(incoming.device, request_id)
            if stored is not None:
                if stored[0] != action:
                    request_id = None  # not this request's answer to remember
                    raise ContractError(Reason.INVALID_FIELDS, f"request_id was already used for {stored[0]}")
                return stored[1]
            if now * 1000 > request.deadline_ms:
                raise ContractError(Reason.EXPIRED, f"the request expired {now * 1000 - request.deadline_ms:.0f} ms "
                                                    "before the hub could apply it")
            if device.role not in request.roles:
                raise ContractError(Reason.FORBIDDEN, f"a {device.role} may not {action}")
            counter_id = device.counter
            asked = getattr(request, "counter", None)
            if asked is not None and asked != counter_id:
                raise ContractError(Reason.FORBIDDEN, f"{device.id} acts for counter {counter_id}, not {asked}")
            result, changes = self._apply(request, device.id, counter_id, now)
        except ContractError as err:
            if request_id is None:
                request_id = msg.request_id_of(incoming.payload) if err.reason != Reason.PAYLOAD_TOO_LARGE else None
            reply = _dumps({"v": 1, "type": "reply", "action": action, "request_id": request_id, "ok": False,
                            "rev": self.rev, "error": {"code": str(err.reason), "message": err.message}})
            if request_id is not None and err.reason not in (Reason.UNKNOWN_DEVICE,):
                self.store.save_reply(incoming.device, request_id, action, reply, now)
            return reply
        if changes is not None:
            self._record(changes, now, dirty, events)
        reply = _dumps({"v": 1, "type": "reply", "action": action, "request_id": request_id, "ok": True,
                        "rev": self.rev, "result": result})
        if action not in READ_ONLY:
            self.store.save_reply(incoming.device, request_id, action, reply, now)
        return reply

    def _apply(self, request: msg.Request, device_id: str, counter_id: str | None,
               now: float) -> tuple[dict, Changes | None]:
        m = self.model
        match request:
            case msg.IssueTicket():
                if self.site.policies.issue_only_when_open and not self.is_open(now):
                    raise ContractError(Reason.SITE_CLOSED, "the centre is closed; tickets are issued in opening hours")
                ref = new_ref()  # 80 random bits; the tickets table's UNIQUE(ref) is the last guard
                while ref in m.by_ref:
                    ref = new_ref()
                ticket, changes = m.issue(service_id=request.service, language=request.language,
                                          priority=request.priority, source=device_id, ref=ref, now=now,
                                          service_day=m.service_day)
                return {"ticket": self.ticket_view(ticket)}, changes
            case msg.CheckIn():
                return self._check_in(request, device_id, now)
            case msg.TicketStatus():
                ticket = m.by_ref.get(request.ref) or self.store.ticket_by_ref(request.ref)
                if ticket is None:
                    raise ContractError(Reason.UNKNOWN_TICKET, "no ticket with this reference")
                return {"ticket": self.ticket_view(ticket)}, None
            case msg.CancelTicket():
                ticket = m.by_ref.get(request.ref)
                if ticket is None:
                    known = self.store.ticket_by_ref(request.ref)
                    if known is None:
                        raise ContractError(Reason.UNKNOWN_TICKET, "no ticket with this reference")
                    raise ContractError(Reason.ILLEGAL_TRANSITION, f"{known.code} is {known.status}, not waiting")
                changes = m.cancel(ticket, now)
                return {"ticket": self.ticket_view(ticket)}, changes
            case msg.CallNext():
                ticket, finished, changes = m.call_next(counter_id, now)
                return self._call_result(ticket, finished, counter_id), changes
            case msg.CallTicket():
                ticket, finished, changes = m.call_ticket(counter_id, request.code, now)
                return self._call_result(ticket, finished, counter_id), changes
            case msg.Recall():
                ticket, changes = m.recall(counter_id, now)
                return {"ticket": self.ticket_view(ticket)}, changes
            case msg.NoShow():
                ticket, changes = m.no_show(counter_id, now)
                return {"ticket": self.ticket_view(ticket)}, changes
            case msg.Finish():
                ticket, changes = m.finish(counter_id, now)
                return {"ticket": self.ticket_view(ticket)}, changes
            case msg.Transfer():
                ticket, changes = m.transfer(counter_id, request.service, now)
                return {"ticket": self.ticket_view(ticket)}, changes
            case msg.SetCounterStatus():
                changes = m.set_counter_status(counter_id, request.status, now)
                state = m.counters[counter_id]
                return {"counter": counter_id, "status": state.status,
                        "waiting": m.waiting_for_counter(counter_id)}, changes
        raise ContractError(Reason.UNKNOWN_ACTION, f"no handler for {request.action!r}")

    def is_open(self, t: float) -> bool:
        """Whether ``t`` is inside the site's opening hours (hub clock, site time zone)."""
        hours = self.site.opening_hours
        if self.time.local(t).date().isoformat() in hours.closed_dates:
            return False
        day, hhmm = self.time.weekday(t), self.time.hhmm(t)
        return any(day in slot.days and slot.open <= hhmm < slot.close for slot in hours.weekly)

    def tick(self) -> list[Outgoing]:
        """Called periodically: roll the service day over at its start even when nobody asks."""
        now = self.clock.now()
        if self.time.service_day(now) == self.model.service_day:
            return []
        dirty = _Dirty()
        events: list[Outgoing] = []
        self.store.begin()
        try:
            self._maybe_roll_over(now, dirty, events)
            self.store.commit()
        except Exception:
            self.store.rollback()
            raise
        return events + self._snapshots(dirty)

    def _check_in(self, request: msg.CheckIn, device_id: str, now: float) -> tuple[dict, Changes | None]:
        """Record the check-in and issue the appointment's ticket; a second scan gives the same ticket."""
        m = self.model
        found = self.store.appointment(request.code)
        if found is None or found[0] != m.service_day:
            raise ContractError(Reason.UNKNOWN_APPOINTMENT, f"no appointment {request.code} today")
        _day, service, slot, checked_in_at, ticket_id = found
        appointment = {"code": request.code, "service": service, "time": slot}
        if checked_in_at is not None:
            ticket = m.tickets.get(ticket_id) or self.store.ticket_by_id(ticket_id)
            return {"ticket": self.ticket_view(ticket), "appointment": {**appointment, "already_checked_in": True}}, None
        ref = new_ref()
        while ref in m.by_ref:
            ref = new_ref()
        ticket, changes = m.issue(service_id=service, language=request.language, priority=False, source=device_id,
                                  ref=ref, now=now, service_day=m.service_day)
        self.store.check_in(request.code, now, ticket.id)  # the ticket itself is saved with the changes
        return {"ticket": self.ticket_view(ticket), "appointment": {**appointment, "already_checked_in": False}}, changes

    def _call_result(self, ticket: Ticket | None, finished: Ticket | None, counter_id: str) -> dict:
        return {"ticket": self.ticket_view(ticket) if ticket else None,
                "finished": finished.code if finished else None,
                "waiting": self.model.waiting_for_counter(counter_id)}

    def ticket_view(self, ticket: Ticket) -> dict:
        m = self.model
        counter = self.site.counter(ticket.counter) if ticket.counter else None
        view = {"code": ticket.code, "ref": ticket.ref, "service": ticket.service, "status": ticket.status,
                "priority": ticket.priority, "language": ticket.language, "service_day": ticket.service_day,
                "issued_at": self.time.iso(ticket.issued_at), "counter": ticket.counter,
                "counter_number": counter.number if counter else None,
                "called_at": self.time.iso(ticket.called_at), "recalls": ticket.recalls,
                "people_ahead": None, "estimated_wait_min": None,
                "qr": TicketQR(self.site.site.id, ticket.service_day, ticket.code, ticket.ref).encode()}
        if ticket.status == "waiting" and ticket.service_day == m.service_day:
            ahead = m.people_ahead(ticket)
            view["people_ahead"] = ahead
            view["estimated_wait_min"] = m.estimated_wait_min(ticket.service, ahead)
        return view

    # ----------------------------------------------------------- bookkeeping
    def _record(self, changes: Changes, now: float, dirty: _Dirty, events: list[Outgoing]) -> None:
        self.store.save_changes(changes)
        dirty.services |= changes.services
        dirty.counters |= set(changes.counters)
        for event in changes.events:
            self.rev += 1
            self.zone_seq[event.zone] = seq = self.zone_seq.get(event.zone, 0) + 1
            data = event.data
            if event.type in ("ticket_called", "ticket_recalled"):
                data = {**data, "at": self.time.iso(data["at"]), "rev": self.rev}
                self.snap.remember_call(data)
                dirty.calls = True
            self.store.save_event(self.rev, seq, event.zone, event.type, now, data)
            dirty.zones.add(event.zone)
            payload = {"v": 1, "type": "event", "event": event.type, "rev": self.rev, "seq": seq,
                       "zone": event.zone, "at": self.time.iso(now), "data": data}
            events.append(Outgoing(self.topics.event(event.zone, event.type), _dumps(payload), kind="event"))

    def _maybe_roll_over(self, now: float, dirty: _Dirty, events: list[Outgoing]) -> None:
        day = self.time.service_day(now)
        if day == self.model.service_day:
            return
        log.info("service day %s begins", day)
        changes = self.model.roll_over(day, now)
        self.snap.forget_calls()
        self._record(changes, now, dirty, events)
        dirty.services |= set(self.model.waiting)
        dirty.counters |= set(self.model.counters)
        dirty.zones |= set(self.zone_seq)
        dirty.calls = True
        self.store.prune(now - REQUEST_MEMORY_S)

    def _reload(self) -> None:
        self.model = QueueModel(self.site)
        self.snap = Snapshots(self.model, self.time)
        self.store.load_into(self.model, self.time.service_day(self.clock.now()))
        self.rev = self.store.last_rev()

    # -------------------------------------------------------------- snapshots
    def _snapshots(self, dirty: _Dirty) -> list[Outgoing]:
        index = self.snap.index
        for sid in dirty.services:
            dirty.counters.update(index.counters_by_service.get(sid, ()))
            dirty.zones.add(index.zone_of_service[sid])
        for cid in dirty.counters:
            dirty.zones.add(index.zone_of_counter[cid])
        out = [Outgoing(self.topics.service_state(s), _dumps(self.snap.service(s, self.rev)), retain=True)
               for s in sorted(dirty.services)]
        out += [Outgoing(self.topics.counter_state(c), _dumps(self.snap.counter(c, self.rev)), retain=True)
                for c in sorted(dirty.counters)]
        out += [Outgoing(self.topics.zone_state(z), _dumps(self.snap.zone(z, self.rev, self.zone_seq[z])),
                         retain=True) for z in sorted(dirty.zones)]
        if dirty.calls:
            out.append(Outgoing(self.topics.recent_calls(), _dumps(self.snap.recent_calls(self.rev)), retain=True))
        return out

    def everything(self) -> list[Outgoing]:
        """All retained config and state, for a hub that has just (re)connected."""
        self.store.begin()
        try:
            events: list[Outgoing] = []
            dirty = _Dirty(set(self.model.waiting), set(self.model.counters), set(self.zone_seq), True)
            self._maybe_roll_over(self.clock.now(), dirty, events)
            self.store.commit()
        except Exception:
            self.store.rollback()
            raise
        out = [Outgoing(self.topics.site_config(), _dumps(public_config(self.site)), retain=True, kind="config")]
        out += [Outgoing(self.topics.device_config(d.id), _dumps(device_slice(self.site, d.id)), retain=True,
                         kind="config") for d in self.site.devices]
        out += [Outgoing(topic, payload, retain=True, kind="config")
                for topic, payload in content_messages(self.topics, self.content)]
        out += events + self._snapshots(dirty)
        return out + self._clear_stale_retained({o.topic for o in out if o.retain})

    def _clear_stale_retained(self, topics: set[str]) -> list[Outgoing]:
        """Retained topics of devices, services or counters no longer in the site file are
        cleared (an empty retained message), so nobody reads a ghost."""
        previous = set(json.loads(self.store.meta("retained_topics") or "[]"))
        self.store.begin()
        self.store.set_meta("retained_topics", json.dumps(sorted(topics)))
        self.store.commit()
        return [Outgoing(topic, b"", retain=True) for topic in sorted(previous - topics)]
