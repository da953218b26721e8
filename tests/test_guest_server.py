"""The page server over real HTTP (aiohttp's test server on a loopback port, no broker): headers on
every answer, the limits, the page's weight and its JavaScript's syntax level, and every endpoint
fuzzed (issue 16)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import esprima
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract import payloads
from contract.guest import guest_key, opaque_id
from guest.server import HEADERS, STATIC, GuestServer

KEY = guest_key("secret")
REF = "abcdefghijklmnopqrstuvwxyz"


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def served():
    """(server, client, loop): a GuestServer with one waiting ticket, behind a real HTTP listener."""
    loop = asyncio.new_event_loop()
    clock = Clock()
    server = GuestServer(KEY, clock=clock)
    server.clock_ = clock
    server.feed("social", payloads.guest_service(1, "social", "2026-12-03", {"en": "Social security"},
                                                 [payloads.guest_waiting(opaque_id(KEY, REF), "S001", "en", 9, 4, 15)],
                                                 []))
    client = TestClient(TestServer(server.app()), loop=loop)
    loop.run_until_complete(client.start_server())
    yield server, client, loop
    loop.run_until_complete(client.close())
    loop.close()


def get(client, loop, path: str, **headers):
    async def go():
        response = await client.get(path, headers=headers)
        return response.status, response.headers, await response.read()
    return loop.run_until_complete(go())


def check_headers(headers) -> None:
    for name, value in HEADERS.items():
        assert headers.get(name) == value, name


def test_every_answer_carries_the_privacy_headers(served):
    server, client, loop = served
    for path in (f"/t/{REF}", f"/t/{REF}/state", "/static/page.js", "/static/page.css", "/nothing", "/t/x/y/z"):
        status, headers, _ = get(client, loop, path)
        check_headers(headers)
    assert "'unsafe-inline'" not in HEADERS["Content-Security-Policy"]


def test_the_state_of_a_ticket_and_of_a_wrong_ref(served):
    server, client, loop = served
    status, _, body = get(client, loop, f"/t/{REF.upper()}/state?lang=en")
    view = json.loads(body)
    assert status == 200 and view["state"] == "waiting" and view["code"] == "S001"
    assert view["wait"] == "About 4–15 minutes" and view["ahead"] == "No one is ahead of you"
    _, _, wrong = get(client, loop, f"/t/{'b' * 26}/state?lang=en")
    _, _, bad = get(client, loop, "/t/not-a-ref/state?lang=en")
    assert json.loads(wrong) == json.loads(bad) and json.loads(wrong)["state"] == "none"


def test_guessing_is_refused_even_for_the_right_ref_then_allowed_again(served):
    server, client, loop = served
    for n in range(10):
        assert get(client, loop, f"/t/{'b' * 25}{'abcdefghij'[n]}/state")[0] == 200
    status, _, body = get(client, loop, f"/t/{REF}/state?lang=en")
    assert status == 429 and json.loads(body)["state"] == "busy" and "code" not in json.loads(body)
    server.clock_.now += 60
    assert json.loads(get(client, loop, f"/t/{REF}/state")[2])["state"] == "waiting"


def test_the_websocket_pushes_the_call_and_answers_sync_and_a_new_language(served):
    server, client, loop = served

    async def go():
        socket = await client.ws_connect(f"/t/{REF}/ws")
        first = json.loads((await socket.receive()).data)
        server.feed("social", payloads.guest_service(
            2, "social", "2026-12-03", {"en": "Social security", "ar": "الضمان"}, [],
            [payloads.guest_called(opaque_id(KEY, REF), "S001", "en", 5, None, 0)]))
        called = json.loads((await socket.receive()).data)
        await socket.send_str("lang:ar")
        arabic = json.loads((await socket.receive()).data)
        await socket.send_str("sync")
        again = json.loads((await socket.receive()).data)
        await socket.close()
        return first, called, arabic, again

    first, called, arabic, again = loop.run_until_complete(go())
    assert first["state"] == "waiting" and first["lang"] == "en"
    assert called["state"] == "called" and called["banner"] == "Your turn: counter 5"
    assert arabic["dir"] == "rtl" and arabic["service"] == "الضمان" and again == arabic
    assert not server.pages  # the closed socket is forgotten


def test_too_many_open_pages_from_one_address_are_refused(served):
    server, client, loop = served
    server.limits.max_open = 2

    async def go():
        sockets = [await client.ws_connect(f"/t/{REF}/ws") for _ in range(2)]
        response = await client.get(f"/t/{REF}/ws")
        for s in sockets:
            await s.close()
        return response.status
    assert loop.run_until_complete(go()) == 429 and server.limits.refused["connections"] == 1


def test_a_flood_of_requests_from_one_address_is_refused(served):
    server, client, loop = served
    statuses = [get(client, loop, f"/t/{REF}")[0] for _ in range(35)]
    assert statuses[:30] == [200] * 30 and statuses[-1] == 429


# ------------------------------------------------------------------ the page itself
def page_files(client, loop) -> dict[str, bytes]:
    return {path: get(client, loop, path)[2] for path in (f"/t/{REF}", "/static/page.js", "/static/page.css")}


def test_the_page_weighs_at_most_100_kb_and_loads_nothing_from_elsewhere(served):
    server, client, loop = served
    files = page_files(client, loop)
    assert sum(len(body) for body in files.values()) <= 100 * 1024
    text = b"".join(files.values()).decode()
    assert not re.search(r"(src|href)=\"(https?:)?//", text) and "@import" not in text and "@font-face" not in text
    assert re.findall(r"<script[^>]*>", files[f"/t/{REF}"].decode()) == ['<script src="/static/page.js">']


ES2018_AND_LATER = {"SpreadElement in an object literal", "RestElement in an object pattern"}


def later_than_es2017(node, parent=None) -> list[str]:
    """What esprima 4.0.1 (ES2017 and object rest/spread) accepts beyond ES2017: object rest/spread
    (ES2018) and the regular expression flag ``s`` (ES2018); later syntax it refuses itself."""
    found = []
    if isinstance(node, list):
        for item in node:
            found += later_than_es2017(item, parent)
        return found
    if not hasattr(node, "type"):
        return found
    if node.type == "SpreadElement" and parent is not None and parent.type == "ObjectExpression":
        found.append("SpreadElement in an object literal")
    if node.type == "RestElement" and parent is not None and parent.type == "ObjectPattern":
        found.append("RestElement in an object pattern")
    if node.type == "Literal" and getattr(node, "regex", None) and "s" in node.regex.flags:
        found.append("regex flag s")
    for value in vars(node).values():
        if isinstance(value, list) or hasattr(value, "type"):
            found += later_than_es2017(value, node)
    return found


def test_the_pages_javascript_is_es2017():
    source = (STATIC / "page.js").read_text(encoding="utf-8")
    assert later_than_es2017(esprima.parseScript(source)) == []
    # the check itself: it catches what ES2018 and ES2020 add
    assert set(later_than_es2017(esprima.parseScript("var a = {...b}; var {c, ...d} = e;"))) == ES2018_AND_LATER
    with pytest.raises(esprima.Error):
        esprima.parseScript("a?.b")


# ------------------------------------------------------------------ fuzz
PATHS = st.one_of(
    st.text(max_size=80),
    st.builds(lambda r, tail: f"/t/{r}{tail}", st.text(max_size=40),
              st.sampled_from(["", "/ws", "/state", "/state?lang=ar", "/x", "/"])),
    st.builds(lambda n: f"/static/{n}", st.text(max_size=30)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=PATHS, lang=st.text(max_size=20))
def test_fuzz_every_endpoint_answers_with_its_headers_and_never_a_500(served, path, lang):
    server, client, loop = served
    server.limits.clients.clear()  # the fuzz is one address sending many requests

    async def go():
        url = "/" + path.lstrip("/")
        try:
            response = await client.get(url, params={"lang": lang} if lang else None,
                                        headers={"Accept-Language": lang.encode("utf-8", "replace").decode("latin-1")})
        except ValueError:  # a URL or header aiohttp's client itself will not send
            return None
        return response.status, response.headers
    answer = loop.run_until_complete(go())
    if answer is not None:
        status, headers = answer
        assert status in (200, 400, 404, 405, 429), status
        check_headers(headers) if status != 400 else None
    assert server.board.view(opaque_id(KEY, REF))["state"] == "waiting"  # nothing a request sends changes it


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(st.one_of(st.text(max_size=40), st.binary(max_size=40)), max_size=5))
def test_fuzz_the_websocket_messages(served, messages):
    server, client, loop = served
    server.limits.clients.clear()

    async def go():
        socket = await client.ws_connect(f"/t/{REF}/ws")
        received = [json.loads((await socket.receive()).data)]
        for message in messages:
            await (socket.send_bytes(message) if isinstance(message, bytes) else socket.send_str(message))
        await socket.close()
        return received
    received = loop.run_until_complete(go())
    assert received[0]["state"] == "waiting"
    for _ in range(50):
        if not server.pages:
            break
        loop.run_until_complete(asyncio.sleep(0.01))
    assert not server.pages and server.board.view(opaque_id(KEY, REF))["state"] == "waiting"


def test_the_static_files_on_disk_are_what_is_served(served):
    server, client, loop = served
    assert get(client, loop, "/static/page.js")[2] == Path(STATIC / "page.js").read_bytes()


def test_a_ticket_that_appears_later_is_pushed_and_other_pages_are_left_alone(served):
    """An offline kiosk's ticket reaches the hub late: its open page shows it then; a feed message
    of another service sends nothing to pages whose view did not change."""
    server, client, loop = served
    late = "c" * 26

    async def go():
        waiting = await client.ws_connect(f"/t/{REF}/ws?lang=en")
        first = json.loads((await waiting.receive()).data)
        early = await client.ws_connect(f"/t/{late}/ws?lang=en")
        nothing = json.loads((await early.receive()).data)
        pushes = server.counts["pushes"]
        server.feed("health", payloads.guest_service(3, "health", "2026-12-03", {"en": "Health"},
                                                     [payloads.guest_waiting(opaque_id(KEY, late), "H001", "en",
                                                                             3, 0, 7)], []))
        appeared = json.loads((await early.receive()).data)
        sent = server.counts["pushes"] - pushes
        await waiting.close()
        await early.close()
        return first, nothing, appeared, sent

    first, nothing, appeared, sent = loop.run_until_complete(go())
    assert first["state"] == "waiting" and nothing["state"] == "none"
    assert appeared["state"] == "waiting" and appeared["code"] == "H001"
    assert sent == 1, "only the page whose ticket appeared was sent anything"


def test_the_pages_say_when_the_hub_is_away_and_when_it_is_back(served):
    server, client, loop = served

    async def go():
        socket = await client.ws_connect(f"/t/{REF}/ws?lang=pt")
        up = json.loads((await socket.receive()).data)
        server.hub_presence({"type": "presence", "device": "hub", "online": False})
        away = json.loads((await socket.receive()).data)
        server.hub_presence({"type": "presence", "device": "hub", "online": True})
        back = json.loads((await socket.receive()).data)
        await socket.close()
        return up, away, back

    up, away, back = loop.run_until_complete(go())
    assert up["hub_down"] == "" and back["hub_down"] == ""
    assert away["hub_down"].startswith("O sistema de senhas do centro") and away["code"] == "S001"
