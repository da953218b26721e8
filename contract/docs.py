"""The generated parts of docs/protocol.md, made from the contract code itself.

    python -m contract.docs                           # print the generated sections
    python -m contract.docs --write docs/protocol.md  # rewrite them in place
    python -m contract.docs --check docs/protocol.md  # exit 1 when they are stale

docs/protocol.md is hand-written prose around sections delimited by
``<!-- generated:NAME -->`` ... ``<!-- /generated:NAME -->``.  Only what is
between those markers is rewritten; tests/test_protocol_doc.py fails when it
differs from what this module produces, so a contract change without a doc
update cannot reach main.

Sources, one per section:

* ``topics``: the ``Topics`` methods (patterns), ``TOPIC_DOCS`` below
  (direction, retain, publisher), the hub's expiry constants and the
  readers the ACL allows (``contract.acl.RULES``);
* ``requests``: ``contract.messages.REQUEST_TYPES`` and their JSON schemas;
* ``reasons``: ``contract.errors.Reason`` and ``REASON_MEANINGS`` below;
* ``events``: ``contract.messages.EVENT_TYPES`` and the data keys the hub
  engine really sends;
* ``acl``: ``contract.acl.RULES``;
* ``examples``: real payloads from a scripted run of the hub engine
  (``hub.engine.Engine`` on an in-memory store and a fake clock) fed by real
  ``mqttlink.link.DeviceLink`` objects (their publish captured, no broker), on
  the small test site of tests/sites.py.  Only the randomness is pinned
  (ticket refs, request ids, correlation data), so the output is the same on
  every run.

The hub, the device link and the test site are imported only for the sections
that need them, so ``import contract.docs`` stays as light as the contract.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import inspect
import json
import re
import sys
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable
from unittest import mock

from .acl import RULES, Rule, tool_of
from .errors import Reason
from .messages import EVENT_TYPES, MAX_REQUEST_BYTES, REQUEST_TYPES, Request
from .topics import ROOT, Topics

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DOC = REPO / "docs" / "protocol.md"
TEST_SITE_FILE = REPO / "tests" / "sites.py"
REGENERATE = "python -m contract.docs --write docs/protocol.md"

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
}

#: every subscription-filter method of ``Topics``: (who subscribes, what for)
FILTER_DOCS: dict[str, tuple[str, str]] = {
    "all_requests": ("nobody (the hub before it listened device by device)", "every request of the site"),
    "device_requests": ("hub", "one device's requests (one filter per device, dropped while it floods)"),
    "all_presence": ("monitor (`onestop-provision fleet`)", "every device's presence"),
    "all_health": ("monitor (`onestop-provision fleet`)", "every device's health"),
    "zone_events": ("display", "the live events of its zone"),
    "all_events": ("nobody yet (the bridge to a central broker)", "every event of the site"),
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
                      "own, or a kiosk whose `kiosk_modes` lack `tickets` (`issue_ticket`) or `check_in` "
                      "(`check_in`).",
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

#: which zone's event stream carries each event type (the model decides; see hub/model.py)
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

ROLE_ORDER = ("every device", "hub", "kiosk", "counter", "display", "monitor", "doctor", "operator")
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


def _json(data: Any, indent: int = 0, lead: int = 0, width: int = 96) -> str:
    """Indented JSON that keeps an object or list on one line when it fits in ``width``."""
    compact = json.dumps(data, ensure_ascii=False, separators=(", ", ": "))
    if not isinstance(data, (dict, list)) or not data or indent + lead + len(compact) <= width:
        return compact
    pad = " " * (indent + 2)
    if isinstance(data, dict):
        items = []
        for key, value in data.items():
            name = json.dumps(key, ensure_ascii=False) + ": "
            items.append(pad + name + _json(value, indent + 2, len(name), width))
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + _json(value, indent + 2, 0, width) for value in data]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def _code(data: Any) -> str:
    return f"```json\n{_json(data)}\n```\n"


def _doc_of(cls: type) -> str:
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
    from hub.service import EVENT_EXPIRY_S, REPLY_EXPIRY_S
    from siteconf.device import Timing
    return {"request": f"{Timing().request_expiry_s:g} s (device `timing.request_expiry_s`)",
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


def requests_section() -> str:
    base = Request.model_json_schema()
    common = list(base["properties"])
    out = ["Every request carries these fields (`contract.messages.Request`):\n\n",
           _table(["Field", "Type", "Required", "Constraints"], _field_rows(base, common)),
           "\nA request is a JSON object with exactly the fields listed (unknown fields are refused), "
           "JSON types as listed (no coercion: `\"1\"` is not `1`, `1.0` is not an integer). "
           "The action is the last topic segment, never a payload field.\n"]
    results = example_run().results
    for action, cls in REQUEST_TYPES.items():
        schema = cls.model_json_schema()
        own = [n for n in schema["properties"] if n not in common]
        text = _doc_of(cls) or ACTION_NOTES.get(action)
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


def shapes_section() -> str:
    from .messages import CallView, ErrorInfo, Event, Reply, TicketView
    out = []
    for model in (Reply, ErrorInfo, TicketView, CallView, Event):
        doc = " ".join(_doc_of(model).split())
        out.append(f"#### `{model.__name__}`\n\n" + (f"{doc}\n\n" if doc else "") + _model_table(model) + "\n")
    run = example_run()
    def filled(data: dict) -> int:
        return sum(1 for v in data.values() if v not in (None, [], {}))

    samples: dict[str, dict] = {}
    candidates = [json.loads(o.payload) for o in run.all_outgoing() if o.retain]
    for data in candidates + list(run.presence.values()) + [run.health[1]]:
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


def events_section() -> str:
    missing = [e for e in EVENT_TYPES if e not in EVENT_ZONES]
    if missing:
        raise KeyError(f"contract/docs.py: say in EVENT_ZONES which zone carries {missing}")
    seen = example_run().event_data
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
# The example run
# ----------------------------------------------------------------------------

#: 2026-03-10 09:00 in Lisbon (WET, UTC+0): the example service day
EXAMPLE_START = 1773133200.0


@dataclass
class Exchange:
    """One request as a device sent it, and everything the hub published for it."""

    device: str
    action: str
    topic: str
    payload: bytes
    properties: dict[str, Any]
    out: list  # list[hub.engine.Outgoing]

    @property
    def request(self) -> dict:
        return json.loads(self.payload)

    @property
    def reply(self) -> dict:
        return next(json.loads(o.payload) for o in self.out if o.kind == "reply")

    def published(self, kind: str) -> list:
        return [o for o in self.out if o.kind == kind]

    def payload_on(self, topic: str) -> dict:
        return next(json.loads(o.payload) for o in self.out if o.topic == topic)


@dataclass
class ExampleRun:
    topics: Topics
    startup: list = field(default_factory=list)
    steps: dict[str, Exchange] = field(default_factory=dict)
    results: dict[str, dict] = field(default_factory=dict)
    event_data: dict[str, list[str]] = field(default_factory=dict)
    presence: dict[str, dict] = field(default_factory=dict)
    health: tuple[str, dict] | None = None
    raw_reply: dict | None = None

    def all_outgoing(self) -> list:
        return self.startup + [o for step in self.steps.values() for o in step.out]


def _load_test_site():
    if not TEST_SITE_FILE.exists():
        raise FileNotFoundError(f"{TEST_SITE_FILE} (the example payloads are made on the test site)")
    spec = importlib.util.spec_from_file_location("_contract_docs_test_sites", TEST_SITE_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.small_site()


def _pinned(label: str, n: int) -> bytes:
    return hashlib.sha256(f"contract.docs {label} {n}".encode()).digest()


class _PinnedUUID:
    """Stands in for the ``uuid`` module in mqttlink.link: the same ids on every run."""

    def __init__(self):
        self.n = 0

    def uuid4(self) -> uuid.UUID:
        self.n += 1
        return uuid.UUID(bytes=_pinned("uuid", self.n)[:16], version=4)


class _PinnedRefs:
    def __init__(self):
        self.n = 0

    def __call__(self) -> str:
        import base64
        self.n += 1
        return base64.b32encode(_pinned("ref", self.n)[:10]).decode().lower()


class _DeviceTime:
    """Stands in for the ``time`` module in mqttlink.link: the device clock is the hub's (NTP)."""

    def __init__(self, clock):
        self.clock = clock

    def time(self) -> float:
        return self.clock.now()


