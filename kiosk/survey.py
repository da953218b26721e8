"""The satisfaction survey at the kiosk (issue 14): the seed's four questions, no Kivy.

A visitor served today names their ticket (a scan of its QR, or the code and survey PIN printed on
it, typed on the screen's keypad: the survey kiosk has no scanner) and answers the seed's four
questions on its four-point scales, each with a pictogram, no midpoint, each skippable.  The
answers go to the hub in one ``answer_survey`` request at the end, so a visitor who walks away
halfway sends nothing (the idle timeout starts the kiosk over).  The hub alone judges the ticket
(served today, not answered yet); its refusal is shown then, in plain words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field

from contract.fields import CODE, SURVEY_PIN
from contract.messages import SURVEY_QUESTIONS

from .i18n import _

#: each question, and its scale from 1 (the best) to 4, in the seed's words (its survey's results:
#: "Very adequate or adequate: 82.6 %" ...)
QUESTIONS = {
    "hours": (_("Are the opening hours adequate for you?"),
              (_("Very adequate"), _("Adequate"), _("Not very adequate"), _("Not adequate at all"))),
    "space": (_("The space: its organisation, cleanliness and decoration"),
              (_("Very pleasant"), _("Pleasant"), _("Not very pleasant"), _("Not pleasant at all"))),
    "kindness": (_("How satisfied are you with the kindness of the service?"),
                 (_("Very satisfied"), _("Satisfied"), _("Not very satisfied"), _("Not at all satisfied"))),
    "mediator": (_("How was your relationship with the mediator?"),
                 (_("Very close"), _("Close"), _("Distant"), _("Very distant"))),
}
assert tuple(QUESTIONS) == SURVEY_QUESTIONS
#: the pictograms of the four points, the best first (kiosk/icons.py names)
FACES = ("survey_1", "survey_2", "survey_3", "survey_4")
PIN_LENGTH = 6
#: the longest code a visitor can type (two letters and five digits: ``contract.fields.CODE``)
CODE_LENGTH = 7
_CODE_RE = re.compile(f"^{CODE}$")
_PIN_RE = re.compile(f"^{SURVEY_PIN}$")


@dataclass(frozen=True)
class AnswerRequest:
    """What the kiosk sends: the ticket (``ref``, or ``code`` and ``survey_pin``) and the answers."""

    ref: str | None
    code: str | None
    survey_pin: str | None
    answers: dict

    def fields(self) -> dict:
        named = {"ref": self.ref} if self.ref else {"code": self.code, "survey_pin": self.survey_pin}
        return {**named, **self.answers}


@dataclass
class SurveyState:
    """``step``: ``identify`` (typing the code, then the PIN), ``question``, ``sending``, ``done``
    or ``refused`` (``reason``: the hub's reason code, or ``unavailable``)."""

    step: str = "identify"
    #: which field the keypad types into: "code" or "pin"
    field: str = "code"
    code: str = ""
    pin: str = ""
    ref: str | None = None
    index: int = 0
    answers: dict = dataclass_field(default_factory=dict)
    reason: str | None = None

    @property
    def question(self) -> str:
        return SURVEY_QUESTIONS[self.index]

    def key(self, key: str, prefixes: tuple[str, ...]) -> None:
        """A key of the keypad: a service's prefix letters, a digit, ``erase`` or ``next``; on a
        refusal of the number and PIN, ``again`` (back to the PIN, the number kept)."""
        if self.step == "refused" and self.reason == "unknown_ticket" and key == "again":
            self.step, self.pin, self.ref, self.index, self.answers = "identify", "", None, 0, {}
            self.field = "pin" if self.code else "code"  # a scanned ticket had no number typed
            return
        if self.step != "identify":
            return
        if key == "erase":
            if self.field == "pin" and not self.pin:
                self.field = "code"
            elif self.field == "pin":
                self.pin = self.pin[:-1]
            else:
                self.code = self.code[:-1]
        elif key == "next" and self.field == "code" and _CODE_RE.match(self.code):
            self.field = "pin"
        elif self.field == "code" and key in prefixes and not any(c.isdigit() for c in self.code):
            self.code = key
        elif self.field == "code" and key.isdigit() and self.code and len(self.code) < CODE_LENGTH:
            self.code += key
        elif self.field == "pin" and key.isdigit() and len(self.pin) < PIN_LENGTH:
            self.pin += key
            if _PIN_RE.match(self.pin):
                self.step = "question"

    @property
    def can_go_on(self) -> bool:
        """The code is whole: "Next" goes to the PIN."""
        return self.field == "code" and bool(_CODE_RE.match(self.code))

    def scanned(self, ref: str) -> None:
        """A scanned ticket names itself: straight to the questions."""
        if self.step == "identify":
            self.ref, self.step = ref, "question"

    def answer(self, value: int | None) -> AnswerRequest | None:
        """The visitor's answer to the question on screen (None: skipped); after the last, the request
        (None when every question was skipped: nothing to send, the survey just ends)."""
        if self.step != "question":
            return None
        if value is not None:
            self.answers[self.question] = value
        if self.index + 1 < len(SURVEY_QUESTIONS):
            self.index += 1
            return None
        if not self.answers:
            self.step = "done"
            return None
        self.step = "sending"
        return AnswerRequest(self.ref, None if self.ref else self.code, None if self.ref else self.pin,
                             dict(self.answers))

    def previous(self) -> None:
        """Back one question (or from the first question back to the PIN)."""
        if self.step == "question" and self.index > 0:
            self.index -= 1
        elif self.step == "question":
            self.step, self.ref, self.pin = "identify", None, ""
            self.field = "pin" if self.code else "code"

    def answered(self, ok: bool, reason: str | None = None) -> None:
        self.step, self.reason = ("done", None) if ok else ("refused", reason)
