"""Cards stage: identities, order, tags and what each side shows."""

from __future__ import annotations

import re
from collections.abc import Callable

from deckgen.cards import build_notes, normalize_name
from deckgen.model import Lecture, NoteSpec
from deckgen.notetypes import protect_cloze

Parse = Callable[[str], Lecture]

LECTURE = """
---
title: Ownership
---

# Ownership

## Learning Objectives
- Show **ownership** in answers.
- Quantify results.

## Key Concepts
### 1. Ownership
- **Definition**: Acting on behalf of the whole company.
- **Key Aspects**: Long-term thinking.
- **Examples**: Fixing a flaky build nobody owned.

## Strategies for Ownership
### 1. Taking Initiative
- **Spot Gaps**: Notice unowned problems.

### STAR Example: Flaky Build
**Question**: “Tell me about a time you took ownership.”
- **Situation**: “Our build failed `std::vector` style {{templates}}.”
- **Task**: “Nobody owned it.”
- **Action**: “I fixed it <script>alert(1)</script>.”
- **Result**: “Green builds.”

## Interview Tips
- Be specific.
- Use numbers.
"""


def test_notes_follow_document_order_and_kinds(parse_text: Parse) -> None:
    notes = build_notes(parse_text(LECTURE), position=3)
    # Learning objectives describe the lecture: they are not facts, and make no card.
    assert [n.kind for n in notes] == ["concept", "strategy", "star", "tip"]
    assert [n.due for n in notes] == [3001, 3002, 3003, 3004]
    assert all("deckgen::lecture::lecture" in n.tags for n in notes)
    assert [n.tags[0] for n in notes] == [
        "deckgen::concept",
        "deckgen::strategy",
        "deckgen::star",
        "deckgen::tip",
    ]


def test_concept_front_hides_the_answer(parse_text: Parse) -> None:
    concept = next(n for n in build_notes(parse_text(LECTURE)) if n.kind == "concept")
    assert "Ownership" in concept.field("Prompt")
    assert "Acting on behalf" not in concept.field("Prompt")
    assert "Acting on behalf" in concept.field("Answer")
    assert concept.field("Lecture") == "Ownership"
    assert concept.field("Source") == "lecture.md:12"


def test_star_has_one_cloze_per_part_and_safe_html(parse_text: Parse) -> None:
    star = next(n for n in build_notes(parse_text(LECTURE)) if n.kind == "star")
    text = star.field("Text")
    for n in (1, 2, 3, 4):
        assert text.count(f"{{{{c{n}::") == 1
    assert "took ownership" in text.split("{{c1::")[0]  # the question stays visible
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "std:&#58;vector" in text and "&#123;&#123;templates&#125;&#125;" in text


def test_guid_comes_from_structure_not_text(parse_text: Parse) -> None:
    before = {n.kind: n.guid for n in build_notes(parse_text(LECTURE))}
    edited = LECTURE.replace("Acting on behalf of the whole company.", "Thinking like an owner.")
    edited = edited.replace("- Use numbers.", "- Use numbers.\n- Smile.")
    after = {n.kind: n.guid for n in build_notes(parse_text(edited))}
    assert before == after
    renamed = LECTURE.replace("### 1. Ownership", "### 1. Owning Things")
    assert build_notes(parse_text(renamed))[1].guid != before["concept"]


def test_duplicate_names_get_distinct_stable_ids(parse_text: Parse) -> None:
    text = """
        # Dups

        ## A
        ### Pros
        - Fast and simple to run in production today.
        - Few moving parts.
        ## B
        ### Pros
        - Cheap to operate at any scale for teams.
        - Managed by the provider.
        """
    lec = parse_text(text)
    notes = build_notes(lec)
    assert len({n.guid for n in notes}) == len(notes) == 2
    assert build_notes(parse_text(text))[1].guid == notes[1].guid


