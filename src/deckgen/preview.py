"""Preview: every card's front and back as a static site that works offline.

Cards are rendered through Anki's own template engine when the ``anki`` package is
installed (the notes are packaged and imported into a throw-away collection, exactly
as a user would), else by a small renderer for deckgen's own two note types. The site
is plain HTML with inline CSS and a little inline JavaScript for the filters: it loads
from ``file://`` with no network.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from deckgen.model import REMOVED_TAG, DeckSpec, NoteSpec
from deckgen.notetypes import CLOZE_AFMT, CLOZE_QFMT, QA_AFMT, QA_QFMT, card_css, field_names
from deckgen.package import apkg_bytes, collection_bytes

MARKER = ".deckgen-preview"

# (ord, question html, answer html) for each card of a note.
RenderedCards = list[tuple[int, str, str]]
Engine = Callable[[Sequence[DeckSpec]], dict[str, RenderedCards]]


class PreviewError(Exception):
    """The preview cannot be written (the message names the folder and why)."""


@dataclass(frozen=True)
class PreviewCard:
    """One card as Anki shows it."""

    kind: str
    number: int  # 1-based card number within its note (the cloze number for cloze notes)
    question: str
    answer: str
    source: str
    removed: bool


@dataclass(frozen=True)
class PreviewLecture:
    """One lecture's page: its deck and cards in study order."""

    title: str
    deck: str
    path: str  # the lecture's path relative to its root
    cards: tuple[PreviewCard, ...]

    @property
    def kinds(self) -> dict[str, int]:
        """Cards per kind, in first-seen order."""
        counts: dict[str, int] = {}
        for card in self.cards:
            counts[card.kind] = counts.get(card.kind, 0) + 1
        return counts


# --- rendering -------------------------------------------------------------------------------

_SECTION_RE = re.compile(r"\{\{([#^])([^}]+)\}\}(.*?)\{\{/\2\}\}", re.S)
_FIELD_RE = re.compile(r"\{\{([^#^/}][^}]*)\}\}")
_CLOZE_RE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)


def _fill(template: str, fields: dict[str, str], cloze: Callable[[str], str]) -> str:
    """Anki's template syntax as deckgen's note types use it: sections, fields, cloze."""

    def section(match: re.Match[str]) -> str:
        present = bool(fields.get(match.group(2).strip(), "").strip())
        return match.group(3) if present == (match.group(1) == "#") else ""

    template = _SECTION_RE.sub(section, template)

    def field(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name.startswith("cloze:"):
            return cloze(fields.get(name[6:], ""))
        return fields.get(name, "")

    return _FIELD_RE.sub(field, template)


def _cloze_side(text: str, number: int, question: bool) -> str:
    def replace(match: re.Match[str]) -> str:
        content, hint = match.group(2), match.group(3)
        if int(match.group(1)) != number:  # Anki marks the other clozes as inactive
            return f'<span class="cloze-inactive" data-ordinal="{match.group(1)}">{content}</span>'
        shown = f"[{hint}]" if question and hint else "[...]" if question else content
        return f'<span class="cloze" data-ordinal="{number}">{shown}</span>'

    return _CLOZE_RE.sub(replace, text)


# Cards shown per note: each card of a cloze note repeats the whole note, so a note of
# thousands of clozes would make a page (and the rendering) quadratic in its size.
MAX_CARDS_SHOWN = 50


def builtin_engine(decks: Sequence[DeckSpec]) -> dict[str, RenderedCards]:
    """Render deckgen's note types without Anki (GUID → cards)."""
    out: dict[str, RenderedCards] = {}
    for deck in decks:
        for note in deck.notes:
            fields = dict(zip(field_names(note.model), note.fields, strict=True))
            if note.model == "qa":
                out[note.guid] = [
                    (0, _fill(QA_QFMT, fields, str), _fill(QA_AFMT, fields, str)),
                ]
                continue
            out[note.guid] = [
                (
                    n - 1,
                    _fill(CLOZE_QFMT, fields, partial(_cloze_side, number=n, question=True)),
                    _fill(CLOZE_AFMT, fields, partial(_cloze_side, number=n, question=False)),
                )
                for n in (note.cloze_numbers or [1])[:MAX_CARDS_SHOWN]
            ]
    return out


def anki_engine(decks: Sequence[DeckSpec]) -> dict[str, RenderedCards]:
    """Render through Anki: package the notes, import them into a scratch collection,
    and ask Anki for each card's question and answer (GUID → cards)."""
    from anki.collection import (
        Collection,
        ImportAnkiPackageOptions,
        ImportAnkiPackageRequest,
    )

    media = sorted({name: data for d in decks for name, data in d.media.items()}.items())
    package = apkg_bytes(collection_bytes(decks, {}, 1_700_000_000), media)
    out: dict[str, RenderedCards] = {}
    with tempfile.TemporaryDirectory(prefix="deckgen-preview-") as scratch:
        path = Path(scratch) / "preview.apkg"
        path.write_bytes(package)
        col = Collection(str(Path(scratch) / "collection.anki2"))
        try:
            col.import_anki_package(
                ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions())
            )
            for cid in col.find_cards(""):
                card = col.get_card(cid)
                if card.ord >= MAX_CARDS_SHOWN:
                    continue  # (rendering each card of a huge note again would be quadratic)
                rendered = card.render_output()
                out.setdefault(card.note().guid, []).append(
                    (card.ord, rendered.question_text, rendered.answer_text)
                )
        finally:
            col.close()
    for cards in out.values():
        cards.sort()
    return out


