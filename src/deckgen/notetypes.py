"""The note types deckgen ships: fixed ids, stable field and template ids, CSS.

These ids are a promise to every user who imported a deck: Anki matches note
types by id, and a changed id or an added field makes it copy the note type
("deckgen Q&A+") and split the deck. ``tests/test_notetypes.py`` snapshots them.
Change them only as a versioned, documented decision.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # genanki (and Pygments, for the CSS) load only when a package is made
    import genanki

QA_MODEL_ID = 1_734_021_901
CLOZE_MODEL_ID = 1_734_021_902

QA_FIELDS = ("Prompt", "Answer", "Context", "Lecture", "Extra", "Source", "Notice")
CLOZE_FIELDS = ("Text", "Context", "Lecture", "Extra", "Source", "Notice")

# Stable ids (Anki's per-field / per-template "id") so renames update in place.
_FIELD_IDS = {
    "Prompt": 7_341_201_001,
    "Answer": 7_341_201_002,
    "Context": 7_341_201_003,
    "Lecture": 7_341_201_004,
    "Extra": 7_341_201_005,
    "Source": 7_341_201_006,
    "Notice": 7_341_201_007,
    "Text": 7_341_201_008,
}
QA_TEMPLATE_ID = 7_341_202_001
CLOZE_TEMPLATE_ID = 7_341_202_002

CSS = """\
.card {
  --dg-fg: #1d1d1f; --dg-bg: #ffffff; --dg-muted: #6b6b70; --dg-accent: #2f6fdb;
  --dg-code-bg: #f3f4f6; --dg-border: #d9dbe0; --dg-cloze: #2f6fdb; --dg-notice: #b3261e;
  font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 19px; line-height: 1.45; color: var(--dg-fg); background: var(--dg-bg);
  text-align: left; margin: 0; padding: 14px;
}
.card.nightMode, .nightMode .card, .night_mode .card {
  --dg-fg: #e6e6e9; --dg-bg: #1e1f22; --dg-muted: #a0a0a8; --dg-accent: #7aa7ff;
  --dg-code-bg: #2b2d31; --dg-border: #3c3f45; --dg-cloze: #7aa7ff; --dg-notice: #ff8a80;
}
.dg { max-width: 42em; margin: 0 auto; overflow-wrap: anywhere; }
.dg-lecture { font-size: 0.72em; color: var(--dg-muted); text-transform: uppercase;
  letter-spacing: 0.04em; margin-bottom: 0.2em; }
.dg-context { font-size: 0.85em; color: var(--dg-muted); margin-bottom: 0.6em; }
.dg-prompt, .dg-question { font-size: 1.08em; font-weight: 600; margin: 0.3em 0 0.6em; }
.dg-notice { color: var(--dg-notice); font-weight: 600; margin: 0.4em 0; }
.dg-answer, .dg-text { margin-top: 0.4em; }
.dg-extra { margin-top: 0.8em; padding-top: 0.5em; border-top: 1px dashed var(--dg-border);
  color: var(--dg-muted); font-size: 0.92em; }
.dg-source { margin-top: 1em; font-size: 0.7em; color: var(--dg-muted);
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.dg dl { margin: 0.2em 0; }
.dg dt { font-weight: 600; color: var(--dg-accent); margin-top: 0.5em; }
.dg dd { margin: 0.1em 0 0 1em; }
.dg ul, .dg ol { padding-left: 1.3em; margin: 0.3em 0; }
.dg li { margin: 0.2em 0; }
.dg code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: var(--dg-code-bg); border-radius: 4px; padding: 0 0.25em; font-size: 0.9em; }
.dg pre { background: var(--dg-code-bg); border: 1px solid var(--dg-border); border-radius: 6px;
  padding: 0.6em 0.8em; overflow-x: auto; white-space: pre; overflow-wrap: normal;
  word-break: normal; font-size: 0.8em; line-height: 1.35; -webkit-overflow-scrolling: touch; }
.dg pre code { background: none; padding: 0; font-size: 1em; }
.dg table { border-collapse: collapse; display: block; overflow-x: auto; max-width: 100%;
  font-size: 0.88em; margin: 0.4em 0; }
.dg th, .dg td { border: 1px solid var(--dg-border); padding: 0.25em 0.5em; vertical-align: top; }
.dg th { background: var(--dg-code-bg); }
.dg blockquote { border-left: 3px solid var(--dg-border); margin: 0.4em 0; padding-left: 0.8em;
  color: var(--dg-muted); }
