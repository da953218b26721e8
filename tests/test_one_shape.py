"""One shape throughout (issue 12): the contract is the bottom layer and builds every payload;
``DeviceLink`` has a device's shape (keyword options, one lifecycle, a repr).  No broker needed."""

from __future__ import annotations

import ast
import inspect
import json
import uuid
from pathlib import Path

import pytest

from contract import fields, messages, payloads
from contract.qr import TicketQR
from hub.clock import FakeClock
from mqttlink.link import DeviceLink, LinkError
from siteconf import schema

REPO = Path(__file__).resolve().parent.parent
PROJECT = {"hub", "mqttlink", "siteconf", "kiosk", "display", "counter", "hardware", "typeset", "simulator",
           "provisioning", "broker_config", "tests", "tools", "bench"}


def test_the_contract_imports_nothing_of_the_project():
    for path in sorted((REPO / "contract").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            for name in names:
                assert name.split(".")[0] not in PROJECT, f"{path.name} imports {name}: contract/ is the bottom layer"


def test_builders_make_the_shapes_the_models_describe():
    view = payloads.ticket_view(code="A001", ref="a" * 16, service="reception", status="waiting", priority=False,
                                language="pt", service_day="2026-03-10", issued_at="2026-03-10T09:00:00+00:00",
                                counter=None, counter_number=None, called_at=None, recalls=0, people_ahead=0,
                                estimated_wait_min=0, qr="OSS1:x:2026-03-10:A001:" + "a" * 16)
    assert list(view) == list(messages.TicketView.model_fields)
    messages.TicketView.model_validate(view)
    call = payloads.call_view("A001", "reception", "c1", 1, "ground", "pt", 0, "2026-03-10T09:00:00+00:00", 3)
    assert list(call) == list(messages.CallView.model_fields)
    event = payloads.event("ticket_called", 3, 1, "ground", "2026-03-10T09:00:00+00:00", call)
    assert list(event) == list(messages.Event.model_fields)
    ok = payloads.reply("call_next", "kiosk-1-0001", 3, payloads.call_result(view, None, 0))
    refused = payloads.error_reply("call_next", None, 3, "expired", "late")
    for reply in (ok, refused):
        assert set(reply) <= set(messages.Reply.model_fields)
        messages.Reply.model_validate(reply)
    assert payloads.encode({"text": "Українська"}) == '{"text":"Українська"}'.encode()


def test_devices_read_tolerantly():
    assert payloads.read(b'{"v": 1, "type": "presence", "online": true, "newer": [1]}')["newer"] == [1]
    for junk in (b"", None, b"not json", b"[1, 2]", b"null", b"\xff\xfe", b"[" * 5000 + b"]" * 5000):
        assert payloads.read(junk) is None


def test_each_pattern_is_the_contracts():
    assert messages.IssueTicket.model_json_schema()["properties"]["service"]["pattern"] == f"^{fields.ID}$"
    assert schema.SiteInfo.model_json_schema()["properties"]["id"]["pattern"] == f"^{fields.ID}$"
    assert schema.Ident is fields.Ident and schema.LangCode is fields.Lang
    qr = TicketQR("cnai-lisboa", "2026-03-10", "MA99999", "abcdefghijklmnop")
    assert TicketQR.decode(qr.encode()) == qr
    with pytest.raises(ValueError):
        TicketQR.decode("OSS1:cnai-lisboa:２０２６-03-10:A001:abcdefghijklmnop")  # no digits but ASCII ones


def test_statuses_are_enums_with_the_wire_strings():
    assert json.dumps([messages.TicketStatus.NO_SHOW, messages.CounterStatus.PAUSED]) == '["no_show", "paused"]'
    statuses = messages.SetCounterStatus.model_json_schema()["properties"]["status"]["enum"]
    assert statuses == [s.value for s in messages.CounterStatus]


def test_device_link_options_are_keywords_and_its_lifecycle_is_a_devices():
    parameters = inspect.signature(DeviceLink).parameters
    assert [p for p in parameters if parameters[p].kind is not inspect.Parameter.KEYWORD_ONLY] == \
        ["site_id", "device_id", "password"]
    with pytest.raises(TypeError):
        DeviceLink("test-centre", "kiosk-1", "pw", "127.0.0.1")  # noqa: the host is an option
    link = DeviceLink("test-centre", "kiosk-1", "pw", host="10.0.0.2", port=8883, role="kiosk")
    assert repr(link) == "<DeviceLink kiosk-1 (kiosk) of test-centre at 10.0.0.2:8883, not started>"
    assert not link.closed
    link.close()
    link.close()  # idempotent
    assert link.closed and repr(link).endswith(", closed>")
    with pytest.raises(LinkError):
        link.start()
    with DeviceLink("test-centre", "kiosk-2", "pw", port=1) as unreachable:
        assert repr(unreachable).endswith(", connecting>")
    assert unreachable.closed


def test_device_link_takes_its_clock_and_ids():
    clock = FakeClock(1773133200.0)
    ids = iter(range(1, 100))
    link = DeviceLink("test-centre", "kiosk-1", "pw", role="kiosk", clock=clock,
                      new_id=lambda: uuid.UUID(int=next(ids)))
    message = link.request_message("issue_ticket", service="reception", language="pt")
    assert json.loads(message.payload) == {"v": 1, "request_id": uuid.UUID(int=1).hex,
                                           "deadline_ms": 1773133205000, "service": "reception", "language": "pt"}
    assert message.correlation == uuid.UUID(int=2).bytes and message.expiry_s == 5
    assert message.topic == "oss/v1/test-centre/req/kiosk-1/issue_ticket"
    clock.advance(60)
    assert json.loads(link.presence_payload(False)) == payloads.presence("kiosk-1", "kiosk", False, 1773133260.0)
    assert json.loads(link.health_payload(printer="ok"))["at"] == 1773133260.0
    link.close()
