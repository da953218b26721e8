"""The supervisor's console over real HTTP (aiohttp's test server on a loopback port, no broker; the hub
is a fake ``send`` that records what would have been asked): no session, a bad CSRF token or another
origin refused; the login, the forced change, lockout and the per-address limit; idle and absolute
expiry; revocation; cookie flags and headers; the actions' forms checked before they leave; the
reports; the WebSocket; every endpoint fuzzed (issue 17)."""

from __future__ import annotations

import asyncio
import json
import re
from http.cookies import SimpleCookie
from pathlib import Path

import esprima
import pytest
from aiohttp import DummyCookieJar
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.accounts import MAX_FAILURES, Accounts
from console.page import ACTIONS
from console.server import HEADERS, LOGIN_COOKIE, SESSION_COOKIE, STATIC, ConsoleServer
from console.sessions import ABSOLUTE_S, IDLE_S, LOGIN_BURST
from console.texts import TEXTS
from contract import payloads
from contract.messages import parse_request
from contract.topics import Topics
from sites import SITE_ID, small_site
from test_guest_server import later_than_es2017

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
GOOD = "a long phrase of my own"
T = Topics(SITE_ID)


class Clock:
    now = 1_800_000_000.0

    def __call__(self):
        return self.now


class Hub:
    """The fake hub: every request it was sent, and the reply it gives (ok unless told)."""

    def __init__(self):
        self.asked: list[tuple[str, dict]] = []
        self.reply: dict | None = None
        self.silent = False

    async def __call__(self, action: str, fields: dict) -> dict:
        self.asked.append((action, fields))
        if self.silent:
            await asyncio.sleep(10)
        return self.reply or payloads.reply(action, "x", 1, {"service": fields.get("service"), "status": "paused",
                                                            "before": "open", "waiting": 0})


class Browser:
    """A client that keeps cookies itself (the test server speaks plain HTTP, where a cookie jar
    would not send the console's Secure cookies back) and sends the console's own Origin."""

    def __init__(self, client: TestClient, loop):
        self.client, self.loop = client, loop
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    @property
    def origin(self) -> str:
        return f"http://{self.client.host}:{self.client.port}"

    def request(self, method: str, path: str, data=None, origin: str | None = "same", json_answer=False, **headers):
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if origin is not None:
            headers["Origin"] = self.origin if origin == "same" else origin
        if json_answer:
            headers["Accept"] = "application/json"

        async def go():
            response = await self.client.request(method, path, data=data, headers=headers, allow_redirects=False)
            return response, await response.read()
        response, body = self.loop.run_until_complete(go())
        for raw in response.headers.getall("Set-Cookie", []):
            self.set_cookies.append(raw)
            for name, morsel in SimpleCookie(raw).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response, body.decode("utf-8", "replace")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, data, **kw):
        return self.request("POST", path, data, **kw)

    def csrf(self, path: str = "/") -> str:
        _, body = self.get(path)
        return re.search(r'name="csrf" value="([^"]+)"', body).group(1)

    def login(self, name: str, password: str):
        return self.post("/login", {"csrf": self.csrf("/login"), "name": name, "password": password})


@pytest.fixture
def console(tmp_path):
    """(server, browser factory, hub, accounts, clock, loop): a ConsoleServer on the small site, with
    maria (must choose her password) and ana (active, password GOOD)."""
    loop = asyncio.new_event_loop()
    clock = Clock()
    accounts = Accounts(tmp_path / "accounts.sqlite3", clock=clock, hasher=CHEAP)
    once = accounts.add("maria")
    accounts.add("ana")
    accounts.first_password("ana", GOOD)
    hub = Hub()
    reports = tmp_path / "reports"
    (reports / "2026-12-02").mkdir(parents=True)
    (reports / "2026-12-02" / "report.en.html").write_text("<p>the day</p>")
    (reports / "2026-12-02" / "services.csv").write_text("service,tickets\n")
    (tmp_path / "secret.txt").write_text("not a report")
    server = ConsoleServer(small_site(), accounts, hub, reports, clock=clock, answer_s=0.3)
    client = TestClient(TestServer(server.app()), loop=loop, cookie_jar=DummyCookieJar(loop=loop))
    loop.run_until_complete(client.start_server())
    yield server, lambda: Browser(client, loop), hub, accounts, clock, loop, once
    loop.run_until_complete(client.close())
    loop.close()


