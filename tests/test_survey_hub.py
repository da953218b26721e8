"""The survey's rules in the hub (issue 14), on the Engine with a real SQLite store and a fake clock:
answers only for a ticket served today, once; a typed PIN only with the ticket's code; the answers
kept with the service and day only, the "answered" mark on the ticket row; every refusal counted
and changing nothing."""

from __future__ import annotations

import json

import pytest

from hub.clock import FakeClock
from hub.engine import Engine
from sites import small_site, small_site_dict
from test_engine import Hub, lisbon

ANSWERS = {"hours": 1, "space": 2, "kindness": 1, "mediator": 4}


def survey_site():
    data = small_site_dict()
    data["devices"].append({"id": "kiosk-survey", "role": "kiosk", "zone": "ground", "kiosk_modes": ["survey"]})
    return small_site(data)


@pytest.fixture
def hub(tmp_path):
    h = Hub(tmp_path / "hub.db", survey_site(), FakeClock(lisbon(2026, 3, 2, 10, 0)))
    yield h
    h.store.close()


def served(hub, service="reception") -> dict:
    """A ticket issued, called and finished at its counter; the issuing reply's view."""
    ticket = hub.issue(service)
    counter = "counter-1" if service == "reception" else "counter-2"
    assert hub.ok(counter, "call_next")["ticket"]["code"] == ticket["code"]
    hub.ok(counter, "finish")
    return ticket


def answers(hub) -> list[tuple]:
    return hub.store.db.execute("SELECT service_day, service, hours, space, kindness, mediator FROM survey_answers"
                                ).fetchall()


def dump(hub) -> tuple:
    return hub.db_dump(), answers(hub)


def test_a_scanned_served_ticket_answers_once_and_the_answers_carry_no_ticket(hub):
    ticket = served(hub)
    result = hub.ok("kiosk-survey", "answer_survey", ref=ticket["ref"], **ANSWERS)
    assert result == {"survey": {"service": "reception", "answered": 4}}
    assert answers(hub) == [("2026-03-02", "reception", 1, 2, 1, 4)]
    columns = [row[1] for row in hub.store.db.execute("PRAGMA table_info(survey_answers)")]
    assert columns == ["service_day", "service", "hours", "space", "kindness", "mediator"]
    assert hub.store.db.execute("SELECT survey_answered FROM tickets WHERE code = ?", (ticket["code"],)
                                ).fetchone() == (1,)
    before = dump(hub)
    again = hub.send("kiosk-survey", "answer_survey", ref=ticket["ref"], hours=3)
    assert again["error"]["code"] == "already_answered"
    assert dump(hub) == before
    # the mark is on the ticket row, so a restarted hub still refuses
    restarted = hub.restart()
    assert restarted.send("kiosk-survey", "answer_survey", ref=ticket["ref"], hours=3)["error"]["code"] == \
        "already_answered"
    assert answers(restarted) == [("2026-03-02", "reception", 1, 2, 1, 4)]


def test_a_typed_pin_counts_only_with_the_tickets_code(hub):
    ticket, other = served(hub), served(hub)
    pin = ticket["survey_pin"]
    before = dump(hub)
    refusals = [
        ({"survey_pin": pin}, "invalid_fields"),                       # the PIN alone
        ({"code": ticket["code"]}, "invalid_fields"),                  # the code alone
        ({"code": other["code"], "survey_pin": pin}, "unknown_ticket"),  # another ticket's code
        ({"code": ticket["code"], "survey_pin": f"{(int(pin) + 1) % 10 ** 6:06d}"}, "unknown_ticket"),
        ({"code": "A999", "survey_pin": pin}, "unknown_ticket"),
        ({"ref": ticket["ref"], "code": ticket["code"], "survey_pin": pin}, "invalid_fields"),
        ({"code": ticket["code"], "survey_pin": "12345"}, "invalid_fields"),
        ({"code": ticket["code"], "survey_pin": "١٢٣٤٥٦"}, "invalid_fields"),  # digits, but not ASCII
    ]
    for fields, reason in refusals:
        reply = hub.send("kiosk-survey", "answer_survey", **fields, **ANSWERS)
        assert reply["error"]["code"] == reason, (fields, reply)
    assert dump(hub) == before
    assert hub.engine.refused[("kiosk-survey", "unknown_ticket")] == 3
    assert hub.engine.refused[("kiosk-survey", "invalid_fields")] == 5
    hub.ok("kiosk-survey", "answer_survey", code=ticket["code"], survey_pin=pin, kindness=2)
    assert answers(hub) == [("2026-03-02", "reception", None, None, 2, None)]


