"""Regenerate (or check) the generated sections of docs/protocol.md.

    python tools/protocol_doc.py --write docs/protocol.md   # after changing the contract or a payload
    python tools/protocol_doc.py --check docs/protocol.md   # exit 1 when the document is stale
    python tools/protocol_doc.py                            # print the generated sections

The tables come from the contract (``contract.docs``); the examples and what the
tables say the hub really sends come from a scripted service morning run here:
the real hub engine (``hub.engine.Engine`` on an in-memory store and a fake
clock) fed by real ``mqttlink.DeviceLink`` objects (never connected: what they
would publish goes straight to the engine), on the small test site of
tests/sites.py.  Only the randomness is pinned, by injection (the engine's
``new_ref``, the links' ``clock`` and ``new_id``), so the output is the same on
every run.  tests/test_protocol_doc.py fails while the document differs.

A tool of the checkout, not shipped: it needs the tests' site.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for _path in (str(REPO), str(REPO / "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from sites import small_site, small_site_dict  # noqa: E402

from contract import docs  # noqa: E402
from contract.acl import tool_of  # noqa: E402
from contract.docs import Observed, json_block  # noqa: E402
from contract.guest import guest_key  # noqa: E402
from contract.topics import HUB_ID, REPLY_EXPIRY_S, Topics  # noqa: E402
from hub.clock import FakeClock, SiteTime  # noqa: E402
from hub.engine import Engine, Incoming  # noqa: E402
from hub.service import presence as hub_presence  # noqa: E402
from hub.store import Store  # noqa: E402
from mqttlink.link import DeviceLink  # noqa: E402
from siteconf.appointments import Appointment  # noqa: E402
from siteconf.content import ContentPack, ContentPacks  # noqa: E402

DEFAULT_DOC = REPO / "docs" / "protocol.md"
REGENERATE = "python tools/protocol_doc.py --write docs/protocol.md"

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
    health: tuple[str, dict, bool] | None = None

    def all_outgoing(self) -> list:
        return self.startup + [o for step in self.steps.values() for o in step.out]


def _pinned(label: str, n: int) -> bytes:
    # the label still says "contract.docs", where the run was made before: the same refs, ids and
    # correlation data as the document has always shown
    return hashlib.sha256(f"contract.docs {label} {n}".encode()).digest()


class _PinnedIds:
    """``new_id`` for the example's device links: the same request ids and correlation data on every run."""

    def __init__(self):
        self.n = 0

    def __call__(self) -> uuid.UUID:
        self.n += 1
        return uuid.UUID(bytes=_pinned("uuid", self.n)[:16], version=4)


class _PinnedRefs:
    """``new_ref`` for the example's engine: the same ticket refs on every run."""

    def __init__(self):
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return base64.b32encode(_pinned("ref", self.n)[:10]).decode().lower()


class _PinnedPins:
    """``new_pin`` for the example's engine: the same survey PINs on every run."""

    def __init__(self):
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"{int.from_bytes(_pinned('pin', self.n)[:4], 'big') % 10 ** 6:06d}"


def _example_site():
    """The test site and a survey kiosk (``kiosk_modes = ["survey"]``, like kiosk-03 of the example)."""
    data = small_site_dict()
    data["devices"].append({"id": "kiosk-survey", "role": "kiosk", "zone": "ground", "kiosk_modes": ["survey"]})
    return small_site(data)


class _Harness:
    """The real engine on an in-memory store and a fake clock, and a real ``DeviceLink`` per device
    (never connected: the harness hands what it would publish straight to the engine)."""

    def __init__(self):
        self.site = _example_site()
        self.clock = FakeClock(EXAMPLE_START)
        self.store = Store(":memory:")
        self.engine = Engine(self.site, self.store, self.clock, _example_content(),
                             _example_appointments(self.site), new_ref=_PinnedRefs(), new_pin=_PinnedPins(),
                             guest_key=guest_key("the guest page server's password"))
        self.topics = self.engine.topics
        self.new_id = _PinnedIds()  # one sequence for every link, in the order they send
        self.links: dict[str, DeviceLink] = {}

    def close(self) -> None:
        for link in self.links.values():
            link.close()
        self.store.close()

    def link(self, device_id: str) -> DeviceLink:
        if device_id not in self.links:
            device = self.site.device(device_id)
            role = device.role if device is not None else tool_of(device_id).role  # an operator
            # the device's clock is the hub's (both follow the hub's time server)
            self.links[device_id] = DeviceLink(self.site.site.id, device_id, "not-a-password", role=role,
                                               clock=self.clock, new_id=self.new_id)
        return self.links[device_id]

    def send(self, device_id: str, action: str, *, late_s: float = 0.0, request_id: str | None = None,
             **fields) -> Exchange:
        """A device sends a request; ``late_s`` seconds later the hub processes it alone."""
        message = self.link(device_id).request_message(action, request_id=request_id, **fields)
        props = {"ResponseTopic": self.topics.reply(device_id), "CorrelationData": message.correlation,
                 "MessageExpiryInterval": message.expiry_s}
        device, parsed_action = self.topics.parse_request(message.topic)
        self.clock.advance(late_s)
        out = self.engine.process([Incoming(device, parsed_action, message.payload, message.correlation)])
        return Exchange(device, parsed_action, message.topic, message.payload, props, out)

    def send_raw(self, device_id: str, action: str, payload: bytes) -> Exchange:
        topic = self.topics.request(device_id, action)
        out = self.engine.process([Incoming(device_id, action, payload, None)])
        return Exchange(device_id, action, topic, payload, {}, out)