class _Sent:
    rc = 0

    def wait_for_publish(self, timeout=None) -> None:
        return None


def _properties(props) -> dict[str, Any]:
    if props is None:
        return {}
    out = {}
    for name in ("ResponseTopic", "CorrelationData", "MessageExpiryInterval"):
        if hasattr(props, name):
            out[name] = getattr(props, name)
    return out


class _Harness:
    def __init__(self, stack: ExitStack):
        import hub.engine as engine_module
        import mqttlink.link as link_module
        from hub.clock import FakeClock
        from hub.store import Store

        self.site = _load_test_site()
        self.clock = FakeClock(EXAMPLE_START)
        self.link_module = link_module
        self.engine_module = engine_module
        stack.enter_context(mock.patch.object(link_module, "uuid", _PinnedUUID()))
        stack.enter_context(mock.patch.object(link_module, "time", _DeviceTime(self.clock)))
        stack.enter_context(mock.patch.object(engine_module, "new_ref", _PinnedRefs()))
        self.store = Store(":memory:")
        stack.callback(self.store.close)
        self.engine = engine_module.Engine(self.site, self.store, self.clock, _example_content(),
                                           _example_appointments(self.site))
        self.topics = self.engine.topics
        self.links: dict[str, Any] = {}
        self.sent: list[tuple[str, bytes, bool, dict]] = []

    def link(self, device_id: str):
        if device_id not in self.links:
            device = self.site.device(device_id)
            role = device.role if device is not None else tool_of(device_id).role  # an operator
            link = self.link_module.DeviceLink(self.site.site.id, device_id, "not-a-password", role=role)

            def publish(topic, payload=None, qos=0, retain=False, properties=None):
                self.sent.append((topic, payload, retain, _properties(properties)))
                return _Sent()

            link.client.publish = publish
            link._connected.set()
            self.links[device_id] = link
        return self.links[device_id]

    def send(self, device_id: str, action: str, *, late_s: float = 0.0, request_id: str | None = None,
             **fields) -> Exchange:
        """A device sends a request; ``late_s`` seconds later the hub processes it alone."""
        self.link(device_id).request_async(action, request_id=request_id, **fields)
        topic, payload, _retain, props = self.sent.pop()
        device, parsed_action = self.topics.parse_request(topic)
        self.clock.advance(late_s)
        out = self.engine.process([self.engine_module.Incoming(device, parsed_action, payload,
                                                               props.get("CorrelationData"))])
        return Exchange(device, parsed_action, topic, payload, props, out)

    def send_raw(self, device_id: str, action: str, payload: bytes) -> Exchange:
        topic = self.topics.request(device_id, action)
        out = self.engine.process([self.engine_module.Incoming(device_id, action, payload, None)])
        return Exchange(device_id, action, topic, payload, {}, out)


