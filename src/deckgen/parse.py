"""Parse stage: a lecture's Source (front matter and body) → the :class:`~deckgen.model.Lecture`.

Small extractor functions each claim one kind of content (objectives, concepts,
terms, questions, strategies, STAR stories, tips, comparison tables); whatever no
extractor claims and still has substance becomes a generic recall
:class:`~deckgen.model.Section`. Problems found on the way (a missing title, an
incomplete STAR story, unknown front-matter keys) become the lecture's diagnostics.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from deckgen.blocks import Block, Heading, Item, item_source, parse_sections, slice_source
from deckgen.model import (
    Complexity,
    Concept,
    Diagnostic,
    Lecture,
    ListEntry,
    Question,
    Section,
    StarStory,
    Strategy,
    Table,
    Term,
    TipGroup,
)
from deckgen.render import plain_text
from deckgen.source import Source
from deckgen.wording import (
    BIG_O_RE,
    LIST_FACET_RE,
    is_concept_label,
    is_everyday_part,
    is_generic_label,
    sentences,
)

STAR_PARTS = ("Situation", "Task", "Action", "Result")
_STAR_ALIASES = {
    "situation": "Situation",
    "task": "Task",
    "action": "Action",
    "actions": "Action",
    "result": "Result",
    "results": "Result",
    "outcome": "Result",
}
_CONCEPT_FIELDS = {
    "definition": "definition",
    "meaning": "definition",
    "what it is": "definition",
    "key aspects": "key_aspects",
    "key aspect": "key_aspects",
    "key features": "key_aspects",
    "examples": "examples",
    "example": "examples",
}
# Bullets of a concept that advise how to use it: each is asked, not kept for the back.
_ADVICE_LABELS = frozenset(
    {"guidelines", "guideline", "prevention", "best practices", "best practice", "rules", "rule"}
)
# Sections that hold no facts to memorise (compared after normalisation).
_SKIP_TITLES = {
    "overview",
    "conclusion",
    "next step",
    "next steps",
    "next lesson",
    "next lessons",
    "further reading",
    "references",
    "resources",
    "table of contents",
    "contents",
    "practice exercise",
    "practice exercises",
    "practice problems",
    "practice problem",
    "relation to previous sections",
    "related lectures",
    "what's next",
    "whats next",
}
_PRACTICE_RE = re.compile(r"^practice\b")
# Sections about the lecture rather than its subject: motivation, applications, recaps.
_FURNITURE_RE = re.compile(
    r"^(?:why\b.*\bmatters?|real world applications?|key takeaways?|takeaways|summary\b.*"
    r"|recap|wrap up|final thoughts|learning outcomes"
    # A worked example, its output or a to-do list illustrates; it is not a fact to recall.
    r"|(?:usage |sample )?examples?\b(?! of\b).*|output|sample output|todos?\b.*|to do\b.*"
    r"|improvements|future (?:work|improvements)|exercises?|role in\b.*|systematic approach"
    # recaps that restate what the sections before them explained
    r"|why is this (?:the|a|an)\b.*|how (?:they|these|it all|all) (?:\w+ )?work together"
    r"|putting it .*together|in summary|bringing it .*together"
    r"|suggested improvements|try it yourself|your turn)$"
)
# Sections whose only fact is the sentence that defines the lecture's subject.
_DEFINING_TITLES = frozenset({"overview", "introduction", "intro", "intent", "definition"})
_TIPS_RE = re.compile(r"\btips?\b")
_STRATEGY_RE = re.compile(r"\bstrateg(y|ies)\b")
_NUMBERING_RE = re.compile(
    r"^(?:(?:step|part|lecture)\s+)?(?:\d+(?:\.\d+)+\.?\s+|(?:\d+|[ivx]+|[a-z])[.):]\s+)"
    r"|^(?:step|part)\s+\d+\s*[:.-]\s*",
    re.I,
)
_PLAIN_LABEL_RE = re.compile(r"^(?P<label>[A-Z][\w ]{0,30}?):\s+(?P<rest>\S.*)$", re.S)
_ANSWER_RE = re.compile(r"^\*\*Answer:?\*\*:?\s*", re.I)
_MIN_SECTION_CHARS = 40


@dataclass
class _Context:
    """Mutable state while one lecture is parsed."""

    source: Source
    lines: list[str]
    lecture: Lecture
    practice_question: str = ""
    claimed_paragraphs: set[int] = field(default_factory=set)

    def line(self, body_line: int) -> int:
        """Body line (0-based) → file line (1-based)."""
        return body_line + self.source.body_offset + 1

    def warn(self, body_line: int, code: str, message: str) -> None:
        self.lecture.diagnostics.append(
            Diagnostic(self.source.shown, self.line(body_line), "warning", code, message)
        )


@lru_cache(maxsize=4096)  # (a section's title is cleaned again by every rule that reads it)
def clean_heading(title: str) -> str:
    """Heading text without emphasis, emoji and leading numbering (``### 2.1 Foo`` → ``Foo``)."""
    text = plain_text(title)
    text = "".join(
        ch for ch in text if unicodedata.category(ch) not in ("So", "Cs", "Mn", "Cf") or ch in "’‘"
    )
    text = " ".join(text.split())
    stripped = _NUMBERING_RE.sub("", text, count=1).strip().rstrip(":").strip()
    return stripped or text


def _norm(title: str) -> str:
    text = clean_heading(title).lower().replace("’", "'")
    return re.sub(r"[^\w' ]+", " ", text).strip()


def _is_skipped(title: str) -> bool:
    norm = " ".join(_norm(title).split())
    return (
        norm in _SKIP_TITLES
        or bool(_PRACTICE_RE.match(norm) or _FURNITURE_RE.match(norm))
        or "relation to" in norm
    )


def _entry(ctx: _Context, item: Item) -> ListEntry:
    children = tuple(_entry(ctx, child) for sub in item.sublists for child in sub.items)
    label, rest = item.label, item.rest
    return ListEntry(
        text=rest if label else item.text, line=ctx.line(item.start), label=label, children=children
    )


def _loose_label(item: Item) -> tuple[str, str]:
    """An item's label, bold (``**Example**: x``) or plain (``Example: x``)."""
    if item.label:
        return plain_text(item.label), item.rest
    m = _PLAIN_LABEL_RE.match(item.text.strip())
    return (m.group("label"), m.group("rest")) if m else ("", item.text)


def _star_part(label: str | None) -> str | None:
    if not label:
        return None
    return _STAR_ALIASES.get(plain_text(label).lower().strip())


def _star_parts(items: list[Item]) -> dict[str, Item]:
    parts: dict[str, Item] = {}
    for item in items:
        part = _star_part(item.label)
        if part and part not in parts and item.rest:
            parts[part] = item
    return parts


def _is_star_list(block: Block) -> bool:
    return block.kind == "list" and len(_star_parts(block.items)) >= 2


def _question_item(items: list[Item]) -> Item | None:
    for item in items:
        if item.label and plain_text(item.label).lower() in ("question", "q"):
            return item
    return None


def _make_story(ctx: _Context, block: Block, question: str, label: str) -> StarStory:
    parts = _star_parts(block.items)
    missing = tuple(p for p in STAR_PARTS if p not in parts)
    story = StarStory(
        question=question,
        line=ctx.line(block.start),
        parts=tuple((p, parts[p].rest) for p in STAR_PARTS if p in parts),
        label=label,
        missing=missing,
    )
    if missing:
        ctx.warn(
            block.start,
            "incomplete-star",
            f"STAR story '{plain_text(question)[:60]}' has no {', '.join(missing)}; "
            "the parts present still become cards",
        )
    return story


def _story_question(
    ctx: _Context, blocks: list[Block], index: int, heading: str
) -> tuple[str, str] | None:
    """Find the question of the STAR list at ``blocks[index]``: (question, label)."""
    block = blocks[index]
    q_item = _question_item(block.items)
    prev = blocks[index - 1] if index > 0 else None
    prev_label = plain_text(prev.label or "") if prev is not None else ""
    label = prev_label if prev_label else clean_heading(heading)
    if q_item is not None:
        return q_item.rest, label
    if prev is not None and prev_label.lower() in ("question", "example question", "q"):
        ctx.claimed_paragraphs.add(prev.start)
        return prev.rest, clean_heading(heading)
    if prev is not None and prev_label.lower().startswith(
        ("sample response", "sample answer", "example response", "response")
    ):
        ctx.claimed_paragraphs.add(prev.start)
        return (ctx.practice_question or prev_label), prev_label
    norm = _norm(heading)
    if norm.startswith(("star example", "question", "sample response", "example")):
        return clean_heading(heading), clean_heading(heading)
    return None


def _extract_stories(
    ctx: _Context, blocks: list[Block], heading: str, only_samples: bool = False
) -> set[int]:
    """Claim top-level STAR lists with a question; return the claimed block starts."""
    claimed: set[int] = set()
    for index, block in enumerate(blocks):
        if only_samples and block.kind == "paragraph" and (block.label or "").lower() == "question":
            ctx.practice_question = block.rest
        if not _is_star_list(block):
            continue
        if only_samples:
            prev = blocks[index - 1] if index > 0 else None
            if prev is None or not (prev.label or "").lower().startswith("sample"):
                continue
        found = _story_question(ctx, blocks, index, heading)
        if found is None:
            continue
        question, label = found
        ctx.lecture.stories.append(_make_story(ctx, block, question, label))
        claimed.add(block.start)
    return claimed


# What an interviewer asks: a question, or "Tell me about …", "Describe …".
_QUESTION_LIKE_RE = re.compile(
    r"\?|^[\"“']?(?:tell me|describe|give (?:me )?an example|share|walk me|talk about"
    r"|how|what|why|when)\b",
    re.I,
)


def _nested_story(ctx: _Context, item: Item, context: str, scenario: str) -> StarStory | None:
    """A STAR list nested under a tip bullet such as ``- STAR Response:``."""
    for sub in item.sublists:
        if _is_star_list(sub):
            q_item = _question_item(sub.items)
            question = q_item.rest if q_item else scenario
            if not _QUESTION_LIKE_RE.search(plain_text(question)):
                # "Example: Resolve a dispute with data." is the situation an interviewer
                # asks about: asked as one ("Tell me about a time you resolved …" would
                # need grammar; the scenario is kept as written).
                scene = plain_text(question).strip().rstrip(".")
                if len(scene.split()) < 3:
                    return None  # no interview question to put on the front
                question = f"Tell me about a time when you had to: {scene[0].lower()}{scene[1:]}."
            return _make_story(ctx, sub, question, f"{context} — {plain_text(item.text)}")
    return None


def _concept(ctx: _Context, heading: Heading) -> Concept | None:
    name = clean_heading(heading.title)
    found: dict[str, str] = {}
    advice: list[ListEntry] = []
    rest_blocks: list[Block] = []
    for block in heading.blocks:
        if block.kind in ("html", "hr"):
            continue
        if block.kind == "paragraph" and block.label:
            key = _CONCEPT_FIELDS.get(plain_text(block.label).lower())
            if key and key not in found and block.rest:
                found[key] = block.rest
                continue
        if block.kind == "list":
            leftovers = []
            for item in block.items:
                key = _CONCEPT_FIELDS.get(plain_text(item.label or "").lower())
                if key and key not in found and (item.rest or item.blocks):
                    text = item.rest
                    if item.blocks:
                        text = (text + "\n\n" + item_source(ctx.lines, item)).strip()
                    found[key] = text
                elif plain_text(item.label or "").lower() in _ADVICE_LABELS and item.rest:
                    advice.append(_entry(ctx, item))
                else:
                    leftovers.append(item)
            if leftovers:
                rest_blocks.append(Block("list", leftovers[0].start, leftovers[-1].end))
            continue
        rest_blocks.append(block)
    details = slice_source(ctx.lines, rest_blocks)
    for child in heading.children:
        if not _is_skipped(child.title):
            sub = slice_source(ctx.lines, _content_blocks(child.blocks))
            if sub:
                details += f"\n\n**{clean_heading(child.title)}**\n\n{sub}"
    details = details.strip()
    if not found and not details and not advice:
        return None
    return Concept(
        name=name, line=ctx.line(heading.start), details=details, advice=tuple(advice), **found
    )


def _is_term_item(item: Item) -> bool:
    label = item.label
    if not label or _star_part(label) or len(plain_text(label)) > 80:
        return False
    return bool(item.rest) or bool(item.sublists)


_PROCEDURE_RE = re.compile(
    r"\b(?:steps?|process|how|works|flow|procedure|phases?|algorithm|lifecycle|handshake)\b"
)
_REASONS_LEAD_RE = re.compile(
    r"\b(?:helps?|benefits?|advantages?|reasons?|why|matters?|enables?|allows?|lets)\b", re.I
)


def _is_nav_list(block: Block) -> bool:
    """A list whose every item starts with a link: navigation, not content."""
    return (
        block.kind == "list"
        and all(re.match(r"^(\*\*)?\[[^\]]*\][(\[]", item.text.strip()) for item in block.items)
        and bool(block.items)
    )


_Q_LABELS = frozenset({"q", "question"})
_A_LABELS = frozenset({"a", "answer", "ans"})
# **Q:** question **A:** answer, in one paragraph or list item.
_INLINE_QA_RE = re.compile(
    # (the question ends on a non-space, lazily: "\S.*?" then "\s*" rescans every run of
    # spaces, quadratic on hostile input)
    r"^\*\*(?:Q|Question)\s*\d*\s*:?\*\*\s*:?\s*(?P<q>\S(?:.*?\S)??)\s*"
    r"\*\*(?:A|Answer)\s*:?\*\*\s*:?\s*(?P<a>\S.*)$",
    re.S | re.I,
)
# Quiz line: a question followed by "(Answer: …)".
_QUIZ_RE = re.compile(
    r"^(?P<q>.*?\?)\s*\((?:answer|ans\.?)\s*:\s*(?P<a>[^()]+?)\)\s*\.?$", re.S | re.I
)
_QUIZ_PREFIX_RE = re.compile(r"^(?:\*\*)?(?:quiz|q\d*)\s*:?(?:\*\*)?\s*:?\s*", re.I)


def _inline_question(text: str) -> tuple[str, str] | None:
    """(question, answer) written on one line, else None."""
    text = text.strip()
    match = _INLINE_QA_RE.match(text)
    if match:
        return match.group("q"), match.group("a")
    match = _QUIZ_RE.match(text)
    if match:
        question = _QUIZ_PREFIX_RE.sub("", match.group("q"), count=1).strip()
        return (question, match.group("a").strip()) if question else None
    match = _QUOTED_QA_RE.search(text)
    if match and len(match.group("a").split()) >= 4:
        return match.group("q").strip(), match.group("a").strip()
    return None


# A tip that quotes the question it prepares for, then answers it:
# 'Expect questions like: *"Why does GC stop the world?"* Answer: Because …'
_QUOTED_QA_RE = re.compile(
    r"[*_]*[“\"](?P<q>[^”\"\n]{8,200}\?)[”\"][*_]*\s*[,.:;—-]?\s*"
    r"(?:answer\s*:\s*|(?:highlight|explain|say|mention|note)\s+that\s+)"
    r"(?P<a>[^\n]{10,600}?)\s*$",
    re.I,
)


def _label_is(label: str | None, names: frozenset[str]) -> bool:
    return bool(label) and plain_text(label or "").strip().lower() in names


def _extract_questions(ctx: _Context, blocks: list[Block], context: str) -> set[int]:
    """Claim Q&A written as paragraphs or list items; return the claimed block starts."""
    claimed: set[int] = set()

    def add(question: str, answer: str, start: int) -> None:
        ctx.lecture.questions.append(
            Question(question=question, answer=answer, line=ctx.line(start), context=context)
        )

    for index, block in enumerate(blocks):
        if block.start in claimed or block.start in ctx.claimed_paragraphs:
            continue
        if block.kind == "paragraph":
            pair = _inline_question(block.inline)
            if pair:
                add(*pair, block.start)
                claimed.add(block.start)
                continue
            after = blocks[index + 1] if index + 1 < len(blocks) else None
            if (
                _label_is(block.label, _Q_LABELS)
                and block.rest
                and after is not None
                and after.kind == "paragraph"
                and _label_is(after.label, _A_LABELS)
                and after.rest
            ):
                add(block.rest, after.rest, block.start)
                claimed |= {block.start, after.start}
        elif block.kind == "list" and block.items:
            found = 0
            for item in block.items:
                pair = _inline_question(item.text)
                if pair is None and _label_is(item.label, _Q_LABELS) and item.rest:
                    answers = [
                        sub_item
                        for sub in item.sublists
                        for sub_item in sub.items
                        if _label_is(sub_item.label, _A_LABELS) and sub_item.rest
                    ]
                    pair = (item.rest, answers[0].rest) if answers else None
                if pair:
                    add(*pair, item.start)
                    found += 1
            if found == len(block.items):
                claimed.add(block.start)
    return claimed


def _answered(blocks: list[Block]) -> bool:
    """The section opens with an ``**Answer:**`` paragraph (a question heading's answer)."""
    content = [b for b in blocks if b.kind not in ("html", "hr")]
    return (
        bool(content) and content[0].kind == "paragraph" and _label_is(content[0].label, _A_LABELS)
    )


def _extract_terms(ctx: _Context, blocks: list[Block], context: str) -> set[int]:
    """Claim lists of domain terms (``- **Term**: definition``) as terms.

    Lists of reasons, benefits, uses or advice stay in the section, where each item
    becomes a cloze with its label as the cue."""
    claimed: set[int] = set()
    heading = _norm(context.split(" › ")[-1]) if context else ""
    if LIST_FACET_RE.search(heading):
        return claimed
    for index, block in enumerate(blocks):
        if block.kind != "list" or not block.items:
            continue
        previous = blocks[index - 1] if index else None
        if (
            previous is not None
            and previous.kind == "paragraph"
            and previous.inline.rstrip().endswith(":")
            and _REASONS_LEAD_RE.search(plain_text(previous.inline))
        ):
            continue  # "X helps you:" introduces reasons, not terms
        if block.ordered and _PROCEDURE_RE.search(heading):
            continue  # the numbered steps of a procedure are no terms
        term_items = [it for it in block.items if _is_term_item(it)]
        if not term_items or len(term_items) * 3 < len(block.items) * 2:
            continue
        concepts = [it for it in term_items if is_concept_label(it.label or "")]
        if len(concepts) * 3 < len(term_items) * 2:
            continue
        # A list of concepts: its every named item is one ("Earn Trust" beside "Ownership"),
        # but for labels that only say where a fact sits ("Example").
        named = [
            it
            for it in term_items
            if not is_generic_label(it.label or "") and not is_everyday_part(it.label or "")
        ]
        for item in named:
            definition = item.rest
            if item.blocks:
                definition = (definition + "\n\n" + item_source(ctx.lines, item)).strip()
            ctx.lecture.terms.append(
                Term(
                    term=plain_text(item.label or ""),
                    definition=definition,
                    line=ctx.line(item.start),
                    context=context,
                )
            )
        if all(_is_term_item(it) or not (it.rest or it.sublists) for it in block.items):
            # Labelled items that are no concept are only labels, and a bare label
            # ("**Images, videos, etc.**") has nothing to ask: the list is the terms'.
            claimed.add(block.start)
    return claimed


def _content_blocks(blocks: Iterable[Block]) -> list[Block]:
    """Blocks worth showing: no raw HTML, rules, navigation or 'Next Step' links."""
    out = []
    for block in blocks:
        if block.kind in ("html", "hr") or _is_nav_list(block):
            continue
        if block.kind == "paragraph":
            label = (block.label or "").lower()
            if label.startswith("next") or re.fullmatch(r"\s*\[[^\]]*\]\([^)]*\)\s*", block.inline):
                continue
        out.append(block)
    return out


def _substantive(ctx: _Context, blocks: list[Block]) -> bool:
    if any(b.kind in ("fence", "code", "table") for b in blocks):
        return True
    if all(b.kind == "paragraph" and b.inline.rstrip().endswith(":") for b in blocks):
        return False  # only a lead-in ("Here are the building blocks:") whose list went elsewhere
    total = 0
    for block in blocks:  # (stop as soon as there is enough: plain_text is not cheap)
        total += len(plain_text("\n".join(ctx.lines[block.start : block.end])))
        if total >= _MIN_SECTION_CHARS:
            return True
    return False


MAX_TABLE_CELLS = 80


def _is_comparison(block: Block) -> bool:
    if block.kind != "table" or len(block.rows) < 2:
        return False
    header, body = block.rows[0], block.rows[1:]
    width = len(header)
    cells = sum(len(r) - 1 for r in body)
    return (
        width >= 2
        and 0 < cells <= MAX_TABLE_CELLS
        and all(len(r) == width and plain_text(r[0]) for r in body)
    )


_COMPLEXITY_LABELS = frozenset(
    {"big o", "complexity", "time complexity", "space complexity", "complexities", "runtime"}
)
_MEASURED_RE = re.compile(
    r"(?P<value>O\((?:[^()]|\([^()]*\))*\))\s*(?P<measure>time|space)\b"
    r"(?:\s*\((?P<why>[^()]{1,120})\))?",
    re.I,
)


def _extract_complexities(ctx: _Context, path: tuple[str, ...], blocks: list[Block]) -> None:
    """Claim ``**Big O**: O(n) time, O(1) space`` items: one complexity per measure."""
    subject = path[-1] if path else ctx.lecture.title
    if len(path) > 1:  # "Code Example: Longest Substring … › Naive Solution"
        problem = re.sub(r"^(?:code )?examples?\s*[:–—-]\s*", "", path[-2], flags=re.I)
        subject = f"{problem} — {subject}"
    # "Naive Solution (O(n²))": the heading must not say the answer.
    subject = re.sub(r"\(\s*" + BIG_O_RE.pattern + r"\s*\)|" + BIG_O_RE.pattern, "", subject)
    subject = " ".join(subject.split()).strip(" :–—-") or ctx.lecture.title
    for block in blocks:
        if block.kind != "list":
            continue
        kept = []
        for item in block.items:
            label = plain_text(item.label or "").casefold()
            if label not in _COMPLEXITY_LABELS or not BIG_O_RE.search(item.rest):
                kept.append(item)
                continue
            line = ctx.line(item.start)
            measured = list(_MEASURED_RE.finditer(item.rest))
            if not measured:
                measure = "space" if "space" in label else "time"
                found = [Complexity(subject, line, measure, item.rest)]
            else:
                found = [
                    Complexity(
                        subject, line, m.group("measure").lower(), m.group("value"), m["why"] or ""
                    )
                    for m in measured
                ]
            ctx.lecture.complexities += found
        block.items = kept


def _add_section(ctx: _Context, path: tuple[str, ...], start: int, blocks: list[Block]) -> None:
    _extract_complexities(ctx, path, blocks)
    blocks = [b for b in blocks if b.kind != "list" or b.items]
    tables = [b for b in blocks if _is_comparison(b)]
    for table in tables:
        ctx.lecture.tables.append(
            Table(
                context=path,
                line=ctx.line(table.start),
                header=tuple(table.rows[0]),
                rows=tuple(tuple(r) for r in table.rows[1:]),
            )
        )
    if tables:
        blocks = [b for b in blocks if b not in tables]
    blocks = [b for b in _content_blocks(blocks) if b.start not in ctx.claimed_paragraphs]
    if not blocks:
        return
    # An answered question is worth a card however short its answer.
    answered = _answered(blocks) and plain_text(slice_source(ctx.lines, blocks)).strip()
    if not answered and not _substantive(ctx, blocks):
        return
    runs = _labelled_lists(blocks)
    if runs:
        # "**Pros:**" + a list is a sub-section of its own: the label is its heading.
        taken = {id(b) for _, label_block, items in runs for b in (label_block, *items)}
        rest = [b for b in blocks if id(b) not in taken]
        if any(not _short_label(lb) for _, lb, _ in runs):
            # Lists split by lead-in sentences: what follows the last is a closing remark.
            last = max(b.end for _, lb, items in runs for b in (lb, *items))
            rest = [b for b in rest if b.start < last]
        if rest and (_answered(rest) or _substantive(ctx, rest)):
            _append_section(ctx, path, start, rest)
        for label, label_block, items in runs:
            _append_section(ctx, (*path, label), label_block.start, [label_block, *items])
        return
    _append_section(ctx, path, start, blocks)


def _append_section(ctx: _Context, path: tuple[str, ...], start: int, blocks: list[Block]) -> None:
    body = _ANSWER_RE.sub("", slice_source(ctx.lines, blocks), count=1)
    ctx.lecture.sections.append(
        _shaped(ctx, Section(path=path, line=ctx.line(start), body=body), blocks)
    )


_LEAD_LABEL_RE = re.compile(
    r"^(?:\*\*(?P<bold>[^*:\n]{1,40}?):?\*\*:?|(?P<plain>[^*:\n]{1,40}?):)\s*$"
)


def _labelled_lists(blocks: list[Block]) -> list[tuple[str, Block, list[Block]]]:
    """Runs of a label paragraph (``**Pros:**``, ``Cons:``) and the lists right after it,
    when a section holds two or more of them or one after other content: (label, its
    paragraph, its lists)."""
    runs: list[tuple[str, Block, list[Block]]] = []
    leads = 0  # runs whose label is a lead-in sentence ("Increasing to 50–100 risked:")
    for index, block in enumerate(blocks[:-1]):
        if block.kind != "paragraph" or blocks[index + 1].kind != "list":
            continue
        label = _short_label(block)
        if not label:
            label = _lead_in(block.inline)
            leads += bool(label)
            if not label:
                continue
        items = []
        for after in blocks[index + 1 :]:
            if after.kind != "list":
                break
            items.append(after)
        runs.append((clean_heading(label), block, items))
    before_runs = bool(runs) and any(b.start < runs[0][1].start for b in blocks)
    if leads:  # lead-in sentences split a section only into two or more lists
        return runs if len(runs) >= 2 else []
    return runs if len(runs) >= 2 or before_runs else []


def _short_label(block: Block) -> str:
    """The label a paragraph is (``**Pros:**``, ``Cons:``), or ""."""
    m = _LEAD_LABEL_RE.match(block.inline.strip())
    label = (m.group("bold") or m.group("plain")) if m else ""
    return label if label and len(label.split()) <= 5 else ""


_LEAD_IN_MAX_WORDS = 8
_PRONOUN_OPENERS = frozenset("this that these those it they here there".split())


def _lead_in(paragraph: str) -> str:
    """The lead-in sentence that ends a paragraph and introduces a list ("Each Lambda
    performs:"), short and naming its subject, or ""."""
    text = paragraph.strip()
    if not text.endswith(":"):
        return ""
    last = (sentences(text) or [""])[-1].rstrip(":").strip()
    said = plain_text(last).split()
    if not said or len(said) > _LEAD_IN_MAX_WORDS or said[0].casefold() in _PRONOUN_OPENERS:
        return ""
    return plain_text(last)


_CODE_WORDS_RE = re.compile(r"[;{}]|\b(?:def|class|return|public|import|function|const|var)\b")
_DIAGRAM_LANGS = frozenset({"", "text", "txt", "plaintext", "ascii", "mermaid", "diagram"})


def _fence(ctx: _Context, block: Block) -> tuple[str, str]:
    """(language, code) of a fenced or indented code block; language "" for drawings."""
    code = "\n".join(ctx.lines[block.start + (block.kind == "fence") : block.end])
    if block.kind == "fence":
        code = code.rsplit("\n", 1)[0] if code.rstrip().endswith(("```", "~~~")) else code
    code = textwrap.dedent(code).strip("\n")
    language = block.info.split()[0].lower() if block.info else ""
    if language in _DIAGRAM_LANGS:
        language = "" if language == "mermaid" or not _CODE_WORDS_RE.search(code) else "code"
    return language, code


def _is_picture(block: Block) -> bool:
    """A paragraph that is only images (with their captions)."""
    return block.kind == "paragraph" and block.inline.lstrip().startswith("![")


def _shaped(ctx: _Context, section: Section, blocks: list[Block]) -> Section:
    """Say what a section is made of, so the cards stage can ask the right thing.

    What is not asked (drawings, images, formulas, the code itself) becomes the
    ``aside`` shown on the back."""
    paragraphs = [b for b in blocks if b.kind in ("paragraph", "blockquote")]
    words = [b for b in paragraphs if not _is_picture(b)]
    prose = _ANSWER_RE.sub("", slice_source(ctx.lines, words), count=1)
    fences = [b for b in blocks if b.kind in ("fence", "code")]
    lists = [b for b in blocks if b.kind == "list"]
    code = [shown for shown in map(lambda b: _fence(ctx, b), fences) if shown[0]]
    if code:
        language, text = max(code, key=lambda c: len(c[1]))
        return replace(
            section, shape="code", prose=prose, code=text, language=language, aside=section.body
        )
    leads = [b for b in words if lists and b.start < lists[0].start]
    after = [b for b in words if lists and b.start > lists[0].start]
    # Short notes after the list ("**Example**: …") are context on the back.
    long_after = [b for b in after if len(plain_text(b.inline).split()) > 30]
    if lists and len(leads) <= 1 and not long_after:
        entries = tuple(_entry(ctx, item) for block in lists for item in block.items)
        lead = leads[0].inline if leads else ""
        aside = slice_source(ctx.lines, [b for b in blocks if b not in lists and b not in leads])
        return replace(section, shape="list", lead=lead, entries=entries, prose=prose, aside=aside)
    if fences and not prose:
        return replace(section, shape="diagram", aside=section.body)
    aside = slice_source(ctx.lines, [b for b in blocks if b not in words])
    quote = ""
    if blocks and blocks[0].kind == "blockquote":
        lines = (
            re.sub(r"^\s*>\s?", "", line) for line in ctx.lines[blocks[0].start : blocks[0].end]
        )
        quote = " ".join(" ".join(lines).split())
        quote = quote if 3 <= len(plain_text(quote).split()) <= 40 else ""
    return replace(section, shape="prose", prose=prose or section.body, aside=aside, quote=quote)


def _objectives(ctx: _Context, heading: Heading) -> None:
    for block in heading.blocks:
        if block.kind == "list":
            ctx.lecture.objectives.extend(_entry(ctx, item) for item in block.items)
    if ctx.lecture.objectives and not ctx.lecture.objectives_line:
        ctx.lecture.objectives_line = ctx.line(heading.start)


def _key_concepts(ctx: _Context, heading: Heading, path: tuple[str, ...]) -> None:
    claimed = _extract_terms(ctx, heading.blocks, clean_heading(heading.title))
    remaining = [b for b in heading.blocks if b.start not in claimed]
    _add_section(ctx, path, heading.start, remaining)
    for child in heading.children:
        if _is_skipped(child.title):
            continue
        concept = _concept(ctx, child)
        if concept is not None and concept.definition:
            ctx.lecture.concepts.append(concept)
        else:  # no definition: its lists, prose and code are asked as any section's
            _visit(ctx, child, (*path, clean_heading(child.title)))


def _tips(ctx: _Context, heading: Heading, path: tuple[str, ...]) -> None:
    section = clean_heading(heading.title)
    loose: list[ListEntry] = []
    loose_line = 0
    lead = ""
    rest: list[Block] = []
    for index, block in enumerate(heading.blocks):
        if block.kind != "list":
            rest.append(block)
            continue
        before = heading.blocks[index - 1] if index else None
        if (
            not loose
            and before is not None
            and before.kind == "paragraph"
            and before.inline.rstrip().endswith(":")
            and len(before.inline.split()) <= 40
        ):
            lead = " ".join(before.inline.split())  # the question the tips answer
        for item in block.items:
            if item.sublists and item.label:
                tips: list[ListEntry] = []
                scenario = ""
                for sub in item.sublists:
                    for child in sub.items:
                        child_label, child_text = _loose_label(child)
                        if child_label.lower() in ("example question", "question"):
                            scenario = child_text  # a question beats a scenario
                        elif child_label.lower() in ("example", "scenario") and not scenario:
                            scenario = child_text
                        story = _nested_story(ctx, child, item.label, scenario)
                        if story is not None:
                            ctx.lecture.stories.append(story)
                        elif not any(_is_star_list(sub) for sub in child.sublists):
                            tips.append(_entry(ctx, child))  # (a story without a question: none)
                if tips:
                    ctx.lecture.tip_groups.append(
                        TipGroup(
                            name=plain_text(item.label),
                            line=ctx.line(item.start),
                            tips=tuple(tips),
                            section=section,
                        )
                    )
            else:
                loose_line = loose_line or ctx.line(item.start)
                loose.append(_entry(ctx, item))
    if loose:
        ctx.lecture.tip_groups.append(
            TipGroup(name=section, line=loose_line, tips=tuple(loose), section=section, lead=lead)
        )
    claimed = _extract_stories(ctx, rest, heading.title)
    _add_section(ctx, path, heading.start, [b for b in rest if b.start not in claimed])
    for sub_heading in heading.children:
        _tips(ctx, sub_heading, (*path, clean_heading(sub_heading.title)))


def _strategies(ctx: _Context, heading: Heading, path: tuple[str, ...]) -> None:
    _generic_blocks(ctx, heading, path)
    for child in heading.children:
        child_path = (*path, clean_heading(child.title))
        lists = [b for b in child.blocks if b.kind == "list"]
        if any(_is_star_list(b) for b in lists) or not lists or child.children:
            _visit(ctx, child, child_path)
            continue
        tactics: list[ListEntry] = []
        example = ""
        for block in lists:
            for item in block.items:
                if (item.label or "").lower() in ("example", "examples") and not example:
                    example = item.rest
                else:
                    tactics.append(_entry(ctx, item))
        others = [b for b in child.blocks if b.kind != "list"]
        ctx.lecture.strategies.append(
            Strategy(
                name=clean_heading(child.title),
                line=ctx.line(child.start),
                tactics=tuple(tactics),
                example=example,
            )
        )
        _add_section(ctx, child_path, child.start, others)


def _generic_blocks(ctx: _Context, heading: Heading, path: tuple[str, ...]) -> None:
    claimed = _extract_stories(ctx, heading.blocks, heading.title)
    remaining = [b for b in heading.blocks if b.start not in claimed]
    context = " › ".join(path) if path else ctx.lecture.title
    claimed |= _extract_questions(ctx, remaining, context)
    remaining = [b for b in remaining if b.start not in claimed]
    claimed |= _extract_terms(ctx, remaining, context)
    remaining = [b for b in remaining if b.start not in claimed]
    _add_section(ctx, path or (ctx.lecture.title,), heading.start, remaining)


_DEFINING_RE = re.compile(
    r"^(?:the |an? )?(?P<subject>[^,;:()]{2,80}?(?:\s*\([^()]{1,30}\))?)\s+"
    # "X is a …", "X refers to …": a definition; "X is critical for …" is not.
    r"(?:(?:is|are)\s+(?=(?:a|an|the|one|two|three|any|how|when|where|what)\b)"
    r"|refers to|means|describes|is defined as|stands for)\s*(?P<rest>\S.*)$",
    re.I | re.S,
)
# "Both X and Y are …", "It is …": not a name to ask about.
_VAGUE_SUBJECT_RE = re.compile(
    r"^(?:both|all|some|many|most|these|those|this|that|it|they|there|each|every)\b", re.I
)


# A sentence about the reader or the lecture, not the subject ("tests your ability").
_ABOUT_THE_READER_RE = re.compile(
    r"\b(?:your (?:ability|skills?|understanding)|you(?:['’]ll| will) learn|this (?:lecture|"
    r"article|section|lesson)|in this (?:lecture|article|section|lesson))\b",
    re.I,
)


def _subject_definition(ctx: _Context, heading: Heading, kind: str) -> None:
    """The sentence of an Overview, Introduction or Intent that defines the lecture's
    subject, as a concept; the rest of such a section only announces the lecture."""
    title = ctx.lecture.title
    named = {w for w in re.findall(r"\w+", title.casefold()) if len(w) > 2}
    for block in heading.blocks:
        if block.kind == "blockquote":
            quoted = (re.sub(r"^\s*>\s?", "", line) for line in ctx.lines[block.start : block.end])
            text = " ".join(" ".join(quoted).split())
        elif block.kind == "paragraph" and not block.label:
            text = " ".join(block.inline.split())
        else:
            continue
        for sentence in sentences(text):
            plain = plain_text(sentence)
            if kind == "intent" and len(plain.split()) >= 5:
                name, facet = title, "intent"
            else:
                m = _DEFINING_RE.match(plain)
                said = (
                    {w for w in re.findall(r"\w+", m.group("subject").casefold())} if m else set()
                )
                if not m or len(said) > 8 or not said & named or _VAGUE_SUBJECT_RE.match(plain):
                    continue
                if _ABOUT_THE_READER_RE.search(plain):
                    continue  # "… is a practical problem that tests your ability to …"
                name, facet = m.group("subject").strip(), ""
            if len(plain.split()) > 60:
                continue
            ctx.lecture.concepts.append(
                Concept(name=name, line=ctx.line(block.start), definition=sentence, facet=facet)
            )
            return


def _defining_section(ctx: _Context, heading: Heading, path: tuple[str, ...]) -> None:
    _subject_definition(ctx, heading, " ".join(_norm(heading.title).split()))


def _skipped_section(ctx: _Context, heading: Heading, path: tuple[str, ...]) -> None:
    """Practice sections hold no facts, but their sample responses are stories, and
    questions that come with their answers are worth cards."""
    practice = bool(_PRACTICE_RE.match(_norm(heading.title)))
    _extract_stories(ctx, heading.blocks, heading.title, only_samples=True)
    if practice:
        _extract_questions(ctx, heading.blocks, " › ".join(path))
    for child in heading.children:
        if practice and _answered(child.blocks):
            _visit(ctx, child, (*path, clean_heading(child.title)))
        else:
            _extract_stories(ctx, child.blocks, child.title, only_samples=True)


def _objectives_section(ctx: _Context, heading: Heading, path: tuple[str, ...]) -> None:
    _objectives(ctx, heading)


def _generic_section(ctx: _Context, heading: Heading, path: tuple[str, ...]) -> None:
    _generic_blocks(ctx, heading, path)
    for child in heading.children:
        _visit(ctx, child, (*path, clean_heading(child.title)))


SectionRule = tuple[
    str, Callable[[str, Heading], bool], Callable[[_Context, Heading, tuple[str, ...]], None]
]
# Which extractor claims a section, tried in order (like markdown-it's block rules): the
# rule's name, a matcher of the section's normalised title (and heading), the extractor.
SECTION_RULES: tuple[SectionRule, ...] = (
    ("definition", lambda norm, _: norm in _DEFINING_TITLES, _defining_section),
    ("skipped", lambda _, heading: _is_skipped(heading.title), _skipped_section),
    (
        "objectives",
        lambda norm, _: norm in ("learning objectives", "objectives"),
        _objectives_section,
    ),
    (
        "key-concepts",
        lambda norm, _: norm.startswith("key concepts") or norm == "core concepts",
        _key_concepts,
    ),
    ("tips", lambda norm, _: bool(_TIPS_RE.search(norm)), _tips),
    (
        "strategies",
        lambda norm, heading: bool(_STRATEGY_RE.search(norm)) and heading.level <= 2,
        _strategies,
    ),
    ("generic", lambda _, __: True, _generic_section),
)


def _visit(ctx: _Context, heading: Heading, path: tuple[str, ...]) -> None:
    """Hand one heading's section to the first extractor whose rule claims it."""
    norm = " ".join(_norm(heading.title).split())
    for _, claims, extract in SECTION_RULES:
        if claims(norm, heading):
            extract(ctx, heading, path)
            return


KNOWN_KEYS = frozenset(
    {
        "title",
        "description",
        "summary",
        "id",
        "order",
        "tags",
        "image",
        "sidebar",
        "date",
        "keywords",
        "author",
        "authors",
        "layout",
        "slug",
        "draft",
        "lang",
        "permalink",
        "new-per-day",
        "reviews-per-day",
        "learning-steps",
        "desired-retention",
        "max-interval",
    }
)


def _check_front_matter(ctx: _Context, first_h1: Heading | None) -> None:
    source = ctx.source
    title = source.meta.get("title")
    if not (isinstance(title, str) and title.strip()):
        fallback = "the first '#' heading" if first_h1 is not None else "the file name"
        ctx.lecture.diagnostics.append(
            Diagnostic(
                source.shown,
                1,
                "warning",
                "missing-title",
                f"no 'title' in the front matter; using {fallback}: '{ctx.lecture.title}'",
            )
        )
    for key in source.meta:
        if str(key).replace("_", "-") not in KNOWN_KEYS:
            line = next(
                (
                    i + 1
                    for i, text in enumerate(source_lines(source))
                    if text.startswith(f"{key}:")
                ),
                1,
            )
            ctx.lecture.diagnostics.append(
                Diagnostic(
                    source.shown,
                    line,
                    "info",
                    "unknown-key",
                    f"front-matter key '{key}' is not used by deckgen",
                )
            )


def source_lines(source: Source) -> list[str]:
    """The lines of the front matter (the file's lines before the body)."""
    try:
        text = source.path.read_text("utf-8", errors="replace")
    except OSError:
        return []
    return text.split("\n")[: source.body_offset]


def _title(source: Source, root: Heading) -> tuple[str, Heading | None]:
    first_h1 = next((h for h in root.children if h.level == 1), None)
    meta_title = source.meta.get("title")
    if isinstance(meta_title, str) and meta_title.strip():
        return " ".join(meta_title.split()), first_h1
    if first_h1 is not None and clean_heading(first_h1.title):
        return plain_text(first_h1.title), first_h1
    stem = source.rel_path.stem
    return re.sub(r"^\d+[-_ ]+", "", stem).replace("-", " ").replace(
        "_", " "
    ).strip().title() or stem, first_h1


def parse_lecture(source: Source) -> Lecture:
    """Parse one lecture's Markdown into the :class:`Lecture` model."""
    root = parse_sections(source.body)
    title, first_h1 = _title(source, root)
    description = source.meta.get("description") or source.meta.get("summary") or ""
    lecture = Lecture(
        source=source.path,
        rel_path=source.rel_path,
        title=title,
        line=source.body_offset + 1,
        meta=dict(source.meta),
        description=str(description) if isinstance(description, str | int | float) else "",
    )
    ctx = _Context(source=source, lines=source.body.split("\n"), lecture=lecture)
    _check_front_matter(ctx, first_h1)
    # The title heading is transparent: its text is the lecture, its children are top level.
    top: list[Heading] = []
    intro = list(root.blocks)
    intro_line = 0
    for heading in root.children:
        if heading is first_h1:
            intro.extend(heading.blocks)
            intro_line = heading.start
            top.extend(heading.children)
        else:
            top.append(heading)
    # What comes before the first section introduces the lecture: only a sentence that
    # defines its subject is a fact.
    opening = Heading(level=1, title="", start=intro_line, blocks=intro)
    claimed = _extract_stories(ctx, intro, "")
    claimed |= _extract_questions(ctx, [b for b in intro if b.start not in claimed], title)
    _extract_terms(ctx, [b for b in intro if b.start not in claimed], title)
    _subject_definition(ctx, opening, "")
    for heading in top:
        _visit(ctx, heading, (clean_heading(heading.title),))
    return lecture
