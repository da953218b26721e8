"""Who may publish and read what: the role matrix of the contract.

The broker's ACL file (broker_config.generate), the hub's own checks and the
table in docs/protocol.md are all produced from RULES.  Topic templates use
``{base}`` (``oss/v1/<site>``), ``{device}`` (the connecting user, written as
Mosquitto's ``%u`` in pattern lines), ``{zone}`` and ``{counter}`` (from the
device's entry in the site file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Access = Literal["read", "write", "readwrite"]
Who = Literal["every device", "hub", "kiosk", "counter", "display"]

ROLES = ("hub", "kiosk", "counter", "display")


@dataclass(frozen=True)
class Rule:
    who: Who
    access: Access
    topic: str
    why: str


RULES: tuple[Rule, ...] = (
    # identity-bound rules, one Mosquitto `pattern` line each (%u = the user)
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
    # role rules, written per user
    Rule("kiosk", "read", "{base}/content/+", "the information-point content pack"),
    Rule("counter", "read", "{base}/state/counter/{counter}", "its own counter's state"),
    Rule("counter", "read", "{base}/state/zone/{zone}", "the calls and counters of its zone"),
    Rule("display", "read", "{base}/state/zone/{zone}", "the calls and counters of its zone"),
    Rule("display", "read", "{base}/event/{zone}/+", "live events of its zone"),
    Rule("hub", "readwrite", "{base}/#", "the hub owns state, events and replies"),
)


def rules_for(role: str) -> list[Rule]:
    return [r for r in RULES if r.who in ("every device", role) and (role != "hub" or r.who == "hub")]
