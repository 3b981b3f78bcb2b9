"""Card-quality figures for a folder of lectures (prints numbers; it is not a test).

    .venv/bin/python scripts/card_report.py [FOLDER] [--cards] [--lecture SUBSTRING]

For every lecture: cards per kind, cards per smell (see ``deckgen.smells``), and recall:
the share of **Definition** bullets, STAR parts of stories with a question, and tips
(items of sections whose heading says "tip") whose words are on some card. Recall is
read from the Markdown with plain patterns, independently of deckgen's parser.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from deckgen.build import BuildOptions, collect
from deckgen.smells import SMELLS, lecture_smells, tally, text_of

_DEFINITION_RE = re.compile(r"\*\*(?:Definition)\*\*\s*:?\s*(?::)?\s*(.+)", re.I)
_PART_RE = re.compile(r"\*\*(Situation|Task|Action|Result)\*\*\s*:?\s*(.+)", re.I)
_HEADING_RE = re.compile(r"^(#{2,6})\s+(.*)$")
_ITEM_RE = re.compile(r"^\s*[-*+]\s+(.*)$")
_WORD_RE = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(re.sub(r"[*_`]", "", text).casefold())


def facts(markdown: str) -> list[tuple[str, str]]:
    """(kind, text) of the facts a lecture must keep on some card."""
    out: list[tuple[str, str]] = []
    in_tips = in_practice = False
    in_fence = False
    has_question = "**question**" in markdown.lower()
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            in_tips = bool(re.search(r"\btips?\b", heading.group(2), re.I))
            if len(heading.group(1)) <= 2:
                in_practice = bool(re.search(r"\bpractice\b", heading.group(2), re.I))
            continue
        if in_practice:
            continue
        if m := _DEFINITION_RE.search(line):
            out.append(("definition", m.group(1)))
        elif (m := _PART_RE.search(line)) and has_question:
            out.append(("star", m.group(2)))
        elif (
            in_tips
            and (m := _ITEM_RE.match(line))
            and len(_words(m.group(1))) >= 3
            and not re.search(r"\*\*(?:situation|task|action|result|question)", line, re.I)
        ):
            out.append(("tip", m.group(1)))
    return out


def covered(fact: str, texts: list[set[str]]) -> bool:
    """A fact is on a card when most of its words appear together on one card."""
    words = [w for w in _words(fact) if len(w) > 2]
    if not words:
        return True
    return any(sum(w in t for w in words) >= 0.8 * len(words) for t in texts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", default="../shared/corpus")
    parser.add_argument("--cards", action="store_true", help="print every card with its smells")
    parser.add_argument("--lecture", default="", help="only lectures whose path contains this")
    args = parser.parse_args()
    folder = Path(args.folder)
    results, _ = collect([folder], BuildOptions(root=folder.resolve()))
    totals: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    recall: Counter[str] = Counter()
    recall_all: Counter[str] = Counter()
    for result in results:
        if args.lecture not in result.job.rel:
            continue
        pairs = lecture_smells(result.notes)
        totals.update(tally(pairs))
        for card, found in pairs:
            kinds[card.note.kind] += 1
            if args.cards:
                mark = f" !! {','.join(found)}" if found else ""
                print(f"[{card.note.kind}] {result.job.rel}:{card.note.line}{mark}")
                print(f"   Q: {card.front[:300]}")
                print(f"   A: {card.answer[:300]}")
        texts = [
            " ".join(_words(" ".join(text_of(f) for f in note.fields))) for note in result.notes
        ]
        text_sets = [set(t.split()) for t in texts]
        markdown = result.job.path.read_text(encoding="utf-8", errors="replace")
        for kind, fact in facts(markdown):
            recall_all[kind] += 1
            if covered(fact, text_sets):
                recall[kind] += 1
            elif args.cards:
                print(f"MISSING {kind} {result.job.rel}: {fact[:120]}")
    n = totals["cards"] or 1
    print(f"{totals['cards']} cards in {len(results)} lectures; by kind: {dict(kinds)}")
    for smell in SMELLS:
        print(f"  {smell:15} {totals[smell]:5}  {100 * totals[smell] / n:5.1f}%")
    print(f"  {'any smell':15} {totals['smelly']:5}  {100 * totals['smelly'] / n:5.1f}%")
    for kind in ("definition", "star", "tip"):
        total = recall_all[kind] or 1
        share = 100 * recall[kind] / total
        print(f"  recall {kind:10} {recall[kind]}/{recall_all[kind]} = {share:.0f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
