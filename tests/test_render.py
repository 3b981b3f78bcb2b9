"""Render stage: the direct paths give the HTML markdown-it and nh3 would give."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import LECTURES
from deckgen.blocks import parse_sections
from deckgen.render import block_html, inline_html, literal_braces, markdown, sanitize
from deckgen.source import read_source


def _slow_inline_html(source: str) -> str:
    """inline_html without its direct path: markdown-it, then nh3."""
    return literal_braces(sanitize(markdown().renderInline(source.strip())).strip())


_TEXT_ALPHABET = st.sampled_from(
    [
        *"ab &;#xX019\n\r\t\0 :!?{}()]>-+=%@^'\"/.,|",
        *("\xa0", "\u2028", "\u00e9", "\u200b", "\x0b", "\x85", "\ufffe", "\U0001f600"),
        *("&amp;", "&lt;span&gt;", "&#65;", "&#x1F600;", "&#0;", "&#99999999;", "&quot;"),
        *("&nosuchname;", "&nbsp;", "&ngE;", "&#123;", "<b>", "**", "`", "$", "[", "  "),
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_TEXT_ALPHABET, max_size=30).map("".join))
def test_inline_html_direct_path_is_what_markdown_it_and_nh3_give(source: str) -> None:
    assert inline_html(source) == _slow_inline_html(source)


def _slow_block_html(source: str) -> str:
    """block_html without its direct path."""
    return literal_braces(sanitize(markdown().render(source)).strip())


_LINE_START = st.sampled_from(
    ["", " ", "    ", "#", "# ", "> ", "- ", "* ", "+ ", "1. ", "2) ", "12"]
)
_LINE_START |= st.sampled_from(["---", "===", "| a |", "```", "~~~", "::: tip", "\xa0", "\n", "\t"])


@settings(max_examples=500, deadline=None)
@given(_LINE_START, st.lists(_TEXT_ALPHABET, max_size=20).map("".join))
def test_block_html_direct_path_is_what_markdown_it_and_nh3_give(start: str, rest: str) -> None:
    source = start + rest
    assert block_html(source) == _slow_block_html(source)


def _inline_sources(root: Path) -> set[str]:
    """Every heading title, paragraph, list item and table cell of the lectures under
    ``root``, as inline Markdown."""
    found: set[str] = set()

    def blocks(items: list) -> None:  # type: ignore[type-arg]
        for block in items:
            found.add(block.inline)
            for row in block.rows:
                found.update(row)
            for item in block.items:
                found.add(item.text)
                found.add(item.rest)
                blocks(item.blocks)

    def walk(heading) -> None:  # type: ignore[no-untyped-def]
        found.add(heading.title)
        blocks(heading.blocks)
        for child in heading.children:
            walk(child)

    for path in sorted(root.rglob("*.md")):
        walk(parse_sections(read_source(path, root).body))
    return found


def test_inline_html_direct_path_on_real_lectures(corpus: Path) -> None:
    sources = _inline_sources(corpus) | _inline_sources(LECTURES)
    assert len(sources) > 1000
    assert [s for s in sources if inline_html(s) != _slow_inline_html(s)] == []
    assert [s for s in sources if block_html(s) != _slow_block_html(s)] == []


_CODE_ALPHABET = st.sampled_from(
    [*"ab {}()<>&;'\"\n\t=+-*/#$`\\", "\xa0", "&#39;", "&quot;", "\u00e9", "\x0b", "//", "/*", "*/"]
)
_LANGS = st.sampled_from(
    ["", "java", "python", "js", "mermaid", "text", "nosuch", 'a"b', "x&y", "c++"]
)
_FENCE_PLACES = st.sampled_from(
    ["{}", "- item\n\n  {}", "> {}", "1. one\n   {}", "Text.\n\n{}\n\nMore."]
)


@settings(max_examples=300, deadline=None)
@given(_LANGS, st.lists(_CODE_ALPHABET, max_size=40).map("".join), _FENCE_PLACES)
def test_code_kept_out_of_the_sanitizer_is_what_it_would_give(
    lang: str, code: str, place: str
) -> None:
    """Highlighted code goes around nh3; the HTML is the same as through it."""
    indent = "  " if place.startswith("- ") else "   " if place.startswith("1.") else ""
    fence = f"```{lang}\n{code}\n```".replace("\n", "\n" + indent)
    if place.startswith("> "):
        fence = fence.replace("\n", "\n> ")
    source = place.format(fence)
    assert block_html(source) == _slow_block_html(source)


def test_whole_lectures_render_alike_around_the_sanitizer(corpus: Path) -> None:
    bodies = [read_source(p, corpus).body for p in sorted(corpus.rglob("*.md"))]
    assert sum("```" in b for b in bodies) > 5
    assert [i for i, b in enumerate(bodies) if block_html(b) != _slow_block_html(b)] == []


def test_lecture_text_cannot_pass_for_kept_out_code() -> None:
    html = block_html("```java\nint x;\n```\n\nText \ue000deadbeefdeadbeef:0\ue001 here.")
    assert "\ue000deadbeefdeadbeef:0\ue001" in html and html.count("int") == 1
