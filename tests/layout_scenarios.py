"""The layout check's scenarios: the real wall display and the real kiosk in one Kivy process
each, resized through the matrix of panels, languages and screens, every picture checked by
tests/layout_check.py.

Both apps get what their hub would send them from tests/layout_sites.py, straight into
their inputs (the display's message queue, the kiosk's config, content and flow), so one
process walks hundreds of pictures: a window is resized in place, nothing is restarted.
The tests (tests/test_layout.py) run a slice; bench/layout_matrix.py runs it all.

    result = run_scenario("layout_scenarios:display_matrix", {"sizes": [[800, 600]], "languages": ["ar"],
                          "site": "long"}, width=800, height=600)
    result["problems"]   # [] when every text fits
"""

from __future__ import annotations

import time
from pathlib import Path

from kivy_harness import Driver, run_app
from layout_check import check_layout
from layout_sites import LANGUAGES, KIOSK_DIAGONALS, content, display_messages, newest_call_event, site

from contract.topics import Topics


class StubLink:
    """What DisplayApp needs of a DeviceLink when its messages are posted by the scenario."""

    connected = True

    def __init__(self, site_id: str, device_id: str):
        self.topics = Topics(site_id)
        self.device_id = device_id
        self.on_connection_change = None

    def subscribe(self, *_args, **_kwargs) -> None:
        pass

    def start(self) -> "StubLink":
        return self

    def close(self) -> None:
        pass

    def publish_health(self, **_status) -> None:
        pass


def _resize(ui: Driver, width: int, height: int) -> None:
    def resize():
        ui.Window.size = (width, height)
    ui.call(resize)
    ui.wait_until(lambda: tuple(ui.Window.size) == (width, height), what=f"the window at {width}x{height}")


def _record(out: dict, case: str, problems) -> None:
    out["cases"] += 1
    for problem in problems:
        out["problems"].append({"case": case, **problem.as_dict()})


# ------------------------------------------------------------------ the wall display


def display_minimum(app):
    from display import theme

    def minimum(widget, role: str):
        least = theme.MIN_FONT_PX.get(role) if hasattr(theme, "MIN_FONT_PX") else None
        return None if least is None else least * app.root.s
    return minimum


def display_matrix(args: dict) -> dict:
    """Every size of ``args["sizes"]`` (and its portrait turn when ``args["turn"]``), every language: the
    retained picture with the newest call in that language, then the same call live (highlighted)."""
    from display.app import DisplayApp, DisplayOptions
    from display.feed import EVENT
    the_site = site(args.get("site", "example"))
    device = next(d.id for d in the_site.devices if d.role == "display")
    options = DisplayOptions(motion=False, audio=False, data_dir=args["data_dir"], follow_screen=False,
                             highlight_s=3600)
    app = DisplayApp(StubLink(the_site.site.id, device), device, options)
    languages = args.get("languages", LANGUAGES)
    digits = 5 if args.get("site") == "long" else 3
    shots = args.get("shots", {})

    def script(ui: Driver) -> dict:
        out = {"cases": 0, "problems": [], "shots": []}
        minimum = display_minimum(app)
        sizes = []
        for width, height in args["sizes"]:
            sizes.append((width, height))
            if args.get("turn") and width != height and [height, width] not in args["sizes"]:
                sizes.append((height, width))
        seq = 0
        for width, height in sizes:
            _resize(ui, width, height)
            for index, language in enumerate(languages):
                messages = display_messages(the_site, device, language, digits)
                state = messages[-1][1]
                seq += 1
                offline = index == 1  # the offline mark takes room in the header once per size
                for kind, payload in messages:
                    if kind == "link":
                        payload = not offline
                    if kind == "zone_state":
                        payload = dict(payload, seq=seq * 10)
                    ui.call(app._post, kind, payload)
                ui.call(app._post, EVENT, newest_call_event(the_site, state, language, seq * 10 + 1))
                ui.wait_until(lambda: app.root.ids.now.highlighted and not app._rest_pending, what="the live call")
                ui.frames(3)
                case = f"display {args.get('site', 'example')} {width}x{height} {language}" + \
                    (" offline" if offline else "")
                _record(out, case, ui.call(check_layout, ui.Window, minimum))
                name = shots.get(f"{width}x{height}/{language}")
                if name:
                    out["shots"].append(str(ui.screenshot(name)))
        return out

    return run_app(app, script, timeout=args.get("timeout", 3000))