def _example_appointments(site):
    """One appointment today at the test site (what appointments.toml beside a site file holds)."""
    from hub.clock import SiteTime
    from siteconf.appointments import Appointment
    day = SiteTime(site.site.timezone, site.site.service_day_starts).service_day(EXAMPLE_START)
    return [Appointment(code="APT-7KQ2-M9XD", day=day, service="immigration", time="10:30")]


def _example_content():
    """A one-service English content pack for the test site (the hub publishes it like a real one)."""
    from siteconf.content import ContentPack, ContentPacks
    pack = ContentPack.model_validate({
        "version": "2026.05-1", "language": "en", "title": "Information",
        "intro": "Tap a service to see what it does and what to bring.",
        "helpline": {"name": "SOS Immigrant Line", "number": "808 257 257", "mobile": "218 106 191",
                     "text": "Questions by phone on working days."},
        "services": [{"service": "reception", "what": "Not sure where to go? Start here.",
                      "documents": ["Passport"], "where": "Room A", "hours": "Mon-Fri 8:00-16:30"}]})
    return ContentPacks(None, {"en": pack})


@lru_cache(maxsize=1)
def example_run() -> ExampleRun:
    """A short service morning at the test site, through the real engine and device link."""
    with ExitStack() as stack:
        h = _Harness(stack)
        run = ExampleRun(h.topics)
        run.startup = h.engine.everything()
        steps = run.steps
        minute = 60.0

        def at(step: str, device: str, action: str, advance_s: float = 0.0, **kwargs) -> Exchange:
            h.clock.advance(advance_s)
            steps[step] = exchange = h.send(device, action, **kwargs)
            return exchange

        at("open", "counter-1", "counter_status", status="open")
        at("open_2", "counter-2", "counter_status", minute, status="open")
        issued = at("issue", "kiosk-1", "issue_ticket", minute, service="reception", language="en")
        at("issue_priority", "kiosk-1", "issue_ticket", minute, service="reception", language="pt",
           priority=True)
        at("issue_retry", "kiosk-1", "issue_ticket", 2.0, service="reception", language="en",
           request_id=issued.request["request_id"])
        later = at("issue_3", "kiosk-1", "issue_ticket", minute, service="reception", language="pt")
        gone = at("issue_b", "kiosk-1", "issue_ticket", minute, service="immigration", language="en")
        at("call_next", "counter-1", "call_next", minute)
        at("recall", "counter-1", "recall", minute)
        at("no_show", "counter-1", "no_show", minute)
        at("call_next_2", "counter-1", "call_next", 10.0)
        at("transfer", "counter-1", "transfer", 4 * minute, service="immigration")
        at("call_ticket", "counter-1", "call_ticket", minute, code=later.reply["result"]["ticket"]["code"])
        at("finish", "counter-1", "finish", 6 * minute)
        at("cancel", "kiosk-1", "cancel_ticket", minute, ref=gone.reply["result"]["ticket"]["ref"])
        at("status", "kiosk-1", "ticket_status", minute, ref=issued.reply["result"]["ticket"]["ref"])
        at("check_in", "kiosk-1", "check_in", minute, code="APT-7KQ2-M9XD", language="en")
        at("call_next_first", "counter-2", "call_next", minute)
        at("pause", "counter-1", "counter_status", minute, status="paused")
        fake = at("issue_fake", "kiosk-1", "issue_ticket", minute, service="reception", language="pt")
        at("void", "technician.hub", "void_tickets", minute, codes=[fake.reply["result"]["ticket"]["code"]],
           reason="printed by a tampered kiosk")
        at("erase", "technician.hub", "erase_ticket", minute, ref=gone.reply["result"]["ticket"]["ref"],
           reason="the visitor asked at the welcoming desk")
        # refusals
        at("err_service", "kiosk-1", "issue_ticket", minute, service="passports", language="pt")
        at("err_forbidden", "display-ground", "call_next", 1.0)
        at("err_expired", "kiosk-1", "issue_ticket", 1.0, service="reception", language="pt", late_s=6.0)
        at("err_fields", "kiosk-1", "issue_ticket", 1.0, service="reception", language="pt", priority="yes",
           name="Maria")
        at("err_version", "kiosk-1", "ticket_status", 1.0, v=2, ref=issued.reply["result"]["ticket"]["ref"])
        at("err_other_counter", "counter-1", "recall", 1.0, counter="c2")
        steps["err_json"] = h.send_raw("kiosk-1", "issue_ticket", b"{\"v\": 1, \"request_id\": \"kiosk-1-0042\"")
        # presence and health, as a device link publishes them
        link = h.link("kiosk-1")
        run.presence["kiosk-1 online"] = json.loads(link._presence(True))
        run.presence["kiosk-1 last will"] = json.loads(link._presence(False))
        from hub.service import _presence as hub_presence
        run.presence["hub online"] = json.loads(hub_presence(True, h.clock.now()))
        link.publish_health(printer="paper_low", scanner="ok")
        topic, payload, retain, _props = h.sent.pop()
        run.health = (topic, json.loads(payload), retain)
    for step in steps.values():
        if step.reply["ok"] and step.action not in run.results:
            run.results[step.action] = step.reply["result"]
    for out in run.all_outgoing():
        if out.kind == "event":
            event = json.loads(out.payload)
            run.event_data.setdefault(event["event"], list(event["data"]))
    return run


