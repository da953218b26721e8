"""The kiosk's screens: each draws part of the visitor's state (kiosk/flow.py).

The static layout of each screen is its kv file (kiosk/kv/<screen>.kv);
the lists (languages, menu cards, information items) are made here from the
site config, the content pack and the flow, and rebuilt only when what they
show changed (``refresh`` compares a key), so a tap redraws little.
"""

from __future__ import annotations

from functools import partial

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from .i18n import _, language_name, ntr, pick, tr
from .sizing import card_grid
from .widgets import LanguageButton, MenuCard, NavButton, PriorityChip, Recycler, redraw_stale


class KioskScreen(Screen):
    """Base: a nav bar (``ids.nav``) refreshed with the screen."""

    _key = None
    _trigger = None

    def on_pre_enter(self, *args):
        redraw_stale(self)

    def layout_changed(self, *_):
        """A grid got its real size: lay the cards out again on the next frame."""
        if self._trigger is None:
            self._trigger = Clock.create_trigger(lambda _dt: self.manager and self.manager.current_screen is self
                                                 and self.refresh(App.get_running_app()))
        self._trigger()

    def refresh(self, app) -> None:
        key = self.key(app)
        if key != self._key:
            self._key = key
            self.rebuild(app)
        self.fill_nav(app)

    def key(self, app):
        return None

    def rebuild(self, app) -> None:
        pass

    # ------------------------------------------------------------ navigation bar
    def nav_items(self, app) -> list[tuple[str, str, str]]:
        """(action, icon, label) of the nav bar's buttons on this screen."""
        return []

    def fill_nav(self, app) -> None:
        nav = self.ids.get("nav")
        if nav is None:
            return
        items = self.nav_items(app)
        items += [("large_text", "large_text", tr(app.lang, "Large text")),
                  ("low_layout", "low_layout", tr(app.lang, "Lower buttons"))]
        key = (tuple(items), app.large_text, app.low_layout, app.lang)
        if getattr(nav, "_key", None) == key:
            return
        nav._key = key
        recycler = Recycler(nav)
        for action, icon, label in items:
            selected = (action == "large_text" and app.large_text) or (action == "low_layout" and app.low_layout)
            nav.add_widget(recycler.take(partial(NavButton, action=action, icon=icon, label=label,
                                                 selected=selected, on_release=app.on_nav)))

    def common_nav(self, app, back: bool = True, home: bool = True, language: bool = True) -> list:
        items = []
        if back:
            items.append(("back", "back_rtl" if app.rtl else "back", tr(app.lang, "Back")))
        if home:
            items.append(("home", "home_screen", tr(app.lang, "Start again")))
        if language:
            items.append(("language", "language", tr(app.lang, "Language")))
        return items

    def survey_nav(self, app) -> list:
        return [("survey", "survey", tr(app.lang, "Your opinion"))] if app.flow.offers_survey else []


class StartScreen(KioskScreen):
    """Languages as their own names, no flags; the accessibility toggles are already here."""

    def key(self, app):
        grid = self.ids.languages
        return tuple(app.languages), grid.page, app.large_text, app.low_layout, round(grid.width), round(grid.height)

    def rebuild(self, app) -> None:
        grid = self.ids.languages
        geometry = card_grid(grid.width, grid.height, app.sizes, min_card_mm=28, max_cols=5, hints=False,
                             count=len(app.languages))
        fit = max(len(language_name(code)) for code in app.languages)
        grid.show(app, [partial(LanguageButton, code=code, label=language_name(code), fit_chars=fit,
                                on_release=app.on_language) for code in app.languages], geometry, stretch=True)
        self.ids.choose.source_text = tr(app.default_language, "Touch your language")
        english = tr("en", "Touch your language")
        self.ids.choose_en.source_text = english if english != self.ids.choose.source_text else ""


