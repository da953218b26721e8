"""Issue 17, the hub's side of the supervisor's console: a service paused, closed and open again
for the day, the walls' ticker message, a ticket called to a named counter, the staff account on
every supervisor request, the audit table (refusals included) and its retention, and the day's
figures in the retained state.  The real Engine on a database file and a fake clock, no broker;
the payloads fuzzed with Hypothesis at the end."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine import Hub, lisbon, model_state, payload

from contract.messages import MAX_TICKER_CHARS
from hub.clock import FakeClock
from hub.retention import AUDIT_RETENTION_DAYS

SUP = "supervisor.console"
STAFF = "maria.silva"


@pytest.fixture
def hub(tmp_path):
    h = Hub(tmp_path / "hub.db", clock=FakeClock(lisbon(2026, 12, 3, 9, 0)))
    yield h
    h.store.close()


def state_of(out: list, kind: str, name: str) -> dict:
    """The last retained ``state/<kind>/<name>`` of a batch's output."""
    found = [o for o in out if o.retain and o.topic.endswith(f"/state/{kind}/{name}")]
    assert found, f"no state/{kind}/{name} published"
    return json.loads(found[-1].payload)


def sup(hub: Hub, action: str, **fields) -> tuple[dict, list]:
    fields.setdefault("staff", STAFF)
    return hub.raw(SUP, action, payload(hub.clock, **fields))


def audit(hub: Hub) -> list[dict]:
    return hub.store.audit_entries()


def test_a_paused_then_closed_service_issues_nothing_but_its_waiting_tickets_are_still_served(hub):
    waiting = hub.issue("reception")["code"]
    reply, out = sup(hub, "service_state", service="reception", status="paused", reason="no staff until 10h")
    assert reply["ok"] and reply["result"] == {"service": "reception", "status": "paused", "before": "open",
                                               "waiting": 1}
    state = state_of(out, "service", "reception")
    assert (state["status"], state["status_reason"]) == ("paused", "no staff until 10h")
    assert state["status_since"].startswith("2026-12-03T09:00")
    zone = state_of(out, "zone", "ground")
    assert {s["service"]: s["status"] for s in zone["services"]}["reception"] == "paused"

    before = hub.rows()
    refused = hub.send("kiosk-1", "issue_ticket", service="reception", language="pt")
    assert refused["error"]["code"] == "service_paused" and hub.rows() == before
    assert hub.issue("immigration")["code"] == "B001", "the other services are not touched"
    assert hub.ok("counter-1", "call_next")["ticket"]["code"] == waiting, "a paused service's visitor is called"

    sup(hub, "service_state", service="reception", status="closed", reason="the system of the ministry is down")
    hub.ok("counter-1", "finish")
    assert hub.send("kiosk-1", "issue_ticket", service="reception", language="en")["error"]["code"] == \
        "service_closed"
    reply, out = sup(hub, "service_state", service="reception", status="open", reason="back again")
    assert reply["result"]["before"] == "closed" and state_of(out, "service", "reception")["status"] == "open"
    assert hub.issue("reception")["code"] == "A002"
    assert [(e["action"], e["args"]["status"], e["staff"], e["outcome"]) for e in audit(hub)] == [
        ("service_state", "paused", STAFF, "ok"), ("service_state", "closed", STAFF, "ok"),
        ("service_state", "open", STAFF, "ok")]


def test_the_days_settings_survive_a_restart_and_end_with_the_service_day(hub):
    sup(hub, "service_state", service="immigration", status="closed", reason="the ministry's staff is away")
    sup(hub, "ticker_message", text="Hoje o piso 1 fecha às 13h")
    hub = hub.restart()
    assert hub.send("kiosk-1", "issue_ticket", service="immigration", language="pt")["error"]["code"] == \
        "service_closed"
    out = hub.engine.everything()
    assert state_of(out, "service", "immigration")["status"] == "closed"
    assert state_of(out, "zone", "first")["ticker"]["text"] == "Hoje o piso 1 fecha às 13h"
    hub.clock.t = lisbon(2026, 12, 4, 8, 0)  # the next service day
    out = hub.engine.tick()
    assert state_of(out, "service", "immigration")["status"] == "open"
    assert state_of(out, "zone", "first")["ticker"] is None
    assert hub.issue("immigration")["code"] == "B001"
    hub = hub.restart()
    assert hub.engine.model.service_status("immigration") == "open" and not hub.engine.model.tickers
    hub.store.close()


