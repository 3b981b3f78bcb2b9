"""Issue #11: hostile inputs give one clear diagnostic, never a traceback or a hang."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deckgen.source import LectureError, read_bytes, read_source

GOOD = """\
---
title: Good Lecture
---

# Good Lecture

## Key Concepts
### 1. Idempotency
- **Definition**: Doing an operation twice has the same effect as doing it once.
"""


def run_cli(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``deckgen ARGS`` in ``cwd``, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "deckgen.cli", *args],
        cwd=cwd,
        env={**os.environ, "TMPDIR": str(cwd)},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _lecture(tmp_path: Path, data: bytes, name: str = "l.md") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- 7. YAML values Python cannot hold -------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["2024-13-45", "9" * 5000, "0000-01-01"],
    ids=["bad-date", "5000-digits", "year-zero"],
)
def test_yaml_value_error_is_a_lecture_error(tmp_path: Path, value: str) -> None:
    data = f"---\ntitle: T\ndescription: d\ndate: {value}\n---\n# T\n".encode()
    with pytest.raises(LectureError) as info:
        read_source(_lecture(tmp_path, data), tmp_path)
    assert info.value.line == 4
    assert info.value.code == "front-matter"
    assert len(info.value.message) < 200


def test_yaml_value_error_builds_the_other_lectures(tmp_path: Path) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    (lectures / "good.md").write_text(GOOD, "utf-8")
    (lectures / "bad.md").write_text("---\ntitle: Bad\ndate: 2024-13-45\n---\n# Bad\n", "utf-8")
    result = run_cli(["build", "lectures", "-o", "decks"], tmp_path)
    both = result.stdout + result.stderr
    assert result.returncode == 1, both
    assert "Traceback" not in both
    assert "lectures/bad.md:3:1: error front-matter" in both
    assert [p.name for p in (tmp_path / "decks").glob("*.apkg")] == ["good.apkg"]


# --- 8. YAML alias bombs ---------------------------------------------------------------

BOMB = """\
---
title: Bomb
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
---
# Bomb
"""


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(LectureError) as info:
        read_source(_lecture(tmp_path, BOMB.encode()), tmp_path)
    assert time.monotonic() - start < 5
    assert info.value.line == 4  # the first alias
    assert "alias" in info.value.message


def test_yaml_alias_bomb_cli(tmp_path: Path) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    (lectures / "good.md").write_text(GOOD, "utf-8")
    (lectures / "bomb.md").write_text(BOMB, "utf-8")
    result = run_cli(["check"], tmp_path, timeout=60)
    assert result.returncode == 1
    assert "lectures/bomb.md:4:1: error front-matter" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_deeply_nested_yaml_is_an_error(tmp_path: Path) -> None:
    data = b"---\ntitle: [" + b"[" * 20000 + b"]" * 20001 + b"\n---\n# T\n"
    with pytest.raises(LectureError) as info:
        read_source(_lecture(tmp_path, data), tmp_path)
    assert info.value.code == "front-matter"


# --- 21. line numbers with CR-only and CRLF line endings -------------------------------


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_encoding_error_line_with_any_line_ending(tmp_path: Path, eol: str) -> None:
    text = eol.join(["# T", "", "ok line", "caf\u00e9", ""])
    with pytest.raises(LectureError) as info:
        read_source(_lecture(tmp_path, text.encode("latin-1")), tmp_path)
    assert (info.value.code, info.value.line) == ("encoding", 4)


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_nul_byte_line_with_any_line_ending(tmp_path: Path, eol: str) -> None:
    data = eol.join(["# T", "", "ok", "\x00", ""]).encode()
    with pytest.raises(LectureError) as info:
        read_source(_lecture(tmp_path, data), tmp_path)
    assert (info.value.code, info.value.line) == ("binary", 4)


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_yaml_error_line_with_any_line_ending(tmp_path: Path, eol: str) -> None:
    text = eol.join(["", "---", "title: T", "description: d", "date: 2024-13-45", "---", "# T"])
    with pytest.raises(LectureError) as info:
        read_source(_lecture(tmp_path, text.encode()), tmp_path)
    assert info.value.line == 5


def test_yaml_error_line_ignores_unicode_line_separators(tmp_path: Path) -> None:
    # PyYAML ends lines at U+2028 too; editors and deckgen's messages do not.
    text = '---\ntitle: "a\u2028b\u2028c"\ndescription: d\ndate: 2024-13-45\n---\n# T\n'
    with pytest.raises(LectureError) as info:
        read_source(_lecture(tmp_path, text.encode()), tmp_path)
    assert info.value.line == 4


# --- 9. FIFOs, devices and other files that are not regular -------------------------------

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


@needs_fifo
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    with pytest.raises(LectureError) as info:
        read_bytes(fifo)  # opening a FIFO for reading blocks until a writer comes
    assert info.value.code == "not-a-file"
    assert "FIFO" in info.value.message
    with pytest.raises(LectureError):
        read_source(fifo, tmp_path)


def test_device_is_refused(tmp_path: Path) -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    link = tmp_path / "zero.md"
    link.symlink_to("/dev/zero")
    with pytest.raises(LectureError) as info:
        read_bytes(link)
    assert info.value.code == "not-a-file" and "device" in info.value.message


@needs_fifo
def test_fifo_in_lectures_folder_does_not_hang(tmp_path: Path) -> None:
    # build, check and preview all find lectures through build.discover.
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    (lectures / "good.md").write_text(GOOD, "utf-8")
    os.mkfifo(lectures / "pipe.md")
    try:
        result = run_cli(["check"], tmp_path, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("deckgen check hangs on a FIFO named *.md")
    both = result.stdout + result.stderr
    assert "lectures/pipe.md:1:1: error not-a-file" in both
    assert "Traceback" not in both


# --- 22. GitHub annotations from hostile file names ------------------------------------


def test_github_annotation_escapes_properties_and_message() -> None:
    from deckgen.cli import github_annotation
    from deckgen.model import Diagnostic

    diag = Diagnostic(
        "a,line=99\n::error file=x.md::pwned%.md", 3, "error", "front-matter", "bad\r\n100%: x"
    )
    line = github_annotation(diag)
    assert line == (
        "::error file=a%2Cline=99%0A%3A%3Aerror file=x.md%3A%3Apwned%25.md,line=3,col=1,"
        "title=deckgen front-matter::bad%0D%0A100%25: x"
    )
    assert "\n" not in line and line.count("::") == 2


def test_github_format_file_name_cannot_inject(tmp_path: Path) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    name = "x,line=99\n::error file=evil.md,line=1::injected.md"
    (lectures / name).write_text("---\ntitle: [a\n---\n# X\n", "utf-8")
    result = run_cli(["check", "--format", "github"], tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()  # diagnostics go to stderr; the summary to stdout
    assert len(lines) == 1, lines
    assert lines[0].startswith("::error file=lectures/x%2Cline=99%0A%3A%3Aerror file=evil.md")
    assert ",line=2,col=1,title=deckgen front-matter::" in lines[0]


# --- 14. plan dates and day counts out of range ------------------------------------------


@pytest.mark.parametrize(
    ("command", "args", "option"),
    [
        ("plan", ["--interview-date", "9999-12-31"], "--interview-date"),
        (
            "plan",
            ["--interview-date", "2030-01-01", "--ready-days", "999999999999"],
            "--ready-days",
        ),
        (
            "build",
            ["--interview-date", "2030-01-01", "--ready-days", "999999999999"],
            "--ready-days",
        ),
    ],
    ids=["plan-far-interview", "plan-ready-days", "build-ready-days"],
)
def test_out_of_range_dates_are_usage_errors(
    tmp_path: Path, command: str, args: list[str], option: str
) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    (lectures / "good.md").write_text(GOOD, "utf-8")
    result = run_cli([command, *args, "--today", "2029-01-01"], tmp_path, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"Invalid value for '{option}'" in result.stderr


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"ready_days": 10**12}, "ready_days must be at most"),
        ({"interview": "9999-12-31"}, "plans cover at most"),
        ({"today": "0001-01-01", "interview": "0001-01-03"}, "before year 1"),
        ({"learning_steps": (1e15,)}, "learning steps must be at most"),
    ],
)
def test_plan_library_bounds(changes: dict[str, object], words: str) -> None:
    from datetime import date

    from deckgen.plan import PlanError, PlanSettings, make_plan

    values: dict[str, object] = {"today": date(2029, 1, 1), "interview": date(2029, 3, 1)}
    values.update(changes)
    for key in ("today", "interview"):
        if isinstance(values[key], str):
            values[key] = date.fromisoformat(str(values[key]))
    with pytest.raises(PlanError, match=words):
        make_plan([("L", 10)], PlanSettings(**values))  # type: ignore[arg-type]


# --- 13. hostile packages: inspect and build --check ----------------------------------


def _built_package(tmp_path: Path) -> Path:
    from deckgen.build import BuildOptions, build

    lectures = tmp_path / "lectures"
    lectures.mkdir(exist_ok=True)
    (lectures / "good.md").write_text(GOOD, "utf-8")
    build([lectures], BuildOptions(out=tmp_path / "decks"))
    return tmp_path / "decks" / "good.apkg"


def _rewrite(apkg: Path, sql: str = "", members: dict[str, bytes] | None = None) -> None:
    """Run ``sql`` on the package's collection and replace or add zip ``members``."""
    import sqlite3
    import zipfile

    with zipfile.ZipFile(apkg) as zf:
        contents = {name: zf.read(name) for name in zf.namelist()}
    name = next(n for n in ("collection.anki21", "collection.anki2") if n in contents)
    if sql:
        conn = sqlite3.connect(":memory:")
        conn.deserialize(contents[name])
        conn.executescript(sql)
        contents[name] = conn.serialize()
        conn.close()
    contents.update(members or {})
    with zipfile.ZipFile(apkg, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in contents.items():
            zf.writestr(member, data)


def _flip_a_bit(apkg: Path) -> None:
    import zipfile

    with zipfile.ZipFile(apkg) as zf:
        info = next(i for i in zf.infolist() if i.filename.startswith("collection"))
    data = bytearray(apkg.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0x10
    apkg.write_bytes(bytes(data))


# The table without its NOT NULL constraints (CREATE TABLE … AS keeps none).
_LOOSE = "CREATE TABLE loose AS SELECT * FROM {t}; DROP TABLE {t}; ALTER TABLE loose RENAME TO {t};"

RECURSIVE_NOTES = """
ALTER TABLE notes RENAME TO notes_real;
CREATE VIEW notes AS
  WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r)
  SELECT x AS id, 'g' || x AS guid, 1 AS mid, 1 AS mod, '' AS tags, 'f' AS flds FROM r;
"""

HOSTILE_PACKAGES = {
    "bad-json": lambda p: _rewrite(p, "UPDATE col SET decks = '{not json'"),
    "deck-list": lambda p: _rewrite(p, "UPDATE col SET models = '[1, 2]'"),
    "null-tags": lambda p: _rewrite(p, _LOOSE.format(t="notes") + "UPDATE notes SET tags = NULL"),
    "null-due": lambda p: _rewrite(p, _LOOSE.format(t="cards") + "UPDATE cards SET due = NULL"),
    "text-mid": lambda p: _rewrite(p, "UPDATE notes SET mid = 'x'"),
    "bit-flip": _flip_a_bit,
    "media-not-json": lambda p: _rewrite(p, members={"media": b"\xff\xfe"}),
    "media-name-bomb": lambda p: _rewrite(
        p, members={"media": b'{"0": "' + b"a" * 100_000 + b'"}'}
    ),
    "media-missing-member": lambda p: _rewrite(p, members={"media": b'{"7": "x.png"}'}),
    "no-collection": lambda p: p.write_bytes(b"PK\x05\x06" + b"\x00" * 18),
    "not-sqlite": lambda p: _rewrite(p, members={"collection.anki2": b"hello" * 100}),
}


@pytest.mark.parametrize("damage", list(HOSTILE_PACKAGES))
def test_inspect_hostile_package_is_one_line(tmp_path: Path, damage: str) -> None:
    from click.testing import CliRunner

    from deckgen.cli import main

    apkg = _built_package(tmp_path)
    HOSTILE_PACKAGES[damage](apkg)
    for fmt in ("table", "json"):
        result = CliRunner().invoke(main, ["inspect", str(apkg), "--format", fmt])
        assert isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 1, result.output
        lines = result.output.splitlines()
        assert len(lines) == 1 and lines[0].startswith("deckgen: error: "), result.output
        assert len(lines[0]) < 400


def test_inspect_shows_terminal_controls_as_escapes(tmp_path: Path) -> None:
    """A package's text goes to the terminal as text: escape sequences (ESC, CSI) and
    bidirectional overrides are shown escaped, in either format."""
    import json

    from click.testing import CliRunner

    from deckgen.cli import main

    apkg = _built_package(tmp_path)
    evil = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e"
    escaped = json.dumps(evil)[1:-1]  # as the deck's name is stored in the col's JSON
    _rewrite(
        apkg,
        f"UPDATE notes SET flds = '{evil}' || flds, tags = ' deckgen::{evil} ';"
        f'UPDATE col SET decks = replace(decks, \'"name": "\', \'"name": "{escaped}\');',
        members={"media": json.dumps({"0": f"{evil}.png"}).encode(), "0": b"x"},
    )
    for fmt in ("table", "json"):
        result = CliRunner().invoke(main, ["inspect", str(apkg), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", result.output), fmt
        assert "pwned" in result.output
    table = CliRunner().invoke(main, ["inspect", str(apkg)]).output
    assert "\\x1b]0;pwned\\x07" in table and "\\u202e" in table
    shown = json.loads(CliRunner().invoke(main, ["inspect", str(apkg), "--format", "json"]).output)
    assert shown["media"] == [f"{evil}.png"]  # the JSON itself is unchanged


@pytest.mark.parametrize("damage", list(HOSTILE_PACKAGES))
def test_build_over_hostile_package(tmp_path: Path, damage: str) -> None:
    apkg = _built_package(tmp_path)
    HOSTILE_PACKAGES[damage](apkg)
    check = run_cli(["build", "--check"], tmp_path)
    assert check.returncode == 1
    assert "Traceback" not in check.stderr
    assert "stale: decks/good.apkg" in check.stderr
    rebuilt = run_cli(["build"], tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert run_cli(["inspect", "decks/good.apkg"], tmp_path).returncode == 0


def test_recursive_view_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from deckgen import inspect_apkg

    apkg = _built_package(tmp_path)
    _rewrite(apkg, RECURSIVE_NOTES)
    monkeypatch.setattr(inspect_apkg, "QUERY_SECONDS", 1.0)
    start = time.monotonic()
    with pytest.raises(inspect_apkg.PackageReadError, match="took over 1 s"):
        inspect_apkg.describe(apkg)  # ORDER BY id: sorts a view that never ends
    monkeypatch.setattr(inspect_apkg, "MAX_ROWS", 1000)  # read_notes does not sort: rows capped
    assert inspect_apkg.read_notes(apkg) == {}
    assert time.monotonic() - start < 10


def test_zip_bomb_is_refused_from_its_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    from deckgen import inspect_apkg

    apkg = tmp_path / "bomb.apkg"
    with zipfile.ZipFile(apkg, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("collection.anki2", "w") as fh:
            for _ in range(64):
                fh.write(bytes(1024 * 1024))
        with zf.open("0", "w") as fh:
            for _ in range(64):
                fh.write(bytes(1024 * 1024))
        zf.writestr("media", b'{"0": "big.png"}')
    assert apkg.stat().st_size < 1024 * 1024
    monkeypatch.setattr(inspect_apkg, "MAX_COLLECTION_BYTES", 16 * 1024 * 1024)
    with pytest.raises(inspect_apkg.PackageReadError, match="unpacks to 67108864 bytes"):
        inspect_apkg.describe(apkg)
    with pytest.raises(inspect_apkg.PackageReadError, match="unpacks to 67108864 bytes"):
        inspect_apkg.content_signature(apkg.read_bytes())

    good = _built_package(tmp_path)
    with zipfile.ZipFile(good, "a") as zf, zf.open("9", "w") as fh:
        for _ in range(64):
            fh.write(bytes(1024 * 1024))
    _rewrite(good, members={"media": b'{"9": "big.png"}'})
    monkeypatch.setattr(inspect_apkg, "MAX_MEDIA_TOTAL_BYTES", 16 * 1024 * 1024)
    with pytest.raises(inspect_apkg.PackageReadError, match="media unpacks to more than"):
        inspect_apkg.content_signature(good)


@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_inspect_refuses_special_files(tmp_path: Path, special: str) -> None:
    if special == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        target = tmp_path / "pipe.apkg"
        os.mkfifo(target)
    elif not os.path.exists(special):
        pytest.skip(f"no {special}")
    else:
        target = Path(special)
    try:
        result = run_cli(["inspect", str(target)], tmp_path, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"deckgen inspect hangs on {special}")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"deckgen: error: {target}: not a readable Anki package: "
        "not a regular file (a FIFO, device or folder)"
    ]


# --- 11. cloze syntax in lecture text stays text ---------------------------------------

ANKI_LECTURE = """\
---
title: Anki For Engineers
---

# Anki For Engineers

## Key Concepts
### 1. Cloze Deletion
- **Definition**: Anki hides text written as {{c1::answer}} on the front of a card.
- **{{c7::label}}**: A label written as a cloze, with `{{c8::code}}` beside it.
- **Syntax**: `{{c1::text::hint}}` shows the hint in place of the text.

## Interview Tips
- Write {{c9::hidden}} in a field to make a cloze; {{c5::x::a hint}} adds a hint.
- In LaTeX, $x^{{c6::2}}$ is fine.
"""


def test_cloze_syntax_in_lectures_is_shown_literally_in_anki(tmp_path: Path) -> None:
    import re

    from ankicol import card_text, import_apkg, open_collection
    from deckgen.build import BuildOptions, build

    lectures = tmp_path / "lectures"
    lectures.mkdir()
    (lectures / "anki.md").write_text(ANKI_LECTURE, "utf-8")
    report = build([lectures], BuildOptions(out=tmp_path / "decks"))
    assert report.errors == 0 and len(report.packages) == 1
    col = open_collection(tmp_path / "col")
    import_apkg(col, report.packages[0])
    cards = [col.get_card(cid) for cid in col.find_cards("")]
    assert len(cards) == report.cards  # Anki made exactly deckgen's cards, no more
    numbers: set[int] = set()
    shown = ""
    for card in cards:
        note = card.note()
        for field in note.fields:  # deckgen's own clozes are the only ones in the fields
            for number in re.findall(r"\{\{c(\d+)::", field):
                numbers.add(int(number))
        if note.note_type()["type"] == 1:  # a cloze note type: the card is cloze ord + 1
            numbers.add(card.ord + 1)
        shown += card_text(card.question()) + " " + card_text(card.answer()) + " "
    assert not numbers & {5, 6, 7, 8, 9}, numbers
    for literal in (
        "{{c7::label}}",
        "{{c8::code}}",
        "{{c1::text::hint}}",
        "{{c9::hidden}}",
        "{{c5::x::a hint}}",
        "{{c1::answer}}",
        "x^{{c6::2}}",
    ):
        assert literal in shown, literal
    col.close()


# --- 10. lecture file names that are not UTF-8 -----------------------------------------

needs_bytes_names = pytest.mark.skipif(
    sys.platform != "linux", reason="file names are arbitrary bytes on Linux only"
)


@needs_bytes_names
def test_non_utf8_file_name_is_a_lecture_error(tmp_path: Path) -> None:
    path = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), b"caf\xe9.md")))
    path.write_text(GOOD, "utf-8")
    with pytest.raises(LectureError) as info:
        read_source(path, tmp_path)
    assert info.value.code == "file-name"
    assert info.value.path.endswith("caf\ufffd.md")
    str(info.value).encode("utf-8")  # printable as it is


@needs_bytes_names
def test_non_utf8_file_name_does_not_abort_the_build(tmp_path: Path) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    (lectures / "good.md").write_text(GOOD, "utf-8")
    (Path(os.fsdecode(os.path.join(os.fsencode(lectures), b"caf\xe9.md")))).write_text(
        GOOD.replace("Good Lecture", "Cafe"), "utf-8"
    )
    result = run_cli(["build", "lectures", "-o", "decks"], tmp_path)
    assert "Traceback" not in result.stderr, result.stderr[-500:]
    assert (tmp_path / "decks" / "good.apkg").is_file()


def test_lecture_of_too_many_items_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    """Thousands of list items would be parsed, drafted and compared for minutes (#12)."""
    from deckgen.source import MAX_LECTURE_ITEMS, LectureError, read_source

    path = tmp_path / "glossary.md"
    items = "".join(f"- **Term {i}**: what term {i} means.\n" for i in range(MAX_LECTURE_ITEMS))
    path.write_text("# Glossary\n\n" + items, "utf-8")
    with pytest.raises(LectureError) as caught:
        read_source(path, tmp_path)
    assert caught.value.code == "too-large"
    assert f"{MAX_LECTURE_ITEMS + 1} list items and headings" in caught.value.message
    path.write_text(items, "utf-8")
    assert read_source(path, tmp_path).body == items  # (at the limit: read as usual)
