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
    """The parts to play in order (a merged announcement has one chime for all its calls)."""
    parts = [Part(CHIME)] if chime else []
    said: set[tuple[str, str]] = set()
    for call in announcement.calls:
        if (call.code, call.counter) in said:
            continue  # a call and its recall merged: once is enough
        said.add((call.code, call.counter))
        names = counter_names(call.counter)
        for language in languages_for(call, default_language, allowed_languages):
            parts.append(Part(SPEECH, call_phrase(call.code, call.counter_number, names, language,
                                                  default_language), call.code))
    return parts
