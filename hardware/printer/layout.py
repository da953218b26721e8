"""What goes on a ticket, independent of how it is drawn.

``ticket_layout`` turns the hub's ``issue_ticket`` reply (a ``TicketView``
dict), the site's public config and the visitor's language into a
``TicketLayout``: a short list of blocks (text with a style, a QR code, a
rule).  The ESC/POS writer (``escpos_writer``) prints it and the PNG renderer
(``render``) draws the same blocks, so what a test looks at is what the
printer gets, and the layout itself is testable without either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Mapping, Union

from contract.qr import TicketQR, grouped
from contract.payloads import wait_range
from typeset.i18n import pick
from typeset.scripts import is_rtl_language

from .i18n import translations

#: title: the site name; heading: the service; code: the ticket code (the biggest thing);
#: body: normal lines; small: the hint and the privacy line
Style = Literal["title", "heading", "code", "body", "small"]


@dataclass(frozen=True)
class Text:
    text: str
    style: Style = "body"
    #: the language the text is in: its direction and letter forms (None: from the text)
    language: str | None = None

    @property
    def rtl(self) -> bool | None:
        """Right to left (Arabic), left to right, or None to decide from the text itself."""
        return is_rtl_language(self.language) if self.language else None


@dataclass(frozen=True)
class QRCode:
    payload: str


@dataclass(frozen=True)
class Rule:
    """A thin horizontal line between parts of the ticket."""


Block = Union[Text, QRCode, Rule]


@dataclass(frozen=True)
class TicketLayout:
    code: str
    language: str
    qr: str | None
    blocks: tuple[Block, ...] = field(default_factory=tuple)


def _issued(issued_at: str) -> str:
    """The hub's time as printed (site local time, as the hub wrote it; never the device clock)."""
    try:
        return f"{datetime.fromisoformat(issued_at):%d/%m/%Y  %H:%M}"
    except (TypeError, ValueError):
        return str(issued_at)


def _retention_days(info: Mapping) -> int | None:
    """The site's ``retention_days`` (public ``config/site``), or None when it is not a whole number of days."""
    days = info.get("retention_days")
    return days if isinstance(days, int) and not isinstance(days, bool) and days > 0 else None


def _privacy(catalog, retention_days: int | None) -> str:
    """What the hub keeps, exactly: no name or document ever; this ticket's record for the site's
    ``retention_days`` (then only anonymous daily counts).  The number is printed with ASCII digits
    like every number on the ticket.  Without a known period the second sentence is left out rather
    than guessed."""
    kept = catalog.gettext("We keep no name or document.")
    if retention_days is None:
        return kept
    deleted = catalog.ngettext("This ticket's record is deleted after %(n)d day.",
                               "This ticket's record is deleted after %(n)d days.", retention_days)
    return f"{kept} {_with_its_noun(deleted % {'n': retention_days}, retention_days)}"


def _with_its_noun(text: str, number: int) -> str:
    """``text`` with ``number`` and the word after it ("90 days", "90 يومًا", "12–27 min") joined by a
    no-break space, so they never end up on two lines of paper."""
    return text.replace(f"{number} ", f"{number}\u00a0", 1)


def _wait(catalog, ticket: Mapping) -> str:
    """The estimated wait: the hub's range ("about 20–35 min"), "up to 35 min" when it starts at 0
    (the turn may come at any moment), the one number of a hub that sends no range, or "" without
    an estimate.  The same rules as the kiosk's screen (kiosk.views.wait_text)."""
    span = wait_range(ticket)
    if span:
        low, high = span
        text = (catalog.gettext("Estimated wait: up to %(high)d min") % {"high": high} if low == 0 else
                catalog.gettext("Estimated wait: about %(low)d–%(high)d min") % {"low": low, "high": high})
        return _with_its_noun(text, high)
    wait = ticket.get("estimated_wait_min")
    return "" if wait is None else _with_its_noun(catalog.gettext("Estimated wait: about %(min)d min")
                                                  % {"min": wait}, wait)


