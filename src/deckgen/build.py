"""The build: discover → reuse, or read → parse → cards → history → settings → stamp →
output → commit → record for the next build.

Like MkDocs' build, :func:`build` reads top to bottom and each concept lives in its
own module: :mod:`~deckgen.discover`, :mod:`~deckgen.incremental`,
:mod:`~deckgen.source` (read), :mod:`~deckgen.parse`, :mod:`~deckgen.cards`,
:mod:`~deckgen.history`, :mod:`~deckgen.settings` and :mod:`~deckgen.output`; the
lectures themselves run through :mod:`~deckgen.pipeline` (in :mod:`~deckgen.parallel`'s
worker processes).
The CLI calls :func:`build` with :class:`~deckgen.model.BuildOptions` and prints its
:class:`~deckgen.model.BuildReport`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

from deckgen.atomic import sweep
from deckgen.discover import discover
from deckgen.history import History, NewLock
from deckgen.incremental import Incremental
from deckgen.model import (
    BuildError,
    BuildOptions,
    BuildReport,
    InterviewTarget,
    LectureJob,
    LectureResult,
    Progress,
)
from deckgen.output import Bundle, Output, PackageTree, exclusive
from deckgen.parallel import (
    Built,
    lecture_settings,
)
from deckgen.pipeline import batch, lecture_outcomes, stream, unique_results
from deckgen.source import user_path

# The build's API (its option types live in model, beside every type a stage shares).
__all__ = ["BuildOptions", "InterviewTarget", "Progress", "build", "check", "collect"]


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
        lock = NewLock(history)
        reuse = not (options.force or options.check or options.bundle or options.interview)
        cache = Incremental(options.out, reuse, history.sha, history.lecture_digest)
        jobs = _discover(paths, options, history, cache, report)
        report.lectures = len(jobs)
        built: list[Built] = []
        try:
            if hold:
                built = batch(jobs, options, lock, cache, output, progress)
            else:
                built = stream(jobs, options, lock, cache, output, progress)
            orphans: list[str] = []
            roots = {job.root for job in jobs}
            if all(p.is_dir() and p.resolve() in roots for p in paths):  # whole lecture trees
                orphans = output.orphans(jobs, None if built else cache.known_orphans())
                report.orphans = [output.folder / rel for rel in orphans]
            lock_sha = history.sha
            if built:  # only rebuilt lectures can change the lock
                data = lock.to_bytes(b.lecture_key for b in built)
                lock_sha = hashlib.sha256(data).hexdigest()
                if data != history.data:
                    output.staged.stage(history.path, data, "lock file")
            output.staged.commit()
        finally:
            output.staged.discard()  # anything not committed (an error or an interrupt)
        if options.bundle is None and not options.check:
            for lecture in built:
                lock_digest = lock.lecture_digest(lecture.keys)
                cache.remember(lecture, lecture.lecture_key, lock_digest)  # type: ignore[arg-type]
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


def _output(options: BuildOptions, report: BuildReport) -> Output:
    if options.bundle is not None:
        return Bundle(options.bundle, report, options.check)
    return PackageTree(options.out, report, options.check)


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
    lock = NewLock(history)
    outcomes = lecture_outcomes(jobs, options, lock, cache, report, progress, package=False)
    results = [o.result for o in outcomes if o.result is not None]
    results = unique_results(jobs, results, cache, report)
    from deckgen.smells import profile  # (with the cards stage: not on a build's path)

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
