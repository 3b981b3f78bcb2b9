"""The types that cross stage boundaries: what a lecture teaches, and what is built from it.

The parse stage fills the lecture dataclasses from Markdown; the cards stage turns them
into :class:`NoteSpec` notes, the history stage gives those their identity over time,
and the output stage writes them as :class:`DeckSpec` decks. Text fields of the
lecture model hold *Markdown source* (inline or block); rendering to HTML happens
later, in :mod:`deckgen.render`. Every item carries ``line``, the 1-based line in the
lecture file where it starts, so cards and diagnostics can point back to the source.
The build's own options (:class:`BuildOptions`) cross into every stage that runs a
lecture, so they are here too. No stage imports another stage's module for a type:
they all meet here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from deckgen.notetypes import field_names
from deckgen.settings import DeckSettings

if TYPE_CHECKING:
    from deckgen.render import MediaContext

CLOZE_NUMBER_RE = re.compile(r"\{\{c(\d+)::")  # the opening of a cloze deletion
# A whole cloze deletion: (number, content), an optional "::hint" left out of the content.
CLOZE_RE = re.compile(r"\{\{c(\d+)::(.*?)(?:::[^}]*)?\}\}", re.S)
REMOVED_TAG = "deckgen::removed"  # notes kept for items that left their lecture
ITEMS_PER_LECTURE = 1000  # position gap between lectures: lecture × 1000 + item
MAX_POSITION = 1_000_000  # Anki rewrites new-card positions at or above this


def position_gap(lectures: int) -> int:
    """Positions per lecture: 1000, or fewer when there are so many lectures that
    ``lectures × 1000`` would reach 1,000,000 (Anki's Check Database rewrites those)."""
    return max(2, min(ITEMS_PER_LECTURE, MAX_POSITION // (lectures + 1)))


# Every kind of card, with the note type its notes use (a ``recall`` card is Q&A, or a
# cloze for a list): the names :data:`deckgen.cards.CARD_KINDS` drafts, in its order. The
# history stage rebuilds a removed note whose old package is unreadable with its kind's
# note type; a kind that is not here (an older deckgen's) is taken to be a cloze.
CARD_KIND_NOTE_TYPES: dict[str, str] = {
    "concept": "qa",
    "advice": "cloze",
    "term": "qa",
    "question": "qa",
    "strategy": "cloze",
    "star": "cloze",
    "tip": "cloze",
    "table": "cloze",
    "complexity": "qa",
    "recall": "qa",
}


class BuildError(Exception):
    """A problem with the build as a whole (bad paths, unwritable output)."""


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
    advice: tuple[ListEntry, ...] = ()  # "**Guidelines**: …", "**Prevention**: …" bullets


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
    lead: str = ""  # the sentence introducing the tips ("When asked “…”, explain it as:")


@dataclass(frozen=True)
class Complexity:
    """A stated complexity: ``- **Big O**: O(n) time, O(1) space`` in a section about X."""

    subject: str  # what it is the complexity of (the section's heading)
    line: int
    measure: str  # "time" | "space"
    value: str  # inline Markdown: "O(n)", or "O(1) for `get`"
    why: str = ""  # what the source says of it: "HashMap, where m is the charset size"


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
    quote: str = ""  # inline Markdown: a short quote opening the section (a stated principle)


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
    complexities: list[Complexity] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def lecture_id(self) -> str:
        """The stable identity of the lecture: front-matter ``id`` or its path."""
        explicit = self.meta.get("id")
        if isinstance(explicit, str | int) and str(explicit).strip():
            return str(explicit).strip()
        return self.rel_path.with_suffix("").as_posix()


@dataclass(frozen=True)
class LectureJob:
    """One lecture to build: where it is, its place in the course, where it goes."""

    path: Path
    root: Path
    position: int
    output: Path
    rel: str  # the lecture's path relative to its lectures root, POSIX style
    stat: tuple[int, int] = (-1, -1)  # (size, mtime_ns) when discovered, before any read
    order: float | None = None  # front-matter ``order:``
    course: int = 0  # lectures in the course ``position`` counts among (0: the build's jobs)

    @property
    def rel_path(self) -> PurePosixPath:
        """The lecture's path relative to its lectures root."""
        return PurePosixPath(self.rel)


@dataclass(frozen=True)
class NoteSpec:
    """One note, ready for the package stage."""

    kind: str  # a key of CARD_KIND_NOTE_TYPES (or an older deckgen's, on a removed note)
    key: str  # structural identity
    guid: str
    model: str  # "qa" | "cloze"
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    line: int
    due: int
    # Cloze notes whose items may come and go (tips, objectives, tactics, table cells):
    # "number:item-id" in document order, then retired numbers as "~number:item-id".
    cloze_slots: tuple[str, ...] = ()

    def field(self, name: str) -> str:
        """The value of field ``name``."""
        return self.fields[field_names(self.model).index(name)]

    @property
    def cloze_numbers(self) -> list[int]:
        """The cloze numbers in the note's text, ascending (none for a Q&A note)."""
        if self.model != "cloze":
            return []
        return sorted({int(n) for n in CLOZE_NUMBER_RE.findall(self.fields[0])})

    @property
    def cards(self) -> int:
        """Cards Anki generates for the note: one per cloze number, or one."""
        return len(self.cloze_numbers) or 1


@dataclass
class LectureResult:
    """What building one lecture produced: its notes, deck name and images."""

    job: LectureJob
    lecture: Lecture
    notes: list[NoteSpec]
    deck: str
    digest: str  # of the lecture's bytes and context (see incremental.input_digest)
    media: MediaContext
    context: str  # see incremental.context_digest


@dataclass(frozen=True)
class DeckSpec:
    """A deck to write: its full name (``A::B::Title``) and its notes."""

    name: str
    notes: Sequence[NoteSpec]
    description: str = ""
    settings: DeckSettings | None = None  # the deck-options preset to ship
    media: dict[str, bytes] = field(default_factory=dict)  # packaged name → content


@dataclass(frozen=True)
class LockEntry:
    """What the lock (see :mod:`deckgen.history`) remembers about one note: a worker
    stamps these for its lecture's notes, and the build writes them into the lock."""

    guid: str
    modified: int
    digest: str
    clozes: tuple[str, ...] = ()  # cloze notes: NoteSpec.cloze_slots ("number:item-id", …)


# A note as a package stored it: (fields, tags); the history stage keeps a removed
# item's note as the last package had it (read back by the output stage).
Stored = tuple[tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class Stamps:
    """Modification times from the note history: note GUID → seconds, note type → seconds."""

    notes: dict[str, int]
    note_types: dict[str, int]


@dataclass
class BuildReport:
    """The outcome of a build, for the summary line and the exit code."""

    lectures: int = 0
    packages: list[Path] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    notes: int = 0
    cards: int = 0
    removed: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    out_of_date: list[str] = field(default_factory=list)  # --check: "stale: path", …
    # packages in the output folder no lecture of a whole lecture tree builds any more
    orphans: list[Path] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # things the user should know (no errors)
    # check: each lecture's cards per kind and per smell, by the lecture's shown path
    profiles: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        """Number of error diagnostics."""
        return sum(d.severity == "error" for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        """Number of warning diagnostics."""
        return sum(d.severity == "warning" for d in self.diagnostics)


# --- how to build -------------------------------------------------------------------------

Progress = Callable[[Sequence[LectureJob]], AbstractContextManager[Iterable[LectureJob]]]


@dataclass(frozen=True)
class InterviewTarget:
    """Derive new cards/day so every card is introduced ``ready_days`` before ``interview``."""

    interview: date
    today: date
    ready_days: int = 7


@dataclass(frozen=True)
class BuildOptions:
    """How to build: where packages go, deck options, and which shortcuts are allowed."""

    out: Path = Path("decks")
    bundle: Path | None = None
    root: Path | None = None
    force: bool = False  # ignore the incremental cache
    check: bool = False  # write nothing; report what is out of date
    project: DeckSettings = field(default_factory=DeckSettings)  # Anki defaults + [tool.deckgen]
    flags: dict[str, Any] = field(default_factory=dict)  # deck options from the command line
    interview: InterviewTarget | None = None
    media_root: Path | None = None  # where site-absolute image paths (/images/x.png) resolve
    jobs: int | None = None  # worker processes (None: one per core; 1: none, all in-process)
