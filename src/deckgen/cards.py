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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
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
    ADVICE_VERBS,
    ANNOUNCE_RE,
    BIG_O_RE,
    MAX_ANSWER_WORDS,
    MAX_CODE_LINES,
    STOPWORDS,
    content_words,
    fragment_text,
    is_fact_sentence,
    is_generic_label,
    root,
    sentences,
    stems,
    words,
)

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
        body += "<ul>" + "".join(f"<li>{_shown_html(c)}</li>" for c in entry.children) + "</ul>"
    return body


def _shown_html(entry: ListEntry) -> str:
    """A list item as shown (not asked): its label, then its text."""
    if entry.label and entry.text:
        return f"<b>{inline_html(entry.label)}</b>: {_entry_html(entry)}"
    return (
        _entry_html(entry)
        if entry.text or not entry.label
        else f"<b>{inline_html(entry.label)}</b>"
    )


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
# A range or a number with its unit: "30–45 minute", "4–5 questions", "99.9%", "100 words".
_QUANTITY_RE = re.compile(
    r"(?<![\w.$\\-])[~≈<>≤≥]?\d[\d,.]*"
    r"(?:\s*(?:–|-|to)\s*\d[\d,.]*(?:\s*%|\s+[a-z]+)?"
    r"|\s*%|\s+(?:minutes?|mins?|seconds?|hours?|days?|weeks?|months?|years?|questions?"
    r"|words?|times|users|requests|actions|steps))(?![\w$-])"
)
# Names that stand for any name (RFC 2606 domains, foo/bar): never the fact asked.
_PLACEHOLDER_RE = re.compile(r"\bexample\.(?:com|org|net)\b|^`?(?:foo|bar|baz)`?$", re.I)
# An item that continues the one before it ("Otherwise, …", "Then …", "So …").
_CONNECTIVE_RE = re.compile(
    r"^(?:otherwise|then|so|thus|therefore|hence|consequently|as a result)\b", re.I
)
_QUESTION_LABELS = frozenset({"question", "q", "interview question", "prompt"})
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
    """Word stems of inline Markdown, crudely: "caller" and "calls" meet at "call"."""
    return stems(plain_text(text), 4)


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
        if normalize_name(entry.label) in _QUESTION_LABELS:
            return None  # the question is the cue for the answer beside it, never hidden
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
    if _CONNECTIVE_RE.match(plain_text(text)) and not _KEY_SPAN_RE.search(text):
        return None  # "Otherwise, ripple effects …": it follows from the item before it
    if split is not None and split[1] != "(":
        cue, sep, fact = split
        return f"{inline_html(cue)} {_esc(sep)} {_cloze(n, inline_html(fact))}"
    if split is not None and "," in split[2]:
        # "Mention **failure modes** (cache crash, DB crash, network partition)": the
        # things listed are the fact, what they are is the cue.
        cue, _, fact = split
        return f"{inline_html(cue)} ({_cloze(n, inline_html(fact))})"
    hinted = _EXAMPLE_HINT_RE.match(text)
    if hinted and len(words(plain_text(hinted.group("what")))) <= _MAX_HIDDEN_WORDS:
        # "Highlight rapid action (e.g., “I shipped a fix in a day”)": the example would
        # give the advice away, so it is hidden with it (and shown on the other cards).
        return _cloze(n, inline_html(text))
    marks = _KEY_SPAN_RE.findall(text)
    # A span marking a placeholder ("example.com") or a generic word ("**trade-offs**")
    # marks no fact.
    spans = [
        m for m in marks if not _PLACEHOLDER_RE.search(m) and not is_generic_label(m.strip("*`"))
    ]
    if marks and not spans:
        return None  # "… reaches the server hosting `example.com`": no fact marked
    size = len(words(plain_text(text)))
    # The author's bold or code marks the key term: it is hidden, not the sentence
    # ("Handles **defaults** for optional fields").
    marked = bool(spans) and size - len(words(plain_text(spans[0]))) >= 2
    quantity = None if spans else _QUANTITY_RE.search(text)
    if quantity and size >= 5 and quantity.start() > 0:
        # "Simulates a 30–45 minute interview": the number is the fact.
        before, key, after = text[: quantity.start()], quantity.group(), text[quantity.end() :]
        parts = (protect_cloze(inline_html(before)), _cloze(n, inline_html(key)))
        return " ".join(p for p in (*parts, protect_cloze(inline_html(after))) if p)
    if size <= most and not marked:
        return _cloze(n, inline_html(text))
    if spans:
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


_LISTING_SPLIT_RE = re.compile(r",\s*(?:and\s+|or\s+)?")