def anki_available() -> bool:
    """Whether the official ``anki`` package can be imported."""
    try:
        import anki.collection  # noqa: F401
    except ImportError:
        return False
    return True


def pick_engine(name: str) -> tuple[str, Engine]:
    """``auto`` (Anki when installed), ``anki`` or ``builtin`` → (description, engine)."""
    if name == "anki" or (name == "auto" and anki_available()):
        if not anki_available():
            raise PreviewError("--engine anki needs the `anki` package (pip install anki)")
        return "Anki's template engine", anki_engine
    return "deckgen's built-in renderer", builtin_engine


def preview_lectures(
    lectures: Sequence[tuple[str, str, str, Sequence[NoteSpec]]],
    decks: Sequence[DeckSpec],
    engine: Engine,
) -> list[PreviewLecture]:
    """Render every card of ``lectures`` — (title, deck, path, notes) in course order."""
    rendered = engine(decks)
    pages = []
    for title, deck, path, notes in lectures:
        cards = []
        for note in sorted(notes, key=lambda n: n.due):
            removed = REMOVED_TAG in note.tags
            source = note.field("Source")
            for ord_, question, answer in rendered.get(note.guid, []):
                cards.append(
                    PreviewCard(
                        kind=note.kind,
                        number=ord_ + 1,
                        question=question,
                        answer=answer,
                        source=re.sub(r"<[^>]+>", "", source),
                        removed=removed,
                    )
                )
            more = len(note.cloze_numbers) - MAX_CARDS_SHOWN
            if more > 0:
                cards.append(
                    PreviewCard(
                        kind=note.kind,
                        number=MAX_CARDS_SHOWN + 1,
                        question=f"… and {more} more cards of this note, not shown",
                        answer=f"The preview shows the first {MAX_CARDS_SHOWN} cards of a note.",
                        source=re.sub(r"<[^>]+>", "", source),
                        removed=removed,
                    )
                )
        pages.append(PreviewLecture(title=title, deck=deck, path=path, cards=tuple(cards)))
    return pages


# --- the site --------------------------------------------------------------------------------

