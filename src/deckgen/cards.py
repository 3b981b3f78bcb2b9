"""Cards stage: the :class:`~deckgen.model.Lecture` model → notes.

Each note gets a stable identity (a GUID hashed from a structural key: lecture
id + kind + normalised item name, never from its text; see :mod:`deckgen.history`),
tags for its kind and lecture, and a new-card position that follows document order.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from deckgen.history import guid_for_key, lecture_key, lecture_tag, numbered_slots
from deckgen.model import (
    Concept,
    Diagnostic,
    Lecture,
    ListEntry,
    NoteSpec,
    Question,
    Section,
    StarStory,
    Strategy,
    Table,
    Term,
    TipGroup,
)
from deckgen.notetypes import cloze_deletion as _cloze
from deckgen.notetypes import escape_text as _esc
from deckgen.notetypes import field_names, protect_cloze
from deckgen.render import block_html, code_language, inline_html, plain_text
from deckgen.source import user_path

ITEMS_PER_LECTURE = 1000  # position gap between lectures: lecture × 1000 + item
LONG_ANSWER_CHARS = 2500
_TAG_RE = re.compile(r"<[^>]+>")
# C0 controls (but tab and newline) never belong in a field; 0x1f is Anki's field separator.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MAX_POSITION = 1_000_000  # Anki rewrites new-card positions at or above this
STAR_CLOZE = {"Situation": 1, "Task": 2, "Action": 3, "Result": 4}


@dataclass(frozen=True)
class _Draft:
    kind: str
    name: tuple[str, ...]  # the item name (with its context) that enters the key
    model: str
    values: dict[str, str]
    line: int
    slots: tuple[str, ...] = ()  # cloze item identities, in cloze-number order


def normalize_name(name: str) -> str:
    """Normalise an item name for identity: case, width, quotes and spacing don't matter."""
    text = unicodedata.normalize("NFKC", plain_text(name)).casefold()
    text = text.translate(str.maketrans("‘’“”–—", "''\"\"--"))
    return " ".join(re.sub(r"[^\w'\"+#-]+", " ", text).split())


def _entry_html(entry: ListEntry) -> str:
    body = inline_html(entry.text)
    if entry.children:
        body += "<ul>" + "".join(f"<li>{_entry_html(c)}</li>" for c in entry.children) + "</ul>"
    return body


def item_id(text: str) -> str:
    """A short identity for a cloze item, from its normalised plain text."""
    return hashlib.sha256(normalize_name(plain_text(text)).encode("utf-8")).hexdigest()[:8]


def _cloze_list(entries: tuple[ListEntry, ...] | list[ListEntry]) -> tuple[str, tuple[str, ...]]:
    """One cloze per entry (a bold label stays visible as the cue), and the entries' ids."""
    items = []
    ids = tuple(item_id(e.label or e.text) for e in entries)
    for n, entry in enumerate(entries, start=1):
        if entry.label and (entry.text or entry.children):
            items.append(
                f"<li><b>{inline_html(entry.label)}</b>: {_cloze(n, _entry_html(entry))}</li>"
            )
        elif entry.label:
            items.append(f"<li>{_cloze(n, inline_html(entry.label))}</li>")
        else:
            items.append(f"<li>{_cloze(n, _entry_html(entry))}</li>")
    return "<ul>" + "".join(items) + "</ul>", ids


def _concept(concept: Concept) -> _Draft:
    parts = []
    for label, value in (
        ("Definition", concept.definition),
        ("Key aspects", concept.key_aspects),
        ("Examples", concept.examples),
    ):
        if value:
            parts.append(f"<dt>{label}</dt><dd>{block_html(value)}</dd>")
    answer = f"<dl>{''.join(parts)}</dl>" if parts else ""
    if concept.details:
        answer += block_html(concept.details)
    name = inline_html(concept.name)
    prompt = (
        f"What is <b>{name}</b>? Define it, with its key aspects and an example."
        if concept.definition
        else f"Explain <b>{name}</b>."
    )
    return _Draft(
        "concept",
        (concept.name,),
        "qa",
        {"Prompt": prompt, "Answer": answer, "Context": "Key concept"},
        concept.line,
    )


# Labels that name a facet of the section they sit in rather than a term of their own.
FACET_LABELS = frozenset(
    {
        "purpose",
        "tips",
        "tip",
        "example",
        "examples",
        "issue",
        "issues",
        "big o",
        "complexity",
        "time complexity",
        "space complexity",
        "pattern applied",
        "pros",
        "cons",
        "benefit",
        "benefits",
        "drawback",
        "drawbacks",
        "trade-off",
        "trade-offs",
        "tradeoffs",
        "use case",
        "use cases",
        "why",
        "how",
        "when",
        "note",
        "focus",
        "impact",
        "approach",
        "solution",
        "problem",
        "goal",
        "result",
        "outcome",
        "key idea",
        "idea",
        "rule",
        "analogy",
    }
)