.dg a { color: var(--dg-accent); }
.dg img { max-width: 100%; height: auto; }
.cloze { font-weight: 700; color: var(--dg-cloze); }
hr#answer { border: none; border-top: 1px solid var(--dg-border); margin: 0.8em 0; }
.dg-diagram .dg-label, .dg-missing-image { font-size: 0.75em; color: var(--dg-muted); }
.dg-math { overflow-x: auto; }
.dg-callout { border-left: 3px solid var(--dg-accent); background: var(--dg-code-bg);
  border-radius: 4px; padding: 0.3em 0.8em; margin: 0.4em 0; }
.dg-callout-title { font-weight: 600; font-size: 0.85em; color: var(--dg-accent); }
@media (max-width: 480px) { .card { font-size: 17px; padding: 8px; } }
"""


def card_css() -> str:
    """The note types' CSS: deckgen's styles (``CSS``), then Pygments' colours for card
    code (Pygments is imported only when a note type is made)."""
    from deckgen.render import code_css

    return CSS + code_css()


_HEADER = (
    '<div class="dg-lecture">{{Lecture}}</div>\n'
    '{{#Context}}<div class="dg-context">{{Context}}</div>{{/Context}}\n'
    '{{#Notice}}<div class="dg-notice">{{Notice}}</div>{{/Notice}}\n'
)
_FOOTER = (
    '{{#Extra}}<div class="dg-extra">{{Extra}}</div>{{/Extra}}\n'
    '<div class="dg-source">{{Source}}</div>\n'
)

QA_QFMT = '<div class="dg dg-qa">\n' + _HEADER + '<div class="dg-prompt">{{Prompt}}</div>\n</div>'
QA_AFMT = (
    '<div class="dg dg-qa">\n' + _HEADER + '<div class="dg-prompt">{{Prompt}}</div>\n'
    '<hr id="answer">\n<div class="dg-answer">{{Answer}}</div>\n' + _FOOTER + "</div>"
)
CLOZE_QFMT = (
    '<div class="dg dg-cloze">\n' + _HEADER + '<div class="dg-text">{{cloze:Text}}</div>\n</div>'
)
CLOZE_AFMT = (
    '<div class="dg dg-cloze">\n'
    + _HEADER
    + '<div class="dg-text">{{cloze:Text}}</div>\n'
    + _FOOTER
    + "</div>"
)


def _fields(names: tuple[str, ...]) -> list[dict[str, object]]:
    return [{"name": n, "id": _FIELD_IDS[n], "font": "Arial", "size": 20} for n in names]


@lru_cache(maxsize=1)
def qa_model() -> genanki.Model:
    """Front/back note type for concepts, terms and section recall."""
    import genanki

    return genanki.Model(
        QA_MODEL_ID,
        "deckgen Q&A",
        fields=_fields(QA_FIELDS),
        templates=[{"name": "Recall", "id": QA_TEMPLATE_ID, "qfmt": QA_QFMT, "afmt": QA_AFMT}],
        css=card_css(),
        sort_field_index=0,
    )


@lru_cache(maxsize=1)
def cloze_model() -> genanki.Model:
    """Cloze note type for STAR stories, tips, objectives and strategies."""
    import genanki

    return genanki.Model(
        CLOZE_MODEL_ID,
        "deckgen Cloze",
        fields=_fields(CLOZE_FIELDS),
        templates=[
            {"name": "Cloze", "id": CLOZE_TEMPLATE_ID, "qfmt": CLOZE_QFMT, "afmt": CLOZE_AFMT}
        ],
        css=card_css(),
        model_type=genanki.Model.CLOZE,
        sort_field_index=0,
    )


NOTE_TYPES = ("qa", "cloze")


def model_for(name: str) -> genanki.Model:
    """The note type called ``"qa"`` or ``"cloze"``."""
    return qa_model() if name == "qa" else cloze_model()


def field_names(name: str) -> tuple[str, ...]:
    """Field names of the note type called ``"qa"`` or ``"cloze"``."""
    return QA_FIELDS if name == "qa" else CLOZE_FIELDS


def escape_text(text: str) -> str:
    """Plain text as field HTML."""
    return html.escape(text, quote=False)


def protect_cloze(text: str) -> str:
    """Escape sequences Anki's cloze parser would read inside a cloze field."""
    return text.replace("{{", "{&#123;").replace("}}", "}&#125;").replace("::", ":&#58;")


def cloze_deletion(n: int, content_html: str) -> str:
    """``content_html`` as cloze deletion number ``n`` (card ``n`` of a cloze note)."""
    return "{{c" + str(n) + "::" + protect_cloze(content_html) + "}}"