_SITE_CSS = """
:root { color-scheme: light dark; }
body { margin: 0; font-family: -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  background: #f4f5f7; color: #1d1d1f; }
body.nightMode { background: #141518; color: #e6e6e9; }
header.pv { position: sticky; top: 0; z-index: 2; background: inherit; padding: 10px 16px;
  border-bottom: 1px solid #d9dbe0; display: flex; flex-wrap: wrap; gap: 8px 16px;
  align-items: center; }
header.pv h1 { font-size: 18px; margin: 0; flex: 1 1 100%; }
header.pv a { color: #2f6fdb; }
.pv-filters label { margin-right: 10px; font-size: 14px; white-space: nowrap; }
.pv-filters input[type=search] { font-size: 14px; padding: 3px 6px; min-width: 14em; }
main.pv { padding: 12px 16px 40px; }
.pv-count { font-size: 13px; color: #6b6b70; }
.pv-card { margin: 0 0 18px; border: 1px solid #d9dbe0; border-radius: 8px; overflow: hidden;
  background: #fff; }
.nightMode .pv-card { background: #1e1f22; border-color: #3c3f45; }
.pv-meta { font-size: 12px; color: #6b6b70; padding: 6px 10px; border-bottom: 1px solid #d9dbe0;
  display: flex; gap: 12px; flex-wrap: wrap; }
.pv-kind { font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; }
.pv-removed { color: #b3261e; font-weight: 700; }
.pv-faces { display: grid; grid-template-columns: 1fr 1fr; }
.pv-face { min-width: 0; }
.pv-face + .pv-face { border-left: 1px solid #d9dbe0; }
.pv-side { font-size: 11px; color: #6b6b70; padding: 4px 14px 0; text-transform: uppercase; }
@media (max-width: 800px) { .pv-faces { grid-template-columns: 1fr; }
  .pv-face + .pv-face { border-left: none; border-top: 1px solid #d9dbe0; } }
table.pv-lectures { border-collapse: collapse; width: 100%; font-size: 14px; }
table.pv-lectures th, table.pv-lectures td { text-align: left; padding: 5px 8px;
  border-bottom: 1px solid #d9dbe0; vertical-align: top; }
.pv-kinds span { display: inline-block; margin: 0 6px 2px 0; padding: 0 6px; border-radius: 9px;
  background: #e4e8f0; font-size: 12px; }
.nightMode .pv-kinds span { background: #2b2d31; }
[hidden] { display: none !important; }
"""

_SCRIPT = """
(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[data-kind]'));
  var search = document.getElementById('pv-search');
  var items = Array.prototype.slice.call(document.querySelectorAll('[data-kinds]'));
  var count = document.getElementById('pv-count');
  var night = document.getElementById('pv-night');
  var links = Array.prototype.slice.call(document.querySelectorAll('a[data-page]'));
  var fromHash = /kinds=([^&]*)/.exec(location.hash);
  if (fromHash) {
    var wanted = decodeURIComponent(fromHash[1]).split(',');
    boxes.forEach(function (b) { b.checked = wanted.indexOf(b.dataset.kind) >= 0; });
  }
  if (/night=1/.test(location.hash) || localStorage.getItem('deckgen-night') === '1') {
    document.body.classList.add('nightMode');
  }
  function update() {
    var kinds = boxes.filter(function (b) { return b.checked; })
                     .map(function (b) { return b.dataset.kind; });
    var text = search ? search.value.toLowerCase() : '';
    var shown = 0;
    items.forEach(function (item) {
      var ok = item.dataset.kinds.split(' ').some(function (k) { return kinds.indexOf(k) >= 0; });
      if (ok && text) { ok = item.textContent.toLowerCase().indexOf(text) >= 0; }
      item.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if (count) { count.textContent = shown + ' of ' + items.length + ' shown'; }
    links.forEach(function (a) { a.href = a.dataset.page + '#kinds=' + kinds.join(','); });
  }
  boxes.forEach(function (b) { b.addEventListener('change', update); });
  if (search) { search.addEventListener('input', update); }
  if (night) {
    night.addEventListener('click', function () {
      var on = document.body.classList.toggle('nightMode');
      try { localStorage.setItem('deckgen-night', on ? '1' : '0'); } catch (e) {}
    });
  }
  update();
})();
"""


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def page_name(path: str, taken: set[str]) -> str:
    """A flat, unique file name for a lecture's page (``a/b.md`` → ``a--b.html``)."""
    stem = re.sub(r"\.(md|markdown)$", "", path, flags=re.I)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem.replace("/", "--")).strip("-.") or "lecture"
    name, n = f"{stem}.html", 1
    while name.lower() in taken or name.lower() == "index.html":
        n += 1
        name = f"{stem}-{n}.html"
    taken.add(name.lower())
    return name


def _document(title: str, header: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_SITE_CSS}\n{card_css()}</style>\n</head>\n"
        f'<body>\n<header class="pv">\n{header}\n</header>\n<main class="pv">\n{body}\n</main>\n'
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def _filters(kinds: dict[str, int], placeholder: str) -> str:
    boxes = "".join(
        f'<label><input type="checkbox" data-kind="{_esc(k)}" checked> {_esc(k)} ({n})</label>'
        for k, n in kinds.items()
    )
    return (
        f'<div class="pv-filters">{boxes}'
        f'<input id="pv-search" type="search" placeholder="{_esc(placeholder)}"></div>'
        '<button id="pv-night" type="button">night mode</button>'
        '<span id="pv-count" class="pv-count"></span>'
    )