# ----------------------------------------------------------------------------
# Examples section
# ----------------------------------------------------------------------------


def _props_text(props: dict[str, Any]) -> str:
    parts = []
    if "ResponseTopic" in props:
        parts.append(f"ResponseTopic `{props['ResponseTopic']}`")
    if "CorrelationData" in props:
        parts.append(f"CorrelationData `{props['CorrelationData'].hex()}` ({len(props['CorrelationData'])} bytes)")
    if "MessageExpiryInterval" in props:
        parts.append(f"MessageExpiryInterval {props['MessageExpiryInterval']}")
    return ", ".join(parts) if parts else "no properties"


def _request_block(step: Exchange) -> str:
    return (f"Request: `{step.topic}`, QoS 1, {_props_text(step.properties)}\n\n"
            + (_code(step.request) if step.payload.startswith(b"{") and _is_json(step.payload)
               else f"```\n{step.payload.decode()}\n```\n"))


def _is_json(payload: bytes) -> bool:
    try:
        json.loads(payload)
    except ValueError:
        return False
    return True


def _reply_block(step: Exchange, reply_expiry: str) -> str:
    reply = next(o for o in step.out if o.kind == "reply")
    corr = f"CorrelationData `{reply.correlation.hex()}`" if reply.correlation else "no CorrelationData"
    return f"Reply: `{reply.topic}`, QoS 1, {corr}, MessageExpiryInterval {reply_expiry}\n\n" + _code(step.reply)


