"""Every payload the hub and the devices send, built in one place.

One builder per message (and per shape inside one: a ticket, a call, an
event's ``data``), so a payload's keys, their order and its ``"v"`` are written
once.  Builders are plain dict construction, no validation: the hub builds
several per request on its hot path, and what they are given was checked on
the way in (requests are strict ``contract.messages`` models).  The pydantic
models ``Reply``, ``TicketView``, ``CallView`` and ``Event`` in
``contract.messages`` describe the same shapes for docs/protocol.md, and
tests/test_protocol_doc.py checks every payload of the example run against them.

    >>> from contract import payloads
    >>> payloads.presence("kiosk-1", "kiosk", True, 1773133200.0)
    {'v': 1, 'type': 'presence', 'device': 'kiosk-1', 'role': 'kiosk', 'online': True, 'since': 1773133200.0}
    >>> payloads.encode(payloads.calls_state(7, []))
    b'{"v":1,"type":"state.calls","rev":7,"calls":[]}'

What devices receive they read with ``read``: any JSON object, unknown keys kept
(a newer hub may add some), nothing else.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping

#: the payload schema version every payload carries as ``"v"``
SCHEMA_VERSION = 1


def encode(payload: Mapping[str, Any]) -> bytes:
    """The bytes the hub sends: compact JSON in UTF-8 (site texts in Arabic or Bengali stay a third
    of their ``\\u`` escaped size)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def read(payload: bytes | str | None) -> dict | None:
    """What a device received, tolerantly: the JSON object with every key it has (a newer hub may
    send more than this firmware reads), or None for anything else: an empty payload (a cleared
    retained topic), text that is not JSON, JSON that is no object, nesting too deep to decode."""
    if not payload:
        return None
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


# ----------------------------------------------------------------------------
# device -> hub
# ----------------------------------------------------------------------------


def request(request_id: str, deadline_ms: int, fields: Mapping[str, Any]) -> dict:
    """A request's payload (its action is the topic's last segment)."""
    return {"v": SCHEMA_VERSION, "request_id": request_id, "deadline_ms": deadline_ms, **fields}


def presence(device: str, role: str, online: bool, since: float) -> dict:
    """``presence/<device>``, retained; the same with ``online`` false is the device's last will."""
    return {"v": SCHEMA_VERSION, "type": "presence", "device": device, "role": role, "online": online,
            "since": since}


def health(device: str, at: float, status: Mapping[str, Any], role: str | None = None) -> dict:
    """``health/<device>``, retained: the device's own report (printer, scanner, tickets...)."""
    report = {"v": SCHEMA_VERSION, "type": "health", "device": device}
    if role is not None:
        report["role"] = role
    report["at"] = at
    report.update(status)
    return report


# ----------------------------------------------------------------------------
# hub -> one device: replies
# ----------------------------------------------------------------------------


def reply(action: str, request_id: str | None, rev: int, result: Any) -> dict:
    """An ok reply; ``result`` is one of the results below."""
    return {"v": SCHEMA_VERSION, "type": "reply", "action": action, "request_id": request_id, "ok": True,
            "rev": rev, "result": result}


def error_reply(action: str, request_id: str | None, rev: int, code: str, message: str) -> dict:
    """A refusal: ``code`` is a ``contract.errors.Reason``."""
    return {"v": SCHEMA_VERSION, "type": "reply", "action": action, "request_id": request_id, "ok": False,
            "rev": rev, "error": {"code": code, "message": message}}


def ticket_result(ticket: dict) -> dict:
    """The result of ``issue_ticket``, ``ticket_status``, ``cancel_ticket``, ``recall``, ``no_show``,
    ``finish`` and ``transfer``."""
    return {"ticket": ticket}


def call_result(ticket: dict | None, finished: str | None, waiting: int) -> dict:
    """The result of ``call_next`` and ``call_ticket``: the ticket called (None: nobody waits), the
    code finished on the way, and how many wait for the counter now."""
    return {"ticket": ticket, "finished": finished, "waiting": waiting}


def counter_result(counter: str, status: str, waiting: int) -> dict:
    """The result of ``counter_status``."""
    return {"counter": counter, "status": status, "waiting": waiting}


def check_in_result(ticket: dict, code: str, service: str, time: str | None, already_checked_in: bool,
                    timing: str | None = None) -> dict:
    """The result of ``check_in``: the appointment's ticket (the same one for a second scan) and
    ``timing``, when it is called (``contract.messages.APPOINTMENT_TIMING``; None: no slot)."""
    return {"ticket": ticket, "appointment": {"code": code, "service": service, "time": time,
                                              "already_checked_in": already_checked_in, "timing": timing}}


