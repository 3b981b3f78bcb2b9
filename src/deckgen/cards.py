"""Cards stage: the :class:`~deckgen.model.Lecture` model → notes.

Each note gets a stable identity (a GUID hashed from a structural key: lecture
id + kind + normalised item name, never from its text; see :mod:`deckgen.history`),
tags for its kind and lecture, and a new-card position that follows document order.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import Any

from deckgen.history import guid_for_key, lecture_key, lecture_tag, numbered_slots
from deckgen.model import (
    CLOZE_NUMBER_RE,
    CLOZE_RE,
    ITEMS_PER_LECTURE,
    Complexity,
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
from deckgen.render import block_html, inline_html, plain_text
from deckgen.smells import WordSets, smell_diagnostics
from deckgen.source import user_path
from deckgen.wording import (
    ANNOUNCE_RE,
    BIG_O_RE,
    MAX_ANSWER_WORDS,
    MAX_CODE_LINES,
    content_words,
    is_fact_sentence,
    sentences,
    words,
)

_TAG_RE = re.compile(r"<[^>]+>")
# C0 controls (but tab and newline) never belong in a field; 0x1f is Anki's field separator.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
STAR_CLOZE = {"Situation": 1, "Task": 2, "Action": 3, "Result": 4}


@dataclass(frozen=True)
class _Draft:
    kind: str
    name: tuple[str, ...]  # the item name (with its context) that enters the key
    model: str
    values: dict[str, str]
    line: int
    slots: tuple[str, ...] = ()  # cloze item identities, in cloze-number order
    asks: str = ""  # the question the card answers, when it has one of its own


@lru_cache(maxsize=65536)
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


# `X → Y`, `X: Y`, `X = Y`: X is the cue, Y the fact (X short, so it names something).
_CUE_SPLIT_RE = re.compile(
    r"^(?P<cue>[^:→=]{1,60}?)\s*(?P<sep>→|->|=>|=|:)\s+(?P<fact>\S.*)$", re.S
)
_CUE_PAREN_RE = re.compile(r"^(?P<cue>[^()]{1,40}?)\s*\((?P<fact>[^()]{1,60})\)\s*\.?$", re.S)
_MAX_CUE_WORDS = 6


def _split_cue(text: str) -> tuple[str, str, str] | None:
    """``X → Y`` (and ``X: Y``, ``X = Y``, ``X (Y)``) as (cue, separator, fact)."""
    text = text.strip()
    m = _CUE_SPLIT_RE.match(text)
    if m and len(m.group("cue").split()) <= _MAX_CUE_WORDS and "`" not in m.group("cue"):
        return m.group("cue"), m.group("sep"), m.group("fact")
    m = _CUE_PAREN_RE.match(text)
    if m and len(m.group("cue").split()) <= 4 and not m.group("fact").lower().startswith("e.g"):
        return m.group("cue"), "(", m.group("fact")
    return None


_MAX_HIDDEN_WORDS = 10  # a longer item is a sentence: hide its key term, or nothing
_MAX_TIP_WORDS = 30
_ILLUSTRATION_LABELS = frozenset(
    {"example", "examples", "example question", "scenario", "sample", "e g", "for example"}
)
_STUDY_ADVICE_RE = re.compile(
    r"^(?:know|be able to|be ready to|understand|remember|review|expect|study|learn)\b",
    re.I,
)
_CROSS_REFERENCE_RE = re.compile(r"\b(?:lecture|section|chapter)\s+\d", re.I)
_KEY_SPAN_RE = re.compile(r"\*\*[^*]+\*\*|`[^`]+`")
_EXAMPLE_HINT_RE = re.compile(
    r"^(?P<what>[^()]{3,}?)\s*(?P<hint>\((?:e\.g\.|for example|like|such as)[^()]*\)\.?)$", re.S
)


def _stems(text: str) -> set[str]:
    """Word stems, crudely: "caller" and "calls" meet at "call"."""
    return {w[:4] for w in content_words(plain_text(text)) if len(w) > 2}


def _what_is(name: str) -> str:
    """ "What is" or, for a plural name ("Exceptions", "Real-Time Systems"), "What are"."""
    last = re.sub(r"\(.*?\)", "", plain_text(name)).split()[-1:] or [""]
    word = last[0].strip(".,:;").casefold()
    plural = word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")) and len(word) > 3
    return "What are" if plural else "What is"


def _split_camel(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


def restates(label: str, text: str) -> bool:
    """Whether ``text`` mostly repeats ``label`` ("Immutable: cannot be changed" does not;
    "Same Direction: both pointers move in the same direction" does)."""
    named = _stems(_split_camel(label))
    return bool(named) and len(named & _stems(text)) * 2 >= len(named)


def _cloze_item(n: int, entry: ListEntry, most: int = _MAX_HIDDEN_WORDS) -> str | None:
    """One list item with its fact hidden (a label or a short cue stays visible as the
    cue), or None when the item has no fact short enough to ask for."""
    if entry.label and (entry.text or entry.children):
        if restates(entry.label, entry.text):  # either half gives the other away
            return None
        if normalize_name(entry.label) in _ILLUSTRATION_LABELS:
            return None  # an example illustrates the items around it; it is no fact
        return f"<b>{inline_html(entry.label)}</b>: {_cloze(n, _entry_html(entry))}"
    if entry.label:
        return _cloze(n, inline_html(entry.label))
    if entry.children:
        return None
    text = entry.text.strip()
    if _CROSS_REFERENCE_RE.search(text):
        return None  # "… (Lecture 7)": a pointer to another lecture
    split = _split_cue(text)
    if split is not None and normalize_name(split[0]) in _ILLUSTRATION_LABELS:
        return None  # "Example: …" illustrates; it is no fact
    if _STUDY_ADVICE_RE.match(plain_text(text)) and not _KEY_SPAN_RE.search(text):
        return None  # "Be able to describe …": advice on studying, not a fact to recall
    if split is not None and split[1] != "(":
        cue, sep, fact = split
        return f"{inline_html(cue)} {_esc(sep)} {_cloze(n, inline_html(fact))}"
    hinted = _EXAMPLE_HINT_RE.match(text)
    if hinted and len(words(plain_text(hinted.group("what")))) <= _MAX_HIDDEN_WORDS:
        # "Highlight rapid action (e.g., …)": the example is the cue.
        hint = protect_cloze(inline_html(hinted.group("hint")))
        return f"{_cloze(n, inline_html(hinted.group('what')))} {hint}"
    spans = _KEY_SPAN_RE.findall(text)
    if len(words(plain_text(text))) <= most and not (spans and len(words(text)) > 6):
        return _cloze(n, inline_html(text))
    if spans:  # the author's bold or code marks the key term
        key = spans[0]
        before, _, after = text.partition(key)
        return (
            protect_cloze(inline_html(before))
            + " "
            + _cloze(n, inline_html(key))
            + " "
            + protect_cloze(inline_html(after))
        ).strip()
    return None


def _shift_clozes(text: str, offset: int) -> str:
    """``text`` with every cloze number raised by ``offset``."""
    return CLOZE_NUMBER_RE.sub(lambda m: "{{c" + str(int(m.group(1)) + offset) + "::", text)


def _cloze_list(
    entries: Sequence[ListEntry], most: int = _MAX_HIDDEN_WORDS
) -> tuple[str, tuple[str, ...]]:
    """One cloze per entry that has a fact to ask (the others are shown as context),
    and the asked entries' ids (for keeping cloze numbers). Entries longer than ``most``
    words are asked only for their key term."""
    items: list[str] = []
    ids: list[str] = []
    for entry in entries:
        lead_in = plain_text(entry.text).rstrip().endswith(":")
        if (
            entry.children
            and not entry.label
            and (lead_in or not _cloze_item(0, replace(entry, children=())))
        ):
            # A lead-in ("If asked X:") with its points below: the points are asked.
            inner, inner_ids = _cloze_list(entry.children, most)
            inner = _shift_clozes(inner, len(ids))
            items.append(f"<li>{protect_cloze(inline_html(entry.text))}{inner}</li>")
            ids += inner_ids
            continue
        asked = _cloze_item(len(ids) + 1, entry, most)
        if asked is None:
            items.append(f"<li>{protect_cloze(_entry_html(entry))}</li>")
        else:
            items.append(f"<li>{asked}</li>")
            ids.append(item_id(entry.label or entry.text))
    return "<ul>" + "".join(items) + "</ul>", tuple(ids)


def _gist(prose: str) -> tuple[str, str]:
    """(the leading fact sentences of ``prose`` up to the answer limit, the rest)."""
    taken: list[str] = []
    rest: list[str] = []
    count = 0
    for sentence in sentences(prose):
        n = len(words(plain_text(sentence)))
        if (
            not rest
            and is_fact_sentence(sentence)
            and (count + n <= _GOOD_ANSWER_WORDS or not taken)
        ):
            if n > MAX_ANSWER_WORDS:
                rest.append(sentence)
                continue
            taken.append(sentence)
            count += n
        elif taken:
            rest.append(sentence)
    return " ".join(taken), " ".join(rest)


def _after(prose: str, sentence: str) -> str:
    """``prose`` (block Markdown) after its first ``sentence``, blocks kept."""
    flat = re.sub(r"\s+", " ", prose)
    start = flat.find(sentence)
    if start < 0:
        return prose
    # Find where the sentence ends in the original text by counting its characters.
    count, index = 0, 0
    target = len(sentence.replace(" ", ""))
    while index < len(prose) and count < target:
        if not prose[index].isspace():
            count += 1
        index += 1
    return prose[index:].strip()


_GENERIC_HEADING_WORDS = frozenset(
    {"overview", "introduction", "intro", "basics", "definition", "concept", "explained"}
)


def subject_name(heading: str) -> str:
    """A heading as the name of what it defines ("KISS Principle Overview" → "KISS Principle")."""
    kept = [w for w in heading.split() if w.casefold().strip(":,") not in _GENERIC_HEADING_WORDS]
    return " ".join(kept) or heading


_VAGUE_OPENERS = frozenset(
    "most some many all every each these those this it they there both such".split()
)
_DEFINING_VERBS = frozenset(
    """
    is are means refers advocates describes defines provides ensures allows lets uses helps
    states says prevents guarantees separates splits stores keeps maintains
    """.split()
)


def _defines(sentence: str, subject: str) -> bool:
    """Whether ``sentence`` is about ``subject`` from its first words ("X is …", "The X
    technique uses …", "Popularized by Y, X advocates …"): then it is asked as the
    definition of X."""
    opening = words(plain_text(sentence))
    name = subject_name(re.sub(r"\(.*?\)", " ", subject))
    named = content_words(name) or content_words(subject)
    if not named or len(opening) < 5:
        return False
    if opening[0] in _VAGUE_OPENERS:
        return False  # "Most modern collectors are generational": about others, not X
    head = set(opening[: len(words(subject)) + 2])
    if len(named & head) * 3 >= len(named) * 2:
        return True
    # "Popularized by Y, X advocates …": X named before the sentence's verb.
    verb = next((i for i, w in enumerate(opening[:12]) if w in _DEFINING_VERBS), None)
    return verb is not None and len(named & set(opening[:verb])) * 2 >= len(named)


# --- Drafters: one per kind of model item ---------------------------------------------


# Parent headings that only group sections ("Key Concepts"): the lecture is the subject.
_GROUPING_HEADINGS = frozenset(
    {"key concepts", "core concepts", "concepts", "overview", "details", "deep dive", "basics"}
)


_ANSWER_LEAD_RE = re.compile(r"^\s*\*\*(?:answer|a)\s*:?\*\*\s*:?\s*", re.I)
_PAST_TENSE_RE = re.compile(r"^[A-Z][a-z]+ed\b")


# Words in -ed that open a noun phrase ("Distributed locks"), not a past action.
_ED_ADJECTIVES = frozenset(
    """
    based distributed shared managed advanced balanced required limited used needed fixed
    centralized decentralized ordered nested sorted linked detailed related automated
    combined encrypted compressed embedded isolated dedicated reduced increased improved
    """.split()
)


def _is_narrative(entries: Sequence[ListEntry]) -> bool:
    """A list telling what someone did ("Clarified …", "Designed …", "Tested …")."""

    def told(entry: ListEntry) -> bool:
        text = plain_text(entry.label or entry.text)
        first = text.split()[0].casefold() if text.split() else ""
        return bool(_PAST_TENSE_RE.match(text)) and first not in _ED_ADJECTIVES

    return sum(map(told, entries)) * 3 >= len(entries) * 2


def _subject(lecture: Lecture, section: Section) -> str:
    """What a section is about: its parent heading, else the lecture."""
    if len(section.path) > 1 and normalize_name(section.path[-2]) not in _GROUPING_HEADINGS:
        return section.path[-2]
    return lecture.title


def _concept(concept: Concept, lecture: Lecture) -> _Draft | None:
    if not concept.definition:
        return None
    name = inline_html(concept.name)
    if concept.facet == "intent":
        prompt = f"What is the intent of the <b>{name}</b>?"
    else:
        prompt = f"{_what_is(concept.name)} <b>{name}</b>?"
    extra = []
    for label, value in (("Key aspects", concept.key_aspects), ("Examples", concept.examples)):
        if value:
            extra.append(f"<dt>{label}</dt><dd>{block_html(value)}</dd>")
    return _Draft(
        "concept",
        (concept.name,),
        "qa",
        {
            "Prompt": prompt,
            "Answer": block_html(concept.definition),
            "Context": _esc(lecture.title if concept.facet else "Key concept"),
            "Extra": (f"<dl>{''.join(extra)}</dl>" if extra else "")
            + (block_html(concept.details) if concept.details else ""),
        },
        concept.line,
    )


def _first_terms(terms: Sequence[Term]) -> dict[str, Term]:
    """The first term of each (normalised) name."""
    first: dict[str, Term] = {}
    for term in terms:
        first.setdefault(normalize_name(term.term), term)
    return first


def _term(term: Term, lecture: Lecture, firsts: dict[str, Term] | None = None) -> _Draft | None:
    name = _esc(term.term)
    earliest = (firsts or _first_terms(lecture.terms))[normalize_name(term.term)]
    parts = [
        p for p in re.split(r"[,;]|\band\b", plain_text(term.definition).rstrip(".")) if p.strip()
    ]
    listing = len(parts) >= 2 and all(len(p.split()) <= 4 for p in parts)
    # A principle with a section of its own ("ADP – Acyclic …") is defined there; a term
    # of the same name elsewhere (a case study) says how it applies.
    own_section = any(
        normalize_name(term.term) in normalize_name(part).split()
        and normalize_name(part) != normalize_name(term.context.split(" › ")[-1])
        for section in lecture.sections
        if section.line < term.line
        for part in section.path
    )
    if (earliest is not term or listing or own_section) and term.context:
        # Defined before, or followed by a list of names ("Amazon: Ownership, Dive Deep"):
        # not a definition, but what the section pairs with the name.
        prompt = f"<i>{_esc(term.context.split(' › ')[-1])}</i> — <b>{name}</b>?"
    else:
        prompt = f"What is meant by <b>{name}</b>?"
    definition, _, more = term.definition.partition("\n\n")
    if len(words(plain_text(definition))) < 3 and more:
        if more.count("\n- ") + more.startswith("- ") > 2:
            return None  # a procedure under a bold label: no one definition to ask
        definition, more = term.definition, ""
    if len(_stems(definition) - _stems(_split_camel(term.term))) <= 1:
        return None  # "CanCommit: ask if they can commit" asks nothing
    if len(words(plain_text(definition))) > MAX_ANSWER_WORDS // 2:
        first = sentences(definition)[0] if sentences(definition) else definition
        if first != definition and len(words(plain_text(first))) >= 4:
            more = (_after(definition, first) + "\n\n" + more).strip()
            definition = first
    return _Draft(
        "term",
        (term.term,),
        "qa",
        {
            "Prompt": prompt,
            "Answer": block_html(definition),
            "Context": _esc(term.context),
            "Extra": block_html(more) if more.strip() else "",
        },
        term.line,
    )


def _question(question: Question, lecture: Lecture) -> _Draft:
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


# A Task that only says whose job it was restates the question: shown, not asked.
_RESTATING_RE = re.compile(
    r"^[\"“]?(?:as (?:an? |the )?[^,]{1,40},\s*)?(?:i was|i am|i'm|my (?:task|role|job|goal) was|"
    r"i had to|i needed to)\b",
    re.I,
)


def _restates(part: str, text: str, story: StarStory) -> bool:
    """Whether a STAR part only repeats what the card shows anyway: a Task that says whose
    job it was, or a part whose words the question and the other parts already hold."""
    plain = plain_text(text)
    if part == "Task" and _RESTATING_RE.match(plain) and len(words(plain)) <= 15:
        return True
    said = _stems(plain)
    known = _stems(story.question) | {w for p, t in story.parts if p != part for w in _stems(t)}
    return len(said) >= 3 and len(said - known) * 10 <= len(said) * 3


def _story(story: StarStory, lecture: Lecture) -> _Draft:
    rows = []
    for part, text in story.parts:
        shown = inline_html(text)
        if not _restates(part, text, story):
            shown = _cloze(STAR_CLOZE[part], shown)
        else:
            shown = protect_cloze(shown)
        rows.append(f"<dt>{part}</dt><dd>{shown}</dd>")
    text = (
        f'<div class="dg-question">{protect_cloze(inline_html(story.question))}</div>'
        f'<dl class="dg-star">{"".join(rows)}</dl>'
    )
    context = "STAR story" + (f" · {_esc(story.label)}" if story.label else "")
    return _Draft(
        "star",
        (story.label or story.question,),
        "cloze",
        {"Text": text, "Context": context},
        story.line,
    )


def _tips(group: TipGroup, lecture: Lecture) -> _Draft | None:
    context = _esc(
        group.section if group.name == group.section else f"{group.section} › {group.name}"
    )
    text, ids = _cloze_list(group.tips, most=_MAX_TIP_WORDS)  # a tip is its own fact
    if not ids:  # nothing short or marked to hide: every tip is still asked, whole
        items = [f"<li>{_cloze(n, _entry_html(t))}</li>" for n, t in enumerate(group.tips, 1)]
        text, ids = "<ul>" + "".join(items) + "</ul>", tuple(item_id(t.text) for t in group.tips)
    values = {"Text": text, "Context": context}
    return _Draft("tip", (group.section, group.name), "cloze", values, group.line, ids)


def _strategy(strategy: Strategy, lecture: Lecture) -> _Draft | None:
    extra = f"<b>Example</b>: {inline_html(strategy.example)}" if strategy.example else ""
    tactics, ids = _cloze_list(strategy.tactics)
    if not ids:
        return None
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


def _is_recap(table: Table, lecture: Lecture) -> bool:
    """A table comparing things that earlier sections of the lecture each explained (a
    summary at the end): its facts were asked there."""
    earlier = {
        _bare_name(subject_name(part))
        for section in lecture.sections
        if section.line < table.line
        for part in section.path
    } | {_bare_name(c.name) for c in lecture.concepts if c.line < table.line}
    earlier.discard("")
    for names in ([r[0] for r in table.rows], list(table.header[1:])):
        found = [n for n in names if _bare_name(n) in earlier]
        if len(names) >= 2 and len(found) * 3 >= len(names) * 2:
            return True
    return False


def _bare_name(name: str) -> str:
    """A name without its parenthesised alias: "Write-back (Write-behind)" → "write-back"."""
    return normalize_name(re.sub(r"\(.*?\)", "", plain_text(name)))


_ROW_CARD_COLUMNS = 3  # a comparison of up to three options is asked a row at a time


def _complexity(complexity: Complexity, lecture: Lecture) -> _Draft:
    return _Draft(
        "complexity",
        (complexity.subject, complexity.measure),
        "qa",
        {
            "Prompt": f"<b>{_esc(complexity.subject)}</b> — {complexity.measure} complexity?",
            "Answer": inline_html(complexity.value),
            "Context": _esc(lecture.title),
        },
        complexity.line,
        asks=complexity.measure,
    )


def _table(table: Table, lecture: Lecture) -> _Draft | None:
    """Clozes for the cells that say something their row and column do not already say.

    A comparison of a few options is asked a row at a time ("Array vs Linked List:
    insertion?" hides that row's cells together); a wider table a cell at a time."""
    if _is_recap(table, lecture):
        return None
    head = "".join(f"<th>{protect_cloze(inline_html(h))}</th>" for h in table.header)
    by_row = len(table.header) - 1 <= _ROW_CARD_COLUMNS
    rows = []
    ids: list[str] = []
    for row in table.rows:
        cells = [f"<th>{protect_cloze(inline_html(row[0]))}</th>"]
        for column, cell in enumerate(row[1:], start=1):
            column_name = table.header[column] if column < len(table.header) else ""
            value = normalize_name(cell)
            others = {
                normalize_name(r[column]) for r in table.rows if r is not row and column < len(r)
            }
            trivial = (
                normalize_name(row[0]).startswith("example")  # an illustration, not a fact
                or not re.search(r"\w", re.sub(r"\b(?:yes|no)\b", "", value))  # ✅/❌ marks
                or value in (normalize_name(row[0]), normalize_name(column_name))
                or value in others
                or len(words(value)) > MAX_ANSWER_WORDS
            )
            if trivial:
                cells.append(f"<td>{protect_cloze(inline_html(cell))}</td>")
                continue
            # A row (or cell) is known by its header(s), so an edited value keeps its card.
            ident = item_id(row[0] if by_row else f"{row[0]} | {column_name}")
            if not ids or ids[-1] != ident:
                ids.append(ident)
            cells.append(f"<td>{_cloze(len(ids), inline_html(cell))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    if not ids:
        return None
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
_CODE_HEADING_RE = re.compile(
    r"^(?:code\s+example|example|implementation|java example)\s*[:–—-]\s*(?=\S)", re.I
)
_GOOD_ANSWER_WORDS = 25  # what one card should ask for; longer prose is cut to its gist
_MAX_ASKED_CODE_LINES = 6  # code a candidate can write from memory on a card
_COMPLEXITY_RE = re.compile(r"\(?\s*(" + BIG_O_RE.pattern + r")\s*\)?")


def _section(section: Section, lecture: Lecture) -> _Draft | None:
    """A section no extractor claimed: asked in the form its shape allows, or not at all."""
    heading = section.path[-1]
    subject = _subject(lecture, section)
    context = _esc(" › ".join(section.path[:-2]))  # the prompt names the parent
    # The lecture's title is on every card: a section of the lecture itself needs only its name.
    about = (
        f"<b>{_esc(heading)}</b>"
        if subject == lecture.title
        else f"<b>{_esc(subject)}</b> — {_esc(heading)}"
    )
    question = _QUESTION_NUMBER_RE.sub("", heading)
    if heading.rstrip().endswith("?") and len(question.split()) > 3:
        prompt = f"<b>{_esc(question)}</b>"
    elif heading.rstrip().endswith("?"):  # "Why?": of what?
        prompt = f"<b>{_esc(subject)}</b> — {_esc(question)}"
    else:
        prompt = f"{about}?"

    def qa(prompt: str, answer: str, extra: str = "") -> _Draft:
        values = {"Prompt": prompt, "Answer": answer, "Context": context, "Extra": extra}
        asks = heading if heading.rstrip().endswith("?") else ""
        return _Draft("recall", section.path, "qa", values, section.line, asks=asks)

    if section.shape == "list":
        entries = [e for e in section.entries if plain_text(e.label or e.text)]
        if len(entries) < 2 and not heading.rstrip().endswith("?"):
            return None  # one item under a heading: nothing around it to cue it
        if _is_narrative(entries):
            return None  # "Clarified …, Designed …, Tested …": what the author did
        lead = plain_text(_ANSWER_LEAD_RE.sub("", section.lead))
        head = prompt if heading.rstrip().endswith("?") else about
        repeats_heading = normalize_name(lead.rstrip(":")) == normalize_name(heading)
        if lead and len(words(lead)) <= 25 and not ANNOUNCE_RE.match(lead) and not repeats_heading:
            head += f"<br>{protect_cloze(inline_html(_ANSWER_LEAD_RE.sub('', section.lead)))}"
        text, ids = _cloze_list(entries)
        if not ids:
            return None
        values = {
            "Text": f'<div class="dg-question">{head}</div>{text}',
            "Context": context,
            "Extra": block_html(section.aside) if section.aside else "",
        }
        return _Draft("recall", section.path, "cloze", values, section.line, ids)
    if section.shape in ("code", "diagram"):
        # Ask for the idea, then the complexity, then (short code only) the code itself;
        # the code or drawing is shown on the back.
        shown = block_html(section.aside or section.body)
        name = _CODE_HEADING_RE.sub("", _COMPLEXITY_RE.sub("", heading)).strip(" :–—-") or heading
        gist, _ = _gist(section.prose)
        lines = section.code.count("\n") + 1 if section.code else 0
        if gist and section.shape == "code" and lines <= MAX_CODE_LINES:
            # Short code on the front, what it does as the answer.
            code = block_html(f"```{section.language}\n{section.code}\n```")
            ask = f"<b>{_esc(subject)}</b> — {_esc(name)}: what does this code do?<br>{code}"
            return qa(ask, block_html(gist), "")
        if gist:
            return qa(
                f"<b>{_esc(subject)}</b> — {_esc(name)}: what is the idea?", block_html(gist), shown
            )
        complexity = _COMPLEXITY_RE.search(heading)
        stated = any(
            c.line > section.line and c.subject.endswith(name) for c in lecture.complexities
        )
        if complexity and not stated:  # (a stated Big O has a card of its own)
            # The code is what the question is about: on the front when it is short enough.
            lines = section.code.count("\n") + 1 if section.code else 0
            code = block_html(f"```{section.language}\n{section.code}\n```")
            front = f"<br>{code}" if section.code and lines <= MAX_CODE_LINES else ""
            back = "" if front else shown
            answer = _esc(complexity.group(1))
            name_html = f"<b>{_esc(subject)}</b> — {_esc(name)}"
            return qa(f"{name_html}: time complexity?{front}", answer, back)
        lines = section.code.count("\n") + 1 if section.code else 0
        if (
            section.shape == "code"
            and lines <= _MAX_ASKED_CODE_LINES
            and section.language != "code"
        ):
            language = section.language
            if language.islower() and len(language) > 3:
                language = language.capitalize()
            return qa(
                f"<b>{_esc(subject)}</b> — write the {_esc(language)} code: <b>{_esc(name)}</b>.",
                block_html(f"```{section.language}\n{section.code}\n```"),
            )
        return None
    prose = section.prose or section.body
    if section.quote and not heading.rstrip().endswith("?"):
        # A principle stated as a quote under its heading: the quote is what it says.
        return qa(f"{about} — what does it state?", block_html(section.quote), "")
    if len(words(plain_text(prose))) <= _GOOD_ANSWER_WORDS and not prose.rstrip().endswith(":"):
        gist, rest = prose, ""  # short enough to recall whole
    else:
        gist, rest = _gist(prose)
    first = sentences(prose)[0] if sentences(prose) else ""
    paragraphs = [p for p in re.split(r"\n\s*\n", prose) if p.strip()]
    if not heading.rstrip().endswith("?"):
        # Prose is asked only as the definition of its heading; the rest is reading.
        if not _defines(first, heading):
            return None
        if (
            first.rstrip().endswith(":")
            and len(paragraphs) > 1
            and sentences(paragraphs[0]) == [first]
        ):
            # "X is the weighted sum:" and its formula below
            gist, rest = "\n\n".join(paragraphs[:2]), "\n\n".join(paragraphs[2:])
        elif gist.startswith(first):
            gist, rest = first, _after(prose, first)
        else:
            return None
    if not gist:
        return None
        named = subject_name(heading)
        prompt = f"{_what_is(named)} <b>{_esc(named)}</b>?"
        if subject != lecture.title:
            prompt += f" <i>({_esc(subject)})</i>"
    extra = "\n\n".join(part for part in (rest, section.aside) if part)
    return qa(prompt, block_html(gist), block_html(extra) if extra else "")


# Every kind of card, in one table: the model items it is made of, and its drafter.
# Adding a kind of card is one extractor (parse), one drafter and one row here.
CARD_KINDS: tuple[
    tuple[str, Callable[[Lecture], Iterable[Any]], Callable[[Any, Lecture], _Draft | None]], ...
] = (
    ("concept", lambda lec: lec.concepts, _concept),
    ("term", lambda lec: lec.terms, _term),
    ("question", lambda lec: lec.questions, _question),
    ("strategy", lambda lec: [s for s in lec.strategies if s.tactics], _strategy),
    ("star", lambda lec: [s for s in lec.stories if s.parts], _story),
    ("tip", lambda lec: [g for g in lec.tip_groups if g.tips], _tips),
    ("table", lambda lec: lec.tables, _table),
    ("complexity", lambda lec: lec.complexities, _complexity),
    ("recall", lambda lec: lec.sections, _section),
)

DUPLICATE_OVERLAP = 0.6
_SAME_ANSWER = 0.9


def _words_of(fragment: str) -> set[str]:
    """Stems of the content words of a card fragment ("quantify" and "quantified" meet)."""
    return {w[:5] for w in content_words(_TAG_RE.sub(" ", html.unescape(fragment))) if len(w) > 2}


_STAR_SITUATION_RE = re.compile(r"<dt>Situation</dt><dd>(.*?)</dd>", re.S)
_LI_RE = re.compile(r"<li>((?:(?!</?li>).)*)", re.S)


def _item_texts(text: str) -> dict[int, str]:
    """Cloze number → the whole list item it sits in (its own text, not its sub-items)."""
    out: dict[int, str] = {}
    for item in _LI_RE.findall(text):
        for number in {int(n) for n, _ in CLOZE_RE.findall(item)}:
            out.setdefault(number, CLOZE_RE.sub(r"\2", item))
    return out


def _is_repeat(
    found: set[str], seen: list[set[str]], named: bool = False, loose: bool = False
) -> bool:
    """Whether an earlier answer already says ``found``: all of a two-word answer,
    ``DUPLICATE_OVERLAP`` of a longer one (and a fair part of the longer of the two,
    so a short cell is no repeat of a long definition that uses its words). The answer
    of a named thing (a concept, a term) repeats only an answer that is the same."""
    if len(found) < 2:
        return False
    share = 1.0 if len(found) == 2 else DUPLICATE_OVERLAP

    def repeats(other: set[str]) -> bool:
        common = len(found & other)
        longer = max(len(found), len(other))
        if named:
            return common >= _SAME_ANSWER * longer
        part = 3 if loose else 2  # whole items carry examples: a smaller share suffices
        return common >= share * min(len(found), len(other)) and common * part >= longer

    # (an answer that shares no word with ``found`` repeats nothing of it)
    candidates = seen.sharing(found) if isinstance(seen, WordSets) else seen
    return any(len(other) >= 2 and repeats(other) for other in candidates)


def _without_repeats(draft: _Draft, seen: list[set[str]]) -> _Draft | None:
    """``draft`` without what earlier cards already ask (None when nothing is left).

    A repeated cloze item stays visible as context; the others keep their order and,
    for notes that track their items, are numbered 1, 2, … again."""
    if draft.model == "qa":
        found = _words_of(draft.values.get("Answer", ""))
        # Named things (a concept, a term, a question) differ unless their answers are the same.
        named = draft.kind in ("concept", "term", "question") or bool(draft.asks)
        if _is_repeat(found, seen, named):
            return None
        if len(found) >= 2:
            seen.append(found)
        return draft
    text = draft.values["Text"]
    if draft.kind == "star" and "sample" in draft.values.get("Context", "").casefold():
        # A sample response that retells an example (the same Situation) is the same
        # story, not a second one.
        part = _STAR_SITUATION_RE.search(text)
        situation = CLOZE_RE.sub(r"\2", part.group(1)) if part else ""
        if situation and _is_repeat(_words_of(situation), seen, loose=True):
            return None
    repeated: set[int] = set()
    items = _item_texts(text)
    for number, content in CLOZE_RE.findall(text):
        # A list item is compared whole, label and all ("Take end-to-end responsibility: …"
        # against a tip "Highlight end-to-end responsibility (e.g., …)").
        found = _words_of(items.get(int(number), content))
        if _is_repeat(found, seen, loose=int(number) in items):
            repeated.add(int(number))
        elif len(found) >= 2:
            seen.append(found)
    return _shown_instead(draft, repeated) or _kept_tips(draft)


def _kept_tips(draft: _Draft) -> _Draft | None:
    """A tip group is what the lecture advises: it keeps its cards even when every tip
    echoes something else, so no tip is lost."""
    return draft if draft.kind == "tip" else None


def _shown_instead(draft: _Draft, shown: set[int]) -> _Draft | None:
    """``draft`` with the clozes numbered ``shown`` made plain text (None when none is
    left); the others keep their order and, for notes that track their items, are
    numbered 1, 2, … again."""
    text = draft.values["Text"]
    if not shown:
        return draft
    numbers = sorted({int(n) for n, _ in CLOZE_RE.findall(text)} - shown)
    if not numbers:
        return None
    renumber = {old: new for new, old in enumerate(numbers, start=1)} if draft.slots else {}

    def edit(m: re.Match[str]) -> str:
        number = int(m.group(1))
        if number in shown:
            return m.group(2)
        return "{{c" + str(renumber.get(number, number)) + "::" + m.group(2) + "}}"

    slots = tuple(draft.slots[n - 1] for n in numbers) if draft.slots else ()
    values = {**draft.values, "Text": CLOZE_RE.sub(edit, text)}
    return replace(draft, values=values, slots=slots)


def _blank_cloze(hidden: int, match: re.Match[str]) -> str:
    return "" if int(match.group(1)) == hidden else match.group(2)


_GIVEAWAY_SHARE = 0.6  # of an answer's words already on its own front


def _without_giveaways(draft: _Draft) -> _Draft | None:
    """``draft`` without asking what its own front already says: a cloze whose words the
    rest of the card (its heading, its neighbours, its context) mostly holds is shown."""
    if draft.model == "qa":
        answer = _words_of(draft.values.get("Answer", ""))
        front = _words_of(draft.values.get("Prompt", "") + " " + draft.values.get("Context", ""))
        if 0 < len(answer) <= 4 and len(answer & front) >= _GIVEAWAY_SHARE * len(answer):
            return None
        return draft
    if draft.kind == "star":  # (its parts are checked against each other when drafted)
        return draft
    text = draft.values["Text"]
    given: set[int] = set()
    for number in {int(n) for n, _ in CLOZE_RE.findall(text)}:
        hidden = " ".join(c for n, c in CLOZE_RE.findall(text) if int(n) == number)
        rest = CLOZE_RE.sub(partial(_blank_cloze, number), text)
        answer = _words_of(hidden)
        front = _words_of(rest + " " + draft.values.get("Context", ""))
        # "Highlight [ownership]" under "Amazon (Ownership)"; a table's headers name its cells
        share = 0.5 if len(answer) <= 3 and draft.kind != "table" else _GIVEAWAY_SHARE
        if answer and len(answer & front) >= max(1, share * len(answer)):
            given.add(number)
    return _shown_instead(draft, given) or _kept_tips(draft)


def _drafts(lecture: Lecture) -> list[_Draft]:
    # (terms look up their namesakes in one index, not in a scan of the lecture each)
    indexed: dict[object, Callable[[Any, Lecture], _Draft | None]]
    indexed = {_term: partial(_term, firsts=_first_terms(lecture.terms))}
    drafts = [
        draft
        for _, items, drafter in CARD_KINDS
        for item in items(lecture)
        if (draft := indexed.get(drafter, drafter)(item, lecture)) is not None
    ]
    # Document order; ties (several items on one line) keep extraction order.
    drafts.sort(key=lambda d: d.line)
    drafts = [kept for d in drafts if (kept := _without_giveaways(d)) is not None]
    # What an earlier card asked (a recap, a story retold) is not asked again.
    seen = WordSets()
    return [kept for d in drafts if (kept := _without_repeats(d, seen)) is not None]


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
    lecture.diagnostics += smell_diagnostics(user_path(lecture.source), notes)
    return notes