def test_the_ticker_message_site_wide_or_per_zone_plain_text_only(hub):
    reply, out = sup(hub, "ticker_message", text="Bem-vindos · مرحبا")
    assert reply["result"] == {"zone": None, "text": "Bem-vindos · مرحبا", "zones": ["first", "ground"]}
    assert state_of(out, "zone", "ground")["ticker"]["text"] == state_of(out, "zone", "first")["ticker"]["text"]
    _, out = sup(hub, "ticker_message", zone="first", text="Piso 1: senhas B chamadas no balcão 2")
    assert state_of(out, "zone", "first")["ticker"]["text"].startswith("Piso 1")
    assert not [o for o in out if o.topic.endswith("/state/zone/ground")], "the other zone is not republished"
    _, out = sup(hub, "ticker_message", zone="first", text=None)
    assert state_of(out, "zone", "first")["ticker"]["text"] == "Bem-vindos · مرحبا", "back to the site-wide one"
    _, out = sup(hub, "ticker_message", text=None)
    assert state_of(out, "zone", "ground")["ticker"] is None

    before = model_state(hub.engine.model), dict(hub.engine.model.tickers)
    for fields in ({"text": "line one\nline two"}, {"text": "evil \u202e reversed"}, {"text": "   "},
                   {"text": "x" * (MAX_TICKER_CHARS + 1)}, {"text": "<b>ok</b>", "zone": "roof"}, {"text": 42}):
        reply, out = sup(hub, "ticker_message", **fields)
        assert reply["error"]["code"] == "invalid_fields", fields
        assert not [o for o in out if o.retain]
    assert (model_state(hub.engine.model), dict(hub.engine.model.tickers)) == before
    assert sup(hub, "ticker_message", text="<b>shown as written</b>")[0]["ok"], "markup is text, never markup"


def test_a_supervisor_calls_a_ticket_to_a_named_counter_and_it_is_audited(hub):
    hub.issue("reception")
    second = hub.issue("reception")["code"]
    reply, out = sup(hub, "call_ticket", counter="c1", code=second)
    assert reply["ok"] and reply["result"]["ticket"]["counter"] == "c1"
    assert state_of(out, "counter", "c1")["current"]["code"] == second
    assert [o for o in out if o.kind == "event" and o.topic.endswith("/ticket_called")]
    assert sup(hub, "call_ticket", code="A001")[0]["error"]["code"] == "invalid_fields", "name the counter"
    assert sup(hub, "call_ticket", counter="c2", code="A001")[0]["error"]["code"] == "service_not_at_counter"
    assert sup(hub, "call_ticket", counter="c9", code="A001")[0]["error"]["code"] == "unknown_counter"
    entries = audit(hub)
    assert [(e["who"], e["staff"], e["action"], e["args"], e["outcome"]) for e in entries] == [
        (SUP, STAFF, "call_ticket", {"counter": "c1", "code": second}, "ok"),
        (SUP, STAFF, "call_ticket", {"code": "A001"}, "invalid_fields"),
        (SUP, STAFF, "call_ticket", {"counter": "c2", "code": "A001"}, "service_not_at_counter"),
        (SUP, STAFF, "call_ticket", {"counter": "c9", "code": "A001"}, "unknown_counter")]
    assert entries[0]["detail"]["service_day"] == "2026-12-03"
    assert hub.ok("counter-1", "call_next")["ticket"]["code"] == "A001"
    assert len(audit(hub)) == 4, "a counter's own calls are not audited"