def _term(term: Term, ambiguous: bool) -> _Draft:
    name = _esc(term.term)
    where = _esc(term.context.split(" › ")[-1]) if term.context else ""
    if (ambiguous or normalize_name(term.term) in FACET_LABELS) and where:
        prompt = f"<i>{where}</i>: what about <b>{name}</b>?"
    else:
        prompt = f"What is meant by <b>{name}</b>?"
    return _Draft(
        "term",
        (term.context, term.term),
        "qa",
        {
            "Prompt": prompt,
            "Answer": block_html(term.definition),
            "Context": _esc(term.context),
        },
        term.line,
    )


def _question(question: Question) -> _Draft:
    return _Draft(
        "question",
        (question.context, plain_text(question.question)),
        "qa",
        {
            "Prompt": inline_html(question.question),
            "Answer": block_html(question.answer),
            "Context": _esc(question.context),
        },
        question.line,
    )


def _story(story: StarStory) -> _Draft:
    rows = "".join(
        f"<dt>{part}</dt><dd>{_cloze(STAR_CLOZE[part], inline_html(text))}</dd>"
        for part, text in story.parts
    )
    text = (
        f'<div class="dg-question">{protect_cloze(inline_html(story.question))}</div>'
        f'<dl class="dg-star">{rows}</dl>'
    )
    context = "STAR story" + (f" · {_esc(story.label)}" if story.label else "")
    return _Draft(
        "star",
        (story.label or story.question,),
        "cloze",
        {"Text": text, "Context": context},
        story.line,
    )


def _tips(group: TipGroup) -> _Draft:
    context = _esc(
        group.section if group.name == group.section else f"{group.section} › {group.name}"
    )
    text, ids = _cloze_list(group.tips)
    values = {"Text": text, "Context": context}
    return _Draft("tip", (group.section, group.name), "cloze", values, group.line, ids)


def _strategy(strategy: Strategy) -> _Draft:
    extra = f"<b>Example</b>: {inline_html(strategy.example)}" if strategy.example else ""
    tactics, ids = _cloze_list(strategy.tactics)
    return _Draft(
        "strategy",
        (strategy.name,),
        "cloze",
        {
            "Text": f'<div class="dg-question">{protect_cloze(inline_html(strategy.name))}</div>'
            + tactics,
            "Context": "Strategy",
            "Extra": extra,
        },
        strategy.line,
        ids,
    )


def _objectives(lecture: Lecture) -> _Draft:
    objectives, ids = _cloze_list(lecture.objectives)
    return _Draft(
        "objective",
        ("learning objectives",),
        "cloze",
        {
            "Text": '<div class="dg-question">After this lecture you can:</div>' + objectives,
            "Context": "Learning objectives",
        },
        lecture.objectives_line,
        ids,
    )


def _table(table: Table) -> _Draft:
    """One cloze per body cell: each card hides a cell, its row and column stay visible."""
    head = "".join(f"<th>{protect_cloze(inline_html(h))}</th>" for h in table.header)
    rows = []
    ids: list[str] = []
    for row in table.rows:
        cells = [f"<th>{protect_cloze(inline_html(row[0]))}</th>"]
        for column, cell in enumerate(row[1:], start=1):
            if plain_text(cell):
                # A cell is known by its row and column, so an edited value keeps its card.
                column_name = table.header[column] if column < len(table.header) else ""
                ids.append(item_id(f"{row[0]} | {column_name}"))
                cells.append(f"<td>{_cloze(len(ids), inline_html(cell))}</td>")
            else:
                cells.append("<td></td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    text = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    return _Draft(
        "table",
        (*table.context, "table"),
        "cloze",
        {"Text": text, "Context": _esc(" › ".join(table.context))},
        table.line,
        tuple(ids),
    )


_QUESTION_NUMBER_RE = re.compile(r"^(?:q|question)\s*\d+\s*[:.)-]\s*(?=\S)", re.I)
_CODE_HEADING_RE = re.compile(r"^(?:code\s+example|example|implementation)\s*:\s*(?=\S)", re.I)


# Headings that only mean something under their parent ("Pros" of what?).
_FACET_SECTIONS = FACET_LABELS | {
    "introduction",
    "concept",
    "definition",
    "how it works",
    "example flow",
    "structure",
    "implementation",
    "usage",
    "advantages",
    "disadvantages",
    "limitations",
    "applicability",
    "participants",
    "consequences",
    "intent",
    "motivation",
    "common use cases",
    "key takeaways",
    "summary",
}


