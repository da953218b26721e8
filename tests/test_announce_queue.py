"""The announcement queue's rules on a fake clock, without audio: order, no
cut-off, recall, merge; and what each announcement says (plan)."""

from __future__ import annotations

import pytest

from display.announce.plan import CHIME, SPEECH, languages_for, plan
from display.announce.queue import AnnouncementQueue
from display.board import CallToAnnounce


def call(code: str, counter: str = "c1", number: int = 1, language: str = "pt", recall: int = 0,
         rev: int = 1) -> CallToAnnounce:
    return CallToAnnounce(code=code, counter=counter, counter_number=number, language=language, recall=recall,
                          rev=rev)


NAMES = {"c1": {"pt": "Balcão 1", "uk": "Вікно 1", "en": "Counter 1"},
         "c5": {"pt": "Balcão 5", "uk": "Вікно 5", "ar": "الشباك 5"}}


def say(announcement, allowed=("pt", "en", "uk", "ar"), chime=True):
    return [(p.kind, p.phrase.language if p.phrase else None, p.phrase.text if p.phrase else None)
            for p in plan(announcement, lambda c: NAMES.get(c, {}), "pt", allowed, chime=chime)]


def test_calls_are_announced_in_arrival_order_one_at_a_time():
    q = AnnouncementQueue(max_delay_s=20)
    for i, code in enumerate(["A001", "A002", "A003"]):
        q.push(call(code, rev=i + 1), now=0.0 + i * 0.1)
    first = q.start_next(now=0.3)
    assert [c.code for c in first.calls] == ["A001"]
    # no cut-off: while A001 plays nothing else starts, however long it takes
    assert q.start_next(now=0.4) is None
    assert q.start_next(now=10.0) is None
    q.finish(now=10.0)
    assert [c.code for c in q.start_next(now=10.1).calls] == ["A002"]
    q.finish(now=12.0)
    assert [c.code for c in q.start_next(now=12.1).calls] == ["A003"]
    q.finish(now=14.0)
    assert q.start_next(now=15.0) is None
    assert not q.busy


def test_a_recall_is_announced_again_after_the_call_was_spoken():
    q = AnnouncementQueue(max_delay_s=20)
    q.push(call("A001"), now=0)
    q.start_next(now=0)
    assert q.push(call("A001", recall=1, rev=2), now=1.0)  # while it is being said: queued again
    q.finish(now=3.0)
    again = q.start_next(now=3.0)
    assert [(c.code, c.recall) for c in again.calls] == [("A001", 1)]


def test_a_recall_of_a_ticket_still_waiting_its_turn_is_folded_into_it():
    q = AnnouncementQueue(max_delay_s=20)
    q.push(call("B007", counter="c5", number=5), now=0)
    q.start_next(now=0)
    q.push(call("A001"), now=0.5)
    assert not q.push(call("A001", recall=1, rev=3), now=0.6)
    assert q.folded == 1
    q.finish(now=2)
    announcement = q.start_next(now=2)
    assert [(c.code, c.recall) for c in announcement.calls] == [("A001", 1)]
    q.finish(now=4)
    assert q.start_next(now=4) is None  # said once, not twice in a row


def test_the_same_ticket_at_another_counter_is_a_new_announcement():
    q = AnnouncementQueue(max_delay_s=20)
    q.push(call("A001", counter="c1"), now=0)
    assert q.push(call("A001", counter="c5", number=5), now=0.1)
    assert len(q.waiting) == 2


def test_calls_that_waited_too_long_are_merged_not_dropped():
    q = AnnouncementQueue(max_delay_s=5)
    q.push(call("A001"), now=0)
    spoken = [c.code for c in q.start_next(now=0).calls]
    # a burst while A001 is (slowly) said
    for i, code in enumerate(["A002", "A003", "A004"]):
        q.push(call(code, rev=10 + i), now=1 + i)
    q.push(call("A005", rev=20), now=7.5)
    q.finish(now=8.5)
    merged = q.start_next(now=8.5)
    spoken += [c.code for c in merged.calls]
    # A002 (7.5 s), A003 (6.5 s) and A004 (5.5 s) waited more than 5 s: one announcement for all three
    assert [c.code for c in merged.calls] == ["A002", "A003", "A004"]
    assert merged.merged and min(merged.waited_s) > 5
    q.finish(now=15)
    # A005 has waited 7.5 s by now: on its own, it is "merged" alone, still said
    late = q.start_next(now=15)
    assert [c.code for c in late.calls] == ["A005"]
    spoken += [c.code for c in late.calls]
    q.finish(now=17)
    assert spoken == ["A001", "A002", "A003", "A004", "A005"]  # every call once, in order
    assert q.start_next(now=18) is None


