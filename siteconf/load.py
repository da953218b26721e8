"""Read and validate the product's TOML files; every problem names the file, the key and what to do.

Every file a technician or an exporter writes (the site file, a device file,
``appointments.toml``, a content pack) goes through ``read_toml`` and
``validated``, which turn anything wrong with it into one ``SiteFileError``:
never a traceback, however the file is broken (too large, not UTF-8, not
TOML, nested without end, wrong keys or values).  The limits keep a careless
or hostile file from reaching every device: a site file becomes the retained
``config/site`` that every kiosk, counter and display receives.  Why each
limit has its value is in docs/decisions.md ("Bad files").
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from contract import payloads

from .schema import Site
from .slices import public_config

EXAMPLES = Path(__file__).parent / "examples"
EXAMPLE_SITE = EXAMPLES / "cnai-lisboa.toml"

#: tables and arrays inside one another; the deepest a real file goes is a site file's
#: kiosk menu at its deepest (schema.MAX_MENU_DEPTH levels): 13
MAX_NESTING = 20
#: problems spelled out in one message; the others are counted ("... and 812 more")
MAX_PROBLEMS_SHOWN = 20
#: characters of one problem line (a value quoted in it is cut short)
MAX_PROBLEM_CHARS = 300
#: the public part of the site file every device receives, as the hub publishes it (JSON)
MAX_PUBLIC_CONFIG_BYTES = 512 * 1024


@dataclass(frozen=True)
class FileKind:
    """One kind of file: what a technician calls it, its size limit, and what to do when it is wrong."""

    name: str
    max_bytes: int
    #: the last line of every message about such a file; ``{path}`` is the file
    fix: str


SITE_FILE = FileKind("site file", 1024 * 1024,
                     "Fix the file, then check it with `onestop-provision check {path}` "
                     "(on the hub: `systemctl reload onestop-hub` after the fix).")


def size_text(size: int) -> str:
    """``"8 MB"``, ``"256 KB"``: sizes as a technician reads them (1 KB = 1024 bytes)."""
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 and not size % (1024 * 1024) else f"{size // 1024} KB"


def _escaped(text: str) -> str:
    """``text`` as a terminal and the journal can show it: control characters, and bytes of a file
    name that are not UTF-8, escaped (``\\x07``, ``\\udcff``)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _printable(text: str) -> str:
    """One problem line: escaped, and cut to a sane length (a quoted value may be megabytes)."""
    text = _escaped(text)
    return text if len(text) <= MAX_PROBLEM_CHARS else text[:MAX_PROBLEM_CHARS - 3] + "..."


def describe(path: str, problems: list[str], fix: str = "") -> str:
    """The message: the file, its problems (the first ``MAX_PROBLEMS_SHOWN``), then what to do."""
    shown = "".join(f"\n  - {_printable(p)}" for p in problems[:MAX_PROBLEMS_SHOWN])
    if len(problems) > MAX_PROBLEMS_SHOWN:
        shown += f"\n  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more"
    path = _escaped(path)
    text = f"{path}: {len(problems)} problem(s):{shown}"
    return f"{text}\n{fix.format(path=path)}" if fix else text


class SiteFileError(Exception):
    """A file that cannot be used; ``str()`` is one message for a technician: the file, each
    key or line with its problem (at most ``MAX_PROBLEMS_SHOWN``), and what to do."""

    def __init__(self, path: Path | str, problems: list[str], fix: str = ""):
        self.path = str(path)
        self.problems = list(problems)
        self.fix = fix
        super().__init__(describe(self.path, self.problems, fix))


def key_path(parts) -> str:
    """``services[3].name.pt`` from ("services", 3, "name", "pt")."""
    where = ""
    for part in parts:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return where


