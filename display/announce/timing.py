"""Pauses between the parts of announcements (configurable, so tests can space them out)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnnounceTiming:
    """Pauses between the parts of announcements, in seconds."""

    after_chime_s: float = 0.25
    between_languages_s: float = 0.5
    between_announcements_s: float = 0.8
