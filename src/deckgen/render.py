"""Markdown → card HTML with markdown-it-py.

Raw HTML from a lecture is never passed through: the renderer runs with
``html`` disabled, so tags are shown as escaped text, and markdown-it's link
validation drops ``javascript:``-style URLs.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt

_INLINE_HTML_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """The shared renderer: CommonMark plus tables and strikethrough, no raw HTML."""
    return MarkdownIt("commonmark", {"html": False, "breaks": False}).enable(
        ["table", "strikethrough"]
    )


def block_html(source: str) -> str:
    """Render block Markdown (paragraphs, lists, code, tables) to HTML."""
    return markdown().render(source).strip()


def inline_html(source: str) -> str:
    """Render one line of inline Markdown (bold, code, links) to HTML."""
    return markdown().renderInline(source.strip()).strip()


@lru_cache(maxsize=65536)
def plain_text(source: str) -> str:
    """Inline Markdown reduced to plain text: for names, keys and headings."""
    tokens = markdown().parseInline(source.strip())
    out: list[str] = []
    for tok in tokens:
        for child in tok.children or []:
            if child.type in ("text", "code_inline"):
                out.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                out.append(" ")
    text = "".join(out)
    text = _INLINE_HTML_RE.sub("", text)
    return " ".join(text.split())
