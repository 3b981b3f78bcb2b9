"""Shared fixtures: the example lectures, the shared corpus, and small lecture writers."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from deckgen.model import Lecture
from deckgen.parse import parse_lecture
from deckgen.source import read_source

REPO = Path(__file__).resolve().parents[1]
LECTURES = REPO / "lectures"
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture
def corpus() -> Path:
    """The shared real-lecture corpus; tests using it skip when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    return CORPUS


@pytest.fixture
def write_lecture(tmp_path: Path) -> Callable[..., Path]:
    """Write a dedented lecture under ``tmp_path/lectures`` and return its path."""

    def write(text: str, name: str = "lecture.md") -> Path:
        path = tmp_path / "lectures" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def parse_text(write_lecture: Callable[..., Path], tmp_path: Path) -> Callable[[str], Lecture]:
    """Parse a lecture given as text."""

    def parse(text: str) -> Lecture:
        path = write_lecture(text)
        return parse_lecture(read_source(path, tmp_path / "lectures"))

    return parse
