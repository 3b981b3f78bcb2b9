"""Every diagnostic deckgen reports: its code, its default severity and what it means.

A :class:`~deckgen.model.Diagnostic` is created with one of these codes and its
severity (``check --strict`` turns warnings into errors). ``deckgen check --list-rules``
prints this table; the tests check that the source uses no other code and that the
README lists exactly these.
"""

from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    """A diagnostic code's default severity and one-line description."""

    severity: str  # "error" | "warning" | "info"
    description: str


RULES: dict[str, Rule] = {
    # Reading the file: such a lecture gets no package.
    "read": Rule("error", "the lecture cannot be read"),
    "io": Rule("error", "the file, or a folder of lectures, cannot be opened or read"),
    "too-large": Rule("error", "larger than a lecture may be: 5 MB, 5,000 list items and headings"),
    "binary": Rule("error", "binary content (a NUL byte): not a Markdown lecture"),
    "file-name": Rule("error", "the file's name is not valid UTF-8"),
    "not-a-file": Rule("error", "a FIFO, device or other non-regular file named like a lecture"),
    "encoding": Rule("error", "not valid UTF-8 (the line of the first bad byte)"),
    "front-matter": Rule("error", "broken front matter: never closed, invalid YAML, not a mapping"),
    "deck-options": Rule("error", "invalid deck options in the front matter"),
    "lecture-id": Rule("error", "the lecture's id is another lecture's too, or reserved ('@…')"),
    "output-clash": Rule("error", "two lectures would write one package (names differ in case)"),
    # What the lecture holds.
    "missing-title": Rule(
        "warning", "no 'title' in the front matter (the heading or name is used)"
    ),
    "no-cards": Rule("warning", "empty lecture, or nothing to memorise found: no package written"),
    "incomplete-star": Rule(
        "warning", "a STAR story lacks some of Situation, Task, Action, Result"
    ),
    "duplicate-name": Rule("warning", "two items of one kind share a name (both are kept)"),
    # Cards that are not worth their reviews (shared/card-quality.md): fix the text.
    "long-answer": Rule("warning", "a card's answer is over 40 words or 15 lines of code"),
    "card-furniture": Rule("warning", "a card asks objectives, motivation or an announcement"),
    "card-generic-term": Rule("warning", "a generic label or a reason is asked as a term"),
    "card-answer-visible": Rule("warning", "a card's answer can be read on its own front"),
    "card-lead-in": Rule("warning", "a card's answer ends in ':' (its list went elsewhere)"),
    "card-duplicate": Rule("warning", "two cards of a lecture ask for the same answer"),
    "too-many-items": Rule("warning", "more notes than the new-card positions a lecture gets"),
    "image": Rule(
        "warning", "an image is missing, remote, too large or outside the allowed folders"
    ),
    "unknown-key": Rule("info", "a front-matter key deckgen does not use"),
    # The build's output.
    "removed-item": Rule(
        "info", "an item left the lecture; its note stays, tagged deckgen::removed"
    ),
    "anki-limit": Rule("error", "a note Anki cannot import (a cloze number above 65536)"),
    "orphan-package": Rule("warning", "a package in the output folder no lecture builds any more"),
}


def rules_table() -> str:
    """The registry as text, one rule a line: code, severity, description."""
    width = max(map(len, RULES))
    return "".join(
        f"{code:<{width}}  {rule.severity:<7}  {rule.description}\n" for code, rule in RULES.items()
    )
