"""The kiosk's few widget kinds; their looks are in kv/widgets.kv.

Every visitor-facing text is a ``KText`` (typeset's ScriptLabel: fonts per
script, shaped, right-to-left aware); pictograms are ``Icon`` glyphs of the
MDI font.  ``MirrorBox`` lays its children out right to left for Arabic.
Tappable things are ``Tap`` subclasses: at least one touch target in each
direction (15 mm, see kiosk/sizing.py), and they act on release.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache, partial
from typing import Callable

from kivy.properties import (AliasProperty, BooleanProperty, ColorProperty, ListProperty, NumericProperty,
                             ObjectProperty, StringProperty)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from typeset.kivy import ScriptLabel, image_texture

from .icons import ICON_FONT, glyph
from .sizing import Grid, page_slots
from .views import turn_card


class TextureCache:
    """Drawn labels by everything that decides their pixels, least recently used out first.

    The kiosk shows the same few hundred labels again and again (each visitor
    walks the same menus): a label seen before costs no drawing and no new GL
    texture, which keeps taps fast and memory flat."""

    def __init__(self, budget_bytes: int = 32 * 1024 * 1024):
        self.budget = budget_bytes
        self.used = 0
        self._items: OrderedDict = OrderedDict()

    def get(self, key):
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key, drawn) -> None:
        """``drawn``: the texture first, then what else the label needs back (its fitted size, lines)."""
        if drawn is None or key in self._items:
            return
        texture = drawn[0]
        size = texture.width * texture.height * 4
        self._items[key] = drawn
        self.used += size
        while self.used > self.budget and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self.used -= old[0].width * old[0].height * 4


TEXTURES = TextureCache()


class KText(ScriptLabel):
    """Visitor-facing text (wraps to its width, height follows the text).

    A label on a screen that is not showing is not drawn when its language or
    text changes (a language change touches every screen); its screen redraws
    it when it comes on (``redraw_stale``).  Drawn labels are shared through
    ``TEXTURES``."""

    stale = False

    def texture_update(self, *largs):
        if self.get_root_window() is None:
            self.stale = True
            return
        self.stale = False
        text = getattr(self, "_source_text", None)
        key = (text, self.language, round(self.font_size), self.bold, tuple(self.color), self.halign,
               int(self.width), tuple(self.padding), self.disabled, round(self.min_font_size), int(self.max_lines),
               round(self.fit_height), self.shrink_first)
        cached = TEXTURES.get(key) if text and text.strip() else None
        if cached is not None:
            texture, self.fitted_font_size, self.drawn_lines, self.ellipsized = cached
            self.texture = texture
            self.texture_size = list(texture.size)
            return
        super().texture_update(*largs)
        if self.texture is not None:
            TEXTURES.put(key, (self.texture, self.fitted_font_size, self.drawn_lines, self.ellipsized))


class Icon(Widget):
    """A pictogram of the MDI icon font, by name (see kiosk/icons.py), centred in the widget.

    Drawn with Pillow into a texture shared by every icon of the same glyph,
    size and colour: Kivy's own text provider took a third of a second per
    glyph of this large font."""

    icon = StringProperty("")
    color = ColorProperty([0, 0, 0, 1])
    font_size = NumericProperty(44)
    texture = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for name in ("icon", "color", "font_size"):
            self.fbind(name, self._update_texture)
        self._update_texture()

    def _update_texture(self, *_):
        self.texture = icon_texture(self.icon, int(round(self.font_size)), tuple(self.color)) if self.icon else None


_ICON_TEXTURES: OrderedDict = OrderedDict()


def icon_texture(name: str, size_px: int, color: tuple) -> "Texture":
    key = (name, size_px, color)
    texture = _ICON_TEXTURES.get(key)
    if texture is None:
        from PIL import Image, ImageDraw, ImageFont
        font = _icon_font(max(1, size_px))
        char = glyph(name)
        left, top, right, bottom = font.getbbox(char)
        image = Image.new("RGBA", (max(1, right - left), max(1, bottom - top)), (0, 0, 0, 0))
        ImageDraw.Draw(image).text((-left, -top), char, font=font,
                                   fill=tuple(int(round(c * 255)) for c in color))
        texture = _ICON_TEXTURES[key] = image_texture(image)
        if len(_ICON_TEXTURES) > 512:
            _ICON_TEXTURES.popitem(last=False)
    return texture


@lru_cache(maxsize=32)
def _icon_font(size_px: int):
    from PIL import ImageFont
    return ImageFont.truetype(ICON_FONT, size_px, layout_engine=ImageFont.Layout.BASIC)


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
    """Anything a visitor taps: a coloured card that darkens while pressed.

    Cards are reused from screen to screen (``Recycler``): making a widget
    from its kv rules costs milliseconds, changing its properties almost
    nothing.  ``handler(card)`` is what a tap does."""

    #: "card", "primary", "quiet", "nav", "chip", "warn"
    kind = StringProperty("card")
    selected = BooleanProperty(False)
    #: what the tap means to the screen (an entry id, a language code...)
    value = StringProperty("")
    action = StringProperty("")
    background = ListProperty([1, 1, 1, 1])
    handler = ObjectProperty(None, allownone=True)
    #: what a factory sets; the rest (kind of a nav button, narrow...) comes from the kv rules
    settable: tuple[str, ...] = ("selected", "value", "action")

    def _unavailable(self) -> bool:
        return self.kind == "off"

    #: a service a supervisor paused or closed (issue 17): drawn quiet, never darkened by a press
    unavailable = AliasProperty(_unavailable, None, bind=("kind",))

    def on_release(self):
        if self.handler is not None:
            self.handler(self)


class Recycler:
    """Gives back widgets of a container to be filled again, or makes new ones.

    ``take(factory)`` with ``factory = partial(Cls, prop=value, on_release=fn)``
    returns a ``Cls`` whose every Kivy property is the factory's value or the
    class default, and whose ``handler`` is ``fn``."""

    def __init__(self, container: Widget):
        self._free: dict[type, list[Widget]] = {}
        for widget in reversed(container.children):
            self._free.setdefault(type(widget), []).append(widget)
        container.clear_widgets()

    def take(self, factory) -> Widget:
        cls, values = factory.func, dict(factory.keywords)
        handler = values.pop("on_release", None)
        free = self._free.get(cls)
        if not free:
            return cls(handler=handler, **values)
        widget = free.pop(0)
        for name in cls.settable:
            setattr(widget, name, values[name] if name in values else widget.property(name).defaultvalue)
        widget.handler = handler
        return widget


class MenuCard(Tap):
    settable = Tap.settable + ("kind", "icon", "label", "hint", "show_hint", "label_language")
    icon = StringProperty("")
    label = StringProperty("")
    hint = StringProperty("")
    show_hint = BooleanProperty(True)
    label_language = StringProperty("")
    #: too narrow for a picture and words side by side: words only (arrows only for paging)
    narrow = BooleanProperty(False)

    def _paging(self) -> bool:
        return self.action in ("prev", "next")

    #: an arrow that turns the page; a Kivy property (bound to ``action``) so the kv rules follow a
    #: recycled card that was an arrow and is now an entry (a plain @property left its words 0 px high)
    paging = AliasProperty(_paging, None, bind=("action",))


class NavButton(Tap):
    settable = Tap.settable + ("icon", "label")
    icon = StringProperty("")
    label = StringProperty("")


class LanguageButton(Tap):
    settable = Tap.settable + ("label", "code", "fit_chars")
    label = StringProperty("")
    code = StringProperty("")
    #: the longest name among its neighbours: all names get the same size
    fit_chars = NumericProperty(4)


class PriorityChip(Tap):
    settable = Tap.settable + ("icon", "label")
    icon = StringProperty("")
    label = StringProperty("")


class InfoLine(MirrorBox):
    """An icon and a text: where, when, what to bring."""

    icon = StringProperty("")
    text = StringProperty("")
    text_language = StringProperty("")
    font_size = NumericProperty(20)
    bold = BooleanProperty(False)


class QRView(Widget):
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
        recycler = Recycler(self)
        for factory in [cards[index] if kind == "entry" else self._turn_card(app, kind) for kind, index in shown] \
                + list(tail):
            card = recycler.take(factory)
            card.height = height
            self.add_widget(card)

    def _turn_card(self, app, kind: str):
        card = turn_card(kind, app.lang)
        return partial(MenuCard, action=card.action, kind=card.kind, icon=card.icon, label=card.label, hint="",
                       show_hint=False, on_release=self._turn)

    def _turn(self, card) -> None:
        self.page += 1 if card.action == "next" else -1


def redraw_stale(root: Widget) -> None:
    """Draw the labels under ``root`` that changed while they were off screen."""
    for widget in root.walk(restrict=True):
        if isinstance(widget, KText) and widget.stale:
            widget._trigger_texture()
