"""The site file: the shipped CNAI example, validation messages, device slices."""

from __future__ import annotations

import pytest
import tomli_w
from sites import small_site_dict

from siteconf import EXAMPLE_SITE, SiteFileError, load_site, parse_site
from siteconf.device import load_device_file
from siteconf.slices import device_slice, public_config


def test_the_cnai_example_models_the_centre_of_the_seed():
    site = load_site(EXAMPLE_SITE)
    kinds = {}
    for service in site.services:
        kinds.setdefault(service.office_kind, []).append(service.id)
    assert len(kinds["ministry"]) == 6, "the six ministries' branches"
    assert len(kinds["support"]) >= 7, "legal, family reunification, social, housing, nationality, consumers, employment"
    assert kinds["reception"] == ["triage"] and kinds["information"] == ["information"]
    assert site.kiosk.unsure_service == "triage"
    assert site.kiosk.helpline == "808 257 257"
    assert set(site.site.languages) >= {"pt", "en", "fr", "es", "uk", "ru", "ar", "hi", "ne", "bn"}
    roles = {d.role for d in site.devices}
    assert roles == {"hub", "kiosk", "counter", "display"}


def test_every_visitor_facing_text_of_the_example_is_in_every_language():
    site = load_site(EXAMPLE_SITE)
    languages = set(site.site.languages)
    texts = []
    for s in site.services:
        texts += [(f"services.{s.id}.name", s.name), (f"services.{s.id}.waiting_area", s.waiting_area)]

    def walk(entries):
        for e in entries:
            texts.extend([(f"menu.{e.id}.label", e.label), (f"menu.{e.id}.hint", e.hint)])
            walk(e.children)

    walk(site.kiosk.menu)
    texts += [(f"ticker[{i}]", m) for i, m in enumerate(site.ticker.messages)]
    missing = [(where, sorted(languages - set(text))) for where, text in texts if languages - set(text)]
    assert not missing


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["site"].pop("timezone"), "site.timezone: is required"),
    (lambda d: d["services"][1].update(prefix="A"), "services[1]: 'A' is used twice"),
    (lambda d: d["services"][0]["name"].pop("pt"), "services[0].name: has no text in the default language 'pt'"),
    (lambda d: d["services"][0]["name"].update(de="Empfang"), "services[0].name: language 'de' is not in site.languages"),
    (lambda d: d["kiosk"].update(unsure_service="nowhere"), "kiosk.unsure_service: unknown service 'nowhere'"),
    (lambda d: d["kiosk"]["menu"][0]["children"][0].update(service="gone"),
     "kiosk.menu[0].children[0].service: unknown service 'gone'"),
    (lambda d: d["counters"][0].update(transfer_targets=["x"]), "counters[0].transfer_targets[0]: unknown service 'x'"),
    (lambda d: d["counters"].pop(1), "services[1]: no counter serves 'immigration'"),
    (lambda d: d["devices"][2].update(counter="c9"), "devices[2].counter: unknown counter 'c9'"),
    (lambda d: d["devices"][1].pop("zone"), "kiosk device 'kiosk-1' needs `zone`"),
    (lambda d: d["devices"].pop(0), "devices: a site has exactly one hub device, found 0"),
    (lambda d: d["devices"][2].update(pins={"next": 5, "led_red": 5}), "two functions share one GPIO pin"),
    (lambda d: d["policies"].update(priority_ratio=[2, 0]) if "policies" in d else d.update(policies={"priority_ratio": [2, 0]}),
     "policies.priority_ratio"),
    (lambda d: d.update(opening_hours={"weekly": [{"days": ["mon"], "open": "17:00", "close": "09:00"}]}),
     "opens at 17:00 but closes at 09:00"),
    (lambda d: d["devices"][1].update(printer={"connector": "serial"}), "a serial printer needs serial_port"),
    (lambda d: d["kiosk"]["menu"][1].update(id="documents"), "kiosk.menu: entry id 'documents' is used twice"),
])
def test_a_wrong_site_file_names_the_file_the_key_and_the_problem(tmp_path, change, expected):
    data = small_site_dict()
    change(data)
    path = tmp_path / "centre.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    with pytest.raises(SiteFileError) as error:
        load_site(path)
    message = str(error.value)
    assert str(path) in message
    assert expected in message, message


def test_a_file_that_is_not_toml_is_reported_not_raised(tmp_path):
    path = tmp_path / "centre.toml"
    path.write_text("[site\nid = ", encoding="utf-8")
    with pytest.raises(SiteFileError, match="not valid TOML"):
        load_site(path)


def test_devices_get_their_own_slice_and_the_public_part_hides_the_device_list():
    site = parse_site(small_site_dict())
    public = public_config(site)
    assert "devices" not in public and "network" not in public and "bridge" not in public
    assert public["policies"] == {"priority_ratio": [2, 1], "priority_categories":
                                  ["pregnancy", "infant", "disability", "elderly"],
                                  "no_show_requires_recall": True, "recall_limit": 3,
                                  "announce_max_age_s": 30.0}
    mine = device_slice(site, "counter-2")
    assert mine["device"]["counter"] == "c2"
    assert mine["device"]["zone"] == "first", "a counter device's zone is its counter's"


def test_the_device_bootstrap_file_is_validated(tmp_path):
    path = tmp_path / "device.toml"
    path.write_text(tomli_w.dumps({"device_id": "kiosk-1", "site_id": "test-centre",
                                   "broker": {"host": "hub.local", "prot": 1883}}), encoding="utf-8")
    with pytest.raises(SiteFileError, match=r"broker.prot: unknown key"):
        load_device_file(path)
