"""Golden digests: the packages and the lock a build writes, byte for byte.

Each scenario builds into a temporary folder with a fixed ``SOURCE_DATE_EPOCH`` and
compares the sha256 of every written package and of the lock with
``tests/golden/<scenario>.json``. A refactoring must leave them unchanged; a change
that alters cards on purpose regenerates them with

    DECKGEN_UPDATE_GOLDEN=1 ./dev test tests/test_golden.py

and the diff of ``tests/golden/`` shows which packages changed. Every build runs in a
fresh process, as ``deckgen build`` does, so no state of an earlier build in the test
process (genanki fills defaults into the cached note types as it writes) can leak in.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, LECTURES

GOLDEN = Path(__file__).parent / "golden"
EPOCH = 1_700_000_000
LATER = EPOCH + 86_400
UPDATE = os.environ.get("DECKGEN_UPDATE_GOLDEN") == "1"


def _build(
    epoch: int, source: Path, *, out: Path | None = None, bundle: Path | None = None
) -> None:
    """``build([source], BuildOptions(...))`` in a fresh process at ``epoch``."""
    code = (
        "import sys; from pathlib import Path; from deckgen.build import BuildOptions, build; "
        "out, bundle = sys.argv[2], sys.argv[3]; "
        "build([Path(sys.argv[1])], BuildOptions(out=Path(out or 'decks'), "
        "bundle=Path(bundle) if bundle else None))"
    )
    args = [sys.executable, "-c", code, str(source), str(out or ""), str(bundle or "")]
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    subprocess.run(args, check=True, env=env, cwd=source.parent)


def _digests(out: Path) -> dict[str, str]:
    """sha256 of every package and the lock under ``out`` (the cache is not output)."""
    found = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and (path.suffix == ".apkg" or path.name == "deckgen.lock"):
            rel = path.relative_to(out).as_posix()
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _compare(name: str, digests: dict[str, str]) -> None:
    golden = GOLDEN / f"{name}.json"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return
    if not golden.is_file():
        pytest.fail(f"{golden} is missing: run DECKGEN_UPDATE_GOLDEN=1 ./dev test {__file__}")
    assert digests == json.loads(golden.read_text(encoding="utf-8"))


def _drop_every_third_bullet(root: Path) -> None:
    """A deterministic edit: items leave lectures (removed notes, retired cloze numbers)."""
    for path in sorted(root.rglob("*.md")):
        lines = path.read_text(encoding="utf-8").split("\n")
        kept, bullets = [], 0
        for line in lines:
            if re.match(r"^- \S", line):
                bullets += 1
                if bullets % 3 == 0:
                    continue
            kept.append(line)
        path.write_text("\n".join(kept), encoding="utf-8")


def _source(name: str) -> Path:
    source = {"lectures": LECTURES, "corpus": CORPUS}[name]
    if not source.is_dir():
        pytest.skip(f"{source} is not present")
    return source


@pytest.mark.parametrize("name", ["lectures", "corpus"])
def test_tree_build_is_byte_identical(name: str, tmp_path: Path) -> None:
    _build(EPOCH, _source(name), out=tmp_path / "decks")
    _compare(name, _digests(tmp_path / "decks"))


@pytest.mark.parametrize("name", ["lectures", "corpus"])
def test_bundle_build_is_byte_identical(name: str, tmp_path: Path) -> None:
    _build(EPOCH, _source(name), bundle=tmp_path / "out" / "all.apkg")
    _compare(f"{name}-bundle", _digests(tmp_path / "out"))


@pytest.mark.parametrize("name", ["lectures", "corpus"])
def test_rebuild_after_edits_is_byte_identical(name: str, tmp_path: Path) -> None:
    """Items leaving lectures exercise the note history: removed notes, cloze numbers."""
    copy = tmp_path / "src"
    shutil.copytree(_source(name), copy)
    out = tmp_path / "decks"
    _build(EPOCH, copy, out=out)
    _drop_every_third_bullet(copy)
    _build(LATER, copy, out=out)
    _compare(f"{name}-edited", _digests(out))
