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
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from deckgen.atomic import sweep
from deckgen.cards import position_gap
from deckgen.discover import discover
from deckgen.history import History, entries_digest, id_problems, key_lecture, lecture_key
from deckgen.incremental import CacheEntry, Incremental, context_digest, input_digest
from deckgen.model import (
    BuildError,
    BuildReport,
    DeckSpec,
    Diagnostic,
    LectureJob,
    LectureResult,
)
from deckgen.output import Bundle, Output, PackageTree, exclusive
from deckgen.parallel import (
    Built,
    Lectures,
    LectureTask,
    Outcome,
    WorkerSetup,
    _Done,
    default_jobs,
    in_order,
    lecture_settings,
)
from deckgen.settings import DeckSettings
from deckgen.smells import profile
from deckgen.source import LectureError, read_bytes, user_path

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
    jobs: int | None = None  # worker processes (None: one per core; 1: none, all in-process)


def build(
    paths: Sequence[Path], options: BuildOptions | None = None, *, progress: Progress | None = None
) -> BuildReport:
    """Build packages for the lectures under ``paths`` (see :class:`BuildOptions`)."""
    options = options or BuildOptions()
    for raw in paths:  # before the output folder is touched
        if not raw.exists():
            raise BuildError(f"{raw}: no such file or folder")
    # One package per lecture: each is packaged and staged as soon as it is built. A
    # bundle, or a pace derived from every lecture's cards, waits for all of them.
    hold = options.bundle is not None or options.interview is not None
    return _build(paths, options, progress, hold)


def _build(
    paths: Sequence[Path], options: BuildOptions, progress: Progress | None, hold: bool
) -> BuildReport:
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
        built: list[Built] = []
        try:
            if hold:
                built = _batch(jobs, options, history, cache, output, progress)
            else:
                built = _stream(jobs, options, history, cache, output, progress)
            orphans: list[str] = []
            if all(p.is_dir() for p in paths):  # a whole lecture tree: look for orphans
                orphans = output.orphans(jobs, None if built else cache.known_orphans())
            lock_sha = history.sha
            if built:  # only rebuilt lectures can change the lock
                lock = history.to_bytes(b.lecture_key for b in built)
                lock_sha = hashlib.sha256(lock).hexdigest()
                if lock != history.data:
                    output.stage(history.path, lock, "lock file")
            output.commit()
        finally:
            output.discard()  # anything not committed (an error or an interrupt)
        if options.bundle is None and not options.check:
            for lecture in built:
                lock_digest = entries_digest((k, history.stamped[k]) for k in lecture.keys)
                cache.remember(lecture, lecture.lecture_key, lock_digest)  # type: ignore[arg-type]
            cache.save(lock_sha, orphans)
    return report


def _stream(
    jobs: list[LectureJob],
    options: BuildOptions,
    history: History,
    cache: Incremental,
    output: Output,
    progress: Progress | None,
) -> list[Built]:
    """Build, stamp, package and stage each lecture as it comes (in workers); keep only
    what the lock, the report and the build cache need of it. A lecture whose id turns
    out to be another's (known only once every lecture is read) is unstaged again."""
    report = output.report
    built: list[Built] = []
    refused: list[Outcome] = []  # deck options in error: reported after the lecture ids
    outcomes = _outcomes(jobs, options, history, cache, report, progress, package=True)
    for outcome in outcomes:
        if outcome.settings_error is not None:
            refused.append(outcome)
            continue
        lecture = outcome.built
        if lecture is None:  # not read, refused by Anki's limits, or no cards: see diagnostics
            continue
        if not history.stamped:
            history.stamp([])  # the note types' times
        # Two lectures share note keys only when they share an id: both are dropped below.
        history.stamped.update(lecture.stamped)
        if lecture.data is not None:
            output.stage(lecture.job.output, lecture.data, "package")
        lecture.data, lecture.stamped = None, {}
        built.append(lecture)
    keys = {b.job.rel: b.lecture_key for b in built}
    keys.update((o.job.rel, o.lecture_key) for o in refused if o.job is not None)
    dropped = _unique_ids(jobs, keys, cache, report)
    if dropped:
        ids = {b.lecture_key for b in built if b.job.rel in dropped}
        for lecture in built:
            if lecture.job.rel in dropped and lecture.state == "differs":
                output.unstage(lecture.job.output)
        for key in [k for k in history.stamped if key_lecture(k) in ids]:
            del history.stamped[key]
        built = [b for b in built if b.job.rel not in dropped]
    # The report lists what was kept before what was built, and deck-option errors
    # after every lecture's own diagnostics, as a batch build does.
    for outcome in refused:
        if outcome.job is None or outcome.job.rel not in dropped:
            assert outcome.settings_error is not None
            report.diagnostics.append(outcome.settings_error)
    for lecture in built:
        report.notes += len(lecture.keys)
        report.cards += sum(lecture.cards)
    for lecture in built:
        output.count(lecture.job.output, lecture.state)
    return built


