"""The console's HTML, worded in the staff member's language (pure: view and words in, text out).

Everything the server sends is made here and escaped here (``html.escape`` on every value, the
site's texts and a ticker message included), so the page's script only puts the server's
fragments in place: it builds no markup and holds no words.  The live part (``live_html``) is sent
again over the WebSocket whenever the view changes; the forms (``actions_html``) are drawn once,
so a person typing is never interrupted by a push.

Accessibility (WCAG 2.1 AA): one ``h1``, a section per part with its ``h2``, tables with ``caption``
and ``th scope``, every field with a ``label``, states written in words (never colour alone), the
results of actions in a ``role=status`` region, a skip link, the page's ``lang``; the colours are
chosen in ``static/console.css`` for 4.5:1 contrast or more (a test computes it).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from siteconf.schema import Site
from typeset.i18n import pick

from .texts import LANGUAGES, words
from .view import ConsoleView, SERVICE_STATES

ACTIONS = ("service_state", "ticker_message", "call_ticket", "void_tickets", "counter_languages")


def e(value) -> str:
    return html.escape(str(value), quote=True)


def _head(lang: str, title: str) -> str:
    return (f'<!doctype html><html lang="{lang}" dir="ltr"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<title>{e(title)}</title><link rel="stylesheet" href="/static/console.css"></head>')


def _language_links(lang: str, path: str) -> str:
    links = "".join(f'<a href="{path}?lang={code}" lang="{code}" hreflang="{code}"'
                    + (' aria-current="true"' if code == lang else "") + f">{e(name)}</a>"
                    for code, name in LANGUAGES.items())
    return f'<nav class="langs" aria-label="{e(words(lang)["language"])}">{links}</nav>'


def login_html(lang: str, csrf: str, message: str | None = None, name: str = "") -> str:
    w = words(lang)
    error = f'<p class="error" role="alert" id="login-error">{e(message)}</p>' if message else ""
    described = ' aria-describedby="login-error"' if message else ""
    return (_head(lang, w["title"]) + '<body class="narrow"><main>' + _language_links(lang, "/login")
            + f'<h1>{e(w["title"])}</h1>{error}'
            f'<form method="post" action="/login" class="stack">'
            f'<input type="hidden" name="csrf" value="{e(csrf)}">'
            f'<label for="name">{e(w["name"])}</label>'
            f'<input id="name" name="name" autocomplete="username" autocapitalize="none" spellcheck="false" '
            f'required maxlength="40" value="{e(name)}"{described}>'
            f'<label for="password">{e(w["password"])}</label>'
            f'<input id="password" name="password" type="password" autocomplete="current-password" required '
            f'maxlength="200"{described}>'
            f'<button type="submit">{e(w["login"])}</button></form></main></body></html>')


def password_html(lang: str, csrf: str, name: str, message: str | None = None) -> str:
    w = words(lang)
    error = f'<p class="error" role="alert" id="pw-error">{e(message)}</p>' if message else ""
    return (_head(lang, w["choose_title"]) + '<body class="narrow"><main>' + _language_links(lang, "/password")
            + f'<h1>{e(w["choose_title"])}</h1><p>{e(w["signed_in_as"].format(name=name))}</p>'
            f'<p id="pw-help">{e(w["choose_help"])}</p>{error}'
            f'<form method="post" action="/password" class="stack">'
            f'<input type="hidden" name="csrf" value="{e(csrf)}">'
            f'<input type="text" name="username" value="{e(name)}" autocomplete="username" hidden>'
            f'<label for="new">{e(w["new_password"])}</label>'
            f'<input id="new" name="new" type="password" autocomplete="new-password" required minlength="12" '
            f'maxlength="200" aria-describedby="pw-help">'
            f'<label for="repeat">{e(w["repeat_password"])}</label>'
            f'<input id="repeat" name="repeat" type="password" autocomplete="new-password" required minlength="12" '
            f'maxlength="200"><button type="submit">{e(w["save"])}</button></form>'
            + _logout(lang, csrf) + '</main></body></html>')


def _logout(lang: str, csrf: str) -> str:
    return (f'<form method="post" action="/logout" class="logout"><input type="hidden" name="csrf" value="{e(csrf)}">'
            f'<button type="submit" class="quiet">{e(words(lang)["logout"])}</button></form>')


def _clock(seconds: float | None, zone: ZoneInfo, now: float, w: Mapping[str, str]) -> str:
    """When a device was last heard of, as the site's local time (the day is today's, or near it)."""
    if seconds is None:
        return w["never"]
    if now - seconds < 60:
        return w["now"]
    return datetime.fromtimestamp(seconds, zone).strftime("%H:%M")


def _minutes(value, w) -> str:
    return w["none"] if value is None else w["min"].format(n=round(value) if isinstance(value, float) else value)


def _state(value: str, w) -> str:
    return f'<span class="state state-{e(value)}">{e(w.get(value, value))}</span>'


def _table(caption: str, heads: Iterable[str], rows: Iterable[Iterable[str]], ident: str) -> str:
    """A table with its caption and scoped headers; each cell also carries its column's name
    (``data-label``), which a phone's narrow layout shows before the value, row by row."""
    heads = list(heads)
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in heads)
    body = "".join("<tr>" + "".join(f'<th scope="row">{cells[0]}</th>' if i == 0
                                    else f'<td data-label="{e(heads[i])}">{c}</td>'
                                    for i, c in enumerate(cells)) + "</tr>"
                   for cells in (list(r) for r in rows))
    return (f'<section aria-labelledby="{ident}-h"><h2 id="{ident}-h">{e(caption)}</h2><div class="scroll">'
            f'<table id="{ident}"><caption class="sr">{e(caption)}</caption><thead><tr>{head}</tr></thead>'
            f'<tbody>{body}</tbody></table></div></section>')


