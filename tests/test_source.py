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


_FRONT_MATTERS = [
    "title: T\ndescription: D",
    "title: 'Quoted: yes'\ntags: [a, b]\ndate: 2024-05-01\nn: 12\nf: 1.5e3\nok: yes\nnull_: ~",
    "id: 0x1F\nnested:\n  list:\n    - {a: 1}\n    - !!str 5\nanchor: &a x\ntext: |\n  line\n",
    'big: 123456789012345678901234567890\nempty:\nu: "\\u00e9\\t"\nwhen: 2024-05-01 10:00:00',
]


@pytest.mark.parametrize("front", _FRONT_MATTERS)
def test_libyaml_reads_front_matter_as_the_checking_loader(front: str) -> None:
    """The fast loader (libyaml) gives what the checking loader gives, or is not used."""
    from deckgen.source import _front_matter, _load_yaml

    handler, checking, fast = _front_matter()
    if fast is None:
        pytest.skip("PyYAML without libyaml")
    assert _load_yaml(front) == handler.load(front, Loader=checking)
    assert handler.load(front, Loader=fast) == handler.load(front, Loader=checking)


def test_libyaml_is_not_trusted_with_aliases(tmp_path: Path) -> None:
    path = _write(tmp_path, b"---\na: &x [1]\nb: *x\n---\n# T\n")
    with pytest.raises(LectureError, match=r"aliases \(\*x\) are not allowed"):
        read_source(path, tmp_path)


def test_front_matter_of_real_lectures_reads_alike(corpus: Path) -> None:
    from deckgen.source import _front_matter, decode

    handler, checking, fast = _front_matter()
    if fast is None:
        pytest.skip("PyYAML without libyaml")
    fronts = [
        handler.split(decode(p.read_bytes(), p.name).lstrip("\n"))[0]
        for p in sorted(corpus.rglob("*.md"))
        if handler.detect(decode(p.read_bytes(), p.name).lstrip("\n"))
    ]
    assert len(fronts) > 10
    for front in fronts:
        assert handler.load(front, Loader=fast) == handler.load(front, Loader=checking)
