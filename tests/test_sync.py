"""`deckgen sync` on a real collection (the official anki package): build, import, review,
edit, remove and add items, sync again; idempotence, dry runs, a collection Anki holds open."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ankicol import import_apkg, open_collection
from deckgen import sync
from deckgen.cli import main

CACHING = """\
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
"""

QUEUES = """\
---
title: Message Queues
id: message-queues
---

# Message Queues

## Key Concepts
### 1. Backpressure
- **Definition**: Slowing producers down when consumers cannot keep up.

### 2. Dead Letter Queue
- **Definition**: A queue holding messages that could not be processed.
"""

EVICTION = (
    "### 3. Eviction\n- **Definition**: Removing entries to make room, "
    "for example least recently used.\n"
)
WRITE_THROUGH = (
    "### 3. Write-Through\n- **Definition**: Writing to the cache and the database together.\n"
)
NOW = int(time.time())
FIRST, SECOND = NOW - 7200, NOW - 3600  # build times (SOURCE_DATE_EPOCH), never in the future


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two lectures under ``tmp_path/lectures`` and an empty collection in ``tmp_path/anki``;
    the working folder is ``tmp_path``."""
    (tmp_path / "lectures" / "backend").mkdir(parents=True)
    (tmp_path / "lectures" / "backend" / "01-caching.md").write_text(CACHING, "utf-8")
    (tmp_path / "lectures" / "backend" / "02-queues.md").write_text(QUEUES, "utf-8")
    open_collection(tmp_path / "anki").close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(FIRST))
    return tmp_path


def collection_file(course: Path) -> Path:
    return course / "anki" / "collection.anki2"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["sync", "--collection", "anki/collection.anki2", *args])


def state(course: Path) -> tuple[int, int, int]:
    """(file modification time, collection modification time, notes) of the collection."""
    path = collection_file(course)
    mtime = path.stat().st_mtime_ns
    col = open_collection(path.parent)
    try:
        return mtime, col.mod, len(col.find_notes(""))
    finally:
        col.close()


def review(course: Path, count: int) -> dict[int, tuple[int, int, int, int]]:
    """Answer ``count`` cards of Caching Basics 'Good' with Anki's scheduler; their state."""
    col = open_collection(collection_file(course).parent)
    try:
        col.decks.select(col.decks.id_for_name("Backend::Caching Basics"))
        reviewed: dict[int, None] = {}
        while len(reviewed) < count:
            card = col.sched.getCard()
            assert card is not None
            col.sched.answerCard(card, 3)
            reviewed[card.id] = None
        return {cid: card_state(col, cid) for cid in reviewed}
    finally:
        col.close()


def card_state(col, cid: int) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    card = col.get_card(cid)
    revlog = col.db.scalar("select count() from revlog where cid = ?", cid)
    return card.ivl, card.due, card.type, revlog


