"""Regenerating decks keeps everyone's review history (checked in real Anki)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ankicol import import_apkg, open_collection
from conftest import LECTURES, REPO
from deckgen.build import BuildOptions, build

LECTURE = """\
---
title: Caching Basics
id: caching-basics
---

# Caching Basics

## Key Concepts
### 1. Cache Hit
- **Definition**: A read served from the cache.
- **Examples**: A profile page read from Redis.

### 2. Cache Miss
- **Definition**: A read the cache cannot serve, so the database answers.

### 3. Eviction
- **Definition**: Removing entries to make room, for example least recently used.

## Interview Tips
- State the read/write ratio first.
- Say how stale data may be.
"""


def _build(folder: Path, out: Path, epoch: int, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    report = build([folder], BuildOptions(out=out))
    assert report.errors == 0
    [apkg] = report.packages
    return apkg


def _review(col, count: int) -> dict[int, tuple[int, int, int, int]]:
    """Answer ``count`` new cards 'Good' twice with the real scheduler; return their state."""
    col.decks.select(col.decks.id_for_name("Caching Basics"))
    reviewed: dict[int, None] = {}
    for _ in range(count * 3):
        card = col.sched.getCard()
        if card is None:
            break
        col.sched.answerCard(card, 3)
        reviewed[card.id] = None
        if len(reviewed) >= count:
            break
    state = {}
    for cid in reviewed:
        card = col.get_card(cid)
        revlog = col.db.scalar("select count() from revlog where cid = ?", cid)
        state[cid] = (card.ivl, card.due, card.type, revlog)
    return state


def test_edit_rebuild_reimport_keeps_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    lecture = lectures / "caching.md"
    lecture.write_text(LECTURE, "utf-8")
    out = tmp_path / "decks"
    apkg = _build(lectures, out, 1_700_000_000, monkeypatch)
    col = open_collection(tmp_path / "col")
    first = import_apkg(col, apkg)
    assert first.new == 4 and first.conflicting == 0
    history = _review(col, 3)
    assert len(history) == 3 and all(revlog >= 1 for *_, revlog in history.values())
    guids = {col.get_note(n).guid for n in col.find_notes("")}

    # Reword a definition, add a tip, remove a concept; rename the file (same front-matter id).
    edited = (
        LECTURE.replace("A read served from the cache.", "A read answered by the cache itself.")
        .replace("- Say how stale", "- Name the eviction policy.\n- Say how stale")
        .replace(
            "### 3. Eviction\n- **Definition**: Removing entries to make room, "
            "for example least recently used.\n\n",
            "",
        )
    )
    assert edited.count("Eviction") == 0 and "answered by the cache" in edited
    lecture.unlink()
    (lectures / "caching-renamed.md").write_text(edited, "utf-8")
    shutil.rmtree(out / ".deckgen-cache")
    (out / "caching.apkg").rename(out / "caching-renamed.apkg")  # the user renamed it in git too
    apkg = _build(lectures, out, 1_700_000_900, monkeypatch)
    log = import_apkg(col, apkg)
    # Reworded concept, tip group (new cloze), removed concept: three notes updated in place.
    assert (log.new, log.updated, log.conflicting) == (0, 3, 0)
    assert len(col.find_notes("")) == 4
    assert (
        col.models.by_name("deckgen Q&A+") is None and col.models.by_name("deckgen Cloze+") is None
    )
    hit = col.get_note(col.find_notes('"Prompt:*Cache Hit*"')[0])
    assert hit.guid in guids and "answered by the cache itself" in hit["Answer"]
    [removed] = col.find_notes("tag:deckgen::removed")
    assert "Eviction" in col.get_note(removed)["Prompt"]
    assert "Removed from the lecture" in col.get_note(removed)["Notice"]
    tips = col.get_note(col.find_notes("tag:deckgen::tip")[0])
    assert "Name the eviction policy" in tips["Text"]
    assert len(tips.cards()) == 3
    for cid, (ivl, due, ctype, revlog) in history.items():
        card = col.get_card(cid)
        after = col.db.scalar("select count() from revlog where cid = ?", cid)
        assert (card.ivl, card.due, card.type, after) == (ivl, due, ctype, revlog)
    # The same package again: nothing to update.
    again = import_apkg(col, apkg)
    assert again.updated == 0 and again.new == 0 and again.duplicate == 4
    col.close()


def test_two_builds_are_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    (lectures / "c.md").write_text(LECTURE, "utf-8")
    a = _build(lectures, tmp_path / "a", 1_700_000_000, monkeypatch).read_bytes()
    b = _build(lectures, tmp_path / "b", 1_700_000_000, monkeypatch).read_bytes()
    assert a == b
    assert (tmp_path / "a/deckgen.lock").read_bytes() == (tmp_path / "b/deckgen.lock").read_bytes()


def test_check_reports_stale_missing_and_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    (lectures / "c.md").write_text(LECTURE, "utf-8")
    out = tmp_path / "decks"
    _build(lectures, out, 1_700_000_000, monkeypatch)
    check = BuildOptions(out=out, check=True)
    assert build([lectures], check).out_of_date == []
    (lectures / "c.md").write_text(LECTURE.replace("A read served", "A read fetched"), "utf-8")
    (lectures / "d.md").write_text(LECTURE.replace("id: caching-basics", "id: other"), "utf-8")
    (out / "old.apkg").write_bytes((out / "c.apkg").read_bytes())
    before = sorted((p.name, p.stat().st_mtime_ns) for p in out.iterdir())
    problems = build([lectures], check).out_of_date
    assert sorted(problems) == [
        f"extra: {out / 'old.apkg'}",
        f"missing: {out / 'd.apkg'}",
        f"stale: {out / 'c.apkg'}",
        f"stale: {out / 'deckgen.lock'}",
    ]
    assert sorted((p.name, p.stat().st_mtime_ns) for p in out.iterdir()) == before


def test_committed_decks_are_up_to_date(tmp_path: Path) -> None:
    """What CI checks on a fresh clone: decks/ matches lectures/, and a build changes nothing."""
    if not (REPO / "decks").is_dir():
        pytest.fail("decks/ is missing: run ./dev build and commit decks/")
    work = tmp_path / "clone"
    shutil.copytree(LECTURES, work / "lectures")
    shutil.copytree(REPO / "decks", work / "decks", ignore=shutil.ignore_patterns(".deckgen-cache"))
    cmd = [sys.executable, "-m", "deckgen.cli", "build"]
    check = subprocess.run([*cmd, "--check"], cwd=work, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    before = {p: p.read_bytes() for p in (work / "decks").rglob("*") if p.is_file()}
    run = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    after = {
        p: p.read_bytes()
        for p in (work / "decks").rglob("*")
        if p.is_file() and ".deckgen-cache" not in p.parts
    }
    assert after == before


def test_restyled_note_type_reaches_users_without_touching_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deckgen import notetypes

    lectures = tmp_path / "lectures"
    lectures.mkdir()
    (lectures / "caching.md").write_text(LECTURE, "utf-8")
    out = tmp_path / "decks"
    apkg = _build(lectures, out, 1_700_000_000, monkeypatch)
    col = open_collection(tmp_path / "col")
    import_apkg(col, apkg)
    before = {nid: col.get_note(nid).mod for nid in col.find_notes("")}

    # A new CSS in the next deckgen version: no note's content changes.
    monkeypatch.setattr(notetypes, "CSS", notetypes.CSS + "\n.dg-new-rule { color: red; }\n")
    notetypes.qa_model.cache_clear()
    notetypes.cloze_model.cache_clear()
    try:
        # (A new deckgen version invalidates the build cache; here the code is patched in place.)
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000500")
        [apkg] = build([lectures], BuildOptions(out=out, force=True)).packages
    finally:
        monkeypatch.undo()
        notetypes.qa_model.cache_clear()
        notetypes.cloze_model.cache_clear()
    log = import_apkg(col, apkg)
    assert (log.new, log.updated, log.conflicting) == (0, 0, 0)
    names = sorted(m.name for m in col.models.all_names_and_ids())
    assert names.count("deckgen Q&A") == 1 and not any(n.endswith("+") for n in names)
    for name in ("deckgen Q&A", "deckgen Cloze"):
        assert ".dg-new-rule" in col.models.by_name(name)["css"]
    assert {nid: col.get_note(nid).mod for nid in col.find_notes("")} == before
    col.close()


TIPS = """\
---
title: Caching Basics
---