# ------------------------------------------------------------------ the kiosk


class StubConnection:
    """What KioskApp needs of a HubConnection when the scenario hands it the config and content."""

    def __init__(self, site_config: dict, device: dict, packs: dict):
        self.site_config, self.device, self.content = site_config, device, packs
        self.on_config = self.on_content = self.on_availability = None
        self.service_state: dict = {}

    def start(self) -> "StubConnection":
        return self

    def close(self) -> None:
        pass

    def availability(self) -> tuple[bool, str]:
        return True, ""

    def issue(self, request, done) -> None:
        pass

    def report_health(self, **_fields) -> None:
        pass


def kiosk_minimum(app):
    """The kiosk's least text size (kiosk.sizing.Sizes.min_font: read within reach of the glass)."""
    return lambda widget, role: app.sizes.min_font(role)


#: the visitor's modes the matrix walks: plain, large text (high contrast), large text in the low layout
KIOSK_MODES = {"normal": (False, False), "large": (True, False), "low-large": (True, True)}


def _longest(items, key):
    return max(items, key=lambda item: max((len(v) for v in key(item).values()), default=0))


def kiosk_states(the_site, language: str):
    """(name, how to get there) for every screen a visitor can see, with the site's longest texts."""
    service = _longest(the_site.services, lambda s: s.name)
    counter = _longest(the_site.counters, lambda c: c.name)
    matter = max((e for e in the_site.kiosk.menu if e.children),
                 key=lambda e: sum(max(len(v) for v in c.label.values()) for c in e.children))
    ticket = {"code": f"{service.prefix}123", "service": service.id, "people_ahead": 123, "estimated_wait_min": 185,
              "qr": f"OSS1:{the_site.site.id}:2026-05-12:{service.prefix}123:abcdefghijklmnopqrstuvwxyz012345",
              "priority": True, "language": language}
    category = the_site.policies.priority_categories[0]

    def start(flow):
        flow.start_again()

    def menu(flow):
        flow.start_again()
        flow.choose_language(language)
        flow.toggle_priority(category)

    def offices(flow):
        menu(flow)
        flow.open_entry(matter.id)

    def picker(flow):
        menu(flow)
        flow.open_language_picker(True)

    def ticket_fault(flow):
        menu(flow)
        flow.ticket_issued(dict(ticket))
        flow.ticket_printed(False, "paper_out")

    def scan_called(flow):
        flow.start_again()
        flow.scanned({"ticket": {**ticket, "status": "called", "counter": counter.id,
                                 "counter_number": counter.number}}, language=language)

    def scan_waiting(flow):
        flow.start_again()
        flow.scanned({"ticket": {**ticket, "status": "waiting"}}, language=language)

    def unavailable(flow):
        menu(flow)
        flow.set_tickets_available(False, "hub_offline")

    def info(flow):
        menu(flow)
        flow.open_info()

    def info_service(flow):
        info(flow)
        flow.open_info_item("service", service.id)

    def info_topic(flow):
        info(flow)
        flow.open_info_item("topic", "ticket")

    def survey(flow, **state):
        """The survey's screens as a visitor reaches them, set directly: the example's ticket kiosk
        has no survey mode, and turning it on would add a button to every other screen's nav bar."""
        from kiosk.survey import SurveyState
        menu(flow)
        flow.state.survey = SurveyState(code=f"{service.prefix}123", **state)
        flow.state.screen = "survey_question" if flow.state.survey.step == "question" else "survey"

    def survey_typing(flow):
        survey(flow)

    def survey_question(flow):  # the kindness of the service: the longest question in most languages
        survey(flow, step="question", index=2)

    def survey_refused(flow):  # the longest of its messages
        survey(flow, step="refused", reason="unknown_ticket")

    return [("start", start), ("menu", menu), ("offices", offices), ("language-picker", picker),
            ("ticket", ticket_fault), ("scan-called", scan_called), ("scan-waiting", scan_waiting),
            ("unavailable", unavailable), ("info", info), ("info-service", info_service), ("info-topic", info_topic),
            ("survey", survey_typing), ("survey-question", survey_question), ("survey-refused", survey_refused)]