def _parts(text: str) -> list[str]:
    """The comma-separated parts of a run of advice ("Throw specific exceptions (e.g.,
    `X`), catch broadly only when necessary"), commas inside brackets kept; [] for one."""
    parts, depth, start = [], 0, 0
    plain = text.strip().rstrip(".")
    for i, ch in enumerate(plain):
        depth += 1 if ch in "([" else -1 if ch in ")]" else 0
        if ch in ",;" and depth == 0:
            parts.append(plain[start:i])
            start = i + 1
    parts.append(plain[start:])
    parts = [re.sub(r"^\s*(?:and|or)\s+", "", p).strip() for p in parts if p.strip()]
    return parts if len(parts) >= 2 and all(len(p.split()) >= 2 for p in parts) else []


def _listing(entry: ListEntry) -> list[str]:
    """The parts of a labelled item that only lists things ("**Issues**: Limited
    scalability, tight coupling, slow deployments."), or [] for any other item."""
    if not entry.label or entry.children or "(" in entry.text or ";" in entry.text:
        return []
    parts = [
        p.strip() for p in _LISTING_SPLIT_RE.split(entry.text.strip().rstrip(".")) if p.strip()
    ]
    if len(parts) < 3 or any(not 1 <= len(p.split()) <= 4 for p in parts):
        return []
    return parts


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
        if entry.label and not plain_text(entry.text).strip() and len(entry.children) >= 2:
            # "**Classes**:" and a class per sub-item: each sub-item is a fact of its own.
            inner, inner_ids = _cloze_list(entry.children, most)
            inner = _shift_clozes(inner, len(ids))
            items.append(f"<li><b>{protect_cloze(inline_html(entry.label))}</b>:{inner}</li>")
            ids += inner_ids
            continue
        listing = _listing(entry)
        if listing and _cloze_item(0, entry, most) is not None:
            # "**Issues**: Limited scalability, tight coupling, slow deployments.": one
            # fact per card, the label and the other parts as the cue.
            parts = [_cloze(len(ids) + k, inline_html(p)) for k, p in enumerate(listing, 1)]
            items.append(f"<li><b>{inline_html(entry.label or '')}</b>: {', '.join(parts)}</li>")
            ids += [item_id(f"{entry.label} {p}") for p in listing]
            continue
        asked = _cloze_item(len(ids) + 1, entry, most)
        if asked is None:
            items.append(f"<li>{protect_cloze(_shown_html(entry))}</li>")
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


