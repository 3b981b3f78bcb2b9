"""Rich content (code, tables, math, diagrams, images) as real Anki stores and renders it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ankicol import card_text, import_apkg, open_collection
from deckgen.build import BuildOptions, build

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)

CACHING = """\
---
title: Caching Strategies
---

# Caching Strategies

## Key Concepts
### 1. Cache-Aside
- **Definition**: The application reads the cache first and loads from the database on a miss.
- **Key Aspects**: The hit ratio $h = hits / (hits + misses)$ decides the latency.
- **Code Example**:

```java
public String get(String key) {
    String v = cache.get(key);
    if (v == null) { v = db.load(key); cache.put(key, v); }
    return v;
}
```

## Comparison

| Aspect | Cache-Aside | Write-Through |
| --- | --- | --- |
| Writes | Go to the database | Go to cache and database |
| Staleness | Possible | Rare |

## Expected Latency

The expected latency of a read is the weighted sum of both paths:

$$
L = h \\cdot L_{cache} + (1 - h) \\cdot L_{db}
$$

Here $h$ is the hit ratio, while `$HOME` in code stays as it is.

## Architecture

![diagram](diagram.png)

```mermaid
graph LR
  A[Client] --> B[Cache]
```

```
+--------+     +-------+
| Client | --> | Cache |
+--------+     +-------+
```

- The client asks the cache first.
- On a miss it reads the database.

## Python Implementation

```python
def get(key):
    return cache.get(key) or load(key)
```

## Branding

![logo](/images/logo.png) and ![gone](missing.png)

- The logo is shown on every page.
- The footer repeats it in grey.
"""

OTHER = """\
---
title: Other Diagram
---

# Other Diagram

## Overview Diagram

![diagram](diagram.png)

- The same file name as the caching lecture's diagram, other content.
- A second point.
"""


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("rich")
    lectures, site = tmp / "lectures", tmp / "site"
    for folder in (lectures / "a", lectures / "b", site / "images"):
        folder.mkdir(parents=True)
    other_png = PNG + b"other"
    (lectures / "a" / "diagram.png").write_bytes(PNG)
    (lectures / "b" / "diagram.png").write_bytes(other_png)
    (site / "images" / "logo.png").write_bytes(PNG + b"logo")
    (lectures / "a" / "caching.md").write_text(CACHING, "utf-8")
    (lectures / "b" / "other.md").write_text(OTHER, "utf-8")
    report = build([lectures], BuildOptions(out=tmp / "decks", media_root=site))
    col = open_collection(tmp / "col")
    for apkg in ("a/caching.apkg", "b/other.apkg"):
        log = import_apkg(col, tmp / "decks" / apkg)
        assert log.conflicting == 0
    cards: dict[str, Any] = {}
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        note = card.note()
        kind = next(t.split("::")[1] for t in note.tags if t.count("::") == 1)
        cards.setdefault(kind, []).append((card.question(), card.answer(), note))
    data = {
        "report": report,
        "cards": cards,
        "media": Path(col.media.dir()),
        "css": col.models.by_name("deckgen Q&A")["css"],
        "images": {"a": PNG, "b": other_png, "logo": PNG + b"logo"},
    }
    yield data
    col.close()


def _answer(rich: dict, kind: str, contains: str) -> str:
    answers = [a for _, a, _ in rich["cards"][kind] if contains in a]
    assert answers, f"no {kind} card containing {contains!r}"
    return answers[0]


def test_code_is_highlighted_and_scrolls(rich: dict) -> None:
    answer = _answer(rich, "concept", "Cache-Aside")
    assert '<pre class="dg-code dg-hl" data-lang="java">' in answer
    assert '<span class="kd">public</span>' in answer  # a Pygments keyword token
    python = _answer(rich, "recall", 'data-lang="python"')
    assert "write the Python code" in python
    # Night-mode colours for the tokens and sideways scrolling ship in the note type's CSS.
    css = rich["css"]
    assert re.search(r"\.nightMode[^{]*\.dg-hl \.k\b", css)
    assert re.search(r"\.dg pre \{[^}]*overflow-x: auto[^}]*white-space: pre", css)


def test_table_renders_and_asks_one_row_at_a_time(rich: dict) -> None:
    cards = rich["cards"]["table"]
    assert len(cards) == 2  # a comparison of two options: one card per compared aspect
    for question, answer, _ in cards:
        assert "<table>" in question and "<table>" in answer
        assert question.count("[...]") == 2  # both options' cells of the row
        # Row and column headers stay visible as the row's context.
        assert "Aspect" in card_text(question) and "Cache-Aside" in card_text(question)
    questions = [card_text(q) for q, _, _ in cards]
    assert sum("Go to the database" not in q for q in questions) == 1


def test_math_becomes_mathjax_but_not_inside_code(rich: dict) -> None:
    answer = _answer(rich, "recall", "expected latency")  # asked as its definition
    # Braces are character references in the field (never a cloze); MathJax reads the text.
    assert r"\[L = h \cdot L_&#123;cache&#125;" in answer
    assert r"\(h\)" in answer
    assert "<code>$HOME</code>" in answer
    concept = _answer(rich, "concept", "hit ratio")
    assert r"\(h = hits / (hits + misses)\)" in concept


def test_diagrams_stay_monospaced(rich: dict) -> None:
    answer = _answer(rich, "recall", "Mermaid")
    assert "Mermaid diagram (source)" in answer
    assert "graph LR" in answer
    assert "| Client | --&gt; | Cache |" in answer  # spacing kept inside <pre>
    assert re.search(r"<pre[^>]*><code>\+--------\+", answer)


def test_images_land_in_anki_media_with_distinct_names(rich: dict) -> None:
    media: Path = rich["media"]
    referenced = {}
    for kind in rich["cards"]:
        for _, answer, note in rich["cards"][kind]:
            for name in re.findall(r'<img src="([^"]+)"', answer):
                referenced[name] = note
    assert len(referenced) == 3  # two diagram.png with different content, and the logo
    stored = {name: (media / name).read_bytes() for name in referenced}
    assert sorted(stored.values()) == sorted(rich["images"].values())
    assert all(re.fullmatch(r"dg-[0-9a-f]{20}\.png", name) for name in referenced)


def test_missing_image_warns_and_keeps_the_card(rich: dict) -> None:
    warnings = [
        d for d in rich["report"].diagnostics if d.code == "image" and "missing.png" in d.message
    ]
    assert len(warnings) == 1
    assert warnings[0].path.endswith("caching.md") and warnings[0].line == 65
    branding = _answer(rich, "recall", "logo")
    assert "[image: gone]" in branding and "The footer repeats it" in branding
