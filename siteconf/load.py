"""Read and validate a site file; every problem names the file, the key and what is wrong."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from .schema import Site

EXAMPLES = Path(__file__).parent / "examples"
EXAMPLE_SITE = EXAMPLES / "cnai-lisboa.toml"


class SiteFileError(Exception):
    """A site file that cannot be used; ``str()`` is a message for a technician."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{self.path}: {len(problems)} problem(s):\n{lines}")


def format_validation_error(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = err["loc"]
        where = ""
        for part in loc:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if err["type"] == "extra_forbidden":
            message = "unknown key (a typo?)"
        elif err["type"] == "missing":
            message = "is required"
        for line in message.splitlines():
            problems.append(f"{where}: {line}" if where and not line.startswith(where) else line)
    return problems


def read_toml(path: Path | str) -> dict:
    """A TOML file's content; SiteFileError (file not found, unreadable, not TOML) otherwise."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SiteFileError(path, ["file not found"]) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SiteFileError(path, [f"cannot read it: {exc}"]) from None


def validated(model, data: dict, path: Path | str):
    """``model.model_validate(data)``; SiteFileError naming each key and problem otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SiteFileError(path, format_validation_error(exc)) from None


def parse_site(data: dict, path: Path | str = "<site>") -> Site:
    try:
        return Site.model_validate(data)
    except ValidationError as exc:
        raise SiteFileError(path, format_validation_error(exc)) from None


def load_site(path: Path | str) -> Site:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SiteFileError(path, ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteFileError(path, [f"cannot read it: {exc}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SiteFileError(path, [f"not valid TOML: {exc}"]) from None
    return parse_site(data, path)
