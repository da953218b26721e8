"""The supervisor's console over HTTPS (aiohttp): login, the live view pushed over a WebSocket, the actions.

Routes (anything else is a plain 404):

* ``GET /login``, ``POST /login``: the login form (its own CSRF token, in a short-lived cookie and
  in the form: a page of another site cannot log a person in as someone else);
* ``GET /password``, ``POST /password``: the forced change after a one-time password;
* ``GET /``: the console (the live part, the forms, the reports); ``GET /ws``: its WebSocket, the
  live part again whenever it changes; ``GET /state``: the view as JSON once (tests, a script);
* ``POST /action/<name>``: one action (``page.ACTIONS``), one request to the hub as
  ``supervisor.console`` carrying the staff account (``staff``); the hub applies and audits it;
* ``GET /reports/<period>/<file>``: a file of the daily reports ``onestop-report`` wrote on the hub;
* ``POST /logout``; ``GET /static/console.js``, ``/static/console.css``.

Every POST needs the session's CSRF token in its form (``csrf``) and, when the browser sends one,
an ``Origin`` that is the console's own; the WebSocket needs that ``Origin`` always.  Cookies are
``__Host-`` cookies, ``Secure; HttpOnly; SameSite=Strict; Path=/``.  Every answer carries a strict
CSP (the page loads only its own two files), ``no-store``, HSTS, ``nosniff``, no framing.
Hostile input (a form field of the wrong shape, a path that is not a report, a message on the
socket) gets a plain refusal, is counted in ``counts``, and changes nothing.  The board and the
sessions are touched only on the event loop's thread.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import secrets
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Awaitable, Callable

from aiohttp import WSCloseCode, WSMsgType, web

from contract.errors import ContractError
from contract.messages import parse_request
from siteconf.schema import Site

from .accounts import AccountError, Accounts
from .page import ACTIONS, console_html, live_html, login_html, password_html
from .sessions import LoginLimit, Sessions
from .texts import LANGUAGES, language_of, reason_text, words
from .view import Board, console_view

log = logging.getLogger("console")

STATIC = Path(__file__).with_name("static")
SESSION_COOKIE = "__Host-console"
LOGIN_COOKIE = "__Host-console-login"
LANG_COOKIE = "__Host-console-lang"
HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                                "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: a report's folder (a day, a month) and file names as onestop-report writes them
PERIOD = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
REPORT_FILE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}\.(html|csv|png)$")
REPORT_TYPES = {"html": "text/html", "csv": "text/csv", "png": "image/png"}
#: the live part is pushed at most this often (the hub republishes several topics per batch)
PUSH_DELAY_S = 0.05
#: the live part is drawn again this often even without news (minutes waited, sessions expiring)
TICK_S = 20.0
Send = Callable[[str, dict], Awaitable[dict]]


class FormError(ValueError):
    """A form the console refuses before asking the hub (the message names the field)."""


@dataclass(eq=False)
class Socket:
    ws: web.WebSocketResponse
    token: str
    lang: str
    sent: str | None = None


def _codes(text: str) -> list[str]:
    return [c.strip().upper() for c in re.split(r"[,\s;]+", text) if c.strip()]


def action_fields(action: str, form, staff: str) -> dict:
    """The request's fields from a form's (strings); checked by the contract's own model before they
    leave, so a wrong field is named at once and the hub never sees it."""
    def text(name: str, limit: int = 400) -> str:
        value = form.get(name, "")
        if not isinstance(value, str) or len(value) > limit:
            raise FormError(f"{name}: not a text of at most {limit} characters")
        return value.strip()

    if action == "service_state":
        fields = {"service": text("service", 40), "status": text("status", 10), "reason": text("reason", 200)}
    elif action == "ticker_message":
        fields = {"text": text("text", 200) or None, "zone": text("zone", 40) or None}
    elif action == "call_ticket":
        fields = {"code": text("code", 8).upper(), "counter": text("counter", 40)}
    elif action == "void_tickets":
        fields = {"codes": _codes(text("codes")), "reason": text("reason", 200)}
        if not fields["codes"] or len(fields["codes"]) > 50:
            raise FormError("codes: give 1 to 50 ticket codes")
    elif action == "counter_languages":
        languages = [c.strip().lower() for c in re.split(r"[,\s;]+", text("languages", 200)) if c.strip()]
        fields = {"counter": text("counter", 40), "languages": languages or None, "reason": text("reason", 200)}
    else:
        raise FormError(f"{action}: no such action")
    fields["staff"] = staff
    payload = {"v": 1, "request_id": uuid.uuid4().hex, "deadline_ms": 0, **fields}
    try:
        parse_request(action, json.dumps(payload).encode())
    except ContractError as exc:
        raise FormError(exc.message) from None
    return fields


def describe(action: str, result: dict, fields: dict) -> str:
    """What the hub did, in a few words the staff recognise (codes, ids, states as the hub said them)."""
    if action == "service_state":
        return f'{result.get("service")}: {result.get("before")} → {result.get("status")}'
    if action == "ticker_message":
        return f'{result.get("text") or "—"} ({", ".join(result.get("zones") or []) or "—"})'
    if action == "call_ticket":
        ticket = (result or {}).get("ticket") or {}
        return f'{ticket.get("code", fields.get("code"))} → {ticket.get("counter_number", fields.get("counter"))}'
    if action == "void_tickets":
        return f'{result.get("voided")}: {", ".join(result.get("codes") or [])}'
    if action == "counter_languages":
        return f'{result.get("counter")}: {", ".join(result.get("languages") or [])}'
    return action


@dataclass
class ConsoleServer:
    site: Site
    accounts: Accounts
    send: Send
    reports_dir: Path | None = None
    clock: Callable[[], float] = time.time
    #: how long the console waits for the hub's answer to an action
    answer_s: float = 5.0
    board: Board | None = None
    sessions: Sessions | None = None
    login_limit: LoginLimit | None = None
    sockets: set = field(default_factory=set)
    #: what the console refused or did, by kind (the log's and the tests' figures)
    counts: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self.board = self.board or Board(self.site.site.id)
        self.sessions = self.sessions or Sessions(self.clock)
        self.login_limit = self.login_limit or LoginLimit(self.clock)
        self.files = {name: (STATIC / name).read_bytes() for name in ("console.js", "console.css")}
        self._push_pending = False
        self._ticker: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------ the feed (the loop's thread)
    def feed(self, topic: str, payload) -> None:
        if self.board.update(topic, payload, self.clock()) and not self._push_pending:
            self._push_pending = True
            asyncio.get_running_loop().call_later(PUSH_DELAY_S, self.push_all)

    def view(self, lang: str):
        return console_view(self.board, self.site, self.clock(), lang)

    def live(self, lang: str) -> str:
        return live_html(self.view(lang), lang, self.site, self.clock())

    def push_all(self) -> None:
        self._push_pending = False
        worded: dict[str, str] = {}
        for socket in list(self.sockets):
            if self.sessions.get(socket.token, touch=False) is None:
                asyncio.ensure_future(self._close(socket, "session over"))
                continue
            text = worded.get(socket.lang) or worded.setdefault(socket.lang, self.live(socket.lang))
            if text != socket.sent and not socket.ws.closed:
                socket.sent = text
                self.counts["pushes"] += 1
                asyncio.ensure_future(self._send(socket, json.dumps({"live": text})))

    def tick(self) -> None:
        self.sessions.sweep()
        self.push_all()
        self._ticker = asyncio.get_running_loop().call_later(TICK_S, self.tick)

    async def _send(self, socket: Socket, text: str) -> None:
        try:
            await socket.ws.send_str(text)
        except (ConnectionError, RuntimeError):
            pass

    async def _close(self, socket: Socket, why: str) -> None:
        self.sockets.discard(socket)
        try:
            await socket.ws.send_str(json.dumps({"end": "/login"}))
            await socket.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=why.encode())
        except (ConnectionError, RuntimeError):
            pass

    async def close_sockets(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        for socket in list(self.sockets):
            await socket.ws.close(code=WSCloseCode.GOING_AWAY)

    # ------------------------------------------------------------ helpers
    def _lang(self, request: web.Request) -> str:
        return language_of(request.query.get("lang") or request.cookies.get(LANG_COOKIE),
                           request.headers.get("Accept-Language"))

    def _session(self, request: web.Request, touch: bool = True):
        session = self.sessions.get(request.cookies.get(SESSION_COOKIE), touch)
        if session is not None and not self.accounts.active(session.account):
            self.sessions.end_account(session.account, "revoked")
            return None
        return session

    @staticmethod
    def _cookie(response: web.StreamResponse, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(name, value, path="/", secure=True, httponly=True, samesite="Strict", max_age=max_age)

    @staticmethod
    def _uncookie(response: web.StreamResponse, name: str) -> None:
        """A browser drops a ``__Host-`` cookie only when told with the same flags it was set with."""
        response.del_cookie(name, path="/", secure=True, httponly=True, samesite="Strict")

    def _refuse(self, why: str, status: int, text: str) -> web.Response:
        self.counts[why] += 1
        return web.Response(status=status, text=text)

    def _same_origin(self, request: web.Request, required: bool) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:
            return not required
        return origin == f"{request.scheme}://{request.host}"

    @staticmethod
    def _csrf_ok(expected: str | None, given) -> bool:
        return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())

    @staticmethod
    def _html(text: str, status: int = 200) -> web.Response:
        return web.Response(status=status, text=text, content_type="text/html", charset="utf-8")

    @staticmethod
    def _redirect(location: str) -> web.Response:
        return web.Response(status=303, headers={"Location": location})

    def reports(self) -> list[tuple[str, list[str]]]:
        """The newest report folders and their files (HTML first), newest first."""
        if self.reports_dir is None or not self.reports_dir.is_dir():
            return []
        found = []
        for folder in sorted((p for p in self.reports_dir.iterdir() if p.is_dir() and PERIOD.match(p.name)),
                             key=lambda p: p.name, reverse=True)[:14]:
            names = sorted((f.name for f in folder.iterdir() if f.is_file() and REPORT_FILE.match(f.name)),
                           key=lambda n: (not n.endswith(".html"), n))
            if names:
                found.append((folder.name, names))
        return found

    # ------------------------------------------------------------ login and password
    async def login_page(self, request: web.Request) -> web.Response:
        lang = self._lang(request)
        if self._session(request, touch=False) is not None:
            return self._redirect("/")
        token = secrets.token_urlsafe(32)
        response = self._html(login_html(lang, token))
        self._cookie(response, LOGIN_COOKIE, token, max_age=3600)
        self._remember_lang(request, response)
        return response

    async def login(self, request: web.Request) -> web.Response:
        lang = self._lang(request)
        w = words(lang)
        form = await request.post()
        if not self._csrf_ok(request.cookies.get(LOGIN_COOKIE), form.get("csrf")):
            return self._refuse("csrf", 403, "the login form has expired: reload the page")
        address = request.remote or "?"
        name, password = form.get("name", ""), form.get("password", "")
        if not isinstance(name, str) or not isinstance(password, str):
            return self._refuse("bad_form", 400, "name and password are texts")
        name = name.strip().lower()[:40]
        if not self.login_limit.allow(address):
            self.counts["login_busy"] += 1
            return self._html(login_html(lang, form["csrf"], w["login_busy"], name), 429)
        result = await asyncio.get_running_loop().run_in_executor(None, self.accounts.login, name, password)
        if not result.ok:
            self.counts[f"login_{result.reason}"] += 1
            log.info("console login refused for %r from %s: %s", name, address, result.reason)
            message = w[f"login_{result.reason}"].format(until=time.strftime("%H:%M", time.localtime(result.until or 0)))
            return self._html(login_html(lang, form["csrf"], message, name), 423 if result.reason == "locked" else 401)
        session = self.sessions.new(name, result.must_change)
        self.counts["logins"] += 1
        log.info("console login: %s from %s", name, address)
        response = self._redirect("/password" if result.must_change else "/")
        self._cookie(response, SESSION_COOKIE, session.token)
        self._uncookie(response, LOGIN_COOKIE)
        return response

    async def password_page(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if session is None:
            return self._redirect("/login")
        if not session.must_change:
            return self._redirect("/")
        return self._html(password_html(self._lang(request), session.csrf, session.account))

    async def password(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if session is None:
            return self._refuse("no_session", 401, "log in first")
        form = await request.post()
        if not self._csrf_ok(session.csrf, form.get("csrf")):
            return self._refuse("csrf", 403, "the form has expired: reload the page")
        if not session.must_change:
            return self._redirect("/")
        lang = self._lang(request)
        w = words(lang)
        new, repeat = form.get("new", ""), form.get("repeat", "")
        if not isinstance(new, str) or new != repeat:
            return self._html(password_html(lang, session.csrf, session.account, w["not_same"]), 400)
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.accounts.first_password, session.account, new)
        except AccountError as exc:
            text = str(exc)
            message = w["pw_short"] if "characters" in text else w["login_expired"] if "expired" in text \
                else w["pw_weak"]
            self.counts["password_refused"] += 1
            return self._html(password_html(lang, session.csrf, session.account, message), 400)
        self.sessions.end(session.token, "password")
        fresh = self.sessions.new(session.account, False)  # a new token and CSRF token after the change
        log.info("console: %s chose a password", session.account)
        response = self._redirect("/")
        self._cookie(response, SESSION_COOKIE, fresh.token)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        session = self._session(request, touch=False)
        form = await request.post()
        if session is None or not self._csrf_ok(session.csrf, form.get("csrf")):
            return self._refuse("csrf" if session else "no_session", 403, "not logged out: reload the page")
        self.sessions.end(session.token, "logout")
        response = self._redirect("/login")
        self._uncookie(response, SESSION_COOKIE)
        return response

    def _remember_lang(self, request: web.Request, response: web.Response) -> None:
        if request.query.get("lang") in LANGUAGES:
            self._cookie(response, LANG_COOKIE, request.query["lang"], max_age=365 * 86400)

    # ------------------------------------------------------------ the console
    async def index(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if session is None:
            return self._redirect("/login")
        if session.must_change:
            return self._redirect("/password")
        lang = self._lang(request)
        flash, session.flash = session.flash, None
        response = self._html(console_html(self.site, lang, session.csrf, session.account, self.live(lang),
                                           self.reports(), flash))
        self._remember_lang(request, response)
        return response

    async def state(self, request: web.Request) -> web.Response:
        session = self._session(request, touch=False)
        if session is None or session.must_change:
            return self._refuse("no_session", 401, "log in first")
        return web.json_response(asdict(self.view(self._lang(request))))

    async def socket(self, request: web.Request) -> web.StreamResponse:
        session = self._session(request, touch=False)
        if session is None or session.must_change:
            return self._refuse("no_session", 401, "log in first")
        if not self._same_origin(request, required=True):
            return self._refuse("origin", 403, "not from the console's own page")
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=64)
        socket = Socket(ws, session.token, self._lang(request))
        await ws.prepare(request)
        self.sockets.add(socket)
        try:
            socket.sent = self.live(socket.lang)
            await ws.send_str(json.dumps({"live": socket.sent}))
            async for message in ws:
                if message.type != WSMsgType.TEXT or message.data != "sync":
                    self.counts["bad_socket_message"] += 1
                    break
                socket.sent = None
                self.push_all()
        finally:
            self.sockets.discard(socket)
        return ws

    async def action(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        wants_json = "application/json" in request.headers.get("Accept", "")
        session = self._session(request)
        if session is None or session.must_change:
            return self._refuse("no_session", 401, "log in first")
        form = await request.post()
        if not self._csrf_ok(session.csrf, form.get("csrf")):
            return self._refuse("csrf", 403, "the form has expired: reload the page")
        lang = self._lang(request)
        w = words(lang)
        if name not in ACTIONS:
            return self._refuse("bad_action", 404, "not found")
        try:
            fields = action_fields(name, form, session.account)
        except FormError as exc:
            self.counts["bad_form"] += 1
            return self._answer(session, wants_json, False, w["bad_form"].format(why=str(exc)), 400)
        try:
            reply = await asyncio.wait_for(self.send(name, fields), self.answer_s)
        except Exception as exc:  # the link is down, the hub does not answer: nothing was applied
            log.warning("console: %s by %s: no answer (%s)", name, session.account, exc)
            self.counts["no_answer"] += 1
            return self._answer(session, wants_json, False, w["no_answer_hub"], 504)
        if not reply.get("ok"):
            error = reply.get("error") or {}
            self.counts["refused"] += 1
            log.info("console: %s by %s refused: %s", name, session.account, error.get("code"))
            return self._answer(session, wants_json, False,
                                w["refused"].format(why=reason_text(lang, error.get("code"), error.get("message"))),
                                409)
        self.counts[f"done_{name}"] += 1
        log.info("console: %s by %s: %s", name, session.account, describe(name, reply.get("result") or {}, fields))
        return self._answer(session, wants_json, True,
                            w["done"].format(what=describe(name, reply.get("result") or {}, fields)), 200)

    def _answer(self, session, wants_json: bool, ok: bool, message: str, status: int) -> web.Response:
        if wants_json:
            return web.json_response({"ok": ok, "message": message}, status=status)
        session.flash = message  # a browser without the script: back to the console, the result shown there
        return self._redirect("/")

    async def report(self, request: web.Request) -> web.StreamResponse:
        session = self._session(request)
        if session is None or session.must_change:
            return self._refuse("no_session", 401, "log in first")
        period, name = request.match_info["period"], request.match_info["file"]
        if self.reports_dir is None or not PERIOD.match(period) or not REPORT_FILE.match(name):
            return self._refuse("bad_report", 404, "not found")
        path = (self.reports_dir / period / name)
        if not path.is_file() or path.resolve().parent != (self.reports_dir / period).resolve():
            return self._refuse("bad_report", 404, "not found")
        # the hub audits the download (report_downloaded) before the file leaves: no answer, no file
        lang = self._lang(request)
        w = words(lang)
        try:
            reply = await asyncio.wait_for(self.send("report_downloaded",
                                                     {"period": period, "file": name, "staff": session.account}),
                                           self.answer_s)
        except Exception as exc:  # the link is down, the hub does not answer
            log.warning("console: report %s/%s for %s: not recorded (%s)", period, name, session.account, exc)
            self.counts["no_answer"] += 1
            return web.Response(status=503, text=w["report_unrecorded"], content_type="text/plain")
        if not reply.get("ok"):
            self.counts["refused"] += 1
            error = reply.get("error") or {}
            return web.Response(status=409, content_type="text/plain", text=w["refused"].format(
                why=reason_text(lang, error.get("code"), error.get("message"))))
        log.info("console: %s downloaded the report %s/%s", session.account, period, name)
        self.counts["reports"] += 1
        return web.Response(body=path.read_bytes(), content_type=REPORT_TYPES[name.rsplit(".", 1)[1]],
                            headers={"Content-Disposition": f'attachment; filename="{period}-{name}"'})

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.files:
            raise web.HTTPNotFound(text="not found")
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return web.Response(body=self.files[name], content_type=kind, charset="utf-8")

    # ------------------------------------------------------------ the app
    @web.middleware
    async def guard(self, request: web.Request, handler):
        """A POST from another origin is refused before anything reads it; every answer (errors
        included) gets the headers."""
        if request.method == "POST" and not self._same_origin(request, required=False):
            response = self._refuse("origin", 403, "not from the console's own page")
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                if exc.status == 404:
                    self.counts["not_found"] += 1
                response = web.Response(status=exc.status, text="not found" if exc.status == 404 else exc.reason)
            except ValueError:  # a body aiohttp cannot read as a form
                response = self._refuse("bad_form", 400, "not a form")
        if not response.prepared:
            response.headers.update(HEADERS)
        return response

    async def _start_ticking(self, app) -> None:
        self._ticker = asyncio.get_running_loop().call_later(TICK_S, self.tick)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.guard], client_max_size=16 * 1024)
        app.router.add_get("/", self.index)
        app.router.add_get("/login", self.login_page)
        app.router.add_post("/login", self.login)
        app.router.add_get("/password", self.password_page)
        app.router.add_post("/password", self.password)
        app.router.add_post("/logout", self.logout)
        app.router.add_get("/state", self.state)
        app.router.add_get("/ws", self.socket)
        app.router.add_post("/action/{name}", self.action)
        app.router.add_get("/reports/{period}/{file}", self.report)
        app.router.add_get("/static/{name}", self.static)
        app.on_startup.append(self._start_ticking)
        return app