def test_a_call_just_under_the_delay_is_announced_on_its_own():
    q = AnnouncementQueue(max_delay_s=5)
    q.push(call("A001"), now=0)
    q.push(call("A002"), now=0.5)
    assert [c.code for c in q.start_next(now=4.9).calls] == ["A001"]


def test_bad_delay_is_refused():
    with pytest.raises(ValueError):
        AnnouncementQueue(max_delay_s=0)


# ------------------------------------------------------------------ plan


def test_portuguese_visitor_hears_portuguese_once_after_the_chime():
    q = AnnouncementQueue()
    q.push(call("A023", counter="c5", number=5), now=0)
    assert say(q.start_next(0)) == [(CHIME, None, None), (SPEECH, "pt", "Senha á vinte e três, Balcão cinco.")]


def test_ukrainian_visitor_hears_portuguese_then_ukrainian():
    q = AnnouncementQueue()
    q.push(call("A023", counter="c5", number=5, language="uk"), now=0)
    assert say(q.start_next(0)) == [(CHIME, None, None), (SPEECH, "pt", "Senha á vinte e três, Balcão cinco."),
                                    (SPEECH, "uk", "Талон а двадцять три, Вікно п'ять.")]


def test_a_language_the_display_may_not_speak_is_left_out():
    q = AnnouncementQueue()
    q.push(call("A023", counter="c5", number=5, language="ar"), now=0)
    assert [s[1] for s in say(q.start_next(0), allowed=("pt", "en"))] == [None, "pt"]
    assert languages_for(call("A1", language="ar"), "pt", ()) == ["pt", "ar"]  # empty list = all languages


def test_a_merged_announcement_has_one_chime_and_every_call_in_both_languages():
    q = AnnouncementQueue(max_delay_s=1)
    q.push(call("A001", language="uk"), now=0)
    q.push(call("A002", counter="c5", number=5), now=0)
    q.push(call("A001", counter="c1", recall=1), now=0)  # folded into the waiting A001
    parts = say(q.start_next(now=5))
    assert [p[0] for p in parts].count(CHIME) == 1
    assert [(p[1], p[2]) for p in parts[1:]] == [
        ("pt", "Senha á um, Balcão um."), ("uk", "Талон а один, Вікно один."), ("pt", "Senha á dois, Balcão cinco.")]


def test_the_chime_can_be_switched_off():
    q = AnnouncementQueue()
    q.push(call("A001"), now=0)
    assert [p[0] for p in say(q.start_next(0), chime=False)] == [SPEECH]


def test_merged_calls_of_one_counter_are_said_in_one_sentence_per_language():
    q = AnnouncementQueue(max_delay_s=1)
    q.push(call("A006", language="uk"), now=0)
    q.push(call("A008"), now=0.1)
    q.push(call("A009", language="uk"), now=0.2)
    parts = say(q.start_next(now=5))
    assert parts == [(CHIME, None, None), (SPEECH, "pt", "Senhas á seis, á oito, á nove, Balcão um."),
                     (SPEECH, "uk", "Талони а шість, а дев'ять, Вікно один.")]


def test_a_long_run_of_merged_tickets_is_said_as_a_range():
    q = AnnouncementQueue(max_delay_s=1)
    for n in range(6, 29):
        q.push(call(f"A{n:03d}", rev=n), now=n / 100)
    q.push(call("B002", language="uk"), now=0.5)
    parts = say(q.start_next(now=5))
    assert parts[1] == (SPEECH, "pt", "Senhas á seis até á vinte e oito, bê dois, Balcão um.")
    assert parts[2] == (SPEECH, "uk", "Талон бе два, Вікно один.")
