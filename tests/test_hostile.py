"""Broken and hostile lectures: clear errors naming file and line, nothing lost, nothing run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from ankicol import card_text, import_apkg, open_collection

HOSTILE = """\
---
title: Friendly Looking Lecture
---

# Friendly Looking Lecture

<script>alert('owned')</script>
<iframe src="https://evil.example"></iframe>

## Key Concepts
### 1. Injection
- **Definition**: Text that <img src=x onerror="alert(1)"> tries to run code.
- **Examples**: A [link](javascript:alert(2)) and <a href="javascript:alert(3)">another</a>.

## Interview Tips
- Never trust <b onmouseover="alert(4)">input</b>.
- Look at ![secret](../../../../etc/passwd) and ![up](../outside.png).
"""

GOOD = """\
---
title: Good Lecture
---

# Good Lecture

## Key Concepts
### 1. Idempotency
- **Definition**: Doing an operation twice has the same effect as doing it once.
"""


def _run(args: list[str], cwd: Path, tmpdir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    return subprocess.run(
        [sys.executable, "-m", "deckgen.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_mixed_folder(tmp_path: Path) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    (tmp_path / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    (lectures / "good.md").write_text(GOOD, "utf-8")
    (lectures / "hostile.md").write_text(HOSTILE, "utf-8")
    (lectures / "bad-yaml.md").write_text("---\ntitle: x\ntags: [a, b\n---\n# X\n", "utf-8")
    (lectures / "latin1.md").write_bytes("# Caf\u00e9\n\nna\u00efve\n".encode("latin-1"))
    (lectures / "binary.md").write_bytes(bytes(range(256)) * 4)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    out = tmp_path / "decks"
    result = _run(["build", "lectures", "-o", str(out)], tmp_path, tmpdir)
    assert result.returncode == 1
    both = result.stdout + result.stderr
    assert "Traceback" not in both
    assert "lectures/bad-yaml.md:3:1: error front-matter" in both
    assert "lectures/latin1.md:1:1: error encoding" in both
    assert "lectures/binary.md:1:1: error binary" in both
    assert sorted(p.name for p in out.glob("*.apkg")) == ["good.apkg", "hostile.apkg"]
    assert "image is outside the lectures and media folders" in both
    assert list(tmpdir.iterdir()) == []
    assert not list(out.rglob("*.tmp"))

    col = open_collection(tmp_path / "col")
    import_apkg(col, out / "hostile.apkg")
    media = Path(col.media.dir())
    assert not any(media.iterdir())  # nothing from outside the lectures folder was packaged
    rendered = ""
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        rendered += card.question() + card.answer()
    tags = re.findall(r"<[a-zA-Z][^>]*>", re.sub(r"<style>.*?</style>", "", rendered, flags=re.S))
    for tag in tags:
        lowered = tag.lower()
        assert not lowered.startswith(("<script", "<iframe")), tag
        assert not re.search(r"\son\w+\s*=", lowered), tag
        assert "javascript:" not in lowered, tag
    assert "tries to run code" in card_text(rendered)
    col.close()


def test_check_command(tmp_path: Path) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    (lectures / "good.md").write_text(GOOD, "utf-8")
    result = _run(["check"], tmp_path, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    (lectures / "star.md").write_text(
        "---\ntitle: S\nflavour: x\n---\n# S\n\n## Mock\n### STAR Example: Partial\n"
        "**Question**: “Why?”\n- **Situation**: s\n- **Result**: r\n",
        "utf-8",
    )
    result = _run(["check"], tmp_path, tmp_path)
    assert result.returncode == 0
    assert "lectures/star.md:10:1: warning incomplete-star" in result.stderr
    assert "Task, Action" in result.stderr
    assert "lectures/star.md:3:1: info unknown-key" in result.stderr
    strict = _run(["check", "--strict"], tmp_path, tmp_path)
    assert strict.returncode == 1
    github = _run(["check", "--format", "github"], tmp_path, tmp_path)
    assert "::warning file=lectures/star.md,line=10,col=1" in github.stderr
    assert not list(tmp_path.rglob("*.apkg"))


def test_corpus_checks_without_errors(corpus: Path, tmp_path: Path) -> None:
    result = _run(["check", str(corpus)], tmp_path, tmp_path)
    assert result.returncode == 0, result.stderr
    assert " error " not in result.stderr
