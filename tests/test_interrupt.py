"""Interrupted and concurrent builds: the decks folder is never left half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

LECTURE = """\
---
title: Lecture {n}
---

# Lecture {n}

## Key Concepts
### 1. Idea {n} A
- **Definition**: The first idea of lecture {n}, {version}.
- **Key Aspects**: It is short, {version}.

### 2. Idea {n} B
- **Definition**: The second idea of lecture {n}, {version}.

## Interview Tips
- Say the first tip of lecture {n}.
- Say the second tip of lecture {n}, {version}.
"""

COUNT = 120


def _write(root: Path, version: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for n in range(COUNT):
        (root / f"{n:03d}-lecture.md").write_text(LECTURE.format(n=n, version=version), "utf-8")


def _env(tmp: Path, epoch: int) -> dict[str, str]:
    tmpdir = tmp / "tmpdir"
    tmpdir.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmpdir), "SOURCE_DATE_EPOCH": str(epoch)}


def _build(cwd: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "deckgen.cli", "build", "lectures", "-o", "decks", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _snapshot(decks: Path) -> dict[str, bytes]:
    return {
        p.relative_to(decks).as_posix(): p.read_bytes()
        for p in sorted(decks.rglob("*"))
        if p.is_file() and ".deckgen-cache" not in p.parts
    }


def _leftovers(tmp: Path) -> list[Path]:
    """Temporary files anywhere under the project or in TMPDIR."""
    return [p for p in tmp.rglob("*.tmp")] + list((tmp / "tmpdir").iterdir())


def test_sigterm_leaves_every_package_whole(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _write(project / "lectures", "first version")
    env = _env(tmp_path, 1_700_000_000)
    first = _build(project, env)
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    before = _snapshot(project / "decks")

    # The complete result of building the second version, for comparison.
    reference = tmp_path / "reference"
    _write(reference / "lectures", "second version")
    (reference / "decks").mkdir()
    (reference / "decks" / "deckgen.lock").write_bytes(before["deckgen.lock"])
    env2 = _env(tmp_path, 1_700_100_000)
    ref = _build(reference, env2)
    assert ref.wait(timeout=300) == 0
    after = _snapshot(reference / "decks")

    _write(project / "lectures", "second version")
    proc = _build(project, env2)
    # Interrupt while packages are being written (their temporary files exist).
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list((project / "decks").glob(".*.tmp"))) >= 3:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=60)
    _, stderr = proc.communicate()
    assert code == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    # Not one file changed: the new packages and lock go in together or not at all.
    assert _snapshot(project / "decks") == before
    assert not _leftovers(tmp_path)
    # The next build completes the job and reaches exactly the reference result.
    again = _build(project, env2)
    assert again.wait(timeout=300) == 0
    assert _snapshot(project / "decks") == after


def test_two_builds_at_once_do_not_corrupt_the_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _write(project / "lectures", "only version")
    env = _env(tmp_path, 1_700_000_000)
    one, two = _build(project, env), _build(project, env)
    assert one.wait(timeout=300) == 0 and two.wait(timeout=300) == 0
    together = _snapshot(project / "decks")

    alone = tmp_path / "alone"
    _write(alone / "lectures", "only version")
    single = _build(alone, env)
    assert single.wait(timeout=300) == 0
    assert together == _snapshot(alone / "decks")
    assert len([n for n in together if n.endswith(".apkg")]) == COUNT
    assert not _leftovers(tmp_path)