class MenuScreen(KioskScreen):
    """Matters, then offices: a tap on an office (or "I don't know") asks for the ticket.

    The priority pictograms are a row above the nav bar; in the low layout on a
    short panel there is no room for that row in the lower half, so a
    "Priority service" card opens the pictograms in the card grid instead."""

    compact = BooleanProperty(False)
    choosing_priority = BooleanProperty(False)

    def key(self, app):
        grid = self.ids.cards
        return (app.lang, app.flow.state.path, grid.page, app.large_text, app.low_layout, self.compact,
                self.choosing_priority, app.flow.state.priority if self.compact else None,
                round(grid.width), round(grid.height), app.config_rev)

    def on_leave(self, *args):
        self.ids.cards.page = 0
        self.choosing_priority = False

    def rebuild(self, app) -> None:
        flow = app.flow
        grid = self.ids.cards
        if getattr(self, "_path", None) != flow.state.path:
            self._path = flow.state.path
            grid.page = 0
        geometry = card_grid(grid.width, grid.height, app.sizes)
        if self.compact and self.choosing_priority:  # the four pictograms and "Back" on one page
            geometry = card_grid(grid.width, grid.height, app.sizes, min_card_mm=25, max_cols=5, hints=False,
                                 count=len(flow.config.priority_categories) + 1)
        lang, default = app.lang, app.default_language
        labels = {"pregnancy": tr(lang, "Pregnant"), "infant": tr(lang, "With a baby"),
                  "disability": tr(lang, "Disability"), "elderly": tr(lang, "Older person")}
        if self.compact and self.choosing_priority:
            cards = [partial(MenuCard, action="priority", value=category, icon=category, label=labels[category],
                             hint="", show_hint=False, selected=flow.state.priority == category,
                             on_release=self.chose_priority) for category in flow.config.priority_categories]
            done = partial(MenuCard, action="priority_done", kind="quiet", icon="back_rtl" if app.rtl else "back",
                           label=tr(lang, "Back"), hint="", show_hint=False, on_release=self.chose_priority)
            grid.show(app, cards, geometry, tail=[done])
        else:
            cards = [partial(MenuCard, value=entry["id"], action="entry", icon=entry.get("icon", ""),
                             label=pick(entry["label"], lang, default), hint=pick(entry.get("hint"), lang, default),
                             show_hint=geometry.show_hints, on_release=app.on_menu_card)
                     for entry in flow.entries()]
            tail = [partial(MenuCard, action="unsure", icon="unsure", kind="primary", label=tr(lang, "I don't know"),
                            hint=tr(lang, "We will help you find the right office"), show_hint=geometry.show_hints,
                            on_release=app.on_menu_card)]
            if self.compact:
                tail.insert(0, partial(MenuCard, action="priority_open", icon="priority",
                                       label=tr(lang, "Priority service"), hint="", show_hint=False,
                                       selected=flow.state.priority is not None, on_release=self.chose_priority))
            grid.show(app, cards, geometry, tail=tail)
        branch = flow.current_entry()
        self.ids.title.source_text = (pick(branch["label"], lang, default) if branch
                                      else tr(lang, "What do you need?"))
        chips = self.ids.priority_chips
        chips.clear_widgets()  # a hidden widget still catches touches: the compact layout has no chips here
        for category in () if self.compact else flow.config.priority_categories:
            chips.add_widget(PriorityChip(value=category, icon=category, label=labels[category],
                                          selected=flow.state.priority == category,
                                          on_release=app.on_priority))

    def chose_priority(self, card) -> None:
        """The compact priority cards: open the pictograms, pick one (or none), back to the matters."""
        app = App.get_running_app()
        if card.action == "priority":
            app.flow.toggle_priority(card.value)
        self.choosing_priority = card.action == "priority_open"
        app.sync()

    def refresh(self, app) -> None:
        # no room for the priority row in the lower half of a short panel
        self.compact = bool(app.low_layout and self.height / 2 < app.target * 3.6)
        super().refresh(app)
        chosen = app.flow.state.priority
        for chip in self.ids.priority_chips.children:
            chip.selected = chip.value == chosen
        notice = app.flow.state.notice
        self.ids.notice.source_text = tr(app.lang, NOTICES.get(notice, NOTICES[None])) if notice else ""

    def nav_items(self, app) -> list:
        items = self.common_nav(app, back=True)
        if app.flow.offers_information:
            items.append(("info", "information", tr(app.lang, "Information")))
        return items + self.survey_nav(app)


