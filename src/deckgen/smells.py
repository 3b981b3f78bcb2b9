"""Card smells: what makes a card not worth its reviews, found on the notes themselves.

Each card is looked at as the learner sees it (the front with its one cloze hidden,
the answer it asks for), by the rules of ``shared/card-quality.md``: page furniture,
answers too long to recall, generic labels asked as terms, answers visible on their
own front, lead-ins ending in ``:``, and near-duplicate cards within a lecture.
``deckgen check`` reports them so an author can fix the text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from deckgen.model import CLOZE_RE, Diagnostic, NoteSpec
from deckgen.notetypes import field_names

MAX_ANSWER_WORDS = 40
MAX_CODE_LINES = 15
DUPLICATE_OVERLAP = 0.8  # share of answer words two cards have in common

# Each smell's diagnostic code (see deckgen.diagnostics).
SMELL_CODES = {
    "furniture": "card-furniture",
    "long-answer": "long-answer",
    "generic-term": "card-generic-term",
    "answer-visible": "card-answer-visible",
    "lead-in": "card-lead-in",
    "duplicate": "card-duplicate",
}
SMELLS = {
    "furniture": "objectives, motivation, announcements or recaps asked as facts",
    "long-answer": f"answer over {MAX_ANSWER_WORDS} words of prose or {MAX_CODE_LINES} code lines",
    "generic-term": "a generic label or a reason asked as if it were a concept",
    "answer-visible": "the answer can be read on the card's own front",
    "lead-in": "the answer ends in ':' (its list went elsewhere)",
    "duplicate": "another card of the lecture asks for the same answer",
}

_TAG_RE = re.compile(r"<[^>]+>")
_BLOCK_END_RE = re.compile(r"<br\s*/?>|</(?:p|li|dd|dt|tr|div|pre|h\d)>", re.I)
_PRE_RE = re.compile(r"<pre\b.*?</pre>", re.S | re.I)
_WORD_RE = re.compile(r"[\w'+#-]+")
_FURNITURE_RE = re.compile(
    r"\b(?:after this lecture|learning objectives?|why\b.{0,80}\bmatters?|key takeaways?"
    r"|in this lecture|this lecture (?:will|covers|ensures))\b",
    re.I,
)
_ANNOUNCE_RE = re.compile(
    r"^(?:let['’]s|let us|we(?:['’]ll| will)|in this (?:lecture|section)|this lecture|"
    r"here(?:['’]s| is| are)|below\b|the following)",
    re.I,
)
# Labels that say where a fact sits, not what it is: asked as terms they test nothing.
# (Kept apart from the parser's own list on purpose: the check must not grade itself.)
GENERIC_TERMS = frozenset(
    """
    functionality performance scalability reliability maintainability readability simplicity
    flexibility security usability availability efficiency clarity consistency impact example
    examples benefit benefits advantage advantages pros cons drawback drawbacks limitation
    limitations note notes tip tips overview summary result results outcome goal goals purpose
    problem solution approach idea why how when what focus context scenario challenge challenges
    step steps process output input testing structure implementation usage description
    """.split()
) | {"edge cases", "use case", "use cases", "key idea"}


@dataclass(frozen=True)
class Card:
    """One card as the learner sees it."""

    note: NoteSpec
    number: int  # cloze number, or 0 for a Q&A note
    front: str  # plain text of what is shown before the answer
    answer: str  # plain text of what is asked for
    code_lines: int  # lines of code in the answer


def text_of(fragment: str) -> str:
    """Plain text of a card's HTML (block ends become line breaks)."""
    text = _TAG_RE.sub("", _BLOCK_END_RE.sub("\n", fragment))
    return re.sub(r"[ \t]+", " ", html.unescape(text)).strip()


def _code_lines(fragment: str) -> int:
    return sum(text_of(pre).count("\n") + 1 for pre in _PRE_RE.findall(fragment))


def _show_cloze(hidden: int, match: re.Match[str]) -> str:
    return "[…]" if int(match.group(1)) == hidden else match.group(2)


def cards_of(note: NoteSpec) -> list[Card]:
    """The cards Anki makes of ``note``: one per cloze number, or one."""
    values = dict(zip(field_names(note.model), note.fields, strict=True))
    if note.model == "qa":
        front = " ".join(text_of(values[k]) for k in ("Context", "Prompt"))
        return [Card(note, 0, front, text_of(values["Answer"]), _code_lines(values["Answer"]))]
    text = values["Text"]
    context = text_of(values["Context"])
    clozes = list(CLOZE_RE.finditer(text))
    hidden: dict[int, list[str]] = {}
    where: dict[int, list[int]] = {}  # cloze number → indexes in ``clozes``
    for i, m in enumerate(clozes):
        hidden.setdefault(int(m.group(1)), []).append(m.group(2))
        where.setdefault(int(m.group(1)), []).append(i)
    cards = []
    for number in sorted(hidden):
        if len(clozes) <= MAX_WHOLE_FRONTS:
            shown = CLOZE_RE.sub(partial(_show_cloze, number), text)
        else:  # a generated list: the card's neighbourhood stands for its front
            shown = _neighbourhood(text, clozes, where[number])
        answer_html = " ".join(hidden[number])
        front = context + " " + text_of(shown)
        cards.append(Card(note, number, front, text_of(answer_html), _code_lines(answer_html)))
    return cards


