"""Hypothesis fuzz of every request topic through the real broker (issue "The hub holds").

The hub runs as its own process (``onestop-hub``) so its memory can be read from /proc; the
requests come from the devices' own logins.  Afterwards the hub must be alive and answering,
still number tickets correctly, hold no ticket nobody was handed, and not have grown.  A longer
run: ``.venv/bin/python bench/hub_fuzz_bench.py`` (10,000 requests by default).
"""

from __future__ import annotations

import sqlite3
import time

import pytest
import tomli_w
from hub_fuzz import FuzzRun, requests, rss_mb, tickets_in
from raw_device import wait_hub_online
from hypothesis import HealthCheck, given, settings
from sites import more_kiosks_site_dict, small_site


def fuzzed_site_dict() -> dict:
    """The site with more kiosks, kiosk-1 also a survey kiosk, so ``answer_survey`` reaches its rules."""
    data = more_kiosks_site_dict()
    next(d for d in data["devices"] if d["id"] == "kiosk-1")["kiosk_modes"].append("survey")
    return data


@pytest.fixture
def site():
    return small_site(fuzzed_site_dict())


@pytest.fixture
def fuzzed_hub(broker_only, tmp_path):
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(fuzzed_site_dict()), encoding="utf-8")
    with open(tmp_path / "hub.log", "a") as log:
        start = time.time()
        hub = broker_only.spawn_hub_process(site_file, stderr=log)
        wait_hub_online(broker_only, start)
        run = FuzzRun(broker_only)
        yield broker_only, hub, run
        run.close()


def test_fuzzed_requests_on_every_topic_leave_the_hub_answering_correctly(fuzzed_hub):
    centre, hub, run = fuzzed_hub
    for _ in range(50):  # warm up what every request touches before the memory baseline
        run.send("kiosk-info", "ticket_status", b"{}", 1)
    baseline_mb = rss_mb(hub.pid)

    @settings(max_examples=3000, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(requests())
    def one(request):
        run.send_nowait(*request)
        if len(run.pending) >= 64:  # in flight together, so poison and innocent share batches
            run.check_pending()

    one()
    run.check_pending()
    assert hub.poll() is None, "the hub died"
    grown_mb = rss_mb(hub.pid) - baseline_mb
    assert grown_mb < 25, f"the hub grew {grown_mb:.1f} MB over {run.sent} fuzzed requests"
    assert tickets_in(centre.database) == len(run.tickets_handed_out), "a ticket nobody was handed"
    with sqlite3.connect(centre.database) as db:
        issued_b = db.execute("SELECT COUNT(*) FROM tickets WHERE code LIKE 'B%'").fetchone()[0]
        waiting_b = db.execute("SELECT COUNT(*) FROM tickets WHERE service = 'immigration' "
                               "AND status = 'waiting'").fetchone()[0]
        # every stored answer is one ticket's, served, marked once
        answers = db.execute("SELECT COUNT(*) FROM survey_answers").fetchone()[0]
        marked = db.execute("SELECT COUNT(*) FROM tickets WHERE survey_answered AND status = 'finished'").fetchone()[0]
        assert answers == marked == db.execute("SELECT COUNT(*) FROM tickets WHERE survey_answered").fetchone()[0]
    kiosk = centre.link("kiosk-2")
    ticket = kiosk.request("issue_ticket", service="immigration", language="en", priority=False, timeout=2)["ticket"]
    assert ticket["code"] == f"B{issued_b + 1:03d}" and ticket["people_ahead"] == waiting_b
    print(f"{run.sent} requests: {dict(run.reasons.most_common())}; hub RSS +{grown_mb:.1f} MB")