def test_duplicate_concept_names_warn(parse_text: Parse) -> None:
    lec = parse_text("""
        # Dups

        ## Key Concepts
        ### 1. Caching
        - **Definition**: Keeping copies close.
        ### 2. Caching
        - **Definition**: A layer in front of the database.
        """)
    notes = build_notes(lec)
    assert len({n.guid for n in notes}) == 2
    assert any(d.code == "duplicate-name" for d in lec.diagnostics)


def test_normalize_name() -> None:
    assert normalize_name("**Execution  Speed**") == normalize_name("execution speed")
    assert normalize_name("Don’t Panic") == normalize_name("Don't panic")


def test_protect_cloze() -> None:
    assert protect_cloze("a::b {{c}}") == "a:&#58;b {&#123;c}&#125;"


def test_lock_round_trips_guids_starting_with_hash() -> None:
    from deckgen.history import LockEntry, format_lock, read_lock

    entries = {
        "a|term|x": LockEntry("#-7kufzxp", 1700000000, "abc"),
        "b|tip|y": LockEntry("z", 2, "d"),
    }
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "deckgen.lock"
        path.write_text(format_lock(entries), "utf-8")
        assert read_lock(path) == entries


def test_terms_are_known_by_name_and_show_their_section(parse_text: Parse) -> None:
    text = """
        # Principles

        ## Glossary
        - **DNS**: names to addresses.
        - **NAT**: shares one address.

        ## Spring
        - **ADP**: no cycles between modules.
        - **SDP**: depend on stable modules.

        ## Netflix
        - **ADP**: services avoid cyclic calls.
        - **SDP**: core libraries stay stable.

        ## Situation
        - **Purpose**: set the stage.
        - **Tips**: be brief.
        """
    lecture = parse_text(text)
    terms = [n for n in build_notes(lecture) if n.kind == "term"]
    prompts = [n.field("Prompt") for n in terms]
    # The first section defines it; a later one says how it applies there.
    assert prompts.count("What is meant by <b>ADP</b>?") == 1
    assert "<i>Netflix</i> — <b>ADP</b>?" in prompts
    assert {n.field("Context") for n in terms if "ADP" in n.field("Prompt")} == {
        "Spring",
        "Netflix",
    }
    # The section is not identity: the same name twice gets an ordinal and a warning.
    keys = [n.key for n in terms if "ADP" in n.field("Prompt")]
    assert keys == ["lecture|term|adp", "lecture|term|adp|#2"]
    assert any(d.code == "duplicate-name" for d in lecture.diagnostics)
    # Generic labels ("Purpose", "Tips") are no terms.
    assert not any("Purpose" in p or "Tips" in p for p in prompts)


def test_moving_a_term_keeps_its_identity(parse_text: Parse) -> None:
    before = parse_text("# T\n\n## Basics\n- **Idempotency**: same result when repeated.\n")
    after = parse_text(
        "# T\n\n## Advanced\n\nIntro.\n\n- **Idempotency**: same result when repeated.\n"
    )
    [old] = [n for n in build_notes(before) if n.kind == "term"]
    [new] = [n for n in build_notes(after) if n.kind == "term"]
    assert old.guid == new.guid


def test_deleting_a_term_keeps_its_neighbour(parse_text: Parse) -> None:
    both = parse_text(
        "# T\n\n## Vocabulary\n- **Quorum**: a majority of replicas.\n"
        "- **Lease**: a lock with an expiry.\n"
    )
    one = parse_text("# T\n\n## Vocabulary\n- **Lease**: a lock with an expiry.\n")
    lease = [n for n in build_notes(both) if "Lease" in n.fields[0]]
    assert [n.key for n in build_notes(one)] == [n.key for n in lease]
    assert lease[0].kind == "term"