def logged_in(console, name="ana", password=GOOD) -> Browser:
    browser = console[1]()
    response, _ = browser.login(name, password)
    assert response.status == 303, "logged in"
    return browser


def test_without_a_session_everything_is_refused_or_sent_to_the_login(console):
    server, new, hub, *_ = console
    browser = new()
    for path in ("/", "/password"):
        response, _ = browser.get(path)
        assert (response.status, response.headers["Location"]) == (303, "/login")
    for method, path in [("GET", "/state"), ("GET", "/ws"), ("GET", "/reports/2026-12-02/report.en.html")]:
        assert browser.request(method, path)[0].status == 401, path
    for action in ACTIONS:
        assert browser.post(f"/action/{action}", {"csrf": "x", "service": "reception"})[0].status == 401
    browser.cookies[SESSION_COOKIE] = "made-up-token"
    assert browser.get("/state")[0].status == 401
    assert hub.asked == [] and server.counts["no_session"] >= 8


def test_login_forced_change_and_the_cookies(console):
    server, new, hub, accounts, clock, loop, once = console
    browser = new()
    response, _ = browser.login("maria", once)
    assert (response.status, response.headers["Location"]) == (303, "/password")
    session_cookie = next(c for c in browser.set_cookies if c.startswith(SESSION_COOKIE + "="))
    flags = {part.strip().lower() for part in session_cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=strict", "path=/"} <= flags and not any("domain" in f for f in flags)
    login_cookie = next(c for c in browser.set_cookies if c.startswith(LOGIN_COOKIE + "="))
    assert "Secure" in login_cookie and "HttpOnly" in login_cookie and "SameSite=Strict" in login_cookie
    first_token = browser.cookies[SESSION_COOKIE]
    # the one-time password's session may only choose a password
    assert browser.get("/")[0].headers["Location"] == "/password"
    assert browser.get("/state")[0].status == 401
    assert browser.post("/action/ticker_message", {"csrf": browser.csrf("/password"), "text": "x"})[0].status == 401
    csrf = browser.csrf("/password")
    response, body = browser.post("/password", {"csrf": csrf, "new": GOOD, "repeat": GOOD + "!"})
    assert response.status == 400 and TEXTS["pt"]["not_same"] in body
    response, body = browser.post("/password", {"csrf": csrf, "new": "short", "repeat": "short"}, **{
        "Accept-Language": "en"})
    assert response.status == 400 and TEXTS["en"]["pw_short"] in body
    response, body = browser.post("/password", {"csrf": csrf, "new": once, "repeat": once})
    assert response.status == 400 and TEXTS["pt"]["pw_weak"] in body
    response, _ = browser.post("/password", {"csrf": csrf, "new": GOOD, "repeat": GOOD})
    assert (response.status, response.headers["Location"]) == (303, "/")
    assert browser.cookies[SESSION_COOKIE] != first_token, "a new session after the change"
    assert server.sessions.get(first_token) is None
    response, body = browser.get("/")
    assert response.status == 200 and "maria" in body and 'id="actions"' in body
    assert accounts.login("maria", GOOD).ok and not accounts.login("maria", once).ok
    # logging out ends the session
    assert browser.post("/logout", {"csrf": browser.csrf()})[0].headers["Location"] == "/login"
    assert browser.get("/state")[0].status == 401


def test_a_bad_csrf_token_or_another_origin_is_refused_and_changes_nothing(console):
    server, new, hub, *_ = console
    browser, other = logged_in(console), logged_in(console)
    form = {"service": "reception", "status": "paused", "reason": "lunch break"}
    for csrf in (None, "", "x" * 43, other.csrf()):
        data = form | ({"csrf": csrf} if csrf is not None else {})
        assert browser.post("/action/service_state", data)[0].status == 403
    right = browser.csrf()
    assert browser.post("/action/service_state", form | {"csrf": right}, origin="https://evil.example")[0].status == 403
    assert browser.post("/logout", {"csrf": "wrong"})[0].status == 403
    assert hub.asked == [] and server.counts["csrf"] == 5 and server.counts["origin"] == 1
    # the login form has its own token: a page of another site cannot log anyone in
    stranger = console[1]()
    assert stranger.post("/login", {"csrf": "guess", "name": "ana", "password": GOOD})[0].status == 403
    assert SESSION_COOKIE not in stranger.cookies
    response, _ = browser.post("/action/service_state", form | {"csrf": right}, json_answer=True)
    assert response.status == 200 and hub.asked == [("service_state", form | {"staff": "ana"})]
    # a form without the script: the browser goes back to the console, where the result is shown once
    response, _ = browser.post("/action/service_state", form | {"csrf": right})
    assert (response.status, response.headers["Location"]) == (303, "/")
    assert "reception: open → paused" in browser.get("/")[1] and "reception: open" not in browser.get("/")[1]


def test_wrong_passwords_lock_the_account_and_one_address_cannot_try_fast(console):
    server, new, hub, accounts, clock, loop, once = console
    browser = new()
    for attempt in range(MAX_FAILURES):
        response, body = browser.login("ana", "not her password")
    assert response.status == 423 and "bloqueada" in body
    assert browser.login("ana", GOOD)[0].status == 423, "locked: the right password does not open it"
    assert SESSION_COOKIE not in browser.cookies
    for _ in range(LOGIN_BURST):
        response, body = browser.login("nobody", "guess guess guess")
    assert response.status == 429 and "Demasiadas tentativas" in body
    assert server.login_limit.refused >= 1 and server.counts["login_locked"] >= 2


def test_sessions_end_when_idle_and_after_a_day_and_when_revoked(console):
    server, new, hub, accounts, clock, loop, once = console
    browser = logged_in(console)
    clock.now += IDLE_S - 5
    assert browser.get("/state")[0].status == 200
    clock.now += 10
    assert browser.get("/state")[0].status == 401, "reading the state (like a push) is not activity"
    browser = logged_in(console)
    for _ in range(int(ABSOLUTE_S // (IDLE_S - 60)) + 1):
        clock.now += IDLE_S - 60
        response, _ = browser.get("/")
        if response.status != 200:
            break
    assert response.headers["Location"] == "/login", "the absolute expiry ends even an active session"
    assert server.sessions.ended["absolute"] == 1 and server.sessions.ended["idle"] == 1
    browser = logged_in(console)
    accounts.revoke("ana")
    assert browser.get("/")[0].headers["Location"] == "/login" and server.sessions.ended["revoked"] == 1
    assert console[1]().login("ana", GOOD)[0].status == 401


def test_every_answer_carries_the_headers(console):
    browser = logged_in(console)
    for method, path in [("GET", "/"), ("GET", "/login"), ("GET", "/state"), ("GET", "/static/console.js"),
                         ("GET", "/static/console.css"), ("GET", "/nothing"), ("POST", "/action/nothing"),
                         ("GET", "/reports/2026-12-02/report.en.html"), ("GET", "/static/../console/server.py")]:
        response, _ = browser.request(method, path, data={} if method == "POST" else None)
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (path, name)
    assert "'unsafe-inline'" not in HEADERS["Content-Security-Policy"]


def test_the_actions_carry_the_staff_account_and_bad_forms_never_leave(console):
    server, new, hub, *_ = console
    browser = logged_in(console)
    csrf = browser.csrf()
    good = {
        "service_state": ({"service": "immigration", "status": "closed", "reason": "system down"},
                          {"service": "immigration", "status": "closed", "reason": "system down"}),
        "ticker_message": ({"text": "  Immigration closes at 15:00 ", "zone": ""},
                           {"text": "Immigration closes at 15:00", "zone": None}),
        "call_ticket": ({"code": "a012", "counter": "c1"}, {"code": "A012", "counter": "c1"}),
        "void_tickets": ({"codes": "A001, a002 A003", "reason": "printed by mistake"},
                         {"codes": ["A001", "A002", "A003"], "reason": "printed by mistake"}),
        "counter_languages": ({"counter": "c2", "languages": "pt, UK", "reason": "the mediator is in"},
                              {"counter": "c2", "languages": ["pt", "uk"], "reason": "the mediator is in"}),
    }
    for action, (form, fields) in good.items():
        hub.reply = payloads.reply(action, "x", 1, {})
        response, body = browser.post(f"/action/{action}", form | {"csrf": csrf}, json_answer=True)
        assert response.status == 200 and json.loads(body)["ok"], action
        assert hub.asked[-1] == (action, fields | {"staff": "ana"})
    asked = len(hub.asked)
    bad = [("service_state", {"service": "reception", "status": "asleep", "reason": "x y z"}),
           ("service_state", {"service": "reception", "status": "paused", "reason": "no"}),
           ("ticker_message", {"text": "evil \u202e text"}), ("ticker_message", {"text": "two\nlines"}),
           ("call_ticket", {"code": "A-1", "counter": "c1"}), ("call_ticket", {"code": "A1", "counter": "C 1"}),
           ("void_tickets", {"codes": "", "reason": "nothing"}), ("void_tickets", {"codes": "A1," * 60, "reason": "many"}),
           ("counter_languages", {"counter": "c1", "languages": "klingon-x", "reason": "test"})]
    for action, form in bad:
        response, body = browser.post(f"/action/{action}", form | {"csrf": csrf}, json_answer=True)
        assert response.status == 400 and not json.loads(body)["ok"], (action, form)
    assert len(hub.asked) == asked and server.counts["bad_form"] == len(bad)
    hub.reply = payloads.error_reply("call_ticket", "x", 1, "unknown_ticket", "no ticket A099 today")
    response, body = browser.post("/action/call_ticket", {"code": "A099", "counter": "c1", "csrf": csrf},
                                  json_answer=True, **{"Accept-Language": "en"})
    assert response.status == 409 and json.loads(body)["message"] == "Refused: no such ticket today"
    hub.silent = True
    response, body = browser.post("/action/call_ticket", {"code": "A099", "counter": "c1", "csrf": csrf},
                                  json_answer=True)
    assert response.status == 504 and "Nada foi alterado" in json.loads(body)["message"]


def test_the_reports_are_listed_and_only_they_can_be_downloaded(console):
    browser = logged_in(console)
    _, page = browser.get("/")
    assert 'href="/reports/2026-12-02/report.en.html"' in page and "services.csv" in page
    server, new, hub, accounts, clock, loop, once = console
    response, body = browser.get("/reports/2026-12-02/report.en.html")
    assert response.status == 200 and body == "<p>the day</p>"
    assert response.headers["Content-Disposition"] == 'attachment; filename="2026-12-02-report.en.html"'
    # the hub audits every download, with the staff account, before the file leaves
    assert hub.asked[-1] == ("report_downloaded", {"period": "2026-12-02", "file": "report.en.html", "staff": "ana"})
    asked = len(hub.asked)
    hub.silent = True  # no record, no file
    response, body = browser.get("/reports/2026-12-02/services.csv")
    assert response.status == 503 and "não registou" in body and "service,tickets" not in body
    hub.silent = False
    hub.reply = payloads.error_reply("report_downloaded", "x", 1, "rate_limited", "slow down")
    response, body = browser.get("/reports/2026-12-02/services.csv")
    assert response.status == 409 and "service,tickets" not in body
    assert len(hub.asked) == asked + 2
    hub.reply = None
    for path in ("/reports/2026-12-02/../../secret.txt", "/reports/..%2F..%2Fsecret.txt/x.html",
                 "/reports/2026-12-02/%2e%2e%2fsecret.txt", "/reports/2026-12-02/missing.csv",
                 "/reports/2026-12-02/report.en.HTML", "/reports/20261202/report.en.html"):
        assert browser.get(path)[0].status == 404, path
    assert len(hub.asked) == asked + 2  # a refused path asks the hub nothing


def test_the_websocket_pushes_the_live_view_and_refuses_other_origins(console):
    server, new, hub, accounts, clock, loop, once = console
    browser = logged_in(console)
    client = browser.client
    cookie = {"Cookie": f"{SESSION_COOKIE}={browser.cookies[SESSION_COOKIE]}"}

    async def go():
        refused = await client.get("/ws", headers=cookie | {"Origin": "https://evil.example"})
        assert refused.status == 403
        socket = await client.ws_connect("/ws", headers=cookie | {"Origin": browser.origin})
        first = json.loads((await socket.receive(timeout=2)).data)["live"]
        assert "Acolhimento e triagem" in first and 'id="queues"' in first
        server.feed(T.service_state("reception"), {**payloads.service_state(
            3, "reception", "2026-12-03", 4, 0, 1, 8.0, 12, None, 5, 19), "status": "paused",
            "status_reason": "a <b>bold</b> reason"})
        pushed = json.loads((await socket.receive(timeout=2)).data)["live"]
        assert "em pausa" in pushed and "a &lt;b&gt;bold&lt;/b&gt; reason" in pushed and "5–19 min" in pushed
        await socket.send_str("something else")
        closed = await socket.receive(timeout=2)
        assert closed.type.name in ("CLOSE", "CLOSED", "CLOSING")
        socket = await client.ws_connect("/ws", headers=cookie | {"Origin": browser.origin})
        await socket.receive(timeout=2)
        clock.now += IDLE_S + 1
        server.push_all()
        ended = json.loads((await socket.receive(timeout=2)).data)
        assert ended == {"end": "/login"}
        await socket.close()
    loop.run_until_complete(go())
    assert server.counts["bad_socket_message"] == 1 and server.counts["origin"] == 1


# ------------------------------------------------------------------------- the page itself
def relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_every_text_colour_pair_meets_wcag_aa():
    css = (STATIC / "console.css").read_text()
    colours = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6})", css))
    pairs = [("ink", "paper"), ("ink", "soft"), ("brand", "paper"), ("ok-ink", "ok-bg"), ("warn-ink", "warn-bg"),
             ("bad-ink", "bad-bg"), ("line", "paper")]
    for ink, ground in pairs:
        assert contrast(colours[ink], colours[ground]) >= 4.5, (ink, ground)
    assert contrast("#ffffff", colours["brand"]) >= 4.5, "the buttons' text"


def test_both_languages_have_every_text_and_the_script_is_es2017():
    assert set(TEXTS["pt"]) == set(TEXTS["en"])
    source = (STATIC / "console.js").read_text()
    assert later_than_es2017(esprima.parseScript(source)) == []


def test_every_form_field_has_a_label_and_every_table_its_headers(console):
    page = logged_in(console).get("/")[1]
    fields = re.findall(r'<(?:input|select)(?![^>]*type="hidden")(?![^>]*hidden)[^>]*id="([^"]+)"', page)
    labels = set(re.findall(r'<label for="([^"]+)"', page))
    assert fields and set(fields) <= labels
    assert page.count("<caption") == page.count("<table") == 3 and 'scope="col"' in page
    assert '<html lang="pt"' in page and page.count("<h1") == 1


# ------------------------------------------------------------------------- fuzz
TEXTISH = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
PATHS = st.one_of(st.sampled_from(["/", "/login", "/password", "/logout", "/state", "/ws", "/static/console.js",
                                   "/reports/2026-12-02/report.en.html", *(f"/action/{a}" for a in ACTIONS)]),
                  st.text(alphabet="/abcdefghijklmnopqrstuvwxyz0123456789.-_%?=&", max_size=60).map(lambda p: "/" + p.lstrip("/")))
FORMS = st.dictionaries(st.sampled_from(["csrf", "name", "password", "new", "repeat", "service", "status", "reason",
                                         "text", "zone", "code", "counter", "codes", "languages"]),
                        TEXTISH, max_size=8)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]), path=PATHS, form=FORMS,
       with_csrf=st.booleans(), lang=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_fuzz_every_endpoint_never_a_500_and_only_checked_requests_reach_the_hub(console, method, path, form,
                                                                                  with_csrf, lang):
    server, new, hub, *_ = console
    browser = getattr(server, "fuzz_browser", None)
    if browser is None:
        browser = server.fuzz_browser = logged_in(console)
        server.fuzz_csrf = browser.csrf()
    if with_csrf:
        form = form | {"csrf": server.fuzz_csrf}
    before = len(hub.asked)
    response, _ = browser.request(method, path, data=form if method != "GET" else None,
                                  **{"Accept-Language": lang})
    assert response.status < 500, (method, path, form)
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value
    for action, fields in hub.asked[before:]:
        parse_request(action, json.dumps({"v": 1, "request_id": "fuzzfuzz", "deadline_ms": 0, **fields}).encode())
        assert fields["staff"] == "ana"
    if SESSION_COOKIE not in browser.cookies:  # the fuzz logged out: log in again for the next example
        server.fuzz_browser = None


