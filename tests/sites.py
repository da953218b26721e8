"""Small site descriptions for tests.

``small_site_dict()`` returns a fresh, valid site file as a dict (what
``tomllib`` gives for a site TOML), so a test can change a copy (remove a
device, add a counter) and parse it with ``small_site(data)``.  It is small on
purpose: two zones, two services, two counters and one device of each kind
per zone, so ACL and routing tests can check "own zone yes, other zone no".

    hub            role hub
    kiosk-1        kiosk,   zone ground
    counter-1      counter, counter c1 (zone ground, service reception)
    counter-2      counter, counter c2 (zone first, service immigration)
    display-ground display, zone ground
    display-first  display, zone first
"""

from __future__ import annotations

import copy

from siteconf.schema import Site

SITE_ID = "test-centre"


def _text(pt: str, en: str) -> dict[str, str]:
    return {"pt": pt, "en": en}


_SMALL_SITE: dict = {
    "schema_version": 1,
    "site": {
        "id": SITE_ID,
        "name": "Test centre",
        "timezone": "Europe/Lisbon",
        "languages": ["pt", "en"],
        "default_language": "pt",
    },
    "zones": [
        {"id": "ground", "name": _text("Piso 0", "Ground floor")},
        {"id": "first", "name": _text("Piso 1", "First floor")},
    ],
    "services": [
        {"id": "reception", "prefix": "A", "name": _text("Acolhimento e triagem", "Welcoming and sorting"),
         "office": _text("Gabinete de acolhimento", "Welcoming office"), "office_kind": "reception",
         "zone": "ground", "waiting_area": _text("Sala A", "Room A")},
        {"id": "immigration", "prefix": "B", "name": _text("Autorização de residência", "Residence permit"),
         "office": _text("Imigração e fronteiras", "Immigration and borders"), "office_kind": "ministry",
         "zone": "first", "waiting_area": _text("Sala B", "Room B")},
    ],
    "kiosk": {
        "unsure_service": "reception",
        "menu": [
            {"id": "documents", "icon": "documents", "label": _text("Documentos", "Documents"),
             "hint": _text("Residência e vistos", "Residence and visas"),
             "children": [
                 {"id": "residence", "icon": "residence", "label": _text("Residência", "Residence"),
                  "hint": _text("Pedir ou renovar", "Apply or renew"), "service": "immigration"},
             ]},
            {"id": "other", "icon": "help", "label": _text("Outro assunto", "Something else"),
             "hint": _text("Falar com o acolhimento", "Talk to the welcoming office"), "service": "reception"},
        ],
    },
    "counters": [
        {"id": "c1", "number": 1, "name": _text("Balcão 1", "Counter 1"), "zone": "ground",
         "services": [{"service": "reception"}], "transfer_targets": ["immigration"]},
        {"id": "c2", "number": 2, "name": _text("Balcão 2", "Counter 2"), "zone": "first",
         "services": [{"service": "immigration"}]},
    ],
    # a test issues 30 tickets in a second from one kiosk: far above the defaults, which
    # tests/test_limits.py checks on their own
    "limits": {"kiosk": {"requests_per_s": 1000, "burst": 1000, "tickets_per_day": 20000},
               "counter": {"requests_per_s": 1000, "burst": 1000, "tickets_per_day": 20000},
               "display": {"requests_per_s": 1000, "burst": 1000, "tickets_per_day": 0}},
    "devices": [
        {"id": "hub", "role": "hub", "audio": {"languages": ["pt", "en"]}},
        {"id": "kiosk-1", "role": "kiosk", "zone": "ground", "audio": {"languages": ["pt", "en"]},
         "kiosk_modes": ["tickets", "information", "check_in"]},
        {"id": "counter-1", "role": "counter", "counter": "c1", "audio": {"languages": ["pt", "en"]}},
        {"id": "counter-2", "role": "counter", "counter": "c2", "audio": {"languages": ["pt", "en"]}},
        {"id": "display-ground", "role": "display", "zone": "ground", "audio": {"languages": ["pt", "en"]}},
        {"id": "display-first", "role": "display", "zone": "first", "audio": {"languages": ["pt", "en"]}},
    ],
}


def small_site_dict() -> dict:
    """A fresh deep copy of the small test site; change it freely."""
    return copy.deepcopy(_SMALL_SITE)


def small_site(data: dict | None = None) -> Site:
    """Parse ``data`` (default: ``small_site_dict()``) into a validated ``Site``."""
    return Site.model_validate(small_site_dict() if data is None else data)


def more_kiosks_site_dict() -> dict:
    """The small site plus ``kiosk-2`` (a second ticket kiosk) and ``kiosk-info`` (information
    only: the hub must refuse it tickets), for the tests of what one device may do to others."""
    data = small_site_dict()
    data["devices"].append({"id": "kiosk-2", "role": "kiosk", "zone": "ground"})
    data["devices"].append({"id": "kiosk-info", "role": "kiosk", "zone": "ground", "kiosk_modes": ["information"]})
    return data


def example_site_in_a_hurry():
    """The CNAI example with its request rates lifted (not its quotas): a test that sets up a
    morning's tickets in a second would otherwise meet the kiosks' 0.5 request/s limit."""
    import tomllib

    from siteconf import EXAMPLE_SITE
    from siteconf.load import parse_site
    data = tomllib.loads(EXAMPLE_SITE.read_text(encoding="utf-8"))
    for role in ("kiosk", "counter"):
        data["limits"][role].update(requests_per_s=1000, burst=1000)
    return parse_site(data, EXAMPLE_SITE)
