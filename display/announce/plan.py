"""What one announcement says, part by part: the chime, then each call in the
site's language and, when the visitor chose another language the display may
speak, again in that language.

The display's ``audio.languages`` lists the languages it may announce in
(empty = all of the site's); the site's default language is always spoken.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from display.board import CallToAnnounce

from .phrases import Phrase, call_phrase
from .queue import Announcement

CHIME = "chime"
SPEECH = "speech"


@dataclass(frozen=True)
class Part:
    kind: str  # CHIME or SPEECH
    phrase: Phrase | None = None
    #: the call this part belongs to (None for the chime)
    code: str | None = None


def languages_for(call: CallToAnnounce, default_language: str, allowed: list[str] | tuple[str, ...]) -> list[str]:
    """``["pt"]`` or ``["pt", "uk"]``: the default language, then the visitor's if allowed."""
    languages = [default_language]
    visitor = call.language
    if visitor and visitor != default_language and (not allowed or visitor in allowed):
        languages.append(visitor)
    return languages


def plan(announcement: Announcement, counter_names: Callable[[str], dict[str, str]], default_language: str,
         allowed_languages: list[str] | tuple[str, ...], chime: bool = True) -> list[Part]:
    """The parts to play in order.

    One call: the chime, the call in the default language, then in the visitor's.  A merged
    announcement (calls that waited too long) has one chime, and the calls of one counter are
    said together: "Senhas á seis, á sete, Balcão um.", then each visitor language present
    once, with its visitors' codes, so a backlog shrinks instead of growing."""
    parts = [Part(CHIME)] if chime else []
    groups: dict[str, list[CallToAnnounce]] = {}
    for call in announcement.calls:
        group = groups.setdefault(call.counter, [])
        if all(c.code != call.code for c in group):  # a call and its recall merged: once is enough
            group.append(call)
    for counter, calls in groups.items():
        names = counter_names(counter)
        number = calls[0].counter_number
        codes = [c.code for c in calls]
        tag = ",".join(codes)
        parts.append(Part(SPEECH, call_phrase(codes, number, names, default_language, default_language), tag))
        visitors: dict[str, list[str]] = {}
        for call in calls:
            for language in languages_for(call, default_language, allowed_languages)[1:]:
                visitors.setdefault(language, []).append(call.code)
        for language, own in visitors.items():
            parts.append(Part(SPEECH, call_phrase(own, number, names, language, default_language), ",".join(own)))
    return parts