def edit_lectures(course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reword a definition, remove a concept and add one; later build time."""
    lecture = course / "lectures" / "backend" / "01-caching.md"
    text = lecture.read_text("utf-8")
    text = text.replace("A read served from the cache.", "A read the cache answers itself.")
    text = text.replace(EVICTION, WRITE_THROUGH)
    lecture.write_text(text, "utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(SECOND))


def test_sync_review_edit_remove_add_then_nothing_to_do(
    course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run()
    assert first.exit_code == 0, first.output
    assert first.stderr == ""
    assert first.stdout.splitlines()[:2] == [
        "Backend::Caching Basics: 3 added, 0 updated, 0 deleted",
        "Backend::Message Queues: 2 added, 0 updated, 0 deleted",
    ]
    summary = first.stdout.splitlines()[-1]
    assert summary.startswith(
        "synced 2 packages into anki/collection.anki2: 5 added, 0 updated, 0 deleted "
        "(backup: anki/backups/backup-"
    )
    backup = course / summary.split("(backup: ")[1].rstrip(")")
    assert backup.is_file() and backup.suffix == ".colpkg"

    col = open_collection(collection_file(course).parent)
    hit_id = col.find_notes('"Prompt:*Cache Hit*"')[0]
    hit_guid = col.get_note(hit_id).guid
    preset = col.decks.config_dict_for_deck_id(col.decks.id_for_name("Backend::Caching Basics"))
    assert preset["name"].startswith("deckgen")  # the shipped deck preset came with it
    col.close()
    history = review(course, 3)  # every card of the deck: the edited and removed ones too
    queues = review_queues(course)

    edit_lectures(course, monkeypatch)
    before = state(course)
    packages = {p: p.read_bytes() for p in (course / "decks").rglob("*") if p.is_file()}
    dry = run("--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines() == [
        "Backend::Caching Basics: 1 to add, 1 to update, 1 to delete",
        "dry run: anki/collection.anki2 would get 1 added, 1 updated, 1 deleted from "
        "2 packages; nothing was changed",
    ]
    assert state(course) == before  # a dry run changes nothing: not the collection,
    assert {p: p.read_bytes() for p in (course / "decks").rglob("*") if p.is_file()} == packages

    second = run()
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines()[0] == (
        "Backend::Caching Basics: 1 added, 1 updated, 1 deleted"
    )
    assert "into anki/collection.anki2: 1 added, 1 updated, 1 deleted" in second.stdout
    col = open_collection(collection_file(course).parent)
    try:
        hit = col.get_note(hit_id)  # the same note, updated in place
        assert hit.guid == hit_guid and "the cache answers itself" in hit["Answer"]
        assert col.find_notes('"Prompt:*Eviction*"') == []
        assert len(col.find_notes('"Prompt:*Write-Through*"')) == 1
        assert len(col.find_notes("")) == 5
        kept = {
            cid: s
            for cid, s in history.items()
            if col.db.scalar("select 1 from cards where id = ?", cid)
        }
        assert len(kept) == 2  # the Eviction card went with its note
        for cid, before_state in {**kept, **queues}.items():
            assert card_state(col, cid) == before_state  # scheduling and review log untouched
    finally:
        col.close()

    before = state(course)
    backups = backup_files(course)
    third = run()
    assert third.exit_code == 0, third.output
    assert third.stdout == "nothing to do: anki/collection.anki2 is up to date with 2 packages\n"
    assert state(course) == before  # file and collection modification times unchanged
    assert backup_files(course) == backups  # no backup when there is nothing to do


def backup_files(course: Path) -> list[tuple[str, int]]:
    """The backups beside the collection, with their modification times."""
    folder = course / "anki" / "backups"
    return sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir())


def review_queues(course: Path) -> dict[int, tuple[int, int, int, int]]:
    """Answer one card of Message Queues (a lecture that does not change)."""
    col = open_collection(collection_file(course).parent)
    try:
        col.decks.select(col.decks.id_for_name("Backend::Message Queues"))
        card = col.sched.getCard()
        col.sched.answerCard(card, 3)
        return {card.id: card_state(col, card.id)}
    finally:
        col.close()


def test_keep_removed_keeps_the_note_tagged(course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run().exit_code == 0
    edit_lectures(course, monkeypatch)
    result = run("--keep-removed")
    assert result.exit_code == 0, result.output
    assert "1 added, 2 updated, 0 deleted" in result.stdout
    assert "1 removed kept (tag:deckgen::removed)" in result.stdout
    col = open_collection(collection_file(course).parent)
    try:
        [removed] = col.find_notes("tag:deckgen::removed")
        assert "Eviction" in col.get_note(removed)["Prompt"]
    finally:
        col.close()
    # Deleting it later (no --keep-removed) needs no import.
    result = run()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Backend::Caching Basics: 0 added, 0 updated, 1 deleted"
    assert state(course)[2] == 5


def test_removed_items_never_synced_are_not_added(
    course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A removed item the collection never had is not brought in, even by an import of
    its package for another change."""
    assert CliRunner().invoke(main, ["build", "lectures"]).exit_code == 0
    edit_lectures(course, monkeypatch)
    result = run("--keep-removed")
    assert result.exit_code == 0, result.output
    assert "5 added, 0 updated, 0 deleted" in result.stdout
    col = open_collection(collection_file(course).parent)
    try:
        assert col.find_notes("tag:deckgen::removed") == []
        assert len(col.find_notes("")) == 5
    finally:
        col.close()


def test_a_deleted_lecture_leaves_the_collection(
    course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run().exit_code == 0
    (course / "lectures" / "backend" / "02-queues.md").unlink()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(SECOND))
    dry = run("--dry-run")
    assert dry.exit_code == 0, dry.output
    assert (
        dry.stdout.splitlines()[0] == "Backend::Message Queues: 0 to add, 0 to update, 2 to delete"
    )
    assert dry.stderr.startswith("decks/backend/02-queues.apkg:1:1: warning orphan-package")
    assert state(course)[2] == 5
    result = run()
    assert result.exit_code == 0, result.output
    assert "decks/backend/02-queues.apkg:1:1: warning orphan-package" in result.stderr
    assert result.stdout.splitlines()[0] == "Backend::Message Queues: 0 added, 0 updated, 2 deleted"
    assert state(course)[2] == 3
    assert run().stdout.startswith("nothing to do")


def test_a_deleted_lecture_kept_is_tagged(course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run().exit_code == 0
    (course / "lectures" / "backend" / "02-queues.md").unlink()
    result = run("--keep-removed")
    assert result.exit_code == 0, result.output
    assert "2 removed kept (tag:deckgen::removed)" in result.stdout
    col = open_collection(collection_file(course).parent)
    try:
        assert len(col.find_notes("tag:deckgen::removed")) == 2
    finally:
        col.close()
    assert run("--keep-removed").stdout.startswith("nothing to do")
    assert "0 added, 0 updated, 2 deleted" in run().stdout  # without the flag: gone


def test_a_foreign_package_in_the_output_folder_deletes_nothing(course: Path) -> None:
    """An .apkg deckgen did not make for this course (no GUID of it in the lock) is an
    orphan of the build, but its notes in the collection are not this course's."""
    other = course / "elsewhere"
    (other / "lectures").mkdir(parents=True)
    (other / "lectures" / "queues.md").write_text(QUEUES.replace("message-queues", "q2"), "utf-8")
    built = CliRunner().invoke(main, ["build", str(other / "lectures"), "-o", str(other / "out")])
    assert built.exit_code == 0, built.output
    foreign = other / "out" / "queues.apkg"
    col = open_collection(collection_file(course).parent)
    try:
        import_apkg(col, foreign)
    finally:
        col.close()
    (course / "decks").mkdir()
    (course / "decks" / "foreign.apkg").write_bytes(foreign.read_bytes())
    (course / "decks" / "junk.apkg").write_bytes(b"not a zip")
    result = run()
    assert result.exit_code == 0, result.output
    assert "decks/foreign.apkg:1:1: warning orphan-package" in result.stderr
    assert "5 added, 0 updated, 0 deleted" in result.stdout, result.stdout
    assert state(course)[2] == 7


HOLD = textwrap.dedent(
    """
    import sys
    from anki.collection import Collection
    col = Collection(sys.argv[1])
    col.sched.get_queued_cards()
    print("open", flush=True)
    sys.stdin.read()
    col.close()
    """
)


def test_a_collection_open_in_anki_is_refused_and_unchanged(
    course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run().exit_code == 0
    edit_lectures(course, monkeypatch)
    before = state(course)
    backups = backup_files(course)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(collection_file(course))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        for args in ((), ("--dry-run",)):
            result = run(*args)
            assert result.exit_code == 1, result.output
            assert result.stdout == "" and "Traceback" not in result.output
            assert result.stderr == (
                "deckgen: error: anki/collection.anki2: the collection is open in Anki (or "
                "another program); close Anki (or switch to another profile) and sync again; "
                "nothing was changed\n"
            )
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
    assert state(course) == before
    assert backup_files(course) == backups
    assert "1 added, 1 updated, 1 deleted" in run().stdout  # and it syncs once Anki is closed


def test_profiles_are_found_as_anki_finds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setattr(Path, "home", lambda: home)
    monkeypatch.delenv("ANKI_BASE", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("APPDATA", str(tmp_path / "roaming"))
    assert sync.anki_base(platform="linux") == home / ".local" / "share" / "Anki2"
    assert sync.anki_base(platform="darwin") == home / "Library/Application Support/Anki2"
    assert sync.anki_base(platform="win32") == tmp_path / "roaming" / "Anki2"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert sync.anki_base(platform="linux") == tmp_path / "xdg" / "Anki2"
    monkeypatch.setenv("ANKI_BASE", str(tmp_path / "base"))
    assert sync.anki_base(platform="darwin") == tmp_path / "base"
    assert sync.anki_base(tmp_path / "flag") == tmp_path / "flag"

    base = tmp_path / "base"
    open_collection(base / "User 1").close()
    assert sync.profile_collection("User 1", base) == base / "User 1" / "collection.anki2"
    with pytest.raises(
        sync.SyncError, match=r"no Anki profile 'Main' under .*base \(profiles there: User 1\)"
    ):
        sync.profile_collection("Main", base)


def test_sync_into_a_profile(course: Path) -> None:
    base = course / "Anki2"
    open_collection(base / "User 1").close()
    args = ["sync", "--profile", "User 1", "--anki-base", "Anki2"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "into Anki2/User 1/collection.anki2: 5 added" in result.stdout
    assert "(backup: Anki2/User 1/backups/backup-" in result.stdout  # where Anki lists them
    missing = CliRunner().invoke(main, ["sync", "--profile", "Main", "--anki-base", "Anki2"])
    assert missing.exit_code == 2 and "no Anki profile 'Main'" in missing.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give the collection to sync into: --collection FILE or --profile NAME"),
        (["--collection", "c.anki2", "--profile", "x"], "--collection FILE or --profile NAME"),
        (["--collection", "nope.anki2"], "nope.anki2: no such collection file"),
        (["--collection", "anki/collection.anki2", "--anki-base", "x"], "only applies with"),
    ],
)
def test_usage_errors(course: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["sync", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and result.stdout == ""
    assert not (course / "decks").exists()  # nothing built


def test_without_anki_installed(course: Path) -> None:
    code = (
        "import sys; sys.modules['anki'] = None; "  # as if deckgen[sync] were not installed
        "from deckgen.cli import main; main(prog_name='deckgen')"
    )
    args = ["sync", "--collection", "anki/collection.anki2"]
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=course, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr == (
        "deckgen: error: sync needs the official anki package, which is not installed; "
        "install it with: pip install 'deckgen[sync]'\n"
    )
    assert result.stdout == "" and not (course / "decks").exists()


def test_a_lecture_error_syncs_nothing(course: Path) -> None:
    (course / "lectures" / "backend" / "03-bad.md").write_text("---\ntitle: [oops\n---\n", "utf-8")
    before = state(course)
    result = run()
    assert result.exit_code == 1
    assert "03-bad.md:2:1: error front-matter" in result.stderr
    assert "fix the lectures above before syncing; anki/collection.anki2 was not changed" in (
        result.stderr
    )
    assert state(course) == before and not (course / "anki" / "backups").exists()


def test_not_a_collection(course: Path) -> None:
    (course / "junk.anki2").write_bytes(b"not sqlite at all" * 100)
    result = CliRunner().invoke(main, ["sync", "--collection", "junk.anki2"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("deckgen: error: junk.anki2: cannot open the collection")
    assert "Traceback" not in result.output
    assert os.path.getsize(course / "junk.anki2") == 1700
