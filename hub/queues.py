"""The live queues of one site, as pure logic (no I/O, no clock of its own).

``QueueModel`` holds the current service day's tickets, each service's queue and
each counter's state, and does what the requests ask (issue, call, recall,
no-show, finish, transfer, cancel, void, open and close a counter):

    model = QueueModel(site)
    model.roll_over("2026-03-10", now)
    ticket, changes = model.issue(service_id="reception", language="en", priority=False,
                                  source="kiosk-1", ref=new_ref(), now=now, service_day="2026-03-10")
    called, finished, changes = model.call_next("c1", now)

Every operation first checks everything it needs and raises ContractError
before it touches anything, so a refused request changes nothing.  What an
operation changed is collected in a ``Changes`` for the store to persist and
the publisher to push.  The store rebuilds this model from SQLite on start.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter as CounterOf
from collections import deque
from dataclasses import dataclass, field

from contract import payloads
from contract.errors import ContractError, Reason
from contract.messages import LIVE, CounterStatus, ServiceStatus, TicketStatus
from siteconf.limits import MAX_TICKET_NUMBER
from siteconf.schema import Counter, Site


#: how a leg ends at a counter (the visitor was there, or was called): the counter's pace
AT_COUNTER = (TicketStatus.FINISHED, TicketStatus.NO_SHOW, "transferred")
#: a call this soon after the counter's last visitor left continues a busy stretch (its pace)
BUSY_GAP_S = 120.0
#: how many of a service's last visitors tell where its visitors are transferred to
SENT_ON_WINDOW = 100


@dataclass
class Ticket:
    id: int
    ref: str
    code: str
    service_day: str
    service: str
    first_service: str
    status: TicketStatus
    priority: bool
    language: str
    source: str
    issued_at: float
    queued_at: float
    counter: str | None = None
    called_at: float | None = None
    recalls: int = 0
    finished_at: float | None = None
    #: when it first became the head of its service-and-class queue in this stay (language-aware
    #: calling measures how long it may be passed over from here)
    head_at: float | None = None
    #: an appointment's slot (Unix time) while it waits for it or is due: called at the slot ahead
    #: of the normal class's walk-ins; None for walk-ins and late appointments
    appointment_at: float | None = None
    #: the longest it had been at the head when a call passed it over for a visitor whose language
    #: the counter speaks (seconds, exact to the millisecond below); None: never passed over
    passed_over_s: float | None = None
    #: whether its last call was to a counter that speaks its language (None: that counter's
    #: languages are not stated)
    own_language: bool | None = None
    #: the six digits printed for the survey (issue 14), unique among the day's tickets
    survey_pin: str | None = None
    #: whether the visitor answered the survey (the answers themselves carry no ticket)
    survey_answered: bool = False

    def sort_key(self) -> tuple[float, int]:
        return (self.queued_at, self.id)


@dataclass
class CounterState:
    id: str
    status: CounterStatus = CounterStatus.CLOSED
    current: int | None = None  # ticket id being served
    #: position in the priority-ratio cycle: slots [0, P) call priority, [P, N+P) normal
    cycle_pos: int = 0
    #: the languages its staff speak today (``counter_languages``); None: the site file's
    languages: tuple[str, ...] | None = None


@dataclass
class Leg:
    """One stay of a ticket in one service's queue (a transfer starts a new leg)."""

    ticket_id: int
    seq: int
    service: str
    joined_at: float
    called_at: float | None = None
    counter: str | None = None
    ended_at: float | None = None
    outcome: str | None = None
    #: people ahead when it joined (in memory only: the wait estimate's history; None after a restart)
    ahead: int | None = None


@dataclass(frozen=True)
class ServiceSetting:
    """A supervisor's ``service_state`` of one service for the rest of the day (issue 17)."""

    status: ServiceStatus
    reason: str
    since: float


@dataclass(frozen=True)
class TickerSetting:
    """A supervisor's ``ticker_message`` for the rest of the day: site-wide (zone None) or one zone's."""

    text: str
    since: float


@dataclass
class DayFigures:
    """One service's figures of the day so far (the console's "today"): tickets issued in it (their
    first service; voided ones not counted), visits served and not shown up for at its counters,
    and the waits of its calls (from joining its queue to the call, transfers' stays included)."""

    issued: int = 0
    served: int = 0
    no_shows: int = 0
    calls: int = 0
    wait_sum_s: float = 0.0
    longest_wait_s: float = 0.0


@dataclass
class EventRecord:
    type: str
    zone: str
    data: dict


@dataclass
class Changes:
    tickets: dict[int, Ticket] = field(default_factory=dict)
    counters: dict[str, CounterState] = field(default_factory=dict)
    legs: dict[tuple[int, int], Leg] = field(default_factory=dict)
    sequences: dict[tuple[str, str], int] = field(default_factory=dict)
    events: list[EventRecord] = field(default_factory=list)
    services: set[str] = field(default_factory=set)
    #: zones whose retained picture changed without an event (the ticker)
    zones: set[str] = field(default_factory=set)
    #: the day's settings to save (``QueueModel.day_settings``) when a supervisor changed them
    settings: dict | None = None

    def touch_leg(self, leg: Leg) -> None:
        self.legs[(leg.ticket_id, leg.seq)] = leg

    def touch_ticket(self, ticket: Ticket) -> None:
        self.tickets[ticket.id] = ticket
        self.services.add(ticket.service)


