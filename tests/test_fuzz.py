"""Hostile and random input: the parser never raises, what it builds imports into Anki,
and the CLI neither crashes nor leaves a package half-written on a random course."""

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
from deckgen.render import block_html
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


def test_container_marker_in_a_quote_ending_the_text_does_not_crash() -> None:
    """mdit-py-plugins' container rule read past the text's end here (found by fuzzing)."""
    for body in (">>:::0\n>>", "> ::: tip\n>", "- > :::x\n  >"):
        build_notes(parse_lecture(_source(body)))
        block_html(body)


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


# --- the CLI on random courses -----------------------------------------------------------------

# Front matter a user (or an attacker) may write: good, wrong in type, reserved, repeated,
# not YAML at all, values Python cannot hold.
FRONT_MATTER_BITS = [
    "title: T",
    "title: [unclosed",
    "title: {a: 1}",
    "order: 2",
    "order: '1'",
    "order: nan",
    "order: 3  # intro",
    "id: same",
    "id: '@notetype|qa'",
    "id: ''",
    "date: 2024-13-45",
    "n: 1" + "0" * 5000,
    "new-per-day: -5",
    "new-per-day: many",
    "desired-retention: 2",
    "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]",
    "tags: !!python/object:os.system ls",
    "\t: tab",
    "---",
]
LECTURE_NAMES = ["a.md", "b.MD", "sub/c.md", "sub/d.md", "_skip.md", "README.md", "x y.md"]
# Sections that make cards of every kind, so that packages are written (and rewritten).
CARD_BITS = [
    "\n## Key Concepts\n### 1. Caching\n- **Definition**: Keeping copies of data close.\n",
    "\n## Vocabulary\n- **Latency**: time to answer one request.\n- **Throughput**: rate.\n",
    "\n## Interview Tips\n- Quantify the result.\n- Name the trade-off.\n- Say no.\n",
    "\n### STAR Example: Speed\n**Question**: “Tell me about speed.”\n- **Situation**: s\n"
    "- **Task**: t\n- **Action**: a\n- **Result**: r\n",
    "\n## Merge Sort\n- **Big O**: O(n log n) time, O(n) space\n",
    "\n**Q:** What is a cache? **A:** A copy kept close to its reader.\n",
    "\n## Strategies\n### 1. Deciding Quickly\n- **Set a deadline**: decide by Friday.\n",
    "\n| Option | Speed |\n|---|---|\n| A | fast |\n| B | slow |\n",
]
lecture_body = st.lists(
    st.one_of(st.sampled_from(CARD_BITS), st.sampled_from(MARKDOWN_BITS), st.text(max_size=20)),
    max_size=12,
).map("".join)


@st.composite
def lecture_files(draw: st.DrawFn) -> dict[str, str]:
    """One to three lectures: an optional front matter of hostile bits, a random body
    (often one that makes cards), any line ending."""
    files: dict[str, str] = {}
    for name in draw(st.lists(st.sampled_from(LECTURE_NAMES), min_size=1, max_size=3)):
        head = draw(st.lists(st.sampled_from(FRONT_MATTER_BITS), max_size=2))
        body = "# Title\n" + draw(st.sampled_from(["", *CARD_BITS])) + draw(lecture_body)
        newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
        text = ("---\n" + "\n".join(head) + "\n---\n" if head else "") + body
        files[name] = text.replace("\n", newline)
    return files


def _cli(args: list[str]) -> tuple[int, str]:
    """``deckgen ARGS`` in this process; (exit code, all output). An exception the CLI
    lets through is raised: a user would see it as a traceback."""
    from click.testing import CliRunner

    from deckgen.cli import main

    result = CliRunner().invoke(main, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output + result.stderr


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` but the build cache, by relative path."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".deckgen-cache" not in p.parts
    }


@settings(
    max_examples=40,
    derandomize=True,  # the same examples every run: CI neither flakes nor slows down
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
@given(lecture_files(), st.one_of(st.none(), lecture_files()))
def test_cli_never_crashes_on_random_courses(
    files: dict[str, str], edited: dict[str, str] | None
) -> None:
    """``deckgen build`` (and a rebuild after random edits) and ``check`` on random and
    hostile lectures: no traceback, exit 0, 1 or 2, and every ``.apkg`` left is whole
    (a package deckgen reads back in full) with no temporary file beside it; ``check``
    writes nothing."""
    import contextlib
    import shutil
    import tempfile
    from unittest import mock

    from deckgen.inspect_apkg import content_signature

    with (
        tempfile.TemporaryDirectory() as scratch,
        contextlib.chdir(scratch),
        # One process: a pool per example would cost more than the lectures (the pool
        # has tests of its own in test_parallel.py).
        mock.patch("deckgen.pipeline.default_jobs", return_value=1),
    ):
        root, decks = Path("lectures"), Path("decks")
        # A rebuild reads the first build's lock and cache, with lectures edited,
        # added and removed.
        for course in [files] if edited is None else [files, edited]:
            shutil.rmtree(root, ignore_errors=True)
            for name, text in course.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_text(text, "utf-8", newline="")
            code, output = _cli(["build"])
            assert code in (0, 1, 2), output
            assert "Traceback" not in output
            assert not [p for p in decks.rglob("*") if p.name.endswith(".tmp")]
            for apkg in decks.rglob("*.apkg"):
                content_signature(apkg.read_bytes())  # raises on a package cut short
        before = _files(decks)
        code, output = _cli(["check"])
        assert code in (0, 1, 2), output
        assert "Traceback" not in output
        assert _files(decks) == before