# ------------------------------------------------------------------------- sessions and start-up
def test_an_account_holds_a_few_sessions_and_the_address_table_stays_small():
    from console.sessions import MAX_ADDRESSES, MAX_PER_ACCOUNT, LoginLimit, Sessions
    clock = Clock()
    sessions = Sessions(clock)
    made = [sessions.new("ana", False) for _ in range(MAX_PER_ACCOUNT + 2)]
    assert [sessions.get(s.token) is not None for s in made] == [False, False] + [True] * MAX_PER_ACCOUNT
    assert sessions.ended["replaced"] == 2 and len({s.csrf for s in made}) == len(made)
    assert sessions.get("x" * 200) is None and sessions.get(None) is None
    limit = LoginLimit(clock)
    for n in range(MAX_ADDRESSES + 100):
        limit.allow(f"10.0.{n // 256}.{n % 256}")
    assert len(limit.buckets) == MAX_ADDRESSES


def test_the_console_will_not_start_without_its_staff_address_or_its_certificate(tmp_path, test_pki):
    import tomli_w
    from console.main import ConfigError, build_service, config_data, load_config
    from sites import small_site_dict
    cert, key = test_pki.ca.server_paths
    site_file = tmp_path / "site.toml"
    site_file.write_text(tomli_w.dumps(small_site_dict()))
    path = tmp_path / "console.toml"
    data = config_data(str(site_file), "127.0.0.1", 1883, "m-secret", "s-secret", str(cert), str(key),
                       accounts=str(tmp_path / "accounts.sqlite3"), reports=str(tmp_path), port=0)
    path.write_text(tomli_w.dumps(data))
    config = load_config(path)
    assert (config.monitor_password, config.supervisor_password, config.port) == ("m-secret", "s-secret", 0)
    with pytest.raises(ConfigError, match="console_host is not set"):
        build_service(config)
    with_host = small_site_dict()
    with_host["network"] = {"console_host": "127.0.0.1"}
    site_file.write_text(tomli_w.dumps(with_host))
    service = build_service(config)
    assert service.listen == "127.0.0.1" and service.tls is not None
    path.write_text(tomli_w.dumps(data | {"tls": {"cert": str(tmp_path / "none.crt"), "key": str(key)}}))
    with pytest.raises(ConfigError, match="certificate"):
        build_service(load_config(path))
    for broken in (data | {"monitor": {"identity": "monitor.fleet", "password": "x"}}, {"site_file": 3}):
        path.write_text(tomli_w.dumps(broken))
        with pytest.raises(ConfigError):
            load_config(path)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(st.one_of(st.text(max_size=80), st.binary(max_size=80)), min_size=1, max_size=4))
def test_fuzz_the_websocket_messages_close_it_and_change_nothing(console, messages):
    server, new, hub, accounts, clock, loop, once = console
    browser = getattr(server, "ws_browser", None) or logged_in(console)
    server.ws_browser = browser
    headers = {"Cookie": f"{SESSION_COOKIE}={browser.cookies[SESSION_COOKIE]}", "Origin": browser.origin}

    async def go():
        socket = await browser.client.ws_connect("/ws", headers=headers)
        assert "live" in json.loads((await socket.receive(timeout=2)).data)
        for message in messages:
            if socket.closed:
                break
            await (socket.send_bytes(message) if isinstance(message, bytes) else socket.send_str(message))
        await socket.close()
    loop.run_until_complete(go())
    assert hub.asked == [] and server.board.entries == {}
