"""docs/privacy.md names everything the code keeps or sends: every table of the hub's database, every
topic of the contract, every line the printer puts on a ticket, and the retention settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from contract import docs as contract_docs
from hardware.printer.layout import Text, ticket_layout
from hub.engine import PURGE_DAYS_PER_CALL
from hub.store import Store
from siteconf.schema import SiteInfo

DOC = (Path(__file__).resolve().parent.parent / "docs" / "privacy.md").read_text(encoding="utf-8")


def test_every_table_of_the_hub_is_accounted_for(tmp_path):
    Store(tmp_path / "hub.sqlite3").close()
    with sqlite3.connect(tmp_path / "hub.sqlite3") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    missing = [t for t in tables if f"`{t}`" not in DOC]
    assert not missing, f"docs/privacy.md does not say what these tables hold and for how long: {missing}"


def test_every_topic_is_accounted_for():
    for name in contract_docs.TOPIC_DOCS:
        pattern = contract_docs.topic_pattern(name).removeprefix("oss/v1/<site>/")
        assert f"`{pattern}`" in DOC or pattern in DOC, f"docs/privacy.md says nothing of {pattern}"


def test_every_printed_line_is_accounted_for():
    ticket = {"code": "A012", "service": "reception", "issued_at": "2026-12-03T10:00:00+00:00",
              "priority": True, "people_ahead": 3, "estimated_wait_min": 20, "language": "en",
              "qr": "OSS1:s:2026-12-03:A012:abcdefghijklmnop"}
    site = {"site": {"name": "CNAI", "default_language": "en", "retention_days": 90},
            "services": [{"id": "reception", "name": {"en": "Reception"}, "waiting_area": {"en": "Room A"}}]}
    lines = [b.text for b in ticket_layout(ticket, site).blocks if isinstance(b, Text)]
    for words in ("Priority", "ahead", "wait", "We keep no name or document"):
        assert any(words in line for line in lines), f"the ticket no longer prints {words!r}: update the doc"
        assert words.lower() in DOC.lower(), f"docs/privacy.md does not list the printed {words!r}"


def test_the_retention_settings_and_their_defaults_are_the_codes():
    defaults = SiteInfo.model_fields
    assert f"{defaults['retention_days'].default} days by default" in DOC
    assert f"{defaults['aggregate_retention_years'].default} years by default" in DOC
    spelled = {5: "five", 7: "seven", 10: "ten"}[PURGE_DAYS_PER_CALL]
    assert f"{spelled} days per transaction" in DOC