def _total_kinds(lectures: Sequence[PreviewLecture]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for lecture in lectures:
        for kind, n in lecture.kinds.items():
            counts[kind] = counts.get(kind, 0) + n
    return dict(sorted(counts.items()))


def _card_html(card: PreviewCard, index: int) -> str:
    removed = '<span class="pv-removed">removed from the lecture</span>' if card.removed else ""
    return (
        f'<article class="pv-card" data-kinds="{_esc(card.kind)}">\n'
        f'<div class="pv-meta"><span class="pv-kind">{_esc(card.kind)}</span>'
        f"<span>card {index}</span><span>{_esc(card.source)}</span>{removed}</div>\n"
        '<div class="pv-faces">\n'
        '<div class="pv-face"><div class="pv-side">front</div>'
        f'<div class="card card{card.number}"><div class="qa">{card.question}</div></div></div>\n'
        '<div class="pv-face"><div class="pv-side">back</div>'
        f'<div class="card card{card.number}"><div class="qa">{card.answer}</div></div></div>\n'
        "</div>\n</article>"
    )


def lecture_page(lecture: PreviewLecture, index_name: str = "index.html") -> str:
    """The HTML page showing every card of one lecture, front and back."""
    header = f'<h1><a href="{index_name}">All lectures</a> › {_esc(lecture.deck)}</h1>' + _filters(
        lecture.kinds, "Search these cards"
    )
    cards = "\n".join(_card_html(card, i) for i, card in enumerate(lecture.cards, 1))
    body = f'<p class="pv-count">{_esc(lecture.path)}: {len(lecture.cards)} cards</p>\n{cards}'
    return _document(f"{lecture.deck} — deckgen preview", header, body)


def index_page(lectures: Sequence[PreviewLecture], pages: Sequence[str], engine: str) -> str:
    """The index: every lecture with its cards per kind, filterable by kind and title."""
    total = sum(len(lecture.cards) for lecture in lectures)
    header = "<h1>deckgen preview</h1>" + _filters(_total_kinds(lectures), "Filter lectures")
    rows = []
    for lecture, page in zip(lectures, pages, strict=True):
        kinds = " ".join(lecture.kinds)
        badges = "".join(f"<span>{_esc(k)} {n}</span>" for k, n in lecture.kinds.items())
        rows.append(
            f'<tr data-kinds="{_esc(kinds)}"><td><a data-page="{_esc(page)}" '
            f'href="{_esc(page)}">{_esc(lecture.deck)}</a></td><td>{_esc(lecture.path)}</td>'
            f'<td>{len(lecture.cards)}</td><td class="pv-kinds">{badges}</td></tr>'
        )
    body = (
        f'<p class="pv-count">{len(lectures)} lectures, {total} cards, rendered by '
        f"{_esc(engine)}.</p>\n"
        '<table class="pv-lectures"><thead><tr><th>deck</th><th>lecture</th><th>cards</th>'
        "<th>kinds</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )
    return _document("deckgen preview", header, body)


def site_files(
    lectures: Sequence[PreviewLecture], media: dict[str, bytes], engine: str
) -> dict[str, bytes]:
    """Every file of the preview site: name → content."""
    taken: set[str] = set()
    pages = [page_name(lecture.path, taken) for lecture in lectures]
    files = {
        "index.html": index_page(lectures, pages, engine).encode("utf-8"),
        MARKER: json.dumps({"generator": "deckgen preview"}).encode("utf-8"),
    }
    for lecture, page in zip(lectures, pages, strict=True):
        files[page] = lecture_page(lecture).encode("utf-8")
    files.update(media)  # referenced by cards as bare names, beside the pages
    return files


def write_site(out: Path, files: dict[str, bytes]) -> None:
    """Write the site to ``out`` all at once: built beside it, then swapped in.

    An existing ``out`` is replaced only if it is empty or an earlier preview.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise PreviewError(
            f"{out}: exists and is not a deckgen preview; choose another folder with -o"
        )
    parent = out.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    old: Path | None = None
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        staging.chmod(0o755)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=parent))
            os.replace(out, old / "site")
        os.replace(staging, out)
    except BaseException:
        if old is not None and not out.exists():
            os.replace(old / "site", out)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