# Caching Basics

## Interview Tips
- State the read/write ratio first.
- Say how stale data may be.
- Name the eviction policy.
- Estimate the hit rate.
"""


def _cloze_answer(card) -> str:  # type: ignore[no-untyped-def]
    import re

    shown = re.findall(r'<span class="cloze"[^>]*>(.*?)</span>', card.answer(), re.S)
    return " ".join(shown)


def test_tip_cards_keep_their_tip_when_the_list_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    lecture = lectures / "tips.md"
    lecture.write_text(TIPS, "utf-8")
    out = tmp_path / "decks"
    col = open_collection(tmp_path / "col")
    assert import_apkg(col, _build(lectures, out, 1_700_000_000, monkeypatch)).new == 1
    history = _review(col, 4)
    assert len(history) == 4
    before = {cid: _cloze_answer(col.get_card(cid)) for cid in history}

    # A tip inserted at the top, one removed from the middle, the last one reworded.
    lecture.write_text(
        TIPS.replace("- State the read", "- Draw the data flow first.\n- State the read")
        .replace("- Say how stale data may be.\n", "")
        .replace("Estimate the hit rate.", "Estimate the cache hit rate."),
        "utf-8",
    )
    log = import_apkg(col, _build(lectures, out, 1_700_000_900, monkeypatch))
    assert (log.new, log.updated, log.conflicting) == (0, 1, 0)
    after = {cid: _cloze_answer(col.get_card(cid)) for cid in history}
    for cid, text in before.items():
        if "stale" in text:
            assert after[cid] == ""  # the removed tip's card is left empty, not reassigned
        elif "hit rate" in text:
            assert after[cid] == "Estimate the cache hit rate."  # edited in place
        else:
            assert after[cid] == text
        ivl, due, ctype, revlog = history[cid]
        card = col.get_card(cid)
        assert (card.ivl, card.due, card.type) == (ivl, due, ctype)
        assert col.db.scalar("select count() from revlog where cid = ?", cid) == revlog
    [new_card] = [c for c in col.get_note(col.find_notes("")[0]).cards() if c.id not in history]
    assert _cloze_answer(new_card) == "Draw the data flow first." and new_card.type == 0
    col.close()


def test_note_type_times_do_not_depend_on_an_earlier_build_in_the_process(
    tmp_path: Path, monkeypatch
) -> None:
    """genanki fills defaults into the cached note types as it writes: a second build in
    the same process must still find the note types unchanged."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build([LECTURES], BuildOptions(out=tmp_path / "a", force=True))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000500")
    build([LECTURES], BuildOptions(out=tmp_path / "a", force=True))
    lock = (tmp_path / "a/deckgen.lock").read_text("utf-8")
    assert [line.split("\t")[1] for line in lock.splitlines() if "@notetype|" in line] == [
        "1700000000",
        "1700000000",
    ]
