"""deckgen as an installed tool: entry points, version, console encodings, optional extras."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from deckgen import __version__
from deckgen.cli import main


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="strict",
        env={**os.environ, **env},
        timeout=120,
    )


def test_python_dash_m_deckgen_prints_the_version() -> None:
    result = _run([sys.executable, "-m", "deckgen", "--version"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"deckgen, version {__version__}\n"


def test_python_dash_m_deckgen_is_the_cli() -> None:
    result = _run([sys.executable, "-m", "deckgen", "--help"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: deckgen [OPTIONS] COMMAND")


def test_dash_capital_v_prints_the_version() -> None:
    for flag in ("-V", "--version"):
        result = CliRunner().invoke(main, [flag])
        assert result.exit_code == 0, result.output
        assert result.output == f"deckgen, version {__version__}\n"


def test_installed_metadata_has_the_package_version() -> None:
    """pyproject.toml takes the version from deckgen.__version__ (one place to change it)."""
    assert importlib.metadata.version("deckgen") == __version__
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    if pyproject.is_file():
        assert "\nversion =" not in pyproject.read_text("utf-8").split("[tool.")[0]


LECTURE = """
---
title: Caching → Speed
---
# Caching → Speed

## Key Concepts
### 1. Write-through → Write-back
- **Definition**: Writes go to the cache — and later to the store (≈ fewer writes).
"""


def test_a_console_that_cannot_encode_the_output_gets_escapes_not_a_traceback(
    tmp_path: Path, write_lecture
) -> None:
    write_lecture(LECTURE, "caching.md")
    args = [sys.executable, "-m", "deckgen", "build", "lectures", "-o", "decks"]
    result = subprocess.run(
        args, cwd=tmp_path, capture_output=True, env={**os.environ, "PYTHONIOENCODING": "cp1252"}
    )
    stdout, stderr = result.stdout.decode("cp1252"), result.stderr.decode("cp1252")
    assert result.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "1 lectures \\u2192 1 packages (1 written, 0 unchanged)" in stdout
    assert (tmp_path / "decks/caching.apkg").is_file()


def test_json_output_on_a_cp1252_console_is_still_json(tmp_path: Path, write_lecture) -> None:
    write_lecture(LECTURE, "caching.md")
    deckgen = [sys.executable, "-m", "deckgen"]
    built = subprocess.run([*deckgen, "build", "-q"], cwd=tmp_path, capture_output=True)
    assert built.returncode == 0, built.stderr
    args = [*deckgen, "inspect", "decks/caching.apkg", "--format", "json"]
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    result = subprocess.run(args, cwd=tmp_path, capture_output=True, env=env)
    assert result.returncode == 0, result.stderr
    assert b"\\u2192" in result.stdout
    info = json.loads(result.stdout.decode("cp1252"))
    assert info["decks"][0]["name"] == "Caching → Speed"


WITHOUT_MATPLOTLIB = "import sys; sys.modules['matplotlib'] = None; "  # as if not installed


def test_plan_chart_without_matplotlib_names_the_extra(tmp_path: Path, write_lecture) -> None:
    write_lecture(LECTURE, "caching.md")
    code = WITHOUT_MATPLOTLIB + "from deckgen.cli import main; main(prog_name='deckgen')"
    args = ["plan", "--today", "2026-12-01", "--interview-date", "2027-01-05"]
    result = subprocess.run(
        [sys.executable, "-c", code, *args, "--chart", "plan.png"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr == (
        "deckgen: error: --chart needs matplotlib, which is not installed; "
        "install it with: pip install 'deckgen[chart]'\n"
    )
    assert result.stdout == ""
    assert not (tmp_path / "plan.png").exists()
    # The plan itself needs no extra.
    plain = subprocess.run([sys.executable, "-c", code, *args], cwd=tmp_path, capture_output=True)
    assert plain.returncode == 0, plain.stderr


def test_plan_chart_function_without_matplotlib_names_the_extra(tmp_path: Path) -> None:
    code = WITHOUT_MATPLOTLIB + (
        "import datetime; from deckgen.plan import PlanSettings, make_plan, plan_chart; "
        "day = datetime.date(2026, 12, 1); "
        "s = PlanSettings(today=day, interview=day + datetime.timedelta(days=30)); "
        f"plan_chart(make_plan([('A', 10)], s), {str(tmp_path / 'plan.svg')!r})"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: drawing a chart needs matplotlib")
    assert last.endswith("install it with: pip install 'deckgen[chart]'")
    assert not (tmp_path / "plan.svg").exists()


REPO = Path(__file__).resolve().parents[1]
_SOURCE = [
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "MANIFEST.in",
    "src",
    "tests",
    "lectures",
    "decks",
]
_JUNK = ("__pycache__", "*.pyc", "*.egg-info", ".deckgen-cache", ".hypothesis", ".pytest_cache")


def _project_files(folder: str) -> set[str]:
    """Files under ``folder`` of the checkout, as the sdist should hold them."""
    return {
        p.relative_to(REPO).as_posix()
        for p in (REPO / folder).rglob("*")
        if p.is_file()
        and not any(part in ("__pycache__", ".deckgen-cache") for part in p.parts)
        and p.suffix != ".pyc"
    }


def test_sdist_ships_the_tests_and_what_they_read_and_the_wheel_is_typed(tmp_path: Path) -> None:
    """``python -m build``: the sdist can run the suite; the wheel has py.typed and LICENSE."""
    if not (REPO / "pyproject.toml").is_file() or not (REPO / "MANIFEST.in").is_file():
        pytest.skip("not run from a source tree")
    pytest.importorskip("build")
    work = tmp_path / "src-tree"  # a copy: the build leaves build/ and *.egg-info behind
    work.mkdir()
    for name in _SOURCE:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, work / name, ignore=shutil.ignore_patterns(*_JUNK))
        else:
            shutil.copy2(REPO / name, work / name)
    dist = tmp_path / "dist"
    result = _run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(work)]
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    top = f"deckgen-{__version__}"
    with tarfile.open(dist / f"{top}.tar.gz") as sdist:
        members = {m.name.removeprefix(f"{top}/") for m in sdist.getmembers() if m.isfile()}
    expected = {"LICENSE", "README.md", "pyproject.toml", "src/deckgen/py.typed"}
    expected |= {"tests/conftest.py", "tests/ankicol.py", "lectures/behavioral/01-star-method.md"}
    expected |= _project_files("tests") | _project_files("lectures") | _project_files("decks")
    assert expected <= members, sorted(expected - members)
    assert not [m for m in members if "__pycache__" in m or ".deckgen-cache" in m]

    with zipfile.ZipFile(dist / f"deckgen-{__version__}-py3-none-any.whl") as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"deckgen-{__version__}.dist-info/METADATA").decode()
    assert {"deckgen/py.typed", "deckgen/__main__.py"} <= names
    assert f"deckgen-{__version__}.dist-info/licenses/LICENSE" in names
    assert not [n for n in names if n.startswith(("tests/", "lectures/", "decks/"))]
    assert f"\nVersion: {__version__}\n" in metadata
    assert "\nLicense-Expression: MIT\n" in metadata
    assert '\nRequires-Dist: matplotlib>=3.8; extra == "chart"\n' in metadata
    assert "\nRequires-Dist: matplotlib>=3.8\n" not in metadata  # not for every user


def _deckgen_script() -> Path:
    script = Path(sys.executable).parent / "deckgen"
    if not script.is_file():
        pytest.skip("the deckgen console script is not installed beside this Python")
    return script


def test_shell_completion_script_for_bash_zsh_and_fish() -> None:
    script = str(_deckgen_script())
    bash = _run([script], _DECKGEN_COMPLETE="bash_source")
    assert bash.returncode == 0, bash.stderr
    assert "_deckgen_completion()" in bash.stdout
    assert "complete -o nosort -F _deckgen_completion deckgen" in bash.stdout
    zsh = _run([script], _DECKGEN_COMPLETE="zsh_source")
    assert zsh.stdout.startswith("#compdef deckgen")
    fish = _run([script], _DECKGEN_COMPLETE="fish_source")
    assert "complete --no-files --command deckgen" in fish.stdout


def test_shell_completion_completes_commands_and_options() -> None:
    for deckgen in ([str(_deckgen_script())], [sys.executable, "-m", "deckgen"]):
        commands = _run(
            deckgen, _DECKGEN_COMPLETE="bash_complete", COMP_WORDS="deckgen p", COMP_CWORD="1"
        )
        assert commands.stdout.split() == ["plain,plan", "plain,preview"], commands.stderr
        options = _run(
            deckgen,
            _DECKGEN_COMPLETE="bash_complete",
            COMP_WORDS="deckgen plan --ch",
            COMP_CWORD="2",
        )
        assert options.stdout.split() == ["plain,--chart"], options.stderr
