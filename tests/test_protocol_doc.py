"""docs/protocol.md stays in step with the contract code.

The generated sections of the document must equal what ``tools/protocol_doc.py``
produces now (the tables of ``contract.docs``, the example run of the real hub
engine), so changing a topic, a request, a reason code, an event, an ACL rule
or a payload the hub sends without regenerating the document fails here.  The
example payloads come from a real run of the hub engine, so the tests also
check that run against the contract's own models and builders.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from contract import docs
from contract import messages as msg
from contract.errors import Reason
from contract.qr import TicketQR

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
import protocol_doc  # noqa: E402

DOC = REPO / "docs" / "protocol.md"
FIX = f"run `{protocol_doc.REGENERATE}` and commit the result"


@pytest.fixture(scope="module")
def text() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return protocol_doc.generate()


@pytest.fixture(scope="module")
def run() -> protocol_doc.ExampleRun:
    return protocol_doc.example_run()


# ---------------------------------------------------------------------------
# The document and the code agree
# ---------------------------------------------------------------------------


def test_every_generated_section_has_its_markers(text, generated):
    found = docs.extract(text)
    missing = [name for name in generated if name not in found]
    assert not missing, (f"docs/protocol.md has no <!-- generated:NAME --> ... <!-- /generated:NAME --> markers "
                         f"for {missing}; add them where the sections belong, then {FIX}")
    unknown = [name for name in found if name not in generated]
    assert not unknown, f"docs/protocol.md has generated sections tools/protocol_doc.py does not make: {unknown}"


@pytest.mark.parametrize("name", list(docs.SECTIONS))
def test_generated_section_is_current(name, text, generated):
    found = docs.extract(text).get(name)
    assert found == generated[name], (
        f"the generated section {name!r} of docs/protocol.md is out of date with the contract code: {FIX}")


def test_every_action_is_documented(text):
    for action, cls in msg.REQUEST_TYPES.items():
        assert f"#### `{action}`" in text, f"request {action!r} is missing from docs/protocol.md: {FIX}"
        for role in cls.roles:
            assert role in text


def test_every_reason_is_documented(text):
    for reason in Reason:
        assert f"`{reason}`" in text, f"reason code {reason!r} is missing from docs/protocol.md: {FIX}"
        assert docs.REASON_MEANINGS.get(reason), f"give {reason!r} a meaning in contract.docs.REASON_MEANINGS"


def test_every_event_type_is_documented_and_sent(text, run):
    for event in msg.EVENT_TYPES:
        assert f"`{event}`" in text, f"event {event!r} is missing from docs/protocol.md: {FIX}"
        assert event in run.event_data, f"the example run in tools/protocol_doc.py never produces {event!r}"
    sent = set(run.event_data)
    unlisted = sent - set(msg.EVENT_TYPES)
    assert not unlisted, f"the hub sends events the contract does not list: {unlisted}"


def test_every_action_appears_in_the_example_run(run):
    missing = set(msg.REQUEST_TYPES) - set(run.results)
    assert not missing, f"the example run in tools/protocol_doc.py has no successful {sorted(missing)}"


def test_check_and_write(tmp_path, text, generated):
    stale = text.replace(generated["reasons"], "| nothing |\n")
    assert stale != text
    path = tmp_path / "protocol.md"
    path.write_text(stale, encoding="utf-8")
    assert docs.stale_sections(stale, generated) == ["reasons"]
    assert protocol_doc.main(["--check", str(path)]) == 1
    assert protocol_doc.main(["--write", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == text
    assert protocol_doc.main(["--check", str(path)]) == 0
    with pytest.raises(ValueError, match="no markers"):
        docs.rewrite("# no markers here\n", generated)


# ---------------------------------------------------------------------------
# The tables say what the code does
# ---------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern:
    parts = [("[^/]+" if seg.startswith("<") else re.escape(seg)) for seg in pattern.split("/")]
    return re.compile("^" + "/".join(parts) + "$")


def _topic_doc(topic: str) -> tuple[str, docs.TopicDoc]:
    matches = [(name, doc) for name, doc in docs.TOPIC_DOCS.items()
               if _pattern_regex(docs.topic_pattern(name).replace(docs.SITE, "test-centre")).match(topic)]
    assert len(matches) == 1, f"{topic} matches {len(matches)} documented topic patterns"
    return matches[0]


def test_retained_and_expiry_columns_match_what_the_hub_publishes(run):
    outgoing = run.all_outgoing()
    assert outgoing
    for out in outgoing:
        name, doc = _topic_doc(out.topic)
        assert doc.retained == out.retain, f"{out.topic}: the topic table says retained={doc.retained}"
        if out.kind in ("reply", "event"):
            assert doc.expiry == out.kind, f"{out.topic}: the topic table gives the wrong message expiry"
        else:
            assert doc.expiry is None
    for step in run.steps.values():
        assert _topic_doc(step.topic)[0] == "request"
    topic, _health, retain = run.health
    assert _topic_doc(topic)[1].retained == retain


def test_acl_readers_are_bound_to_the_device():
    reply = docs.topic_pattern("reply")
    assert docs.acl_access(reply, "read") == ["every device (own)", "hub", "operator (own)"]
    assert docs.acl_access(docs.topic_pattern("request"), "write") == ["every device (own)", "hub", "operator (own)"]
    assert "display (own zone)" in docs.acl_access(docs.topic_pattern("event"), "read")
    assert "kiosk" not in ", ".join(docs.acl_access(docs.topic_pattern("event"), "read"))


def test_replies_events_and_calls_match_the_contract_models(run):
    ticket_fields = set(msg.TicketView.model_fields)
    call_fields = set(msg.CallView.model_fields)
    for out in run.all_outgoing():
        data = json.loads(out.payload)
        if out.kind == "reply":
            reply = msg.Reply.model_validate(data)
            assert ("result" in data) == reply.ok and ("error" in data) == (not reply.ok)
            ticket = (reply.result or {}).get("ticket")
            if ticket is not None:
                msg.TicketView.model_validate(ticket)
                assert set(ticket) == ticket_fields
                assert TicketQR.decode(ticket["qr"]).ref == ticket["ref"]
        elif out.kind == "event":
            event = msg.Event.model_validate(data)
            assert event.event in msg.EVENT_TYPES
            if event.event in ("ticket_called", "ticket_recalled"):
                msg.CallView.model_validate(event.data)
                assert set(event.data) == call_fields
        elif data["type"] in ("state.zone", "state.calls"):
            for call in data["calls"]:
                assert set(call) == call_fields


def test_no_ref_in_events_or_retained_state(run):
    refs = {step.reply["result"]["ticket"]["ref"] for step in run.steps.values()
            if step.reply["ok"] and step.action == "issue_ticket"}
    assert refs
    for out in run.all_outgoing():
        if out.kind != "reply":
            assert not any(ref.encode() in out.payload for ref in refs), f"a ticket ref leaked on {out.topic}"


def test_example_run_shows_idempotency_and_expiry(run):
    first, retry = run.steps["issue"], run.steps["issue_retry"]
    assert retry.request["request_id"] == first.request["request_id"]
    assert retry.reply == first.reply and not retry.published("event")
    assert run.steps["err_expired"].reply["error"]["code"] == "expired"
    assert not run.steps["err_expired"].published("event")