def _grids(app) -> list:
    """The paged grids on screen now (the language picker's over the screen's)."""
    root = app.root
    grids = []
    if root.picker is not None:
        grids.append(root.picker.ids.languages)
    else:
        screen = root.manager.current_screen
        for name in ("languages", "cards", "listing", "keypad", "answers"):
            if name in screen.ids:
                grids.append(screen.ids[name])
    return grids


def kiosk_matrix(args: dict) -> dict:
    """Every size, language, mode and screen (every page of a paged grid), each checked."""
    from kiosk.app import KioskApp
    from siteconf.slices import device_slice, public_config
    the_site = site(args.get("site", "example"))
    device = next(d.id for d in the_site.devices if d.role == "kiosk" and "tickets" in d.kiosk_modes)
    connection = StubConnection(public_config(the_site), device_slice(the_site, device)["device"],
                                content(the_site))
    app = KioskApp(connection, animations=False)
    languages = args.get("languages", LANGUAGES)
    modes = args.get("modes", list(KIOSK_MODES))
    only = set(args.get("screens", []))
    shots = args.get("shots", {})

    def settle(ui):
        """Frames until two in a row lay everything out alike (a mode change re-lays the screen over
        several frames: the check reads the picture a visitor sees once it stands still)."""
        before = None
        for _ in range(12):
            ui.frames(1)
            now = ui.call(_geometry, ui.Window)
            if now == before:
                return
            before = now

    def script(ui: Driver) -> dict:
        out = {"cases": 0, "problems": [], "shots": [], "ellipsized": []}
        minimum = kiosk_minimum(app)
        ui.wait_until(lambda: app.site_config is not None, what="the site config")
        # no time-outs: a panel's cases outlast the kiosk's idle (45 s) and ticket-screen (20 s) times,
        # and its tick sent the flow back to the start screen under the check, which then looked at the
        # start screen in the name of the menu, the information pages and the survey (seen in the
        # pictures of a run: from 45 s into a panel every case was the start screen)
        if args.get("timeouts_off", True):
            ui.call(lambda: setattr(app.flow, "tick", lambda: None))
        for width, height in args["sizes"]:
            _resize(ui, width, height)
            diagonal = args.get("diagonal") or KIOSK_DIAGONALS.get((width, height))

            def sizes(diagonal=diagonal):
                app.diagonal_in = diagonal
                app._update_sizes()
            ui.call(sizes)
            for language in languages:
                states = [(n, f) for n, f in kiosk_states(the_site, language) if not only or n in only]
                for mode in modes:
                    large, low = KIOSK_MODES[mode]
                    for name, setup in states:
                        def enter(setup=setup, large=large, low=low):
                            flow = app.flow
                            flow.set_tickets_available(True)
                            setup(flow)
                            flow.state.large_text, flow.state.low_layout = large, low
                            app.sync()
                        ui.call(enter)
                        settle(ui)
                        case = f"kiosk {args.get('site', 'example')} {width}x{height} {language} {mode} {name}"
                        pages = max([1] + [g.page_count for g in ui.call(_grids, app)])
                        for page in range(pages):
                            if page:
                                def turn(page=page):
                                    for grid in _grids(app):
                                        grid.page = min(page, grid.page_count - 1)
                                    app.sync()
                                ui.call(turn)
                                settle(ui)
                            label = case + (f" page {page + 1}" if pages > 1 else "")
                            _record(out, label, ui.call(check_layout, ui.Window, minimum))
                            out["ellipsized"] += ui.call(_abbreviated, app, label)
                            shot = shots.get(f"{width}x{height}/{language}/{mode}/{name}" + (f"/{page + 1}" if page else ""))
                            if shot:
                                out["shots"].append(str(ui.screenshot(shot)))
        return out

    return run_app(app, script, timeout=args.get("timeout", 3000))


