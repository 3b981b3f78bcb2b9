"""The diagnostics registry: the source uses only registered codes, the README lists them."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from click.testing import CliRunner

from conftest import REPO
from deckgen.cli import main
from deckgen.diagnostics import RULES
from deckgen.source import LectureError

SOURCE = REPO / "src" / "deckgen"
# Where a code is handed on rather than chosen: (file, the code expression).
PASS_THROUGH = {
    ("pipeline.py", "exc.code"),
    ("parallel.py", "exc.code"),
    ("cli.py", "d.code"),
    ("parse.py", "code"),
    ("smells.py", "SMELL_CODES[smell]"),
}
_DEFAULT = inspect.signature(LectureError).parameters["code"].default


def _argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _codes_in_source() -> list[tuple[str, int, str, str | None]]:
    """Every diagnostic code the source creates: (file, line, code, severity or None)."""
    found = []
    for path in sorted(SOURCE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if any(k.arg is None for k in node.keywords):
                continue  # Diagnostic(**data): one read back from the build cache
            if name == "Diagnostic":
                code, severity = _argument(node, 3, "code"), _argument(node, 2, "severity")
            elif name == "LectureError":
                code = _argument(node, 3, "code") or ast.Constant(_DEFAULT)
                severity = ast.Constant("error")
            elif name == "warn" and isinstance(func, ast.Attribute):  # parse's ctx.warn
                code, severity = _argument(node, 1, "code"), ast.Constant("warning")
            else:
                continue
            assert code is not None, f"{path.name}:{node.lineno}: a diagnostic without a code"
            if not isinstance(code, ast.Constant):
                assert (path.name, ast.unparse(code)) in PASS_THROUGH, (
                    f"{path.name}:{node.lineno}: code {ast.unparse(code)} is not a literal"
                )
                continue
            level = str(severity.value) if isinstance(severity, ast.Constant) else None
            found.append((path.name, node.lineno, str(code.value), level))
    return found


def test_every_code_in_the_source_is_registered_with_its_severity() -> None:
    found = _codes_in_source()
    assert len(found) > 10
    for file, line, code, severity in found:
        assert code in RULES, f"{file}:{line}: diagnostic code {code!r} is not in diagnostics.RULES"
        if severity is not None:
            assert severity == RULES[code].severity, f"{file}:{line}: {code} is {severity}"


def test_every_registered_code_is_used() -> None:
    from deckgen.smells import SMELL_CODES

    used = {code for _, _, code, _ in _codes_in_source()} | {_DEFAULT} | set(SMELL_CODES.values())
    assert set(RULES) == used


def test_readme_lists_the_registry() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    section = readme.split("## Checking lectures", 1)[1].split("\n## ", 1)[0]
    listed = dict(re.findall(r"^- `([a-z-]+)` \((error|warning|info)\):", section, re.M))
    assert listed == {code: rule.severity for code, rule in RULES.items()}


def test_check_lists_the_rules() -> None:
    result = CliRunner().invoke(main, ["check", "--list-rules"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[:2] for line in lines] == [[c, r.severity] for c, r in RULES.items()]


def test_smell_codes_are_warnings() -> None:
    from deckgen.smells import SMELL_CODES

    assert all(RULES[code].severity == "warning" for code in SMELL_CODES.values())


def test_lecture_error_codes_reach_the_report(tmp_path: Path) -> None:
    from deckgen.build import check

    (tmp_path / "bad.md").write_bytes(b"# T\n\x00\n")
    [diag] = check([tmp_path]).diagnostics
    assert (diag.code, diag.severity) == ("binary", RULES["binary"].severity)
