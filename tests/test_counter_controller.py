"""The counter's logic alone (no pins, no broker): what each press does in each
situation, with a hand-driven clock.  The hub's side of every flow is covered
end to end in test_counter_e2e.py; this pins down the corners."""

from __future__ import annotations

from sites import small_site

from counter.controller import NO_ANSWER, CounterController, CounterSettings, Outcome
from counter.indications import Indication
from counter.screen import CounterView, Message, TransferChoice, digits, lcd_lines
from hardware.buttons import HOLD, PRESS, ButtonEvent
from siteconf.slices import public_config


class Desk:
    """The controller with a clock the test moves, timers it fires, and requests it answers."""

    def __init__(self, **settings):
        self.now = 100.0
        self.timers: list[tuple[float, object]] = []
        self.sent: list[tuple[str, dict, object]] = []
        self.shown: list[tuple[Indication, CounterView]] = []
        self.c = CounterController(lambda a, f, done: self.sent.append((a, f, done)),
                                   lambda ind, view: self.shown.append((ind, view)),
                                   CounterSettings(**settings), clock=lambda: self.now,
                                   schedule=lambda delay, fn: self.timers.append((self.now + delay, fn)))
        data = public_config(small_site())
        data["counters"][0]["transfer_targets"] = ["immigration", "reception"]
        self.c.set_site(data, "c1")
        self.c.set_link(True)
        self.c.set_hub_online(True)
        self.state(status="open", current=None, waiting=3)

    def state(self, status="open", current=None, waiting=0, recalls=0):
        self.c.set_counter_state({"type": "state.counter", "counter": "c1", "status": status, "waiting": waiting,
                                  "current": {"code": current, "recalls": recalls} if current else None})

    def tap(self, button: str, kind: str = PRESS) -> str:
        return self.c.on_button(ButtonEvent(button, kind, self.now))

    def answer(self, outcome: Outcome) -> None:
        action, fields, done = self.sent[-1]
        done(outcome)

    def later(self, seconds: float) -> None:
        self.now += seconds
        due = [fn for at, fn in self.timers if at <= self.now]
        self.timers = [(at, fn) for at, fn in self.timers if at > self.now]
        for fn in due:
            fn()

    @property
    def last(self) -> tuple[Indication, CounterView]:
        return self.shown[-1]


def test_each_button_sends_its_action():
    desk = Desk(repeat_guard_s=0.3)
    expected = {("next", PRESS): ("call_next", {}), ("next", HOLD): ("finish", {}), ("recall", PRESS): ("recall", {}),
                ("no_show", PRESS): ("no_show", {}), ("pause", PRESS): ("counter_status", {"status": "paused"}),
                ("pause", HOLD): ("counter_status", {"status": "closed"})}
    desk.state(current="A001")
    for (button, kind), request in expected.items():
        desk.later(1)
        assert desk.tap(button, kind) == f"sent: {request[0]}"
        assert desk.sent[-1][:2] == request
        assert desk.last[0] == Indication.SENDING
        desk.answer(Outcome(True, {"ticket": {"code": "A001"}}))


def test_pause_opens_a_paused_or_closed_counter():
    desk = Desk()
    for status in ("paused", "closed"):
        desk.later(1)
        desk.state(status=status)
        desk.tap("pause")
        assert desk.sent[-1][:2] == ("counter_status", {"status": "open"})
        desk.answer(Outcome(True, {}))


def test_repeat_window_is_per_button_and_in_flight_blocks_every_button():
    desk = Desk(repeat_guard_s=0.3)
    assert desk.tap("next") == "sent: call_next"
    assert desk.tap("recall") == "ignored: call_next in flight"
    desk.answer(Outcome(True, {"ticket": {"code": "A001"}}))
    desk.later(0.1)
    assert desk.tap("next") == "ignored: repeat"
    assert desk.tap("recall") == "sent: recall"  # another button is not a repeat
    desk.answer(Outcome(True, {}))
    desk.later(0.25)
    assert desk.tap("next") == "sent: call_next"
    assert len(desk.sent) == 3


def test_an_unreachable_hub_refuses_at_once_and_sends_nothing():
    desk = Desk(error_show_s=2)
    desk.c.set_hub_online(False)
    assert desk.last[0] == Indication.OFFLINE
    assert desk.tap("next") == "nothing sent"
    assert desk.sent == []
    assert desk.last[0] == Indication.ERROR and desk.last[1].message == Message("unreachable")
    desk.later(2.1)
    assert desk.last[0] == Indication.OFFLINE  # the error flash ends, the outage stays shown


def test_no_answer_and_refusals_flash_the_error_then_the_state_returns():
    desk = Desk(error_show_s=2, message_show_s=3)
    desk.tap("no_show")
    desk.answer(Outcome(False, code="no_show_needs_recall"))
    assert desk.last[0] == Indication.ERROR
    assert lcd_lines(desk.last[1], 16, "en")[1] == "Recall first"
    desk.later(2.1)
    assert desk.last[0] == Indication.IDLE
    desk.later(1)
    assert lcd_lines(desk.last[1], 16, "en")[1] == "Waiting: 3"
    desk.later(1)
    desk.tap("recall")
    desk.answer(Outcome(False, code=NO_ANSWER))
    assert lcd_lines(desk.last[1], 16, "pt")[1] == "Sem resposta"
    desk.later(1)
    desk.tap("pause")
    desk.answer(Outcome(False, code="some_future_code"))
    assert lcd_lines(desk.last[1], 16, "en")[1] == "Refused some_future_code"  # the LCD cuts it