def counter_languages_result(counter: str, languages: list[str], from_site_file: bool) -> dict:
    """The result of ``counter_languages``: the languages the counter now calls by."""
    return {"counter": counter, "languages": languages, "from_site_file": from_site_file}


def void_result(voided: int, codes: list[str], not_live: int) -> dict:
    """The result of ``void_tickets``: how many were voided, their codes (the first 50), how many of
    those named were no longer waiting or called."""
    return {"voided": voided, "codes": codes, "not_live": not_live}


def service_state_result(service: str, status: str, before: str, waiting: int) -> dict:
    """The result of ``service_state``: the service's status now and before, and how many tickets
    still wait in it (they are called as before)."""
    return {"service": service, "status": status, "before": before, "waiting": waiting}


def ticker_result(zone: str | None, text: str | None, zones: list[str]) -> dict:
    """The result of ``ticker_message``: the message (None: cleared), the zone it was for (None:
    every zone) and the zones whose walls changed."""
    return {"zone": zone, "text": text, "zones": zones}


def survey_result(service: str, answered: int) -> dict:
    """The result of ``answer_survey``: the service the answers count for and how many questions
    were answered (the rest were skipped)."""
    return {"survey": {"service": service, "answered": answered}}


def erase_result(service_day: str, code: str) -> dict:
    """The result of ``erase_ticket``."""
    return {"erased": {"service_day": service_day, "code": code}}


# ----------------------------------------------------------------------------
# Shapes inside replies, events and state
# ----------------------------------------------------------------------------


def ticket_view(*, code: str, ref: str, service: str, status: str, priority: bool, language: str,
                service_day: str, issued_at: str, counter: str | None, counter_number: int | None,
                called_at: str | None, recalls: int, people_ahead: int | None, estimated_wait_min: int | None,
                qr: str, estimated_wait_low_min: int | None = None, estimated_wait_high_min: int | None = None,
                survey_pin: str | None = None) -> dict:
    """A ticket as its device may know it (``contract.messages.TicketView``): never who the visitor is.
    ``estimated_wait_low_min``..``estimated_wait_high_min`` is the range to show; ``estimated_wait_min``
    its point, inside it.  ``survey_pin`` only in the issuing kiosk's reply (null elsewhere)."""
    return {"code": code, "ref": ref, "service": service, "status": status, "priority": priority,
            "language": language, "service_day": service_day, "issued_at": issued_at, "counter": counter,
            "counter_number": counter_number, "called_at": called_at, "recalls": recalls,
            "people_ahead": people_ahead, "estimated_wait_min": estimated_wait_min,
            "estimated_wait_low_min": estimated_wait_low_min, "estimated_wait_high_min": estimated_wait_high_min,
            "qr": qr, "survey_pin": survey_pin}


def call_view(code: str, service: str, counter: str, counter_number: int, zone: str, language: str, recall: int,
              at: str | None = None, rev: int | None = None, *, own_language: bool | None = None,
              passed_over: list[dict] = ()) -> dict:
    """A call as a wall display needs it (``contract.messages.CallView``); ``at`` and ``rev`` are
    the commit's, filled in by the hub's engine.  ``own_language``: whether the counter speaks the
    visitor's language (None: its languages are not stated); ``passed_over``: ``passed_over``
    entries, the visitors this call passed over by the language rule."""
    return {"code": code, "service": service, "counter": counter, "counter_number": counter_number, "zone": zone,
            "language": language, "recall": recall, "at": at, "rev": rev, "own_language": own_language,
            "passed_over": list(passed_over)}


def passed_over(code: str, at_head_s: float) -> dict:
    """A visitor a call passed over by the language rule and how long they had been at the head of
    their service-and-class queue, in seconds cut down to the millisecond (never above the truth, so
    the bound ``language_max_skip_min`` can be checked exactly from the event log)."""
    return {"code": code, "at_head_s": math.floor(at_head_s * 1000) / 1000}


def ticket_brief(code: str, service: str, called_at: str | None, recalls: int, language: str | None = None) -> dict:
    """A counter's current ticket in ``state.counter``: what its light and small display need (the
    visitor's language: "M023 · uk")."""
    return {"code": code, "service": service, "called_at": called_at, "recalls": recalls, "language": language}


