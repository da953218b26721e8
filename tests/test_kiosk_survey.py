"""The survey at the kiosk without a window (issue 14): kiosk-03 of the CNAI example (information and
survey, no scanner), its keypad, its four questions, what it sends and what it says."""

from __future__ import annotations

from test_kiosk_flow import cnai_flow

from kiosk import views
from kiosk.i18n import KIOSK_LANGUAGES, tr


def survey_flow():
    flow, clock = cnai_flow("kiosk-03")
    flow.survey_ready = True
    flow.choose_language("pt")
    flow.open_survey()
    assert flow.screen == "survey"
    return flow, clock


def type_keys(flow, *keys):
    for key in keys:
        flow.survey_key(key)


def test_the_number_and_pin_typed_then_four_answers_one_skipped_make_one_request():
    flow, _ = survey_flow()
    keys = views.survey_view(flow).keys
    assert [k.value for k in keys[:8]] == ["A", "IN", "M", "S", "U", "E", "R", "N"]  # the example's prefixes
    assert keys[-1].value == "next" and keys[-1].kind == "quiet"  # nothing to go on with yet
    type_keys(flow, "5", "IN", "0", "0", "7")  # a digit before the letters is ignored
    assert views.survey_view(flow).keys[-1].kind == "primary"
    assert flow.state.survey.code == "IN007" and views.survey_view(flow).field == "code"
    type_keys(flow, "next", "1", "2", "3", "4", "5")
    assert views.survey_view(flow).pin == "●●●●●–" and flow.screen == "survey"
    flow.survey_key("6")
    assert flow.screen == "survey_question"
    question = views.survey_question_view(flow)
    assert question.progress == "Pergunta 1 de 4" or question.progress == tr("pt", "Question %(n)d of %(total)d",
                                                                             n=1, total=4)
    assert [a.icon for a in question.answers] == ["survey_1", "survey_2", "survey_3", "survey_4", "skip"]
    assert flow.survey_answer(2) is None and flow.survey_answer(None) is None and flow.survey_answer(1) is None
    request = flow.survey_answer(4)
    assert request.fields() == {"code": "IN007", "survey_pin": "123456", "hours": 2, "kindness": 1, "mediator": 4}
    assert flow.screen == "survey" and views.survey_view(flow).prompt == tr("pt", "Sending your answers…")
    flow.survey_answered(False, "already_answered")
    end = views.survey_view(flow)
    assert end.prompt == tr("pt", views.SURVEY_REFUSALS["already_answered"])
    assert [(k.value, k.kind) for k in end.keys] == [("done", "primary")]  # nothing to retry: only the way out
    flow.survey_key("again")
    assert flow.screen == "survey" and flow.state.survey.step == "refused"
    flow.survey_key("done")
    assert flow.screen == "start" and flow.state.survey is None


def test_a_wrong_pin_is_typed_again_without_the_number():
    """The hub knows no ticket of today by this number and PIN: "Back" returns to the PIN, the number
    kept, and the answers are asked again; "Done" starts the kiosk over."""
    flow, _ = survey_flow()
    type_keys(flow, "A", "0", "1", "2", "next", *"654321")
    request = None
    for value in (1, 1, 1, 1):
        request = flow.survey_answer(value)
    assert request is not None
    flow.survey_answered(False, "unknown_ticket")
    end = views.survey_view(flow)
    assert [(k.value, k.label) for k in end.keys] == [("again", tr("pt", "Back")), ("done", tr("pt", "Done"))]
    flow.survey_key("again")
    again = views.survey_view(flow)
    assert flow.screen == "survey" and again.field == "pin" and again.code == "A012" and again.pin == "––––––"
    type_keys(flow, *"123456")
    assert flow.screen == "survey_question" and views.survey_question_view(flow).progress == \
        tr("pt", "Question %(n)d of %(total)d", n=1, total=4)
    for value in (2, 2, 2, 2):
        request = flow.survey_answer(value)
    assert request.fields() == {"code": "A012", "survey_pin": "123456", "hours": 2, "space": 2, "kindness": 2,
                                "mediator": 2}
    # a scanned ticket the hub does not know: "Back" offers the keypad from the number
    flow, _ = survey_flow()
    flow.survey_scanned("abcdefghijklmnopqrstuvwxyz")
    for value in (3, 3, 3, 3):
        flow.survey_answer(value)
    flow.survey_answered(False, "unknown_ticket")
    flow.survey_key("again")
    assert views.survey_view(flow).field == "code" and flow.state.survey.ref is None


def test_a_scan_sends_the_ref_and_back_walks_the_questions():
    flow, _ = survey_flow()
    assert flow.survey_scanned("abcdefghijklmnopqrstuvwxyz")
    flow.survey_answer(1)
    flow.back()
    assert views.survey_question_view(flow).progress == tr("pt", "Question %(n)d of %(total)d", n=1, total=4)
    for value in (3, 3, 3, 3):
        request = flow.survey_answer(value)
    assert request.fields() == {"ref": "abcdefghijklmnopqrstuvwxyz", "hours": 3, "space": 3, "kindness": 3,
                                "mediator": 3}
    assert not flow.survey_scanned("abcdefghijklmnopqrst")  # the survey is sending: a scan does not restart it


def test_every_question_skipped_sends_nothing_and_the_end_and_idle_start_over():
    flow, clock = survey_flow()
    flow.survey_scanned("abcdefghijklmnop")
    assert [flow.survey_answer(None) for _ in range(4)] == [None] * 4
    assert views.survey_view(flow).prompt == tr("pt", "Thank you for your answers!")
    clock.advance(flow.config.ticket_screen_s + 1)
    flow.tick()
    assert flow.screen == "start" and flow.state.survey is None
    flow, clock = survey_flow()
    type_keys(flow, "A", "1")
    clock.advance(flow.config.idle_timeout_s + 1)
    flow.tick()
    assert flow.screen == "start" and flow.state.survey is None


def test_the_survey_reads_in_every_kiosk_language():
    """Every survey text is translated (not the English source) in the ten languages."""
    from kiosk.survey import QUESTIONS
    texts = ["Your opinion", "Type the number and the survey PIN printed on your ticket.", "Ticket number",
             "Survey PIN", "Skip this question", "Thank you for your answers!", "Erase", "Next",
             *views.SURVEY_REFUSALS.values()]
    texts += [t for question, scale in QUESTIONS.values() for t in (question, *scale)]
    for lang in KIOSK_LANGUAGES:
        if lang == "en":
            continue
        untranslated = [t for t in texts if tr(lang, t) == t]
        assert not untranslated, (lang, untranslated)


def test_the_paper_ticket_prints_the_survey_pin_in_the_visitors_language_and_only_when_given():
    from hardware.printer.layout import Text, ticket_layout
    ticket = {"code": "A012", "service": "reception", "issued_at": "2026-12-03T10:00:00+00:00", "priority": False,
              "people_ahead": 0, "language": "ar", "qr": "OSS1:s:2026-12-03:A012:abcdefghijklmnop",
              "survey_pin": "042917"}
    site = {"site": {"name": "CNAI", "default_language": "pt", "retention_days": 90},
            "services": [{"id": "reception", "name": {"pt": "Acolhimento", "ar": "الاستقبال"}}]}
    lines = [(b.text, b.language) for b in ticket_layout(ticket, site).blocks if isinstance(b, Text)]
    assert ("رمز PIN للاستبيان: 042917", "ar") in lines
    assert not any("PIN" in b.text for b in ticket_layout({**ticket, "survey_pin": None}, site).blocks
                   if isinstance(b, Text))
