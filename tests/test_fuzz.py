"""Hostile and random input: the parser never raises, and what it builds imports into Anki."""

from __future__ import annotations

import os
import random
from pathlib import Path, PurePosixPath

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ankicol import import_apkg, open_collection
from conftest import CORPUS, LECTURES
from deckgen.cards import build_notes
from deckgen.model import DeckSpec
from deckgen.package import apkg_bytes, collection_bytes
from deckgen.parse import parse_lecture
from deckgen.source import Source

MARKDOWN_BITS = [
    "# ",
    "## ",
    "### ",
    "- ",
    "  - ",
    "    - ",
    "1. ",
    "> ",
    "**",
    "*",
    "`",
    "```",
    "```python",
    "|a|b|\n|---|---|\n|1|2|",
    "<div>",
    "</div>",
    "<script>alert(1)</script>",
    "$x$",
    "$$",
    "- **Situation**: s",
    "- **Task**: t",
    "- **Action**: a",
    "- **Result**: r",
    "**Question**: “q?”",
    "## Key Concepts",
    "## Learning Objectives",
    "## Interview Tips",
    "- **Definition**: d",
    "![img](../../etc/passwd)",
    "[x](javascript:alert(1))",
    "\n",
    "\n\n",
    "{{c1::x}}",
    "::",
    "}}",
    "---",
    "\t",
    "\u200b",
    "😀",
    "::: info Title\n",
    ":::\n",
    "- [ ] ",
    "- [x] ",
    "**Q:** ",
    "**A:** ",
    "**Answer:** ",
    "### Q1: ",
    "## Practice Questions\n",
    " (Answer: ",
    "?",
    ")",
]
markdownish = st.lists(
    st.one_of(st.sampled_from(MARKDOWN_BITS), st.text(max_size=20)), max_size=60
).map("".join)


def _source(body: str) -> Source:
    return Source(
        path=Path("/nonexistent/x.md"),
        rel_path=PurePosixPath("x.md"),
        meta={},
        body=body,
        body_offset=0,
    )


@settings(
    max_examples=int(os.environ.get("DECKGEN_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.one_of(st.text(), markdownish))
def test_parser_never_raises(body: str) -> None:
    lecture = parse_lecture(_source(body))
    for note in build_notes(lecture):
        assert "<script" not in "".join(note.fields)


def _real_lectures() -> list[Path]:
    base = CORPUS if CORPUS.is_dir() else LECTURES
    return sorted(p for p in base.rglob("*.md") if p.name != "README.md")


@settings(max_examples=150, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=12))
def test_mutated_real_lectures_never_raise(rnd: random.Random, edits: int) -> None:
    path = rnd.choice(_real_lectures())
    lines = path.read_text("utf-8").split("\n")
    for _ in range(edits):
        i = rnd.randrange(len(lines))
        op = rnd.random()
        if op < 0.25:
            del lines[i]
        elif op < 0.5:
            lines.insert(i, rnd.choice(lines))
        elif op < 0.75:
            lines[i] = lines[i][: rnd.randrange(len(lines[i]) + 1)]
        else:
            lines[i] = "  " * rnd.randrange(5) + rnd.choice(MARKDOWN_BITS) + lines[i]
    build_notes(parse_lecture(_source("\n".join(lines))), position=3)


def test_deep_nesting_does_not_crash() -> None:
    for body in (
        "> " * 5000 + "x",
        "".join("  " * i + "- x\n" for i in range(2000)),
        "[" * 10000 + "x" + "]" * 10000,
        "*" * 20000,
        "`" * 20000,
    ):
        build_notes(parse_lecture(_source(body)))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(markdownish)
def test_fuzzed_packages_import_into_anki(tmp_path_factory, body: str) -> None:
    lecture = parse_lecture(
        _source("# Fuzz\n\n## Key Concepts\n### 1. A\n- **Definition**: d\n\n" + body)
    )
    notes = build_notes(lecture, position=1)
    folder = tmp_path_factory.mktemp("fuzz")
    apkg = folder / "x.apkg"
    mods = {n.guid: 1_700_000_000 for n in notes}
    apkg.write_bytes(apkg_bytes(collection_bytes([DeckSpec("Fuzz", notes)], mods, 1_700_000_000)))
    col = open_collection(folder / "col")
    log = import_apkg(col, apkg)
    assert log.new == len(notes) and log.conflicting == 0
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        assert "<script" not in card.question() + card.answer()
    col.close()
