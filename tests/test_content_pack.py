"""The information point's content pack: the shipped CNAI files, and how the hub distributes them."""

from __future__ import annotations

import re
import shutil

import pytest
import tomli_w
from mqtt_helpers import Inbox, topic_is
from sites import small_site_dict

from hub.content import read_content
from hub.main import make_service, read_config
from siteconf import EXAMPLE_SITE, SiteFileError, load_site
from siteconf.content import content_folder, load_content, load_pack
from simulator.centre import LocalCentre

SMALL_PACK = {
    "version": "7", "language": "en", "title": "Information", "intro": "Tap a service.",
    "helpline": {"name": "SOS Immigrant Line", "number": "808 257 257", "text": "By phone on working days."},
    "services": [{"service": "reception", "what": "Start here.", "documents": ["Passport"],
                  "where": "Room A", "hours": "Mon-Fri 8:00-16:30"}],
}


def test_the_cnai_pack_covers_every_language_and_service_with_one_version():
    site = load_site(EXAMPLE_SITE)
    packs = load_content(site, EXAMPLE_SITE)
    assert packs.problems == []
    assert sorted(packs.packs) == sorted(site.site.languages)
    assert len({p.version for p in packs.packs.values()}) == 1
    services = {s.id for s in site.services}
    topics = {t.id for t in packs.packs["en"].topics}
    for language, pack in packs.packs.items():
        assert {s.service for s in pack.services} == services, language
        assert {t.id for t in pack.topics} == topics, language
        assert pack.helpline.number == site.kiosk.helpline == "808 257 257"
        for info in pack.services:
            assert info.documents, f"{language}: {info.service} lists no documents"
    # the text really is translated: no language shares the English service descriptions
    english = {s.what for s in packs.packs["en"].services}
    for language, pack in packs.packs.items():
        if language != "en":
            assert not english & {s.what for s in pack.services}, language


def test_the_ticket_topic_states_the_sites_retention_period_in_every_language():
    """The information point's privacy text promises what the hub does: the example's retention_days."""
    site = load_site(EXAMPLE_SITE)
    packs = load_content(site, EXAMPLE_SITE)
    for language, pack in packs.packs.items():
        text = next(t.text for t in pack.topics if t.id == "ticket")
        assert re.findall(r"\d+", text) == [str(site.site.retention_days)], language


def _site_with_content(tmp_path, packs: dict[str, dict]):
    data = small_site_dict()
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    (tmp_path / "content").mkdir()
    for name, pack in packs.items():
        (tmp_path / "content" / f"{name}.toml").write_text(tomli_w.dumps(pack), encoding="utf-8")
    return load_site(site_file), site_file


def test_a_broken_language_file_is_named_and_left_out(tmp_path):
    broken = {**SMALL_PACK, "language": "pt", "services": [{**SMALL_PACK["services"][0], "service": "passports"}]}
    site, site_file = _site_with_content(tmp_path, {"en": SMALL_PACK, "pt": broken})
    packs = load_content(site, site_file)
    assert list(packs.packs) == ["en"]
    assert len(packs.problems) == 1
    assert "pt.toml" in packs.problems[0] and "services[0].service: unknown service 'passports'" in packs.problems[0]


def test_a_file_whose_name_and_language_differ_is_refused(tmp_path):
    site, site_file = _site_with_content(tmp_path, {"pt": SMALL_PACK})
    with pytest.raises(SiteFileError, match="language: 'en' but the file is named pt.toml"):
        load_pack(tmp_path / "content" / "pt.toml", site)


def test_content_dir_is_relative_to_the_site_file_and_may_be_absolute(tmp_path):
    data = small_site_dict()
    site = load_site(EXAMPLE_SITE)
    assert content_folder(site, EXAMPLE_SITE) == EXAMPLE_SITE.parent / "content"
    data["kiosk"]["content_dir"] = str(tmp_path / "elsewhere")
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    assert content_folder(load_site(site_file), site_file) == tmp_path / "elsewhere"
    assert load_content(load_site(site_file), site_file).packs == {}  # no folder: no packs, no error


def test_the_hub_reads_the_pack_beside_its_site_file(tmp_path):
    site, site_file = _site_with_content(tmp_path, {"en": SMALL_PACK})
    device_file = tmp_path / "hub-device.toml"
    device_file.write_text(tomli_w.dumps({"device_id": "hub", "site_id": site.site.id, "site_file": str(site_file),
                                          "database": str(tmp_path / "hub.sqlite3"),
                                          "broker": {"password": "not-used-here"}}), encoding="utf-8")
    service = make_service(read_config(str(device_file)))
    try:
        assert list(service.engine.content.packs) == ["en"]
    finally:
        service.store.close()


@pytest.mark.broker
def test_kiosks_receive_each_language_retained_with_its_version_and_displays_do_not(tmp_path):
    site, site_file = _site_with_content(tmp_path, {"en": SMALL_PACK})
    with LocalCentre(site, tmp_path / "centre", content=read_content(site, site_file)) as centre:
        kiosk, display = centre.link("kiosk-1"), centre.link("display-ground")
        got, seen_by_display = Inbox(), Inbox()
        kiosk.subscribe(kiosk.topics.content("+"), got)
        display.subscribe(display.topics.content("+"), seen_by_display)
        _, payload = got.wait_for(topic_is(kiosk.topics.content("en")))
        assert payload["type"] == "content" and payload["version"] == "7" and len(payload["digest"]) == 12
        assert payload["pack"]["services"][0]["where"] == "Room A"
        display.subscribe(display.topics.site_config(), seen_by_display)  # a retained topic it may read
        seen_by_display.wait_for(topic_is(display.topics.site_config()))
        assert not [t for t, _ in seen_by_display.messages if "/content/" in t]


@pytest.mark.broker
def test_a_pack_removed_from_the_folder_is_cleared_at_the_next_start(tmp_path):
    site, site_file = _site_with_content(tmp_path, {"en": SMALL_PACK})
    centre = LocalCentre(site, tmp_path / "centre", content=read_content(site, site_file)).start()
    try:
        centre.stop_hub()
        shutil.rmtree(tmp_path / "content")
        centre.content = read_content(site, site_file)
        centre.start_hub()
        kiosk = centre.link("kiosk-1")
        got = Inbox()
        kiosk.subscribe(kiosk.topics.site_config(), got)
        kiosk.subscribe(kiosk.topics.content("+"), got)
        got.wait_for(topic_is(kiosk.topics.site_config()))
        assert [p for t, p in got.messages if "/content/" in t and p] == []
    finally:
        centre.close()