def _section(section: Section) -> _Draft:
    heading = section.path[-1]
    language = code_language(section.body)
    if heading.rstrip().endswith("?"):
        prompt = f"<b>{_esc(_QUESTION_NUMBER_RE.sub('', heading))}</b>"
    elif len(section.path) > 1 and normalize_name(heading) in _FACET_SECTIONS and not language:
        prompt = f"<i>{_esc(section.path[-2])}</i>: what about <b>{_esc(heading)}</b>?"
    elif language:
        subject = _CODE_HEADING_RE.sub("", heading)
        prompt = f"Recall the {_esc(language)} code for <b>{_esc(subject)}</b>."
    else:
        prompt = f"What does the lecture say about <b>{_esc(heading)}</b>?"
    return _Draft(
        "recall",
        section.path,
        "qa",
        {
            "Prompt": prompt,
            "Answer": block_html(section.body),
            "Context": _esc(" › ".join(section.path[:-1])),
        },
        section.line,
    )


def _drafts(lecture: Lecture) -> list[_Draft]:
    drafts: list[_Draft] = []
    if lecture.objectives:
        drafts.append(_objectives(lecture))
    drafts += [_concept(c) for c in lecture.concepts]
    # A term named in several sections means something different in each: say which.
    names = Counter(normalize_name(t.term) for t in lecture.terms)
    drafts += [_term(t, names[normalize_name(t.term)] > 1) for t in lecture.terms]
    drafts += [_question(q) for q in lecture.questions]
    drafts += [_strategy(s) for s in lecture.strategies if s.tactics]
    drafts += [_story(s) for s in lecture.stories if s.parts]
    drafts += [_tips(g) for g in lecture.tip_groups if g.tips]
    drafts += [_table(t) for t in lecture.tables]
    drafts += [_section(s) for s in lecture.sections]
    # Document order; ties (several items on one line) keep extraction order.
    return sorted(drafts, key=lambda d: d.line)


def position_gap(lectures: int) -> int:
    """Positions per lecture: 1000, or fewer when there are so many lectures that
    ``lectures × 1000`` would reach 1,000,000 (Anki's Check Database rewrites those)."""
    return max(2, min(ITEMS_PER_LECTURE, MAX_POSITION // (lectures + 1)))


def build_notes(
    lecture: Lecture, position: int = 0, gap: int = ITEMS_PER_LECTURE
) -> list[NoteSpec]:
    """Turn a parsed lecture into notes; ``position`` is the lecture's place in the course.

    New-card positions are ``position × gap + item``. Duplicate item names get an
    ordinal in their key (and a warning on the lecture), so identities stay distinct
    and stable. A lecture with more items than ``gap`` shares the last position
    among the rest (with a warning) rather than spilling into the next lecture's range.
    """
    notes: list[NoteSpec] = []
    seen: Counter[str] = Counter()
    base = position * gap
    source = lecture.rel_path.as_posix()
    drafts = _drafts(lecture)
    if len(drafts) >= gap:
        lecture.diagnostics.append(
            Diagnostic(
                user_path(lecture.source),
                lecture.line,
                "warning",
                "too-many-items",
                f"{len(drafts)} notes, more than the {gap - 1} new-card positions a lecture gets; "
                f"notes after the {gap - 1}th share the last position: split the lecture",
            )
        )
    for index, draft in enumerate(drafts, start=1):
        key = "|".join([lecture_key(lecture), draft.kind, *map(normalize_name, draft.name)])
        seen[key] += 1
        if seen[key] > 1:
            lecture.diagnostics.append(
                Diagnostic(
                    user_path(lecture.source),
                    draft.line,
                    "warning",
                    "duplicate-name",
                    f"another {draft.kind} is also named '{draft.name[-1]}'; "
                    f"keeping both (#{seen[key]})",
                )
            )
            key += f"|#{seen[key]}"
        values = {
            "Lecture": _esc(lecture.title),
            "Source": _esc(f"{source}:{draft.line}"),
            **draft.values,
        }
        fields = tuple(
            _CONTROL_RE.sub("", values.get(name, "")) for name in field_names(draft.model)
        )
        answer = draft.values.get("Answer") or draft.values.get("Text", "")
        if len(_TAG_RE.sub("", answer)) > LONG_ANSWER_CHARS:
            lecture.diagnostics.append(
                Diagnostic(
                    user_path(lecture.source),
                    draft.line,
                    "warning",
                    "long-answer",
                    f"the {draft.kind} card for '{draft.name[-1]}' has a very long answer "
                    f"(over {LONG_ANSWER_CHARS} characters): split it into smaller sections",
                )
            )
        notes.append(
            NoteSpec(
                kind=draft.kind,
                key=key,
                guid=guid_for_key(key),
                model=draft.model,
                fields=fields,
                tags=(f"deckgen::{draft.kind}", lecture_tag(lecture)),
                line=draft.line,
                due=base + min(index, gap - 1),
                cloze_slots=numbered_slots(draft.slots),
            )
        )
    return notes
