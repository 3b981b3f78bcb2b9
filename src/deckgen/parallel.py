"""One lecture's build, and many of them side by side in worker processes.

Lectures are independent until the lock is stamped: each is read → parsed → turned
into notes (with their history: cloze numbers, removed items) → given its deck options
→ stamped → packaged by :class:`LectureWorker`, which needs only the lecture's bytes,
the build options and the lock as the build found it. :class:`Lectures` runs workers in
a process pool (``jobs`` > 1) or in this process, and hands the outcomes back *in
course order*, so the report, the staging order and the lock are the same for any
number of jobs. At most a few lectures are in flight at once: the build keeps only
what the lock and the report need of each (flat memory).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deckgen.atomic import signals_held
from deckgen.discover import deck_name
from deckgen.history import History, NewLock, anki_limits, lecture_key
from deckgen.model import (
    BuildOptions,
    BuildReport,
    DeckSpec,
    Diagnostic,
    Lecture,
    LectureJob,
    LectureResult,
    LockEntry,
    NoteSpec,
)
from deckgen.output import compare, package_data, previous_notes
from deckgen.settings import DeckSettings, SettingsError, apply
from deckgen.source import LectureError, Source, read_source, user_path

if TYPE_CHECKING:
    from deckgen.render import MediaContext


def load_stages() -> None:
    """Import the stages a lecture is built with (markdown-it, Pygments, nh3, genanki).

    Only a lecture that is built needs them: a build that keeps every package never
    loads them. The pool calls this before it forks, so its workers share them."""
    from deckgen import cards, package, parse  # noqa: F401


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class LectureTask:
    """One lecture to build: its job, its bytes (read by the build) and their digests."""

    job: LectureJob
    data: bytes
    digest: str  # see incremental.input_digest
    context: str  # see incremental.context_digest


@dataclass
class Built:
    """What the build keeps of a lecture packaged by a worker: what the lock, the report
    and the build cache need (see :meth:`Incremental.remember`), and the package bytes
    when they differ from the file on disk."""

    job: LectureJob
    lecture_key: str
    digest: str
    context: str
    keys: list[str]  # the notes' keys, in order
    cards: list[int]  # cards per note
    stamped: dict[str, LockEntry]  # the notes' lock entries
    diagnostics: list[Diagnostic]  # the lecture's own (kept in the build cache)
    sources: dict[str, Path]  # images read: packaged name → file
    looked_up: set[Path]  # every image file sought, found or not
    state: str  # see output.compare
    data: bytes | None  # the package, when state is "differs"

    # The attributes Incremental.remember reads of a LectureResult:
    @property
    def notes(self) -> list[_Counted]:
        return [_Counted(n) for n in self.cards]

    @property
    def lecture(self) -> _Diagnosed:
        return _Diagnosed(self.diagnostics)

    @property
    def media(self) -> _Sourced:
        return _Sourced(self.sources, self.looked_up)


@dataclass(frozen=True)
class _Counted:
    cards: int


@dataclass(frozen=True)
class _Diagnosed:
    diagnostics: list[Diagnostic]


@dataclass(frozen=True)
class _Sourced:
    sources: dict[str, Path]
    looked_up: set[Path]


@dataclass
class Outcome:
    """A lecture's outcome, in the order the build reports it."""

    diagnostics: list[Diagnostic] = field(default_factory=list)  # to the report, in order
    removed: int = 0  # removed items kept as notes
    result: LectureResult | None = None  # without packaging: the whole result
    built: Built | None = None  # packaged by the worker
    settings_error: Diagnostic | None = None  # the deck options are wrong: not packaged
    lecture_key: str = ""  # with settings_error: the lecture's id (see history.lecture_key)
    job: LectureJob | None = None  # with settings_error: the lecture's job


@dataclass
class WorkerSetup:
    """What every worker knows: the options, the course's due-date gap, the lock as the
    build found it, the build's time (see :class:`~deckgen.history.NewLock`), and
    whether to package."""

    options: BuildOptions
    gap: int
    history: History
    now: int
    package: bool  # settings, stamp and package in the worker (one package per lecture)
    check: bool  # --check: compare packages by content, write nothing


