"""The tables of docs/protocol.md, made from the contract code itself.

docs/protocol.md is hand-written prose around sections delimited by
``<!-- generated:NAME -->`` ... ``<!-- /generated:NAME -->``.  This module
renders the sections that come from the contract (and what a run of the real
hub showed of it), finds them in a document and rewrites them.  It imports
nothing of the project but the contract.  The run itself, a scripted morning
of the real hub engine fed by real ``DeviceLink`` objects on the test site, is
``tools/protocol_doc.py`` (a checkout's tool, not shipped), which is also the
command that regenerates the document:

    python tools/protocol_doc.py --write docs/protocol.md

Sources, one per section:

* ``topics``: the ``Topics`` methods (patterns), ``TOPIC_DOCS`` below
  (direction, retain, publisher), the expiries of ``contract.topics`` and the
  readers the ACL allows (``contract.acl.RULES``);
* ``requests``: ``contract.messages.REQUEST_TYPES`` and their JSON schemas,
  with the ``result`` each action's ok reply had in the run;
* ``shapes``: the reply, ticket, call and event models, and the keys of every
  retained payload the run published;
* ``reasons``: ``contract.errors.Reason`` and ``REASON_MEANINGS`` below;
* ``events``: ``contract.messages.EVENT_TYPES`` and the data keys the run's
  events carried;
* ``acl``: ``contract.acl.RULES``;
* ``examples``: written by the tool from the run's payloads.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .acl import RULES, Rule
from .errors import Reason
from .messages import EVENT_TYPES, MAX_REQUEST_BYTES, REQUEST_TYPES, Request
from .topics import EVENT_EXPIRY_S, REPLY_EXPIRY_S, REQUEST_EXPIRY_S, ROOT, Topics

SECTION_RE = re.compile(r"<!-- generated:(?P<name>[a-z_]+) -->\n(?P<body>.*?)<!-- /generated:(?P=name) -->",
                        re.S)

# ----------------------------------------------------------------------------
# What the code cannot say by itself
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicDoc:
    direction: str
    retained: bool
    publisher: str
    payload: str
    qos: int = 1
    #: "request" | "reply" | "event" | None (no message expiry)
    expiry: str | None = None


#: every topic-building method of ``Topics`` must be described here
TOPIC_DOCS: dict[str, TopicDoc] = {
    "request": TopicDoc("device → hub", False, "kiosk, counter, operator (in its own name)",
                        "a request, see [Requests](#requests)", expiry="request"),
    "reply": TopicDoc("hub → device", False, "hub", "the reply to a request (`type` `reply`)", expiry="reply"),
    "presence": TopicDoc("device → all", True, "each device for itself (and its last will); the hub for itself",
                         "`type` `presence`"),
    "health": TopicDoc("device → hub, technicians", True, "each device for itself", "`type` `health`"),
    "site_config": TopicDoc("hub → devices", True, "hub", "`type` `config.site`: the public part of the site file"),
    "device_config": TopicDoc("hub → one device", True, "hub", "`type` `config.device`: the device's own entry"),
    "content": TopicDoc("hub → kiosks", True, "hub",
                        "`type` `content`: one language of the information-point content pack "
                        "(`version`, `digest`, `pack`; see siteconf/content.py)"),
    "service_state": TopicDoc("hub → devices", True, "hub", "`type` `state.service`: waiting count, estimated wait"),
    "counter_state": TopicDoc("hub → one counter", True, "hub", "`type` `state.counter`: status, current ticket"),
    "zone_state": TopicDoc("hub → displays, counters", True, "hub",
                           "`type` `state.zone`: recent calls, counters, services, `seq`"),
    "recent_calls": TopicDoc("hub → (see readers)", True, "hub", "`type` `state.calls`: the site's recent calls"),
    "event": TopicDoc("hub → displays", False, "hub", "`type` `event`, see [Events](#events)", expiry="event"),
    "guest_service": TopicDoc("hub → guest page server", True, "hub",
                              "`type` `guest.service`: the waiting list in order by opaque id (code, language, "
                              "estimate), the tickets at a counter, the service's names; see "
                              "[The guest feed](#the-guest-feed)"),
}

#: every subscription-filter method of ``Topics``: (who subscribes, what for)
FILTER_DOCS: dict[str, tuple[str, str]] = {
    "all_requests": ("nobody (the hub before it listened device by device)", "every request of the site"),
    "device_requests": ("hub", "one device's requests (one filter per device, dropped while it floods)"),
    "all_presence": ("monitor (`onestop-provision fleet`)", "every device's presence"),
    "all_health": ("monitor (`onestop-provision fleet`)", "every device's health"),
    "zone_events": ("display", "the live events of its zone"),
    "all_guest_services": ("guestpage (`onestop-guest`)", "every service's guest list"),
}

#: one line per reason code: what it means and what a device does about it
REASON_MEANINGS: dict[Reason, str] = {
    Reason.MALFORMED_JSON: "the payload is not a JSON object. A device bug: log it, do not retry.",
    Reason.UNSUPPORTED_VERSION: "the payload's `v` is not a schema version this hub speaks (checked before "
                                "the action and the fields). The device is newer or older than the hub.",
    Reason.INVALID_FIELDS: "a field is missing, unexpected, of the wrong JSON type or outside its constraints; "
                           "also a `language` that is not one of the site's. The message names the field.",
    Reason.PAYLOAD_TOO_LARGE: f"more than {MAX_REQUEST_BYTES} bytes; refused unread, so `request_id` is null.",
    Reason.UNKNOWN_ACTION: "the last topic segment is not an action of the contract.",
    Reason.UNKNOWN_DEVICE: "reserved: never sent. A request from a broker user that is not a device of the "
                           "hub's site file (retired without a broker restart) is dropped unanswered and "
                           "counted in the hub's health report.",
    Reason.FORBIDDEN: "the device's role may not send this action, a counter named another counter than its "
                      "own, or a kiosk whose `kiosk_modes` lack `tickets` (`issue_ticket`), `check_in` "
                      "(`check_in`) or `survey` (`answer_survey`).",
    Reason.EXPIRED: "the hub saw the request after its `deadline_ms`: nothing was applied. Ask the person "
                    "again and send a new request (new `request_id`).",
    Reason.UNKNOWN_SERVICE: "no such service in the site file (`issue_ticket`, `transfer`).",
    Reason.UNKNOWN_COUNTER: "the device's counter is not in the site file.",
    Reason.UNKNOWN_TICKET: "no ticket with this `ref` (ever) or this `code` (today).",
    Reason.NOT_PRIORITY_ELIGIBLE: "a priority ticket for a service whose `priority_eligible` is false.",
    Reason.ILLEGAL_TRANSITION: "the ticket or counter is not in a state that allows it (cancel a called "
                               "ticket, recall with nothing called, call a ticket that is not waiting, "
                               "transfer to the same service).",
    Reason.RECALL_LIMIT: "the current ticket was recalled `policies.recall_limit` times already.",
    Reason.NO_SHOW_NEEDS_RECALL: "`policies.no_show_requires_recall`: recall the ticket once before a no-show.",
    Reason.SERVICE_NOT_AT_COUNTER: "`call_ticket` for a ticket of a service this counter does not serve.",
    Reason.NOT_A_TRANSFER_TARGET: "the service is not in this counter's `transfer_targets`.",
    Reason.COUNTER_CLOSED: "reserved: the current hub never sends it (calling at a closed or paused "
                           "counter opens it).",
    Reason.SITE_CLOSED: "`policies.issue_only_when_open` and the hub's clock is outside `opening_hours` "
                        "(or on a `closed_dates` day): no ticket now.",
    Reason.ALREADY_ANSWERED: "`answer_survey` for a ticket whose survey was already answered: nothing was "
                             "stored. The kiosk says so; the visitor has answered once.",
    Reason.NOT_SERVED: "`answer_survey` for a ticket that was not served today (still waiting or called, "
                       "cancelled, not seen, or of another day).",
    Reason.SERVICE_PAUSED: "`issue_ticket` for a service a supervisor paused (`service_state`): no new ticket "
                           "for now; the kiosk shows the service as not available. Tickets already waiting "
                           "are still called.",
    Reason.SERVICE_CLOSED: "`issue_ticket` for a service a supervisor closed for the rest of the service day "
                           "(`service_state`). Tickets already waiting are still called; tomorrow it is open.",
    Reason.UNKNOWN_APPOINTMENT: "`check_in` with a code that is not in the hub's appointments for today.",
    Reason.RATE_LIMITED: "the device sent more requests than its limit (site file `limits`: `requests_per_s`, "
                         "`burst`); refused unread (`request_id` null), not remembered. Wait and send again. "
                         "At most 5 such replies a second; beyond them requests are dropped unanswered, and a "
                         "device with 50 dropped in a second is not listened to for 10 s (doubling, at most "
                         "5 min).",
    Reason.QUOTA_EXCEEDED: "the device has issued its `tickets_per_day` today (site file `limits`), or the "
                           "service's 99,999 numbers of the day are used up. Not remembered: the same request "
                           "succeeds once the quota allows (the next service day).",
    Reason.QOS_REQUIRED: "the request came with QoS 0; nothing was applied and nothing is remembered. Send "
                         "it again with QoS 1 (the hub acknowledges a request only after its commit).",
    Reason.INTERNAL: "the hub failed on this request alone (a bug, or a payload no check foresaw): nothing of "
                     "it was applied, the rest of its batch was answered as usual, and the failure is "
                     "counted in the hub's health report. Remembered: a retry gets the same answer.",
}

#: which zone's event stream carries each event type (the model decides; see hub/queues.py)
EVENT_ZONES: dict[str, str] = {
    "ticket_issued": "the service's zone",
    "tickets_voided": "the zone of each voided ticket's queue or counter (one event per zone)",
    "ticket_called": "the counter's zone",
    "ticket_recalled": "the counter's zone",
    "ticket_finished": "the counter's zone",
    "ticket_no_show": "the counter's zone",
    "ticket_transferred": "the zone of the service it moved to",
    "ticket_cancelled": "the service's zone",
    "counter_status": "the counter's zone",
}

#: used where a request class has no docstring of its own
ACTION_NOTES: dict[str, str] = {
    "recall": "Call the counter's current ticket again (displays announce it again).",
    "no_show": "The visitor of the counter's current ticket did not come; the counter is free.",
    "finish": "The counter is done with its current ticket.",
    "counter_status": "Open, pause or close the counter; closing finishes its current ticket.",
}

ROLE_ORDER = ("every device", "hub", "kiosk", "counter", "display", "monitor", "doctor", "operator", "guestpage")
#: how the ACL table names each identity's user in its Mosquitto ``user`` line
ACL_USER = {"every device": "<device id>", "monitor": "monitor.<name>", "doctor": "doctor.<device id>",
            "operator": "technician.<name> / supervisor.<name>"}


# ----------------------------------------------------------------------------
# Markdown helpers
# ----------------------------------------------------------------------------


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def json_text(data: Any, indent: int = 0, lead: int = 0, width: int = 96) -> str:
    """Indented JSON that keeps an object or list on one line when it fits in ``width``."""
    compact = json.dumps(data, ensure_ascii=False, separators=(", ", ": "))
    if not isinstance(data, (dict, list)) or not data or indent + lead + len(compact) <= width:
        return compact
    pad = " " * (indent + 2)
    if isinstance(data, dict):
        items = []
        for key, value in data.items():
            name = json.dumps(key, ensure_ascii=False) + ": "
            items.append(pad + name + json_text(value, indent + 2, len(name), width))
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + json_text(value, indent + 2, 0, width) for value in data]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def json_block(data: Any) -> str:
    """``data`` as a fenced JSON block."""
    return f"```json\n{json_text(data)}\n```\n"


def doc_of(cls: type) -> str:
    own = cls.__dict__.get("__doc__")
    return inspect.cleandoc(own) if own else ""


# ----------------------------------------------------------------------------
# Topics
# ----------------------------------------------------------------------------

SITE = "<site>"


def _placeholder(name: str) -> str:
    return "<" + re.sub(r"_id$", "", name) + ">"


def _topic_methods() -> list[tuple[str, Callable]]:
    """Public topic-building and filter methods of Topics, in source order."""
    found = []
    for name, value in vars(Topics).items():
        if name.startswith("_") or name.startswith("parse_") or not inspect.isfunction(value):
            continue
        found.append((name, value))
    return found


def topic_pattern(name: str) -> str:
    method = getattr(Topics(SITE), name)
    params = list(inspect.signature(method).parameters)
    return method(*[_placeholder(p) for p in params])


def _rule_segments(rule: Rule) -> list[str]:
    return rule.topic.replace("{base}", f"{ROOT}/{SITE}").split("/")


def _covers(rule: Rule, topic: str) -> list[str] | None:
    """Qualifiers under which ``rule`` covers every topic of the pattern, or None."""
    quals: list[str] = []
    rsegs, tsegs = _rule_segments(rule), topic.split("/")
    for i, r in enumerate(rsegs):
        if r == "#":
            return quals
        if i >= len(tsegs):
            return None
        t = tsegs[i]
        if r == "+":
            continue
        if r.startswith("{"):
            bound = r[1:-1]
            if t != f"<{bound}>":
                return None
            quals.append(("its device's" if rule.who == "doctor" else "own") if bound == "device"
                         else f"own {bound}")
        elif t.startswith("<") and t != SITE:
            quals.append(f"only `{r}`")
        elif r != t:
            return None
    return quals if len(rsegs) == len(tsegs) else None


def acl_access(topic: str, access: str) -> list[str]:
    """Who the ACL lets read (or write) topics of this pattern, e.g. ``display (own zone)``."""
    who = []
    for rule in sorted(RULES, key=lambda r: ROLE_ORDER.index(r.who)):
        if access not in rule.access:
            continue
        quals = _covers(rule, topic)
        if quals is not None:
            who.append(rule.who + (f" ({', '.join(quals)})" if quals else ""))
    return who


def _expiries() -> dict[str, str]:
    return {"request": f"{REQUEST_EXPIRY_S:g} s (device `timing.request_expiry_s`)",
            "reply": f"{REPLY_EXPIRY_S} s", "event": f"{EVENT_EXPIRY_S} s"}


def topics_section() -> str:
    methods = _topic_methods()
    names = {n for n, _ in methods}
    missing = names - TOPIC_DOCS.keys() - FILTER_DOCS.keys()
    stale = (TOPIC_DOCS.keys() | FILTER_DOCS.keys()) - names
    if missing or stale:
        raise KeyError(f"contract/docs.py: describe the Topics methods {sorted(missing)} in TOPIC_DOCS or "
                       f"FILTER_DOCS, and drop {sorted(stale)}")
    expiry = _expiries()
    rows = []
    for name, _ in methods:
        if name not in TOPIC_DOCS:
            continue
        doc = TOPIC_DOCS[name]
        pattern = topic_pattern(name)
        rows.append([f"`{pattern}`", doc.direction, doc.qos, "yes" if doc.retained else "no",
                     expiry[doc.expiry] if doc.expiry else "none", doc.publisher,
                     ", ".join(acl_access(pattern, "read")), doc.payload])
    out = _table(["Topic", "Direction", "QoS", "Retained", "Message expiry", "Published by",
                  "May read it (`contract.acl`)", "Payload"], rows)
    out += "\nSubscription filters (`Topics` methods):\n\n"
    out += _table(["Filter", "Method", "Subscribed by", "For"],
                  [[f"`{topic_pattern(name)}`", f"`{name}()`", *FILTER_DOCS[name]]
                   for name, _ in methods if name in FILTER_DOCS])
    return out


# ----------------------------------------------------------------------------
# Requests
# ----------------------------------------------------------------------------


def _describe_type(prop: dict) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return "a reason code" if name == "Reason" else f"`{name}` object"
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    if "enum" in prop:
        return " or ".join(f"`{json.dumps(v)}`" for v in prop["enum"])
    if "anyOf" in prop:
        return " or ".join(_describe_type(p) for p in prop["anyOf"])
    if prop.get("type") == "object":
        return "object"
    return prop.get("type", "any")


def _describe_constraints(prop: dict) -> str:
    for option in prop.get("anyOf", ()):
        if option.get("type") != "null":
            return _describe_constraints(option)
    parts = []
    lo, hi = prop.get("minLength"), prop.get("maxLength")
    if lo is not None or hi is not None:
        parts.append(f"{lo if lo is not None else 0}–{hi if hi is not None else '∞'} chars")
    if "pattern" in prop:
        parts.append(f"`{prop['pattern']}`")
    if "minimum" in prop:
        parts.append(f"≥ {prop['minimum']}")
    if "maximum" in prop:
        parts.append(f"≤ {prop['maximum']}")
    return ", ".join(parts)


def _field_rows(schema: dict, only: list[str]) -> list[list[str]]:
    rows = []
    required = set(schema.get("required", ()))
    for name in only:
        prop = schema["properties"][name]
        need = "yes" if name in required else f"no, default `{json.dumps(prop.get('default'))}`"
        rows.append([f"`{name}`", _describe_type(prop), need, _describe_constraints(prop)])
    return rows


def _brief(value: dict) -> str:
    """A result with nested objects shortened, to show its shape."""
    parts = [f"{json.dumps(k)}: " + ("{…}" if isinstance(v, dict) else json.dumps(v, ensure_ascii=False))
             for k, v in value.items()]
    return "{" + ", ".join(parts) + "}"


def requests_section(results: dict[str, dict]) -> str:
    base = Request.model_json_schema()
    common = list(base["properties"])
    out = ["Every request carries these fields (`contract.messages.Request`):\n\n",
           _table(["Field", "Type", "Required", "Constraints"], _field_rows(base, common)),
           "\nA request is a JSON object with exactly the fields listed (unknown fields are refused), "
           "JSON types as listed (no coercion: `\"1\"` is not `1`, `1.0` is not an integer). "
           "The action is the last topic segment, never a payload field.\n"]
    for action, cls in REQUEST_TYPES.items():
        schema = cls.model_json_schema()
        own = [n for n in schema["properties"] if n not in common]
        text = doc_of(cls) or ACTION_NOTES.get(action)
        if not text:
            raise KeyError(f"contract/docs.py: {cls.__name__} has no docstring; add one or an ACTION_NOTES entry")
        out.append(f"\n#### `{action}`\n\n")
        out.append(f"Topic `{topic_pattern('request').replace('<action>', action)}`, "
                   f"allowed for: {', '.join(cls.roles)}.  \n{' '.join(text.split())}\n\n")
        if own:
            out.append(_table(["Field", "Type", "Required", "Constraints"], _field_rows(schema, own)))
        else:
            out.append("No fields besides the common ones.\n")
        if action in results:
            out.append(f"\n`result` of an ok reply (from the example run): `{_brief(results[action])}`\n")
    return "".join(out)


# ----------------------------------------------------------------------------
# Shapes of what the hub sends
# ----------------------------------------------------------------------------


def _model_table(model) -> str:
    schema = model.model_json_schema()
    return _table(["Field", "Type"], [[f"`{name}`", _describe_type(prop)]
                                      for name, prop in schema["properties"].items()])


def _keys(payload: dict) -> str:
    """Top-level keys, and the keys of objects inside lists and objects, e.g. ``calls[]: code, ...``."""
    parts = []
    for key, value in payload.items():
        inner = None
        if isinstance(value, list) and value and isinstance(value[0], dict):
            inner, key = value[0], f"{key}[]"
        elif isinstance(value, dict) and value:
            inner = value
        parts.append(f"`{key}`" + (f" ({', '.join(inner)})" if inner else ""))
    return ", ".join(parts)


def shapes_section(retained: list[dict]) -> str:
    from .messages import CallView, ErrorInfo, Event, Reply, TicketView
    out = []
    for model in (Reply, ErrorInfo, TicketView, CallView, Event):
        doc = " ".join(doc_of(model).split())
        out.append(f"#### `{model.__name__}`\n\n" + (f"{doc}\n\n" if doc else "") + _model_table(model) + "\n")

    def filled(data: dict) -> int:
        return sum(1 for v in data.values() if v not in (None, [], {}))

    samples: dict[str, dict] = {}
    for data in retained:
        best = samples.get(data["type"])
        if best is None or filled(data) > filled(best):
            samples[data["type"]] = data
    out.append("#### Retained payloads (no pydantic model: keys as the hub and `DeviceLink` send them)\n\n")
    out.append(_table(["`type`", "Keys"], [[f"`{t}`", _keys(samples[t])] for t in sorted(samples)]))
    return "".join(out)


# ----------------------------------------------------------------------------
# Reasons, events, ACL
# ----------------------------------------------------------------------------


def reasons_section() -> str:
    missing = [r for r in Reason if r not in REASON_MEANINGS]
    if missing:
        raise KeyError(f"contract/docs.py: give REASON_MEANINGS a line for {[str(r) for r in missing]}")
    return _table(["`error.code`", "Meaning"], [[f"`{r}`", REASON_MEANINGS[r]] for r in Reason])


def events_section(seen: dict[str, list[str]]) -> str:
    missing = [e for e in EVENT_TYPES if e not in EVENT_ZONES]
    if missing:
        raise KeyError(f"contract/docs.py: say in EVENT_ZONES which zone carries {missing}")
    rows = []
    for name, meaning in EVENT_TYPES.items():
        keys = ", ".join(f"`{k}`" for k in seen[name]) if name in seen else "(not in the example run)"
        rows.append([f"`{name}`", f"`{topic_pattern('event').replace('<event_type>', name)}`", EVENT_ZONES[name],
                     meaning, keys])
    return _table(["`event`", "Topic", "Zone (`<zone>`)", "Meaning (`contract.messages.EVENT_TYPES`)",
                   "`data` keys the hub sends"], rows)


def acl_line(rule: Rule) -> str:
    """The rule as broker_config.generate writes it: a ``topic`` line in each identity's ``user`` block."""
    user = ACL_USER.get(rule.who, f"<{rule.who} id>")
    device = "<device id>" if rule.who in ACL_USER else "<device>"
    topic = rule.topic.format(base=f"{ROOT}/{SITE}", device=device, zone="<zone>", counter="<counter>")
    return f"user {user} / topic {rule.access} {topic}"


