"""The hub's request handling: validate, apply, persist, then say what to publish.

``Engine.process`` takes a batch of requests that arrived together, applies
them one by one inside one SQLite transaction, commits once (group commit),
and only then returns the replies, events and retained snapshots to publish.
Nothing is published before the commit, so a device never hears of a ticket
the hub could lose.  The engine does no network I/O, so it is tested without
a broker.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from contract import messages as msg
from contract import payloads
from contract.acl import OPERATOR_ROLES, tool_of
from contract.errors import ContractError, Reason
from contract.messages import LIVE, CounterStatus, ServiceStatus, TicketStatus, safe_text
from contract.qr import TicketQR, guest_url, new_ref
from contract.topics import Topics
from siteconf.content import ContentPacks
from siteconf.schema import Site
from siteconf.slices import device_slice, public_config

from . import estimate
from .clock import Clock, SiteTime
from .content import content_messages
from .limits import device_limits
from .queues import Changes, QueueModel, Ticket
from .retention import AUDIT_RETENTION_DAYS, fold
from .snapshots import Snapshots
from .store import Store

log = logging.getLogger(__name__)

#: how long the hub remembers request ids (a retry comes within seconds)
REQUEST_MEMORY_S = 24 * 3600
READ_ONLY = {"ticket_status"}
#: refusals of the message rather than of the request: not remembered under its request id
UNREAD = (Reason.PAYLOAD_TOO_LARGE, Reason.QOS_REQUIRED)
#: refusals of a passing state: not remembered, so a retry once it has passed (tomorrow) can succeed
TRANSIENT = (Reason.QUOTA_EXCEEDED,)
#: ``DeviceLink`` sends 16 random bytes; the hub echoes the property, so it bounds it
MAX_CORRELATION_BYTES = 64
#: service days the retention purge folds and deletes in one transaction
PURGE_DAYS_PER_CALL = 7


@dataclass
class Incoming:
    device: str
    action: str
    payload: bytes
    correlation: bytes | None = None
    mid: int = 0
    #: the QoS the broker delivered it with: a QoS 0 request is refused (there is nothing to acknowledge)
    qos: int = 1


@dataclass
class Outgoing:
    topic: str
    payload: bytes
    retain: bool = False
    correlation: bytes | None = None
    kind: str = "state"  # reply | event | state | config
    #: row of the outbox that holds it until the broker has it (replies and events)
    outbox_id: int | None = None
    #: when it was committed (the hub's clock), for the message expiry of a late delivery
    at: float | None = None


@dataclass
class _Dirty:
    services: set[str] = field(default_factory=set)
    counters: set[str] = field(default_factory=set)
    zones: set[str] = field(default_factory=set)
    calls: bool = False


class _Poison(Exception):
    """A request of the batch raised something no check expected; the batch is redone without it."""

    def __init__(self, index: int, error: BaseException):
        super().__init__(index, error)
        self.index = index
        self.error = error


#: a key for refusals from devices the site file does not know (their ids are chosen by whoever sends)
UNKNOWN = "(unknown)"

@dataclass(frozen=True)
class Operator:
    """A person's broker identity with request rights (``contract.acl.OPERATOR_ROLES``), shaped
    like the device entry the checks read."""

    id: str
    role: str
    counter: None = None
    kiosk_modes: tuple = ()


def operator_of(identity: str) -> Operator | None:
    tool = tool_of(identity)
    return Operator(identity, tool.role) if tool is not None and tool.role in OPERATOR_ROLES else None


#: what a request may need of a kiosk's modes (site file ``devices[].kiosk_modes``)
KIOSK_MODE_OF = {"issue_ticket": "tickets", "check_in": "check_in", "answer_survey": "survey"}
#: draws of a survey PIN before the hub gives up (a day would need ~10^6 tickets to reach it)
PIN_DRAWS = 1000


def new_pin() -> str:
    """Six random digits (``contract.fields.SURVEY_PIN``)."""
    return f"{secrets.randbelow(10 ** 6):06d}"


def error_reply(action: str, request_id: str | None, rev: int, reason: Reason, message: str) -> bytes:
    """An error reply's bytes; the action comes from the topic, so an unknown one is echoed cut short."""
    action = action if action in msg.REQUEST_TYPES else safe_text(action, 64)
    return payloads.encode(payloads.error_reply(action, request_id, rev, str(reason), safe_text(message, 600)))


