"""Sites and pictures for the layout check (tests/layout_check.py): the CNAI example and a centre
with deliberately long names, and the messages a wall display or a kiosk would get from their hub.

The long site is the CNAI example with every visitor text made long in every
language from the example's own words (two names joined, an office and a
waiting area as a counter's name) plus one very long single word per
language, so long words, long phrases and every script are all there.  No
Kivy here: the parent process and the Kivy child both import it.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timezone

from contract import payloads
from siteconf import EXAMPLE_SITE, parse_site
from siteconf.content import load_content
from siteconf.schema import Site
from siteconf.slices import device_slice, public_config

LANGUAGES = ["pt", "en", "fr", "es", "uk", "ru", "ar", "hi", "ne", "bn"]
#: one long word per language (a real one: hyphenation has something to find where the language has it)
LONG_WORDS = {"pt": "Desburocratização", "en": "Internationalisation", "fr": "Anticonstitutionnellement",
              "es": "Electroencefalografista", "uk": "Найрізноманітнішими", "ru": "Достопримечательностями",
              "ar": "والاستشاريين", "hi": "अंतर्राष्ट्रीयकरण", "ne": "अन्तर्राष्ट्रियकरण", "bn": "আন্তর্জাতিকীকরণ"}
#: the panels of the matrix (the issue's list); kiosks get a plausible diagonal for each
SIZES = [(800, 480), (800, 600), (1024, 600), (1024, 768), (1280, 720), (1280, 800), (1366, 768), (1920, 1080),
         (1080, 1920), (3840, 2160)]
KIOSK_DIAGONALS = {(800, 480): 7.0, (800, 600): 8.0, (1024, 600): 7.0, (1024, 768): 9.7, (1280, 720): 10.1,
                   (1280, 800): 10.1, (1366, 768): 15.6, (1920, 1080): 15.6, (1080, 1920): 21.5,
                   (3840, 2160): 27.0}


def example_dict() -> dict:
    return tomllib.loads(EXAMPLE_SITE.read_text(encoding="utf-8"))


def _join(*texts: dict, sep: str = " — ") -> dict:
    return {lang: sep.join(t.get(lang) or t["pt"] for t in texts) for lang in texts[0]}


def long_dict() -> dict:
    """The example with every name long (phrases and single long words), still a valid site file."""
    data = example_dict()
    data["site"]["name"] = "Centro Nacional de Apoio à Integração de Migrantes — Lisboa"[:80]
    services = data["services"]
    by_id = {s["id"]: s for s in services}
    for i, service in enumerate(services):
        other = services[(i + 3) % len(services)]
        if i % 3 == 0:  # a single long word at the start
            service["name"] = {lang: f"{LONG_WORDS.get(lang, LONG_WORDS['en'])} {text}"
                               for lang, text in service["name"].items()}
        else:
            service["name"] = _join(service["name"], other["name"])
        service["office"] = _join(service["office"], other["office"])
        service["waiting_area"] = _join(service["waiting_area"], other["office"])
    for counter in data["counters"]:
        first = by_id[counter["services"][0]["service"]]
        counter["name"] = {lang: f"{first['office'].get(lang, first['office']['pt'])} {counter['number']}"[:120]
                           for lang in counter["name"]}
    for zone in data["zones"]:
        zone["name"] = _join(zone["name"], data["zones"][0]["name"])

    def lengthen(entries: list[dict]) -> None:
        for j, entry in enumerate(entries):
            entry["label"] = (_join(entry["label"], entry["hint"]) if j % 2 else
                              {lang: f"{LONG_WORDS.get(lang, LONG_WORDS['en'])} {text}"
                               for lang, text in entry["label"].items()})
            entry["hint"] = _join(entry["hint"], entry["hint"], sep=" ")
            lengthen(entry.get("children", []))
    lengthen(data["kiosk"]["menu"])
    return data


def site(kind: str = "example") -> Site:
    data = long_dict() if kind == "long" else example_dict()
    return parse_site(data, EXAMPLE_SITE)


def content(site_: Site) -> dict[str, dict]:
    """The example's content packs as a kiosk holds them (payloads by language)."""
    return {language: pack.payload() for language, pack in load_content(site_, EXAMPLE_SITE).packs.items()}


def _now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def display_messages(site_: Site, device_id: str, newest_language: str, code_digits: int = 3) -> list[tuple]:
    """(kind, payload) a display gets from its hub: its slice, the site, the hub online, and a zone
    state with calls at the counters with the longest names (the newest in ``newest_language``)
    and every service of the zone waiting, with estimates."""
    slice_ = device_slice(site_, device_id)
    zone = slice_["device"]["zone"]
    counters = sorted((c for c in site_.counters if c.zone == zone),
                      key=lambda c: -max(len(n) for n in c.name.values()))
    services = [s for s in site_.services if s.zone == zone] or list(site_.services)
    calls = []
    others = [lang for lang in LANGUAGES if lang != newest_language]
    for i, counter in enumerate(counters[:8]):
        service = services[i % len(services)]
        # the widest code the site can have: a doubled prefix ("MM") on the long site
        prefix = service.prefix * 2 if i == 0 and code_digits >= 5 and len(service.prefix) == 1 else service.prefix
        number = 10 ** code_digits - 1 - i * 111 if i else 10 ** code_digits - 2
        language = newest_language if i == 0 else others[i % len(others)]
        calls.append(payloads.call_view(f"{prefix}{number}", service.id, counter.id, counter.number, zone, language,
                                        0, at=_now(), rev=100 - i))
    # the widest waits a busy day shows: three-digit ranges on every other service
    zone_services = [payloads.zone_service(s.id, 100 + 7 * i if i % 2 else 9 + i, 95 + i if i % 2 else 5 + i,
                                           60 + i if i % 2 else 2 + i, 180 + i if i % 2 else 12 + i)
                     for i, s in enumerate(services)]
    state = payloads.zone_state(100, 100, zone, "2026-05-12", calls,
                                [payloads.zone_counter(c.id, c.number, "open", None) for c in counters], zone_services)
    return [("site", public_config(site_)), ("device", slice_), ("hub", {"online": True}), ("link", True),
            ("zone_state", state)]


def newest_call_event(site_: Site, state: dict, language: str, seq: int) -> dict:
    """A live call (highlighted) at the zone's counter with the longest name."""
    call = dict(state["calls"][0])
    call.update(language=language, at=_now(), rev=200 + seq)
    return payloads.event("ticket_called", 200 + seq, seq, state["zone"], call["at"], call)
