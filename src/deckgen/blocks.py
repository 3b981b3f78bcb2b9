"""markdown-it token stream → a small tree of blocks and heading sections.

The parse stage reasons about lectures in terms of sections (a heading and what
follows it), paragraphs and list items with their optional bold labels. This
module builds that tree from markdown-it-py's flat token stream and keeps, for
each block, its line range so the original Markdown can be sliced back out.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin

# Label forms seen in lectures: **T**: x, **T:** x, **T** – x, **T** → x, `T`: x.
_LABEL_RES = (
    re.compile(r"^\*\*(?P<label>[^*\n]+?):\*\*\s*(?P<rest>.*)$", re.S),
    re.compile(r"^\*\*(?P<label>[^*\n]+?)\*\*\s*(?::|–|—|→|->|-(?=\s))\s*(?P<rest>.*)$", re.S),
    re.compile(r"^__(?P<label>[^_\n]+?)__\s*:\s*(?P<rest>.*)$", re.S),
    re.compile(r"^`(?P<label>[^`\n]+)`\s*:\s*(?P<rest>.*)$", re.S),
    re.compile(r"^\*\*(?P<label>[^*\n]+?)\*\*\s*(?P<rest>)$", re.S),
)


@lru_cache(maxsize=4096)
def split_label(inline: str) -> tuple[str | None, str]:
    """Split ``**Label**: rest`` (and its variants) into (label, rest).

    Cached: the parse asks an item's ``label`` and ``rest`` many times over."""
    text = inline.strip()
    for regex in _LABEL_RES:
        m = regex.match(text)
        if m:
            label = m.group("label").strip().rstrip(":").strip()
            if label:
                return label, m.group("rest").strip()
    return None, text


@dataclass
class Item:
    """A list item: its first paragraph (inline Markdown) and the blocks after it."""

    text: str
    start: int  # 0-based body lines, end exclusive
    end: int
    blocks: list[Block] = field(default_factory=list)

    @property
    def label(self) -> str | None:
        """The item's bold label, if it has one."""
        return split_label(self.text)[0]

    @property
    def rest(self) -> str:
        """The item's text after its label (all of it when unlabelled)."""
        return split_label(self.text)[1]

    @property
    def sublists(self) -> list[Block]:
        """Nested lists directly under this item."""
        return [b for b in self.blocks if b.kind == "list"]


@dataclass
class Block:
    """A top-level block inside a section or list item."""

    # paragraph | list | fence | code | table | blockquote | container | hr | html | other
    kind: str
    start: int
    end: int
    inline: str = ""  # paragraph text
    items: list[Item] = field(default_factory=list)
    ordered: bool = False
    info: str = ""  # fence language
    rows: list[list[str]] = field(
        default_factory=list
    )  # table cells (inline Markdown), header first

    @property
    def label(self) -> str | None:
        """A paragraph's bold label, if any."""
        return split_label(self.inline)[0] if self.kind == "paragraph" else None

    @property
    def rest(self) -> str:
        """A paragraph's text after its label."""
        return split_label(self.inline)[1]