# What follows "is" in a definition ("X is a …", "X is one of …", "X is how …").
_DEFINITION_OPENERS = frozenset(
    """
    a an the one two three any how when where what used defined called known also often
    typically usually essentially simply basically responsible
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
    verb = next((i for i, w in enumerate(opening[:12]) if w in _DEFINING_VERBS), None)
    if verb is not None and opening[verb] in ("is", "are"):
        after = opening[verb + 1] if verb + 1 < len(opening) else ""
        if after not in _DEFINITION_OPENERS:
            return False  # "X is fundamental to HTTPS" says how X matters, not what it is
    head = set(opening[: len(words(subject)) + 2])
    if len(named & head) * 3 >= len(named) * 2:
        return True
    # "Popularized by Y, X advocates …": X named before the sentence's verb.
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


def _is_pattern(entries: Sequence[ListEntry]) -> bool:
    """Short unlabelled items that all open with the same word: each is guessed from its
    neighbours ("20 shards", "20 dashboards", "20 alert streams")."""
    if len(entries) < 3 or any(e.label or e.children for e in entries):
        return False
    said = [words(plain_text(e.text)) for e in entries]
    return all(1 < len(w) <= 3 for w in said) and len({w[0] for w in said}) == 1


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


def _advice(concept: Concept, lecture: Lecture) -> _Draft | None:
    """A concept's guidelines ("**Guidelines**: Validate early, use clear error messages,
    fail fast"): one card per piece of advice, the concept and the label as the cue."""
    items: list[str] = []
    ids: list[str] = []
    for entry in concept.advice:
        parts = _parts(entry.text) or [entry.text.strip()]
        asked = []
        for part in parts:
            if len(words(plain_text(part))) > _MAX_TIP_WORDS:
                asked.append(protect_cloze(inline_html(part)))
                continue
            ids.append(item_id(f"{entry.label} {part}"))
            asked.append(_cloze(len(ids), inline_html(part)))
        items.append(f"<li><b>{inline_html(entry.label or '')}</b>: {', '.join(asked)}</li>")
    if not ids:
        return None
    name = f'<div class="dg-question"><b>{inline_html(concept.name)}</b></div>'
    text = f"{name}<ul>{''.join(items)}</ul>"
    values = {"Text": text, "Context": "Key concept", "Extra": ""}
    return _Draft("advice", (concept.name, "advice"), "cloze", values, concept.line, tuple(ids))


# Verbs a step or a part is explained by ("build the DOM tree", "route requests").
_ACTION_VERBS = frozenset(
    """
    build create make modify fetch send store return compute convert render execute apply
    download paint run load parse split route map check track hold keep serve
    """.split()
)


# Verbs a part of a system is explained by, in their -s form ("Routes requests").
_DOING_VERBS = _ACTION_VERBS | frozenset(
    """
    distribute manage collect provide handle ensure allow enable let translate encrypt turn
    maintain separate prevent reduce increase send convert expose coordinate monitor define
    represent implement wrap cache process validate stop block emphasize
    """.split()
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
    # "Execution Speed, real-time systems" lists names; "Collects young and old" does not.
    listed = bool(re.search(r"[,;]", _GLOSS_RE.sub("", plain_text(term.definition))))
    listing = listed and len(parts) >= 2 and all(len(p.split()) <= 4 for p in parts)
    # A principle with a section of its own ("ADP – Acyclic …") is defined there; a term
    # of the same name elsewhere (a case study) says how it applies.
    own_section = any(
        normalize_name(term.term) in normalize_name(part).split()
        and normalize_name(part) != normalize_name(term.context.split(" › ")[-1])
        for section in lecture.sections
        if section.line < term.line
        for part in section.path
    )
    where = _esc(term.context.split(" › ")[-1])
    acronym = term.term.isupper() and 2 <= len(term.term) <= 6  # "ADP", "SAP"
    if own_section and acronym and term.context:
        # "Spring Framework › **ADP**: no cycles between modules": how a case applies it.
        prompt = f"How does <i>{where}</i> apply <b>{name}</b>?"
    elif (earliest is not term or listing or own_section) and term.context:
        # Defined before, or followed by a list of names ("Amazon: Ownership, Dive Deep"):
        # not a definition, but what the section pairs with the name.
        prompt = f"<i>{where}</i> — <b>{name}</b>?"
    else:
        prompt = f"What is meant by <b>{name}</b>?"
    definition, _, more = term.definition.partition("\n\n")
    if len(words(plain_text(definition))) < 3 and more:
        if more.count("\n- ") + more.startswith("- ") > 2:
            return None  # a procedure under a bold label: no one definition to ask
        definition, more = term.definition, ""
    if len(_stems(definition) - _stems(_split_camel(term.term))) <= 1:
        return None  # "CanCommit: ask if they can commit" asks nothing
    if words(plain_text(definition))[:1] == ["you"]:
        return None  # "Paint pixels → you finally see the page": the story, not a term
    told = sentences(definition)
    if len(told) > 1 or len(words(plain_text(definition))) > MAX_ANSWER_WORDS // 2:
        # One fact per card: the first sentence answers, the others are on the back.
        first = told[0] if told else definition
        if first != definition and len(words(plain_text(first))) >= 3:
            more = (_after(definition, first) + "\n\n" + more).strip()
            definition = first
    answer = block_html(definition)
    first = (words(plain_text(definition)) or [""])[0]
    if plain_text(definition)[:1].islower():  # "build the DOM tree", "translates domains"
        acts = first in _ACTION_VERBS or (first.endswith("s") and not first.endswith(("ss", "us")))
    else:  # "Distributes traffic", not "Pointers move …" or "Make decisions …"
        acts = first.endswith("s") and (
            first[:-1] in _DOING_VERBS or first.removesuffix("es") in _DOING_VERBS
        )
    if prompt.startswith("What is meant by") and acts:
        # "**Parse HTML** → build the DOM tree", "**DNS** → translates domains to IPs":
        # what it does, not what it means.
        prompt = f"What does <b>{name}</b> do?"
    hinted = _EXAMPLE_HINT_RE.match(plain_text(definition).strip())
    use = (
        re.sub(r"^\((?:e\.g\.|for example|like|such as),?\s*|\)\.?$", "", hinted["hint"])
        if hinted
        else ""
    )
    # A use ("finding a subarray sum"), not a product ("Nginx") or a list of parts.
    use = use if use[:1].islower() and len(use.split()) >= 3 and "," not in use else ""
    if restates(term.term, definition) and use and term.context and prompt.startswith("What"):
        # "Same Direction: both pointers move in the same direction (e.g., finding a
        # subarray sum)": the name says the definition, so the example asks for the name.
        where = _esc(term.context.split(" › ")[-1])
        prompt = f"<b>{where}</b>: which one is used for {_esc(use)}?"
        answer, more = f"<b>{name}</b>", (definition + "\n\n" + more).strip()
    elif "(" in term.term and restates(re.sub(r"^[^(]*\(|\)[^)]*$", "", term.term), definition):
        # "Closed (Normal)": the alias says the answer; it is on the back.
        bare = _esc(re.sub(r"\s*\([^()]*\)", "", term.term).strip())
        prompt = prompt.replace(f"<b>{name}</b>", f"<b>{bare}</b>")
        more = (f"{term.term}\n\n" + more).strip()
    return _Draft(
        "term",
        (term.term,),
        "qa",
        {
            "Prompt": prompt,
            "Answer": answer,
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
        tips = [t for t in group.tips if not _STUDY_ADVICE_RE.match(plain_text(t.text))]
        if not tips:
            return None  # "Know …", "Be able to …": advice on studying, no fact to recall
        items = [f"<li>{_cloze(n, _entry_html(t))}</li>" for n, t in enumerate(tips, 1)]
        text, ids = "<ul>" + "".join(items) + "</ul>", tuple(item_id(t.text) for t in tips)
    if group.lead:
        text = f'<div class="dg-question">{protect_cloze(inline_html(group.lead))}</div>{text}'
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


def _is_constant(value: str) -> bool:
    return all(o.replace(" ", "") == "O(1)" for o in BIG_O_RE.findall(value))


def _complexity(complexity: Complexity, lecture: Lecture) -> _Draft | None:
    if all(_is_constant(c.value) for c in lecture.complexities):
        return None  # "O(1) for makeBooking": a design's illustration, no algorithm to analyse
    return _Draft(
        "complexity",
        (complexity.subject, complexity.measure),
        "qa",
        {
            "Prompt": f"<b>{_esc(complexity.subject)}</b> — {complexity.measure} complexity?",
            "Answer": inline_html(complexity.value),
            "Context": _esc(lecture.title),
            "Extra": inline_html(complexity.why) if complexity.why else "",
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
# A made-up setting an example is placed in ("… in a travel platform", "… for a social app").
_SETTING_RE = re.compile(
    r"\b(?:in|for|of) an? (?:[\w-]+ ){0,2}(?:app|application|platform|site|website|system"
    r"|service|company|startup|team|product)\.?$",
    re.I,
)
# Headings of code that shows a flaw ("Bad (Cycle Present)", "Violating SAP", "Before KISS").
_FLAWED_RE = re.compile(r"^(?:bad|wrong|broken|anti-?pattern|violat\w*)\b|\bviolat", re.I)
_COMMENT_LINE_RE = re.compile(r"^[ \t]*(?://|#(?![!{])|--|/\*|\*).*\n?", re.M)
_GOOD_ANSWER_WORDS = 25  # what one card should ask for; longer prose is cut to its gist
_MAX_ASKED_CODE_LINES = 6  # code a candidate can write from memory on a card
_COMPLEXITY_RE = re.compile(r"\(?\s*(" + BIG_O_RE.pattern + r")\s*\)?")


_WHAT_IS_RE = re.compile(r"^\s*what (?:is|are) (?:an? |the )?(.+?)\s*\?\s*$", re.I)
_NAME_SPLIT_RE = re.compile(r"\s*(?::|–|—|\s-\s)\s*")


# A name ending in one of these is one of its kind: "the KISS Principle".
_KIND_NOUNS = frozenset(
    "principle technique pattern algorithm protocol model theorem framework method".split()
)


def _mentions(sentence: str, name: str) -> bool:
    """Whether ``sentence`` names every content word of ``name`` (stems)."""
    named = {w[:5] for w in content_words(plain_text(name))}
    said = {w[:5] for w in content_words(plain_text(sentence))}
    return bool(named) and named <= said


def _defined_name(heading: str, sentence: str) -> str:
    """What a defining sentence defines, named as its heading names it: the part of
    "RSA: The Foundation" that the sentence opens with ("RSA")."""
    opening = {w[:5] for w in words(plain_text(sentence))[:12]}
    for part in _NAME_SPLIT_RE.split(heading):
        name = subject_name(part)
        if content_words(name) and {w[:5] for w in content_words(name)} <= opening:
            return name
    return subject_name(heading)


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
        if _is_pattern(entries):
            return None  # "20 shards, 20 dashboards, 20 alert streams": guessed, not recalled
        example = normalize_name(plain_text(section.lead).strip(" :*")) in _ILLUSTRATION_LABELS
        if example and any(t.context == section.path for t in lecture.tables):
            return None  # "**Example:**" under a comparison table: the table's rows are asked
        if re.search(r"\buse cases?\b|\bapplications?\b", heading, re.I) and all(
            _SETTING_RE.search(plain_text(e.text)) for e in entries
        ):
            return None  # "Simplifying booking logic in a travel platform": made-up settings
        lead_md = _ANSWER_LEAD_RE.sub("", section.lead).strip()
        said = sentences(lead_md)
        if said and normalize_name(plain_text(said[-1]).rstrip(":")) == normalize_name(heading):
            # The lead-in that names this list is its heading already: the rest is shown.
            lead_md = " ".join(said[:-1])
        lead = plain_text(lead_md)
        head = prompt if heading.rstrip().endswith("?") else about
        if lead and len(words(lead)) <= 25 and not ANNOUNCE_RE.match(lead):
            head += f"<br>{protect_cloze(inline_html(lead_md))}"
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
        if gist and not gist[:1].isupper():
            return None  # "is efficient and …": the tail of a sentence about the code
        opening = sentences(section.prose)[:1]
        if gist and opening and not gist.startswith(opening[0]) and section.shape == "code":
            # "Looks fine. But what if we add: … Now we need overloads": an answer that
            # follows what it depends on is no answer to the code alone.
            return None
        if gist and section.shape == "code" and lines <= MAX_CODE_LINES:
            # Short code on the front (without the comments that would say the answer),
            # what it shows as the answer, the code with its comments on the back.
            bare = _COMMENT_LINE_RE.sub("", section.code).strip("\n")
            code = block_html(f"```{section.language}\n{bare}\n```")
            ask = f"<b>{_esc(subject)}</b> — {_esc(name)}: what does this example show?<br>{code}"
            if _FLAWED_RE.search(name):
                # "Bad (Cycle Present)": the heading would say what is wrong.
                ask = f"<b>{_esc(subject)}</b>: what is wrong with this code?<br>{code}"
            return qa(ask, block_html(gist), shown if bare != section.code else "")
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
        named = _defined_name(heading, first)
        the = "the " if words(named)[-1:] and words(named)[-1] in _KIND_NOUNS else ""
        prompt = f"{_what_is(named)} {the}<b>{_esc(named)}</b>?"
        if subject != lecture.title:
            prompt += f" <i>({_esc(subject)})</i>"
    elif (asked := _WHAT_IS_RE.match(question)) and not _mentions(gist, asked.group(1)):
        # "What is a Distributed Transaction?" opened by what a plain transaction is:
        # the answer is the first sentence that speaks of the distributed one.
        told = next((t for t in sentences(prose) if _mentions(t, asked.group(1))), "")
        if told:
            gist, rest = told, _after(prose, told)
    if not gist:
        return None
    extra = "\n\n".join(part for part in (rest, section.aside) if part)
    return qa(prompt, block_html(gist), block_html(extra) if extra else "")


# Every kind of card, in one table: the model items it is made of, and its drafter.
# Adding a kind of card is one extractor (parse), one drafter and one row here.
CARD_KINDS: tuple[
    tuple[str, Callable[[Lecture], Iterable[Any]], Callable[[Any, Lecture], _Draft | None]], ...
] = (
    ("concept", lambda lec: lec.concepts, _concept),
    ("advice", lambda lec: [c for c in lec.concepts if c.advice], _advice),
    ("term", lambda lec: lec.terms, _term),
    ("question", lambda lec: lec.questions, _question),
    ("strategy", lambda lec: [s for s in lec.strategies if s.tactics], _strategy),
    ("star", lambda lec: [s for s in lec.stories if s.parts], _story),
    ("tip", lambda lec: [g for g in lec.tip_groups if g.tips], _tips),
    ("table", lambda lec: lec.tables, _table),
    ("complexity", lambda lec: lec.complexities, _complexity),
    ("recall", lambda lec: lec.sections, _section),
)

# Items of a lecture compared with what came before (each against every earlier one):
# far more than any written lecture has, few enough that a generated one stays fast.
MAX_COMPARED = 2000
DUPLICATE_OVERLAP = 0.6
RECAP_OVERLAP = 0.5  # of a recap's words one earlier card said (three words or more)
_SAME_ANSWER = 0.9


def _words_of(fragment: str) -> set[str]:
    """Stems of the content words of a card fragment ("quantify" and "quantified" meet)."""
    return stems(fragment_text(fragment))


# "(e.g., …)" illustrates a fact; it is not the fact.
_ILLUSTRATION_RE = re.compile(r"\((?:e\.g\.|for example|like|such as)[^()]*\)", re.I)


def _fact_words(fragment: str, verbs: bool = False) -> set[str]:
    """Stems of what a card fragment states: no example hints, and no advice verbs unless
    ``verbs`` ("Highlight end-to-end responsibility" states "end-to-end responsibility")."""
    text = _ILLUSTRATION_RE.sub(" ", fragment_text(fragment))
    return {
        w[:5]
        for w in content_words(text)
        if len(w) > 2
        and (verbs or (w not in ADVICE_VERBS and w.removesuffix("s") not in ADVICE_VERBS))
    }


# "What is X?", "What is meant by X?", "X — what does it state?": a card defining X.
_DEFINING_PROMPT_RE = re.compile(
    r"^(?:what (?:is|are) (?:meant by )?(?:the |an? )?(?P<subject>[^?]+)\?"
    r"|(?P<stated>[^?]+?) — what does it state\?)$",
    re.I,
)
_DEFINING_LABELS = frozenset({"purpose", "definition", "description", "meaning", "role"})
# An item's label: "<b>Situation</b>: …", or a short cue before ":" ("ADP : {{c1::…}}").
_GLOSS_RE = re.compile(r"\([^()]*\)")
_LABEL_RE = re.compile(r"^\s*(?:<b>(.*?)</b>|([^<:{}]{1,40}?))\s*:")
_STAR_SITUATION_RE = re.compile(r"<dt>Situation</dt><dd>(.*?)</dd>", re.S)
_LI_RE = re.compile(r"<li>((?:(?!</?li>).)*)", re.S)


def _item_texts(text: str) -> dict[int, str]:
    """Cloze number → the whole list item it sits in (its own text, not its sub-items),
    for items that ask one thing."""
    out: dict[int, str] = {}
    for item in _LI_RE.findall(text):
        numbers = {int(n) for n, _ in CLOZE_RE.findall(item)}
        if len(numbers) == 1:  # (the parts of a listing are facts of their own)
            out.setdefault(numbers.pop(), CLOZE_RE.sub(r"\2", item))
    return out


def _is_repeat(
    found: set[str],
    seen: list[set[str]],
    named: bool = False,
    loose: bool = False,
    recap: bool = False,
) -> bool:
    """Whether an earlier answer already says ``found``: all of a two-word answer,
    ``DUPLICATE_OVERLAP`` of a longer one (and a fair part of the longer of the two,
    so a short cell is no repeat of a long definition that uses its words). The answer
    of a named thing (a concept, a term) repeats only an answer that is the same. A
    ``recap`` (a list item, an interview question's answer) repeats when most of what it
    says, three words or more, one earlier card said ("After cooldown, breaker half-opens"
    after "Half-Open: After cooldown, allow a few test calls")."""
    if len(found) < 2:
        return False
    share = 1.0 if len(found) == 2 else DUPLICATE_OVERLAP

    def repeats(other: set[str]) -> bool:
        common = len(found & other)
        longer = max(len(found), len(other))
        if recap and common >= max(3, RECAP_OVERLAP * len(found)):
            return True
        if named:
            return common >= _SAME_ANSWER * longer
        part = 3 if loose else 2  # whole items carry examples: a smaller share suffices
        return common >= share * min(len(found), len(other)) and common * part >= longer

    # (an answer that shares no word with ``found`` repeats nothing of it)
    candidates = seen.sharing(found) if isinstance(seen, WordSets) else seen
    return any(len(other) >= 2 and repeats(other) for other in candidates)


def _initials(stems: set[str]) -> str:
    """The acronym some stems could spell, in any order ("acycl depen princ" → "adp")."""
    return "".join(sorted(s[0] for s in stems))


@dataclass
class _Asked:
    """What earlier cards of a lecture said (all their words) and asked (their answers)."""

    topic: set[str] = field(default_factory=set)  # the lecture's title words: said everywhere
    said: WordSets = field(default_factory=WordSets)  # (indexed by word: see WordSets)
    answers: list[set[str]] = field(default_factory=list)
    subjects: list[set[str]] = field(default_factory=list)  # what was defined
    compared: int = 0  # items compared so far (bounded: see MAX_COMPARED)

    def defined(self, subject: str) -> bool:
        """Whether ``subject`` was defined before (and remember it): "What is the Acyclic
        Dependencies Principle (ADP)?" after "ADP – Acyclic Dependencies Principle — what
        does it state?"; an acronym is its expansion ("ADP: …")."""
        key = _words_of(subject)
        if not key:
            return False
        for other in self.subjects:
            small, large = sorted((key, other), key=len)
            if small == large or (len(small) == 1 and _initials(large - small) in small):
                return True
        self.subjects.append(key)
        return False

    def answered(self, hidden: set[str]) -> bool:
        """Whether an earlier card asked for the same thing: the same one-word answer, or
        a longer answer that ``hidden`` holds with at most one word more
        ("Supports immutability" after "Keeps the object [immutable]")."""
        return bool(hidden) and any(
            answer <= hidden and len(hidden - answer) <= (len(answer) > 1)
            for answer in self.answers
        )

    def add(self, said: set[str], hidden: set[str]) -> None:
        if len(said) >= 2:
            self.said.append(said)
        if hidden:
            self.answers.append(hidden)

    def words(self, fragment: str, facts: bool = True) -> set[str]:
        """The stems of what ``fragment`` states (without its advice verbs, when
        ``facts``) that say more than the lecture's topic."""
        return _fact_words(fragment, verbs=not facts) - self.topic


def _without_repeats(draft: _Draft, seen: _Asked) -> _Draft | None:
    """``draft`` without what earlier cards already ask (None when nothing is left).

    A repeated cloze item stays visible as context; the others keep their order and,
    for notes that track their items, are numbered 1, 2, … again."""
    if seen.compared >= MAX_COMPARED:
        return draft  # a generated dump, not prose: what it repeats is its author's
    seen.compared += 1
    if draft.model == "qa":
        answer = draft.values.get("Answer", "")
        found = seen.words(answer)
        # Named things (a concept, a term, a question) differ unless their answers are the same.
        named = draft.kind in ("concept", "term", "question") or bool(draft.asks)
        recap = draft.kind == "question" or bool(draft.asks)
        if _is_repeat(found, seen.said, named, recap=recap) or seen.answered(found):
            return None
        defining = _DEFINING_PROMPT_RE.match(plain_text(draft.values.get("Prompt", "")))
        subject = (defining.group("subject") or defining.group("stated")) if defining else ""
        # A concept or term of the lecture's own list is its definition, asked however
        # often the author repeats the name; a later restatement is not.
        if subject and seen.defined(subject) and draft.kind not in ("concept", "term"):
            return None
        # What a card says includes what it names ("Half-Open (Test Mode)": …).
        said = seen.words(answer + " " + draft.values.get("Prompt", ""), facts=False)
        seen.add(said, found)
        return draft
    text = draft.values["Text"]
    if draft.kind == "star" and "sample" in draft.values.get("Context", "").casefold():
        # A sample response that retells an example (the same Situation) is the same
        # story, not a second one.
        part = _STAR_SITUATION_RE.search(text)
        situation = CLOZE_RE.sub(r"\2", part.group(1)) if part else ""
        if situation and _is_repeat(seen.words(situation), seen.said, loose=True):
            return None
    repeated: set[int] = set()
    items = _item_texts(text)
    for number, content in CLOZE_RE.findall(text):
        if seen.compared >= MAX_COMPARED:
            break
        seen.compared += 1
        # A list item is compared whole, label and all ("Take end-to-end responsibility: …"
        # against a tip "Highlight end-to-end responsibility (e.g., …)"), without the
        # advice verb and the example that dress it.
        item = items.get(int(number), content)
        found, hidden = seen.words(item), seen.words(content)
        label = plain_text(m.group(1) or m.group(2)) if (m := _LABEL_RE.match(item)) else ""
        # "Purpose: …" under "Situation" says what Situation is, as "Situation: …" did.
        subject = "" if is_generic_label(label) and label not in STAR_CLOZE else label
        if normalize_name(label) in _DEFINING_LABELS:
            subject = draft.name[-1]
        if (
            _is_repeat(
                found,
                seen.said,
                loose=int(number) in items,
                recap=draft.kind not in ("table", "star"),
            )
            # ("periodic (every 5 minutes)" after "periodic": the gloss is no new fact)
            or (seen.answered(seen.words(_GLOSS_RE.sub(" ", content))) and draft.kind != "tip")
            or (subject and seen.defined(subject))
        ):
            repeated.add(int(number))
        else:
            seen.add(seen.words(item, facts=False), hidden)
    return _shown_instead(draft, repeated)


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


_GIVEAWAY_SHARE = 0.6  # of an answer's words already on its own front
# Words of a page's furniture ("Interview Tips", "Example"): sharing one gives nothing away.
_FURNITURE_STEMS = frozenset(
    w[:5] for w in "tip tips example examples note notes key question answer summary".split()
)


def _plain_words(fragment: str) -> list[str]:
    return [
        w
        for w in words(fragment_text(fragment))
        if w not in STOPWORDS and len(w) > 2 and w[:5] not in _FURNITURE_STEMS
    ]


class _Front:
    """The words on a cloze card's front: all of the note's text but the hidden cloze.

    Counted once per note, so that checking each cloze costs its own length only."""

    def __init__(self, text: str, context: str) -> None:
        self.words = Counter(_plain_words(CLOZE_RE.sub(r"\2", text) + " " + context))
        self.stems = Counter(w[:5] for w in self.words.elements())

    def given(self, hidden: list[str], answer: set[str]) -> int:
        """How many words of ``answer`` the front holds when ``hidden`` is hidden: the
        same stem, or a shorter word that starts it ("Deeply analyze" under "Dive Deep")."""
        mine = Counter(hidden)
        stems = Counter(w[:5] for w in hidden)

        def shown(w: str) -> bool:
            if self.stems[w[:5]] > stems[w[:5]]:
                return True
            return any(self.words[w[:k]] > mine[w[:k]] for k in range(4, len(w) + 1))

        return sum(1 for w in answer if shown(w))


def _without_giveaways(draft: _Draft, topic: frozenset[str] = frozenset()) -> _Draft | None:
    """``draft`` without asking what its own front already says: a cloze whose words the
    rest of the card (its heading, its neighbours, its context) mostly holds is shown,
    and a card whose every cloze is shown is not made (but for tips, which are kept
    so that no advice is lost). The lecture's ``topic`` (its
    title's stems) is on every card and gives nothing away."""
    if draft.model == "qa":
        answer = _words_of(draft.values.get("Answer", ""))
        front = _words_of(draft.values.get("Prompt", "") + " " + draft.values.get("Context", ""))
        if 0 < len(answer) <= 4 and len(answer & front) >= _GIVEAWAY_SHARE * len(answer):
            return None
        return draft
    if draft.kind == "star":  # (its parts are checked against each other when drafted)
        return draft
    text = draft.values["Text"]
    on_front = _Front(text, draft.values.get("Context", ""))
    hidden_by_number: dict[int, list[str]] = {}
    for n, content in CLOZE_RE.findall(text):
        # (a hidden example says nothing the front could give away)
        hidden_by_number.setdefault(int(n), []).extend(
            _plain_words(_ILLUSTRATION_RE.sub(" ", content))
        )
    given: set[int] = set()
    for number, hidden in hidden_by_number.items():
        # The lecture's topic is on every card: only the rest of an answer can be given away.
        answer = {w for w in hidden if w[:5] not in topic} or set(hidden)
        # "Highlight [ownership]" under "Amazon (Ownership)"; a table's headers name its cells
        share = 0.5 if len(answer) <= 3 and draft.kind != "table" else _GIVEAWAY_SHARE
        if answer and on_front.given(hidden, answer) >= max(1, share * len(answer)):
            given.add(number)
    return _shown_instead(draft, given)


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
    topic = frozenset(_words_of(lecture.title))
    # What an earlier card asked (a recap, a story retold) is not asked again.
    seen = _Asked(topic=_words_of(lecture.title))
    kept: list[_Draft] = []
    for draft in drafts:
        if draft.kind == "tip" and draft.values["Text"].count("<li>") == 1:
            # A lone tip ("Practical Use: RSA/ECC are used for HTTPS, SSH, …") has nothing
            # around it to cue it: it is shown on the back of the card it is closest to.
            kept = _with_tips_on_back(kept, draft)
            continue
        strategy = _same_strategy(draft, kept)
        if strategy is not None:
            # "Meta-Specific Tips › Execution Speed" after the strategy "Prioritizing
            # Execution Speed" says its tactics again in other words: the tips join the
            # strategy's back instead of asking the same advice twice.
            kept = _with_tips_on_back(kept, draft, strategy)
            continue
        asked = _without_giveaways(draft, topic)
        asked = asked and _without_repeats(asked, seen)
        if asked is not None:
            kept.append(asked)
        elif draft.kind == "tip":
            # A tip group whose every tip an earlier card asks (or its own front says) is
            # no card of its own, but the advice is not lost: it joins that card's back.
            kept = _with_tips_on_back(kept, draft)
    return kept


def _same_strategy(draft: _Draft, kept: list[_Draft]) -> int | None:
    """The index of the earlier strategy a tip group is named after, if any."""
    if draft.kind != "tip" or draft.name[0] == draft.name[1]:
        return None
    named = {root(w) for w in content_words(plain_text(draft.name[1]))}
    for i, other in enumerate(kept):
        names = {root(w) for w in content_words(plain_text(other.name[0]))}
        if other.kind == "strategy" and named and named <= names:
            return i
    return None


def _with_tips_on_back(kept: list[_Draft], tips: _Draft, target: int | None = None) -> list[_Draft]:
    """``kept`` with the tip group ``tips`` (shown whole) on the back of card ``target``,
    else of the card that says most of it (or the last card; alone, the group stays a
    card)."""
    if not kept:
        return [tips]
    said = _words_of(tips.values["Text"])
    if target is None:
        target = max(
            range(len(kept)),
            key=lambda i: (len(said & _words_of(" ".join(kept[i].values.values()))), i),
        )
    group = CLOZE_RE.sub(r"\2", tips.values["Text"])
    aside = f'<div class="dg-tips"><b>{tips.values["Context"]}</b>{group}</div>'
    extra = kept[target].values.get("Extra", "")
    values = {**kept[target].values, "Extra": extra + aside}
    return [*kept[:target], replace(kept[target], values=values), *kept[target + 1 :]]


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
    lecture_part, tag = lecture_key(lecture), lecture_tag(lecture)
    for index, draft in enumerate(drafts, start=1):
        key = "|".join([lecture_part, draft.kind, *map(normalize_name, draft.name)])
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
                tags=(f"deckgen::{draft.kind}", tag),
                line=draft.line,
                due=base + min(index, gap - 1),
                cloze_slots=numbered_slots(draft.slots),
            )
        )
    lecture.diagnostics += smell_diagnostics(user_path(lecture.source), notes)
    return notes
