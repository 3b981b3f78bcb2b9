"""Issue #11, second pass: discovery, identity, the lock and cache, and atomic output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deckgen.atomic import Staging, write_atomic
from deckgen.build import BuildOptions, build
from deckgen.discover import discover, front_matter_order
from deckgen.history import LOCK_NAME
from test_hardening import run_cli

TIPS = """\
---
title: {title}
{extra}
---

# {title}

## Key Concepts
### 1. {title} Idea
- **Definition**: The main idea of {title} is that state changes are explicit.

## Interview Tips
- Say the first tip about {title} clearly.
- Give the second tip about {title} with an example.
"""

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


def lecture(folder: Path, rel: str, title: str, extra: str = "") -> Path:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TIPS.format(title=title, extra=extra), "utf-8")
    return path


def cli(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    os.environ.update(EPOCH)
    try:
        return run_cli(args, cwd, timeout)
    finally:
        for key in EPOCH:
            os.environ.pop(key, None)


def snapshot(decks: Path) -> dict[str, bytes]:
    """Every file under ``decks`` but the build cache."""
    return {
        p.relative_to(decks).as_posix(): p.read_bytes()
        for p in sorted(decks.rglob("*"))
        if p.is_file() and ".deckgen-cache" not in p.parts
    }


def course(tmp_path: Path, folder: str = "lectures") -> Path:
    root = tmp_path / folder
    lecture(root, "intro.md", "Intro")
    lecture(root, "behavioral/01-star-method.md", "Star Method")
    lecture(root, "behavioral/02-conflict.md", "Conflict")
    lecture(root, "system/01-caching.md", "Caching")
    return root


# --- 9. FIFOs in the lectures folder and the output folder ------------------------------


@needs_fifo
@pytest.mark.parametrize("command", [["build"], ["check"], ["preview", "-o", "site"]])
def test_fifo_lecture_is_reported_never_opened(tmp_path: Path, command: list[str]) -> None:
    root = course(tmp_path)
    os.mkfifo(root / "behavioral" / "00-pipe.md")
    try:
        result = cli([*command, "lectures"], tmp_path, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"deckgen {command[0]} hangs on a FIFO named *.md")
    both = result.stdout + result.stderr
    assert "lectures/behavioral/00-pipe.md:1:1: error not-a-file" in both
    assert "named pipe (FIFO)" in both and "Traceback" not in both
    assert result.returncode == 1


@needs_fifo
def test_fifo_takes_no_place_in_the_course(tmp_path: Path) -> None:
    root = course(tmp_path)
    before = [(j.rel, j.position) for j in discover([root], tmp_path / "decks")]
    os.mkfifo(root / "behavioral" / "00-pipe.md")
    problems: list = []
    after = [(j.rel, j.position) for j in discover([root], tmp_path / "decks", problems=problems)]
    assert after == before
    assert [d.code for d in problems] == ["not-a-file"]
    assert front_matter_order(root / "behavioral" / "00-pipe.md") is None  # does not block


@needs_fifo
@pytest.mark.parametrize("target", ["intro.apkg", LOCK_NAME, ".deckgen-cache/lectures.json"])
def test_fifo_in_the_output_folder_does_not_block(tmp_path: Path, target: str) -> None:
    course(tmp_path)
    assert cli(["build"], tmp_path).returncode == 0
    (tmp_path / "lectures" / "intro.md").write_text(TIPS.format(title="Intro 2", extra=""))
    (tmp_path / "decks" / target).unlink()
    os.mkfifo(tmp_path / "decks" / target)
    try:
        result = cli(["build"], tmp_path, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"deckgen build hangs on a FIFO at decks/{target}")
    assert "Traceback" not in result.stderr
    if target == LOCK_NAME:  # never mistaken for an empty lock
        assert result.returncode == 1
        assert "deckgen.lock: cannot read the lock file: not a regular file" in result.stderr
    else:
        assert result.returncode == 0, result.stderr


# --- 10. lecture file names that are not UTF-8 -----------------------------------------


@pytest.mark.skipif(sys.platform != "linux", reason="file names are arbitrary bytes on Linux")
def test_non_utf8_file_name_is_reported_and_the_rest_builds(tmp_path: Path) -> None:
    root = course(tmp_path)
    bad = Path(os.fsdecode(os.path.join(os.fsencode(root), b"caf\xe9.md")))
    bad.write_text(TIPS.format(title="Cafe", extra=""), "utf-8")
    result = cli(["build"], tmp_path)
    assert result.returncode == 1, result.stderr
    assert "lectures/caf\ufffd.md:1:1: error file-name: file name is not valid UTF-8" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert "4 lectures → 4 packages" in result.stdout
    assert not any("caf" in p.name for p in (tmp_path / "decks").iterdir())


# --- 3. one file built alone is built as inside the full build ----------------------------


@pytest.mark.parametrize(
    ("part", "built"),
    [("behavioral/01-star-method.md", "1 lectures → 1 packages"), ("behavioral", "2 lectures")],
    ids=["file", "sub-folder"],
)
@pytest.mark.parametrize(
    ("folder", "keep_cache"),
    [("lectures", False), ("notes", True), ("notes", False)],
    ids=["lectures-folder", "root-from-cache", "root-from-lock"],
)
def test_part_of_a_course_builds_as_in_the_full_build(
    tmp_path: Path, folder: str, keep_cache: bool, part: str, built: str
) -> None:
    """A lecture or a chapter built alone keeps its ids, packages and places, and the
    other chapters' packages are no orphans of that build."""
    course(tmp_path, folder)
    assert cli(["build", folder], tmp_path).returncode == 0
    before = snapshot(tmp_path / "decks")
    if not keep_cache:
        for path in (tmp_path / "decks" / ".deckgen-cache").iterdir():
            path.unlink()
    result = cli(["build", "--force", f"{folder}/{part}"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert built in result.stdout and "orphan-package" not in result.stderr, result.stdout
    assert snapshot(tmp_path / "decks") == before  # same packages, same lock, nothing else


def test_a_folder_outside_any_course_is_its_own_root(tmp_path: Path) -> None:
    lecture(tmp_path / "drafts" / "week1", "idea.md", "Idea")
    result = cli(["build", "drafts/week1"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "decks" / "idea.apkg").is_file()


def test_one_file_whose_root_is_unknown_is_refused(tmp_path: Path) -> None:
    root = course(tmp_path, "notes")
    lecture(root, "behavioral/03-named.md", "Named", "id: named-lecture")
    assert cli(["build", "notes"], tmp_path).returncode == 0
    before = snapshot(tmp_path / "decks")
    for path in (tmp_path / "decks" / ".deckgen-cache").iterdir():
        path.unlink()
    result = cli(["build", "notes/behavioral/03-named.md"], tmp_path)
    assert result.returncode == 1
    assert "cannot tell which lectures folder it belongs to" in result.stderr
    assert "--root" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(tmp_path / "decks") == before
    given = cli(["build", "--root", "notes", "notes/behavioral/03-named.md"], tmp_path)
    assert given.returncode == 0 and snapshot(tmp_path / "decks") == before


def test_a_file_alone_in_a_new_output_folder_still_builds(tmp_path: Path) -> None:
    lecture(tmp_path / "drafts", "idea.md", "Idea")
    result = cli(["build", "drafts/idea.md"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "decks" / "idea.apkg").is_file()
    assert cli(["build", "drafts/idea.md"], tmp_path).returncode == 0  # and again


# --- 4, 5. lecture ids: unique, not reserved ---------------------------------------------


def test_duplicate_id_is_an_error_naming_both(tmp_path: Path) -> None:
    root = tmp_path / "lectures"
    lecture(root, "a.md", "Alpha", "id: shared")
    lecture(root, "b.md", "Beta", "id: shared")
    lecture(root, "c.md", "Gamma")
    result = cli(["build"], tmp_path)
    assert result.returncode == 1
    assert (
        "lectures/a.md:1:1: error lecture-id: lecture id 'shared' is also the id of lectures/b.md"
        in result.stderr
    )
    assert (
        "lectures/b.md:1:1: error lecture-id: lecture id 'shared' is also the id of lectures/a.md"
        in result.stderr
    )
    assert sorted(p.name for p in (tmp_path / "decks").glob("*.apkg")) == ["c.apkg"]


def test_duplicate_id_with_an_unchanged_lecture(tmp_path: Path) -> None:
    root = tmp_path / "lectures"
    lecture(root, "a.md", "Alpha")
    lecture(root, "b.md", "Beta")
    assert cli(["build"], tmp_path).returncode == 0
    before = snapshot(tmp_path / "decks")
    lecture(root, "b.md", "Beta", "id: a")  # the id a.md has from its path
    result = cli(["build"], tmp_path)
    assert result.returncode == 1
    assert "lectures/a.md:1:1: error lecture-id" in result.stderr
    assert (
        "lectures/b.md:1:1: error lecture-id: lecture id 'a' is also the id of lectures/a.md"
        in result.stderr
    )
    assert snapshot(tmp_path / "decks") == before
    assert "0 packages" in result.stdout


@pytest.mark.parametrize("ident", ["'@notetype'", "'@notetype|qa'", "'@x'"])
def test_reserved_id_is_an_error(tmp_path: Path, ident: str) -> None:
    root = tmp_path / "lectures"
    lecture(root, "a.md", "Alpha", f"id: {ident}")
    lecture(root, "b.md", "Beta")
    result = cli(["build"], tmp_path)
    assert result.returncode == 1
    assert "lectures/a.md:1:1: error lecture-id" in result.stderr and "reserved" in result.stderr
    assert [p.name for p in (tmp_path / "decks").glob("*.apkg")] == ["b.apkg"]
    lock = (tmp_path / "decks" / LOCK_NAME).read_text("utf-8")
    assert all(
        line.split("\t")[3].startswith(("b|", "@notetype|")) for line in lock.splitlines()[2:]
    )
    again = cli(["build", "--force"], tmp_path)  # the lock reads back
    assert "cannot" not in again.stderr and "Traceback" not in again.stderr


# --- 6. two lectures, one package ---------------------------------------------------------


@pytest.mark.parametrize(
    "names", [("x.md", "x.MD"), ("sub/Topic.md", "sub/topic.md"), ("a.md", "A.md")]
)
def test_lectures_sharing_a_package_are_errors(tmp_path: Path, names: tuple[str, str]) -> None:
    root = tmp_path / "lectures"
    for name in names:
        lecture(root, name, name.replace(".", " ").replace("/", " "))
    lecture(root, "other.md", "Other")
    if len(set(os.listdir((root / names[0]).parent)) & {Path(n).name for n in names}) < 2:
        pytest.skip("this file system does not keep names differing in case apart")
    result = cli(["build"], tmp_path)
    assert result.returncode == 1
    for mine, theirs in (names, names[::-1]):
        assert f"lectures/{mine}:1:1: error output-clash" in result.stderr
        assert f"is also the package of lectures/{theirs}" in result.stderr
    assert [p.name for p in (tmp_path / "decks").rglob("*.apkg")] == ["other.apkg"]


# --- 12. a corrupt lock is an error naming its line; a corrupt cache is discarded -------


def _built(tmp_path: Path) -> tuple[Path, list[str]]:
    course(tmp_path)
    assert cli(["build"], tmp_path).returncode == 0
    lock = tmp_path / "decks" / LOCK_NAME
    return lock, lock.read_text("utf-8").splitlines(keepends=True)


def _cloze_row(lines: list[str]) -> int:
    return next(i for i, line in enumerate(lines) if line.count("\t") == 4)


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda f: [f[0], "9" * 40, *f[2:]], "is not a time"),
        (lambda f: [f[0], "999999999999", *f[2:]], "after the year 9999"),
        (lambda f: [*f[:4], "1:a,1:b"], "cloze number 1 is given to two items"),
        (lambda f: [*f[:4], "1:a,~1:b"], "cloze number 1 is given to two items"),
        (lambda f: [*f[:4], "0:a"], "is not number:item"),
        (lambda f: [*f[:4], "99999999999999:a"], "is not number:item"),
        (lambda f: f[:3], "3 fields"),
        (lambda f: [f[0], f[1], "zz", *f[3:]], "is not a hash"),
        (lambda f: [*f[:3], "@notetype|evil", *f[4:]], "is not a note type"),
    ],
    ids=[
        "huge-time",
        "year-10000",
        "repeated-cloze",
        "repeated-retired",
        "cloze-zero",
        "cloze-huge",
        "short",
        "digest",
        "reserved-key",
    ],
)
def test_corrupt_lock_is_an_error_naming_the_line(tmp_path: Path, damage, words: str) -> None:
    lock, lines = _built(tmp_path)
    row = _cloze_row(lines)
    fields = lines[row].rstrip("\n").split("\t")
    lines[row] = "\t".join(damage(fields)) + "\n"
    lock.write_text("".join(lines), "utf-8")
    (tmp_path / "lectures" / "intro.md").write_text(TIPS.format(title="Intro 2", extra=""))
    before = snapshot(tmp_path / "decks")
    result = cli(["build"], tmp_path)
    assert result.returncode == 1
    assert f"deckgen: error: decks/{LOCK_NAME}:{row + 1}: " in result.stderr, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr
    assert snapshot(tmp_path / "decks") == before


def test_lock_lines_deckgen_never_writes_are_errors(tmp_path: Path) -> None:
    lock, lines = _built(tmp_path)
    for extra, words in (
        ("garbage\n", "not a lock line"),
        (lines[-1], "a second line for"),
        (lines[-1].replace(lines[-1].split("\t")[3], "x|y|z"), "GUID"),
    ):
        lock.write_text("".join(lines) + extra, "utf-8")
        result = cli(["build", "--force"], tmp_path)
        assert result.returncode == 1, extra
        assert f"decks/{LOCK_NAME}:{len(lines) + 1}: " in result.stderr and words in result.stderr
    lock.write_bytes("".join(lines).encode() + b"\xff\n")
    result = cli(["build", "--force"], tmp_path)
    assert f"decks/{LOCK_NAME}:{len(lines) + 1}: not valid UTF-8" in result.stderr


def test_lock_with_crlf_line_ends_still_reads(tmp_path: Path) -> None:
    lock, lines = _built(tmp_path)
    before = snapshot(tmp_path / "decks")
    lock.write_text("".join(lines).replace("\n", "\r\n"), "utf-8")
    result = cli(["build", "--force"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert snapshot(tmp_path / "decks") == before  # rewritten as deckgen writes it


@pytest.mark.parametrize(
    "damage",
    [
        lambda c: {**c, "lectures": list(c["lectures"])},
        lambda c: {**c, "lock_sha": 5},
        lambda c: {**c, "orphans": [1]},
        lambda c: {**c, "lectures": {k: {**v, "size": "big"} for k, v in c["lectures"].items()}},
        lambda c: {
            **c,
            "lectures": {k: {**v, "media": [[1, 2]]} for k, v in c["lectures"].items()},
        },
        lambda c: {
            **c,
            "lectures": {k: {**v, "diagnostics": [{"path": 1}]} for k, v in c["lectures"].items()},
        },
        lambda c: {**c, "lectures": {k: {**v, "notes": True} for k, v in c["lectures"].items()}},
        lambda c: [c],
    ],
    ids=["list", "lock-sha", "orphans", "size", "media", "diagnostics", "bool", "top-list"],
)
def test_cache_of_wrong_types_is_discarded(tmp_path: Path, damage) -> None:
    import json

    course(tmp_path)
    assert cli(["build"], tmp_path).returncode == 0
    cache = tmp_path / "decks" / ".deckgen-cache" / "lectures.json"
    cache.write_text(json.dumps(damage(json.loads(cache.read_text("utf-8")))), "utf-8")
    result = cli(["build"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "4 lectures → 4 packages (0 written, 4 unchanged)" in result.stdout
    again = cli(["build"], tmp_path)  # a good cache again
    assert again.returncode == 0 and "Traceback" not in again.stderr


def test_cache_folder_that_is_a_file_is_replaced(tmp_path: Path) -> None:
    course(tmp_path)
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks" / ".deckgen-cache").write_text("not a folder")
    result = cli(["build"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "decks" / ".deckgen-cache" / "lectures.json").is_file()


# --- 15. what Anki accepts -------------------------------------------------------------------


def _cloze_package(tmp_path: Path, number: int) -> Path:
    import genanki

    from deckgen.notetypes import field_names, model_for

    deck = genanki.Deck(2059400110, "T")
    fields = ["{{c" + str(number) + "::word}}"] + [""] * (len(field_names("cloze")) - 1)
    deck.add_note(genanki.Note(model=model_for("cloze"), fields=fields, guid=f"g{number}"))
    path = tmp_path / f"c{number}.apkg"
    genanki.Package(deck).write_to_file(str(path))
    return path


def test_anki_accepts_cloze_numbers_up_to_the_limit(tmp_path: Path) -> None:
    from ankicol import import_apkg, open_collection
    from deckgen.history import MAX_CLOZE_NUMBER

    col = open_collection(tmp_path / "col")
    try:
        assert import_apkg(col, _cloze_package(tmp_path, MAX_CLOZE_NUMBER)).new == 1
        with pytest.raises(Exception, match="IntegralValueOutOfRange"):
            import_apkg(col, _cloze_package(tmp_path, MAX_CLOZE_NUMBER + 1))
    finally:
        col.close()


def test_deckgen_packages_the_highest_cloze_anki_accepts(tmp_path: Path) -> None:
    """deckgen's own package writer (not genanki's) at the limit imports into real Anki,
    and the build refuses the next number (anki_limits) before any package is made."""
    from ankicol import import_apkg, open_collection
    from deckgen.history import MAX_CLOZE_NUMBER, anki_limits
    from deckgen.model import DeckSpec, NoteSpec, Stamps
    from deckgen.notetypes import field_names
    from deckgen.output import package_data

    def note(number: int) -> NoteSpec:
        text = "{{c1::first}} {{c" + str(number) + "::last}}"
        fields = (text,) + ("",) * (len(field_names("cloze")) - 1)
        return NoteSpec("tip", f"l|tip|{number}", f"g{number}", "cloze", fields, (), 1, 1)

    at_limit = note(MAX_CLOZE_NUMBER)
    assert anki_limits([at_limit]) == ""
    assert "65537" in anki_limits([note(MAX_CLOZE_NUMBER + 1)])
    stamps = Stamps({at_limit.guid: 1_700_000_000}, {"cloze": 1_700_000_000})
    apkg = tmp_path / "limit.apkg"
    apkg.write_bytes(package_data([DeckSpec("Limit", [at_limit])], stamps))
    col = open_collection(tmp_path / "col")
    try:
        assert import_apkg(col, apkg).new == 1
        ords = sorted(col.get_card(c).ord for c in col.find_cards(""))
        assert ords == [0, MAX_CLOZE_NUMBER - 1]
    finally:
        col.close()


def test_cloze_number_beyond_anki_is_refused(tmp_path: Path) -> None:
    lock, lines = _built(tmp_path)
    row = _cloze_row(lines)
    path = next(
        p
        for p in (tmp_path / "lectures").rglob("*.md")
        if lines[row]
        .split("\t")[3]
        .startswith(p.relative_to(tmp_path / "lectures").with_suffix("").as_posix() + "|")
    )
    lines[row] = lines[row].rstrip("\n") + ",~65536:gone-long-ago\n"  # numbers used up
    lock.write_text("".join(lines), "utf-8")
    text = path.read_text("utf-8").replace(
        "- Say the first", "- Add a brand new tip.\n- Say the first"
    )
    path.write_text(text, "utf-8")
    before = snapshot(tmp_path / "decks")
    result = cli(["build"], tmp_path)
    assert result.returncode == 1
    assert "error anki-limit" in result.stderr and "65537" in result.stderr
    assert snapshot(tmp_path / "decks") == before


# --- 16, 17, 18. atomic output -----------------------------------------------------------


def test_package_path_that_is_a_folder_changes_nothing(tmp_path: Path) -> None:
    root = course(tmp_path)
    assert cli(["build"], tmp_path).returncode == 0
    (tmp_path / "decks" / "system" / "01-caching.apkg").unlink()
    (tmp_path / "decks" / "system" / "01-caching.apkg").mkdir()
    for path in root.rglob("*.md"):
        path.write_text(path.read_text("utf-8").replace("clearly", "loudly"), "utf-8")
    lecture(root, "new/topic.md", "New Topic")
    before = snapshot(tmp_path / "decks")
    result = cli(["build"], tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "01-caching.apkg: cannot put the new file in place: Is a directory" in result.stderr
    assert snapshot(tmp_path / "decks") == before
    assert not (tmp_path / "decks" / "new").exists()  # 18: the folder made for it is gone
    assert not list((tmp_path / "decks").rglob("*.tmp"))


def test_lock_path_that_is_a_folder_changes_nothing(tmp_path: Path) -> None:
    course(tmp_path)
    (tmp_path / "decks" / LOCK_NAME).mkdir(parents=True)
    result = cli(["build"], tmp_path)
    assert result.returncode == 1
    assert "deckgen.lock: cannot read the lock file: Is a directory" in result.stderr
    assert snapshot(tmp_path / "decks") == {}
    assert not list((tmp_path / "decks").rglob("*.tmp"))


def test_failed_rename_puts_back_what_was_there(tmp_path: Path, monkeypatch) -> None:
    import deckgen.atomic

    for name in ("a", "b", "c"):
        (tmp_path / name).write_text(f"old {name}")
    staging = Staging()
    for name in ("a", "b", "c", "d"):
        staging.add(tmp_path / name, f"new {name}".encode())
    real, calls = os.replace, []

    def replace(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 3:
            raise KeyboardInterrupt  # or an OSError: the same
        real(src, dst)

    monkeypatch.setattr(deckgen.atomic.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        staging.commit()
    monkeypatch.setattr(deckgen.atomic.os, "replace", real)
    staging.discard()
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        "a": "old a",
        "b": "old b",
        "c": "old c",
    }


def test_interrupt_while_staging_leaves_no_temporary_file(tmp_path: Path, monkeypatch) -> None:
    import deckgen.atomic

    def fsync(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(deckgen.atomic.os, "fsync", fsync)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "new" / "sub" / "x.apkg", b"data")
    assert list(tmp_path.iterdir()) == []  # 18: nor the folders made for it


def test_stale_temporary_files_are_swept(tmp_path: Path) -> None:
    from deckgen.atomic import sweep

    course(tmp_path)
    assert cli(["build"], tmp_path).returncode == 0
    decks = tmp_path / "decks"
    stale = [
        decks / ".intro.apkg.deckgen-ab_cd123.tmp",
        decks / "behavioral" / ".01-star-method.apkg.deckgen-zz99aa00-old.tmp",
        decks / ".deckgen.lock.deckgen-k3j4h5g6.tmp",
        decks / ".intro.apkg.k3j4h5g6.tmp",  # an older deckgen's name
        decks / ".deckgen-cache" / ".lectures.json.deckgen-aaaaaaaa.tmp",
    ]
    theirs = [decks / ".notes.tmp", decks / "mine.tmp", decks / ".draft.md.abcdefgh.tmp"]
    for path in stale + theirs:
        path.write_text("x")
    result = cli(["build"], tmp_path)
    assert result.returncode == 0
    assert [p.exists() for p in stale] == [False] * len(stale)
    assert all(p.exists() for p in theirs)
    assert cli(["build", "--check"], tmp_path).returncode == 0
    assert sweep(decks) == []


def test_failed_first_build_leaves_no_folders(tmp_path: Path) -> None:
    root = course(tmp_path)
    # A build that fails after making the output folder (an error in the build itself):
    with pytest.raises(ZeroDivisionError):
        build([root], BuildOptions(out=tmp_path / "out", interview=_Bad()))  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


class _Bad:
    @property
    def today(self) -> object:
        raise ZeroDivisionError


# --- 19. images are inputs, found or not ------------------------------------------------------


def test_adding_a_missing_image_rebuilds_the_lecture(tmp_path: Path) -> None:
    root = tmp_path / "lectures"
    text = TIPS.format(title="Pics", extra="").replace(
        "- Say the first tip", "- See ![diagram](img/flow.png) and say the first tip"
    )
    (root).mkdir()
    (root / "pics.md").write_text(text, "utf-8")
    first = cli(["build"], tmp_path)
    assert "image not found" in first.stderr
    (root / "img").mkdir()
    (root / "img" / "flow.png").write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
            "0000000d4944415478da63f8cfc0f01f0005000201a0f1c1a40000000049454e44ae426082"
        )
    )
    second = cli(["build"], tmp_path)
    assert second.returncode == 0, second.stderr
    assert "image not found" not in second.stderr
    assert "(1 written, 0 unchanged)" in second.stdout
    assert cli(["build", "--check"], tmp_path).returncode == 0


# --- 20. order: as YAML reads it -------------------------------------------------------------


def test_order_is_read_as_yaml(tmp_path: Path) -> None:
    root = tmp_path / "lectures"
    root.mkdir()
    for name, header, eol in (
        ("a.md", "order: 3 # after the others", "\n"),
        ("b.md", "order: 2", "\r\n"),
        ("c.md", "order: '1'", "\r"),
        ("d.md", "order: [1]", "\n"),
        ("e.md", "order: .nan", "\n"),
    ):
        text = TIPS.format(title=name, extra=header).replace("\n", eol)
        (root / name).write_bytes(text.encode())
    jobs = discover([root], tmp_path / "decks")
    assert [j.rel for j in jobs] == ["c.md", "b.md", "a.md", "d.md", "e.md"]
    assert [j.order for j in jobs] == [1.0, 2.0, 3.0, None, None]
    long = "---\ntitle: Long\ndescription: " + "x" * 70000 + "\norder: 1\n---\n# Long\n"
    (root / "f.md").write_text(long, "utf-8")
    assert front_matter_order(root / "f.md") is None  # beyond the first 64 KiB: not looked for


# --- 23. folders that cannot be read ----------------------------------------------------------


def test_path_over_path_max_is_reported(tmp_path: Path) -> None:
    root = course(tmp_path)
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(30):  # 30 × 200 bytes: beyond PATH_MAX (4096)
            os.mkdir("d" * 200, dir_fd=fd)
            new = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
        with open(os.open("deep.md", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as fh:
            fh.write(TIPS.format(title="Deep", extra=""))
    finally:
        os.close(fd)
    result = cli(["build"], tmp_path)
    assert result.returncode == 1
    assert "error io: cannot read folder: File name too long; its lectures are left out" in (
        result.stderr
    )
    assert "4 lectures → 4 packages" in result.stdout


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any folder")
def test_unreadable_folder_is_reported(tmp_path: Path) -> None:
    root = course(tmp_path)
    (root / "system").chmod(0)
    try:
        result = cli(["build"], tmp_path)
    finally:
        (root / "system").chmod(0o755)
    assert result.returncode == 1
    assert "lectures/system:1:1: error io: cannot read folder: Permission denied" in result.stderr


def test_sweep_beside_a_bundle_stays_in_its_folder(tmp_path: Path) -> None:
    from deckgen.atomic import sweep

    (tmp_path / "lectures").mkdir()
    mine = tmp_path / ".course.apkg.deckgen-abcdefgh.tmp"
    below = tmp_path / "lectures" / ".x.apkg.deckgen-abcdefgh.tmp"
    for path in (mine, below):
        path.write_text("x")
    assert sweep(tmp_path, deep=False) == [mine]
    assert below.exists()
