"""The kiosk's few widget kinds; their looks are in kv/widgets.kv.

Every visitor-facing text is a ``KText`` (typeset's ScriptLabel: fonts per
script, shaped, right-to-left aware); pictograms are ``Icon`` glyphs of the
MDI font.  ``MirrorBox`` lays its children out right to left for Arabic.
Tappable things are ``Tap`` subclasses: at least one touch target in each
direction (15 mm, see kiosk/sizing.py), and they act on release.
"""

from __future__ import annotations

import re
from typing import Callable

from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from typeset.kivy import ScriptLabel

from .i18n import tr
from .icons import ICON_FONT, glyph
from .sizing import Grid, page_slots


#: a number written in groups ("808 257 257", "808 24 24 24", "2026.05-1")
NUMBER_GROUPS = re.compile(r"\d+(?:[ .\-/]\d+)+")
LRI, PDI = "\u2066", "\u2069"


def isolate_numbers(text: str) -> str:
    """Keep grouped numbers left to right inside right-to-left text.

    The bidi algorithm orders "808 257 257" in an Arabic sentence group by
    group from the right ("257 257 808" on screen); a left-to-right isolate
    keeps a phone number as people dial it."""
    return NUMBER_GROUPS.sub(lambda m: f"{LRI}{m.group(0)}{PDI}", text)


class KText(ScriptLabel):
    """Visitor-facing text (wraps to its width, height follows the text).

    A label on a screen that is not showing is not drawn when its language or
    text changes (a language change touches every screen); its screen redraws
    it when it comes on (``redraw_stale``)."""

    stale = False

    def texture_update(self, *largs):
        if self.get_root_window() is None:
            self.stale = True
            return
        self.stale = False
        text = getattr(self, "_source_text", None)
        if not text or not self.base_rtl() or not NUMBER_GROUPS.search(text):
            return super().texture_update(*largs)
        # draw with the numbers isolated; source_text (what tests and screen readers see) is unchanged
        self._source_text = isolate_numbers(text)
        try:
            super().texture_update(*largs)
        finally:
            self._source_text = text


class Icon(Label):
    """A pictogram of the MDI icon font, by name (see kiosk/icons.py)."""

    icon = StringProperty("")

    def __init__(self, **kwargs):
        kwargs.setdefault("font_name", ICON_FONT)
        super().__init__(**kwargs)
        self.fbind("icon", self._update_glyph)
        self._update_glyph()

    def _update_glyph(self, *_):
        self.text = glyph(self.icon) if self.icon else ""


class MirrorBox(BoxLayout):
    """A BoxLayout that, with ``rtl``, places its children from the right edge (horizontal only)."""

    rtl = BooleanProperty(False)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fbind("rtl", self._trigger_layout)

    def do_layout(self, *largs):
        super().do_layout(*largs)
        if self.rtl and self.orientation == "horizontal":
            for child in self.children:
                child.x = self.x + (self.right - child.right)


class Tap(ButtonBehavior, MirrorBox):
    """Anything a visitor taps: a coloured card that darkens while pressed."""

    #: "card", "primary", "quiet", "nav", "chip", "warn"
    kind = StringProperty("card")
    selected = BooleanProperty(False)
    #: what the tap means to the screen (an entry id, a language code...)
    value = StringProperty("")
    action = StringProperty("")
    background = ListProperty([1, 1, 1, 1])


class MenuCard(Tap):
    icon = StringProperty("")
    label = StringProperty("")
    hint = StringProperty("")
    show_hint = BooleanProperty(True)
    label_language = StringProperty("")
    #: too narrow for a picture and words side by side: words only (arrows only for paging)
    narrow = BooleanProperty(False)

    @property
    def paging(self) -> bool:
        return self.action in ("prev", "next")


class NavButton(Tap):
    icon = StringProperty("")
    label = StringProperty("")


class LanguageButton(Tap):
    label = StringProperty("")
    code = StringProperty("")
    #: the longest name among its neighbours: all names get the same size
    fit_chars = NumericProperty(4)


class PriorityChip(Tap):
    icon = StringProperty("")
    label = StringProperty("")


class InfoLine(MirrorBox):
    """An icon and a text: where, when, what to bring."""

    icon = StringProperty("")
    text = StringProperty("")
    text_language = StringProperty("")
    font_size = NumericProperty(20)
    bold = BooleanProperty(False)


class QRView(Label):
    """Shows a QR texture; ``payload`` is what it encodes (tests read it)."""

    payload = StringProperty("")
    qr_texture = ObjectProperty(None, allownone=True)

    def on_payload(self, _instance, payload):
        from .qr import qr_texture
        self.qr_texture = qr_texture(payload) if payload else None


class PagedGrid(GridLayout):
    """A grid of cards that pages with big "Previous" / "More" cards instead of scrolling.

    ``show`` takes factories (only the cards of the page on screen are made)
    and the cards that end every page (``tail``, e.g. "I don't know")."""

    page = NumericProperty(0)
    page_count = NumericProperty(1)
    rtl = BooleanProperty(False)

    def on_rtl(self, _instance, rtl):
        self.orientation = "rl-tb" if rtl else "lr-tb"

    def show(self, app, cards: list[Callable[[], Widget]], geometry: Grid,
             tail: list[Callable[[], Widget]] = (), stretch: bool = False) -> None:
        if len(cards) + len(tail) > geometry.per_page and geometry.per_page < len(tail) + 3:
            # paging needs "Previous", an entry and "More" besides the tail: narrower cards
            geometry = Grid(len(tail) + 3 if geometry.rows == 1 else geometry.cols + 1, geometry.rows,
                            geometry.card_height, geometry.show_hints)
        self.cols = geometry.cols
        pages = page_slots(len(cards), geometry.per_page, fixed_tail=len(tail))
        self.page_count = len(pages)
        self.page = max(0, min(self.page, len(pages) - 1))
        height = geometry.card_height
        shown = pages[self.page]
        if stretch and len(pages) == 1:
            rows = max(1, -(-(len(shown) + len(tail)) // geometry.cols))
            height = max(height, min((self.height - (rows - 1) * self.spacing[1]) / rows, height * 2.2))
        self.clear_widgets()
        for kind, index in shown:
            card = cards[index]() if kind == "entry" else self._turn_card(app, kind)
            card.height = height
            self.add_widget(card)
        for make in tail:
            card = make()
            card.height = height
            self.add_widget(card)

    def _turn_card(self, app, kind: str) -> Widget:
        forward = kind == "next"
        icon = "back_rtl" if forward != app.rtl else "back"
        label = tr(app.lang, "More") if forward else tr(app.lang, "Previous")
        return MenuCard(action=kind, kind="quiet", icon=icon, label=label, hint="", show_hint=False,
                        on_release=self._turn)

    def _turn(self, card) -> None:
        self.page += 1 if card.action == "next" else -1


def redraw_stale(root: Widget) -> None:
    """Draw the labels under ``root`` that changed while they were off screen."""
    for widget in root.walk(restrict=True):
        if isinstance(widget, KText) and widget.stale:
            widget._trigger_texture()
