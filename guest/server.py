"""The page server: ``/t/<ref>`` for the visitors' phones, pushed over a WebSocket (aiohttp).

Routes (anything else is a plain 404):

* ``GET /t/<ref>``: the page (the same bytes for every ref: it asks for its ticket itself);
* ``GET /t/<ref>/ws``: a WebSocket: the ticket's view worded in the page's language at once and
  after every change of it; the page sends ``sync`` (it became visible again) or ``lang:<xx>``;
* ``GET /t/<ref>/state``: the same view once, as JSON (for a page whose socket is down, tests);
* ``GET /static/page.js``, ``/static/page.css``.

Every answer carries ``Referrer-Policy: no-referrer`` (the ref in the URL never leaves in a
Referer), ``Cache-Control: no-store`` (no ref in a shared phone's cache) and a CSP that lets
the page load nothing but its own two files and open its own socket.  Lookups go through
``guest.limits.IpLimits``; a lookup refused for guessing looks the same for a right and a
wrong ref.  The board is changed only on the event loop's thread (``feed``).
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from aiohttp import WSCloseCode, WSMsgType, web

from contract.guest import normal_ref, opaque_id

from .board import NOTHING, Board
from .limits import IpLimits
from .texts import LANGUAGES, language_menu, language_of, page_texts, render

log = logging.getLogger("guest")

STATIC = Path(__file__).with_name("static")
HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                                "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
}
#: a phone's message on its socket is "sync" or "lang:xx": anything longer is not the page
MAX_MESSAGE = 16


def page_html() -> str:
    """The page: its language switch (each language named in itself) and empty places the script fills."""
    buttons = "".join(f'<button type="button" data-lang="{code}" lang="{code}">{html.escape(name)}</button>'
                      for code, name in language_menu())
    offline = html.escape(page_texts("pt")["offline"] + " / " + page_texts("en")["offline"])
    return ('<!doctype html><html lang="pt" dir="ltr"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            '<meta name="referrer" content="no-referrer"><title>…</title>'
            '<link rel="stylesheet" href="/static/page.css"></head><body>'
            f'<nav id="langs">{buttons}</nav><main>'
            '<p id="title" hidden></p><p id="code" class="code" hidden></p><p id="service" hidden></p>'
            '<p id="ahead" hidden></p><p id="wait" hidden></p><p id="alert" class="alert" role="alert" hidden></p>'
            f'<p id="none" hidden></p><p id="offline" data-text="{offline}" hidden></p>'
            '<button id="sound" type="button" hidden></button><p id="keep" hidden></p></main>'
            '<div id="banner" role="alert" hidden><p id="banner-text"></p><p id="banner-code"></p></div>'
            '<script src="/static/page.js"></script></body></html>')


@dataclass(eq=False)
class Page:
    """One open socket: its ticket, language and what it was last sent."""

    socket: web.WebSocketResponse
    ip: str
    opaque: str | None
    asked: str | None
    accept: str | None
    #: the view and language it was last sent (nothing is sent again while they stay the same)
    seen: tuple | None = None


@dataclass
class GuestServer:
    key: bytes
    board: Board = field(default_factory=Board)
    clock: Callable[[], float] = time.monotonic
    limits: IpLimits | None = None
    pages: set = field(default_factory=set)
    #: the open pages of each ticket (by opaque id): a feed message looks only at its tickets' pages
    by_ticket: dict = field(default_factory=dict)
    #: the hub's retained presence (until the first one arrives: up, as its retained feed says)
    hub_online: bool = True
    #: counts for the log and the tests: pages served, lookups, pushes, bad paths
    counts: dict = field(default_factory=lambda: {"pages": 0, "lookups": 0, "pushes": 0, "not_found": 0})

    def __post_init__(self):
        self.limits = self.limits or IpLimits(self.clock)
        self.files = {"page": page_html().encode(), "page.js": (STATIC / "page.js").read_bytes(),
                      "page.css": (STATIC / "page.css").read_bytes()}

    # ------------------------------------------------------------ the feed
    def feed(self, service: str, payload) -> None:
        """A service's new guest message (on the loop's thread): the pages of the tickets it had or
        has are looked at again (a new day: every page), and each is sent its view only if that
        changed.  Measured with 1,000 pages (bench/guest_bench.py): looking at every page and
        wording each again took the page server 25.7 s of CPU over 400 issues and calls and put
        the call's p95 at 697 ms; see docs/performance.md for the figures this way."""
        old = self.board.feeds.get(service)
        day = self.board.today()
        if not self.board.update(service, payload):
            return
        if self.board.today() != day:
            touched = list(self.pages)
        else:
            ids = {e["id"] for f in (old, self.board.feeds.get(service)) if f for e in f["waiting"] + f["called"]}
            touched = [page for oid in ids for page in self.by_ticket.get(oid, ())]
        worded: dict = {}  # the phones of one ticket in one language get the same words
        for page in touched:
            self._push(page, worded)

    def hub_presence(self, payload) -> None:
        """``presence/hub`` (on the loop's thread): every page says whether the hub is up."""
        online = isinstance(payload, dict) and payload.get("online") is True
        if online != self.hub_online:
            self.hub_online = online
            worded: dict = {}
            for page in list(self.pages):
                self._push(page, worded)

    def _push(self, page: Page, worded: dict | None = None) -> None:
        view = self.board.view(page.opaque) if page.opaque else NOTHING
        lang = language_of(page.asked, view.get("language"), page.accept)
        if (view, lang, self.hub_online) == page.seen or page.socket.closed:
            return
        page.seen = (view, lang, self.hub_online)
        key = (page.opaque, lang)
        text = worded.get(key) if worded is not None else None
        if text is None:
            text = json.dumps(render(view, lang, self.hub_online), ensure_ascii=False)
            if worded is not None:
                worded[key] = text
        self.counts["pushes"] += 1
        asyncio.ensure_future(self._send(page, text))

    async def _send(self, page: Page, text: str) -> None:
        try:
            await page.socket.send_str(text)
        except (ConnectionError, RuntimeError):  # the phone went away meanwhile
            pass

    def _worded(self, page: Page) -> str:
        view = self.board.view(page.opaque) if page.opaque else NOTHING
        lang = language_of(page.asked, view.get("language"), page.accept)
        return json.dumps(render(view, lang, self.hub_online), ensure_ascii=False)

    def _add(self, page: Page) -> None:
        self.pages.add(page)
        if page.opaque:
            self.by_ticket.setdefault(page.opaque, set()).add(page)

    def _drop(self, page: Page) -> None:
        self.pages.discard(page)
        if page.opaque and page.opaque in self.by_ticket:
            self.by_ticket[page.opaque].discard(page)
            if not self.by_ticket[page.opaque]:
                del self.by_ticket[page.opaque]

    async def close_pages(self) -> None:
        """Close every open socket (at stop: the phones reconnect to the next server)."""
        for page in list(self.pages):
            await page.socket.close(code=WSCloseCode.GOING_AWAY)

    # ------------------------------------------------------------ lookups
    def _opaque(self, text: str) -> str | None:
        ref = normal_ref(text)
        return opaque_id(self.key, ref) if ref else None

    def _lookup(self, ip: str, ref_text: str) -> str | None | bool:
        """The opaque id the ref names (None: it cannot be a ref), or False (guessing: refused).  A ref
        of no ticket of today costs a miss; its page still follows the id, so a ticket an offline kiosk
        printed appears when the kiosk reconnects."""
        if self.limits.guessing(ip):
            return False
        self.counts["lookups"] += 1
        opaque = self._opaque(ref_text)
        if opaque is None or self.board.view(opaque) is NOTHING:
            self.limits.note_miss(ip)
        return opaque

    @staticmethod
    def _asked(request: web.Request) -> str | None:
        lang = request.query.get("lang")
        return lang if lang in LANGUAGES else None

    def _busy(self, request: web.Request) -> str:
        lang = language_of(self._asked(request), None, request.headers.get("Accept-Language"))
        return json.dumps({"state": "busy", **page_texts(lang)}, ensure_ascii=False)

    # ------------------------------------------------------------ handlers
    async def page(self, request: web.Request) -> web.Response:
        self.counts["pages"] += 1
        return web.Response(body=self.files["page"], content_type="text/html", charset="utf-8")

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in ("page.js", "page.css"):
            raise web.HTTPNotFound(text="not found")
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return web.Response(body=self.files[name], content_type=kind, charset="utf-8")

    async def state(self, request: web.Request) -> web.Response:
        ip = request.remote or "?"
        opaque = self._lookup(ip, request.match_info["ref"])
        if opaque is False:
            return web.Response(status=429, text=self._busy(request), content_type="application/json")
        page = Page(None, ip, opaque, self._asked(request), request.headers.get("Accept-Language"))
        return web.Response(text=self._worded(page), content_type="application/json")

    async def socket(self, request: web.Request) -> web.StreamResponse:
        ip = request.remote or "?"
        opaque = self._lookup(ip, request.match_info["ref"])
        if opaque is False:
            return web.Response(status=429, text=self._busy(request), content_type="application/json")
        if not self.limits.open(ip):
            return web.Response(status=429, text="too many open pages from this address")
        socket = web.WebSocketResponse(heartbeat=30, max_msg_size=1024)
        socket.headers.update(HEADERS)
        page = Page(socket, ip, opaque, self._asked(request), request.headers.get("Accept-Language"))
        try:
            await socket.prepare(request)
            self._add(page)
            self._push(page)
            async for message in socket:
                if message.type != WSMsgType.TEXT or len(message.data) > MAX_MESSAGE \
                        or not self.limits.allow_request(ip):
                    break
                if message.data.startswith("lang:") and message.data[5:] in LANGUAGES:
                    page.asked = message.data[5:]
                page.seen = None  # "sync" and a new language: send the view again even if unchanged
                self._push(page)
        finally:
            self._drop(page)
            self.limits.close(ip)
        return socket

    # ------------------------------------------------------------ the app
    @web.middleware
    async def guard(self, request: web.Request, handler):
        """Per-IP request limit (the two static files, the same bytes for every phone, are free: a page
        is then two requests, itself and its socket), then the headers on every answer (errors included)."""
        if not request.path.startswith("/static/") and not self.limits.allow_request(request.remote or "?"):
            response = web.Response(status=429, text="too many requests")
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                if exc.status == 404:
                    self.counts["not_found"] += 1
                response = web.Response(status=exc.status, text="not found" if exc.status == 404 else exc.reason)
        if not response.prepared:
            response.headers.update(HEADERS)
        return response

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.guard], client_max_size=4096)
        app.router.add_get("/t/{ref}", self.page)
        app.router.add_get("/t/{ref}/ws", self.socket)
        app.router.add_get("/t/{ref}/state", self.state)
        app.router.add_get("/static/{name}", self.static)
        return app
