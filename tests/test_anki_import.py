"""Ground truth: every package deckgen builds imports into real Anki and renders there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ankicol import card_text, cards_in_order, import_apkg, open_collection
from conftest import LECTURES
from deckgen.build import BuildOptions, build

RAW_MARKDOWN = re.compile(r"\*\*\S|\S\*\*|^#+ |\]\(")


def _queue_order(col) -> list[int]:
    """Note ids in the order Anki's v3 scheduler serves new cards (from the top-level deck)."""
    first = col.get_card(col.find_cards("")[0])
    top = col.decks.name(first.did).split("::")[0]
    col.decks.select(col.decks.id_for_name(top))
    for conf in col.decks.all_config():
        conf["new"]["perDay"] = 9999
        col.decks.update_config(conf)
    queued = col.sched.get_queued_cards(fetch_limit=5000)
    seen: list[int] = []
    for qc in queued.cards:
        nid = col.get_card(qc.card.id).nid
        if nid not in seen:
            seen.append(nid)
    return seen


def _check_package(col, apkg: Path, report_notes: int | None = None) -> None:
    log = import_apkg(col, apkg)
    assert log.conflicting == 0 and log.duplicate == 0
    assert log.new == log.found > 0
    if report_notes is not None:
        assert log.new == report_notes


def _assert_clean_render(col) -> None:
    for card in cards_in_order(col):
        q, a = card.question(), card.answer()
        for side in (q, a):
            text = card_text(side)
            assert not RAW_MARKDOWN.search(text), text[:300]
            assert "<script" not in side and "<footer" not in side
        lecture = card.note()["Lecture"]
        assert card_text(lecture) in card_text(q)
        assert re.search(r"\.md:\d+", card_text(a))


def test_example_lectures_import_render_and_order(tmp_path: Path) -> None:
    report = build([LECTURES], BuildOptions(out=tmp_path / "decks"))
    assert report.errors == 0 and len(report.packages) >= 3
    total_notes = 0
    for apkg in sorted(report.packages):
        col = open_collection(tmp_path / apkg.stem)
        _check_package(col, apkg)
        total_notes += len(col.find_notes(""))
        names = [d.name for d in col.decks.all_names_and_ids()]
        assert any(n.count("::") >= 1 for n in names)
        _assert_clean_render(col)
        # New cards are served in document order (the Source line increases).
        lines = [int(col.get_note(nid)["Source"].rsplit(":", 1)[1]) for nid in _queue_order(col)]
        assert lines == sorted(lines) and len(lines) == len(col.find_notes(""))
        col.close()
    assert total_notes == report.notes


def test_card_counts_match_anki(tmp_path: Path) -> None:
    bundle = tmp_path / "all.apkg"
    report = build([LECTURES], BuildOptions(out=tmp_path / "unused", bundle=bundle))
    col = open_collection(tmp_path / "col")
    _check_package(col, bundle, report.notes)
    assert len(col.find_cards("")) == report.cards
    tree = [d.name for d in col.decks.all_names_and_ids()]
    assert "Behavioral" in tree and "System Design" in tree