@dataclass
class Heading:
    """A heading and the blocks up to the next heading, with nested sub-headings."""

    level: int
    title: str  # inline Markdown
    start: int
    blocks: list[Block] = field(default_factory=list)
    children: list[Heading] = field(default_factory=list)


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """The structural parser. HTML is *recognised* here so it can be dropped.

    Block rules only: this module reads an inline token's ``content`` (its Markdown
    source, set by the block rules), never its ``children``, so the inline pass (most of
    markdown-it's time) is skipped; rendering parses each fragment's inlines itself."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    use_containers(md)
    return md.disable(["inline", "text_join"])


CONTAINER = "dg"  # one rule for every `::: kind Title` container


def any_container(params: str, *_: object) -> bool:
    """Accept every ``::: kind`` container (info, tip, warning, details, …)."""
    return bool(params.strip())


def use_containers(md: MarkdownIt, render: Any = None) -> None:
    """Give ``md`` the ``::: kind Title`` containers (rendered by ``render``).

    mdit-py-plugins' rule reads past the end of the text when a container's last line is
    an empty quote line (``>>:::x\n>>``): there the line opens no container."""
    md.use(container_plugin, CONTAINER, validate=any_container, render=render)
    name = f"container_{CONTAINER}"
    [rule] = [r for r in md.block.ruler.__rules__ if r.name == name]
    unsafe = rule.fn

    def container(state: Any, start: int, end: int, silent: bool) -> bool:
        try:
            return bool(unsafe(state, start, end, silent))
        except IndexError:
            return False

    md.block.ruler.at(name, container, {"alt": list(rule.alt)})


_CONTAINER = {
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "blockquote_open": "blockquote",
    "table_open": "table",
    f"container_{CONTAINER}_open": "container",
}


def _close_index(tokens: list[Token], i: int) -> int:
    """Index of the token closing the container opened at ``i``."""
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _span(tok: Token, fallback: int) -> tuple[int, int]:
    if tok.map:
        return tok.map[0], tok.map[1]
    return fallback, fallback + 1


def _items(tokens: list[Token]) -> list[Item]:
    items: list[Item] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "list_item_open":
            j = _close_index(tokens, i)
            start, end = _span(tok, 0)
            inner = _blocks(tokens[i + 1 : j])
            text = ""
            if inner and inner[0].kind == "paragraph":
                text = inner.pop(0).inline
            items.append(Item(text=text, start=start, end=end, blocks=inner))
            i = j + 1
        else:
            i += 1
    return items


def _rows(tokens: list[Token]) -> list[list[str]]:
    rows: list[list[str]] = []
    for i, tok in enumerate(tokens):
        if tok.type == "tr_open":
            rows.append([])
        elif tok.type in ("th_open", "td_open") and rows and i + 1 < len(tokens):
            rows[-1].append(tokens[i + 1].content if tokens[i + 1].type == "inline" else "")
    return rows


def _blocks(tokens: list[Token]) -> list[Block]:
    """Group a flat token list (no headings) into blocks."""
    out: list[Block] = []
    i = 0
    last = 0
    while i < len(tokens):
        tok = tokens[i]
        start, end = _span(tok, last)
        if tok.type == "paragraph_open":
            inline = tokens[i + 1].content if i + 1 < len(tokens) else ""
            out.append(Block("paragraph", start, end, inline=inline))
            i += 3
        elif tok.type in _CONTAINER:
            j = _close_index(tokens, i)
            kind = _CONTAINER[tok.type]
            if kind == "container":
                end += 1  # markdown-it's map stops before the closing `:::` line
            block = Block(kind, start, end)
            if kind == "list":
                block.items = _items(tokens[i + 1 : j])
                block.ordered = tok.type == "ordered_list_open"
            elif kind == "table":
                block.rows = _rows(tokens[i + 1 : j])
            out.append(block)
            i = j + 1
        elif tok.type == "fence":
            out.append(Block("fence", start, end, info=tok.info.strip()))
            i += 1
        elif tok.type == "code_block":
            out.append(Block("code", start, end))
            i += 1
        elif tok.type == "hr":
            out.append(Block("hr", start, end))
            i += 1
        elif tok.type == "html_block":
            out.append(Block("html", start, end))
            i += 1
        elif tok.nesting == 1:
            j = _close_index(tokens, i)
            out.append(Block("other", start, end))
            i = j + 1
        else:
            i += 1
        last = end
    return out


def parse_sections(body: str) -> Heading:
    """Parse a Markdown body into a heading tree rooted at a level-0 pseudo heading."""
    tokens = parser().parse(body)
    root = Heading(level=0, title="", start=0)
    stack = [root]
    segment: list[Token] = []

    def flush() -> None:
        stack[-1].blocks.extend(_blocks(segment))
        segment.clear()

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open" and tok.level == 0:
            flush()
            level = int(tok.tag[1:])
            title = tokens[i + 1].content if i + 1 < len(tokens) else ""
            heading = Heading(level=level, title=title, start=_span(tok, 0)[0])
            while stack[-1].level >= level:
                stack.pop()
            stack[-1].children.append(heading)
            stack.append(heading)
            i += 3
            continue
        segment.append(tok)
        i += 1
    flush()
    return root


def slice_source(lines: list[str], blocks: list[Block]) -> str:
    """The original Markdown of ``blocks``, dedented, separated by blank lines."""
    parts = []
    for block in blocks:
        chunk = textwrap.dedent("\n".join(lines[block.start : block.end])).strip("\n")
        if chunk.strip():
            parts.append(chunk)
    return "\n\n".join(parts)


def item_source(lines: list[str], item: Item) -> str:
    """The Markdown of a list item's nested blocks (its children), dedented."""
    return slice_source(lines, item.blocks)