def test_transfer_cycles_the_targets_and_hold_sends_the_one_shown():
    desk = Desk(repeat_guard_s=0.3)
    desk.state(current="A007")
    desk.tap("transfer")
    view = desk.last[1]
    assert view.choice == TransferChoice("A007", 0, 2, "immigration", "B", "Autorização de residência")
    assert lcd_lines(view, 16, "pt") == ["A007 para    1/2", "B Autorização de residência"]
    assert digits(view) == "t  B"
    assert desk.sent == []
    for expected in ("reception", "immigration", "reception"):
        desk.later(0.5)
        desk.tap("transfer")
        assert desk.last[1].choice.service == expected
    desk.later(0.5)
    desk.tap("transfer", HOLD)
    assert desk.sent[-1][:2] == ("transfer", {"service": "reception"})
    assert desk.last[1].choice is None


def test_another_button_or_waiting_cancels_the_choice_without_acting():
    desk = Desk(choice_timeout_s=10)
    desk.state(current="A007")
    desk.tap("transfer")
    desk.later(0.5)
    assert desk.tap("next") == "nothing sent"
    assert desk.last[1].choice is None and desk.last[1].message == Message("cancelled")
    desk.later(0.5)
    desk.tap("transfer")
    desk.later(10.1)
    assert desk.last[1].choice is None and desk.sent == []


def test_the_choice_ends_when_the_ticket_is_no_longer_at_the_counter():
    desk = Desk()
    desk.state(current="A007")
    desk.tap("transfer")
    desk.state(current=None)  # finished from elsewhere (a reload, another console)
    assert desk.last[1].choice is None


def test_nothing_to_finish_or_transfer_says_so():
    desk = Desk()
    assert desk.tap("next", HOLD) == "nothing sent"
    assert desk.last[1].message == Message("no_ticket")
    desk.later(1)
    assert desk.tap("transfer") == "nothing sent"
    assert desk.last[1].message == Message("no_ticket")


def test_the_light_follows_the_hub_state():
    desk = Desk()
    assert desk.last[0] == Indication.IDLE
    desk.state(current="A001")
    assert desk.last[0] == Indication.SERVING
    desk.state(status="paused", current="A001")
    assert desk.last[0] == Indication.PAUSED
    desk.state(status="closed")
    assert desk.last[0] == Indication.CLOSED
    desk.c.set_link(False)
    assert desk.last[0] == Indication.OFFLINE
    desk.c.set_link(True)
    assert desk.last[0] == Indication.OFFLINE  # until the hub's presence says online again
    desk.c.set_hub_online(True)
    assert desk.last[0] == Indication.CLOSED


def test_screens_for_lcd_and_four_digits():
    serving = CounterView(status="open", current="AB123", recalls=1, waiting=1204, reachable=True)
    assert lcd_lines(serving, 16, "en") == ["AB123     call 2", "Waiting: 1204"]
    assert lcd_lines(serving, 20, "pt") == ["AB123      chamada 2", "Em espera: 1204"]
    assert digits(serving) == "B123"
    told = CounterView(status="open", current="A007", waiting=3, reachable=True, message=Message("recall_limit"))
    assert lcd_lines(told, 16, "en") == ["A007".ljust(16), "Recall limit"]
    assert lcd_lines(told, 20, "en", rows=4) == ["A007".ljust(20), "Waiting: 3", "Recall limit"]
    choosing = CounterView(status="open", current="A007", reachable=True,
                           choice=TransferChoice("A007", 1, 3, "legal", "C", "Legal support"))
    assert lcd_lines(choosing, 20, "en", rows=4) == ["A007 to          2/3", "C Legal support",
                                                     "hold: send / other: cancel"]
    assert digits(CounterView(status="paused", waiting=3, reachable=True)) == "P  3"
    assert digits(CounterView(status="open", waiting=12, reachable=True)) == "  12"
    assert digits(CounterView(status="closed", reachable=True)) == "----"
    assert digits(CounterView(status="open", reachable=False)) == "OFF "
    assert digits(CounterView(status="open", reachable=True, error=True)) == "Err "


def test_the_lcd_shows_the_called_visitors_language_beside_the_code_when_it_fits():
    assert lcd_lines(CounterView("open", "M023", waiting=2, reachable=True, language="uk"), 16, "en")[0] == \
        "M023 uk".ljust(16)
    recalled = CounterView("open", "MA12345", recalls=1, waiting=2, reachable=True, language="pt-BR")
    assert lcd_lines(recalled, 16, "pt")[0] == "MA12345chamada 2", "the recall count wins over the language"
    assert lcd_lines(CounterView("open", None, waiting=0, reachable=True, language="uk"), 16, "en")[0].strip() \
        == "----"
