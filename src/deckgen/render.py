"""Markdown → card HTML with markdown-it-py.

Raw HTML from a lecture is never passed through: the renderer runs with
``html`` disabled, so tags are shown as escaped text, and markdown-it's link
validation drops ``javascript:``-style URLs. Code is highlighted with Pygments
at build time (classes only; the colours live in the note type's CSS), math
becomes Anki's MathJax delimiters, and images are resolved, checked and
collected as media under content-hashed names.
"""

from __future__ import annotations

import contextvars
import hashlib
import html
import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.entities import entities
from markdown_it.common.utils import fromCodePoint, isValidEntityCode
from markdown_it.rules_inline.entity import DIGITAL_RE, NAMED_RE
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from deckgen.blocks import use_containers

_INLINE_HTML_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
MAX_IMAGE_BYTES = 10 * 1024 * 1024
_FORMATTER = HtmlFormatter(nowrap=True)


@dataclass
class MediaContext:
    """Where a lecture's images may come from, and what was collected while rendering.

    ``roots`` are the folders images may be read from (the lectures root and the
    media root): a path that resolves outside them, through ``..`` or a symlink,
    is refused.
    """

    lecture_dir: Path
    roots: Sequence[Path]
    media_root: Path | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # packaged name → content
    sources: dict[str, Path] = field(default_factory=dict)  # packaged name → file read
    problems: list[tuple[str, str]] = field(default_factory=list)  # (src, message)
    looked_up: set[Path] = field(default_factory=set)  # every image file sought, found or not

    def resolve(self, src: str) -> str | None:
        """The packaged name for image ``src``, reading it once; None if unusable."""
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I):
            self.problems.append((src, "remote images are not packaged; left out"))
            return None
        clean = src.split("#", 1)[0].split("?", 1)[0]
        if clean.startswith("/"):
            if self.media_root is None:
                self.problems.append(
                    (src, "site-absolute image path needs --media-root; image left out")
                )
                return None
            candidate = self.media_root / clean.lstrip("/")
        else:
            candidate = self.lecture_dir / clean
        self.looked_up.add(candidate)
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            self.problems.append((src, f"image not found: {candidate}"))
            return None
        if not any(real.is_relative_to(root.resolve()) for root in self.roots):
            self.problems.append((src, "image is outside the lectures and media folders; left out"))
            return None
        if real.suffix.lower() not in IMAGE_SUFFIXES or not real.is_file():
            self.problems.append((src, f"not an image file ({real.suffix or 'no suffix'})"))
            return None
        if real.stat().st_size > MAX_IMAGE_BYTES:
            self.problems.append((src, f"image larger than {MAX_IMAGE_BYTES} bytes; left out"))
            return None
        data = real.read_bytes()
        name = f"dg-{hashlib.sha256(data).hexdigest()[:20]}{real.suffix.lower()}"
        self.files[name] = data
        self.sources[name] = real
        return name


_MEDIA: contextvars.ContextVar[MediaContext | None] = contextvars.ContextVar(
    "deckgen_media", default=None
)


@contextmanager
def collecting_media(context: MediaContext) -> Iterator[MediaContext]:
    """Render with images resolved against ``context`` (and collected into it)."""
    token = _MEDIA.set(context)
    try:
        yield context
    finally:
        _MEDIA.reset(token)


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


