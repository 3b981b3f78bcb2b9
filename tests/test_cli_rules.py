"""One rule for every command (README: "Exit codes and output").

Exit 0 success, 1 the command ran and found a problem (a lecture error, stale packages,
an unreadable package, a plan that cannot be made), 2 a usage error (bad option, a path
that does not exist or holds no lectures). The result (summary, JSON, plan, listing) goes
to stdout; diagnostics, notices, progress and errors to stderr. ``-q`` leaves errors only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from deckgen.cli import main

GOOD = """
---
title: Good One
---
# Good One

## Key Concepts
### 1. Idempotency
- **Definition**: Repeating an operation has the same effect as doing it once.
"""
WARNED = "---\ntitle: W\nflavour: x\n---\n# W\n\n## Key Concepts\n- **Term**: a definition.\n"
BROKEN = "---\ntitle: [oops\n---\n# Bad\n"
DATES = ["--today", "2027-01-01", "--interview-date", "2027-02-01"]


def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def good(tmp_path: Path, write_lecture: Callable[..., Path]) -> Path:
    write_lecture(GOOD, "a/good.md")
    return tmp_path


@pytest.fixture
def broken(good: Path, write_lecture: Callable[..., Path]) -> Path:
    write_lecture(BROKEN, "bad.md")
    return good


COMMANDS = [
    ["build"],
    ["build", "--check"],
    ["build", "--bundle", "course.apkg"],
    ["check"],
    ["preview"],
    ["plan", *DATES],
    ["sync", "--collection", "collection.anki2"],
]


def collection_for(folder: Path, command: list[str]) -> None:
    """An empty Anki collection for ``sync`` to sync into (other commands need none)."""
    if command[0] == "sync":
        anki_collection = pytest.importorskip("anki.collection")
        anki_collection.Collection(str(folder / "collection.anki2")).close()


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_success_is_0_with_the_result_on_stdout(
    good: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    if command == ["build", "--check"]:
        assert run(good, monkeypatch, "build").exit_code == 0
    collection_for(good, command)
    result = run(good, monkeypatch, *command)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() and result.stderr == ""


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_lecture_error_is_1_with_diagnostics_on_stderr(
    broken: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    collection_for(broken, command)
    result = run(broken, monkeypatch, *command)
    assert result.exit_code == 1, result.output
    assert "bad.md:2:1: error front-matter" in result.stderr
    assert "error front-matter" not in result.stdout
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "command", [*COMMANDS, ["inspect"]], ids=lambda c: " ".join(c) if isinstance(c, list) else c
)
def test_a_missing_path_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    result = run(tmp_path, monkeypatch, *command, "nope")
    assert result.exit_code == 2, result.output
    assert "'nope' does not exist" in result.stderr and result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_folder_without_lectures_is_a_usage_error_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    (tmp_path / "lectures" / "_drafts").mkdir(parents=True)
    (tmp_path / "lectures" / "README.md").write_text("# About\n", "utf-8")
    (tmp_path / "lectures" / "_drafts" / "wip.md").write_text(GOOD, "utf-8")
    result = run(tmp_path, monkeypatch, *command)
    assert result.exit_code == 2, result.output
    assert "no lectures found under lectures" in result.stderr and result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lectures"]  # no decks/, preview/
    assert not list(tmp_path.rglob(".deckgen-cache"))


@pytest.mark.parametrize(
    "command",
    [["build", "--new-per-day", "lots"], ["check", "--format", "xml"], ["plan"], ["inspect"]],
    ids=" ".join,
)
def test_bad_options_are_usage_errors(
    good: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    result = run(good, monkeypatch, *command)
    assert result.exit_code == 2, result.output
    assert "Error:" in result.stderr and result.stdout == ""


def test_stale_decks_under_check_are_1(good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(good, monkeypatch, "build", "--check")
    assert result.exit_code == 1
    assert "out of date: missing: decks/a/good.apkg" in result.stderr
    assert "1 lectures" in result.stdout and "out of date" not in result.stdout


def test_inspect_exit_codes_and_streams(good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(good, monkeypatch, "build").exit_code == 0
    listed = run(good, monkeypatch, "inspect", "decks/a/good.apkg")
    assert listed.exit_code == 0 and listed.stderr == ""
    assert "1 note, 1 card" in listed.stdout
    assert "  1 card    concept   What is Idempotency?" in listed.stdout  # no " ?"
    assert "Default" not in listed.stdout  # Anki's empty deck in every package
    info = json.loads(
        run(good, monkeypatch, "inspect", "decks/a/good.apkg", "--format", "json").stdout
    )
    assert [d["name"] for d in info["decks"]] == ["A::Good One"]
    assert [p["id"] for p in info["presets"]] == [info["decks"][0]["preset"]]
    ids = [info["decks"][0]["id"], *(m["id"] for m in info["note_types"])]
    assert all(type(i) is int for i in [*ids, info["notes"][0]["note_type"]])
    assert info["notes"][0]["note_type"] in ids
    (good / "junk.apkg").write_bytes(b"not a zip")
    junk = run(good, monkeypatch, "inspect", "junk.apkg")
    assert junk.exit_code == 1 and junk.stdout == ""
    assert junk.stderr.startswith("deckgen: error: junk.apkg: not a readable Anki package")


def test_a_plan_that_cannot_be_made_is_1(good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(
        good, monkeypatch, "plan", "--today", "2027-01-01", "--interview-date", "2027-01-03"
    )
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("deckgen: error: the interview on 2027-01-03")


def test_json_is_the_only_stdout(broken: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for command in (["build"], ["check"]):
        result = run(broken, monkeypatch, *command, "--format", "json")
        assert result.exit_code == 1
        assert json.loads(result.stdout)["errors"] == 1
    (broken / "lectures/bad.md").unlink()
    result = run(broken, monkeypatch, "plan", *DATES, "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["total_cards"] == 1


def test_warnings_go_to_stderr(
    good: Path, write_lecture: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_lecture(WARNED, "w.md")
    for command in (["build"], ["check"], ["preview"]):
        result = run(good, monkeypatch, *command)
        assert result.exit_code == 0, result.output
        assert "w.md:3:1: info unknown-key" in result.stderr
        assert "unknown-key" not in result.stdout


@pytest.mark.parametrize("command", [["build", *DATES], ["check"], ["preview"]], ids=lambda c: c[0])
def test_quiet_prints_errors_only(
    good: Path,
    write_lecture: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    write_lecture(WARNED, "w.md")
    result = run(good, monkeypatch, *command, "-q")
    assert result.exit_code == 0, result.output
    assert result.output == ""  # no summary, no warnings, no interview line
    write_lecture(BROKEN, "bad.md")
    result = run(good, monkeypatch, *command, "-q")
    assert result.exit_code == 1 and result.stdout == ""
    assert [line.split(": error ")[0] for line in result.stderr.splitlines()] == [
        "lectures/bad.md:2:1"
    ]


def test_bundle_refuses_an_explicit_out(good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(good, monkeypatch, "build", "--bundle", "course.apkg", "-o", "decks")
    assert result.exit_code == 2
    assert "either --bundle or -o/--out" in result.stderr
    assert sorted(p.name for p in good.iterdir()) == ["lectures"]


def test_bundle_lock_goes_beside_the_bundle(good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (good / "out").mkdir()
    result = run(good, monkeypatch, "build", "--bundle", "out/course.apkg")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (good / "out").iterdir()) == [
        ".deckgen-cache",
        "course.apkg",
        "deckgen.lock",
    ]
    assert (good / "out/.deckgen-cache/.gitignore").is_file()  # git ignores the cache
    assert not (good / "decks").exists()


def test_progress_names_lectures_by_their_path_under_the_root(
    tmp_path: Path, write_lecture: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    from deckgen.build import BuildOptions, build
    from deckgen.cli import _progress_bar

    for index in range(12):
        write_lecture(GOOD, f"part{index}/index.md")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("COLUMNS", "200")
    build(
        [tmp_path / "lectures"], BuildOptions(out=tmp_path / "decks"), progress=_progress_bar("B")
    )
    shown = terminal.getvalue()
    assert "part11/index.md" in shown and "part0/index.md" in shown


def test_unknown_project_keys_are_warned_about_with_a_suggestion(
    good: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (good / "pyproject.toml").write_text(
        '[tool.deckgen]\nnew-per-dya = 5\nreviews_per_day = 50\nflavour = "x"\n', "utf-8"
    )
    result = run(good, monkeypatch, "check")
    assert result.exit_code == 0, result.output
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2, warnings  # reviews_per_day is a known key, spelled with _
    assert warnings[0].startswith(
        f"deckgen: warning: {good / 'pyproject.toml'} [tool.deckgen]: unknown key "
        "'new-per-dya' is ignored (did you mean 'new-per-day'?)"
    )
    assert "unknown key 'flavour' is ignored; known keys: new-per-day," in warnings[1]
    assert run(good, monkeypatch, "check", "-q").stderr == ""
    (good / "pyproject.toml").unlink()
    (good / "deckgen.toml").write_text("max-intervall = 30\n", "utf-8")
    result = run(good, monkeypatch, "build")
    assert f"{good / 'deckgen.toml'}: unknown key 'max-intervall'" in result.stderr
    assert "(did you mean 'max-interval'?)" in result.stderr


@pytest.mark.parametrize("value", ['"site"', '"lectures/a/good.md"', "3"])
def test_media_root_from_the_file_is_checked_like_the_flag(
    good: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    flag = run(good, monkeypatch, "build", "--media-root", value.strip('"'))
    assert flag.exit_code == 2
    (good / "deckgen.toml").write_text(f"media-root = {value}\n", "utf-8")
    result = run(good, monkeypatch, "build")
    assert result.exit_code == 2, result.output
    assert f"{good / 'deckgen.toml'}: media-root" in result.stderr
    assert sorted(p.name for p in good.iterdir()) == ["deckgen.toml", "lectures"]
    (good / "site").mkdir()
    (good / "deckgen.toml").write_text('media-root = "site"\n', "utf-8")
    assert run(good, monkeypatch, "build").exit_code == 0


REPO = Path(__file__).resolve().parents[1]


def test_the_readmes_plan_example_reproduces(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    command = "deckgen plan --today 2026-12-01 --interview-date 2027-01-05"
    assert f"`{command}`" in readme
    example = readme.split(f"`{command}`", 1)[1].split("```\n", 2)[1]
    result = run(REPO, monkeypatch, *command.split()[1:])
    assert result.exit_code == 0, result.output
    printed = result.stdout.splitlines()
    # Every line shown is printed, in order ("…" stands for the rows left out).
    position = 0
    for line in example.splitlines():
        if line == "…":
            continue
        assert line in printed[position:], (
            f"README's plan example is out of date ({line!r}); rerun `{command}` and update it"
        )
        position = printed.index(line, position) + 1


def test_plan_warns_when_reviews_exceed_the_daily_limit(
    good: Path, write_lecture: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(80):
        write_lecture(GOOD.replace("Good One", f"Lecture {index}"), f"l{index:02}.md")
    dates = ["--today", "2027-01-01", "--interview-date", "2027-01-12"]
    quiet = run(good, monkeypatch, "plan", *dates)
    assert quiet.exit_code == 0 and quiet.stderr == ""  # under the default 200/day
    result = run(good, monkeypatch, "plan", *dates, "--max-reviews", "40")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Study plan: ")
    warning = result.stderr.splitlines()
    assert warning[0].startswith("deckgen: warning: the plan expects up to ")
    assert "more than the daily review limit of 40" in warning[0]
    assert "start by 2026-12-" in warning[1] and "or move the interview to 2027-01-" in warning[1]
    assert "fewer cards: the first" in warning[2]
    # The limit defaults to the preset's, from the project file as `build` writes it.
    (good / "deckgen.toml").write_text("reviews-per-day = 40\n", "utf-8")
    assert run(good, monkeypatch, "plan", *dates).stderr == result.stderr
