"""Issue 17 through the real broker and the real hub: the supervisor's console (``supervisor.console``,
every request with its staff account) pauses a service, calls a ticket to a named counter, sets the
walls' ticker and opens the service again; a kiosk is refused while the service is paused, its
waiting visitor is still called, and the console's monitor (``monitor.console``) follows all of it
in the retained state, the day's figures included.  The audit names the staff account."""

from __future__ import annotations

import sqlite3

import pytest
from mqtt_helpers import Inbox, topic_is

from mqttlink.link import RequestRefused

STAFF = "maria.silva"


def test_the_console_pauses_calls_and_tells_the_walls_and_everything_is_audited(centre):
    kiosk, counter = centre.link("kiosk-1"), centre.link("counter-1")
    console = centre.operator("supervisor.console")
    watch = centre.monitor("console")  # what the console's server reads with
    seen = Inbox()
    for topic in (watch.topics.service_state("reception"), watch.topics.counter_state("c1"),
                  watch.topics.zone_state("ground")):
        watch.subscribe(topic, seen)
    waiting = [kiosk.request("issue_ticket", service="reception", language="pt")["ticket"]["code"]
               for _ in range(2)]

    with pytest.raises(RequestRefused) as refused:
        console.request("service_state", service="reception", status="paused", reason="no staff name")
    assert refused.value.code == "invalid_fields"
    paused = console.request("service_state", service="reception", status="paused",
                             reason="both counters at lunch", staff=STAFF)
    assert paused == {"service": "reception", "status": "paused", "before": "open", "waiting": 2}
    _, state = seen.wait_for(topic_is(watch.topics.service_state("reception"),
                                      lambda p: p and p["status"] == "paused"))
    assert state["status_reason"] == "both counters at lunch" and state["today"]["issued"] == 2
    with pytest.raises(RequestRefused) as refused:
        kiosk.request("issue_ticket", service="reception", language="en")
    assert refused.value.code == "service_paused"

    called = console.request("call_ticket", counter="c1", code=waiting[1], staff=STAFF)["ticket"]
    assert (called["code"], called["counter"]) == (waiting[1], "c1")
    seen.wait_for(topic_is(watch.topics.counter_state("c1"),
                           lambda p: p and (p["current"] or {}).get("code") == waiting[1]))
    assert counter.request("call_next")["ticket"]["code"] == waiting[0], "the paused queue is still served"

    console.request("ticker_message", text="Reception pauses until 14h", staff=STAFF)
    seen.wait_for(topic_is(watch.topics.zone_state("ground"),
                           lambda p: p and (p.get("ticker") or {}).get("text") == "Reception pauses until 14h"))
    console.request("service_state", service="reception", status="open", reason="back from lunch", staff=STAFF)
    _, state = seen.wait_for(topic_is(watch.topics.service_state("reception"),
                                      lambda p: p and p["status"] == "open" and p["today"]["served"] == 1))
    assert state["today"]["calls"] == 2
    assert kiosk.request("issue_ticket", service="reception", language="en")["ticket"]["code"] == "A003"

    with sqlite3.connect(centre.database) as db:
        rows = db.execute("SELECT who, staff, action, outcome FROM audit ORDER BY id").fetchall()
    assert rows == [("supervisor.console", None, "service_state", "invalid_fields"),
                    ("supervisor.console", STAFF, "service_state", "ok"),
                    ("supervisor.console", STAFF, "call_ticket", "ok"),
                    ("supervisor.console", STAFF, "ticker_message", "ok"),
                    ("supervisor.console", STAFF, "service_state", "ok")]