def live_html(view: ConsoleView, lang: str, site: Site, now: float) -> str:
    """The parts the WebSocket replaces: the hub's state, the summary, today's figures, the queues,
    the counters, the devices."""
    w = words(lang)
    zone = ZoneInfo(site.site.timezone)
    parts = []
    if not view.hub_online:
        parts.append(f'<p class="warn" role="alert">{e(w["hub_offline"])}</p>')
    parts.append(f'<p class="summary" id="summary">{e(w["summary"].format(waiting=view.waiting_total, problems=view.problems))}</p>')
    figures = "".join(f'<div><dt>{e(w[k])}</dt><dd>{e(_minutes(v, w) if k.endswith("_min") else int(v))}</dd></div>'
                      for k, v in view.figures.items())
    tickers = "".join(f'<li><span class="sr">{e(w["zone"])} </span>{e(pick(z.name, lang, site.site.default_language))}: '
                      f'{e(text)}</li>' for z in site.zones for zid, text in view.tickers if zid == z.id)
    parts.append(f'<section aria-labelledby="figures-h"><h2 id="figures-h">{e(w["figures"])}</h2>'
                 f'<dl class="figures" id="figures">{figures or e(w["none"])}</dl>'
                 + (f'<h3>{e(w["ticker_now"])}</h3><ul id="tickers">{tickers}</ul>' if tickers else "") + '</section>')
    parts.append(_table(w["queues"], (w["service"], w["state"], w["waiting"], w["longest"], w["estimate"],
                                      w["counters_open"]),
                        ([f'{e(q.prefix)} · {e(q.name)}',
                          _state(q.state, w) + (f'<br><small>{e(q.state_reason)}</small>'
                                                if q.state_reason and q.state != "open" else ""),
                          e(w["none"] if q.waiting is None else q.waiting)
                          + (f' <small>({e(q.waiting_priority)} {e(w["priority"])})</small>' if q.waiting_priority else ""),
                          e(_minutes(q.longest_wait_min, w)),
                          e(w["range"].format(low=q.estimate[0], high=q.estimate[1]) if q.estimate else w["none"]),
                          e(w["none"] if q.open_counters is None else q.open_counters)]
                         for q in view.queues), "queues"))
    parts.append(_table(w["counters"], (w["counter"], w["state"], w["serving"], w["for"], w["waiting"], w["languages"]),
                        ([f'{e(c.number)} · {e(c.name)}', _state(c.status, w),
                          e(c.serving or w["none"]) + (f' <small lang="{e(c.serving_language)}">{e(c.serving_language)}</small>'
                                                       if c.serving_language else ""),
                          e(_minutes(c.serving_min, w) if c.serving else w["none"]),
                          e(w["none"] if c.waiting is None else c.waiting),
                          e(", ".join(c.languages) or w["none"]) + (f' <small>({e(w["today"])})</small>'
                                                                    if c.languages_of_day else "")]
                         for c in view.counters), "counters"))
    parts.append(_table(w["devices"], (w["device"], w["kind"], w["connection"], w["printer"], w["scanner"], w["last_seen"]),
                        ([e(d.device), e(w.get(f"role_{d.role}", d.role)),
                          _state("online" if d.online else "offline" if d.online is False else "never_seen", w),
                          _state(d.printer, w) if d.printer else e(w["none"]),
                          _state(d.scanner, w) if d.scanner else e(w["none"]),
                          e(_clock(d.last_seen, zone, now, w))]
                         for d in sorted(view.devices, key=lambda d: not d.problems)), "devices"))
    return "".join(parts)


def _field(ident: str, label: str, control: str) -> str:
    return f'<label for="{ident}">{e(label)}</label>{control}'


def _select(ident: str, name: str, options: Iterable[tuple[str, str]], required: bool = True) -> str:
    opts = "".join(f'<option value="{e(v)}">{e(t)}</option>' for v, t in options)
    return f'<select id="{ident}" name="{name}"{" required" if required else ""}>{opts}</select>'


