"""deckgen as an installed tool: entry points, version, console encodings, optional extras."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

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