def lecture_settings(
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


_EXACT_LOOKUPS = 50  # images looked up as Source.line_of does (a scan of the body each)
_LINK_DESTINATION_RE = re.compile(r"\]\(\s*<?([^\s)>]+)")


def image_problems(source: Source, media: MediaContext) -> list[Diagnostic]:
    """Image problems found while rendering. Render sees Markdown fragments without their
    position, so each points at the first line that mentions the image.

    Up to 50 images are looked up exactly as :meth:`Source.line_of` would, but as one
    search of the body each (no line list); beyond that (a lecture of thousands of broken
    images) an image points at the first line that links it, found in one pass over the
    body for all, so the work stays linear in the lecture's size.
    """
    problems = dict.fromkeys(media.problems)
    if not problems:
        return []
    body = source.body
    images = list(dict.fromkeys(src for src, _ in problems))
    linked: dict[str, int] = {}
    if len(images) > _EXACT_LOOKUPS:
        for number, line in enumerate(body.split("\n")):
            for match in _LINK_DESTINATION_RE.finditer(line):
                linked.setdefault(match.group(1), number)
    lines: dict[str, int] = {}
    budget = _EXACT_LOOKUPS
    for src in images:
        if src in linked:
            lines[src] = linked[src]
        elif budget:
            budget -= 1
            at = body.find(src) if "\n" not in src else -1
            lines[src] = body.count("\n", 0, at) if at >= 0 else 0
        else:
            lines[src] = 0
    return [
        Diagnostic(source.shown, lines[src] + source.body_offset + 1, "warning", "image", message)
        for src, message in problems
    ]


class LectureWorker:
    """Builds one lecture at a time (in a worker process, or in the build's own)."""

    def __init__(self, setup: WorkerSetup) -> None:
        self.setup = setup
        self.history = setup.history

    def run(self, task: LectureTask) -> Outcome:
        """Read, parse and turn one lecture into notes that keep their history; package
        them when the setup says so."""
        from deckgen.cards import build_notes
        from deckgen.parse import parse_lecture
        from deckgen.render import MediaContext, collecting_media

        setup, history, job = self.setup, self.history, task.job
        options = setup.options
        outcome = Outcome()
        try:
            source = read_source(job.path, job.root, task.data)
        except LectureError as exc:
            outcome.diagnostics.append(
                Diagnostic(exc.path, exc.line, "error", exc.code, exc.message)
            )
            return outcome
        lecture = parse_lecture(source)
        roots = [job.root] + ([options.media_root] if options.media_root else [])
        media = MediaContext(job.path.parent, roots, options.media_root)
        with collecting_media(media):
            notes = build_notes(lecture, job.position, setup.gap)
        notes = history.keep_cloze_numbers(notes)
        lecture.diagnostics += image_problems(source, media)
        if beyond := anki_limits(notes):  # never a package Anki refuses to import
            lecture.diagnostics.append(Diagnostic(source.shown, 1, "error", "anki-limit", beyond))
            outcome.diagnostics.extend(lecture.diagnostics)
            return outcome
        due = job.position * setup.gap + setup.gap - 1
        removed = history.removed(lecture, notes, due, lambda: previous_notes(job.output))
        outcome.removed = len(removed)
        notes += removed
        outcome.diagnostics.extend(lecture.diagnostics)
        if not notes:
            message = (
                "no facts to memorise found (only links, prose or exercises); no package written"
            )
            outcome.diagnostics.append(Diagnostic(source.shown, 1, "warning", "no-cards", message))
            return outcome
        result = LectureResult(
            job, lecture, notes, deck_name(lecture), task.digest, media, task.context
        )
        if not setup.package:
            outcome.result = result
            return outcome
        key = lecture_key(lecture)
        if key.startswith("@"):  # a reserved id: the build reports it (see history.id_problems)
            outcome.built = self._built(task, key, notes, lecture, media, {}, "", None)
            return outcome
        scratch = BuildReport()
        settings = lecture_settings(lecture, options, {}, scratch)
        if settings is None:
            outcome.settings_error = scratch.diagnostics[0]
            outcome.lecture_key = key
            outcome.job = job
            return outcome
        lock = NewLock(history, setup.now)  # this lecture's entries of the new lock
        stamps = lock.stamp(notes)
        deck = DeckSpec(result.deck, notes, settings=settings, media=media.files)
        data = package_data([deck], stamps)
        state = compare(job.output, data, setup.check)
        stamped = {n.key: lock.stamped[n.key] for n in notes}
        package = data if state == "differs" else None
        outcome.built = self._built(task, key, notes, lecture, media, stamped, state, package)
        return outcome

    @staticmethod
    def _built(
        task: LectureTask,
        key: str,
        notes: list[NoteSpec],
        lecture: Lecture,
        media: MediaContext,
        stamped: dict[str, LockEntry],
        state: str,
        data: bytes | None,
    ) -> Built:
        return Built(
            job=task.job,
            lecture_key=key,
            digest=task.digest,
            context=task.context,
            keys=[n.key for n in notes],
            cards=[n.cards for n in notes],
            stamped=stamped,
            diagnostics=lecture.diagnostics,
            sources=dict(media.sources),
            looked_up=set(media.looked_up),
            state=state,
            data=data,
        )


# --- worker processes -------------------------------------------------------------------

_WORKER: LectureWorker | None = None
# A lecture allocates many small objects that live until it is done, few of them in
# cycles: collect the young generation every 50,000 allocations instead of 700
# (about a tenth less CPU for the corpus; memory is unchanged).
_GC_THRESHOLDS = (50_000, 20, 100)


def _start_worker(setup: WorkerSetup) -> None:
    """Pool initializer: the build's process handles Ctrl-C and SIGTERM, not its workers
    (it ends them); they start with both signals blocked (see :meth:`Lectures._pool`)."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    _WORKER = LectureWorker(setup)
    gc.freeze()  # what the worker inherited is never garbage: skip it in collections
    gc.set_threshold(*_GC_THRESHOLDS)


def _run_in_worker(task: LectureTask) -> Outcome:
    assert _WORKER is not None
    return _WORKER.run(task)


class _Done:
    """An outcome already known."""

    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome

    def get(self) -> Any:
        return self.outcome


class _Later:
    """A lecture built in this process when its outcome is asked for."""

    def __init__(self, worker: LectureWorker, task: LectureTask) -> None:
        self.worker, self.task = worker, task

    def get(self) -> Outcome:
        return self.worker.run(self.task)


class Lectures:
    """Build lectures with up to ``jobs`` worker processes; outcomes come back in order.

    A pool is started only when at least two lectures need building (a no-op or a
    one-lecture rebuild runs in this process); use as a context manager so the pool
    is ended on the way out, also on an interrupt.
    """

    def __init__(self, setup: WorkerSetup, jobs: int, candidates: int) -> None:
        self.setup = setup
        self.jobs = max(1, jobs)
        self.candidates = candidates  # lectures that may need building
        self.local: LectureWorker | None = None
        self.pool: Any = None

    def __enter__(self) -> Lectures:
        self.thresholds = gc.get_threshold()
        gc.set_threshold(*_GC_THRESHOLDS)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.set_threshold(*self.thresholds)
        if self.pool is not None:
            self.pool.terminate()  # an error or an interrupt: stop at once; else idle
            self.pool.join()
            self.pool = None

    @property
    def window(self) -> int:
        """Lectures read ahead of the one being reported."""
        return 1 if self.pool is None else 3 * self.pool_size

    def submit(self, task: LectureTask, remaining: int) -> Any:
        """Start building ``task``; ``remaining`` lectures (this one included) may still
        need building. Returns something whose ``get()`` gives the :class:`Outcome`."""
        _ = self.setup.history.by_lecture  # the lock is parsed (and a bad one found) here
        if self.pool is None and self.jobs > 1 and remaining >= 2:
            self.pool_size = min(self.jobs, remaining)
            self.pool = self._pool(self.pool_size)
        if self.pool is None:
            if self.local is None:
                self.local = LectureWorker(self.setup)
            return _Later(self.local, task)
        return self.pool.apply_async(_run_in_worker, (task,))

    def _pool(self, size: int) -> Any:
        methods = multiprocessing.get_all_start_methods()
        # fork is cheapest (nothing to import again), but not safe in a threaded process.
        method = "fork" if "fork" in methods and threading.active_count() == 1 else "spawn"
        context = multiprocessing.get_context(method)
        load_stages()
        gc.collect()
        gc.freeze()  # the workers share these pages instead of copying them on first GC
        try:
            with signals_held():  # no interrupt before the workers ignore it
                return context.Pool(size, _start_worker, (self.setup,))
        finally:
            gc.unfreeze()


def in_order(
    jobs: Sequence[LectureJob],
    iterator: Iterator[LectureJob],
    prepare: Callable[[LectureJob, int], Any],
    lectures: Lectures,
) -> Iterator[tuple[LectureJob, Any]]:
    """Each job of ``iterator`` (``jobs`` in order, perhaps behind a progress bar) with its
    outcome; ``prepare(job, index)`` starts it (see :meth:`Lectures.submit`) while earlier
    ones are still being built, at most ``lectures.window`` ahead."""
    pending: deque[Any] = deque()
    ahead = 0
    for job in iterator:
        while ahead < len(jobs) and (not pending or len(pending) < lectures.window):
            pending.append(prepare(jobs[ahead], ahead))
            ahead += 1
        yield job, pending.popleft().get()