class QueueModel:
    def __init__(self, site: Site):
        self.site = site
        self.service_day: str | None = None
        self.tickets: dict[int, Ticket] = {}  # this service day's tickets
        self.by_ref: dict[str, Ticket] = {}
        self.by_code: dict[str, Ticket] = {}
        self.waiting: dict[str, list[tuple[tuple[float, int], Ticket]]] = {s.id: [] for s in site.services}
        #: waiting priority tickets per service, kept in step with ``waiting`` (O(1) counts)
        self.priority_waiting: dict[str, int] = {s.id: 0 for s in site.services}
        #: waiting appointments per service (they wait for their slot, not in the walk-ins' order)
        self.appointments_waiting: dict[str, int] = {s.id: 0 for s in site.services}
        self.counters: dict[str, CounterState] = {c.id: CounterState(c.id) for c in site.counters}
        self.sequences: dict[tuple[str, str], int] = {}
        self.open_legs: dict[int, Leg] = {}
        self.leg_counts: dict[int, int] = {}
        window = site.policies.estimate_window
        self.service_times: dict[str, deque[float]] = {s.id: deque(maxlen=window) for s in site.services}
        #: each counter's pace: seconds from one call to the next while it has visitors (a visit, a
        #: no-show's recall, printing a transfer), and the services of its last calls (hub/estimate.py)
        self.counter_times: dict[str, deque[float]] = {c.id: deque(maxlen=window) for c in site.counters}
        self.counter_calls: dict[str, deque[str]] = {c.id: deque(maxlen=window) for c in site.counters}
        self.last_call_at: dict[str, float] = {}
        self.last_end_at: dict[str, float] = {}
        #: where each service's last visitors went when they left its counter (a service they were
        #: transferred to, or None), and the counts of it by target: ``into[target][service]``
        self.sent_on: dict[str, deque[str | None]] = {s.id: deque() for s in site.services}
        self.into: dict[str, CounterOf[str]] = {s.id: CounterOf() for s in site.services}
        #: each service's last calls: (seconds waited in its queue, people ahead when it joined, priority)
        self.delays: dict[str, deque[tuple[float, int | None, bool]]] = {
            s.id: deque(maxlen=window) for s in site.services}
        self.next_ticket_id = 1
        #: tickets of this service day by the device that issued them (the daily quotas)
        self.issued_by: CounterOf[str] = CounterOf()
        #: the supervisor's settings of this service day (issue 17): services not open, the ticker
        self.service_settings: dict[str, ServiceSetting] = {}
        self.tickers: dict[str | None, TickerSetting] = {}
        #: each service's figures of the day so far
        self.figures: dict[str, DayFigures] = {s.id: DayFigures() for s in site.services}

    # ------------------------------------------------------------------ loading
    def load_leg(self, leg: Leg) -> None:
        self.leg_counts[leg.ticket_id] = max(self.leg_counts.get(leg.ticket_id, 0), leg.seq)
        if leg.ended_at is None:
            self.open_legs[leg.ticket_id] = leg

    def load_ticket(self, ticket: Ticket) -> None:
        """Add a ticket read from the store (only the current service day's)."""
        self.tickets[ticket.id] = ticket
        self.by_ref[ticket.ref] = ticket
        self.by_code[ticket.code] = ticket
        if ticket.status != TicketStatus.VOIDED:
            self.issued_by[ticket.source] += 1
            if ticket.first_service in self.figures:
                self.figures[ticket.first_service].issued += 1
        if ticket.status == TicketStatus.WAITING and ticket.service in self.waiting:
            self._add_waiting(ticket)
        self.next_ticket_id = max(self.next_ticket_id, ticket.id + 1)

    # ------------------------------------------------------------------ queries
    def counter_config(self, counter_id: str) -> Counter:
        counter = self.site.counter(counter_id)
        if counter is None:
            raise ContractError(Reason.UNKNOWN_COUNTER, f"no counter {counter_id!r} in the site file")
        return counter

    def waiting_count(self, service_id: str) -> int:
        return len(self.waiting.get(service_id, ()))

    def waiting_for_counter(self, counter_id: str) -> int:
        counter = self.site.counter(counter_id)
        return sum(self.waiting_count(cs.service) for cs in counter.services) if counter else 0

    def people_ahead(self, ticket: Ticket) -> int:
        """Tickets of the same service that joined its queue before this one."""
        queue = self.waiting.get(ticket.service, [])
        return bisect.bisect_left(queue, (ticket.sort_key(),))

    def open_counters(self, service_id: str) -> int:
        return sum(1 for c in self.site.counters
                   if self.counters[c.id].status == CounterStatus.OPEN
                   and any(cs.service == service_id for cs in c.services))

    def mean_service_minutes(self, service_id: str) -> float:
        samples = self.service_times.get(service_id)
        if samples:
            return sum(samples) / len(samples) / 60
        service = self.site.service(service_id)
        if service is not None and service.service_minutes:
            return service.service_minutes
        return self.site.policies.default_service_minutes

    def estimated_wait_min(self, service_id: str, people_ahead: int) -> int:
        """The estimate before issue 15 (``hub.estimate.today``) in whole minutes: what the hub
        published until the range replaced it, kept for the comparison."""
        from .estimate import Position, today
        return round(today(self, service_id, Position(people_ahead), 0.0))

    def current_ticket(self, counter_id: str) -> Ticket | None:
        state = self.counters[counter_id]
        return self.tickets.get(state.current) if state.current is not None else None

    # --------------------------------------------------------------- internals
    def _remove_waiting(self, ticket: Ticket) -> None:
        queue = self.waiting[ticket.service]
        index = bisect.bisect_left(queue, (ticket.sort_key(),))
        while index < len(queue) and queue[index][1] is not ticket:
            index += 1
        if index < len(queue):
            del queue[index]
            if ticket.priority:
                self.priority_waiting[ticket.service] -= 1
            if ticket.appointment_at is not None:
                self.appointments_waiting[ticket.service] -= 1

    def _add_waiting(self, ticket: Ticket) -> None:
        bisect.insort(self.waiting[ticket.service], (ticket.sort_key(), ticket))
        if ticket.priority:
            self.priority_waiting[ticket.service] = self.priority_waiting.get(ticket.service, 0) + 1
        if ticket.appointment_at is not None:
            self.appointments_waiting[ticket.service] = self.appointments_waiting.get(ticket.service, 0) + 1

    def _class_heads(self, service_id: str) -> dict[bool, Ticket]:
        """The first walk-in of each class (priority or not) in a service's queue: "the head of its
        service-and-class queue".  Appointments are not in the walk-ins' order (``_due_appointment``)."""
        queue = self.waiting.get(service_id, ())
        priority = self.priority_waiting.get(service_id, 0)
        classes = (priority > 0) + (len(queue) - priority - self.appointments_waiting.get(service_id, 0) > 0)
        heads: dict[bool, Ticket] = {}
        if classes:
            for _, ticket in queue:
                if ticket.appointment_at is None and ticket.priority not in heads:
                    heads[ticket.priority] = ticket
                    if len(heads) == classes:
                        break
        return heads

    def _mark_heads(self, service_id: str, now: float, changes: Changes) -> None:
        """Note when a ticket becomes the head of its service-and-class queue (after every change of
        the queue: issue, call, cancel, void, transfer, check-in); the language rule reads it."""
        for ticket in self._class_heads(service_id).values():
            if ticket.head_at is None:
                ticket.head_at = now
                changes.touch_ticket(ticket)

    def _end_leg(self, ticket: Ticket, now: float, outcome: str, changes: Changes,
                 target: str | None = None) -> None:
        leg = self.open_legs.pop(ticket.id, None)
        if leg is None:
            return
        leg.ended_at = now
        leg.outcome = outcome
        changes.touch_leg(leg)
        if outcome == TicketStatus.FINISHED and leg.called_at is not None:
            self.service_times[leg.service].append(max(0.0, now - leg.called_at))
        self._note_end(leg, now, outcome, target)

    # ---------------------------------------------------- what the estimates read (hub/estimate.py)
    def _note_end(self, leg: Leg, now: float, outcome: str, target: str | None = None) -> None:
        figures = self.figures.get(leg.service)
        if figures is not None and leg.called_at is not None:
            figures.served += outcome == TicketStatus.FINISHED
            figures.no_shows += outcome == TicketStatus.NO_SHOW
        if leg.called_at is not None and leg.counter is not None and outcome in AT_COUNTER:
            self.last_end_at[leg.counter] = now
            if outcome != "transferred":
                self.note_sent_on(leg.service, None)
        if outcome == "transferred" and target is not None:
            self.note_sent_on(leg.service, target)

    def _note_call(self, counter_id: str, service: str, now: float, waited: float | None, ahead: int | None,
                   priority: bool) -> None:
        if waited is not None:
            self.delays[service].append((waited, ahead, priority))
            figures = self.figures.get(service)
            if figures is not None:
                figures.calls += 1
                figures.wait_sum_s += max(0.0, waited)
                figures.longest_wait_s = max(figures.longest_wait_s, waited)
        previous = self.last_call_at.get(counter_id)
        if previous is not None and now - self.last_end_at.get(counter_id, -math.inf) <= BUSY_GAP_S:
            self.counter_times[counter_id].append(now - previous)
        self.last_call_at[counter_id] = now
        self.counter_calls[counter_id].append(service)

    def rebuild_history(self, legs: list[Leg]) -> None:
        """The estimates' history from the day's legs as the store keeps them (after a restart):
        the calls and ends in the order they happened, as ``_call`` and ``_end_leg`` noted them (the
        people ahead of each is not stored: ``None``, which ``estimate.delay_history`` skips)."""
        by_key = {(leg.ticket_id, leg.seq): leg for leg in legs}
        moments = []
        for leg in legs:
            if leg.called_at is not None and leg.counter is not None:
                moments.append((leg.called_at, 1, leg.ticket_id, leg.seq))
            if leg.ended_at is not None:
                moments.append((leg.ended_at, 0, leg.ticket_id, leg.seq))  # a finish comes before its next call
        for at, kind, ticket_id, seq in sorted(moments):
            leg = by_key[(ticket_id, seq)]
            ticket = self.tickets.get(ticket_id)
            if kind == 1:
                self._note_call(leg.counter, leg.service, at, at - leg.joined_at, None,
                                bool(ticket and ticket.priority))
            else:
                following = by_key.get((ticket_id, seq + 1))
                self._note_end(leg, at, leg.outcome, following.service if following else None)

    def note_sent_on(self, service: str, target: str | None) -> None:
        """A visitor left ``service``'s counter, transferred to ``target`` (or not)."""
        sent = self.sent_on.get(service)
        if sent is None:
            return
        if len(sent) == SENT_ON_WINDOW:
            old = sent.popleft()
            if old is not None:
                self.into[old][service] -= 1
        sent.append(target)
        if target is not None and target in self.into:
            self.into[target][service] += 1

    def _start_leg(self, ticket: Ticket, now: float, changes: Changes, ahead: int | None = None) -> None:
        seq = self.leg_counts.get(ticket.id, 0) + 1
        self.leg_counts[ticket.id] = seq
        leg = Leg(ticket.id, seq, ticket.service, now, ahead=ahead)
        self.open_legs[ticket.id] = leg
        changes.touch_leg(leg)

    def _zone_of_counter(self, counter_id: str) -> str:
        return self.counter_config(counter_id).zone

    def _zone_of_service(self, service_id: str) -> str:
        return self.site.service(service_id).zone

    def call_view(self, ticket: Ticket, passed: list[tuple[Ticket, float]] = ()) -> dict:
        """The call's ``data``; the engine stamps it with the commit's time and revision.  ``passed``:
        the visitors this call passed over by the language rule, with their time at the head."""
        counter = self.site.counter(ticket.counter)
        return payloads.call_view(ticket.code, ticket.service, counter.id, counter.number, counter.zone,
                                  ticket.language, ticket.recalls, own_language=ticket.own_language,
                                  passed_over=[payloads.passed_over(t.code, s) for t, s in passed])

    # -------------------------------------------------------------- operations
    def issue(self, *, service_id: str, language: str, priority: bool, source: str, ref: str,
              now: float, service_day: str, appointment_at: float | None = None) -> tuple[Ticket, Changes]:
        """A new ticket; ``appointment_at``: the slot of a checked-in appointment (early or due)."""
        service = self.site.service(service_id)
        if service is None:
            raise ContractError(Reason.UNKNOWN_SERVICE, f"no service {service_id!r} in the site file")
        if priority and not service.priority_eligible:
            raise ContractError(Reason.NOT_PRIORITY_ELIGIBLE, f"{service_id!r} takes no priority tickets")
        if language not in self.site.site.languages:
            raise ContractError(Reason.INVALID_FIELDS, f"language {language!r} is not one of the site's")
        key = (service.prefix, service_day)
        number = self.sequences.get(key, 0) + 1
        if number > MAX_TICKET_NUMBER:
            raise ContractError(Reason.QUOTA_EXCEEDED, f"the {service.prefix} numbers of {service_day} are all used "
                                f"({MAX_TICKET_NUMBER}); no more {service_id!r} tickets today")
        changes = Changes()
        self.sequences[key] = number
        changes.sequences[key] = number
        ticket = Ticket(id=self.next_ticket_id, ref=ref, code=f"{service.prefix}{number:03d}",
                        service_day=service_day, service=service_id, first_service=service_id,
                        status=TicketStatus.WAITING, priority=priority, language=language, source=source,
                        issued_at=now, queued_at=now, appointment_at=appointment_at)
        self.next_ticket_id += 1
        self.load_ticket(ticket)
        ahead = self.people_ahead(ticket)
        self._start_leg(ticket, now, changes, ahead)
        changes.touch_ticket(ticket)
        self._mark_heads(service_id, now, changes)
        changes.events.append(EventRecord("ticket_issued", service.zone,
                                          payloads.issued_data(ticket.code, service_id, ahead)))
        return ticket, changes

    def choose_next(self, counter_id: str, now: float) -> Ticket | None:
        """The ticket this counter calls next (``call_next``; docs/protocol.md, "Who is called next")."""
        return self._choose(counter_id, now)[0]

    def _choose(self, counter_id: str, now: float) -> tuple[Ticket | None, list[tuple[Ticket, float]]]:
        """The class by the priority ratio; in the normal class a due appointment first (the
        earliest slot); else the service whose head waited longest (x weight), FIFO within it,
        except that the language rule may take a later visitor of the same service and class
        (``_prefer_language``); with no walk-in waiting, an early appointment (the earliest slot)
        rather than nobody.  Also the visitors that choice passes over, with their time at the head."""
        counter = self.counter_config(counter_id)
        state = self.counters[counter_id]
        normal_n, priority_n = self.site.policies.priority_ratio
        heads: dict[bool, list[tuple[float, float, int, Ticket]]] = {False: [], True: []}
        for cs in counter.services:
            for klass, ticket in self._class_heads(cs.service).items():
                heads[klass].append((-(now - ticket.queued_at) * cs.weight, ticket.queued_at, ticket.id, ticket))
        want_priority = (state.cycle_pos % (normal_n + priority_n)) < priority_n
        if not (want_priority and heads[True]):
            due = self._due_appointment(counter, now)
            if due is not None:
                return due, []
        chosen_class = want_priority if heads[want_priority] else (not want_priority)
        if not heads[chosen_class]:
            # nobody else to call: the clerk would not sit idle before a visitor the display
            # counts as waiting (docs/decisions.md, "Served in your own language")
            return self._due_appointment(counter, math.inf), []
        return self._prefer_language(counter_id, min(heads[chosen_class], key=lambda h: h[:3])[3], now)

    def _due_appointment(self, counter: Counter, until: float) -> Ticket | None:
        """The waiting appointment of this counter's services with the earliest slot up to ``until``
        (now: the due ones; infinity: any, early ones too)."""
        due = None
        for cs in counter.services:
            if not self.appointments_waiting.get(cs.service):
                continue
            for _, ticket in self.waiting[cs.service]:
                if ticket.appointment_at is not None and ticket.appointment_at <= until and (
                        due is None or (ticket.appointment_at, ticket.id) < (due.appointment_at, due.id)):
                    due = ticket
        return due

    def languages_of(self, counter_id: str) -> tuple[str, ...]:
        """The languages a counter's staff speak today (``counter_languages``, else the site file's)."""
        state = self.counters[counter_id]
        if state.languages is not None:
            return state.languages
        return tuple(self.counter_config(counter_id).languages)

    def _open_languages(self, service_id: str, counter_id: str) -> tuple[set[str], set[str]]:
        """The languages spoken at the open counters of a service other than ``counter_id``, and
        those spoken at every open counter of it (``counter_id`` included)."""
        elsewhere: set[str] = set()
        everywhere = set(self.languages_of(counter_id))
        for c in self.site.counters:
            if c.id != counter_id and self.counters[c.id].status == CounterStatus.OPEN and any(
                    cs.service == service_id for cs in c.services):
                languages = self.languages_of(c.id)
                elsewhere.update(languages)
                everywhere.intersection_update(languages)
        return elsewhere, everywhere

    def at_head_s(self, ticket: Ticket, now: float) -> float:
        """How long a waiting ticket has been at the head of its service-and-class queue (0: not yet)."""
        return 0.0 if ticket.head_at is None else max(0.0, now - ticket.head_at)

    def _prefer_language(self, counter_id: str, head: Ticket, now: float
                         ) -> tuple[Ticket, list[tuple[Ticket, float]]]:
        """The language rule (docs/protocol.md, "Who is called next").  Among the visitors of
        ``head``'s service and class, in arrival order, the counter takes the first whose language it
        speaks and not every open counter of the service does (a mediator's language); else the first
        whose language it speaks; else ``head``.  It may pass over only visitors whose language
        another open counter of the service speaks, each less than ``language_max_skip_min`` at the
        head; the first visitor it may not pass over ends the search.  A counter with no stated
        languages, and a limit of 0, call in arrival order."""
        speaks = self.languages_of(counter_id)
        limit = self.site.policies.language_max_skip_min * 60
        if not speaks or limit <= 0:
            return head, []
        elsewhere, everywhere = self._open_languages(head.service, counter_id)
        passed: list[tuple[Ticket, float]] = []
        spoken: tuple[Ticket, list[tuple[Ticket, float]]] | None = None  # the first it speaks, and who is passed
        index = bisect.bisect_left(self.waiting[head.service], (head.sort_key(),))
        for _, ticket in self.waiting[head.service][index:]:
            if ticket.priority != head.priority or ticket.appointment_at is not None:
                continue
            if ticket.language in speaks:
                if ticket.language not in everywhere:
                    return ticket, passed
                if spoken is None:
                    spoken = (ticket, list(passed))
            at_head = self.at_head_s(ticket, now)
            if ticket.language not in elsewhere or at_head >= limit:
                break
            passed.append((ticket, at_head))
        return spoken if spoken is not None else (head, [])

    def _advance_cycle(self, state: CounterState, ticket: Ticket) -> None:
        normal_n, priority_n = self.site.policies.priority_ratio
        cycle = normal_n + priority_n
        want_priority = (state.cycle_pos % cycle) < priority_n
        if ticket.priority == want_priority:
            state.cycle_pos = (state.cycle_pos + 1) % cycle

    def _finish_current(self, counter_id: str, now: float, changes: Changes) -> Ticket | None:
        ticket = self.current_ticket(counter_id)
        if ticket is not None:
            self._end_current(counter_id, ticket, TicketStatus.FINISHED, now, changes)
        return ticket

    def _end_current(self, counter_id: str, ticket: Ticket, status: TicketStatus, now: float,
                     changes: Changes) -> None:
        """The counter's current ticket leaves it, served (``finished``) or not (``no_show``)."""
        state = self.counters[counter_id]
        ticket.status = status
        ticket.finished_at = now
        state.current = None
        self._end_leg(ticket, now, status, changes)
        changes.touch_ticket(ticket)
        changes.counters[counter_id] = state
        changes.events.append(EventRecord(f"ticket_{status}", self._zone_of_counter(counter_id),
                                          payloads.ended_data(ticket.code, ticket.service, counter_id)))

    def _call(self, counter_id: str, ticket: Ticket, now: float, changes: Changes,
              passed: list[tuple[Ticket, float]] = ()) -> None:
        state = self.counters[counter_id]
        self._remove_waiting(ticket)
        ticket.status = TicketStatus.CALLED
        ticket.counter = counter_id
        ticket.called_at = now
        ticket.recalls = 0
        speaks = self.languages_of(counter_id)
        ticket.own_language = (ticket.language in speaks) if speaks else None
        state.current = ticket.id
        for other, at_head in passed:
            other.passed_over_s = max(other.passed_over_s or 0.0, at_head)
            changes.touch_ticket(other)
        self._mark_heads(ticket.service, now, changes)
        leg = self.open_legs.get(ticket.id)
        if leg is not None:
            leg.called_at = now
            leg.counter = counter_id
            changes.touch_leg(leg)
        self._note_call(counter_id, ticket.service, now, None if leg is None else now - leg.joined_at,
                        None if leg is None else leg.ahead, ticket.priority)
        changes.touch_ticket(ticket)
        changes.counters[counter_id] = state
        changes.events.append(EventRecord("ticket_called", self._zone_of_counter(counter_id),
                                          self.call_view(ticket, passed)))

    def _ensure_open(self, counter_id: str, changes: Changes) -> None:
        state = self.counters[counter_id]
        if state.status != CounterStatus.OPEN:
            state.status = CounterStatus.OPEN
            changes.counters[counter_id] = state
            changes.events.append(EventRecord("counter_status", self._zone_of_counter(counter_id),
                                              payloads.counter_status_data(counter_id, CounterStatus.OPEN)))

    def call_next(self, counter_id: str, now: float) -> tuple[Ticket | None, Ticket | None, Changes]:
        """Finish the current ticket and call the next, as one operation."""
        self.counter_config(counter_id)
        changes = Changes()
        self._ensure_open(counter_id, changes)
        finished = self._finish_current(counter_id, now, changes)
        ticket, passed = self._choose(counter_id, now)
        if ticket is not None:
            self._advance_cycle(self.counters[counter_id], ticket)
            self._call(counter_id, ticket, now, changes, passed)
        changes.counters[counter_id] = self.counters[counter_id]
        return ticket, finished, changes

    def call_ticket(self, counter_id: str, code: str, now: float) -> tuple[Ticket, Ticket | None, Changes]:
        counter = self.counter_config(counter_id)
        ticket = self.by_code.get(code)
        if ticket is None:
            raise ContractError(Reason.UNKNOWN_TICKET, f"no ticket {code} today")
        if ticket.status != TicketStatus.WAITING:
            raise ContractError(Reason.ILLEGAL_TRANSITION, f"{code} is {ticket.status}, not waiting")
        if not any(cs.service == ticket.service for cs in counter.services):
            raise ContractError(Reason.SERVICE_NOT_AT_COUNTER,
                                f"counter {counter_id} does not serve {ticket.service!r}")
        changes = Changes()
        self._ensure_open(counter_id, changes)
        finished = self._finish_current(counter_id, now, changes)
        self._call(counter_id, ticket, now, changes)
        return ticket, finished, changes

    def _require_current(self, counter_id: str, doing: str) -> Ticket:
        self.counter_config(counter_id)
        ticket = self.current_ticket(counter_id)
        if ticket is None:
            raise ContractError(Reason.ILLEGAL_TRANSITION,
                                f"counter {counter_id} has no called ticket to {doing}")
        return ticket

    def recall(self, counter_id: str, now: float) -> tuple[Ticket, Changes]:
        ticket = self._require_current(counter_id, "recall")
        limit = self.site.policies.recall_limit
        if ticket.recalls >= limit:
            raise ContractError(Reason.RECALL_LIMIT, f"{ticket.code} was recalled {ticket.recalls} times "
                                                     f"(limit {limit})")
        changes = Changes()
        ticket.recalls += 1
        changes.touch_ticket(ticket)
        changes.events.append(EventRecord("ticket_recalled", self._zone_of_counter(counter_id), self.call_view(ticket)))
        return ticket, changes

    def no_show(self, counter_id: str, now: float) -> tuple[Ticket, Changes]:
        ticket = self._require_current(counter_id, "mark as no-show")
        if self.site.policies.no_show_requires_recall and ticket.recalls < 1:
            raise ContractError(Reason.NO_SHOW_NEEDS_RECALL,
                                f"recall {ticket.code} at least once before marking a no-show")
        changes = Changes()
        self._end_current(counter_id, ticket, TicketStatus.NO_SHOW, now, changes)
        return ticket, changes

    def finish(self, counter_id: str, now: float) -> tuple[Ticket, Changes]:
        self._require_current(counter_id, "finish")
        changes = Changes()
        ticket = self._finish_current(counter_id, now, changes)
        return ticket, changes

    def transfer(self, counter_id: str, service_id: str, now: float) -> tuple[Ticket, Changes]:
        counter = self.counter_config(counter_id)
        ticket = self._require_current(counter_id, "transfer")
        if self.site.service(service_id) is None:
            raise ContractError(Reason.UNKNOWN_SERVICE, f"no service {service_id!r} in the site file")
        if service_id not in counter.transfer_targets:
            raise ContractError(Reason.NOT_A_TRANSFER_TARGET,
                                f"counter {counter_id} cannot transfer to {service_id!r}")
        if service_id == ticket.service:
            raise ContractError(Reason.ILLEGAL_TRANSITION, f"{ticket.code} is already in {service_id!r}")
        changes = Changes()
        state = self.counters[counter_id]
        from_service = ticket.service
        self._end_leg(ticket, now, "transferred", changes, target=service_id)
        changes.services.add(from_service)
        position = self.site.policies.transfer_position
        if position == "original_arrival":
            queued_at = ticket.issued_at
        elif position == "front":
            queue = self.waiting[service_id]
            queued_at = min(queue[0][1].queued_at - 1, ticket.issued_at) if queue else ticket.issued_at
        else:
            queued_at = now
            queue = self.waiting[service_id]
            if queue and queue[-1][0] > (queued_at, ticket.id):
                # a ticket joined at this same instant (one batch) with a higher id: stay behind it
                queued_at = math.nextafter(queue[-1][0][0], math.inf)
        ticket.service = service_id
        ticket.status = TicketStatus.WAITING
        ticket.counter = None
        ticket.called_at = None
        ticket.recalls = 0
        ticket.queued_at = queued_at
        ticket.head_at = None  # a new stay: its time at the head starts again
        ticket.appointment_at = None  # an appointment's precedence is for its first service only
        state.current = None
        self._add_waiting(ticket)
        self._mark_heads(service_id, now, changes)
        ahead = self.people_ahead(ticket)
        self._start_leg(ticket, now, changes, ahead)
        changes.touch_ticket(ticket)
        changes.counters[counter_id] = state
        changes.events.append(EventRecord("ticket_transferred", self._zone_of_service(service_id),
                                          payloads.transferred_data(ticket.code, from_service, service_id, counter_id,
                                                                    ahead)))
        return ticket, changes

    def cancel(self, ticket: Ticket, now: float) -> Changes:
        if ticket.status != TicketStatus.WAITING:
            raise ContractError(Reason.ILLEGAL_TRANSITION, f"{ticket.code} is {ticket.status}, not waiting")
        changes = Changes()
        self._remove_waiting(ticket)
        self._mark_heads(ticket.service, now, changes)
        ticket.status = TicketStatus.CANCELLED
        ticket.finished_at = now
        self._end_leg(ticket, now, TicketStatus.CANCELLED, changes)
        changes.touch_ticket(ticket)
        changes.events.append(EventRecord("ticket_cancelled", self._zone_of_service(ticket.service),
                                          payloads.cancelled_data(ticket.code, ticket.service)))
        return changes

    def forget(self, ticket: Ticket) -> None:
        """An erased ticket of today (not live) leaves the model as it left the database."""
        self.tickets.pop(ticket.id, None)
        self.by_ref.pop(ticket.ref, None)
        self.by_code.pop(ticket.code, None)
        self.open_legs.pop(ticket.id, None)
        if ticket.status != TicketStatus.VOIDED:
            self.issued_by[ticket.source] -= 1
            self._not_issued(ticket)

    def void(self, tickets: list[Ticket], now: float) -> Changes:
        """Fake tickets out of the queues (a called one off its counter): status ``voided``, kept in
        history, no longer counted against the device that issued them.  One event per zone."""
        changes = Changes()
        by_zone: dict[str, dict[str, list[str]]] = {}
        for ticket in tickets:
            if ticket.status not in LIVE:
                raise ContractError(Reason.ILLEGAL_TRANSITION, f"{ticket.code} is {ticket.status}, not live")
        for ticket in tickets:
            if ticket.status == TicketStatus.WAITING:
                self._remove_waiting(ticket)
                self._mark_heads(ticket.service, now, changes)
                zone = self._zone_of_service(ticket.service)
            else:
                state = self.counters.get(ticket.counter)
                if state is not None and state.current == ticket.id:
                    state.current = None
                    changes.counters[state.id] = state
                zone = self._zone_of_counter(ticket.counter)
            ticket.status = TicketStatus.VOIDED
            ticket.finished_at = now
            self.issued_by[ticket.source] -= 1
            self._not_issued(ticket)
            self._end_leg(ticket, now, TicketStatus.VOIDED, changes)
            changes.touch_ticket(ticket)
            entry = by_zone.setdefault(zone, payloads.voided_data([], []))
            entry["codes"].append(ticket.code)
            if ticket.service not in entry["services"]:
                entry["services"].append(ticket.service)
        for zone, data in by_zone.items():
            changes.events.append(EventRecord("tickets_voided", zone, data))
        return changes

    def set_counter_status(self, counter_id: str, status: CounterStatus, now: float) -> Changes:
        self.counter_config(counter_id)
        changes = Changes()
        state = self.counters[counter_id]
        if status == CounterStatus.CLOSED:
            self._finish_current(counter_id, now, changes)
        if state.status != status:
            state.status = status
            changes.events.append(EventRecord("counter_status", self._zone_of_counter(counter_id),
                                              payloads.counter_status_data(counter_id, status)))
        changes.counters[counter_id] = state
        for cs in self.counter_config(counter_id).services:
            changes.services.add(cs.service)  # open counters change estimated waits
        return changes

    def _not_issued(self, ticket: Ticket) -> None:
        """A voided (fake) or erased ticket no longer counts among the day's issued ones."""
        figures = self.figures.get(ticket.first_service)
        if figures is not None and figures.issued > 0:
            figures.issued -= 1

    # ------------------------------------------------- the supervisor's settings of the day (issue 17)
    def service_status(self, service_id: str) -> ServiceStatus:
        setting = self.service_settings.get(service_id)
        return ServiceStatus.OPEN if setting is None else setting.status

    def require_issuing(self, service_id: str) -> None:
        """Refuse a new ticket of a paused or closed service (its waiting tickets are still called)."""
        setting = self.service_settings.get(service_id)
        if setting is None or setting.status == ServiceStatus.OPEN:
            return
        if setting.status == ServiceStatus.PAUSED:
            raise ContractError(Reason.SERVICE_PAUSED, f"{service_id!r} is paused for now: no new tickets "
                                                       "(those waiting are still called)")
        raise ContractError(Reason.SERVICE_CLOSED, f"{service_id!r} is closed for the rest of the day: no new "
                                                   "tickets (those waiting are still called)")

    def set_service_state(self, service_id: str, status: ServiceStatus, reason: str, now: float) -> Changes:
        """Open, pause or close a service until the day ends; the queue itself is left as it is."""
        service = self.site.service(service_id)
        if service is None:
            raise ContractError(Reason.UNKNOWN_SERVICE, f"no service {service_id!r} in the site file")
        self.service_settings[service_id] = ServiceSetting(status, reason, now)
        changes = Changes(settings=self.day_settings())
        changes.services.add(service_id)
        return changes

    def ticker_of(self, zone_id: str) -> TickerSetting | None:
        """The supervisor's message a zone's walls show: the zone's own, else the site-wide one."""
        return self.tickers.get(zone_id) or self.tickers.get(None)

    def set_ticker(self, zone_id: str | None, text: str | None, now: float) -> Changes:
        """The message of a zone (or of every zone: None) for the rest of the day; None clears it."""
        zones = [z.id for z in self.site.zones]
        if zone_id is not None and zone_id not in zones:
            raise ContractError(Reason.INVALID_FIELDS, f"zone: no zone {zone_id!r} in the site file")
        if text is None:
            self.tickers.pop(zone_id, None)
        else:
            self.tickers[zone_id] = TickerSetting(text, now)
        changes = Changes(settings=self.day_settings())
        changes.zones |= set(zones) if zone_id is None else {zone_id}
        return changes

    def day_settings(self) -> dict:
        """The day's settings as the store keeps them (JSON), with the service day they are of."""
        return {"service_day": self.service_day,
                "services": {sid: {"status": str(st.status), "reason": st.reason, "since": st.since}
                             for sid, st in self.service_settings.items()},
                "tickers": [{"zone": zone, "text": t.text, "since": t.since} for zone, t in self.tickers.items()]}

    def load_settings(self, saved: dict) -> None:
        """The day's settings from the store; another day's (or a service or zone no longer in the
        site file) are left out: every service is open and the ticker the site file's again."""
        if saved.get("service_day") != self.service_day:
            return
        for sid, st in saved.get("services", {}).items():
            if self.site.service(sid) is not None:
                self.service_settings[sid] = ServiceSetting(ServiceStatus(st["status"]), st["reason"], st["since"])
        zones = {z.id for z in self.site.zones}
        for t in saved.get("tickers", ()):
            if t["zone"] is None or t["zone"] in zones:
                self.tickers[t["zone"]] = TickerSetting(t["text"], t["since"])

    def set_languages(self, counter_id: str, languages: list[str] | None) -> Changes:
        """The languages a counter's staff speak for the rest of the day (None: the site file's)."""
        self.counter_config(counter_id)
        if languages is not None and len(set(languages)) != len(languages):
            raise ContractError(Reason.INVALID_FIELDS, "languages lists a language twice")
        state = self.counters[counter_id]
        state.languages = None if languages is None else tuple(languages)
        changes = Changes()
        changes.counters[counter_id] = state
        return changes

    def roll_over(self, new_day: str, now: float) -> Changes:
        """A new service day: yesterday's unfinished tickets expire (kept in history)."""
        changes = Changes()
        for ticket in list(self.tickets.values()):
            if ticket.status in LIVE:
                ticket.status = TicketStatus.EXPIRED
                ticket.finished_at = now
                self._end_leg(ticket, now, TicketStatus.EXPIRED, changes)
                changes.touch_ticket(ticket)
        for state in self.counters.values():
            if state.current is not None or state.languages is not None:
                state.current = None
                state.languages = None  # the day's languages end with the day: the site file's again
                changes.counters[state.id] = state
        self.tickets.clear()
        self.open_legs.clear()
        self.leg_counts.clear()
        self.by_ref.clear()
        self.by_code.clear()
        self.issued_by.clear()
        for queue in self.waiting.values():
            queue.clear()
        for service in self.priority_waiting:
            self.priority_waiting[service] = 0
            self.appointments_waiting[service] = 0
        self.service_day = new_day
        changes.services |= set(self.waiting)
        # the supervisor's settings and the figures end with the day: every service open again
        had_settings = bool(self.service_settings or self.tickers)
        self.service_settings.clear()
        self.tickers.clear()
        self.figures = {s: DayFigures() for s in self.figures}
        if had_settings:
            changes.settings = self.day_settings()
            changes.zones |= {z.id for z in self.site.zones}
        return changes
