"""Deck options (Anki's "deck preset"): defaults, project file, front matter, flags.

Precedence, lowest to highest: Anki's defaults, ``[tool.deckgen]`` in
``pyproject.toml`` (or a ``deckgen.toml``), a lecture's front matter, then the
command-line flags. Values are validated with messages that say what to fix.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A deck option with a value Anki cannot use; the message names where it came from."""


@dataclass(frozen=True)
class DeckSettings:
    """The options shipped in each deck's preset."""

    new_per_day: int = 20
    reviews_per_day: int = 200
    learning_steps: tuple[float, ...] = (1.0, 10.0)  # minutes
    desired_retention: float = 0.9
    max_interval: int = 36500  # days

    def describe(self) -> str:
        """A short human-readable summary, also the preset's name in Anki."""
        steps = " ".join(format_step(s) for s in self.learning_steps)
        return (
            f"deckgen: {self.new_per_day} new/day, {self.reviews_per_day} reviews/day, "
            f"steps {steps}, retention {self.desired_retention:g}, max {self.max_interval}d"
        )


SETTING_KEYS = {f.name.replace("_", "-"): f.name for f in fields(DeckSettings)}
_STEP_RE = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
_UNIT_MINUTES = {"s": 1 / 60, "m": 1.0, "": 1.0, "h": 60.0, "d": 1440.0}


def format_step(minutes: float) -> str:
    """``1440.0`` → ``1d``, ``10.0`` → ``10m``."""
    for unit, size in (("d", 1440.0), ("h", 60.0), ("m", 1.0)):
        if minutes >= size and (minutes / size).is_integer():
            return f"{int(minutes / size)}{unit}"
    return f"{round(minutes * 60)}s"


def parse_steps(value: Any, where: str) -> tuple[float, ...]:
    """Learning steps from ``"1m 10m 1d"`` (or a list of such strings or minute numbers)."""
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise SettingsError(f'{where}: learning steps must look like "1m 10m 1d"')
    steps = []
    for item in items:
        m = _STEP_RE.match(str(item).strip().lower())
        if not m or float(m.group(1)) <= 0:
            raise SettingsError(
                f"{where}: learning step {item!r} is not a duration like 30s, 10m, 1h or 1d"
            )
        steps.append(float(m.group(1)) * _UNIT_MINUTES[m.group(2)])
    return tuple(steps)


def _int(value: Any, name: str, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise SettingsError(f"{where}: {name} must be a whole number, not {value!r}")
    number = int(value)
    if not low <= number <= high:
        raise SettingsError(f"{where}: {name} must be between {low} and {high}, not {number}")
    return number


def validate(key: str, value: Any, where: str) -> Any:
    """Check and convert one option (``key`` in dashed form)."""
    if key == "new-per-day":
        return _int(value, key, where, 1, 9999)
    if key == "reviews-per-day":
        return _int(value, key, where, 1, 9999)
    if key == "max-interval":
        return _int(value, key, where, 1, 36500)
    if key == "learning-steps":
        return parse_steps(value, where)
    if key == "desired-retention":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{where}: desired-retention must be a number like 0.9") from None
        if not 0.7 < number <= 0.99:
            raise SettingsError(
                f"{where}: desired-retention must be above 0.7 and at most 0.99, not {number:g}"
            )
        return number
    raise SettingsError(f"{where}: unknown deck option {key!r}")


def apply(base: DeckSettings, values: Mapping[str, Any], where: str) -> DeckSettings:
    """``base`` with the deck options found in ``values`` (other keys are ignored)."""
    changes = {}
    for raw_key, value in values.items():
        key = str(raw_key).replace("_", "-")
        if key in SETTING_KEYS and value is not None:
            changes[SETTING_KEYS[key]] = validate(key, value, where)
    return replace(base, **changes) if changes else base


def find_project_file(start: Path) -> Path | None:
    """``deckgen.toml``, or a ``pyproject.toml`` with ``[tool.deckgen]``, in ``start`` or above."""
    for folder in (start.resolve(), *start.resolve().parents):
        for name in ("deckgen.toml", "pyproject.toml"):
            candidate = folder / name
            if candidate.is_file() and (name == "deckgen.toml" or _has_tool_table(candidate)):
                return candidate
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        return "deckgen" in tomllib.loads(path.read_text("utf-8")).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False


def load_project_settings(start: Path) -> tuple[dict[str, Any], Path | None]:
    """The ``[tool.deckgen]`` table (or ``deckgen.toml``) nearest to ``start``."""
    path = find_project_file(start)
    if path is None:
        return {}, None
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: invalid TOML: {exc}") from None
    table = data if path.name == "deckgen.toml" else data.get("tool", {}).get("deckgen", {})
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [tool.deckgen] must be a table")
    return table, path


PROJECT_KEYS = (*SETTING_KEYS, "media-root")  # what [tool.deckgen] / deckgen.toml may hold


def _table_name(path: Path) -> str:
    return str(path) if path.name == "deckgen.toml" else f"{path} [tool.deckgen]"


def unknown_project_keys(table: Mapping[str, Any], path: Path) -> list[str]:
    """A warning for each key of the project table that deckgen does not use, naming the
    file and the key, with the nearest known key when one is close (a typo)."""
    warnings = []
    for raw_key in table:
        key = str(raw_key)
        if key.replace("_", "-") in PROJECT_KEYS:
            continue
        close = difflib.get_close_matches(key.replace("_", "-"), PROJECT_KEYS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        known = ", ".join(PROJECT_KEYS)
        warnings.append(
            f"{_table_name(path)}: unknown key {key!r} is ignored{hint}; known keys: {known}"
        )
    return warnings


def project_media_root(table: Mapping[str, Any], path: Path) -> Path | None:
    """``media-root`` of the project table, relative to its file, checked as the
    ``--media-root`` flag is: an existing folder."""
    value = table.get("media-root", table.get("media_root"))
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SettingsError(f"{_table_name(path)}: media-root must be a folder name, not {value!r}")
    folder = path.parent / value
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise SettingsError(f"{_table_name(path)}: media-root {value!r} {what} ({folder})")
    return folder


def preset_id(settings: DeckSettings) -> int:
    """A preset id derived from the settings: Anki only inserts presets whose id is new."""
    digest = hashlib.sha256(repr(settings).encode()).digest()
    return (1 << 40) + int.from_bytes(digest[:6], "big") % (1 << 40)