# ----------------------------------------------------------------------------
# hub -> devices: events (``event/<zone>/<type>``) and their data
# ----------------------------------------------------------------------------


def event(event_type: str, rev: int, seq: int, zone: str, at: str, data: dict) -> dict:
    """An event (``contract.messages.Event``); ``data`` is one of the ``*_data`` shapes below, or a
    ``call_view`` for ``ticket_called`` and ``ticket_recalled``."""
    return {"v": SCHEMA_VERSION, "type": "event", "event": event_type, "rev": rev, "seq": seq, "zone": zone,
            "at": at, "data": data}


def issued_data(code: str, service: str, people_ahead: int) -> dict:
    """``ticket_issued``: the code and the queue, not who took it (language and class stay on the hub)."""
    return {"code": code, "service": service, "people_ahead": people_ahead}


def ended_data(code: str, service: str, counter: str) -> dict:
    """``ticket_finished`` and ``ticket_no_show``."""
    return {"code": code, "service": service, "counter": counter}


def transferred_data(code: str, from_service: str, to_service: str, counter: str, people_ahead: int) -> dict:
    """``ticket_transferred``: same code, another service."""
    return {"code": code, "from": from_service, "to": to_service, "counter": counter, "people_ahead": people_ahead}


def cancelled_data(code: str, service: str) -> dict:
    """``ticket_cancelled``."""
    return {"code": code, "service": service}


def counter_status_data(counter: str, status: str) -> dict:
    """``counter_status``."""
    return {"counter": counter, "status": status}


def voided_data(codes: list[str], services: list[str]) -> dict:
    """``tickets_voided``: the codes of one zone that left the queues, and their services."""
    return {"codes": codes, "services": services}


# ----------------------------------------------------------------------------
# hub -> devices: retained state (``state/...``)
# ----------------------------------------------------------------------------


def service_state(rev: int, service: str, service_day: str | None, waiting: int, waiting_priority: int,
                  open_counters: int, mean_service_min: float, estimated_wait_min: int,
                  last_called: str | None, estimated_wait_low_min: int | None = None,
                  estimated_wait_high_min: int | None = None, *, status: str = "open",
                  status_reason: str | None = None, status_since: str | None = None,
                  oldest_queued_at: str | None = None, today: dict | None = None) -> dict:
    """``state/service/<id>``: waiting counts and the estimated wait of a ticket taken now (kiosks,
    displays): the range ``estimated_wait_low_min``..``estimated_wait_high_min`` and its point.
    Issue 17: ``status`` (``contract.messages.ServiceStatus``: a paused or closed service issues no
    ticket; kiosks show it as not available), the supervisor's ``status_reason`` and since when
    (null while open all day); when the longest-waiting ticket joined the queue (the console counts
    the longest wait from it); ``today``, the day's figures so far (``day_figures``)."""
    return {"v": SCHEMA_VERSION, "type": "state.service", "rev": rev, "service": service,
            "service_day": service_day, "waiting": waiting, "waiting_priority": waiting_priority,
            "open_counters": open_counters, "mean_service_min": mean_service_min,
            "estimated_wait_min": estimated_wait_min, "estimated_wait_low_min": estimated_wait_low_min,
            "estimated_wait_high_min": estimated_wait_high_min, "last_called": last_called,
            "status": status, "status_reason": status_reason, "status_since": status_since,
            "oldest_queued_at": oldest_queued_at, "today": today}


def day_figures(issued: int, served: int, no_shows: int, calls: int, mean_wait_min: float | None,
                longest_wait_min: float | None) -> dict:
    """A service's figures of the service day so far (``state.service``'s ``today``): tickets
    issued in it (voided ones not counted), visits served and no-shows at its counters, calls and
    their mean and longest wait in minutes (null before the first call)."""
    return {"issued": issued, "served": served, "no_shows": no_shows, "calls": calls,
            "mean_wait_min": mean_wait_min, "longest_wait_min": longest_wait_min}


def ticker(text: str, since: str | None) -> dict:
    """A supervisor's ticker message (``state.zone``'s ``ticker``): plain text, shown beside the
    site file's ticker until the day ends or it is cleared."""
    return {"text": text, "since": since}


def counter_state(rev: int, counter: str, number: int, zone: str, status: str, current: dict | None,
                  waiting: int, *, languages: list[str] | None = None, languages_of_day: bool = False) -> dict:
    """``state/counter/<id>``: one counter's status and current ticket (a ``ticket_brief``: since when
    it serves whom is its ``called_at``); issue 17: the languages it calls by now, and whether they
    were set for the day (``counter_languages``) rather than the site file's."""
    return {"v": SCHEMA_VERSION, "type": "state.counter", "rev": rev, "counter": counter, "number": number,
            "zone": zone, "status": status, "current": current, "waiting": waiting,
            "languages": list(languages or ()), "languages_of_day": languages_of_day}