class Engine:
    """``new_ref`` makes ticket refs (``contract.qr.new_ref``: 128 random bits); the protocol
    document's example run passes one that gives the same refs on every run."""

    def __init__(self, site: Site, store: Store, clock: Clock | None = None, content: ContentPacks | None = None,
                 appointments: list | None = None, *, new_ref: Callable[[], str] = new_ref,
                 guest_key: bytes | None = None, new_pin: Callable[[], str] = new_pin,
                 new_rowid: Callable[[], int] = lambda: secrets.randbits(62) + 1):
        self.site = site
        self.clock = clock or Clock()
        self._make_ref = new_ref
        self._make_pin = new_pin
        #: the survey answers' random row ids (``Store.add_survey_answer``)
        self._make_rowid = new_rowid
        #: the key of the guest feed's opaque ids (``contract.guest``); None: no guest page server
        self.guest_key = guest_key
        self.time = SiteTime(site.site.timezone, site.site.service_day_starts)
        if appointments:  # the past ones are of no use and must not come back after the purge
            today = self.time.service_day(self.clock.now())
            store.load_appointments([a for a in appointments if a.day >= today])
        self.content = content
        self.store = store
        self.topics = Topics(site.site.id)
        #: each device's limits (the engine keeps the daily ticket quota; the service the rates)
        self.limits = device_limits(site)
        #: refusals since start, by (device, reason): the hub's health report carries them
        self.refused: Counter[tuple[str, str]] = Counter()
        #: requests dropped unanswered, by why (a device the site file does not know...)
        self.dropped: Counter[str] = Counter()
        self.answered = 0
        #: what the request being applied did, for its audit entry (``_audit``)
        self._audit_detail: dict = {}
        #: exceptions of poison requests (refused ``internal``), by type name
        self.poisoned: Counter[str] = Counter()
        now = self.clock.now()
        day = self.time.service_day(now)
        if store.stale_live_days(day):
            store.begin()
            expired = store.expire_before(day, now)
            store.commit()
            log.info("expired %d unfinished tickets of earlier service days", expired)
        self._load(day)

    def _load(self, day: str) -> None:
        """The queues, revision, zone sequences and recent calls as the database has them (at
        start, and after a batch was rolled back: nothing of it may stay in memory)."""
        self.model = QueueModel(self.site)
        self._pins_of: tuple[str | None, set[str]] = (None, set())
        self.snap = Snapshots(self.model, self.time, self.clock)
        self.store.load_into(self.model, day)
        self.rev = self.store.last_rev()
        self.zone_seq: dict[str, int] = {z.id: 0 for z in self.site.zones}
        self.zone_seq.update({z: s for z, s in self.store.zone_seqs().items() if z in self.zone_seq})
        for _rev, _zone, _type, at, data in reversed(self.store.recent_events(
                None, ("ticket_called", "ticket_recalled"), 2 * len(self.site.zones) * 10)):
            call = json.loads(data)
            if self.time.service_day(at) == day and call.get("zone") in self.zone_seq:
                self.snap.remember_call(call)
        self.snap.forget_codes({t.code for t in self.model.tickets.values() if t.status == "voided"})

    # -------------------------------------------------------------- requests
    def process(self, batch: list[Incoming], delivered: list[int] = ()) -> list[Outgoing]:
        """Apply a batch in one transaction; return what to publish after the commit (the replies and
        events, then the retained state).

        Every request is judged on its own: one that raises anything but a ``ContractError``
        (a poison payload, a bug) is refused with ``internal``, and the batch is rolled back and
        applied again without it, so the requests that shared its batch are answered as if it
        had never come.  Replies and events go into the outbox in the same transaction
        (``delivered`` names outbox rows the broker has since acknowledged, deleted here)."""
        poisoned: dict[int, BaseException] = {}
        while True:
            try:
                return self._process_once(batch, delivered, poisoned)
            except _Poison as poison:
                self._reload()
                poisoned[poison.index] = poison.error
                name = type(poison.error).__name__
                self.poisoned[name] += 1
                if self.poisoned[name] == 1:  # the first of a kind with its traceback; the rest are counted
                    log.error("a request from %s (%s) raised %s; refused as internal",
                              batch[poison.index].device, safe_text(batch[poison.index].action, 64), name,
                              exc_info=poison.error)

    def _process_once(self, batch: list[Incoming], delivered, poisoned: dict[int, BaseException]) -> list[Outgoing]:
        now = self.clock.now()
        dirty = _Dirty()
        replies: list[Outgoing] = []
        events: list[Outgoing] = []
        self.store.begin()
        try:
            self.store.outbox_delete(delivered)
            self._maybe_roll_over(now, dirty, events)
            for index, incoming in enumerate(batch):
                if index in poisoned:
                    reply = self._refuse(incoming, ContractError(Reason.INTERNAL, "the hub could not apply this "
                                         f"request ({type(poisoned[index]).__name__}); nothing was applied"), now)
                    sender = self.site.device(incoming.device) or operator_of(incoming.device)
                    if sender is not None and incoming.action in msg.REQUEST_TYPES \
                            and self._audited(sender, incoming.action):
                        self._audit(incoming, None, now, outcome=str(Reason.INTERNAL))  # tried, failed, audited
                else:
                    try:
                        reply = self._handle(incoming, now, dirty, events)
                    except Exception as exc:
                        raise _Poison(index, exc) from None
                if reply is not None:
                    replies.append(Outgoing(self.topics.reply(incoming.device), reply,
                                            correlation=incoming.correlation, kind="reply"))
            out = replies + events
            self.store.outbox_add(out, now)
            self.store.commit()
        except _Poison:
            self.store.rollback()
            raise
        except Exception:
            self.store.rollback()
            log.exception("a batch failed; reloading the queues from the database")
            self._reload()
            raise
        # the replies and events before the retained state: the wall announces a call from its event
        # and takes the zone's state after it as already known (publishing the state first, tried on
        # 2026-12-03, left the display's call unannounced and unshown in three end-to-end tests).  A
        # device that reads the state when its answer arrives may still read the one from before it.
        return out + self._snapshots(dirty)

    def _handle(self, incoming: Incoming, now: float, dirty: _Dirty, events: list[Outgoing]) -> bytes | None:
        """The reply to one request (None: dropped unanswered); raises only on a bug."""
        action = incoming.action
        device = self.site.device(incoming.device) or operator_of(incoming.device)
        if device is None:
            # its id came from the topic, chosen by whoever holds a login: no reply topic to trust
            self.dropped["unknown_device"] += 1
            return None
        try:
            if incoming.qos == 0:
                raise ContractError(Reason.QOS_REQUIRED, "requests must be sent with QoS 1; nothing was applied")
            if len(incoming.correlation or b"") > MAX_CORRELATION_BYTES:
                raise ContractError(Reason.INVALID_FIELDS, f"correlation data is longer than {MAX_CORRELATION_BYTES}"
                                    " bytes")
            request = msg.parse_request(action, incoming.payload)
        except ContractError as err:
            if action in msg.REQUEST_TYPES and self._audited(device, action):
                self._audit(incoming, None, now, outcome=str(err.reason))
            return self._refuse(incoming, err, now)
        stored = self.store.stored_reply(incoming.device, request.request_id)
        if stored is not None and stored[0] == action:
            return stored[1]  # the first answer, byte for byte
        try:
            if stored is not None:  # a device bug: answering with another action's reply would hide it
                raise ContractError(Reason.INVALID_FIELDS, f"request_id was already used for {stored[0]}")
            if now * 1000 > request.deadline_ms:
                raise ContractError(Reason.EXPIRED, f"the request expired {now * 1000 - request.deadline_ms:.0f} ms "
                                                    "before the hub could apply it")
            if device.role not in request.roles:
                raise ContractError(Reason.FORBIDDEN, f"a {device.role} may not {action}")
            mode = KIOSK_MODE_OF.get(action)
            if device.role == "kiosk" and mode is not None and mode not in device.kiosk_modes:
                raise ContractError(Reason.FORBIDDEN, f"{device.id} is not set up for {mode} (kiosk_modes)")
            staff = getattr(request, "staff", None)
            if device.role == "supervisor" and staff is None:
                raise ContractError(Reason.INVALID_FIELDS, "staff: a supervisor's request names the staff account "
                                                           "that acts (the console's login)")
            if staff is not None and device.role not in OPERATOR_ROLES:
                raise ContractError(Reason.INVALID_FIELDS, f"staff: only an operator names a staff account, not a "
                                                           f"{device.role}")
            counter_id = device.counter
            asked = getattr(request, "counter", None)
            if device.role in OPERATOR_ROLES:
                counter_id = asked  # an operator acts for the counter it names
            elif asked is not None and asked != counter_id:
                raise ContractError(Reason.FORBIDDEN, f"{device.id} acts for counter {counter_id}, not {asked}")
            self._audit_detail = {}
            result, changes = self._apply(request, device.id, counter_id, now)
        except ContractError as err:
            if self._audited(device, action):
                self._audit(incoming, request, now, outcome=str(err.reason))
            if stored is not None:  # the id's answer is the earlier one; this refusal is not remembered
                self.refused[(incoming.device, str(err.reason))] += 1
                return self._reply_error(incoming, err, request.request_id)
            return self._refuse(incoming, err, now, request.request_id)
        if changes is not None:
            self._record(changes, now, dirty, events)
        if self._audited(device, action):
            self._audit(incoming, request, now, detail=self._audit_detail)
        reply = payloads.encode(payloads.reply(action, request.request_id, self.rev, result))
        if action not in READ_ONLY:
            self.store.save_reply(incoming.device, request.request_id, action, reply, now)
        self.answered += 1
        return reply

    def _refuse(self, incoming: Incoming, err: ContractError, now: float, request_id: str | None = None) -> bytes:
        """An error reply, counted; remembered under its request id when the request had a valid one
        (not for refusals of the message rather than the request: too large, QoS 0)."""
        self.refused[(incoming.device, str(err.reason))] += 1
        if request_id is None and err.reason not in UNREAD:
            request_id = msg.request_id_of(incoming.payload)
        reply = self._reply_error(incoming, err, request_id)
        if request_id is not None and err.reason not in UNREAD and err.reason not in TRANSIENT:
            self.store.save_reply(incoming.device, request_id, incoming.action, reply, now)
        return reply

    @staticmethod
    def _audited(device, action: str) -> bool:
        """Whether a request goes into the audit table: the audited actions whoever sends them (a
        counter's own languages too), and every request of an operator (a supervisor's call)."""
        return action in msg.AUDITED_ACTIONS or device.role in OPERATOR_ROLES

    def _audit(self, incoming: Incoming, request: msg.Request | None, now: float, *, outcome: str = "ok",
               detail: dict | None = None) -> None:
        """One audit entry in the request's transaction: who, the staff account, the action, its
        arguments (None: the request could not be read), the outcome and what it did."""
        args = {} if request is None else request.model_dump(
            mode="json", exclude={"v", "request_id", "deadline_ms", "staff", "reason"}, exclude_none=True)
        staff = getattr(request, "staff", None) if operator_of(incoming.device) else None  # a device has none
        self.store.audit(now, incoming.device, incoming.action, getattr(request, "reason", None) or "",
                         detail or {}, staff=staff, args=args, outcome=outcome)

    def _reply_error(self, incoming: Incoming, err: ContractError, request_id: str | None) -> bytes:
        return error_reply(incoming.action, request_id, self.rev, err.reason, err.message)

    def _apply(self, request: msg.Request, device_id: str, counter_id: str | None,
               now: float) -> tuple[dict, Changes | None]:
        m = self.model
        match request:
            case msg.IssueTicket():
                if self.site.policies.issue_only_when_open and not self.is_open(now):
                    raise ContractError(Reason.SITE_CLOSED, "the centre is closed; tickets are issued in opening hours")
                if self.site.service(request.service) is not None:
                    m.require_issuing(request.service)
                self._within_quota(device_id)
                ticket, changes = m.issue(service_id=request.service, language=request.language,
                                          priority=request.priority, source=device_id, ref=self._new_ref(), now=now,
                                          service_day=m.service_day)
                ticket.survey_pin = self._new_pin()
                return payloads.ticket_result(self.ticket_view(ticket, issuing=True)), changes
            case msg.AnswerSurvey():
                return self._answer_survey(request)
            case msg.CheckIn():
                return self._check_in(request, device_id, now)
            case msg.VoidTickets():
                return self._void(request, device_id, now)
            case msg.EraseTicket():
                return self._erase(request, device_id, now)
            case msg.GetTicketStatus():
                ticket = m.by_ref.get(request.ref) or self.store.ticket_by_ref(request.ref)
                if ticket is None:
                    raise ContractError(Reason.UNKNOWN_TICKET, "no ticket with this reference")
                return payloads.ticket_result(self.ticket_view(ticket)), None
            case msg.CancelTicket():
                ticket = m.by_ref.get(request.ref)
                if ticket is None:
                    known = self.store.ticket_by_ref(request.ref)
                    if known is None:
                        raise ContractError(Reason.UNKNOWN_TICKET, "no ticket with this reference")
                    raise ContractError(Reason.ILLEGAL_TRANSITION, f"{known.code} is {known.status}, not waiting")
                changes = m.cancel(ticket, now)
                return payloads.ticket_result(self.ticket_view(ticket)), changes
            case msg.CallNext():
                ticket, finished, changes = m.call_next(counter_id, now)
                return self._call_result(ticket, finished, counter_id), changes
            case msg.CallTicket():
                if counter_id is None:
                    raise ContractError(Reason.INVALID_FIELDS, "counter: name the counter to call the ticket to")
                ticket, finished, changes = m.call_ticket(counter_id, request.code, now)
                self._audit_detail = {"service_day": m.service_day, "finished": finished.code if finished else None}
                return self._call_result(ticket, finished, counter_id), changes
            case msg.Recall():
                ticket, changes = m.recall(counter_id, now)
                return payloads.ticket_result(self.ticket_view(ticket)), changes
            case msg.NoShow():
                ticket, changes = m.no_show(counter_id, now)
                return payloads.ticket_result(self.ticket_view(ticket)), changes
            case msg.Finish():
                ticket, changes = m.finish(counter_id, now)
                return payloads.ticket_result(self.ticket_view(ticket)), changes
            case msg.Transfer():
                ticket, changes = m.transfer(counter_id, request.service, now)
                return payloads.ticket_result(self.ticket_view(ticket)), changes
            case msg.SetCounterLanguages():
                return self._set_languages(request, device_id, counter_id, now)
            case msg.SetServiceState():
                before = m.service_status(request.service)
                changes = m.set_service_state(request.service, ServiceStatus(request.status), request.reason, now)
                self._audit_detail = {"service_day": m.service_day, "before": before}
                return payloads.service_state_result(request.service, request.status, before,
                                                     m.waiting_count(request.service)), changes
            case msg.ReportDownloaded():  # nothing to change: the audit entry is the point
                return {"recorded": True}, None
            case msg.TickerMessage():
                changes = m.set_ticker(request.zone, request.text, now)
                self._audit_detail = {"service_day": m.service_day, "zones": sorted(changes.zones)}
                return payloads.ticker_result(request.zone, request.text, sorted(changes.zones)), changes
            case msg.SetCounterStatus():
                changes = m.set_counter_status(counter_id, CounterStatus(request.status), now)
                state = m.counters[counter_id]
                return payloads.counter_result(counter_id, state.status, m.waiting_for_counter(counter_id)), changes
        raise ContractError(Reason.UNKNOWN_ACTION, f"no handler for {request.action!r}")

    def is_open(self, t: float) -> bool:
        """Whether ``t`` is inside the site's opening hours (hub clock, site time zone)."""
        hours = self.site.opening_hours
        if self.time.local(t).date().isoformat() in hours.closed_dates:
            return False
        day, hhmm = self.time.weekday(t), self.time.hhmm(t)
        return any(day in slot.days and slot.open <= hhmm < slot.close for slot in hours.weekly)

    def tick(self, delivered: list[int] = ()) -> list[Outgoing]:
        """Called periodically: roll the service day over at its start even when nobody asks,
        forget the outbox rows the broker has acknowledged since the last transaction, and purge
        what is past its retention (a few days at a time)."""
        now = self.clock.now()
        self.purge(now)
        if self.time.service_day(now) == self.model.service_day and not delivered:
            return []
        dirty = _Dirty()
        events = self._roll_over_alone(now, dirty, delivered)
        return events + self._snapshots(dirty)

    def _roll_over_alone(self, now: float, dirty: _Dirty, delivered: list[int] = ()) -> list[Outgoing]:
        """In a transaction of its own: forget the outbox rows the broker has acknowledged and
        begin a new service day if one is due; the events to publish."""
        events: list[Outgoing] = []
        self.store.begin()
        try:
            self.store.outbox_delete(delivered)
            self._maybe_roll_over(now, dirty, events)
            self.store.outbox_add(events, now)
            self.store.commit()
        except Exception:
            self.store.rollback()
            raise
        return events

    def purge(self, now: float, days_per_call: int = PURGE_DAYS_PER_CALL) -> int:
        """Fold the tickets of service days older than ``site.retention_days`` into anonymous
        daily figures, then delete them with their legs, events, check-ins and stored replies;
        drop figures older than ``site.aggregate_retention_years``.  At most ``days_per_call``
        days per transaction, so a hub that was off for months catches up without a long lock.
        Returns the number of tickets purged."""
        info = self.site.site
        today = self.time.service_day(now)
        keep_from = self.time.days_before(today, info.retention_days)
        if self.store.meta("purged_before") == keep_from:
            return 0
        days = self.store.days_before(keep_from, days_per_call)
        purged = 0
        self.store.begin()
        try:
            for day in days:
                self.store.add_stats(fold(self.store.legs_for_stats("t.service_day = ?", (day,)), self.time.local))
                purged += self.store.delete_day(day)
            if len(days) < days_per_call:  # caught up: what is kept by time, then the figures
                stats_from = self.time.days_before(today, 365 * info.aggregate_retention_years)
                audit_from = self.time.days_before(today, AUDIT_RETENTION_DAYS)
                self.store.delete_before(self.time.day_start(keep_from), stats_from, self.time.day_start(audit_from))
                self.store.set_meta("purged_before", keep_from)
            self.store.commit()
        except Exception:
            self.store.rollback()
            raise
        if purged:
            log.info("retention: %d tickets of %s folded into daily figures and deleted", purged, ", ".join(days))
        return purged

    def undelivered(self) -> list[Outgoing]:
        """Replies and events committed but not yet acknowledged by the broker (a hub that died
        between its commit and the broker's PUBACK): publish them first after a start."""
        return [Outgoing(topic, payload, correlation=correlation, kind=kind, outbox_id=row_id, at=at)
                for row_id, topic, payload, correlation, kind, at in self.store.outbox()]

    def _check_in(self, request: msg.CheckIn, device_id: str, now: float) -> tuple[dict, Changes | None]:
        """Record the check-in and issue the appointment's ticket; a second scan gives the same ticket.
        Early or within ``appointment_grace_min`` of its slot, the ticket waits for the slot and is
        then called ahead of the normal class's walk-ins; later, or without a slot, it is a walk-in."""
        m = self.model
        found = self.store.appointment(request.code)
        if found is None or found[0] != m.service_day:
            raise ContractError(Reason.UNKNOWN_APPOINTMENT, f"no appointment {request.code} today")
        day, service, slot, checked_in_at, ticket_id = found
        if checked_in_at is not None:
            ticket = m.tickets.get(ticket_id) or self.store.ticket_by_id(ticket_id)
            return payloads.check_in_result(self.ticket_view(ticket), request.code, service, slot, True,
                                            self._timing(day, slot, checked_in_at)[0]), None
        self._within_quota(device_id)
        timing, slot_at = self._timing(day, slot, now)
        ticket, changes = m.issue(service_id=service, language=request.language, priority=False, source=device_id,
                                  ref=self._new_ref(), now=now, service_day=m.service_day,
                                  appointment_at=slot_at if timing in ("early", "due") else None)
        ticket.survey_pin = self._new_pin()
        self.store.check_in(request.code, now, ticket.id)  # the ticket itself is saved with the changes
        return payloads.check_in_result(self.ticket_view(ticket, issuing=True), request.code, service, slot, False, timing), changes

    def _timing(self, day: str, slot: str | None, checked_in_at: float) -> tuple[str | None, float | None]:
        """``early``, ``due`` or ``late`` (``msg.APPOINTMENT_TIMING``) for a check-in at ``checked_in_at``,
        and the slot's Unix time (None, None without a slot)."""
        if slot is None:
            return None, None
        slot_at = self.time.at(day, slot)
        if checked_in_at < slot_at:
            return "early", slot_at
        if checked_in_at <= slot_at + self.site.policies.appointment_grace_min * 60:
            return "due", slot_at
        return "late", slot_at

    def _set_languages(self, request: msg.SetCounterLanguages, who: str, counter_id: str | None,
                       now: float) -> tuple[dict, Changes]:
        """A counter's languages for the rest of the day, audited with what they were."""
        if counter_id is None:
            raise ContractError(Reason.INVALID_FIELDS, "name the counter whose languages to set")
        m = self.model
        before = list(m.languages_of(counter_id)) if counter_id in m.counters else None
        changes = m.set_languages(counter_id, request.languages)
        for cs in self.site.counter(counter_id).services:
            changes.services.add(cs.service)
        now_speaks = list(m.languages_of(counter_id))
        self._audit_detail = {"service_day": m.service_day, "counter": counter_id, "before": before,
                              "languages": now_speaks}
        return payloads.counter_languages_result(counter_id, now_speaks, request.languages is None), changes

    def _new_pin(self) -> str:
        """A survey PIN no other ticket of today has (the set is the day's, rebuilt after a reload)."""
        day, pins = self._pins_of
        if day != self.model.service_day:
            pins = {t.survey_pin for t in self.model.tickets.values() if t.survey_pin}
            self._pins_of = (self.model.service_day, pins)
        for _ in range(PIN_DRAWS):
            pin = self._make_pin()
            if pin not in pins:
                pins.add(pin)
                return pin
        raise ContractError(Reason.QUOTA_EXCEEDED, f"no free survey PIN after {PIN_DRAWS} draws; no ticket now")

    def _answer_survey(self, request: msg.AnswerSurvey) -> tuple[dict, Changes]:
        """Store one visitor's answers with the service and day only and mark the ticket answered.
        The ticket is today's, served (finished), not yet answered; named by its scanned ref, or by
        its printed code with its PIN (a PIN alone is refused: docs/decisions.md, "The survey PIN")."""
        m = self.model
        answers = tuple(getattr(request, q) for q in msg.SURVEY_QUESTIONS)
        if all(a is None for a in answers):
            raise ContractError(Reason.INVALID_FIELDS, "no question answered: send at least one of "
                                + ", ".join(msg.SURVEY_QUESTIONS))
        if request.ref is not None:
            if request.code is not None or request.survey_pin is not None:
                raise ContractError(Reason.INVALID_FIELDS, "name the ticket by ref, or by code and survey_pin")
            ticket = m.by_ref.get(request.ref)
            if ticket is None:
                if self.store.ticket_by_ref(request.ref) is None:
                    raise ContractError(Reason.UNKNOWN_TICKET, "no ticket with this reference")
                raise ContractError(Reason.NOT_SERVED, "the ticket is of another day: the survey takes today's visits")
        elif request.survey_pin is not None and request.code is not None:
            ticket = m.by_code.get(request.code)
            if ticket is None or not hmac.compare_digest(ticket.survey_pin or "", request.survey_pin):
                raise ContractError(Reason.UNKNOWN_TICKET, "no ticket of today with this code and PIN")
        elif request.survey_pin is not None:
            raise ContractError(Reason.INVALID_FIELDS, "a typed survey_pin alone is refused: send it with the "
                                                       "ticket's code")
        else:
            raise ContractError(Reason.INVALID_FIELDS, "name the ticket by ref, or by code and survey_pin")
        if ticket.status != TicketStatus.FINISHED:
            raise ContractError(Reason.NOT_SERVED, f"{ticket.code} is {ticket.status}: the survey is for visitors "
                                                   "served today")
        if ticket.survey_answered:
            raise ContractError(Reason.ALREADY_ANSWERED, f"the survey of {ticket.code} was already answered")
        self.store.add_survey_answer(ticket.service_day, ticket.service, answers, self._make_rowid())
        ticket.survey_answered = True
        changes = Changes()
        changes.tickets[ticket.id] = ticket  # saved; no queue changed, so no state is published again
        return payloads.survey_result(ticket.service, sum(a is not None for a in answers)), changes

    def _new_ref(self) -> str:
        """A ref no ticket of today has (128 random bits; the tickets table's UNIQUE(ref) is the last guard)."""
        ref = self._make_ref()
        while ref in self.model.by_ref:
            ref = self._make_ref()
        return ref

    def _void(self, request: msg.VoidTickets, who: str, now: float) -> tuple[dict, Changes | None]:
        """Void today's live tickets chosen by codes, or by the device that issued them in a window."""
        m = self.model
        if request.codes is None and request.source is None:
            raise ContractError(Reason.INVALID_FIELDS, "name the tickets: codes, or source (and a time window)")
        if request.codes is not None:
            unknown = [c for c in request.codes if c not in m.by_code]
            if unknown:
                raise ContractError(Reason.UNKNOWN_TICKET, f"no ticket {', '.join(unknown[:10])} today")
            chosen = [m.by_code[c] for c in dict.fromkeys(request.codes)]
        else:
            start = (request.issued_from_ms or 0) / 1000
            end = request.issued_to_ms / 1000 if request.issued_to_ms is not None else float("inf")
            chosen = sorted((t for t in m.tickets.values() if t.source == request.source and start <= t.issued_at <= end),
                            key=lambda t: t.id)
        if request.source is not None:
            chosen = [t for t in chosen if t.source == request.source]
        live = [t for t in chosen if t.status in LIVE]
        changes = m.void(live, now) if live else None
        self._audit_detail = {"service_day": m.service_day, "source": request.source,
                              "issued_from_ms": request.issued_from_ms, "issued_to_ms": request.issued_to_ms,
                              "asked": len(request.codes or ()) or None, "voided": [t.code for t in live]}
        return payloads.void_result(len(live), [t.code for t in live][:50], len(chosen) - len(live)), changes

    def _erase(self, request: msg.EraseTicket, who: str, now: float) -> tuple[dict, Changes | None]:
        """Erase one ticket's record early (the visitor asked): folded into the day's figures first."""
        if request.ref is not None:
            ticket = self.model.by_ref.get(request.ref) or self.store.ticket_by_ref(request.ref)
        elif request.code is not None and request.service_day is not None:
            ticket = (self.model.by_code.get(request.code) if request.service_day == self.model.service_day
                      else None) or self.store.ticket_by_code(request.service_day, request.code)
        else:
            raise ContractError(Reason.INVALID_FIELDS, "name the ticket: ref, or code and service_day")
        if ticket is None:
            raise ContractError(Reason.UNKNOWN_TICKET, "no such ticket (already erased, or past its retention)")
        if ticket.status in LIVE:
            raise ContractError(Reason.ILLEGAL_TRANSITION, f"{ticket.code} is {ticket.status}: cancel or finish it "
                                                           "first, then erase it")
        self.store.add_stats(fold(self.store.legs_for_stats("t.id = ?", (ticket.id,)), self.time.local))
        self.store.erase_ticket(ticket, self.time.day_start(ticket.service_day),
                                self.time.day_start(self.time.days_before(ticket.service_day, -1)))
        if ticket.service_day == self.model.service_day:
            self.model.forget(ticket)
        self._audit_detail = {"service_day": ticket.service_day, "code": ticket.code}
        return payloads.erase_result(ticket.service_day, ticket.code), None

    def _within_quota(self, device_id: str) -> None:
        quota = self.limits[device_id].tickets_per_day
        if self.model.issued_by[device_id] >= quota:
            raise ContractError(Reason.QUOTA_EXCEEDED, f"{device_id} has issued its {quota} tickets of today "
                                "(site file: limits); a supervisor can raise it or void fake tickets")

    def _call_result(self, ticket: Ticket | None, finished: Ticket | None, counter_id: str) -> dict:
        return payloads.call_result(self.ticket_view(ticket) if ticket else None,
                                    finished.code if finished else None, self.model.waiting_for_counter(counter_id))

    def ticket_view(self, ticket: Ticket, issuing: bool = False) -> dict:
        """``issuing``: the reply to the kiosk that issued it, the only one that gets the survey PIN."""
        m = self.model
        counter = self.site.counter(ticket.counter) if ticket.counter else None
        ahead = wait = low = high = None
        if ticket.status == TicketStatus.WAITING and ticket.service_day == m.service_day:
            ahead = m.people_ahead(ticket)
            wait, low, high = estimate.for_ticket(m, ticket, self.clock.now())
        return payloads.ticket_view(
            code=ticket.code, ref=ticket.ref, service=ticket.service, status=ticket.status, priority=ticket.priority,
            language=ticket.language, service_day=ticket.service_day, issued_at=self.time.iso(ticket.issued_at),
            counter=ticket.counter, counter_number=counter.number if counter else None,
            called_at=self.time.iso(ticket.called_at), recalls=ticket.recalls, people_ahead=ahead,
            estimated_wait_min=wait, estimated_wait_low_min=low, estimated_wait_high_min=high,
            qr=self._qr(ticket), survey_pin=ticket.survey_pin if issuing else None)

    def _qr(self, ticket) -> str:
        """The ticket's link to its phone page when the site has a page server, else the OSS1 form."""
        host = self.site.network.guest_host
        if host:
            return guest_url(host, ticket.ref)
        return TicketQR(self.site.site.id, ticket.service_day, ticket.code, ticket.ref).encode()

    # ----------------------------------------------------------- bookkeeping
    def _record(self, changes: Changes, now: float, dirty: _Dirty, events: list[Outgoing]) -> None:
        self.store.save_changes(changes)
        dirty.services |= changes.services
        dirty.counters |= set(changes.counters)
        dirty.zones |= changes.zones
        for event in changes.events:
            self.rev += 1
            self.zone_seq[event.zone] = seq = self.zone_seq.get(event.zone, 0) + 1
            data = event.data
            if event.type in ("ticket_called", "ticket_recalled"):  # a call_view: the commit's time and revision
                data = {**data, "at": self.time.iso(now), "rev": self.rev}
                self.snap.remember_call(data)
                dirty.calls = True
            elif event.type == "tickets_voided":
                self.snap.forget_codes(set(data["codes"]))
                dirty.calls = True
            self.store.save_event(self.rev, seq, event.zone, event.type, now, data)
            dirty.zones.add(event.zone)
            payload = payloads.event(event.type, self.rev, seq, event.zone, self.time.iso(now), data)
            events.append(Outgoing(self.topics.event(event.zone, event.type), payloads.encode(payload), kind="event"))

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
        # the day the database is at: a rolled-back rollover is done again by the next batch
        self._load(self.model.service_day or self.time.service_day(self.clock.now()))

    # -------------------------------------------------------------- snapshots
    def _snapshots(self, dirty: _Dirty) -> list[Outgoing]:
        index = self.snap.index
        # the services whose guest list changed: a counter's change may be its ticket finishing
        guests = set(dirty.services).union(*(index.services_of_counter[c] for c in dirty.counters))
        for sid in dirty.services:
            dirty.counters.update(index.counters_by_service.get(sid, ()))
            dirty.zones.add(index.zone_of_service[sid])
        for cid in dirty.counters:
            dirty.zones.add(index.zone_of_counter[cid])
        out = [Outgoing(self.topics.service_state(s), payloads.encode(self.snap.service(s, self.rev)), retain=True)
               for s in sorted(dirty.services)]
        out += [Outgoing(self.topics.counter_state(c), payloads.encode(self.snap.counter(c, self.rev)), retain=True)
                for c in sorted(dirty.counters)]
        out += [Outgoing(self.topics.zone_state(z), payloads.encode(self.snap.zone(z, self.rev, self.zone_seq[z])),
                         retain=True) for z in sorted(dirty.zones)]
        if dirty.calls:
            out.append(Outgoing(self.topics.recent_calls(), payloads.encode(self.snap.recent_calls(self.rev)),
                                retain=True))
        if self.guest_key is not None:
            out += [Outgoing(self.topics.guest_service(s), retain=True,
                             payload=payloads.encode(self.snap.guest(s, self.rev, self.guest_key)))
                    for s in sorted(guests)]
        return out

    def everything(self) -> list[Outgoing]:
        """All retained config and state, for a hub that has just (re)connected."""
        dirty = _Dirty(set(self.model.waiting), set(self.model.counters), set(self.zone_seq), True)
        events = self._roll_over_alone(self.clock.now(), dirty)
        out = [Outgoing(self.topics.site_config(), payloads.encode(public_config(self.site)), retain=True,
                        kind="config")]
        out += [Outgoing(self.topics.device_config(d.id), payloads.encode(device_slice(self.site, d.id)), retain=True,
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
