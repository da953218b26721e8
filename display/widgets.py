"""The wall screen's widgets; their looks are in board.kv, their data comes from a BoardView.

Widgets only draw: every decision (what is newest, what is highlighted, when
the display is offline) is made in display.board.  ``DisplayRoot.show(view)``
sets the properties that changed, so Kivy re-renders only those textures.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from kivy.animation import Animation
from kivy.clock import Clock
from kivy.graphics import Color, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import (BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from display import theme
from display.board import BoardView, CallLine, ServiceLine
from display.wording import heading, wait_text, word
from typeset.i18n import pick
from typeset.kivy import image_texture
from typeset.pillow import render_text

ROW_PX = 120          # a previous call's row (reference px)
SERVICE_ROW_PX = 68   # a service's row
TICKER_GAP_PX = 140   # between two ticker messages


def natural_width(text: str, font_px: float, bold: bool = False, language: str = "") -> float:
    """Width of one line of ``text`` as ScriptLabel draws it (to size a label to its words)."""
    if not text or font_px < 1:
        return 0.0
    from typeset.bidi_lines import text_width
    return float(text_width(text, int(round(font_px)), bold, language or None)) + 4


class Arrow(Widget):
    """A solid arrow pointing right (a shape, so it needs no font)."""

    color = ListProperty([1, 1, 1, 1])


class Chevrons(Widget):
    """Two chevrons pointing at the newest call while it is highlighted (shape, not colour)."""

    color = ListProperty([1, 1, 1, 1])


class NowCalling(BoxLayout):
    code = StringProperty("")
    counter_name = StringProperty("")
    visitor_counter_name = StringProperty("")
    visitor_language = StringProperty("")
    badge = StringProperty("")
    highlighted = BooleanProperty(False)
    animate = BooleanProperty(True)
    #: 0..1, animated while highlighted (the border breathes); stays 0 without motion
    pulse = NumericProperty(0.0)
    s = NumericProperty(1.0)
    #: the counter's name's natural width, so the arrow stands right before it
    counter_width = NumericProperty(1.0)
    #: the counter's font size: its tier's size, smaller only if the name would not fit on one line
    counter_font = NumericProperty(150.0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(counter_name=self._measure, s=self._measure, code=self._measure, width=self._measure)

    def _measure(self, *_):
        font = (theme.FONT_PX["counter"] if self.code else theme.FONT_PX["row"]) * self.s
        room = max(1.0, self.width - 2 * 24 * self.s - 160 * self.s)  # padding, arrow and spacing
        width = natural_width(self.counter_name, font, bold=bool(self.code))
        if width > room:
            font = math.floor(font * room / width) - 1
            width = natural_width(self.counter_name, font, bold=bool(self.code))
        self.counter_font = font
        self.counter_width = max(1.0, width)

    def on_highlighted(self, _w, value):
        Animation.cancel_all(self, "pulse")
        self.pulse = 0.0
        if value and self.animate:
            anim = Animation(pulse=1.0, duration=0.5, t="in_out_sine") + Animation(pulse=0.0, duration=0.5,
                                                                                   t="in_out_sine")
            anim.repeat = True
            anim.start(self)


class CallRow(BoxLayout):
    code = StringProperty("")
    counter_number = StringProperty("")
    s = NumericProperty(1.0)


class ServiceRow(BoxLayout):
    prefix = StringProperty("")
    name = StringProperty("")
    language = StringProperty("pt")
    waiting = StringProperty("")
    estimate = StringProperty("")
    s = NumericProperty(1.0)


class LineLabel(BoxLayout):
    """A ScriptLabel kept on one line, centred vertically in its row.

    Text wider than the row is drawn smaller (down to ``min_ratio`` of its
    size) rather than wrapped; only past that does it wrap."""

    text = StringProperty("")
    language = StringProperty("")
    font_px = NumericProperty(46)
    fitted_px = NumericProperty(46)
    min_ratio = NumericProperty(0.7)
    bold = BooleanProperty(False)
    color = ListProperty([1, 1, 1, 1])

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(text=self._fit, font_px=self._fit, width=self._fit, bold=self._fit, padding=self._fit)
        self._fit()

    def _fit(self, *_):
        room = self.width - self.padding[0] - self.padding[2]
        width = natural_width(self.text, self.font_px, self.bold, self.language)
        if width <= room or width == 0:
            self.fitted_px = self.font_px
        else:  # whole pixels, rounded down: the label renders at int(round(size)) and must not wrap
            self.fitted_px = max(self.font_px * self.min_ratio, math.floor(self.font_px * room / width) - 1)


class OfflineMark(BoxLayout):
    text = StringProperty("")
    s = NumericProperty(1.0)


class SiteClock(Label):
    """HH:MM in the site's time zone; the text changes once a minute, so it redraws once a minute."""

    timezone = StringProperty("Europe/Lisbon")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._tick()
        Clock.schedule_interval(self._tick, 1.0)

    def _tick(self, *_):
        try:
            zone = ZoneInfo(self.timezone)
        except Exception:
            zone = None
        self.text = datetime.now(zone).strftime("%H:%M")