def test_cloze_numbers_follow_items_not_positions(parse_text: Parse) -> None:
    from dataclasses import replace

    from deckgen.cards import item_id
    from deckgen.history import renumber_clozes

    def tips(*items: str) -> NoteSpec:
        body = "\n".join(f"- {t}" for t in items)
        [note] = [n for n in build_notes(parse_text(f"# T\n\n## Interview Tips\n{body}\n"))]
        return note

    def numbers(note: NoteSpec) -> dict[str, int]:
        found = re.findall(r"\{\{c(\d+)::(.*?)\}\}", note.fields[0])
        return {text: int(n) for n, text in found}

    first = tips("Alpha tip", "Bravo tip", "Charlie tip")
    assert numbers(first) == {"Alpha tip": 1, "Bravo tip": 2, "Charlie tip": 3}
    # An item inserted mid-list gets a new number; the others keep theirs.
    second = renumber_clozes(
        tips("Alpha tip", "New tip", "Bravo tip", "Charlie tip"), first.cloze_slots
    )
    assert numbers(second) == {"Alpha tip": 1, "New tip": 4, "Bravo tip": 2, "Charlie tip": 3}
    # Bravo edited in place (into Zulu) keeps card 2.
    third = renumber_clozes(
        tips("Alpha tip", "New tip", "Zulu tip", "Charlie tip"), second.cloze_slots
    )
    assert numbers(third) == {"Alpha tip": 1, "New tip": 4, "Zulu tip": 2, "Charlie tip": 3}
    # Removed items' numbers are retired, never given to another item.
    fourth = renumber_clozes(tips("Fox tip", "Alpha tip", "Zulu tip"), third.cloze_slots)
    assert numbers(fourth) == {"Fox tip": 5, "Alpha tip": 1, "Zulu tip": 2}
    assert fourth.cloze_slots[-2:] == ("~3:" + item_id("Charlie tip"), "~4:" + item_id("New tip"))
    # A retired item that comes back gets its own card back; moved items keep theirs.
    fifth = renumber_clozes(tips("Alpha tip", "New tip"), fourth.cloze_slots)
    assert numbers(fifth) == {"Alpha tip": 1, "New tip": 4}
    sixth = renumber_clozes(tips("Zulu tip", "Fox tip", "Alpha tip"), fourth.cloze_slots)
    assert numbers(sixth) == {"Zulu tip": 2, "Fox tip": 5, "Alpha tip": 1}
    # Without a previous build, numbering is document order; unchanged input is a no-op.
    assert renumber_clozes(first, ()) is first
    assert renumber_clozes(first, first.cloze_slots) == first
    assert replace(first, cloze_slots=()) == renumber_clozes(
        replace(first, cloze_slots=()), ("1:x",)
    )


def test_card_kinds_have_one_registry() -> None:
    """Every kind cards drafts is registered with its note type in model.py, and history
    derives from it which removed notes are Q&A (no list of kinds of its own)."""
    from conftest import LECTURES
    from deckgen.cards import CARD_KINDS
    from deckgen.history import QA_KINDS, removed_note
    from deckgen.model import CARD_KIND_NOTE_TYPES
    from deckgen.parse import parse_lecture
    from deckgen.source import read_source

    assert [kind for kind, _, _ in CARD_KINDS] == list(CARD_KIND_NOTE_TYPES)
    assert {k for k, m in CARD_KIND_NOTE_TYPES.items() if m == "qa"} == QA_KINDS
    seen: set[tuple[str, str]] = set()
    for path in sorted(LECTURES.rglob("*.md")):
        if path.name != "README.md":
            lecture = parse_lecture(read_source(path, LECTURES))
            seen |= {(n.kind, n.model) for n in build_notes(lecture)}
    for kind, model in seen:  # a recall card may be a cloze (a list), no other kind varies
        assert model == CARD_KIND_NOTE_TYPES[kind] or (kind, model) == ("recall", "cloze")
    lecture = parse_lecture(read_source(next(LECTURES.rglob("0*.md")), LECTURES))
    for kind, model in [*CARD_KIND_NOTE_TYPES.items(), ("objective", "cloze")]:
        assert removed_note(f"x|{kind}|name", "g", lecture, 0, None).model == model
