"""Benchmark: build the shared corpus replicated to ~2,000 lectures.

Prints lectures/s, notes/s and peak RSS of `deckgen build`, and the floor: the
same notes written by plain genanki (``Package.write_to_file``, one package per
lecture). Target: deckgen's total time ≤ 1.5× that floor.

    .venv/bin/python scripts/benchmark.py [--corpus ../shared/corpus] [--lectures 2000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import genanki

from deckgen.build import BuildOptions, build
from deckgen.cards import build_notes
from deckgen.discover import deck_name, discover
from deckgen.notetypes import model_for
from deckgen.package import deck_id
from deckgen.parse import parse_lecture
from deckgen.source import read_source


def replicate(corpus: Path, target: Path, count: int) -> int:
    """Copy the corpus' lectures into ``target`` until there are ``count`` of them."""
    files = sorted(p for p in corpus.rglob("*.md") if p.name.lower() != "readme.md")
    n = 0
    copy = 0
    while n < count:
        for f in files:
            if n >= count:
                break
            dest = target / f"copy{copy:03d}" / f.relative_to(corpus)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest)
            n += 1
        copy += 1
    return n


def genanki_floor(lectures: Path, out: Path) -> tuple[float, int]:
    """Time plain genanki writing the same notes (parsing is done beforehand, untimed)."""
    jobs = discover([lectures], out)
    prepared = []
    for job in jobs:
        lecture = parse_lecture(read_source(job.path, job.root))
        notes = build_notes(lecture, job.position)
        if notes:
            prepared.append((job, deck_name(lecture), notes))
    start = time.perf_counter()
    count = 0
    for job, name, notes in prepared:
        deck = genanki.Deck(deck_id(name), name)
        for spec in notes:
            deck.add_note(
                genanki.Note(
                    model=model_for(spec.model),
                    fields=list(spec.fields),
                    tags=list(spec.tags),
                    guid=spec.guid,
                    due=spec.due,
                )
            )
            count += 1
        job.output.parent.mkdir(parents=True, exist_ok=True)
        genanki.Package(deck).write_to_file(job.output, timestamp=1_700_000_000)
    return time.perf_counter() - start, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus"
    )
    parser.add_argument("--lectures", type=int, default=2000)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="deckgen-bench-") as tmp:
        root = Path(tmp)
        n = replicate(args.corpus, root / "lectures", args.lectures)
        import warnings

        warnings.simplefilter("ignore")
        floor, floor_notes = genanki_floor(root / "lectures", root / "floor")
        start = time.perf_counter()
        report = build([root / "lectures"], BuildOptions(out=root / "decks"))
        total = time.perf_counter() - start
        noop_times = []
        for _ in range(3):
            start = time.perf_counter()
            noop = build([root / "lectures"], BuildOptions(out=root / "decks"))
            noop_times.append(time.perf_counter() - start)
        noop_time = statistics.median(noop_times)
        edited = next((root / "lectures").rglob("meta-execution.md"))
        edited.write_text(
            edited.read_text("utf-8").replace("Prioritizing rapid action", "Choosing rapid action"),
            "utf-8",
        )
        start = time.perf_counter()
        one = build([root / "lectures"], BuildOptions(out=root / "decks"))
        one_time = time.perf_counter() - start
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"lectures:           {n}")
    print(f"notes:              {report.notes} (cards {report.cards})")
    print(
        f"deckgen build:      {total:.2f} s  ({n / total:.0f} lectures/s, "
        f"{report.notes / total:.0f} notes/s)"
    )
    print(
        f"rebuild, no change: {noop_time:.3f} s median of "
        f"{', '.join(f'{t:.3f}' for t in noop_times)}  ({noop.unchanged} packages unchanged; "
        "target ≤ 0.3 s)"
    )
    print(f"rebuild, 1 edited:  {one_time:.3f} s  ({len(one.written)} package written)")
    print(
        f"genanki floor:      {floor:.2f} s  for the same {floor_notes} notes "
        f"(write_to_file only, parsing not timed)"
    )
    print(f"ratio:              {total / floor:.2f}× the floor (target ≤ 1.5×)")
    print(f"peak RSS:           {rss_mb:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