def _batch(
    jobs: list[LectureJob],
    options: BuildOptions,
    history: History,
    cache: Incremental,
    output: Output,
    progress: Progress | None,
) -> list[Built]:
    """Build every lecture, then stamp and package them together (a bundle, a pace
    derived from every lecture's cards)."""
    report = output.report
    outcomes = _outcomes(jobs, options, history, cache, report, progress, package=False)
    results = [o.result for o in outcomes if o.result is not None]
    results = _unique_results(jobs, results, cache, report)
    derived = _interview_pace(options.interview, results, report)
    settings = [lecture_settings(r.lecture, options, derived, report) for r in results]
    chosen = [(r, s) for r, s in zip(results, settings, strict=True) if s is not None]
    for result, _ in chosen:
        report.notes += len(result.notes)
        report.cards += sum(n.cards for n in result.notes)
    if chosen:  # (the lock is not even parsed when nothing is rebuilt)
        stamps = history.stamp(n for r, _ in chosen for n in r.notes)
        decks = [
            (r.job, DeckSpec(r.deck, r.notes, settings=s, media=r.media.files)) for r, s in chosen
        ]
        output.write(decks, stamps)
    return [
        Built(
            job=r.job,
            lecture_key=lecture_key(r.lecture),
            digest=r.digest,
            context=r.context,
            keys=[n.key for n in r.notes],
            cards=[n.cards for n in r.notes],
            stamped={},
            diagnostics=r.lecture.diagnostics,
            sources=r.media.sources,
            looked_up=r.media.looked_up,
            state="",
            data=None,
        )
        for r, _ in chosen
    ]


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
    keys: dict[str, str],
    cache: Incremental,
    report: BuildReport,
) -> set[str]:
    """The lectures (by ``rel``) whose id is another's or reserved (each an error), of
    those built (``keys``: their lecture keys by ``rel``) and those kept from the last
    build; a lecture kept with such an id is no longer counted."""
    lectures: list[tuple[LectureJob, str, CacheEntry | None]] = []  # (job, key, kept entry)
    for job in jobs:
        if job.rel in keys:
            lectures.append((job, keys[job.rel], None))
        elif (entry := cache.new.get(job.rel)) is not None:
            lectures.append((job, entry.lecture_id, entry))
    problems = id_problems([(key, user_path(job.path)) for job, key, _ in lectures])
    dropped: set[str] = set()
    for index, message in sorted(problems.items()):
        job, _, entry = lectures[index]
        shown = user_path(job.path)
        report.diagnostics.append(Diagnostic(shown, 1, "error", "lecture-id", message))
        if entry is None:
            dropped.add(job.rel)
        else:  # undo _kept
            del cache.new[job.rel]
            report.notes -= entry.notes
            report.cards -= entry.cards
            report.unchanged -= 1
            report.packages.remove(job.output)
    return dropped


def _unique_results(
    jobs: Sequence[LectureJob],
    results: list[LectureResult],
    cache: Incremental,
    report: BuildReport,
) -> list[LectureResult]:
    """``results`` without the lectures whose id is another's or reserved (see
    :func:`_unique_ids`)."""
    keys = {r.job.rel: lecture_key(r.lecture) for r in results}
    dropped = _unique_ids(jobs, keys, cache, report)
    return [r for r in results if r.job.rel not in dropped]


def _output(options: BuildOptions, report: BuildReport) -> Output:
    if options.bundle is not None:
        return Bundle(options.bundle, report, options.check)
    return PackageTree(options.out, report, options.check)


def _outcomes(
    jobs: list[LectureJob],
    options: BuildOptions,
    history: History,
    cache: Incremental,
    report: BuildReport,
    progress: Progress | None,
    *,
    package: bool,
) -> Iterator[Outcome]:
    """The outcome of each lecture built anew, in course order; a lecture kept from the
    last build is counted into the report, as are every lecture's diagnostics."""
    gap = position_gap(max([len(jobs), *(j.course for j in jobs)]))
    key = repr((gap, options.media_root)) + repr(
        (options.bundle is not None, options.project, sorted(options.flags.items()))
    )
    contexts = [context_digest(job.rel, job.position, key) for job in jobs]
    # unchanged since the last build, by size and modification time: not even read
    unread = [cache.unchanged(job, context) for job, context in zip(jobs, contexts, strict=True)]
    remaining = list(itertools.accumulate((e is None for e in reversed(unread)), initial=0))
    remaining.reverse()  # remaining[i]: lectures from i on that may need building

    def prepare(job: LectureJob, index: int) -> Any:
        if unread[index] is not None:
            return _Done(unread[index])
        try:
            data = read_bytes(job.path)
        except LectureError as exc:
            return _Done(Diagnostic(exc.path, exc.line, "error", exc.code, exc.message))
        digest = input_digest(data, contexts[index])
        entry = cache.unchanged(job, contexts[index], digest)
        if entry is not None:
            return _Done(entry)
        task = LectureTask(job, data, digest, contexts[index])
        return lectures.submit(task, remaining[index])

    setup = WorkerSetup(options, gap, history, package, options.check)
    jobs_wanted = options.jobs if options.jobs is not None else default_jobs()
    with (
        Lectures(setup, jobs_wanted, remaining[0]) as lectures,
        progress(jobs) if progress else nullcontext(jobs) as iterator,
    ):
        for job, got in in_order(jobs, iter(iterator), prepare, lectures):
            if isinstance(got, CacheEntry):
                _kept(got, job, report)
            elif isinstance(got, Diagnostic):
                report.diagnostics.append(got)
            else:
                report.removed += got.removed
                report.diagnostics.extend(got.diagnostics)
                yield got


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
    outcomes = _outcomes(jobs, options, history, cache, report, progress, package=False)
    results = [o.result for o in outcomes if o.result is not None]
    results = _unique_results(jobs, results, cache, report)
    for result in results:
        lecture_settings(result.lecture, options, {}, report)
        report.notes += len(result.notes)
        report.cards += sum(n.cards for n in result.notes)
        report.profiles[user_path(result.lecture.source)] = profile(result.notes)
    return results, report


def check(
    paths: Sequence[Path], options: BuildOptions | None = None, *, progress: Progress | None = None
) -> BuildReport:
    """Diagnostics for the lectures under ``paths``, writing nothing."""
    return collect(paths, options, progress=progress)[1]