#: what the menu says when the hub refused a ticket (reason code -> message)
NOTICES = {
    "site_closed": _("The centre is closed now. Please come back during opening hours."),
    "not_priority_eligible": _("This office has no priority tickets. Please take a normal ticket."),
    None: _("Something went wrong. Please ask at the welcoming desk."),
}


class TicketScreen(KioskScreen):
    """The code very large, the service in the visitor's language and in Portuguese, the wait, the QR."""

    printed_note = StringProperty("")
    fault = BooleanProperty(False)

    def key(self, app):
        ticket = app.flow.state.ticket or {}
        return app.lang, ticket.get("code"), ticket.get("qr"), app.flow.state.print_state, app.config_rev

    def rebuild(self, app) -> None:
        ticket = app.flow.state.ticket or {}
        lang, default = app.lang, app.default_language
        service = app.service(ticket.get("service", ""))
        self.ids.code.source_text = ticket.get("code", "")
        self.ids.service.source_text = pick(service.get("name"), lang, default) or ticket.get("service", "")
        local = pick(service.get("name"), default, default)
        self.ids.service_local.source_text = local if local != self.ids.service.source_text else ""
        self.ids.ahead.source_text, self.ids.wait.source_text, self.ids.where.source_text = \
            waiting_lines(ticket, service, lang, default)
        self.ids.priority.source_text = tr(lang, "Priority ticket") if ticket.get("priority") else ""
        self.ids.qr.payload = ticket.get("qr") or ""
        state = app.flow.state.print_state
        self.fault = state in ("fault", "none")
        if state == "fault":
            self.printed_note = tr(lang, "The printer is not working. Please take a photo of your number "
                                         "and of this code.")
        elif state == "none":
            self.printed_note = tr(lang, "Please take a photo of your number and of this code.")
        elif state == "printing":
            self.printed_note = tr(lang, "Printing your ticket…")
        else:
            self.printed_note = tr(lang, "Take your ticket below the screen.")
        self.ids.qr_caption.source_text = tr(lang, "Take a photo of this code to keep your number.")
        self.ids.calls.source_text = tr(lang, "Watch the screens: your number will be called.")

    def nav_items(self, app) -> list:
        return [("home", "home_screen", tr(app.lang, "Done")), ("language", "language", tr(app.lang, "Language"))]


def waiting_lines(ticket: dict, service: dict, lang: str, default: str) -> tuple[str, str, str]:
    """People ahead, the estimated wait and where to wait, as the visitor reads them."""
    ahead = ticket.get("people_ahead")
    if ahead is None:
        people = ""
    elif ahead == 0:
        people = tr(lang, "No one is ahead of you")
    else:
        people = ntr(lang, "%(n)d person ahead of you", "%(n)d people ahead of you", ahead)
    wait = ticket.get("estimated_wait_min")
    minutes = ntr(lang, "About %(n)d minute", "About %(n)d minutes", wait) if wait is not None and ahead else ""
    area = pick(service.get("waiting_area"), lang, default)
    return people, minutes, tr(lang, "Please wait in: %(place)s", place=area) if area else ""


#: what the scan screen says when a scan is not a ticket it can show (hardware.scanner reasons and ours)
SCAN_MESSAGES = {
    "empty": _("Nothing was read. Please scan again."),
    "unreadable": _("The code could not be read. Please scan it again, slowly."),
    "other_site": _("This ticket is from another centre. Please take a ticket here."),
    "damaged_ticket": _("This ticket's code is damaged. Please ask at the reception desk."),
    "appointment_typo": _("This appointment code is not valid. Please check it or ask at the reception desk."),
    "not_ours": _("This is not a ticket or an appointment code of this centre."),
    "appointment": _("Please show your appointment at the welcoming desk: they will check you in."),
    "unknown_ticket": _("This ticket is not known here. Please ask at the welcoming desk."),
    "unavailable": _("Your ticket cannot be checked right now. Please watch the screens or ask at the "
                     "welcoming desk."),
    "refused": _("Something went wrong. Please ask at the welcoming desk."),
}


