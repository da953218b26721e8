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
from display.layout import Content, LayoutPlan, plan_layout
from display.wording import estimate_text, heading, wait_text, word
from typeset.fit import fit_text
from typeset.i18n import pick
from typeset.kivy import image_texture
from typeset.pillow import render_text

ROW_PX = 120          # a previous call's row (reference px)
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
    #: the badge in the default language only, for a panel too narrow for both
    badge_short = StringProperty("")
    highlighted = BooleanProperty(False)
    animate = BooleanProperty(True)
    #: 0..1, animated while highlighted (the border breathes); stays 0 without motion
    pulse = NumericProperty(0.0)
    s = NumericProperty(1.0)
    #: the code's size (reference px) and whether the chevrons have room beside it (display.layout)
    code_font = NumericProperty(float(theme.FONT_PX["code"]))
    chevrons = BooleanProperty(True)
    #: the panel's side padding (reference px, display.layout)
    now_pad = NumericProperty(24.0)
    #: the counter's name's drawn width, so the arrow stands right before it
    counter_width = NumericProperty(1.0)
    #: the counter's font size: its tier's size, smaller (down to its minimum) if the name would not fit
    counter_font = NumericProperty(150.0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(counter_name=self._measure, s=self._measure, code=self._measure, width=self._measure,
                  now_pad=self._measure)

    def _measure(self, *_):
        role = "counter" if self.code else "row"
        font = theme.FONT_PX[role] * self.s
        # the panel's padding (24 each side), the arrow (130) and the row's three spacings (30 each)
        room = max(1.0, self.width - (2 * self.now_pad + 130 + 3 * 30) * self.s)
        fitted = fit_text(self.counter_name, round(font), room, min_px=theme.MIN_FONT_PX[role] * self.s,
                          max_lines=1, bold=bool(self.code), shrink_first=True)
        self.counter_font = fitted.size
        self.counter_width = max(1.0, min(room, natural_width(fitted.texts[0] if fitted.lines else "",
                                                              fitted.size, bold=bool(self.code))))

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
    #: the counter number's column (reference px): the widest number (display.layout)
    number_width = NumericProperty(140.0)


class ServiceRow(BoxLayout):
    prefix = StringProperty("")
    name = StringProperty("")
    language = StringProperty("pt")
    waiting = StringProperty("")
    estimate = StringProperty("")
    s = NumericProperty(1.0)
    #: from the layout plan (reference px): the row's height, lines of name, the count's and estimate's columns
    row_height = NumericProperty(68.0)
    name_lines = NumericProperty(1)
    count_width = NumericProperty(100.0)
    estimate_width = NumericProperty(250.0)


class LineLabel(BoxLayout):
    """A ScriptLabel centred vertically in its box, fitted by typeset.fit: drawn smaller down to
    ``min_px`` to stay on one line, then wrapped (up to ``max_lines``, within the box's height
    unless ``grow``: then the box follows the text), then abbreviated."""

    text = StringProperty("")
    #: a shorter text for when ``text`` could only be abbreviated (a heading in one language, not two)
    fallback = StringProperty("")
    #: what is drawn: ``text``, or ``fallback`` when ``text`` would not fit whole
    shown = StringProperty("")
    language = StringProperty("")
    font_px = NumericProperty(46)
    #: the smallest size (0: font_px); the kv rules give each role's theme.MIN_FONT_PX
    min_px = NumericProperty(0)
    max_lines = NumericProperty(1)
    grow = BooleanProperty(False)
    #: with ``grow``, the least height (the box is the text's otherwise)
    min_height = NumericProperty(0)
    halign = StringProperty("auto")
    bold = BooleanProperty(False)
    color = ListProperty([1, 1, 1, 1])
    role = StringProperty("label")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(text=self._choose, fallback=self._choose, width=self._choose, font_px=self._choose,
                  min_px=self._choose, max_lines=self._choose, bold=self._choose, language=self._choose,
                  padding=self._choose, grow=self._grow, min_height=self._grow)
        Clock.schedule_once(self._watch_child, -1)
        self._choose()

    def _watch_child(self, *_):
        if self.children:
            self.children[0].bind(height=self._grow)
            self._grow()

    def _grow(self, *_):
        if self.grow and self.children:
            self.height = max(self.min_height, self.children[0].height + self.padding[1] + self.padding[3])

    def _choose(self, *_):
        text = self.text
        room = int(self.width - self.padding[0] - self.padding[2])
        if self.fallback and self.fallback != text and room > 0 and self.font_px >= 1:
            height = 0 if self.grow else max(0.0, self.height - self.padding[1] - self.padding[3])
            fitted = fit_text(text, round(self.font_px), room, min_px=self.min_px, max_lines=int(self.max_lines),
                              max_height=height, bold=self.bold, language=self.language or None, shrink_first=True)
            if fitted.ellipsized:
                text = self.fallback
        self.shown = text


class OfflineMark(BoxLayout):
    text = StringProperty("")
    s = NumericProperty(1.0)


class SiteClock(Label):
    """HH:MM in the site's time zone; the text changes once a minute, so it redraws once a minute."""

    timezone = StringProperty("Europe/Lisbon")
    role = StringProperty("clock")

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
    #: what the header leaves for the zone's name
    zone_room = NumericProperty(0.0)
    zone_name = StringProperty("")
    language = StringProperty("pt")
    timezone = StringProperty("Europe/Lisbon")
    offline = BooleanProperty(False)
    view = ObjectProperty(None, allownone=True)
    page_s = NumericProperty(10.0)
    page = NumericProperty(0)
    #: how the parts share the panel (display.layout.plan_layout), remade when the size or the content changes
    plan = ObjectProperty(None, allownone=True)
    body_height = NumericProperty(548.0)
    now_width = NumericProperty(1100.0)
    show_previous = BooleanProperty(True)
    _content: Content | None = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._call_rows: list[CallRow] = []
        self._service_rows: list[ServiceRow] = []
        self._page_event = None
        self.bind(portrait=self._fit, s=self._replan, size=self._replan)
        self.ids.previous_rows.bind(height=self._fit)
        self.ids.service_rows.bind(height=self._fit)
        self.bind(site_name=self._fit_header, width=self._fit_header, s=self._fit_header, offline=self._fit_header)
        self.ids.offline.bind(minimum_width=self._fit_header)

    def _fit_header(self, *_):
        """The site's name as wide as it needs, at most 45 % of the width and what the clock and the
        offline mark leave; the zone's name gets the rest (hidden when too narrow to say anything)."""
        s = self.s
        fixed = 2 * 24 * s + 3 * 24 * s + 210 * s + (self.ids.offline.minimum_width if self.offline else 0)
        room = max(0.0, self.width - fixed)
        natural = natural_width(self.site_name, theme.FONT_PX["site"] * s, True)
        self.site_name_width = max(1.0, min(natural, self.width * 0.45, room))
        self.zone_room = room - self.site_name_width

    # ------------------------------------------------------------- plan
    def _replan(self, *_):
        content = self._content or Content(prefixes=("M",), digits=3, names=(), language=self.language)
        if self.s <= 0 or self.width <= 1:
            return
        plan = plan_layout(self.width / self.s, self.height / self.s, content, natural_width)
        if plan == self.plan:
            return
        self.plan = plan
        self.body_height, self.now_width, self.show_previous = plan.body_height, plan.now_width, plan.previous
        now = self.ids.now
        now.code_font, now.chevrons, now.now_pad = plan.code_font, plan.chevrons, plan.now_pad
        self._fit()

    def _content_of(self, view: BoardView) -> Content:
        language = view.default_language
        calls = ([view.newest] if view.newest else []) + list(view.previous)
        prefixes = {line.prefix for line in view.services if line.prefix}
        prefixes |= {"".join(c for c in call.code if c.isalpha()) for call in calls}
        digits = max([3] + [sum(c.isdigit() for c in call.code) for call in calls])
        numbers = max([2] + [len(str(call.counter_number)) for call in calls])
        waiting = max([2] + [len(str(line.waiting)) for line in view.services])
        return Content(prefixes=tuple(sorted(p for p in prefixes if p)), digits=digits,
                       names=tuple(pick(line.names, language, language) for line in view.services),
                       language=language, counter_number="8" * numbers, count="8" * waiting,
                       estimate=_widest_estimate(view.services, language))

    # ------------------------------------------------------------- data
    def show_newest(self, view: BoardView) -> None:
        """Only the newest call (the frame that must be on screen fast); ``show`` does the rest."""
        self._show_newest(view.newest, view.highlighted, view.default_language)

    def show(self, view: BoardView) -> None:
        self.view = view
        language = view.default_language
        self.language = language
        content = self._content_of(view)
        if content != self._content:
            self._content = content
            self._replan()
        self.site_name = view.site_name
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
            panel.badge, panel.badge_short, panel.highlighted = heading("ticket", language), word("ticket", language), False
            return
        panel.code = newest.code
        panel.counter_name = newest.counter_name
        panel.visitor_counter_name = newest.visitor_counter_name or ""
        panel.visitor_language = newest.language if newest.visitor_counter_name else language
        if highlighted:
            key = "recall" if newest.recall else "new_call"
            panel.badge, panel.badge_short = heading(key, language).upper(), word(key, language).upper()
        else:
            panel.badge, panel.badge_short = heading("ticket", language), word("ticket", language)
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
            row.estimate = estimate_text(line, language) if line else ""
            row.opacity = 1 if line else 0

    def _run_pages(self, needed: bool) -> None:
        """Turn the waiting list's pages every ``page_s`` while it has more than one, with or without
        motion: a page turn is a discrete change, and without it a ``--no-motion`` screen would never
        show the services past its first page."""
        if needed and self._page_event is None:
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
        plan = self.plan
        if plan is None:
            return
        numbers = self._content.counter_number if self._content else "88"
        _fit_rows(self.ids.previous_rows, self._call_rows, CallRow, ROW_PX * self.s,
                  plan.previous_cols if plan.previous else 1, self.s,
                  number_width=natural_width(numbers, theme.FONT_PX["row"], True) + 8)
        _fit_rows(self.ids.service_rows, self._service_rows, ServiceRow, plan.service_row * self.s,
                  plan.service_cols, self.s, row_height=plan.service_row, name_lines=plan.name_lines,
                  count_width=plan.count_width, estimate_width=plan.estimate_width)
        if self.view is not None:
            self.show(self.view)


def _shape(text: str) -> str:
    """``text`` with every digit an 8 (the widest): "20–35 min" -> "88–88 min"."""
    return "".join("8" if c.isdigit() else c for c in text)


def _widest_estimate(services, language: str) -> str:
    """The widest estimate the waiting list shows now, digits as eights, at least two digits a number
    ("88–88 min"): the columns are what the estimates need (a fixed "888–999 min" left a 1920x1080
    panel one column of services), and they change only when an estimate gains a digit, not with
    every minute it moves."""
    shapes = {_shape(estimate_text(line, language)) for line in services}
    shapes.add(_shape(wait_text(88, 88, language)))
    return max(shapes, key=lambda text: natural_width(text, theme.FONT_PX["minutes"]))


def _fit_rows(grid, rows: list, row_class, row_px: float, cols: int, scale: float, **values) -> None:
    """As many rows of ``row_class`` in ``grid`` as its height holds (``row_px`` each), ``cols`` to a line,
    each given ``values``."""
    grid.cols = cols
    fit = max(1, int(grid.height // row_px)) * cols
    while len(rows) < fit:
        rows.append(row_class())
        grid.add_widget(rows[-1])
    while len(rows) > fit:
        grid.remove_widget(rows.pop())
    for row in rows:
        row.s = scale
        for name, value in values.items():
            setattr(row, name, value)
