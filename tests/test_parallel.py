"""Worker processes change nothing: every package and the lock are the same bytes for
any number of jobs, and the same as building the whole course as one batch."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS

EPOCH = 1_700_000_000
LATER = EPOCH + 86_400


def _build(source: Path, out: Path, epoch: int, *args: str, check: bool = True) -> int:
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    return subprocess.run(
        [sys.executable, "-m", "deckgen.cli", "build", str(source), "-o", str(out), "-q", *args],
        check=check,
        env=env,
        cwd=source.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ).returncode


def _digests(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and (p.suffix == ".apkg" or p.name == "deckgen.lock")
    }


def _drop_every_third_bullet(root: Path) -> None:
    for path in sorted(root.rglob("*.md")):
        lines = path.read_text(encoding="utf-8").split("\n")
        kept = [line for i, line in enumerate(lines) if not (line.startswith("- ") and i % 3 == 0)]
        path.write_text("\n".join(kept), encoding="utf-8")


def test_one_job_and_two_jobs_write_the_same_bytes(tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    source = tmp_path / "corpus"
    shutil.copytree(CORPUS, source)
    one, two = tmp_path / "one", tmp_path / "two"
    _build(source, one, EPOCH, "-j", "1")
    _build(source, two, EPOCH, "-j", "2")
    first = _digests(one)
    assert len(first) > 20 and "deckgen.lock" in first
    assert first == _digests(two)
    # A rebuild after edits: removed items, renumbered clozes, old packages read back.
    _drop_every_third_bullet(source)
    _build(source, one, LATER, "-j", "1")
    _build(source, two, LATER, "-j", "2")
    edited = _digests(one)
    assert edited != first
    assert edited == _digests(two)


LECTURE = """\
---
title: Shared {n}
id: shared
---

# Shared {n}

## Key Concepts
### 1. Idea
- **Definition**: The idea, as lecture {n} tells it ({version}).

## Interview Tips
- Say the first tip of lecture {n} ({version}).
"""


def _lectures(root: Path, version: str) -> None:
    (root / "sub").mkdir(parents=True, exist_ok=True)
    for n in range(3):
        (root / "sub" / f"{n}-shared.md").write_text(LECTURE.format(n=n, version=version), "utf-8")
    own = LECTURE.format(n=3, version=version).replace("id: shared", "id: own")
    (root / "3-own.md").write_text(own, "utf-8")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_lectures_sharing_an_id_are_errors_for_any_jobs(tmp_path: Path, jobs: str) -> None:
    """Lectures with one ``id`` would share note keys: each is an error, known only once
    every lecture is built, so a package already staged for one is unstaged again (with
    the folder made for it). The build writes what building the course as one batch
    writes: the other lectures' packages and lock rows, and no temporary file."""
    streamed, batch = tmp_path / "streamed", tmp_path / "batch"
    for project in (streamed, batch):
        _lectures(project / "lectures", "first")
        assert _build(project / "lectures", project / "decks", EPOCH, "-j", jobs, check=False) == 1
        _lectures(project / "lectures", "second")
    assert _build(streamed / "lectures", streamed / "decks", LATER, "-j", jobs, check=False) == 1
    code = (
        "import sys; from pathlib import Path; from deckgen.build import BuildOptions, _build; "
        "_build([Path('lectures')], BuildOptions(out=Path('decks')), None, hold=True)"
    )
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(LATER)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=batch)
    written = _digests(streamed / "decks")
    assert sorted(written) == ["3-own.apkg", "deckgen.lock"]
    assert written == _digests(batch / "decks")
    assert not (streamed / "decks" / "sub").exists()
    assert not [p for p in (streamed / "decks").rglob("*") if p.name.endswith(".tmp")]
    lock = (streamed / "decks" / "deckgen.lock").read_text("utf-8")
    assert "\tshared|" not in lock and "\town|" in lock