def _typed_link(qr: str) -> list[Block]:
    """Under a link QR, its host and the ref in groups of four, for a phone without a camera (issue
    16): ``10.99.0.1/t/`` then ``abcd-efgh-ijkl-mnop-qrst-uvwx-yz`` (32 characters: one line of a
    58 mm roll's font A).  Nothing under the older ``OSS1:`` code, which no phone opens."""
    try:
        link = TicketQR.decode(qr)
    except ValueError:
        return []
    if link.host is None:
        return []
    return [Text(f"{link.host}/t/", "small"), Text(grouped(link.ref), "small")]


def ticket_layout(ticket: Mapping, site: Mapping, language: str | None = None) -> TicketLayout:
    """The ticket's layout from the hub's reply and the site's public config (``config/site``).

    ``ticket`` is ``reply["result"]["ticket"]``; ``site`` is the retained ``config.site``
    payload (or ``siteconf.slices.public_config(site)``); ``language`` is the visitor's,
    by default the one the hub stored with the ticket.  Raises ``ValueError`` naming
    what is missing when the reply is not a ticket.
    """
    missing = [key for key in ("code", "service", "issued_at") if not ticket.get(key)]
    if missing:
        raise ValueError(f"not a ticket: the reply has no {', '.join(missing)}")
    info = site.get("site", {})
    default = info.get("default_language", "pt")
    language = language or ticket.get("language") or default
    _ = translations(language)
    local = translations(default)
    service = next((s for s in site.get("services", []) if s.get("id") == ticket["service"]), {})

    blocks: list[Block] = []
    if info.get("name"):
        blocks.append(Text(info["name"], "title", default))
    blocks.append(Rule())
    name_visitor = pick(service.get("name"), language, default) or ticket["service"]
    name_local = pick(service.get("name"), default, default) or ticket["service"]
    blocks.append(Text(name_visitor, "heading", language))
    if name_local != name_visitor:
        blocks.append(Text(name_local, "body", default))
    blocks.append(Text(ticket["code"], "code"))
    if ticket.get("priority"):
        blocks.append(Text(_.gettext("Priority"), "body", language))
    ahead = ticket.get("people_ahead")
    if ahead is not None:
        if ahead == 0:
            blocks.append(Text(_.gettext("You are next"), "body", language))
        else:
            blocks.append(Text(_.ngettext("%(n)d person ahead of you", "%(n)d people ahead of you", ahead)
                               % {"n": ahead}, "body", language))
            wait = _wait(_, ticket)
            if wait:
                blocks.append(Text(wait, "body", language))
    area = pick(service.get("waiting_area"), language, default)
    if area:
        blocks.append(Text(_.gettext("Wait in: %(area)s") % {"area": area}, "body", language))
    if ticket.get("qr"):
        blocks.append(QRCode(ticket["qr"]))
        typed = _typed_link(ticket["qr"])
        hint = (_.gettext("Scan with your phone on the guest Wi-Fi to follow your turn, or open:") if typed else
                _.gettext("Show this code at a kiosk scanner to see your turn."))
        blocks.append(Text(hint, "small", language))
        blocks += typed
    if ticket.get("survey_pin"):  # issue 14: with the code above, it opens the survey at a kiosk after the visit
        blocks.append(Text(_.gettext("Survey PIN: %(pin)s") % {"pin": ticket["survey_pin"]}, "body", language))
    blocks.append(Text(_issued(ticket["issued_at"]), "body"))
    blocks.append(Rule())
    retention = _retention_days(info)
    privacy_visitor = _privacy(_, retention)
    privacy_local = _privacy(local, retention)
    blocks.append(Text(privacy_visitor, "small", language))
    if privacy_local != privacy_visitor:
        blocks.append(Text(privacy_local, "small", default))
    return TicketLayout(code=ticket["code"], language=language, qr=ticket.get("qr"), blocks=tuple(blocks))