def test_the_staff_account_is_required_of_a_supervisor_and_only_an_operator_names_one(hub):
    before = hub.rows()
    reply, _ = hub.raw(SUP, "service_state", payload(hub.clock, service="reception", status="closed",
                                                     reason="forgot who I am"))
    assert reply["error"]["code"] == "invalid_fields" and "staff" in reply["error"]["message"]
    assert hub.engine.model.service_status("reception") == "open" and hub.rows() == before
    for bad in ("Maria", "maria silva", "-x", "m" * 41, "<script>"):
        assert sup(hub, "ticker_message", text="hello", staff=bad)[0]["error"]["code"] == "invalid_fields"
    assert hub.send("counter-1", "call_next", staff=STAFF)["error"]["code"] == "invalid_fields"
    assert hub.send("counter-1", "counter_languages", languages=["pt"], staff=STAFF)["error"]["code"] == \
        "invalid_fields"
    assert hub.ok("technician.hub", "service_state", service="reception", status="paused",
                  reason="technician on the hub")["status"] == "paused", "the technician's tool names no staff"
    assert hub.send("kiosk-1", "service_state", service="reception", status="open",
                    reason="a kiosk tries")["error"]["code"] == "forbidden"
    assert hub.send("counter-1", "ticker_message", text="a counter tries")["error"]["code"] == "forbidden"
    entries = audit(hub)
    assert [(e["who"], e["staff"], e["action"], e["outcome"]) for e in entries] == [
        (SUP, None, "service_state", "invalid_fields")] + [(SUP, None, "ticker_message", "invalid_fields")] * 5 + [
        ("counter-1", None, "counter_languages", "invalid_fields"),
        ("technician.hub", None, "service_state", "ok"),
        ("kiosk-1", None, "service_state", "forbidden"),
        ("counter-1", None, "ticker_message", "forbidden")]
    assert entries[0]["args"] == {"service": "reception", "status": "closed"}
    assert entries[1]["args"] == {}, "a request that could not be read is audited without its arguments"


def test_void_erase_and_languages_carry_the_staff_account_into_the_one_audit_table(hub):
    fake = hub.issue("reception")["code"]
    assert sup(hub, "void_tickets", codes=[fake], reason="a tampered kiosk")[0]["ok"]
    reply, out = sup(hub, "counter_languages", counter="c1", languages=["pt", "uk"])
    assert reply["ok"]
    counter = state_of(out, "counter", "c1")
    assert (counter["languages"], counter["languages_of_day"]) == (["pt", "uk"], True), "the console shows them"
    entries = audit(hub)
    assert [(e["action"], e["staff"], e["reason"]) for e in entries] == [
        ("void_tickets", STAFF, "a tampered kiosk"), ("counter_languages", STAFF, "")]
    assert entries[0]["detail"]["voided"] == [fake] and entries[0]["args"] == {"codes": [fake]}
    assert entries[1]["detail"]["languages"] == ["pt", "uk"]


def test_the_days_figures_so_far_are_in_the_service_state_and_survive_a_restart(hub):
    for _ in range(3):
        hub.issue("reception")
    fake = hub.issue("reception")["code"]
    sup(hub, "void_tickets", codes=[fake], reason="a tampered kiosk")
    hub.clock.advance(10 * 60)
    hub.ok("counter-1", "call_next")  # A001 waited 10 min
    hub.clock.advance(5 * 60)
    hub.ok("counter-1", "call_next")  # A001 served, A002 waited 15 min
    hub.ok("counter-1", "recall")
    hub.ok("counter-1", "no_show")
    reply, out = hub.raw("counter-1", "call_next", payload(hub.clock))  # A003 waited 15 min
    today = state_of(out, "service", "reception")["today"]
    assert today == {"issued": 3, "served": 1, "no_shows": 1, "calls": 3, "mean_wait_min": 13.3,
                     "longest_wait_min": 15.0}
    state = state_of(out, "service", "reception")
    assert state["oldest_queued_at"] is None and state["waiting"] == 0
    hub = hub.restart()
    out = hub.engine.everything()
    assert state_of(out, "service", "reception")["today"] == today
    assert state_of(out, "service", "immigration")["today"] == {
        "issued": 0, "served": 0, "no_shows": 0, "calls": 0, "mean_wait_min": None, "longest_wait_min": None}
    counter = state_of(out, "counter", "c1")
    assert counter["status"] == "open" and counter["current"]["called_at"].startswith("2026-12-03T09:15")
    hub.store.close()