def test_meta_execution_cards(tmp_path: Path, corpus: Path) -> None:
    lecture = corpus / "interview-section/behavioral/meta-execution.md"
    report = build([lecture], BuildOptions(out=tmp_path / "decks", root=corpus))
    [apkg] = report.packages
    assert apkg == tmp_path / "decks/interview-section/behavioral/meta-execution.apkg"
    col = open_collection(tmp_path / "col")
    _check_package(col, apkg, report.notes)
    _assert_clean_render(col)
    by_kind: dict[str, list] = {}
    for card in cards_in_order(col):
        kind = next(
            t for t in card.note().tags if t.startswith("deckgen::") and "lecture" not in t
        ).split("::")[1]
        by_kind.setdefault(kind, []).append(card)
    # Concepts: the definition is on the back only.
    concept = next(c for c in by_kind["concept"] if "Execution Speed" in c.question())
    assert "Prioritizing rapid action" not in card_text(concept.question())
    assert "Prioritizing rapid action" in card_text(concept.answer())
    # The concept card asks for the definition only; aspects and examples are context.
    assert "Key aspects" not in card_text(concept.question())
    assert card_text(concept.question()).count("?") == 1
    # STAR: one card per part, the question visible on each, each part hidden on its own card;
    # a Task that only restates the question ("I was responsible for …") is shown, not asked.
    stars = [c for c in by_kind["star"] if "accelerated a project.”" in c.question()]
    assert sorted(c.ord for c in stars) == [0, 2, 3]
    for card, part in zip(
        stars,
        ("Our notification system was too slow", "prioritized a caching", "dropped by 40%"),
        strict=True,
    ):
        assert "Tell me about a time you accelerated a project" in card_text(card.question())
        assert "senior engineer" in card_text(card.question())
        assert part not in card_text(card.question())
        assert part in card_text(card.answer())
    # The sample response retells the STAR example: one story, not two.
    assert not [c for c in by_kind["star"] if "optimized a real-time system" in c.question()]
    # Tips: every tip is on a card; tips named after a strategy ("Execution Speed" after
    # "Prioritizing Execution Speed") are on that strategy's back, the others asked one
    # cloze each; learning objectives make no cards.
    backs = " ".join(card_text(c.answer()) for c in cards_in_order(col))
    for tip in ("Highlight rapid action", "Demonstrate scalability", "Use metrics to quantify"):
        assert tip in backs
    assert len(by_kind["tip"]) == 3 and "objective" not in by_kind
    strategy = " ".join(card_text(c.answer()) for c in by_kind["strategy"])
    assert "Highlight rapid action" in strategy
    # Nothing from the exercise instructions, the footer or the "Next Step".
    everything = " ".join(card_text(c.answer()) for c in cards_in_order(col))
    for absent in ("Describe the context", "All rights reserved", "Next Step", "Welcome to"):
        assert absent not in everything
    # Document order: the first concept first, the last tips last.
    order = [c.note()["Source"] for c in cards_in_order(col)]
    assert order[0].endswith(":29") and order[-1].endswith(":98")


def test_corpus_builds_and_imports(tmp_path: Path, corpus: Path) -> None:
    report = build([corpus], BuildOptions(out=tmp_path / "decks"))
    assert report.errors == 0
    assert len(report.packages) >= 20
    col = open_collection(tmp_path / "col")
    for apkg in sorted(report.packages):
        _check_package(col, apkg)
    assert len(col.find_notes("")) == report.notes
    assert len(col.find_cards("")) == report.cards
    _assert_clean_render(col)


@pytest.mark.parametrize("edit", ["reword", "add-tip"])
def test_reimport_updates_in_place(tmp_path: Path, edit: str, monkeypatch) -> None:
    src = tmp_path / "lectures"
    src.mkdir()
    lecture = src / "l.md"
    lecture.write_text((LECTURES / "behavioral/01-star-method.md").read_text("utf-8"), "utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    [apkg] = build([src], BuildOptions(out=tmp_path / "decks")).packages
    first = apkg.read_bytes()
    col = open_collection(tmp_path / "col")
    log = import_apkg(col, apkg)
    notes = log.new
    # Same input → same bytes, and re-importing changes nothing.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000500")
    build([src], BuildOptions(out=tmp_path / "decks"))
    assert apkg.read_bytes() == first
    assert import_apkg(col, apkg).updated == 0
    text = lecture.read_text("utf-8")
    if edit == "reword":
        new = re.sub(r"(- \*\*Definition\*\*: )", r"\1Reworded: ", text, count=1)
    else:
        new = text.replace(
            "  - Write each story as four short bullet points, not a script.\n",
            "  - Write each story as four short bullet points, not a script.\n"
            "  - A brand new tip about practice.\n",
        )
    assert new != text
    lecture.write_text(new, "utf-8")
    build([src], BuildOptions(out=tmp_path / "decks"))
    log = import_apkg(col, apkg)
    assert log.updated == 1 and log.conflicting == 0
    assert log.new == 0 and len(col.find_notes("")) == notes
    assert col.models.by_name("deckgen Q&A+") is None
