"""The kiosk's screens: each shows one view of kiosk/views.py and decides nothing itself.

The static layout of each screen is its kv file (kiosk/kv/<screen>.kv); what
it says comes from its view function (plain Python, tested without a window).
``refresh`` makes the view and assigns it to the widgets only when the view,
or the room its cards are laid out in, changed since the last time: a tap
redraws little.  Lists of cards are paged by ``PagedGrid`` and their widgets
reused (``Recycler``).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from . import views
from .sizing import card_grid
from .widgets import InfoLine, LanguageButton, MenuCard, NavButton, PriorityChip, Recycler, redraw_stale


def card_factory(card: views.Card, on_release, hints: bool = False) -> partial:
    """A MenuCard (made or reused by ``Recycler``) showing ``card``; ``hints``: the grid has room for them."""
    return partial(MenuCard, action=card.action, value=card.value, icon=card.icon, label=card.label,
                   hint=card.hint, kind=card.kind, selected=card.selected, label_language=card.language,
                   show_hint=(hints or card.kind == "off") and card.hint_line, on_release=on_release)


def language_factory(card: views.Card, fit_chars: int, on_release) -> partial:
    return partial(LanguageButton, code=card.value, label=card.label, fit_chars=fit_chars,
                   selected=card.selected, on_release=on_release)


def assign_texts(ids, view, names: tuple[str, ...]) -> None:
    """Each label ``ids[name]`` shows ``view.<name>``."""
    for name in names:
        ids[name].source_text = getattr(view, name)


class KioskScreen(Screen):
    """Base: ``view(app)`` says what the screen shows, ``show(app, view)`` assigns it, the nav bar follows."""

    _drawn = None
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
        view = self.view(app)
        drawn = (replace(view, nav=()), self.layout_key(app))
        if drawn != self._drawn:
            self._drawn = drawn
            self.show(app, view)
        self.fill_nav(app, view.nav)

    def view(self, app):
        raise NotImplementedError

    def layout_key(self, app):
        """What, besides the view, decides how the cards are laid out (page, sizes, the grid's room)."""
        return None

    def show(self, app, view) -> None:
        raise NotImplementedError

    def grid_key(self, app, grid) -> tuple:
        return grid.page, app.sizes, app.low_layout, round(grid.width), round(grid.height)

    def fill_nav(self, app, items: tuple[views.Card, ...]) -> None:
        nav = self.ids.get("nav")
        if nav is None or getattr(nav, "_items", None) == items:
            return
        nav._items = items
        recycler = Recycler(nav)
        for item in items:
            nav.add_widget(recycler.take(partial(NavButton, action=item.action, icon=item.icon, label=item.label,
                                                 selected=item.selected, on_release=app.on_nav)))


class StartScreen(KioskScreen):
    """Languages as their own names, no flags; the accessibility toggles are already here."""

    def view(self, app) -> views.StartView:
        return views.start_view(app.flow)

    def layout_key(self, app):
        return self.grid_key(app, self.ids.languages)

    def show(self, app, view: views.StartView) -> None:
        grid = self.ids.languages
        geometry = card_grid(grid.width, grid.height, app.sizes, min_card_mm=28, max_cols=5, hints=False,
                             count=len(view.languages))
        grid.show(app, [language_factory(card, view.fit_chars, app.on_language) for card in view.languages],
                  geometry, stretch=True)
        assign_texts(self.ids, view, ("choose", "choose_en"))


class MenuScreen(KioskScreen):
    """Matters, then offices: a tap on an office (or "I don't know") asks for the ticket.

    The priority pictograms are a row above the nav bar; in the low layout on a
    short panel there is no room for that row in the lower half, nor on a panel
    too short for the title, the row, two rows of cards and the nav bar (a 7"
    800x480 panel with large text: 480 px for 500) (``compact``), so a
    "Priority service" card opens the pictograms in the card grid instead."""

    compact = BooleanProperty(False)
    choosing_priority = BooleanProperty(False)
    _path = None
    _grid_drawn = None

    def refresh(self, app) -> None:
        # no room for the priority row in the lower half of a short panel, or beside two rows of cards
        # (the cards' room as it is with the row: the same answer whichever way it is now)
        cards = self.ids.cards.height - (app.target * 1.2 if self.compact else 0)
        self.compact = bool(self.height / 2 < app.target * 3.6 if app.low_layout else
                            cards < 2 * app.target + app.gap)
        if self._path != app.flow.state.path:  # another branch opens at its first page
            self._path = app.flow.state.path
            self.ids.cards.page = 0
        super().refresh(app)

    def on_leave(self, *args):
        self.ids.cards.page = 0
        self.choosing_priority = False

    def view(self, app) -> views.MenuView:
        return views.menu_view(app.flow, self.compact, self.choosing_priority)

    def layout_key(self, app):
        return self.grid_key(app, self.ids.cards)

    def show(self, app, view: views.MenuView) -> None:
        assign_texts(self.ids, view, ("title", "notice"))
        grid = self.ids.cards
        drawn = (view.cards, view.tail, self.layout_key(app))
        if drawn != self._grid_drawn:  # a priority chip or a notice does not lay the cards out again
            self._grid_drawn = drawn
            if view.choosing_priority:  # the pictograms and "Back" on one page
                geometry = card_grid(grid.width, grid.height, app.sizes, min_card_mm=25, max_cols=5, hints=False,
                                     count=len(view.cards) + len(view.tail))
            else:
                geometry = card_grid(grid.width, grid.height, app.sizes)
            grid.show(app, [card_factory(card, self.on_card, geometry.show_hints) for card in view.cards], geometry,
                      tail=[card_factory(card, self.on_card, geometry.show_hints) for card in view.tail])
        self.show_chips(app, view.chips)

    def show_chips(self, app, chips: tuple[views.Card, ...]) -> None:
        row = self.ids.priority_chips
        shown = list(reversed(row.children))
        if [(w.value, w.icon, w.label) for w in shown] == [(c.value, c.icon, c.label) for c in chips]:
            for widget, chip in zip(shown, chips):
                widget.selected = chip.selected
            return
        row.clear_widgets()  # a hidden widget still catches touches: the compact layout has none here
        for chip in chips:
            row.add_widget(PriorityChip(value=chip.value, icon=chip.icon, label=chip.label, selected=chip.selected,
                                        handler=app.on_priority))

    def on_card(self, card) -> None:
        """Entries and "I don't know" ask the app for a ticket; the compact priority cards stay here."""
        app = App.get_running_app()
        if card.kind == "off":  # a paused or closed service: shown with why, takes no tap (issue 17)
            return
        if card.action not in ("priority", "priority_open", "priority_done"):
            app.on_menu_card(card)
            return
        if card.action == "priority":
            app.flow.toggle_priority(card.value)
        self.choosing_priority = card.action == "priority_open"
        app.sync()


class TicketScreen(KioskScreen):
    """The code very large, the service in the visitor's language and in Portuguese, the wait, the QR."""

    printed_note = StringProperty("")
    fault = BooleanProperty(False)
    #: the service's name in the site's language is left out for the code's room (kv: ticket.kv)
    drop_local = BooleanProperty(False)
    #: the words column's height less every line but the code and the site-language name (kv)
    code_room = NumericProperty(0)

    def view(self, app) -> views.TicketView:
        return views.ticket_view(app.flow, app.site_config)

    def show(self, app, view: views.TicketView) -> None:
        assign_texts(self.ids, view, ("code", "service", "service_local", "priority", "ahead", "wait", "where",
                                      "calls", "qr_caption"))
        self.ids.qr.payload = view.qr
        self.printed_note, self.fault = view.printed_note, view.fault


class ScanScreen(KioskScreen):
    """What a scanned ticket says now (people ahead, or the counter it is called to), or why a scan is not one."""

    def view(self, app) -> views.ScanView:
        return views.scan_view(app.flow, app.site_config)

    def show(self, app, view: views.ScanView) -> None:
        assign_texts(self.ids, view, ("code", "service", "message", "ahead", "wait", "where"))


class UnavailableScreen(KioskScreen):
    """Tickets cannot be issued now: say so plainly and where to go instead."""

    def view(self, app) -> views.UnavailableView:
        return views.unavailable_view(app.flow, app.site_config)

    def show(self, app, view: views.UnavailableView) -> None:
        assign_texts(self.ids, view, ("title", "where", "place", "helpline", "recover"))


class InfoScreen(KioskScreen):
    """The information point: every service and a few topics, from the content pack."""

    def on_leave(self, *args):
        if self.manager and self.manager.current != "info_item":
            self.ids.listing.page = 0

    def view(self, app) -> views.InfoView:
        return views.info_view(app.flow, app.site_config, app.content)

    def layout_key(self, app):
        return self.grid_key(app, self.ids.listing)

    def show(self, app, view: views.InfoView) -> None:
        assign_texts(self.ids, view, ("title", "intro", "helpline", "version"))
        grid = self.ids.listing
        geometry = card_grid(grid.width, grid.height, app.sizes, hints=False)
        grid.show(app, [card_factory(card, app.on_info_card) for card in view.items], geometry)


class InfoItemScreen(KioskScreen):
    """One service (what it does, what to bring, where, when) or one topic."""

    can_issue = BooleanProperty(False)

    def view(self, app) -> views.InfoItemView:
        return views.info_item_view(app.flow, app.site_config, app.content)

    def show(self, app, view: views.InfoItemView) -> None:
        self.ids.title.source_text = view.title
        body = self.ids.body
        body.clear_widgets()
        for row in view.rows:
            body.add_widget(InfoLine(icon=row.icon, text=row.text, bold=row.bold, text_language=row.language))
        self.can_issue = view.issue is not None
        if view.issue is not None:
            self.ids.issue.label, self.ids.issue.value = view.issue.label, view.issue.value


class SurveyScreen(KioskScreen):
    """The survey's first step (the ticket's number and PIN on a keypad, or a scan) and its end."""

    field = StringProperty("")

    def view(self, app) -> views.SurveyView:
        return views.survey_view(app.flow, scanner=app.has_scanner)

    def layout_key(self, app):
        return self.grid_key(app, self.ids.keypad)

    def show(self, app, view: views.SurveyView) -> None:
        assign_texts(self.ids, view, ("title", "prompt", "code_label", "code", "pin_label", "pin"))
        self.field = view.field
        grid = self.ids.keypad
        geometry = card_grid(grid.width, grid.height, app.sizes, min_card_mm=18, max_cols=8, hints=False,
                             count=len(view.keys))
        grid.show(app, [card_factory(card, app.on_survey_key) for card in view.keys], geometry, stretch=True)


class SurveyQuestionScreen(KioskScreen):
    """One question of the survey: four pictograms with their words, and "Skip this question"."""

    def view(self, app) -> views.SurveyQuestionView:
        return views.survey_question_view(app.flow)

    def layout_key(self, app):
        return self.grid_key(app, self.ids.answers)

    def show(self, app, view: views.SurveyQuestionView) -> None:
        assign_texts(self.ids, view, ("progress", "question"))
        grid = self.ids.answers
        geometry = card_grid(grid.width, grid.height, app.sizes, min_card_mm=30, max_cols=5, hints=False,
                             count=len(view.answers))
        grid.show(app, [card_factory(card, app.on_survey_answer) for card in view.answers], geometry, stretch=True)