@pytest.mark.parametrize("how", ["waiting", "called", "no_show", "cancelled"])
def test_a_ticket_not_served_is_refused(hub, how):
    ticket = hub.issue("reception")
    if how in ("called", "no_show"):
        hub.ok("counter-1", "call_next")
    if how == "no_show":
        hub.ok("counter-1", "recall")
        hub.ok("counter-1", "no_show")
    if how == "cancelled":
        hub.ok("kiosk-1", "cancel_ticket", ref=ticket["ref"])
    before = dump(hub)
    for fields in ({"ref": ticket["ref"]}, {"code": ticket["code"], "survey_pin": ticket["survey_pin"]}):
        reply = hub.send("kiosk-survey", "answer_survey", **fields, **ANSWERS)
        assert reply["error"]["code"] == "not_served" and how.replace("_", "") in \
            reply["error"]["message"].replace("_", ""), reply
    assert dump(hub) == before


def test_yesterdays_ticket_is_refused_today(hub):
    ticket = served(hub)
    hub.clock.t = lisbon(2026, 3, 3, 9, 0)
    reply = hub.send("kiosk-survey", "answer_survey", ref=ticket["ref"], **ANSWERS)
    assert reply["error"]["code"] == "not_served" and "another day" in reply["error"]["message"]
    # by code and PIN, yesterday's code is nobody's today
    reply = hub.send("kiosk-survey", "answer_survey", code=ticket["code"], survey_pin=ticket["survey_pin"], hours=1)
    assert reply["error"]["code"] == "unknown_ticket"
    assert answers(hub) == []
    assert hub.send("kiosk-survey", "answer_survey", ref="a" * 26, hours=1)["error"]["code"] == "unknown_ticket"


def test_only_a_kiosk_in_survey_mode_may_send_answers_and_not_an_empty_one(hub):
    ticket = served(hub)
    reply = hub.send("kiosk-1", "answer_survey", ref=ticket["ref"], **ANSWERS)
    assert reply["error"]["code"] == "forbidden" and "survey" in reply["error"]["message"]
    assert hub.send("counter-1", "answer_survey", ref=ticket["ref"], **ANSWERS)["error"]["code"] == "forbidden"
    empty = hub.send("kiosk-survey", "answer_survey", ref=ticket["ref"])
    assert empty["error"]["code"] == "invalid_fields" and "no question answered" in empty["error"]["message"]
    for wrong in (0, 5, "2", 2.0, True):  # a four-point scale, no midpoint, no coercion
        assert hub.send("kiosk-survey", "answer_survey", ref=ticket["ref"], hours=wrong)["error"]["code"] == \
            "invalid_fields", wrong
    assert answers(hub) == []


def test_the_pin_is_unique_today_and_only_in_the_issuing_reply(tmp_path):
    """A generator that repeats itself: the hub draws again until no ticket of today has the PIN."""
    draws = iter(["111111", "111111", "222222", "111111", "333333", "222222", "444444"])
    hub = Hub(tmp_path / "hub.db", survey_site())
    hub.engine = Engine(hub.site, hub.store, hub.clock, new_pin=lambda: next(draws))
    pins = [hub.issue()["survey_pin"] for _ in range(3)]
    assert pins == ["111111", "222222", "333333"]
    stored = [r[0] for r in hub.store.db.execute("SELECT survey_pin FROM tickets ORDER BY id")]
    assert stored == pins
    ticket = hub.engine.model.tickets[1]
    status = hub.ok("kiosk-1", "ticket_status", ref=ticket.ref)["ticket"]
    assert status["survey_pin"] is None
    _, published = hub.raw("kiosk-1", "issue_ticket", json.dumps({
        "v": 1, "request_id": "req-pin-0001", "deadline_ms": int(hub.clock.now() * 1000) + 60_000,
        "service": "reception", "language": "pt"}).encode())
    # of everything an issue publishes (its event, the states), only the reply carries the PIN
    assert len(published) > 1 and [o.kind for o in published if b"444444" in o.payload] == ["reply"]
    hub.store.close()


def test_the_answers_rows_are_in_no_order_of_time(hub):
    """Row ids are random, so reading the table in its order cannot pair answers with the order in
    which tickets were finished."""
    for _ in range(12):
        hub.ok("kiosk-survey", "answer_survey", ref=served(hub)["ref"], hours=1)
    rowids = [r[0] for r in hub.store.db.execute("SELECT rowid FROM survey_answers")]
    assert len(set(rowids)) == 12 and min(rowids) > 12
