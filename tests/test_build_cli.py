"""The build as users run it: CLI defaults, outputs, exit codes, reproducibility."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from deckgen.build import BuildOptions, build
from deckgen.cli import main
from deckgen.history import LOCK_NAME

GOOD = """
---
title: Good One
---
# Good One

## Key Concepts
### 1. Idempotency
- **Definition**: Repeating an operation has the same effect as doing it once.
"""


def test_default_paths_mirror_tree_and_summary(
    tmp_path: Path, write_lecture: Callable[..., Path], monkeypatch
) -> None:
    write_lecture(GOOD, "a/b.md")
    write_lecture(GOOD.replace("Good One", "Other"), "c.md")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "decks/a/b.apkg").is_file()
    assert (tmp_path / "decks/c.apkg").is_file()
    assert (tmp_path / "decks" / LOCK_NAME).is_file()
    assert "2 lectures → 2 packages" in result.output
    assert "2 notes, 2 cards, 0 warnings, 0 errors" in result.output


def test_broken_lecture_is_reported_not_packaged(
    tmp_path: Path, write_lecture: Callable[..., Path]
) -> None:
    write_lecture(GOOD, "good.md")
    bad = write_lecture("---\ntitle: [oops\n---\n# Bad\n", "bad.md")
    bad_bytes = tmp_path / "lectures" / "latin.md"
    bad_bytes.write_bytes("# Caf\u00e9\n".encode("latin-1"))
    result = CliRunner().invoke(
        main, ["build", str(tmp_path / "lectures"), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "bad.md:2:1: error front-matter" in result.output
    assert "latin.md:1:1: error encoding" in result.output
    assert (tmp_path / "out/good.apkg").is_file()
    assert not (tmp_path / "out/bad.apkg").exists()
    assert bad.is_file()


def test_links_only_page_gets_a_notice_and_no_package(
    tmp_path: Path, write_lecture: Callable[..., Path]
) -> None:
    write_lecture("# Hub\n\n- [One](/one)\n- [Two](/two)\n", "hub.md")
    result = CliRunner().invoke(
        main, ["build", str(tmp_path / "lectures"), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0
    assert "hub.md:1:1: warning no-cards" in result.output
    assert not (tmp_path / "out/hub.apkg").exists()


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(tmp_path / "nope")])
    assert result.exit_code == 2  # a usage error (tests/test_cli_rules.py: every command)
    assert "nope' does not exist" in result.output and "Traceback" not in result.output


def test_help_lists_options() -> None:
    result = CliRunner().invoke(main, ["build", "--help"])
    assert result.exit_code == 0
    for option in ("--out", "--bundle", "--root"):
        assert option in result.output


def test_byte_identical_and_no_temp_files(
    tmp_path: Path, write_lecture: Callable[..., Path], monkeypatch
) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    write_lecture(GOOD, "x.md")
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build([tmp_path / "lectures"], BuildOptions(out=out_a))
    build([tmp_path / "lectures"], BuildOptions(out=out_b))
    assert (out_a / "x.apkg").read_bytes() == (out_b / "x.apkg").read_bytes()
    # A later build with the lock keeps the bytes even though the clock moved on.
    mtime = os.stat(out_a / "x.apkg").st_mtime_ns
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    report = build([tmp_path / "lectures"], BuildOptions(out=out_a))
    assert report.unchanged == 1 and os.stat(out_a / "x.apkg").st_mtime_ns == mtime
    assert list(tmpdir.iterdir()) == []
    assert sorted(p.name for p in out_a.iterdir()) == [".deckgen-cache", LOCK_NAME, "x.apkg"]
    assert not [p for p in out_a.rglob("*") if p.name.endswith(".tmp")]


def test_reserved_output_names_are_avoided(tmp_path: Path, write_lecture) -> None:
    write_lecture(GOOD, "collection.md")
    report = build([tmp_path / "lectures"], BuildOptions(out=tmp_path / "out"))
    assert [p.name for p in report.packages] == ["collection-deck.apkg"]


def test_orphan_packages_are_reported_until_removed(
    tmp_path: Path, write_lecture: Callable[..., Path], monkeypatch
) -> None:
    write_lecture(GOOD, "keep.md")
    gone = write_lecture(GOOD.replace("Good One", "Gone"), "gone.md")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["build"]).exit_code == 0
    gone.unlink()
    for _ in range(2):  # a real rebuild, then a no-op one (answered from the cache)
        result = runner.invoke(main, ["build"])
        assert result.exit_code == 0, result.output
        assert "decks/gone.apkg:1:1: warning orphan-package" in result.output
    check = runner.invoke(main, ["build", "--check"])
    assert check.exit_code == 1 and "extra: decks/gone.apkg" in check.output
    (tmp_path / "decks/gone.apkg").unlink()
    result = runner.invoke(main, ["build"])
    assert "orphan-package" not in result.output
    assert runner.invoke(main, ["build", "--check"]).exit_code == 0


def test_unchanged_lectures_are_not_even_read(
    tmp_path: Path, write_lecture: Callable[..., Path], monkeypatch
) -> None:
    import deckgen.pipeline as build_module

    a = write_lecture(GOOD, "a.md")
    write_lecture(GOOD.replace("Good One", "Other"), "b.md")
    reads: list[str] = []
    real = build_module.read_bytes

    def counting(path: Path) -> bytes:
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(build_module, "read_bytes", counting)
    lectures, out = tmp_path / "lectures", tmp_path / "decks"

    def run() -> list[str]:
        reads.clear()
        report = build([lectures], BuildOptions(out=out))
        assert report.errors == 0
        return sorted(reads) + [f"wrote {p.name}" for p in report.written]

    assert run() == ["a.md", "b.md", "wrote a.apkg", "wrote b.apkg"]
    assert run() == []  # nothing read, nothing written
    os.utime(a, ns=(a.stat().st_atime_ns, a.stat().st_mtime_ns + 5_000_000_000))
    assert run() == ["a.md"]  # touched: read, found unchanged, not rewritten
    assert run() == []
    a.write_text(GOOD.replace("same effect", "same result"), "utf-8")  # same size
    assert run() == ["a.md", "wrote a.apkg"]


def test_rebuild_with_nothing_changed_loads_no_heavy_library(
    tmp_path: Path, write_lecture: Callable[..., Path]
) -> None:
    """A no-op rebuild is mostly Python's start-up: the Markdown, highlighting, sanitizing,
    YAML and packaging libraries are imported only when a lecture is built (#12)."""
    import subprocess
    import sys

    write_lecture(GOOD, "a.md")
    lectures, out = tmp_path / "lectures", tmp_path / "decks"
    assert build([lectures], BuildOptions(out=out, jobs=1)).errors == 0
    probe = (
        "import sys\n"
        "from deckgen.cli import main\n"
        "try:\n"
        f"    main([ 'build', {str(lectures)!r}, '-o', {str(out)!r}, '-q'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "heavy = ('markdown_it', 'mdit_py_plugins', 'pygments', 'nh3', 'genanki', 'yaml',\n"
        "         'frontmatter', 'deckgen.parse', 'deckgen.cards', 'deckgen.render')\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in heavy\n"
        "                      or m in heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert done.stdout.strip() == ""
