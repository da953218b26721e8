"""Who may publish and read what: the role matrix of the contract.

The broker's ACL file (broker_config.generate), the hub's own checks and the
table in docs/protocol.md are all produced from RULES.  Topic templates use
``{base}`` (``oss/v1/<site>``), ``{device}`` (the connecting device; for a
``doctor`` identity the device it checks), ``{zone}`` and ``{counter}`` (from
the device's entry in the site file).  Every rule is written into the ACL
file per broker user (Mosquitto ``user`` blocks), never as a ``pattern``
line: a pattern applies to every user, the read-only tools included.

Broker identities are of two kinds:

* the **devices** of the site file (``ROLES``): the user name is the device id;
* the **tools** (``TOOL_ROLES``), read-only, no request rights: ``monitor.<name>``
  (``onestop-provision fleet`` is ``monitor.fleet``; the demo's observers,
  test probes) and ``doctor.<device>`` (``onestop-provision doctor`` on that
  device).  Their names hold a dot, which no device id may
  (``contract.fields.ID``), so a tool can never be taken for a device,
  and the hub (which answers only devices of its site file) never answers one;
* the **operators** (``OPERATOR_ROLES``), people's tools with request rights of
  their own and nothing else: ``technician.<name>`` (``onestop-provision void``,
  ``erase`` and ``languages`` on the hub are ``technician.hub``) and ``supervisor.<name>``
  (the supervisor's console).  The hub answers them only the operators'
  actions (``void_tickets``, ``erase_ticket``, ``counter_languages``);
* the **guest page server** (``guestpage.web``, a read-only tool): it reads only the
  ``guest/service/+`` feed (the waiting lists by opaque id) that no other identity but the
  hub may read, and ``presence/hub``, and serves the visitors' phones over HTTP (``guest/``).

The broker binds each connection's client id to its user name
(``use_username_as_clientid``), so one identity has one session: no login can
take over another's connection or resume its stored session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .topics import is_valid_id

Access = Literal["read", "write", "readwrite"]
Who = Literal["every device", "hub", "kiosk", "counter", "display", "monitor", "doctor", "operator", "guestpage"]

ROLES = ("hub", "kiosk", "counter", "display")
#: read-only broker identities of the technician's tools (not devices of the site file)
TOOL_ROLES = ("monitor", "doctor", "guestpage")
#: the monitors a site's broker knows: `onestop-provision fleet` on the hub, and the supervisor's
#: console (issue 17), which shows the queues, counters, devices and today's figures from the same
#: retained state and events a monitor reads, and acts only as ``supervisor.console``
SITE_MONITORS = ("fleet", "console")
#: broker identities of people who may change records by request (void fake tickets, erase one)
OPERATOR_ROLES = ("supervisor", "technician")
#: the operators a site's broker knows: the technician's commands on the hub, the supervisor's console
SITE_OPERATORS = ("technician.hub", "supervisor.console")
#: the guest page server's identity (read only: the guest feed and nothing else)
GUESTPAGE_ID = "guestpage.web"


@dataclass(frozen=True)
class Rule:
    who: Who
    access: Access
    topic: str
    why: str


RULES: tuple[Rule, ...] = (
    # identity-bound rules: {device} is the connecting device's own id
    Rule("every device", "write", "{base}/req/{device}/+",
         "requests only in its own name; the hub also checks the role may send the action"),
    Rule("every device", "read", "{base}/reply/{device}",
         "replies to its own requests only"),
    Rule("every device", "readwrite", "{base}/presence/{device}",
         "its own retained presence and last will"),
    Rule("every device", "readwrite", "{base}/health/{device}",
         "its own retained health report (paper low, scanner unplugged...)"),
    Rule("every device", "read", "{base}/config/device/{device}",
         "its own slice of the site file, retained by the hub"),
    Rule("every device", "read", "{base}/config/site",
         "the public part of the site file (services, menu, zones, ticker)"),
    Rule("every device", "read", "{base}/presence/hub",
         "whether the hub is up (the hub's last will)"),
    Rule("every device", "read", "{base}/state/service/+",
         "waiting counts and estimated waits per service"),
    # role rules
    Rule("kiosk", "read", "{base}/content/+", "the information-point content pack"),
    Rule("counter", "read", "{base}/state/counter/{counter}", "its own counter's state"),
    Rule("counter", "read", "{base}/state/zone/{zone}", "the calls and counters of its zone"),
    Rule("display", "read", "{base}/state/zone/{zone}", "the calls and counters of its zone"),
    Rule("display", "read", "{base}/event/{zone}/+", "live events of its zone"),
    Rule("hub", "readwrite", "{base}/#", "the hub owns state, events and replies"),
    # tools: read only, no requests, no replies, no presence of their own
    Rule("monitor", "read", "{base}/presence/+", "every device's presence (`fleet`: who is online)"),
    Rule("monitor", "read", "{base}/health/+", "every device's health report (`fleet`: who needs paper)"),
    Rule("monitor", "read", "{base}/state/#", "the queues, counters and calls (the demo's printout)"),
    Rule("monitor", "read", "{base}/event/+/+", "live events of every zone (the demo's printout)"),
    Rule("doctor", "read", "{base}/config/device/{device}",
         "the slice of the device it runs on, to check the hardware against"),
    Rule("guestpage", "read", "{base}/guest/service/+",
         "each service's waiting list by opaque id, for the visitors' phone pages (no monitor reads it)"),
    Rule("guestpage", "read", "{base}/presence/hub",
         "whether the hub is up: the phone pages say so when it is not (their positions stand still)"),
    # operators: requests in their own name and the replies to them, nothing else
    Rule("operator", "write", "{base}/req/{device}/+",
         "requests in its own name (`void_tickets`, `erase_ticket`); the hub checks the role may send them"),
    Rule("operator", "read", "{base}/reply/{device}", "replies to its own requests only"),
)


def rules_for(role: str) -> list[Rule]:
    """The rules of a device role (the every-device ones and its own) or of the hub, a tool or an
    operator (its own)."""
    if role in OPERATOR_ROLES:
        return [r for r in RULES if r.who == "operator"]
    if role == "hub" or role in TOOL_ROLES:
        return [r for r in RULES if r.who == role]
    return [r for r in RULES if r.who in ("every device", role)]


# ---------------------------------------------------------------------------
# The tools' identities
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    """A broker identity that is no device: ``role`` is ``monitor`` or ``doctor`` (read only; a
    doctor checks ``device``) or an operator's (``supervisor``, ``technician``: ``device`` is the
    identity itself, whose request and reply topics it uses)."""

    id: str
    role: str
    device: str | None = None


def monitor_id(name: str) -> str:
    return f"monitor.{name}"


def doctor_id(device_id: str) -> str:
    return f"doctor.{device_id}"


FLEET_ID = monitor_id("fleet")


def tool_of(identity: str) -> Tool | None:
    """The tool or operator an identity names (``monitor.fleet``, ``doctor.kiosk-1``,
    ``technician.hub``), or None (a device id, or nothing)."""
    role, dot, name = identity.partition(".")
    if not dot or not is_valid_id(name):
        return None
    if role in TOOL_ROLES:
        return Tool(identity, role, name if role == "doctor" else None)
    if role in OPERATOR_ROLES:
        return Tool(identity, role, identity)
    return None


def site_tools(device_ids: list[str], monitors: tuple[str, ...] = SITE_MONITORS,
               operators: tuple[str, ...] = SITE_OPERATORS) -> list[Tool]:
    """The tools of a site: its monitors, a doctor for each device (the hub included), its operators."""
    return ([Tool(monitor_id(m), "monitor") for m in monitors]
            + [Tool(doctor_id(d), "doctor", d) for d in device_ids]
            + [tool_of(o) for o in operators] + [Tool(GUESTPAGE_ID, "guestpage")])