def acl_section() -> str:
    return _table(["Who", "Access", "Topic", "Mosquitto ACL line", "Why"],
                  [[r.who, r.access, f"`{r.topic}`", f"`{acl_line(r)}`", r.why] for r in RULES])


# ----------------------------------------------------------------------------
# The document
# ----------------------------------------------------------------------------

@dataclass
class Observed:
    """What a run of the real hub and device links showed (``tools/protocol_doc.py`` makes it)."""

    #: each action's ``result`` in its first ok reply
    results: dict[str, dict] = field(default_factory=dict)
    #: each event type's ``data`` keys, in the order the hub sent them
    event_data: dict[str, list[str]] = field(default_factory=dict)
    #: every retained payload published (state, config, content, presence, health)
    retained: list[dict] = field(default_factory=list)
    #: the ``examples`` section, written from the run's payloads
    examples: str = ""


#: the generated sections, in document order
SECTIONS = ("topics", "requests", "shapes", "reasons", "events", "acl", "examples")


def generate(observed: Observed) -> dict[str, str]:
    """Every generated section's body (what goes between its markers)."""
    made = {"topics": topics_section(), "requests": requests_section(observed.results),
            "shapes": shapes_section(observed.retained), "reasons": reasons_section(),
            "events": events_section(observed.event_data), "acl": acl_section(), "examples": observed.examples}
    return {name: made[name].rstrip("\n") + "\n" for name in SECTIONS}


def wrap(name: str, body: str) -> str:
    return f"<!-- generated:{name} -->\n{body}<!-- /generated:{name} -->"


def extract(text: str) -> dict[str, str]:
    """The generated sections found in a document: name -> body."""
    found: dict[str, str] = {}
    for match in SECTION_RE.finditer(text):
        if match["name"] in found:
            raise ValueError(f"the section {match['name']!r} appears twice")
        found[match["name"]] = match["body"]
    return found


def rewrite(text: str, sections: dict[str, str]) -> str:
    """``text`` with each generated section's body replaced; every section must have its markers."""
    missing = [name for name in sections if f"<!-- generated:{name} -->" not in text
               or f"<!-- /generated:{name} -->" not in text]
    if missing:
        raise ValueError(f"no markers for {missing}: add `<!-- generated:NAME -->` and "
                         "`<!-- /generated:NAME -->` lines where the sections belong")
    return SECTION_RE.sub(lambda m: wrap(m["name"], sections.get(m["name"], m["body"])), text)


def stale_sections(text: str, current: dict[str, str]) -> list[str]:
    """Names of generated sections that are missing from ``text`` or differ from ``current``."""
    found = extract(text)
    return [name for name, body in current.items() if found.get(name) != body]