def format_validation_error(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        where = key_path(err["loc"])
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if err["type"] == "extra_forbidden":
            message = "unknown key (a typo?)"
        elif err["type"] == "missing":
            message = "is required"
        elif err["type"] == "too_long" and err.get("ctx", {}).get("actual_length") is not None:
            message = (f"has {err['ctx']['actual_length']} entries, at most {err['ctx']['max_length']} are allowed "
                       "(see the limits in docs/technician.md)")
        for line in message.splitlines():
            problems.append(f"{where}: {line}" if where and not line.startswith(where) else line)
    return problems


def _deep_line(text: str) -> int | None:
    """Roughly the line where brackets first nest deeper than ``MAX_NESTING`` (strings and comments
    are not told apart): only to point a technician at the place once the TOML parser gave up."""
    depth = 0
    for index, char in enumerate(text):
        if char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return text.count("\n", 0, index) + 1
        elif char in "]}":
            depth = max(0, depth - 1)
    return None


def read_toml(path: Path | str, kind: FileKind = SITE_FILE) -> dict:
    """A TOML file's content; SiteFileError (not found, not a file, too large, not UTF-8, not TOML,
    nested too deep) otherwise.  Reads at most ``kind.max_bytes`` + 1 bytes, so a huge file costs nothing."""
    path = Path(path)

    def fail(problem: str):
        return SiteFileError(path, [problem], kind.fix)

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise fail(f"is not a file (a {kind.name} is a TOML text file)")
        with open(path, "rb") as handle:
            raw = handle.read(kind.max_bytes + 1)
    except FileNotFoundError:
        raise fail("file not found") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise fail(f"cannot read it: {getattr(exc, 'strerror', None) or exc}") from None
    if len(raw) > kind.max_bytes:
        raise fail(f"is larger than {size_text(kind.max_bytes)}, the limit for a {kind.name}: is it the right file?")
    try:
        text = raw.decode("utf-8-sig")  # the byte-order mark some Windows editors write is no mistake
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise fail(f"line {line}: not UTF-8 text (save the file as UTF-8)") from None
    try:
        return tomllib.loads(text)
    except RecursionError:
        line = _deep_line(text)
        raise fail(f"{f'line {line}: ' if line else ''}nested more than {MAX_NESTING} levels deep") from None
    except tomllib.TOMLDecodeError as exc:  # its message says the line and column
        raise fail(f"not valid TOML: {exc}") from None
    except ValueError:  # Python reads no integer of more than 4300 digits
        number = re.search(r"[0-9_]{4300,}", text)
        line = f"line {text.count(chr(10), 0, number.start()) + 1}: " if number else ""
        raise fail(f"{line}not valid TOML: a number of more than 4300 digits") from None


def too_deep(data, limit: int = MAX_NESTING) -> str | None:
    """The key of the first value nested deeper than ``limit`` tables and arrays, None when none is.
    Iterative, so no depth of input can exhaust the stack."""
    stack = [(data, (), 1)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, dict):
            children = value.items()
        elif isinstance(value, list):
            children = enumerate(value)
        else:
            continue
        if depth > limit:
            return key_path(where) or "(top)"
        stack.extend((child, (*where, key), depth + 1) for key, child in children)
    return None


def validated(model, data: dict, path: Path | str, kind: FileKind = SITE_FILE):
    """``model.model_validate(data)``; SiteFileError naming each key and problem otherwise."""
    where = too_deep(data)
    if where is not None:
        raise SiteFileError(path, [f"{where}: nested more than {MAX_NESTING} levels deep"], kind.fix)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SiteFileError(path, format_validation_error(exc), kind.fix) from None


def parse_site(data: dict, path: Path | str = "<site>") -> Site:
    """A validated site; SiteFileError names every problem, including a public part too large to
    send to every device."""
    site = validated(Site, data, path, SITE_FILE)
    size = len(payloads.encode(public_config(site)))
    if size > MAX_PUBLIC_CONFIG_BYTES:
        raise SiteFileError(path, [f"the part every device receives (config/site: site, zones, services, kiosk, "
                                   f"counters, ticker, opening_hours) would be {size_text(size)}; the limit is "
                                   f"{size_text(MAX_PUBLIC_CONFIG_BYTES)}: shorten texts or remove entries"],
                            SITE_FILE.fix)
    return site


def load_site(path: Path | str) -> Site:
    return parse_site(read_toml(path, SITE_FILE), path)
