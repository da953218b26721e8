"""Payloads of the wire contract: one pydantic model per message.

Every payload is a JSON object with ``"v"`` (the payload schema version).
Requests are validated strictly (no extra fields, no type coercion) because a
device that sends something unexpected has a bug a technician must see.
Models here are the single source: the hub, the device clients and the
generated tables in docs/protocol.md all read them.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
import unicodedata
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from .errors import ContractError, Reason
from .payloads import SCHEMA_VERSION
from .fields import REQUEST_ID, AppointmentCode, Code, Ident, Lang, Ref, RequestId, ServiceDay, Staff, SurveyPin

#: Largest request the hub reads; anything bigger is refused unread.
MAX_REQUEST_BYTES = 4096
#: codes one ``void_tickets`` may name (what fits in a request; a device and a time window reach more)
MAX_VOID = 400
#: languages one counter may list (the site file's ``MAX_LANGUAGES``)
MAX_COUNTER_LANGUAGES = 30
#: when a checked-in appointment is called (``check_in``'s ``appointment.timing``): ``early``, at
#: its slot; ``due``, by the next call of its service; ``late`` (past ``appointment_grace_min``),
#: in the walk-ins' order; None when the appointment has no time
APPOINTMENT_TIMING = ("early", "due", "late")
#: the longest supervisor's ticker message (``ticker_message``): what a wall's ticker shows in one
#: pass at reading speed, and what fits a phone-width console field
MAX_TICKER_CHARS = 200


class TicketStatus(StrEnum):
    """Where a ticket is (``TicketView.status``; the hub's tickets table)."""

    WAITING = "waiting"
    CALLED = "called"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    #: still waiting or called when its service day ended
    EXPIRED = "expired"
    #: a fake ticket an operator took out of the queues (``void_tickets``)
    VOIDED = "voided"


#: the statuses of a ticket still in a queue or at a counter
LIVE = (TicketStatus.WAITING, TicketStatus.CALLED)


class CounterStatus(StrEnum):
    """Whether a counter calls tickets (``counter_status``; ``state.counter`` and ``state.zone``)."""

    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class ServiceStatus(StrEnum):
    """Whether a service takes new tickets today (``service_state``, issue 17; ``state.service``).

    Every service is open at the start of a service day (the site file has no such setting).  A
    paused or closed service issues no new ticket (``service_paused``, ``service_closed``), and the
    tickets already waiting in it are still called and served either way: a visitor who has a
    ticket keeps their place (docs/decisions.md, "Pausing and closing a service")."""

    OPEN = "open"
    #: for now: no new tickets, the kiosk says tickets come back later today
    PAUSED = "paused"
    #: for the rest of the service day: no new tickets, the kiosk says so
    CLOSED = "closed"


def _values(enum: type[StrEnum]) -> Any:
    """``Literal["a", "b", ...]`` of an enum's values: requests are strict, so they compare plain
    strings, and a refusal names the values as a device sends them."""
    return Literal[tuple(member.value for member in enum)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# ----------------------------------------------------------------------------
# Requests (device -> hub)
# ----------------------------------------------------------------------------


class Request(_Strict):
    """Fields every request carries.

    ``request_id`` makes retries idempotent: the hub answers a repeated id
    with the first answer.  ``deadline_ms`` (Unix ms, device clock synced to the
    hub) is when the request stops making sense; the MQTT message expiry makes
    the broker drop it too, but the hub checks the deadline itself so a request
    that waited too long is refused, never applied late.
    """

    action: ClassVar[str] = ""
    roles: ClassVar[tuple[str, ...]] = ()
    v: Literal[1]
    request_id: RequestId
    deadline_ms: int = Field(ge=0)


class IssueTicket(Request):
    """A kiosk (or the sorting office's counter) asks for a new ticket."""

    action = "issue_ticket"
    roles = ("kiosk", "counter")
    service: Ident
    language: Lang
    priority: bool = False


class GetTicketStatus(Request):
    """Status of a ticket from its QR reference (scanned at a kiosk)."""

    action = "ticket_status"
    roles = ("kiosk", "counter")
    ref: Ref


class CancelTicket(Request):
    """A visitor (at a kiosk, with the ticket's QR) gives up a waiting ticket."""

    action = "cancel_ticket"
    roles = ("kiosk", "counter")
    ref: Ref


class CheckIn(Request):
    """A visitor with an appointment scans its code at a kiosk: the hub records the
    check-in and issues a ticket for the appointment's service (the same ticket again
    if the visitor already checked in)."""

    action = "check_in"
    roles = ("kiosk", "counter")
    code: AppointmentCode
    language: Lang


class CounterRequest(Request):
    """A request a counter device makes for its own counter.

    ``counter`` may be left out (the hub knows each device's counter); when
    given it must be the device's own, or the hub refuses the request.
    """

    roles = ("counter",)
    counter: Ident | None = None


class CallNext(CounterRequest):
    """Finish the counter's current ticket (if any) and call the next one, atomically."""

    action = "call_next"


class CallTicket(CounterRequest):
    """Finish the current ticket and call this specific waiting ticket.  A counter calls to itself; a
    supervisor (or ``technician.hub``) names the ``counter`` to call it to (required then), as
    ``counter_languages`` does, and is audited (issue 17)."""

    action = "call_ticket"
    roles = ("counter", "supervisor", "technician")
    code: Code
    staff: Staff | None = None


class Recall(CounterRequest):
    action = "recall"


class NoShow(CounterRequest):
    action = "no_show"


class Finish(CounterRequest):
    action = "finish"


class Transfer(CounterRequest):
    """Send the counter's current ticket to another service, keeping its code."""

    action = "transfer"
    service: Ident


class SetCounterStatus(CounterRequest):
    action = "counter_status"
    status: _values(CounterStatus)


Reasoning = Annotated[str, Field(min_length=3, max_length=200)]

#: characters a plain one-line text may not hold: controls (C0, C1: a newline, an escape), and the
#: bidi embeddings, overrides and isolates, which would turn the rest of a wall's ticker around
_NOT_PLAIN = frozenset(chr(c) for c in (*range(0x20), *range(0x7f, 0xa0), *range(0x202a, 0x202f),
                                       *range(0x2066, 0x206a)))


def _plain_line(text: str) -> str:
    """A supervisor's ticker message is shown as it is, never as markup: one line of printable
    characters with something to read (not only spaces); a refusal names the first character that
    is not allowed."""
    bad = next((ch for ch in text if ch in _NOT_PLAIN or unicodedata.category(ch) in ("Cs", "Co", "Cn")), None)
    if bad is not None:
        raise ValueError(f"plain text on one line only: U+{ord(bad):04X} is not allowed")
    if not text.strip():
        raise ValueError("the message is empty (only spaces); send null to clear it")
    return text


TickerText = Annotated[str, Field(min_length=1, max_length=MAX_TICKER_CHARS), AfterValidator(_plain_line)]


class SetCounterLanguages(CounterRequest):
    """The languages a counter's staff speak for the rest of the service day (the language rule
    calls by them; at the next service day the site file's ``counters[].languages`` count again).
    A counter sets its own; a supervisor (or ``technician.hub``) names any ``counter``.  ``null``
    languages: back to the site file's.  Audited."""

    action = "counter_languages"
    roles = ("counter", "supervisor", "technician")
    languages: Annotated[list[Lang], Field(max_length=MAX_COUNTER_LANGUAGES)] | None
    reason: Reasoning | None = None
    staff: Staff | None = None


class EraseTicket(Request):
    """Erase one ticket's record before its retention ends (the visitor asked), by its ``ref``
    (the QR) or by ``code`` and ``service_day``; the reason is audited.  Its figures are first
    folded into the day's anonymous counts.  A ticket still waiting or called is refused: cancel
    or finish it first."""

    action = "erase_ticket"
    roles = ("supervisor", "technician")
    ref: Ref | None = None
    code: Code | None = None
    service_day: ServiceDay | None = None
    reason: Reasoning
    staff: Staff | None = None


class VoidTickets(Request):
    """Void fake tickets (a stolen kiosk's flood): those of today's service day that are still
    waiting or called, chosen by ``codes`` or by the ``source`` device that issued them within
    ``issued_from_ms``..``issued_to_ms`` (Unix ms, both optional); the reason is audited.  Voided
    tickets leave the queues, the displays and the estimates at once and stay in history as
    ``voided``; they no longer count against their device's daily quota."""

    action = "void_tickets"
    roles = ("supervisor", "technician")
    codes: Annotated[list[Code], Field(max_length=MAX_VOID)] | None = None
    source: Ident | None = None
    issued_from_ms: int | None = Field(default=None, ge=0)
    issued_to_ms: int | None = Field(default=None, ge=0)
    reason: Reasoning
    staff: Staff | None = None


class SetServiceState(Request):
    """Open, pause or close one service for the rest of the service day (issue 17); at the next
    service day every service is open again.  Paused or closed, the service issues no new ticket
    (``issue_ticket`` is refused ``service_paused`` / ``service_closed``; kiosks show it as not
    available, with a short text); the tickets already waiting in it are still called and served,
    appointments still check in, and counters may still transfer visitors into it.  The ``reason``
    is audited and shown on the console (not on the kiosks: they say it in the visitor's language).
    Audited."""

    action = "service_state"
    roles = ("supervisor", "technician")
    service: Ident
    status: _values(ServiceStatus)
    reason: Reasoning
    staff: Staff | None = None


class TickerMessage(Request):
    """A message for the walls' ticker for the rest of the service day (issue 17), shown beside the
    site file's ticker: to every zone, or to one ``zone``.  ``text`` is plain text on one line, at
    most ``MAX_TICKER_CHARS`` characters (no markup, no control or bidi override characters); null
    clears the message (of that zone, or the site-wide one).  A zone's own message replaces the
    site-wide one on its walls.  Audited."""

    action = "ticker_message"
    roles = ("supervisor", "technician")
    text: TickerText | None
    zone: Ident | None = None
    staff: Staff | None = None


#: a report's period as its folder is named (a day, or a month: ``2026-12-03``, ``2026-12``)
ReportPeriod = Annotated[str, Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")]
#: one file of a report (``report.html``, ``waits.csv``, ``arrivals.png``)
ReportFile = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,80}\.(html|csv|png)$")]


class ReportDownloaded(Request):
    """A staff member downloads a report's file from the supervisor's console (issue 17): the hub
    only writes it into the audit table, with the staff account, before the console hands the file
    over.  The reports are files on the hub's disk, not the hub's state; this keeps every console
    action in the one audit table."""

    action = "report_downloaded"
    roles = ("supervisor",)
    period: ReportPeriod
    file: ReportFile
    staff: Staff | None = None


#: one survey answer: 1 (very satisfied, very adequate) to 4 (not at all); no midpoint (the seed's scale)
SurveyScore = Annotated[int, Field(ge=1, le=4)]
#: the seed's four questions, in its order: opening hours, the space, the kindness of the service,
#: the relationship with the mediator (the ``survey_answers`` columns the reports read)
SURVEY_QUESTIONS = ("hours", "space", "kindness", "mediator")


class AnswerSurvey(Request):
    """A visitor served today answers the seed's four questions at a survey kiosk, once per ticket.
    The ticket is named by its ``ref`` (the scanned QR) or by its printed ``code`` together with the
    ``survey_pin`` printed under it: a typed PIN alone is refused (docs/decisions.md, "The survey
    PIN").  A skipped question is ``null``; at least one is answered.  The hub keeps the answers with
    the service and the service day only; the ticket keeps only that it answered."""

    action = "answer_survey"
    roles = ("kiosk",)
    ref: Ref | None = None
    code: Code | None = None
    survey_pin: SurveyPin | None = None
    hours: SurveyScore | None = None
    space: SurveyScore | None = None
    kindness: SurveyScore | None = None
    mediator: SurveyScore | None = None


REQUEST_TYPES: dict[str, type[Request]] = {
    cls.action: cls
    for cls in (IssueTicket, GetTicketStatus, CancelTicket, CheckIn, CallNext, CallTicket, Recall, NoShow,
                Finish, Transfer, SetCounterStatus, SetCounterLanguages, VoidTickets, EraseTicket, AnswerSurvey,
                SetServiceState, TickerMessage, ReportDownloaded)
}

#: the requests the hub writes into its audit table (with who, the staff account, the arguments
#: and the outcome, refusals included), whoever sends them; an operator's request of any other
#: action (``call_ticket``) is audited too
AUDITED_ACTIONS = ("void_tickets", "erase_ticket", "counter_languages", "service_state", "ticker_message")


def parse_request(action: str, payload: bytes) -> Request:
    """Validate a request payload; raise ContractError with the precise reason."""
    if len(payload) > MAX_REQUEST_BYTES:
        raise ContractError(Reason.PAYLOAD_TOO_LARGE,
                            f"{len(payload)} bytes, the limit is {MAX_REQUEST_BYTES}")
    model = REQUEST_TYPES.get(action)
    data = _json_object(payload)
    version = data.get("v")
    if type(version) is not int or version != SCHEMA_VERSION:  # true and 1.0 equal 1 in Python, not in JSON
        raise ContractError(Reason.UNSUPPORTED_VERSION,
                            f"schema version {safe_text(repr(version), 40)}, this hub speaks {SCHEMA_VERSION}")
    if model is None:
        raise ContractError(Reason.UNKNOWN_ACTION, f"no action called {action!r}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ContractError(Reason.INVALID_FIELDS, describe_validation_error(exc)) from None


def _json_object(payload: bytes) -> dict:
    """The payload as a JSON object, or ContractError(malformed_json).

    ``RecursionError`` is caught with the rest: ``[[[...]]]`` nested about 1,000 deep fits in
    4 KB and exhausts Python's recursion limit inside ``json.loads``; it once escaped this
    function and wedged the hub's worker."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ContractError(Reason.MALFORMED_JSON, f"not JSON: {safe_text(str(exc), 200)}") from None
    if not isinstance(data, dict):
        raise ContractError(Reason.MALFORMED_JSON, "payload must be a JSON object")
    return data


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:8]:
        where = ".".join(str(p) for p in err["loc"]) or "(payload)"
        parts.append(f"{where}: {err['msg']}")
    if len(exc.errors()) > 8:
        parts.append(f"and {len(exc.errors()) - 8} more")
    return safe_text("; ".join(parts), 600)


_REQUEST_ID_RE = re.compile(f"^{REQUEST_ID}$")


def request_id_of(payload: bytes) -> str | None:
    """The request id of a payload that failed validation (for the reply), when it is a valid
    one; anything else (a lone surrogate, 60 KB, a number) gives None, so a refusal can
    always be encoded."""
    try:
        data = _json_object(payload)
    except ContractError:
        return None
    rid = data.get("request_id")
    return rid if isinstance(rid, str) and _REQUEST_ID_RE.match(rid) else None


def safe_text(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters with anything UTF-8 cannot carry (lone surrogates
    from a ``\\ud800`` escape) replaced, so a message that quotes input can always be sent."""
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return text.encode("utf-8", "replace").decode("utf-8")


# ----------------------------------------------------------------------------
# Replies (hub -> one device)
# ----------------------------------------------------------------------------


class ErrorInfo(BaseModel):
    code: Reason
    message: str


class Reply(BaseModel):
    """The hub's answer, published only on the requesting device's reply topic."""

    v: Literal[1] = 1
    type: Literal["reply"] = "reply"
    action: str
    request_id: str | None
    ok: bool
    rev: int = 0
    result: dict[str, Any] | None = None
    error: ErrorInfo | None = None


# ----------------------------------------------------------------------------
# Shared shapes in replies, events and state
# ----------------------------------------------------------------------------


class TicketView(BaseModel):
    """What a device may know of a ticket: never who the visitor is."""

    code: str
    ref: str | None = None
    service: str
    status: _values(TicketStatus)
    priority: bool
    language: str
    service_day: str
    issued_at: str
    counter: str | None = None
    counter_number: int | None = None
    called_at: str | None = None
    recalls: int = 0
    people_ahead: int | None = None
    #: the point of the estimated wait, inside the range below (minutes)
    estimated_wait_min: int | None = None
    #: the range to show: "about low-high min" (the hub's estimate, docs/protocol.md)
    estimated_wait_low_min: int | None = None
    estimated_wait_high_min: int | None = None
    qr: str | None = None
    #: the survey PIN to print on the paper (issue 14): only in the reply to the kiosk that issued it
    survey_pin: str | None = None


class CallView(BaseModel):
    """A call as a wall display needs it: code, where to go, and which languages to speak."""

    code: str
    service: str
    counter: str
    counter_number: int
    zone: str
    language: str
    recall: int
    at: str
    rev: int
    #: whether the counter speaks the visitor's language (None: the counter's languages are not stated)
    own_language: bool | None = None
    #: the visitors this call passed over by the language rule: ``{"code", "at_head_s"}`` each
    passed_over: list[dict[str, Any]] = []


class Event(BaseModel):
    """Non-retained, QoS 1.  ``seq`` counts events per zone stream so a client
    can tell it missed one (then it trusts the retained zone state)."""

    v: Literal[1] = 1
    type: Literal["event"] = "event"
    event: str
    rev: int
    seq: int
    zone: str
    at: str
    data: dict[str, Any]


EVENT_TYPES = {
    "ticket_issued": "a ticket was issued (data: code, service, people_ahead; not the visitor's language or class)",
    "ticket_called": "a ticket was called to a counter (data: a CallView)",
    "ticket_recalled": "the counter called its current ticket again (data: a CallView)",
    "ticket_finished": "the counter finished its current ticket (data: code, service, counter)",
    "ticket_no_show": "the visitor did not come (data: code, service, counter)",
    "ticket_transferred": "a ticket moved to another service, same code (data: code, from, to)",
    "ticket_cancelled": "a waiting ticket was given up (data: code, service)",
    "counter_status": "a counter opened, paused or closed (data: counter, status)",
    "tickets_voided": "fake tickets were voided: they left the queues (data: codes, services)",
}