_FENCE_INFO_RE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})[ \t]*([^\s`]+)", re.M)
_NOT_CODE = frozenset({"mermaid", "text", "txt", "plain", "plaintext", "ascii", "diagram"})


@lru_cache(maxsize=512)
def _lexer(name: str) -> Any:
    """Pygments' lexer for a language name (looked up once per name), or None."""
    try:
        return get_lexer_by_name(name)
    except ClassNotFound:
        return None


def code_language(markdown_source: str) -> str | None:
    """The display name of the first programming language fenced in ``markdown_source``
    (``"Java"`` for a ```` ```java ```` block), or ``None`` when it holds no code."""
    for lang in _FENCE_INFO_RE.findall(markdown_source):
        name = lang.lower()
        if name in _NOT_CODE:
            continue
        lexer = _lexer(name)
        if lexer is not None:
            return str(lexer.name)
    return None


def highlight_code(code: str, lang: str) -> str:
    """A fenced block as HTML: highlighted when the language is known, else plain.

    Safe by construction (every text and attribute escaped, fixed tags and classes), and
    written as nh3 writes HTML back (see :func:`_text_html`), so :func:`block_html` can
    leave it out of the sanitizer: highlighted code is most of the bytes it would clean."""
    lang = (lang or "").strip().split()[0].lower() if (lang or "").strip() else ""
    if lang == "mermaid":
        return (
            '<div class="dg-diagram"><div class="dg-label">Mermaid diagram (source)</div>'
            f'<pre class="dg-code"><code>{_text_html(code)}</code></pre></div>'
        )
    lexer = _lexer(lang) if lang else None
    if lexer is None:
        label = f' data-lang="{_attribute_html(lang)}"' if lang else ""
        return f'<pre class="dg-code"{label}><code>{_text_html(code)}</code></pre>'
    # Pygments escapes quotes too ("&quot;", "&#39;"); nh3 writes them as characters.
    body = pygments_highlight(code, lexer, _FORMATTER)
    body = body.replace("&#39;", "'").replace("&quot;", '"').replace("\xa0", "&nbsp;")
    return (
        f'<pre class="dg-code dg-hl" data-lang="{_attribute_html(lang)}"><code>{body}</code></pre>'
    )


def _attribute_html(value: str) -> str:
    """An attribute value as nh3 writes it: ``&``, no-break space, ``"``, ``<`` and ``>``
    escaped."""
    return _text_html(value).replace('"', "&quot;")


def _math_inline(content: str, _options: dict[str, Any]) -> str:
    return _escape(f"\\({content.strip()}\\)")


def _math_block(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    math = "\\[" + tokens[idx].content.strip() + "\\]"
    return f'<div class="dg-math">{_escape(math)}</div>\n'


def _render_fence(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    code = highlight_code(tokens[idx].content, tokens[idx].info)
    stash = env.get(_CODE_STASH) if isinstance(env, dict) else None
    if stash is None:
        return code + "\n"
    stash.append(code)  # (put back by block_html after the sanitizer)
    return f"{_CODE_MARK}{len(stash) - 1}\ue001\n"


# Where block_html's code goes while the rest is sanitized: a private-use mark with a
# per-process nonce, so no lecture text can pass for one (and none reaches the output).
_CODE_STASH = "deckgen_code"
_CODE_MARK = f"\ue000{secrets.token_hex(8)}:"
_CODE_MARK_RE = re.compile(re.escape(_CODE_MARK) + r"(\d+)\ue001")


def _render_image(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    context = _MEDIA.get()
    src = token.attrGet("src") or ""
    name = context.resolve(str(src)) if context is not None else None
    if name is None:
        return f'<span class="dg-missing-image">[image: {_escape(alt or str(src))}]</span>'
    return f'<img src="{_escape(name)}" alt="{_escape(alt)}">'


def _render_container(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    if token.nesting != 1:
        return "</div>\n"
    kind, _, title = token.info.strip().partition(" ")
    name = re.sub(r"[^a-z0-9-]", "", kind.lower())[:20]
    heading = title.strip() or kind.strip().capitalize()
    return (
        f'<div class="dg-callout dg-callout-{name}">'
        f'<div class="dg-callout-title">{_escape(heading)}</div>\n'
    )


_TASK_RE = re.compile(r"^\[([ xX])\]\s+")


def _task_items(state: Any) -> None:
    """``- [ ] todo`` / ``- [x] done`` list items start with a ☐ / ☑ box (no form inputs)."""
    tokens = state.tokens
    for i in range(2, len(tokens)):
        token = tokens[i]
        if (
            token.type == "inline"
            and tokens[i - 1].type == "paragraph_open"
            and tokens[i - 2].type == "list_item_open"
            and token.children
            and token.children[0].type == "text"
        ):
            first = token.children[0]
            match = _TASK_RE.match(first.content)
            if match:
                box = "☐ " if match.group(1) == " " else "☑ "
                first.content = box + first.content[match.end() :]


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """The shared renderer: CommonMark, tables, strikethrough, math; no raw HTML."""
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    dollarmath_plugin(
        md, allow_space=False, allow_digits=False, double_inline=True, renderer=_math_inline
    )
    md.add_render_rule("math_block", _math_block)
    md.add_render_rule("math_block_label", _math_block)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("fence", _render_fence)
    use_containers(md, render=_render_container)
    md.core.ruler.push("deckgen_tasks", _task_items)
    return md


# What card HTML may contain. The renderer only emits these; the sanitizer (nh3)
# guarantees it, so no script, frame, event handler or javascript: URL can reach Anki.
_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ATTRIBUTES = {
    "*": {"class"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "pre": {"data-lang"},
    "td": {"style"},
    "th": {"style"},
}


_CLEANING: dict[str, Any] = {
    "tags": _TAGS,
    "attributes": _ATTRIBUTES,
    "url_schemes": {"http", "https", "mailto"},
    "filter_style_properties": {"text-align"},
    "link_rel": "noopener noreferrer",
}


@lru_cache(maxsize=1)
def _cleaner() -> Any:
    """One nh3 cleaner for every fragment (nh3 < 0.2.18 has none: None)."""
    cleaner = getattr(nh3, "Cleaner", None)
    return cleaner(**_CLEANING) if cleaner is not None else None


def sanitize(fragment: str) -> str:
    """Allowlist-sanitize an HTML fragment with nh3."""
    cleaner = _cleaner()
    if cleaner is not None:
        return str(cleaner.clean(fragment))
    return nh3.clean(fragment, **_CLEANING)


def literal_braces(fragment: str) -> str:
    """``{`` and ``}`` of an HTML fragment as character references.

    Anki finds cloze deletions (``{{c1::…}}``) in a field's raw HTML, so lecture text
    such as ``{{c7::label}}`` would become a live cloze. As ``&#123;`` / ``&#125;`` the
    braces are no cloze to Anki, yet the browser shows them as braces (references are
    decoded in text and attribute values alike, and no tag or attribute name holds a
    brace). Applied after :func:`sanitize`, which writes references back as characters.
    (Two ``replace`` calls: ``str.translate`` with a mapping looks up every character.)
    """
    return fragment.replace("{", "&#123;").replace("}", "&#125;")


def block_html(source: str) -> str:
    """Render block Markdown (paragraphs, lists, code, tables) to safe HTML.

    One line of plain text that starts no block (most answers) is one paragraph: its
    HTML is written directly, as :func:`inline_html` does."""
    if source[:1] not in _BLOCK_STARTS and not _NOT_PLAIN_RE.search(source) and source.strip():
        return literal_braces("<p>" + _text_html(_decode_entities(source.strip())) + "</p>")
    code: list[str] = []
    clean = sanitize(markdown().render(source, {_CODE_STASH: code}))
    if code:
        clean = _CODE_MARK_RE.sub(lambda m: code[int(m.group(1))], clean)
    return literal_braces(clean.strip())


# First characters of a line that may open something other than a paragraph (a heading,
# quote, list, rule, table, fence, container, indented code), or be whitespace.
_BLOCK_STARTS = frozenset("#>-+*=|:~`_0123456789 \t\n\r\f\v") | {""}


def inline_html(source: str) -> str:
    """Render one line of inline Markdown (bold, code, links, math) to safe HTML.

    Text with no inline markup, line break or control character (most labels and short
    answers) is decoded and escaped directly: markdown-it would give one text token, and
    nh3 would write it back escaped the same way (see :func:`_text_html`)."""
    text = source.strip()
    if not _NOT_PLAIN_RE.search(text):
        return literal_braces(_text_html(_decode_entities(text)).strip())
    return literal_braces(sanitize(markdown().renderInline(text)).strip())


def _text_html(text: str) -> str:
    """Plain text as nh3 (html5ever) serialises a text node: ``&``, no-break space, ``<``
    and ``>`` escaped, quotes left as they are."""
    return (
        text.replace("&", "&amp;")
        .replace("\xa0", "&nbsp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


# What starts an inline construct in :func:`markdown` besides an entity (``&``) and a line
# break: math (``$``), an escape, code, strikethrough, emphasis, a link or image (``[``),
# an autolink or tag (``<``). Text without any of these parses to text, entities and
# line breaks only (markdown-it's other terminator characters start no rule).
_MARKUP_RE = re.compile(r"[$\\`~*_\[<]")
# What keeps inline Markdown off :func:`inline_html`'s direct path: markup, line breaks (a
# hard break is markup too) and control characters, which the HTML parser may rewrite.
_NOT_PLAIN_RE = re.compile(r"[$\\`~*_\[<\x00-\x08\x0a-\x1f\x7f-\x9f]")
# markdown-it's entity rule: a numeric reference, or a name in its table.
_ENTITY_RE = re.compile(f"{DIGITAL_RE.pattern}|{NAMED_RE.pattern}", re.IGNORECASE)


def _after_ampersand(piece: str) -> str:
    """``"&" + piece`` as markdown-it's entity rule decodes it (``piece`` holds no ``&``)."""
    text = "&" + piece
    match = _ENTITY_RE.match(text)
    if match is None:
        return text
    number, name = match.groups()
    if number is None:
        return str(entities.get(name, match.group(0))) + text[match.end() :]
    code = int(number[1:], 16) if number[0] in "xX" else int(number, 10)
    return str(fromCodePoint(code if isValidEntityCode(code) else 0xFFFD)) + text[match.end() :]


def _decode_entities(text: str) -> str:
    """``text`` with its character references decoded as markdown-it's entity rule does.

    A reference holds no ``&`` after its first, so each piece between two ``&`` decodes on
    its own: each distinct piece is decoded once (a run of ``&amp;`` costs no more than
    splitting it)."""
    first, *pieces = text.split("&")
    decoded = {piece: _after_ampersand(piece) for piece in set(pieces)}
    return first + "".join(map(decoded.__getitem__, pieces))


@lru_cache(maxsize=65536)
def plain_text(source: str) -> str:
    """Inline Markdown reduced to plain text: for names, keys and headings.

    Text with no inline markup but entities and line breaks (most names and sentences,
    and hostile runs of ``&amp;``) is decoded directly, in one pass: markdown-it would
    make a token of every entity and give the same text."""
    text = source.strip()
    if _MARKUP_RE.search(text):
        text = _parsed_text(text)
    else:  # (markdown-it's normalisation, then its entity rule; a line break is a space)
        text = _decode_entities(text.replace("\0", "\ufffd"))
    text = _INLINE_HTML_RE.sub("", text)
    return " ".join(text.split())


def _parsed_text(source: str) -> str:
    """The text of inline Markdown as markdown-it parses it (line breaks as spaces)."""
    out: list[str] = []
    for tok in markdown().parseInline(source):
        for child in tok.children or []:
            if child.type in ("text", "code_inline") or child.type == "math_inline":
                out.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                out.append(" ")
    return "".join(out)


@lru_cache(maxsize=1)
def code_css() -> str:
    """Pygments colours for light and night mode, scoped to highlighted card code."""
    light = HtmlFormatter(style="default").get_style_defs(".dg-hl")
    night = HtmlFormatter(style="monokai").get_style_defs(
        [".nightMode .dg-hl", ".night_mode .dg-hl", ".card.nightMode .dg-hl"]
    )
    keep = [
        line
        for line in (light + "\n" + night).splitlines()
        if line.startswith((".dg-hl .", ".nightMode .dg-hl .", ".night_mode", ".card.nightMode"))
        and "linenos" not in line
        and "background" not in line.split("{", 1)[1]
    ]
    return "\n".join(keep) + "\n"