class Ticker(Widget):
    """The site's messages, in every language, scrolling right to left (or still, without motion).

    Messages are laid end to end on an endless strip; only the ones on screen
    have a texture (rendered when they are about to enter, dropped when they
    have left), so forty messages in ten scripts cost neither start-up time
    nor memory."""

    items = ListProperty([])
    speed = NumericProperty(80.0)
    animate = BooleanProperty(True)
    font_px = NumericProperty(56)
    s = NumericProperty(1.0)
    offset = NumericProperty(0.0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._strip: list[tuple[float, Texture]] = []  # (start on the strip, texture), left to right
        self._next_index = 0
        self._next_start = 0.0
        self._event = None
        self.bind(items=self._restart, font_px=self._restart, animate=self._restart, pos=self._draw,
                  size=self._draw, offset=self._draw)

    def _restart(self, *_):
        self._strip, self._next_index, self._next_start = [], 0, 0.0
        self.offset = 0.0
        if self._event is not None:
            self._event.cancel()
            self._event = None
        if self.animate and self.items:
            self._event = Clock.schedule_interval(self._step, 1 / 30)
        self._draw()

    def _step(self, dt):
        self.offset += self.speed * self.s * dt

    def _render(self, index: int) -> Texture:
        """One message drawn by typeset (shaped, bidi-ordered, grouped numbers left to right in Arabic)."""
        language, text = self.items[index % len(self.items)]
        colour = tuple(int(c * 255) for c in theme.rgba(theme.WHITE))
        return image_texture(render_text(text, max(1, int(self.font_px)), fill=colour, background=None,
                                         language=language))

    def _draw(self, *_):
        self.canvas.clear()
        if not self.items or self.width <= 1:
            return
        gap = TICKER_GAP_PX * self.s
        # strip coordinate that is at the widget's left edge
        if self.animate:
            base, visible_to = self.right, self.offset
        else:
            base, visible_to = self.x + gap / 2, self.width
        while self._next_start < visible_to:
            texture = self._render(self._next_index)
            self._strip.append((self._next_start, texture))
            self._next_start += texture.width + gap
            self._next_index += 1
        while self._strip and base + self._strip[0][0] + self._strip[0][1].width - self.offset < self.x:
            self._strip.pop(0)
        with self.canvas:
            Color(1, 1, 1, 1)
            for start, texture in self._strip:
                left = base + start - (self.offset if self.animate else 0)
                if left < self.right:
                    Rectangle(texture=texture, size=texture.size, pos=(left, self.center_y - texture.height / 2))

    def stop(self):
        if self._event is not None:
            self._event.cancel()
            self._event = None


class DisplayRoot(BoxLayout):
    """The whole screen. ``show(view)`` draws a BoardView."""

    s = NumericProperty(1.0)
    portrait = BooleanProperty(False)
    animate = BooleanProperty(True)
    site_name = StringProperty("")
    site_name_width = NumericProperty(1.0)
    zone_name = StringProperty("")
    language = StringProperty("pt")
    timezone = StringProperty("Europe/Lisbon")
    offline = BooleanProperty(False)
    view = ObjectProperty(None, allownone=True)
    page_s = NumericProperty(10.0)
    page = NumericProperty(0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._call_rows: list[CallRow] = []
        self._service_rows: list[ServiceRow] = []
        self._page_event = None
        self.bind(portrait=self._fit, s=self._fit)
        self.ids.previous_rows.bind(height=self._fit)
        self.ids.service_rows.bind(height=self._fit)

    # ------------------------------------------------------------- data
    def show_newest(self, view: BoardView) -> None:
        """Only the newest call (the frame that must be on screen fast); ``show`` does the rest."""
        self._show_newest(view.newest, view.highlighted, view.default_language)

    def show(self, view: BoardView) -> None:
        self.view = view
        language = view.default_language
        self.language = language
        if self.site_name != view.site_name or not self.site_name_width > 1:
            self.site_name = view.site_name
            self.site_name_width = max(1.0, min(natural_width(view.site_name, theme.FONT_PX["site"] * self.s, True),
                                               self.width * 0.45))
        self.zone_name = pick(view.zone_name, language, language)
        self.timezone = view.timezone
        self.offline = view.offline
        self._show_newest(view.newest, view.highlighted, language)
        self._fill_previous(view.previous)
        self._fill_services(view.services, language)
        ticker = self.ids.ticker
        ticker.speed = view.ticker_speed_px_s
        if [tuple(item) for item in ticker.items] != list(view.ticker):
            ticker.items = [list(item) for item in view.ticker]

    def _show_newest(self, newest: CallLine | None, highlighted: bool, language: str) -> None:
        panel = self.ids.now
        if newest is None:
            panel.code, panel.counter_name, panel.visitor_counter_name = "", word("no_calls", language), ""
            panel.badge, panel.highlighted = heading("ticket", language), False
            return
        panel.code = newest.code
        panel.counter_name = newest.counter_name
        panel.visitor_counter_name = newest.visitor_counter_name or ""
        panel.visitor_language = newest.language if newest.visitor_counter_name else language
        if highlighted:
            panel.badge = heading("recall" if newest.recall else "new_call", language).upper()
        else:
            panel.badge = heading("ticket", language)
        panel.highlighted = highlighted

    def _fill_previous(self, previous) -> None:
        rows = self._call_rows
        for index, row in enumerate(rows):
            line = previous[index] if index < len(previous) else None
            row.code = line.code if line else ""
            row.counter_number = str(line.counter_number) if line else ""
            row.opacity = 1 if line else 0

    def _fill_services(self, services: tuple[ServiceLine, ...], language: str) -> None:
        rows = self._service_rows
        per_page = max(1, len(rows))
        pages = max(1, math.ceil(len(services) / per_page))
        self.page = self.page % pages
        self._run_pages(pages > 1)
        shown = services[self.page * per_page:(self.page + 1) * per_page]
        for index, row in enumerate(rows):
            line = shown[index] if index < len(shown) else None
            row.prefix = line.prefix if line else ""
            row.name = pick(line.names, language, language) if line else ""
            row.language = language
            row.waiting = str(line.waiting) if line else ""
            row.estimate = wait_text(line.estimated_wait_min, language) if line and line.waiting else ""
            row.opacity = 1 if line else 0

    def _run_pages(self, needed: bool) -> None:
        if needed and self.animate and self._page_event is None:
            self._page_event = Clock.schedule_interval(self._next_page, self.page_s)
        elif not needed and self._page_event is not None:
            self._page_event.cancel()
            self._page_event = None

    def _next_page(self, _dt):
        self.page += 1
        if self.view is not None:
            self._fill_services(self.view.services, self.language)

    # ----------------------------------------------------------- layout
    def _fit(self, *_):
        """As many rows of previous calls and services as the space holds."""
        Clock.schedule_once(self._make_rows, -1)

    def _make_rows(self, *_):
        _fit_rows(self.ids.previous_rows, self._call_rows, CallRow, ROW_PX * self.s, 2 if self.portrait else 1,
                  self.s)
        _fit_rows(self.ids.service_rows, self._service_rows, ServiceRow, SERVICE_ROW_PX * self.s,
                  1 if self.portrait else 2, self.s)
        if self.view is not None:
            self.show(self.view)


def _fit_rows(grid, rows: list, row_class, row_height: float, cols: int, scale: float) -> None:
    """As many rows of ``row_class`` in ``grid`` as its height holds, ``cols`` to a line."""
    grid.cols = cols
    fit = max(1, int(grid.height // row_height)) * cols
    while len(rows) < fit:
        rows.append(row_class())
        grid.add_widget(rows[-1])
    while len(rows) > fit:
        grid.remove_widget(rows.pop())
    for row in rows:
        row.s = scale