def zone_state(rev: int, seq: int, zone: str, service_day: str | None, calls: list[dict], counters: list[dict],
               services: list[dict], ticker: dict | None = None) -> dict:
    """``state/zone/<id>``: a wall display's whole picture (calls newest first, ``zone_counter`` and
    ``zone_service`` entries); ``seq`` is the zone's event sequence it includes; ``ticker``, the
    supervisor's message its walls show today (the zone's own, else the site-wide one; null: none)."""
    return {"v": SCHEMA_VERSION, "type": "state.zone", "rev": rev, "seq": seq, "zone": zone,
            "service_day": service_day, "calls": calls, "counters": counters, "services": services,
            "ticker": ticker}


def zone_counter(counter: str, number: int, status: str, current: str | None) -> dict:
    return {"counter": counter, "number": number, "status": status, "current": current}


def wait_range(view: Mapping) -> tuple[int, int] | None:
    """The range of the estimated wait a ticket view or a zone's service carries, in whole minutes
    (low, high), or None when it has none (a hub older than the range) or not a usable one: what the
    kiosk, the paper ticket and the wall read (each then words it its own way)."""
    low, high = view.get("estimated_wait_low_min"), view.get("estimated_wait_high_min")
    return (low, high) if isinstance(low, int) and isinstance(high, int) and 0 <= low < high else None


def zone_service(service: str, waiting: int, estimated_wait_min: int, estimated_wait_low_min: int | None = None,
                 estimated_wait_high_min: int | None = None, status: str = "open") -> dict:
    """A service on a wall; ``status`` as in ``state.service`` (issue 17)."""
    return {"service": service, "waiting": waiting, "estimated_wait_min": estimated_wait_min,
            "estimated_wait_low_min": estimated_wait_low_min, "estimated_wait_high_min": estimated_wait_high_min,
            "status": status}


def calls_state(rev: int, calls: list[dict]) -> dict:
    """``state/calls``: the site's recent calls, newest first."""
    return {"v": SCHEMA_VERSION, "type": "state.calls", "rev": rev, "calls": calls}


# ----------------------------------------------------------------------------
# hub -> devices: retained configuration
# ----------------------------------------------------------------------------


def site_config(schema_version: int, public: Mapping[str, Any]) -> dict:
    """``config/site``: the public part of the site file (``siteconf.slices.public_config``)."""
    return {"v": SCHEMA_VERSION, "type": "config.site", "schema_version": schema_version, **public}


def device_config(site: str, device: dict) -> dict:
    """``config/device/<id>``: one device's own entry of the site file."""
    return {"v": SCHEMA_VERSION, "type": "config.device", "site": site, "device": device}


def content(language: str, version: str, digest: str, pack: dict) -> dict:
    """``content/<language>``: one language of the information point's content pack."""
    return {"v": SCHEMA_VERSION, "type": "content", "language": language, "version": version, "digest": digest,
            "pack": pack}


# ------------------------------------------------------------------ the guest page server's feed
def guest_service(rev: int, service: str, service_day: str | None, names: Mapping[str, str],
                  waiting: list[dict], called: list[dict]) -> dict:
    """``guest/service/<id>`` (only the guest page server reads it): the service's waiting list in
    its order, each ticket by its opaque id (``contract.guest``) with its code and its estimate
    (``guest_waiting``), the tickets called to a counter and not yet finished (``guest_called``),
    and the service's name per language."""
    return {"v": SCHEMA_VERSION, "type": "guest.service", "rev": rev, "service": service,
            "service_day": service_day, "names": dict(names), "waiting": waiting, "called": called}


def guest_waiting(id: str, code: str, language: str, wait_min: int, low_min: int, high_min: int) -> dict:
    """A waiting ticket of the guest feed: ``language`` (the one chosen at the kiosk) opens its page in it."""
    return {"id": id, "code": code, "language": language, "wait_min": wait_min, "low_min": low_min,
            "high_min": high_min}


def guest_called(id: str, code: str, language: str, counter_number: int, called_at: str | None,
                 recalls: int) -> dict:
    return {"id": id, "code": code, "language": language, "counter_number": counter_number, "called_at": called_at,
            "recalls": recalls}