def _geometry(window) -> tuple:
    """Where every widget on the window is, and how big its texture is."""
    return tuple((round(w.x), round(w.y), round(w.width), round(w.height), tuple(getattr(w, "texture_size", ())))
                 for root in window.children for w in root.walk(restrict=True))


def _abbreviated(app, case: str) -> list[str]:
    """Labels on screen that had to leave text out (allowed, but worth knowing)."""
    from layout_check import _visible
    found = []
    for root in list(app.root.get_root_window().children):
        for widget in root.walk(restrict=True):
            if getattr(widget, "ellipsized", False) and _visible(widget):
                found.append(f"{case}: {' / '.join(widget.drawn_lines)}")
    return found


# ------------------------------------------------------------------ the check itself


def known_faults(args: dict) -> dict:
    """A window with one fault of each kind the check must find, and one clean label: what it reports."""
    from kivy.app import App
    from kivy.uix.floatlayout import FloatLayout
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.label import Label
    from kivy.uix.scrollview import ScrollView
    from kivy.uix.widget import Widget

    from kiosk.widgets import Icon
    from typeset.fonts import register_kivy_fonts

    class Faults(App):
        def build(self):
            register_kivy_fonts()
            root = FloatLayout()

            def label(text, x, y, w, h, **kw):
                widget = Label(text=text, font_name="NotoSans", size_hint=(None, None), pos=(x, y), size=(w, h),
                               font_size=kw.pop("font_size", 24), color=(1, 1, 1, 1), **kw)
                return widget
            root.add_widget(label("Overlap one", 10, 300, 220, 40))
            root.add_widget(label("Overlap two", 60, 305, 220, 40))
            box = Widget(size_hint=(None, None), pos=(10, 200), size=(120, 40))
            root.add_widget(box)
            box.add_widget(label("Far too long for its box", 10, 200, 120, 40))
            root.add_widget(label("Informações", 400, 100, 80, 120, text_size=(80, None)))
            root.add_widget(label("tiny", 400, 400, 100, 40, font_size=8))
            root.add_widget(label("Fine", 600, 40, 150, 40))
            # a pictogram scrolled out of its view, behind a label under the view: not an overlap
            view = ScrollView(size_hint=(None, None), pos=(560, 300), size=(200, 60), do_scroll_x=False)
            body = BoxLayout(orientation="vertical", size_hint_y=None, height=180)
            body.add_widget(Label(text="In view", font_name="NotoSans", font_size=20))
            body.add_widget(Widget())
            body.add_widget(Icon(icon="hours", font_size=40, color=(1, 1, 1, 1)))
            view.add_widget(body)
            root.add_widget(view)
            root.add_widget(label("Under the view", 560, 190, 200, 50))
            # and one in view over a label: an overlap
            root.add_widget(Icon(icon="hours", font_size=40, color=(1, 1, 1, 1), size_hint=(None, None),
                                 pos=(300, 20), size=(50, 50)))
            root.add_widget(label("Under an icon", 290, 30, 160, 40))
            return root

    app = Faults()

    def script(ui: Driver) -> dict:
        ui.frames(3)
        found = ui.call(check_layout, ui.Window, lambda widget, role: 12)
        return {"problems": [p.as_dict() for p in found]}

    return run_app(app, script)
