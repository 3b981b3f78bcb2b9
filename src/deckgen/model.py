"""The typed model in the middle of the pipeline: what a lecture teaches.

The parse stage fills these dataclasses from Markdown; the cards stage turns them
into notes. Text fields hold *Markdown source* (inline or block); rendering to
HTML happens later, in :mod:`deckgen.render`. Every item carries ``line``, the
1-based line in the lecture file where it starts, so cards and diagnostics can
point back to the source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any


@dataclass(frozen=True)
class ListEntry:
    """One bullet: an optional bold label (``**Label**: text``) and its text.

    ``children`` are the nested bullets, already flattened to entries.
    """

    text: str
    line: int
    label: str | None = None
    children: tuple[ListEntry, ...] = ()


@dataclass(frozen=True)
class Concept:
    """A named concept, usually a ``### N. Name`` under ``## Key Concepts``."""

    name: str
    line: int
    definition: str = ""
    key_aspects: str = ""
    examples: str = ""
    details: str = ""  # block Markdown: whatever the labelled bullets did not cover
    facet: str = ""  # what the definition tells of the subject: "" (what it is) or "intent"


@dataclass(frozen=True)
class Term:
    """A ``**Term**: definition`` bullet."""

    term: str
    definition: str
    line: int
    context: str = ""  # heading path of the section the bullet sits in


@dataclass(frozen=True)
class Question:
    """A question with its answer: ``**Q:** … **A:** …``, ``… (Answer: …)``, or a ``**Q**``
    paragraph followed by an ``**A**`` paragraph."""

    question: str  # inline Markdown
    answer: str  # block Markdown
    line: int
    context: str = ""


@dataclass(frozen=True)
class Strategy:
    """A strategy subsection: named tactics plus an optional worked example."""

    name: str
    line: int
    tactics: tuple[ListEntry, ...]
    example: str = ""


@dataclass(frozen=True)
class StarStory:
    """A behavioural answer told as Situation, Task, Action, Result."""

    question: str
    line: int
    parts: tuple[tuple[str, str], ...]  # (part name, inline Markdown), in STAR order
    label: str = ""  # e.g. "STAR Example: Execution Speed" or "Sample Response (Ownership)"
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class TipGroup:
    """A group of tips: a tips section, or one labelled category inside it."""

    name: str
    line: int
    tips: tuple[ListEntry, ...]
    section: str = ""


@dataclass(frozen=True)
class Table:
    """A comparison table: row labels in the first column, options in the others."""

    context: tuple[str, ...]  # heading trail of the section holding it
    line: int
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    """A section no specific extractor claimed, kept for recall cards.

    ``path`` is the heading trail inside the lecture (without the title);
    ``body`` is the block Markdown that remains after extractors took their part.
    ``shape`` says what that remainder is, so the cards stage can ask the right thing:
    ``list`` (its ``entries``, after an optional ``lead`` paragraph), ``code`` (``code``
    in ``language``, explained by ``prose``), ``diagram`` (a drawing, explained by
    ``prose``) or ``prose``; ``aside`` is what the back shows besides the answer.
    """

    path: tuple[str, ...]
    line: int
    body: str
    shape: str = "prose"
    prose: str = ""  # block Markdown: the paragraphs of the section
    lead: str = ""  # inline Markdown: the paragraph introducing a list
    entries: tuple[ListEntry, ...] = ()
    code: str = ""  # the code's text (without fences)
    language: str = ""
    aside: str = ""  # block Markdown shown on the back only: drawings, images, formulas


@dataclass(frozen=True)
class Diagnostic:
    """A problem found in a lecture, with its position."""

    path: str
    line: int
    severity: str  # "error" | "warning" | "info"
    code: str
    message: str
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity} {self.code}: {self.message}"

    def as_dict(self) -> dict[str, str | int]:
        """The diagnostic as plain data (for JSON output and the build cache)."""
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


@dataclass
class Lecture:
    """Everything deckgen learned from one lecture file."""

    source: Path
    rel_path: PurePosixPath
    title: str
    line: int
    meta: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    objectives: list[ListEntry] = field(default_factory=list)
    objectives_line: int = 0
    concepts: list[Concept] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    strategies: list[Strategy] = field(default_factory=list)
    stories: list[StarStory] = field(default_factory=list)
    tip_groups: list[TipGroup] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def lecture_id(self) -> str:
        """The stable identity of the lecture: front-matter ``id`` or its path."""
        explicit = self.meta.get("id")
        if isinstance(explicit, str | int) and str(explicit).strip():
            return str(explicit).strip()
        return self.rel_path.with_suffix("").as_posix()