def _example_appointments(site):
    """One appointment today at the test site (what appointments.toml beside a site file holds)."""
    day = SiteTime(site.site.timezone, site.site.service_day_starts).service_day(EXAMPLE_START)
    return [Appointment(code="APT-7KQ2-M9XD", day=day, service="immigration", time="10:30")]


def _example_content():
    """A one-service English content pack for the test site (the hub publishes it like a real one)."""
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
    h = _Harness()
    try:
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
        at("languages", "counter-1", "counter_languages", 1.0, languages=["pt", "en"])
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
        # the supervisor's console (issue 17): every request names the staff account that acts
        waiting = at("issue_4", "kiosk-1", "issue_ticket", minute, service="reception", language="pt")
        at("supervisor_call", "supervisor.console", "call_ticket", minute, counter="c1",
           code=waiting.reply["result"]["ticket"]["code"], staff="maria.silva")
        at("service_pause", "supervisor.console", "service_state", minute, service="reception", status="paused",
           reason="the counters are full until the break", staff="maria.silva")
        at("err_paused", "kiosk-1", "issue_ticket", 1.0, service="reception", language="en")
        at("service_open", "supervisor.console", "service_state", minute, service="reception", status="open",
           reason="the queue is short again", staff="maria.silva")
        at("ticker", "supervisor.console", "ticker_message", minute, zone="ground",
           text="Residence permits: bring your passport and a copy of it", staff="maria.silva")
        at("report_download", "supervisor.console", "report_downloaded", minute, period="2026-12-02",
           file="report.pt.html", staff="maria.silva")
        served = later.reply["result"]["ticket"]
        at("survey", "kiosk-survey", "answer_survey", minute, code=served["code"], survey_pin=served["survey_pin"],
           hours=2, space=1, kindness=1, mediator=None)
        at("survey_again", "kiosk-survey", "answer_survey", 1.0, ref=served["ref"], hours=1)
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
        run.presence["kiosk-1 online"] = json.loads(link.presence_payload(True))
        run.presence["kiosk-1 last will"] = json.loads(link.presence_payload(False))
        run.presence["hub online"] = json.loads(hub_presence(True, h.clock.now()))
        # what link.publish_health(printer="paper_low", scanner="ok") publishes, retained
        run.health = (link.topics.health(link.device_id),
                      json.loads(link.health_payload(printer="paper_low", scanner="ok")), True)
    finally:
        h.close()
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
            + (json_block(step.request) if step.payload.startswith(b"{") and _is_json(step.payload)
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
    return f"Reply: `{reply.topic}`, QoS 1, {corr}, MessageExpiryInterval {reply_expiry}\n\n" + json_block(step.reply)


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


def examples_section(run: ExampleRun) -> str:
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
    add("\n" + _details(f"<code>{t.site_config()}</code> (the whole public site configuration)",
                        json_block(site_config)))
    device_config = next(json.loads(o.payload) for o in run.startup if o.topic == t.device_config("counter-1"))
    add("\n" + _details(f"<code>{t.device_config('counter-1')}</code>", json_block(device_config)))
    zone = next(json.loads(o.payload) for o in run.startup if o.topic == t.zone_state("ground"))
    add(f"\n`{t.zone_state('ground')}` before anything happened today:\n\n" + json_block(zone))

    add("\n### A counter opens\n\n")
    add(_request_block(s["open"]) + "\n" + _reply_block(s["open"], reply_expiry))
    add("\nThen, after the commit:\n\n" + _published_list(s["open"]))

    add("\n### A kiosk issues a ticket\n\n")
    issue = s["issue"]
    add(_request_block(issue) + "\n" + _reply_block(issue, reply_expiry))
    add("\nThen:\n\n" + _published_list(issue))
    event = next(json.loads(o.payload) for o in issue.out if o.kind == "event")
    add(f"\nThe event on `{next(o.topic for o in issue.out if o.kind == 'event')}`:\n\n" + json_block(event))
    add(f"\n`{t.service_state('reception')}`:\n\n" + json_block(issue.payload_on(t.service_state("reception"))))
    add(f"\n`{t.guest_service('reception')}` (only the guest page server reads it; `id` is "
        "`contract.guest.opaque_id` of the ref):\n\n" + json_block(issue.payload_on(t.guest_service("reception"))))
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
    add(f"\n`{called.topic}`:\n\n" + json_block(json.loads(called.payload)))
    add(f"\n`{t.counter_state('c1')}`:\n\n" + json_block(call.payload_on(t.counter_state("c1"))))
    add(f"\n`{t.zone_state('ground')}`:\n\n" + json_block(call.payload_on(t.zone_state("ground"))))
    add(f"\n`{t.recent_calls()}`:\n\n" + json_block(call.payload_on(t.recent_calls())))

    add("\n### The other counter actions\n\n")
    for key, title in (("recall", "Recall"), ("no_show", "No-show (after one recall)"),
                       ("call_next_2", "Call next again"), ("transfer", "Transfer to another service"),
                       ("call_ticket", "Call a specific ticket"), ("finish", "Finish"),
                       ("call_next_first", "The other zone's counter calls the transferred ticket"),
                       ("pause", "Pause the counter")):
        step = s[key]
        events = [json.loads(o.payload) for o in step.out if o.kind == "event"]
        body = (f"Request payload: `{json.dumps(step.request, ensure_ascii=False)}`\n\n"
                + json_block(step.reply) + "\n" + _published_list(step)
                + "".join(f"\nEvent `{e['event']}`:\n\n" + json_block(e) for e in events))
        add(_details(f"{title}: <code>{step.action}</code>", body) + "\n")

    add("### A kiosk cancels a ticket and asks for a ticket's status (scanned QR)\n\n")
    for key in ("cancel", "status"):
        step = s[key]
        add(f"Request payload on `{step.topic}`: `{json.dumps(step.request, ensure_ascii=False)}`\n\n"
            + json_block(step.reply) + "\n")
    add("`ticket_status` changes nothing, so it publishes nothing but the reply, and its successful "
        "replies are not remembered (a retry reads the current status).\n")

    add("\n### A technician voids a fake ticket and erases a record\n\n"
        "As `technician.hub` (`onestop-provision void` / `erase` on the hub); the supervisor's console "
        "sends the same requests as `supervisor.console`. Both are audited with their reason.\n\n")
    for key in ("void", "erase"):
        step = s[key]
        events = [json.loads(o.payload) for o in step.out if o.kind == "event"]
        add(_request_block(step) + "\n" + json_block(step.reply) + "\n" + _published_list(step)
            + "".join(f"\nEvent `{e['event']}`:\n\n" + json_block(e) for e in events) + "\n")

    add("### A visitor answers the survey, and tries again\n\n"
        "At a survey kiosk, by the code and survey PIN printed on the ticket (the issuing kiosk's reply "
        "carried the PIN); a scanned QR sends `ref` instead. The answers are stored with the service and "
        "the day only and nothing is published; a second try is refused.\n\n")
    for key in ("survey", "survey_again"):
        step = s[key]
        add(_request_block(step) + "\n" + json_block(step.reply) + "\n")

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
        add(f"{title}:\n\n" + _request_block(step) + "\n" + json_block(step.reply) + "\n")

    add("### Presence and health\n\n")
    add(f"`{t.presence('kiosk-1')}`, retained, when the link connects:\n\n" + json_block(run.presence["kiosk-1 online"]))
    add("\nIts last will (set when the link is created, published by the broker when the connection is lost) "
        "and its graceful goodbye on the same topic:\n\n" + json_block(run.presence["kiosk-1 last will"]))
    add(f"\n`{t.presence(HUB_ID)}` once the hub has republished everything:\n\n" + json_block(run.presence["hub online"]))
    topic, health, retain = run.health
    add(f"\n`{topic}` ({'retained' if retain else 'not retained'}), from "
        "`DeviceLink.publish_health(printer=\"paper_low\", scanner=\"ok\")`:\n\n" + json_block(health))
    return "".join(out)


# ----------------------------------------------------------------------------
# The document
# ----------------------------------------------------------------------------


def observed(run: ExampleRun) -> Observed:
    """What the tables of contract.docs need of the run, and the examples section."""
    retained = [json.loads(o.payload) for o in run.all_outgoing() if o.retain]
    return Observed(run.results, run.event_data, retained + list(run.presence.values()) + [run.health[1]],
                    examples_section(run))


def generate() -> dict[str, str]:
    """Every generated section's body (what goes between its markers)."""
    return docs.generate(observed(example_run()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/protocol_doc.py",
                                     description="Print or rewrite the generated sections of docs/protocol.md.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="FILE", type=Path, help="rewrite the generated sections of FILE in place")
    group.add_argument("--check", metavar="FILE", type=Path, help="exit 1 when FILE's generated sections are stale")
    args = parser.parse_args(argv)
    sections = generate()
    if args.check:
        stale = docs.stale_sections(args.check.read_text(encoding="utf-8"), sections)
        if stale:
            print(f"{args.check}: generated sections out of date: {', '.join(stale)}; run `{REGENERATE}`",
                  file=sys.stderr)
            return 1
        return 0
    if args.write:
        text = args.write.read_text(encoding="utf-8")
        new = docs.rewrite(text, sections)
        if new != text:
            args.write.write_text(new, encoding="utf-8")
            found = docs.extract(text)
            print(f"{args.write}: rewrote {', '.join(n for n in sections if found.get(n) != sections[n])}")
        else:
            print(f"{args.write}: up to date")
        return 0
    print("\n\n".join(docs.wrap(name, body) for name, body in sections.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
