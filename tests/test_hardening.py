"""Issue #11: hostile inputs give one clear diagnostic, never a traceback or a hang."""

from __future__ import annotations

import os
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
    assert "lectures/bomb.md:4:1: error front-matter" in result.stdout
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
@pytest.mark.xfail(
    strict=True,
    reason="discovery (build.front_matter_order) opens every *.md to read `order:`; "
    "needs a regular-file check in build.py",
)
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
    lines = result.stdout.splitlines()
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