def _reason(ident: str, w, public: bool = False) -> str:
    """A reason field; ``public``: the hub shows it to the public, and the field says so."""
    hint = f'<small id="{ident}-hint">{e(w["public"])}</small>' if public else ""
    described = f' aria-describedby="{ident}-hint"' if public else ""
    return _field(ident, w["reason"], f'<input id="{ident}" name="reason" required minlength="3" maxlength="200"'
                                      f'{described}>{hint}')


def _form(action: str, csrf: str, title: str, body: str, button: str) -> str:
    return (f'<form method="post" action="/action/{action}" class="action stack" aria-labelledby="{action}-h">'
            f'<h3 id="{action}-h">{e(title)}</h3><input type="hidden" name="csrf" value="{e(csrf)}">'
            f'{body}<button type="submit">{e(button)}</button></form>')


def actions_html(site: Site, lang: str, csrf: str, reports: list[tuple[str, list[str]]]) -> str:
    w = words(lang)
    d = site.site.default_language
    services = [(s.id, f"{s.prefix} · {pick(s.name, lang, d)}") for s in site.services]
    counters = [(c.id, f"{c.number} · {pick(c.name, lang, d)}") for c in site.counters]
    zones = [("", w["every_zone"])] + [(z.id, pick(z.name, lang, d)) for z in site.zones]
    forms = [
        _form("service_state", csrf, w["a_service_state"],
              _field("ss-service", w["service"], _select("ss-service", "service", services))
              + _field("ss-status", w["new_state"], _select("ss-status", "status", ((s, w[s]) for s in SERVICE_STATES)))
              + _reason("ss-reason", w, public=True), w["do_service_state"]),
        _form("ticker_message", csrf, w["a_ticker"],
              _field("tk-text", w["ticker_text"], '<input id="tk-text" name="text" maxlength="200" '
                     f'aria-describedby="tk-hint"><small id="tk-hint">{e(w["public"])}</small>')
              + _field("tk-zone", w["zone"], _select("tk-zone", "zone", zones, required=False)), w["do_ticker"]),
        _form("call_ticket", csrf, w["a_call"],
              _field("ct-code", w["code"], '<input id="ct-code" name="code" required maxlength="7" '
                                           'autocapitalize="characters" spellcheck="false">')
              + _field("ct-counter", w["counter"], _select("ct-counter", "counter", counters)), w["do_call"]),
        _form("void_tickets", csrf, w["a_void"],
              _field("vt-codes", w["codes"], '<input id="vt-codes" name="codes" required maxlength="400" '
                                             'autocapitalize="characters" spellcheck="false">')
              + _reason("vt-reason", w), w["do_void"]),
        _form("counter_languages", csrf, w["a_languages"],
              _field("cl-counter", w["counter"], _select("cl-counter", "counter", counters))
              + _field("cl-languages", w["languages_list"], '<input id="cl-languages" name="languages" maxlength="200" '
                                                            'autocapitalize="none" spellcheck="false">')
              + _reason("cl-reason", w), w["do_languages"]),
    ]
    if reports:
        items = "".join(f'<li>{e(period)}: ' + " · ".join(
            f'<a href="/reports/{e(period)}/{e(name)}" download>{e(name)}</a>' for name in names) + "</li>"
            for period, names in reports)
        report_part = f'<ul id="reports">{items}</ul>'
    else:
        report_part = f'<p>{e(w["no_reports"])}</p>'
    return (f'<section id="actions" aria-labelledby="actions-h" tabindex="-1"><h2 id="actions-h">{e(w["actions"])}</h2>'
            + "".join(forms)
            + f'<section aria-labelledby="reports-h"><h3 id="reports-h">{e(w["reports"])}</h3>{report_part}</section>'
            + "</section>")


def console_html(site: Site, lang: str, csrf: str, account: str, live: str,
                 reports: list[tuple[str, list[str]]], flash: str | None = None) -> str:
    w = words(lang)
    return (_head(lang, f'{w["title"]} · {site.site.name}')
            + f'<body><a class="skip" href="#actions">{e(w["skip"])}</a>'
            f'<header><h1>{e(w["title"])} · {e(site.site.name)}</h1>'
            f'<p>{e(w["signed_in_as"].format(name=account))}</p>' + _language_links(lang, "/")
            + _logout(lang, csrf) + '</header>'
            f'<p id="result" role="status" aria-live="polite">{e(flash or "")}</p>'
            f'<p id="connection" class="warn" role="alert" data-text="{e(w["live_off"])}" hidden></p>'
            f'<main><div id="live">{live}</div>{actions_html(site, lang, csrf, reports)}</main>'
            '<script src="/static/console.js"></script></body></html>')
