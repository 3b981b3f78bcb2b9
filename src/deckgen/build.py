"""The build: discover → reuse, or read → parse → cards → history → settings → stamp →
output → commit → record for the next build.

Like MkDocs' build, :func:`build` reads top to bottom and each concept lives in its
own module: :mod:`~deckgen.discover`, :mod:`~deckgen.incremental`,
:mod:`~deckgen.source` (read), :mod:`~deckgen.parse`, :mod:`~deckgen.cards`,
:mod:`~deckgen.history`, :mod:`~deckgen.settings` and :mod:`~deckgen.output`.
The CLI calls :func:`build` and prints its :class:`~deckgen.model.BuildReport`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from deckgen.atomic import sweep
from deckgen.cards import build_notes, position_gap
from deckgen.discover import deck_name, discover
from deckgen.history import History, anki_limits, id_problems, lecture_key
from deckgen.incremental import CacheEntry, Incremental, context_digest, input_digest
from deckgen.model import (
    BuildError,
    BuildReport,
    DeckSpec,
    Diagnostic,
    Lecture,
    LectureJob,
    LectureResult,
)
from deckgen.output import Bundle, Output, PackageTree, exclusive
from deckgen.parse import parse_lecture
from deckgen.render import MediaContext, collecting_media
from deckgen.settings import DeckSettings, SettingsError, apply
from deckgen.smells import profile
from deckgen.source import LectureError, Source, read_bytes, read_source, user_path

Progress = Callable[[Sequence[LectureJob]], AbstractContextManager[Iterable[LectureJob]]]


@dataclass(frozen=True)
class InterviewTarget:
    """Derive new cards/day so every card is introduced ``ready_days`` before ``interview``."""

    interview: date
    today: date
    ready_days: int = 7


@dataclass(frozen=True)
class BuildOptions:
    """How to build: where packages go, deck options, and which shortcuts are allowed."""

    out: Path = Path("decks")
    bundle: Path | None = None
    root: Path | None = None
    force: bool = False  # ignore the incremental cache
    check: bool = False  # write nothing; report what is out of date
    project: DeckSettings = field(default_factory=DeckSettings)  # Anki defaults + [tool.deckgen]
    flags: dict[str, Any] = field(default_factory=dict)  # deck options from the command line
    interview: InterviewTarget | None = None
    media_root: Path | None = None  # where site-absolute image paths (/images/x.png) resolve


def build(
    paths: Sequence[Path], options: BuildOptions | None = None, *, progress: Progress | None = None
) -> BuildReport:
    """Build packages for the lectures under ``paths`` (see :class:`BuildOptions`)."""
    options = options or BuildOptions()
    for raw in paths:  # before the output folder is touched
        if not raw.exists():
            raise BuildError(f"{raw}: no such file or folder")
    report = BuildReport()
    output = _output(options, report)
    with nullcontext() if options.check else exclusive(output.folder):
        if not options.check:
            # Temporary files of a build that was killed (a bundle's folder: only beside it).
            sweep(output.folder, deep=options.bundle is None)
        history = History(output.folder)
        reuse = not (options.force or options.check or options.bundle or options.interview)
        cache = Incremental(options.out, reuse, history.sha, history.lecture_digest)
        jobs = _discover(paths, options, history, cache, report)
        report.lectures = len(jobs)
        try:
            results = _lectures(jobs, options, history, cache, output, progress)
            results = _unique_ids(jobs, results, cache, report)
            derived = _interview_pace(options.interview, results, report)
            settings = [_settings(r.lecture, options, derived, report) for r in results]
            built = [(r, s) for r, s in zip(results, settings, strict=True) if s is not None]
            for result, _ in built:
                report.notes += len(result.notes)
                report.cards += sum(n.cards for n in result.notes)
            if built:  # (the lock is not even parsed when nothing is rebuilt)
                stamps = history.stamp(n for r, _ in built for n in r.notes)
                decks = [
                    (r.job, DeckSpec(r.deck, r.notes, settings=s, media=r.media.files))
                    for r, s in built
                ]
                output.write(decks, stamps)
            orphans: list[str] = []
            if all(p.is_dir() for p in paths):  # a whole lecture tree: look for orphans
                orphans = output.orphans(jobs, None if built else cache.known_orphans())
            lock_sha = history.sha
            if built:  # only rebuilt lectures can change the lock
                lock = history.to_bytes(lecture_key(r.lecture) for r, _ in built)
                lock_sha = hashlib.sha256(lock).hexdigest()
                if lock != history.data:
                    output.stage(history.path, lock, "lock file")
            output.commit()
        finally:
            output.discard()  # anything not committed (an error or an interrupt)
        if options.bundle is None and not options.check:
            for result, _ in built:
                lock_digest = history.lecture_digest(lecture_key(result.lecture), result.notes)
                cache.remember(result, lecture_key(result.lecture), lock_digest)
            cache.save(lock_sha, orphans)
    return report


def _discover(
    paths: Sequence[Path],
    options: BuildOptions,
    history: History,
    cache: Incremental,
    report: BuildReport,
) -> list[LectureJob]:
    """The lectures to build; files that cannot be lectures go to the report."""
    return discover(
        paths,
        options.out,
        options.root,
        cache.known(),
        roots=cache.roots,
        locked=history.lecture_ids,
        problems=report.diagnostics,
    )


def _unique_ids(
    jobs: Sequence[LectureJob],
    results: list[LectureResult],
    cache: Incremental,
    report: BuildReport,
) -> list[LectureResult]:
    """``results`` without the lectures whose id is another's or reserved (each an
    error); a lecture kept from the last build with such an id is no longer counted."""
    built = {r.job.rel: r for r in results}
    lectures: list[tuple[LectureJob, str, CacheEntry | None]] = []  # (job, key, kept entry)
    for job in jobs:
        if job.rel in built:
            lectures.append((job, lecture_key(built[job.rel].lecture), None))
        elif (entry := cache.new.get(job.rel)) is not None:
            lectures.append((job, entry.lecture_id, entry))
    problems = id_problems([(key, user_path(job.path)) for job, key, _ in lectures])
    for index, message in sorted(problems.items()):
        job, _, entry = lectures[index]
        shown = user_path(job.path)
        report.diagnostics.append(Diagnostic(shown, 1, "error", "lecture-id", message))
        built.pop(job.rel, None)
        if entry is not None:  # undo _kept
            del cache.new[job.rel]
            report.notes -= entry.notes
            report.cards -= entry.cards
            report.unchanged -= 1
            report.packages.remove(job.output)
    return [r for r in results if r.job.rel in built]


def _output(options: BuildOptions, report: BuildReport) -> Output:
    if options.bundle is not None:
        return Bundle(options.bundle, report, options.check)
    return PackageTree(options.out, report, options.check)


def _lectures(
    jobs: list[LectureJob],
    options: BuildOptions,
    history: History,
    cache: Incremental,
    output: Output,
    progress: Progress | None,
) -> list[LectureResult]:
    """Each lecture, kept from the last build (counted into the report) or built anew."""
    gap = position_gap(max([len(jobs), *(j.course for j in jobs)]))
    key = repr((gap, options.media_root)) + repr(
        (options.bundle is not None, options.project, sorted(options.flags.items()))
    )
    results = []
    with progress(jobs) if progress else nullcontext(jobs) as iterator:
        for job in iterator:
            context = context_digest(job.rel, job.position, key)
            if _kept(cache.unchanged(job, context), job, output.report):
                continue  # unchanged since the last build, by size and modification time
            result = _lecture(job, context, gap, options, history, cache, output)
            if result is not None:
                results.append(result)
    return results


def _lecture(
    job: LectureJob,
    context: str,
    gap: int,
    options: BuildOptions,
    history: History,
    cache: Incremental,
    output: Output,
) -> LectureResult | None:
    """Read, parse and turn one lecture into notes that keep their history."""
    report = output.report
    try:
        data = read_bytes(job.path)
        digest = input_digest(data, context)
        if _kept(cache.unchanged(job, context, digest), job, report):
            return None
        source = read_source(job.path, job.root, data)
    except LectureError as exc:
        report.diagnostics.append(Diagnostic(exc.path, exc.line, "error", exc.code, exc.message))
        return None
    lecture = parse_lecture(source)
    roots = [job.root] + ([options.media_root] if options.media_root else [])
    media = MediaContext(job.path.parent, roots, options.media_root)
    with collecting_media(media):
        notes = build_notes(lecture, job.position, gap)
    notes = history.keep_cloze_numbers(notes)
    lecture.diagnostics += _image_problems(source, media)
    if beyond := anki_limits(notes):  # never a package Anki refuses to import
        lecture.diagnostics.append(Diagnostic(source.shown, 1, "error", "anki-limit", beyond))
        report.diagnostics.extend(lecture.diagnostics)
        return None
    due = job.position * gap + gap - 1
    removed = history.removed(lecture, notes, due, lambda: output.previous(job))
    report.removed += len(removed)
    notes += removed
    report.diagnostics.extend(lecture.diagnostics)
    if not notes:
        message = "no facts to memorise found (only links, prose or exercises); no package written"
        report.diagnostics.append(Diagnostic(source.shown, 1, "warning", "no-cards", message))
        return None
    return LectureResult(job, lecture, notes, deck_name(lecture), digest, media, context)


def _kept(entry: CacheEntry | None, job: LectureJob, report: BuildReport) -> bool:
    """Count a lecture whose package the last build wrote as it is; False without one."""
    if entry is None:
        return False
    report.notes += entry.notes
    report.cards += entry.cards
    report.unchanged += 1
    report.packages.append(job.output)
    report.diagnostics.extend(Diagnostic(**d) for d in entry.diagnostics)  # type: ignore[arg-type]
    return True


def _image_problems(source: Source, media: MediaContext) -> list[Diagnostic]:
    """Image problems found while rendering. Render sees Markdown fragments without their
    position, so each points at the first line that mentions the image."""
    problems = dict.fromkeys(media.problems)
    return [
        Diagnostic(source.shown, source.line_of(src), "warning", "image", message)
        for src, message in problems
    ]


def _settings(
    lecture: Lecture, options: BuildOptions, derived: dict[str, Any], report: BuildReport
) -> DeckSettings | None:
    """The lecture's deck options: project file < front matter < flags; None on error."""
    try:
        values = apply(options.project, lecture.meta, f"{user_path(lecture.source)}: front matter")
    except SettingsError as exc:
        report.diagnostics.append(
            Diagnostic(user_path(lecture.source), 1, "error", "deck-options", str(exc))
        )
        return None
    return apply(values, {**options.flags, **derived}, "command line")


