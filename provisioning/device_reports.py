"""What ``fleet`` reads from devices, checked: their retained presence and health.

Every device (or anyone holding its login) may retain anything on its own
``presence/<id>`` and ``health/<id>``: a list, a string, ``"at": 1e308``, NaN,
a megabyte, bytes that are not UTF-8, an escape sequence for the
technician's terminal.  So nothing a device says is trusted.  A payload is
parsed within limits (``MAX_REPORT_BYTES``, and nesting deeper than Python's
parser takes is refused); the fields fleet uses are validated (pydantic,
strict: ``online`` a real boolean, times real numbers of seconds between 1970
and 2100, names like ids, texts printable and at most ``MAX_TEXT`` long);
whatever fleet does not use is ignored, so a newer firmware's extra fields
are no error.  A payload that fails becomes ``Unreadable`` with a reason in
this module's own words (never the device's text), and shows in that
device's row only.

The figures: a kiosk's fullest health report (every part, a long scanner
detail, ten content languages) is about 1.5 KB and its longest text about 220
characters, so ``MAX_REPORT_BYTES`` (16 KiB) and ``MAX_TEXT`` (500) leave
room for ten times that and refuse what no firmware sends.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

MAX_REPORT_BYTES = 16 * 1024
MAX_TEXT = 500
#: 2100-01-01 UTC: later "times" are not a device's clock, just numbers
LATEST_TIME = 4102444800
#: fields of every payload that are not a health part
ENVELOPE = frozenset({"v", "type", "device", "at"})

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
NAME_RULE = "up to 40 lower-case letters, digits, - and _"


def is_printable(text: str) -> bool:
    """No control, format (bidi overrides), private-use or unassigned characters, no line breaks."""
    return all(unicodedata.category(c)[0] != "C" and unicodedata.category(c) not in ("Zl", "Zp") for c in text)


def _printable(text: str) -> str:
    if not is_printable(text):
        raise ValueError("not printable text")
    return text


Name = Annotated[str, Field(pattern=_NAME_RE.pattern)]
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_printable)]
UnixTime = Annotated[float, Field(ge=0, lt=LATEST_TIME, allow_inf_nan=False)]


class _Report(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class Presence(_Report):
    """``presence/<id>``: what ``DeviceLink`` retains (and leaves as its last will)."""

    online: bool
    since: UnixTime | None = None
    role: Name | None = None


class Health(_Report):
    """``health/<id>``: the time of the report and its text parts (``printer``: ``paper_out``...).

    Parts that are not text (``content``, counts) are not shown, so not read."""

    at: UnixTime | None = None
    parts: dict[Name, Text] = {}

    @model_validator(mode="before")
    @classmethod
    def _split(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {"at": data.get("at"),
                "parts": {key: value for key, value in data.items() if key not in ENVELOPE and isinstance(value, str)}}


@dataclass(frozen=True)
class Unreadable:
    """A payload fleet cannot use, and why (in words safe to print)."""

    reason: str


Report = TypeVar("Report", Presence, Health)


def read_report(model: type[Report], payload: bytes) -> Report | Unreadable:
    """``payload`` as ``model``, or why not.  Never raises."""
    if len(payload) > MAX_REPORT_BYTES:
        return Unreadable(f"{len(payload)} bytes, more than the {MAX_REPORT_BYTES} a report may have")
    try:
        data = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        return Unreadable("not UTF-8 text")
    except RecursionError:
        return Unreadable("nested too deeply")
    except ValueError:
        return Unreadable("not JSON")
    if not isinstance(data, dict):
        return Unreadable(f"not a JSON object but {_json_kind(data)}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        return Unreadable(describe(exc))


def _json_kind(value: Any) -> str:
    kinds = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return kinds.get(type(value), "null")


def describe(exc: ValidationError) -> str:
    """The first problem, as ``field: what is wrong``; a field name the device made up is not repeated."""
    error = exc.errors(include_url=False, include_input=False, include_context=False)[0]
    where = ".".join(_shown(part) for part in error["loc"] if part != "parts") or "payload"
    kind, message = error["type"], error["msg"].removeprefix("Value error, ")
    if where.endswith("[key]"):
        return f"a health field whose name is not a name ({NAME_RULE})"
    if kind == "string_too_long":
        message = f"longer than {MAX_TEXT} characters"
    elif kind == "string_pattern_mismatch":
        message = f"not a name ({NAME_RULE})"
    elif kind in ("less_than", "greater_than_equal", "finite_number"):
        message = "not a time (seconds since 1970, before 2100)"
    return f"{where}: {message[:1].lower()}{message[1:]}"


def _shown(part: str | int) -> str:
    return str(part) if isinstance(part, int) or _NAME_RE.match(part) or part == "[key]" else "(a made-up field)"
