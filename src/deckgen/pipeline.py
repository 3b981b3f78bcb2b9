"""Building a build's lectures: each one read, parsed, turned into notes that keep their
history, and packaged, in worker processes (see :mod:`~deckgen.parallel`).

:func:`stream` stages each package as soon as its lecture is done, keeping only what the
lock, the report and the cache need; :func:`batch` holds every lecture until all are
built (a bundle, or a pace derived from every lecture's cards). :func:`lecture_outcomes` yields
each lecture built anew, in course order; a lecture kept from the last build is counted.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from typing import Any

from deckgen.history import NewLock, id_problems, key_lecture, lecture_key
from deckgen.incremental import CacheEntry, Incremental, context_digest, input_digest
from deckgen.model import (
    BuildError,
    BuildOptions,
    BuildReport,
    DeckSpec,
    Diagnostic,
    InterviewTarget,
    LectureJob,
    LectureResult,
    Progress,
    position_gap,
)
from deckgen.output import Output
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
from deckgen.source import LectureError, read_bytes, user_path


def stream(
    jobs: list[LectureJob],
    options: BuildOptions,
    lock: NewLock,
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
    outcomes = lecture_outcomes(jobs, options, lock, cache, report, progress, package=True)
    for outcome in outcomes:
        if outcome.settings_error is not None:
            refused.append(outcome)
            continue
        lecture = outcome.built
        if lecture is None:  # not read, refused by Anki's limits, or no cards: see diagnostics
            continue
        if not lock.stamped:
            lock.stamp([])  # the note types' times
        # Two lectures share note keys only when they share an id: both are dropped below.
        lock.stamped.update(lecture.stamped)
        if lecture.data is not None:
            output.staged.stage(lecture.job.output, lecture.data, "package")
        lecture.data, lecture.stamped = None, {}
        built.append(lecture)
    keys = {b.job.rel: b.lecture_key for b in built}
    keys.update((o.job.rel, o.lecture_key) for o in refused if o.job is not None)
    dropped = _unique_ids(jobs, keys, cache, report)
    if dropped:
        ids = {b.lecture_key for b in built if b.job.rel in dropped}
        for lecture in built:
            if lecture.job.rel in dropped and lecture.state == "differs":
                output.staged.unstage(lecture.job.output)
        for key in [k for k in lock.stamped if key_lecture(k) in ids]:
            del lock.stamped[key]
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


def batch(
    jobs: list[LectureJob],
    options: BuildOptions,
    lock: NewLock,
    cache: Incremental,
    output: Output,
    progress: Progress | None,
) -> list[Built]:
    """Build every lecture, then stamp and package them together (a bundle, a pace
    derived from every lecture's cards)."""
    report = output.report
    outcomes = lecture_outcomes(jobs, options, lock, cache, report, progress, package=False)
    results = [o.result for o in outcomes if o.result is not None]
    results = unique_results(jobs, results, cache, report)
    derived = _interview_pace(options.interview, results, report)
    settings = [lecture_settings(r.lecture, options, derived, report) for r in results]
    chosen = [(r, s) for r, s in zip(results, settings, strict=True) if s is not None]
    for result, _ in chosen:
        report.notes += len(result.notes)
        report.cards += sum(n.cards for n in result.notes)
    if chosen:  # (the lock is not even parsed when nothing is rebuilt)
        stamps = lock.stamp(n for r, _ in chosen for n in r.notes)
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


def unique_results(
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


def lecture_outcomes(
    jobs: list[LectureJob],
    options: BuildOptions,
    lock: NewLock,
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

    setup = WorkerSetup(options, gap, lock.history, lock.now, package, options.check)
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