def _published_list(step: Exchange) -> str:
    lines = []
    for o in step.out:
        if o.kind == "reply":
            continue
        data = json.loads(o.payload)
        what = data.get("event") or data.get("type")
        lines.append(f"- `{o.topic}` ({'retained' if o.retain else 'not retained'}): `{what}`, "
                     f"rev {data.get('rev')}" + (f", seq {data['seq']}" if "seq" in data else ""))
    return "\n".join(lines) + "\n" if lines else "- nothing else\n"


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{body}\n</details>\n"


def examples_section() -> str:
    from hub.service import REPLY_EXPIRY_S
    run = example_run()
    t, s = run.topics, run.steps
    reply_expiry = str(REPLY_EXPIRY_S)
    out: list[str] = []
    add = out.append

    add("### When the hub (re)connects\n\n"
        "It publishes, in this order, all retained configuration and state "
        f"(`Engine.everything()`; {len(run.startup)} messages for the test site), then its own presence:\n\n")
    add("".join(f"- `{o.topic}` (retained: {'yes' if o.retain else 'no'}): `{json.loads(o.payload)['type']}`\n"
                for o in run.startup))
    site_config = next(json.loads(o.payload) for o in run.startup if o.topic == t.site_config())
    add("\n" + _details(f"<code>{t.site_config()}</code> (the whole public site configuration)", _code(site_config)))
    device_config = next(json.loads(o.payload) for o in run.startup if o.topic == t.device_config("counter-1"))
    add("\n" + _details(f"<code>{t.device_config('counter-1')}</code>", _code(device_config)))
    zone = next(json.loads(o.payload) for o in run.startup if o.topic == t.zone_state("ground"))
    add(f"\n`{t.zone_state('ground')}` before anything happened today:\n\n" + _code(zone))

    add("\n### A counter opens\n\n")
    add(_request_block(s["open"]) + "\n" + _reply_block(s["open"], reply_expiry))
    add("\nThen, after the commit:\n\n" + _published_list(s["open"]))

    add("\n### A kiosk issues a ticket\n\n")
    issue = s["issue"]
    add(_request_block(issue) + "\n" + _reply_block(issue, reply_expiry))
    add("\nThen:\n\n" + _published_list(issue))
    event = next(json.loads(o.payload) for o in issue.out if o.kind == "event")
    add(f"\nThe event on `{next(o.topic for o in issue.out if o.kind == 'event')}`:\n\n" + _code(event))
    add(f"\n`{t.service_state('reception')}`:\n\n" + _code(issue.payload_on(t.service_state("reception"))))
    add("\nA priority ticket differs only in `\"priority\": true` (the kiosk never says why). "
        "The kiosk retried the first request 2 s later with the same `request_id` (and a new "
        "`deadline_ms` and correlation data): the hub answered with the very same reply, "
        f"byte for byte ({'identical' if s['issue_retry'].reply == issue.reply else 'NOT identical'}), "
        "and published nothing else:\n\n" + _published_list(s["issue_retry"]))

    add("\n### A counter calls the next ticket\n\n")
    call = s["call_next"]
    add(_request_block(call) + "\n" + _reply_block(call, reply_expiry))
    add("\nThen:\n\n" + _published_list(call))
    called = next(o for o in call.out if o.kind == "event")
    add(f"\n`{called.topic}`:\n\n" + _code(json.loads(called.payload)))
    add(f"\n`{t.counter_state('c1')}`:\n\n" + _code(call.payload_on(t.counter_state("c1"))))
    add(f"\n`{t.zone_state('ground')}`:\n\n" + _code(call.payload_on(t.zone_state("ground"))))
    add(f"\n`{t.recent_calls()}`:\n\n" + _code(call.payload_on(t.recent_calls())))

    add("\n### The other counter actions\n\n")
    for key, title in (("recall", "Recall"), ("no_show", "No-show (after one recall)"),
                       ("call_next_2", "Call next again"), ("transfer", "Transfer to another service"),
                       ("call_ticket", "Call a specific ticket"), ("finish", "Finish"),
                       ("call_next_first", "The other zone's counter calls the transferred ticket"),
                       ("pause", "Pause the counter")):
        step = s[key]
        events = [json.loads(o.payload) for o in step.out if o.kind == "event"]
        body = (f"Request payload: `{json.dumps(step.request, ensure_ascii=False)}`\n\n"
                + _code(step.reply) + "\n" + _published_list(step)
                + "".join(f"\nEvent `{e['event']}`:\n\n" + _code(e) for e in events))
        add(_details(f"{title}: <code>{step.action}</code>", body) + "\n")

    add("### A kiosk cancels a ticket and asks for a ticket's status (scanned QR)\n\n")
    for key in ("cancel", "status"):
        step = s[key]
        add(f"Request payload on `{step.topic}`: `{json.dumps(step.request, ensure_ascii=False)}`\n\n"
            + _code(step.reply) + "\n")
    add("`ticket_status` changes nothing, so it publishes nothing but the reply, and its successful "
        "replies are not remembered (a retry reads the current status).\n")

    add("\n### A technician voids a fake ticket and erases a record\n\n"
        "As `technician.hub` (`onestop-provision void` / `erase` on the hub); the supervisor's console "
        "sends the same requests as `supervisor.console`. Both are audited with their reason.\n\n")
    for key in ("void", "erase"):
        step = s[key]
        events = [json.loads(o.payload) for o in step.out if o.kind == "event"]
        add(_request_block(step) + "\n" + _code(step.reply) + "\n" + _published_list(step)
            + "".join(f"\nEvent `{e['event']}`:\n\n" + _code(e) for e in events) + "\n")

    add("\n### Refusals\n\n"
        "Every refusal is an ordinary reply with `ok: false`; nothing changes and nothing else is published.\n\n")
    for key, title in (("err_service", "An unknown service"),
                       ("err_forbidden", "A display sends a counter action"),
                       ("err_other_counter", "A counter acts for another counter"),
                       ("err_expired", "A request the hub saw 6 s after it was sent (deadline 5 s)"),
                       ("err_fields", "A wrong type and an unknown field"),
                       ("err_version", "A newer schema version"),
                       ("err_json", "A payload that is not JSON (published by hand, without properties)")):
        step = s[key]
        add(f"{title}:\n\n" + _request_block(step) + "\n" + _code(step.reply) + "\n")

    add("### Presence and health\n\n")
    add(f"`{t.presence('kiosk-1')}`, retained, when the link connects:\n\n" + _code(run.presence["kiosk-1 online"]))
    add("\nIts last will (set when the link is created, published by the broker when the connection is lost) "
        "and its graceful goodbye on the same topic:\n\n" + _code(run.presence["kiosk-1 last will"]))
    add(f"\n`{t.presence('hub')}` once the hub has republished everything:\n\n" + _code(run.presence["hub online"]))
    topic, health, retain = run.health
    add(f"\n`{topic}` ({'retained' if retain else 'not retained'}), from "
        "`DeviceLink.publish_health(printer=\"paper_low\", scanner=\"ok\")`:\n\n" + _code(health))
    return "".join(out)


