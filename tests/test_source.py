"""Read stage: front matter, body line offsets and clear read errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckgen.source import LectureError, read_source


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "l.md"
    path.write_bytes(data)
    return path


def test_front_matter_and_body_offset(tmp_path: Path) -> None:
    path = _write(tmp_path, b"\n---\ntitle: T\ndescription: D\n---\n\n# T\n")
    src = read_source(path, tmp_path)
    assert src.meta == {"title": "T", "description": "D"}
    # "# T" is file line 7; the body starts after the closing '---' (line 5).
    assert src.body.split("\n").index("# T") + src.body_offset + 1 == 7


def test_no_front_matter(tmp_path: Path) -> None:
    src = read_source(_write(tmp_path, b"# Only a title\n"), tmp_path)
    assert src.meta == {} and src.body_offset == 0


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, b"---\ntitle: ok\ndescription: [unclosed\nother: x\n---\n# T\n")
    with pytest.raises(LectureError) as info:
        read_source(path, tmp_path)
    assert info.value.path.endswith("l.md")
    assert 3 <= info.value.line <= 5
    assert "front matter" in info.value.message


def test_latin1_bytes_name_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "# T\n\nok line\ncaf\u00e9\n".encode("latin-1"))
    with pytest.raises(LectureError) as info:
        read_source(path, tmp_path)
    assert info.value.line == 4 and "UTF-8" in info.value.message


def test_nul_bytes_are_binary(tmp_path: Path) -> None:
    with pytest.raises(LectureError) as info:
        read_source(_write(tmp_path, b"# T\n\x00\x01\x02"), tmp_path)
    assert info.value.code == "binary" and info.value.line == 2


def test_front_matter_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(LectureError):
        read_source(_write(tmp_path, b"---\n- a\n- b\n---\n# T\n"), tmp_path)