class ScanScreen(KioskScreen):
    """What a scanned ticket says now (people ahead, or the counter it is called to), or why a scan is not one."""

    def key(self, app):
        return app.lang, repr(app.flow.state.scan), app.config_rev

    def rebuild(self, app) -> None:
        lang, default = app.lang, app.default_language
        scan = app.flow.state.scan or {}
        ticket = scan.get("ticket") or {}
        service = app.service(ticket.get("service", ""))
        ids = self.ids
        ids.code.source_text = ticket.get("code", "")
        ids.service.source_text = pick(service.get("name"), lang, default) if ticket else ""
        lines = ("", "", "")
        if not scan:
            message = tr(lang, "Checking your ticket…")
        elif "message" in scan:
            message = tr(lang, SCAN_MESSAGES.get(scan["message"], SCAN_MESSAGES["refused"]))
        elif ticket.get("status") == "waiting":
            message, lines = "", waiting_lines(ticket, service, lang, default)
        elif ticket.get("status") == "called":
            counter = next((c for c in (app.site_config or {}).get("counters", [])
                            if c["id"] == ticket.get("counter")), {})
            name = pick(counter.get("name"), lang, default) or str(ticket.get("counter_number") or "")
            message = tr(lang, "Your number has been called. Please go to: %(counter)s", counter=name)
        else:
            message = tr(lang, "This ticket is no longer waiting. Please take a new ticket or ask at the "
                               "welcoming desk.")
        ids.message.source_text = message
        ids.ahead.source_text, ids.wait.source_text, ids.where.source_text = lines

    def nav_items(self, app) -> list:
        return [("scan_done", "back_rtl" if app.rtl else "back", tr(app.lang, "Done")),
                ("language", "language", tr(app.lang, "Language"))]


class UnavailableScreen(KioskScreen):
    """Tickets cannot be issued now: say so plainly and where to go instead."""

    def key(self, app):
        return app.lang, app.config_rev, app.helpline

    def rebuild(self, app) -> None:
        lang, default = app.lang, app.default_language
        unsure = app.service(app.flow.config.unsure_service)
        place = pick(unsure.get("waiting_area"), lang, default)
        office = pick(unsure.get("office"), lang, default) or tr(lang, "Welcoming desk")
        self.ids.title.source_text = tr(lang, "Tickets are not available right now.")
        self.ids.where.source_text = tr(lang, "Please go to: %(office)s. Or ask a mediator: they will help you.",
                                        office=office)
        self.ids.place.source_text = place
        self.ids.helpline.source_text = tr(lang, "SOS Immigrant Line: %(number)s", number=app.helpline)
        self.ids.recover.source_text = tr(lang, "This screen will work again by itself.")

    def nav_items(self, app) -> list:
        items = self.common_nav(app, back=False)
        if app.flow.offers_information:
            items.append(("info", "information", tr(app.lang, "Information")))
        return items + self.survey_nav(app)


