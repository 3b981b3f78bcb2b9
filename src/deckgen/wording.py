"""The words of lectures: which labels name concepts, which open advice, sentences.

Small lexical rules shared by the parse stage (is this list a list of terms?), the
cards stage (what to hide in an item) and the smell checks.
"""

from __future__ import annotations

import html
import re
import unicodedata

from deckgen.render import plain_text

# Verbs that open a reason, benefit or piece of advice ("Optimize Performance", "Drive
# Impact"), never the name of a domain concept.
ADVICE_VERBS = frozenset(
    """
    accelerate ace achieve adapt align analyze apply articulate ask assess avoid balance be
    become boost bring clarify collaborate communicate compare connect consider create cut
    deliver demonstrate develop discuss drive earn eliminate embrace emphasize empower
    enable encourage enhance ensure excel explain explore facilitate foster gain get grow
    handle help highlight identify improve increase keep know learn leverage listen maintain
    make master maximize mention minimize motivate navigate practice prepare prevent
    prioritize promote prove provide quantify reduce reflect reinforce resolve save show
    showcase simplify solve stand stay strengthen streamline succeed support tailor teach
    thrive understand
    """.split()
)
# Labels that name where a fact sits rather than a concept of their own.
GENERIC_LABELS = frozenset(
    """
    description purpose role responsibility responsibilities details detail note notes
    summary overview example examples scenario context problem solution approach idea issue
    issues impact focus goal result outcome benefit benefits advantage advantages drawback
    drawbacks pros cons usage implementation structure process output input functionality
    performance scalability reliability maintainability readability simplicity flexibility
    security usability efficiency clarity consistency testing testability complexity why how
    when what who where challenge challenges key takeaway tip tips question answer
    """.split()
) | {
    "edge cases",
    "use case",
    "use cases",
    "key idea",
    "key points",
    "real-world use",
    "real world use",
    "time complexity",
    "space complexity",
    "big o",
    "trade-offs",
    "trade-off",
    "best practices",
    "common pitfalls",
    "how it works",
    "when to use",
    "why it matters",
    "key features",
    "in practice",
    "pattern applied",
    "example flow",
    "optional",
    "required",
    "mandatory",
    "answer outline",
    "interview tip",
    "interview tips",
}


# The everyday parts of any system: a list of components names them beside real concepts,
# but defining one asks nothing ("Client: browser/mobile app interacting with services").
EVERYDAY_PARTS = frozenset(
    """
    client clients caller server database databases cache storage monitoring logging
    frontend backend user users
    """.split()
) | {"service caller", "application server", "app server", "web server"}


def is_everyday_part(label: str) -> bool:
    """Whether a bold label names a part every system has ("Client", "Database")."""
    return " ".join(plain_text(label).split()).strip(" :.").casefold() in EVERYDAY_PARTS


def is_generic_label(label: str) -> bool:
    """Whether a bold label only says where a fact sits ("Example", "Pros", "Note")."""
    return " ".join(plain_text(label).split()).strip(" :.").casefold() in GENERIC_LABELS


def is_concept_label(label: str) -> bool:
    """Whether a bold label names a domain concept (a term worth defining): not a
    generic facet ("Edge Cases") and not a reason or advice ("Optimize Performance")."""
    text = " ".join(plain_text(label).split()).strip(" :.")
    norm = text.casefold()
    if not norm or norm in GENERIC_LABELS or len(text.split()) > 8:
        return False
    first = re.split(r"[\s/-]+", norm, maxsplit=1)[0]
    return first not in ADVICE_VERBS


# Headings whose lists give reasons, benefits, uses or examples: the heading is the cue.
LIST_FACET_RE = re.compile(
    r"\b(?:benefits?|advantages?|disadvantages?|pros|cons|drawbacks?|reasons?|use cases?"
    r"|examples?|applications?|when to use|why|trade ?offs?|pitfalls?|mistakes|challenges"
    r"|limitations?|best practices|tips?|features|goals?|key points|steps|techniques"
    r"|requirements?)\b",
    re.I,
)
BIG_O_RE = re.compile(r"O\((?:[^()]|\([^()]*\))*\)")  # O(n), O(n log n), O(min(m, n))
MAX_ANSWER_WORDS = 40  # longer answers are context, not something to recall
MAX_CODE_LINES = 15
_WORD_RE = re.compile(r"[\w'+#-]+")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"(`*\[])")
ANNOUNCE_RE = re.compile(
    r"^(?:let['’]s|let us|we(?:['’]ll| will)|in this (?:lecture|section)|this (?:lecture|section)"
    r"|here(?:['’]s| is| are)|below\b|the following|imagine\b|consider\b)",
    re.I,
)
STOPWORDS = frozenset(
    """
    a an the of to in on for and or is are be was were it its this that with as by at from
    you your i my we our they their
    """.split()
)


_TAG_RE = re.compile(r"<[^>]+>")


def fragment_text(fragment: str) -> str:
    """The text of a card's HTML fragment: references decoded, tags as spaces."""
    return _TAG_RE.sub(" ", html.unescape(fragment))


def stems(text: str, length: int = 5) -> set[str]:
    """Crude stems of the content words of plain text, their first ``length`` letters
    ("quantify" and "quantified" meet); words under three letters say nothing."""
    return {w[:length] for w in content_words(text) if len(w) > 2}


def root(word: str) -> str:
    """A word without its -ing/-s/-e ending: "Diving" and "Dive" meet at "div"."""
    for ending in ("ing", "s", "e"):
        if len(word) > len(ending) + 2 and word.endswith(ending):
            word = word[: -len(ending)]
    return word


def words(text: str) -> list[str]:
    """Lower-case words of plain text."""
    return _WORD_RE.findall(text.casefold())


def content_words(text: str) -> set[str]:
    """The words of ``text`` that carry meaning (no articles, pronouns, …)."""
    return {w for w in words(text) if w not in STOPWORDS}


def sentences(markdown: str) -> list[str]:
    """The sentences of block Markdown prose (inline Markdown kept), in order."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", markdown):
        text = " ".join(line.strip() for line in paragraph.splitlines()).strip()
        text = re.sub(r"^(?:[-*+>]|\d+[.)])\s+", "", text)
        if text:
            out += [s.strip() for s in _SENTENCE_END_RE.split(text) if s.strip()]
    return out


def is_fact_sentence(sentence: str) -> bool:
    """A sentence that states something: not an announcement, question or lead-in."""
    plain = plain_text(sentence).strip()
    return (
        len(words(plain)) >= 4
        and not ANNOUNCE_RE.match(plain)
        and not (plain and unicodedata.category(plain[0]) == "So")  # ✅ / 👉 callouts
        and not plain.rstrip().endswith((":", "?"))
    )