def test_the_audit_is_kept_for_its_own_retention_then_deleted(hub):
    sup(hub, "ticker_message", text="old news")
    hub.clock.t = lisbon(2026, 12, 3, 9, 0) + (AUDIT_RETENTION_DAYS - 2) * 86400
    hub.engine.tick()
    sup(hub, "ticker_message", text=None)
    assert len(audit(hub)) == 2, "kept within its retention"
    hub.clock.advance(4 * 86400)
    hub.engine.tick()
    assert [e["args"] for e in audit(hub)] == [{}], "the entry older than AUDIT_RETENTION_DAYS is gone"


# ------------------------------------------------------------------------------------------ fuzz
_text = st.text(st.characters(codec="utf-8"), max_size=260)
_json_value = st.one_of(st.none(), st.booleans(), st.integers(-2, 2 ** 40), _text,
                        st.lists(st.text(string.ascii_letters, max_size=6), max_size=3))
_FIELDS = {
    "service_state": {"service": st.sampled_from(["reception", "immigration", "nope", ""]) | _json_value,
                      "status": st.sampled_from(["open", "paused", "closed", "OPEN"]) | _json_value,
                      "reason": _text | _json_value},
    "ticker_message": {"text": _text | _json_value, "zone": st.sampled_from(["ground", "first", "x"]) | _json_value},
    "call_ticket": {"code": st.sampled_from(["A001", "B001", "A999"]) | _json_value,
                    "counter": st.sampled_from(["c1", "c2", "c9"]) | _json_value},
}


@st.composite
def supervisor_payloads(draw) -> tuple[str, str, dict]:
    action = draw(st.sampled_from(sorted(_FIELDS)))
    fields = {name: draw(strategy) for name, strategy in _FIELDS[action].items() if draw(st.booleans())}
    if draw(st.integers(0, 3)):
        fields["staff"] = draw(st.sampled_from([STAFF, "ana", "Bad Name", ""]) | _json_value)
    if not draw(st.integers(0, 9)):
        fields[draw(st.sampled_from(["name", "v", "request_id", "extra"]))] = draw(_json_value)
    return draw(st.sampled_from([SUP, SUP, "technician.hub", "counter-1", "kiosk-1"])), action, fields


def test_fuzzed_supervisor_payloads_are_answered_and_a_refusal_changes_nothing(tmp_path):
    h = Hub(tmp_path / "hub.db", clock=FakeClock(lisbon(2026, 12, 3, 9, 0)))
    for _ in range(2):
        h.issue("reception")
    h.issue("immigration")

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(supervisor_payloads())
    def one(drawn):
        device, action, fields = drawn
        m = h.engine.model
        before = (model_state(m), dict(m.service_settings), dict(m.tickers), h.rows())
        audited = len(audit(h))
        reply, out = h.raw(device, action, payload(h.clock, **fields))
        assert reply["action"] == action and isinstance(reply["ok"], bool)
        if not reply["ok"]:
            assert (model_state(m), dict(m.service_settings), dict(m.tickers), h.rows()) == before
            assert not [o for o in out if o.retain or o.kind == "event"]
        if device in (SUP, "technician.hub") or action != "call_ticket":
            assert len(audit(h)) == audited + 1, "every operator request and every audited action is audited"
        h.clock.advance(1)

    one()
    h.store.close()


def test_the_privacy_doc_states_the_audits_own_retention():
    from pathlib import Path
    doc = (Path(__file__).resolve().parent.parent / "docs" / "privacy.md").read_text(encoding="utf-8")
    row = next(line for line in doc.splitlines() if line.startswith("| `audit` |"))
    assert f"{AUDIT_RETENTION_DAYS} days (`AUDIT_RETENTION_DAYS`" in row and "staff" in row


def test_a_supervisor_request_that_breaks_the_engine_is_still_audited_as_internal(hub, monkeypatch):
    from hub.queues import QueueModel

    def broken(self, *args, **kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr(QueueModel, "set_ticker", broken)
    reply, out = sup(hub, "ticker_message", text="never shown")
    assert reply["error"]["code"] == "internal" and not [o for o in out if o.retain]
    assert [(e["staff"], e["action"], e["outcome"]) for e in audit(hub)] == [(None, "ticker_message", "internal")]