class InfoScreen(KioskScreen):
    """The information point: every service and a few topics, from the content pack."""

    def key(self, app):
        grid = self.ids.listing
        pack = app.content_for(app.lang)
        return (app.lang, grid.page, app.large_text, app.low_layout, round(grid.width), round(grid.height),
                pack.get("digest") if pack else None, app.config_rev)

    def on_leave(self, *args):
        if self.manager and self.manager.current != "info_item":
            self.ids.listing.page = 0

    def rebuild(self, app) -> None:
        lang, default = app.lang, app.default_language
        payload = app.content_for(lang)
        grid = self.ids.listing
        grid.clear_widgets()
        self.ids.title.source_text = tr(lang, "Information")
        if not payload:
            self.ids.intro.source_text = tr(lang, "Information is not available yet. Please ask at the "
                                                  "welcoming desk.")
            self.ids.version.source_text = ""
            self.ids.helpline.source_text = tr(lang, "SOS Immigrant Line: %(number)s", number=app.helpline)
            return
        pack = payload["pack"]
        self.ids.intro.source_text = pack["intro"]
        helpline = pack["helpline"]
        numbers = helpline["number"] + (f" · {helpline['mobile']}" if helpline.get("mobile") else "")
        self.ids.helpline.source_text = f"{helpline['name']}: {numbers}"
        self.ids.version.source_text = tr(lang, "Information version %(version)s", version=payload["version"])
        items = []
        for info in pack["services"]:
            service = app.service(info["service"])
            items.append(("service", info["service"], _service_icon(app, info["service"]),
                          pick(service.get("name"), lang, default) or info["service"]))
        items += [("topic", topic["id"], TOPIC_ICONS.get(topic["id"], "information"), topic["title"])
                  for topic in pack.get("topics", [])]
        geometry = card_grid(grid.width, grid.height, app.sizes, hints=False)
        label_language = lang if payload["language"] == lang else payload["language"]
        grid.show(app, [partial(MenuCard, action=kind, value=item_id, icon=icon, label=label, hint="",
                                show_hint=False, label_language=label_language if kind == "topic" else lang,
                                on_release=app.on_info_card)
                        for kind, item_id, icon, label in items], geometry)

    def nav_items(self, app) -> list:
        items = self.common_nav(app)
        if app.flow.offers_tickets:
            items.append(("tickets", "tickets", tr(app.lang, "Take a ticket")))
        return items + self.survey_nav(app)


TOPIC_ICONS = {"interpreters": "translate", "rights": "scale_balance", "emergency": "phone_alert",
               "ticket": "ticket_confirmation"}


def _service_icon(app, service_id: str) -> str:
    """The icon of the menu entry that issues this service's tickets (else a neutral one)."""
    def walk(entries):
        for entry in entries:
            if entry.get("service") == service_id:
                return entry.get("icon")
            found = walk(entry.get("children", []))
            if found:
                return found
        return None
    return walk(app.flow.config.menu) or ("unsure" if service_id == app.flow.config.unsure_service else "information")


class InfoItemScreen(KioskScreen):
    """One service (what it does, what to bring, where, when) or one topic."""

    can_issue = BooleanProperty(False)

    def key(self, app):
        pack = app.content_for(app.lang)
        return (app.lang, app.flow.state.info_item, pack.get("digest") if pack else None, app.config_rev,
                app.tickets_available)

    def rebuild(self, app) -> None:
        lang, default = app.lang, app.default_language
        payload = app.content_for(lang) or {"pack": {"services": [], "topics": []}}
        pack = payload["pack"]
        kind, item_id = app.flow.state.info_item or ("", "")
        body = self.ids.body
        body.clear_widgets()
        from .widgets import InfoLine
        content_lang = payload.get("language", lang)
        self.can_issue = False
        if kind == "service":
            info = next((s for s in pack["services"] if s["service"] == item_id), None)
            service = app.service(item_id)
            self.ids.title.source_text = pick(service.get("name"), lang, default) or item_id
            if info is None:
                return
            self.can_issue = app.flow.offers_tickets and app.tickets_available
            self.ids.issue.label = tr(lang, "Take a ticket for this service")
            self.ids.issue.value = item_id
            rows = [("what", info["what"], False), ("where", info["where"], True), ("hours", info["hours"], False)]
            if info.get("documents"):
                rows.append(("bring", tr(lang, "What to bring:"), True))
                rows += [("", "• " + doc, False) for doc in info["documents"]]
            for icon, text, bold in rows:
                body.add_widget(InfoLine(icon=icon, text=text, bold=bold, text_language=content_lang))
        elif kind == "topic":
            topic = next((x for x in pack.get("topics", []) if x["id"] == item_id), None)
            self.ids.title.source_text = topic["title"] if topic else ""
            if topic:
                body.add_widget(InfoLine(icon=TOPIC_ICONS.get(item_id, "information"), text=topic["text"],
                                         text_language=content_lang))

    def nav_items(self, app) -> list:
        return self.common_nav(app) + self.survey_nav(app)