# ----------------------------------------------------------------------------
# The document
# ----------------------------------------------------------------------------

SECTIONS: dict[str, Callable[[], str]] = {
    "topics": topics_section,
    "requests": requests_section,
    "shapes": shapes_section,
    "reasons": reasons_section,
    "events": events_section,
    "acl": acl_section,
    "examples": examples_section,
}


def generate() -> dict[str, str]:
    """Every generated section's body (what goes between its markers)."""
    return {name: make().rstrip("\n") + "\n" for name, make in SECTIONS.items()}


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


def stale_sections(text: str) -> list[str]:
    """Names of generated sections that are missing from ``text`` or differ from the code."""
    current, found = generate(), extract(text)
    return [name for name, body in current.items() if found.get(name) != body]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contract.docs",
                                     description="Print or rewrite the generated sections of docs/protocol.md.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="FILE", type=Path, help="rewrite the generated sections of FILE in place")
    group.add_argument("--check", metavar="FILE", type=Path, help="exit 1 when FILE's generated sections are stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_sections(args.check.read_text(encoding="utf-8"))
        if stale:
            print(f"{args.check}: generated sections out of date: {', '.join(stale)}; run `{REGENERATE}`",
                  file=sys.stderr)
            return 1
        return 0
    sections = generate()
    if args.write:
        text = args.write.read_text(encoding="utf-8")
        new = rewrite(text, sections)
        if new != text:
            args.write.write_text(new, encoding="utf-8")
            print(f"{args.write}: rewrote {', '.join(n for n in sections if extract(text).get(n) != sections[n])}")
        else:
            print(f"{args.write}: up to date")
        return 0
    print("\n\n".join(wrap(name, body) for name, body in sections.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