# Notes with more clozes than this are judged by each cloze's neighbourhood (the text
# between its neighbours): the whole front of each card would make the check quadratic.
MAX_WHOLE_FRONTS = 100


def _neighbourhood(text: str, clozes: list[re.Match[str]], indexes: list[int]) -> str:
    """The text around the clozes at ``indexes``, their neighbour clozes included."""
    parts = []
    for i in indexes:
        start = clozes[i - 1].start() if i else 0
        end = clozes[i + 1].end() if i + 1 < len(clozes) else len(text)
        shown = partial(_show_cloze, int(clozes[i].group(1)))
        parts.append(CLOZE_RE.sub(shown, text[start:end]))
    return " ".join(parts)


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.casefold())


def _norm(text: str) -> str:
    return " ".join(_words(text))


def card_smells(card: Card) -> list[str]:
    """The smells of one card that need no other card to see."""
    found = []
    answer = card.answer
    if (
        card.note.kind == "objective"
        or _FURNITURE_RE.search(card.front)
        or _ANNOUNCE_RE.match(answer)
    ):
        found.append("furniture")
    prose = len(_words(answer)) - (len(_words(answer)) if card.code_lines else 0)
    if card.code_lines > MAX_CODE_LINES or (not card.code_lines and prose > MAX_ANSWER_WORDS):
        found.append("long-answer")
    if card.note.kind == "term":
        prompt = text_of(card.note.fields[0])
        label = re.sub(r"^.*?(?:what is meant by|what about)\s*", "", prompt, flags=re.I)
        if _norm(label.rstrip("?")) in GENERIC_TERMS:
            found.append("generic-term")
    norm_answer = _norm(answer)
    if norm_answer and len(norm_answer) > 2 and f" {norm_answer} " in f" {_norm(card.front)} ":
        found.append("answer-visible")
    if answer.rstrip().endswith(":"):
        found.append("lead-in")
    return found


class WordSets(list[set[str]]):
    """Answers' word sets, in the order they were added, indexed by word: an answer is
    compared only with those it shares a word with (overlap needs one), so comparing
    every answer of a lecture with the earlier ones is not quadratic on distinct ones."""

    def __init__(self) -> None:
        super().__init__()
        self._holding: dict[str, list[int]] = {}  # word → indexes of the sets that hold it

    def append(self, words: set[str]) -> None:
        for word in words:
            self._holding.setdefault(word, []).append(len(self))
        super().append(words)

    def sharing(self, words: set[str]) -> list[set[str]]:
        """The sets that have a word in common with ``words``, in the order they came."""
        found = {i for word in words for i in self._holding.get(word, ())}
        return [self[i] for i in sorted(found)]


def _overlap(a: set[str], b: set[str]) -> float:
    """Share of answer words two cards have in common (of the longer answer)."""
    return len(a & b) / max(1, len(a), len(b))


def lecture_smells(notes: Sequence[NoteSpec]) -> list[tuple[Card, list[str]]]:
    """Every card of a lecture's notes with its smells (near-duplicates included)."""
    cards = [
        card for note in notes if "deckgen::removed" not in note.tags for card in cards_of(note)
    ]
    out = [(card, card_smells(card)) for card in cards]
    seen = WordSets()  # (a set sharing no word has no overlap)
    for card, found in out:
        words = set(_words(card.answer))
        if len(words) >= 3 and any(
            _overlap(words, other) >= DUPLICATE_OVERLAP for other in seen.sharing(words)
        ):
            found.append("duplicate")
        if len(words) >= 3 and len(seen) < MAX_COMPARED:
            seen.append(words)
    return out


MAX_COMPARED = 300  # earlier answers a card is compared with: linear time on any input


def tally(pairs: Iterable[tuple[Card, list[str]]]) -> dict[str, int]:
    """Cards per smell, plus ``cards`` and ``smelly`` (cards with any smell)."""
    counts = {"cards": 0, "smelly": 0, **dict.fromkeys(SMELLS, 0)}
    for _, found in pairs:
        counts["cards"] += 1
        counts["smelly"] += bool(found)
        for smell in set(found):
            counts[smell] += 1
    return counts


def smell_diagnostics(path: str, notes: Sequence[NoteSpec]) -> list[Diagnostic]:
    """One warning per card smell deckgen could not avoid, at the line of its source, so
    the author can fix the text."""
    out = []
    for card, found in lecture_smells(notes):
        for smell in found:
            where = f" (cloze {card.number})" if card.number else ""
            out.append(
                Diagnostic(
                    path,
                    card.note.line,
                    "warning",
                    SMELL_CODES[smell],
                    f"{card.note.kind} card{where}: {SMELLS[smell]}: {card.answer[:60]!r}",
                )
            )
    return out


def profile(notes: Sequence[NoteSpec]) -> dict[str, dict[str, int]]:
    """A lecture's cards per kind and per smell (for ``check --format json``)."""
    kinds: dict[str, int] = {}
    pairs = lecture_smells(notes)
    for card, _ in pairs:
        kinds[card.note.kind] = kinds.get(card.note.kind, 0) + 1
    smells = {k: v for k, v in tally(pairs).items() if k in SMELLS and v}
    return {"cards": dict(sorted(kinds.items())), "smells": smells}