def _interview_pace(
    target: InterviewTarget | None, results: list[LectureResult], report: BuildReport
) -> dict[str, Any]:
    """Deck options derived from the interview date: the pace that is ready in time."""
    if target is None:
        return {}
    from deckgen.plan import PlanError, required_new_per_day

    # Cached lectures are never reused with an interview date, so every card is here.
    total = sum(n.cards for r in results for n in r.notes)
    try:
        per_day = required_new_per_day(total, target.today, target.interview, target.ready_days)
    except PlanError as exc:
        raise BuildError(str(exc)) from None
    report.notices.append(
        f"interview on {target.interview}: {total} cards at {per_day} new/day are all "
        f"introduced {target.ready_days} days before it; the decks' preset says "
        f"{per_day} new/day"
    )
    return {"new-per-day": per_day}


def collect(
    paths: Sequence[Path], options: BuildOptions | None = None, *, progress: Progress | None = None
) -> tuple[list[LectureResult], BuildReport]:
    """Read, parse and turn lectures into notes without writing anything.

    Returns each good lecture's result (lecture, notes, deck name, media) and a
    report holding the diagnostics and note/card counts.
    """
    options = replace(options or BuildOptions(), check=True, force=True)
    report = BuildReport()
    output = _output(options, report)
    history = History(output.folder)
    cache = Incremental(options.out, False, history.sha, history.lecture_digest)
    jobs = _discover(paths, options, history, cache, report)
    report.lectures = len(jobs)
    results = _lectures(jobs, options, history, cache, output, progress)
    results = _unique_ids(jobs, results, cache, report)
    for result in results:
        _settings(result.lecture, options, {}, report)
        report.notes += len(result.notes)
        report.cards += sum(n.cards for n in result.notes)
        report.profiles[user_path(result.lecture.source)] = profile(result.notes)
    return results, report


def check(
    paths: Sequence[Path], options: BuildOptions | None = None, *, progress: Progress | None = None
) -> BuildReport:
    """Diagnostics for the lectures under ``paths``, writing nothing."""
    return collect(paths, options, progress=progress)[1]
