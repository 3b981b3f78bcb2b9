"""The build pipeline: find lectures, run read → parse → cards → package, write decks.

Like MkDocs' build, this module only wires the stages together; each stage is
its own module. The CLI calls :func:`build` and prints its :class:`BuildReport`.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from deckgen import cache
from deckgen.atomic import Staging
from deckgen.cards import (
    NoteSpec,
    build_notes,
    key_lecture,
    lecture_key,
    position_gap,
    removed_note,
    renumber_clozes,
)
from deckgen.inspect_apkg import PackageReadError, content_signature, read_notes
from deckgen.lock import (
    LOCK_NAME,
    NOTETYPE_KEY,
    LockEntry,
    format_lock,
    parse_lock,
    stamp,
    stamp_notetypes,
)
from deckgen.model import Diagnostic, Lecture
from deckgen.notetypes import model_for
from deckgen.package import DeckSpec, apkg_bytes, collection_bytes
from deckgen.parse import parse_lecture
from deckgen.render import MediaContext, collecting_media
from deckgen.settings import DeckSettings, SettingsError, apply
from deckgen.source import LectureError, Source, read_bytes, read_source, user_path

Progress = Callable[[Sequence["LectureJob"]], AbstractContextManager[Iterable["LectureJob"]]]
_CLOZE_RE = re.compile(r"\{\{c(\d+)::")
_RESERVED_NAMES = {"collection.apkg"}


class BuildError(Exception):
    """A problem with the build as a whole (bad paths, unwritable output)."""


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


@dataclass(frozen=True)
class LectureJob:
    """One lecture to build: where it is, its place in the course, where it goes."""

    path: Path
    root: Path
    position: int
    output: Path
    rel: str  # the lecture's path relative to its lectures root, POSIX style
    stat: tuple[int, int] = (-1, -1)  # (size, mtime_ns) when discovered, before any read
    order: float | None = None  # front-matter ``order:``

    @property
    def rel_path(self) -> PurePosixPath:
        """The lecture's path relative to its lectures root."""
        return PurePosixPath(self.rel)


@dataclass
class LectureResult:
    """What building one lecture produced."""

    job: LectureJob
    lecture: Lecture
    notes: list[NoteSpec]
    deck: str
    digest: str
    media: MediaContext
    context: str  # see cache.context_digest


@dataclass
class BuildReport:
    """The outcome of a build, for the summary line and the exit code."""

    lectures: int = 0
    packages: list[Path] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    notes: int = 0
    cards: int = 0
    removed: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    out_of_date: list[str] = field(default_factory=list)  # --check: "stale: path", …
    notices: list[str] = field(default_factory=list)  # things the user should know (no errors)

    @property
    def errors(self) -> int:
        """Number of error diagnostics."""
        return sum(d.severity == "error" for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        """Number of warning diagnostics."""
        return sum(d.severity == "warning" for d in self.diagnostics)


@lru_cache(maxsize=4096)
def _natural_key(path: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key for a POSIX path: numbers compare as numbers (``2`` before ``10``)."""
    key: list[tuple[int, int | str]] = []
    for part in path.split("/"):
        if not part or part == ".":
            continue
        for chunk in re.split(r"(\d+)", part.lower()):
            if chunk:
                key.append((0, int(chunk)) if chunk.isdigit() else (1, chunk))
        key.append((2, ""))
    return tuple(key)


_ORDER_RE = re.compile(rb"^order:[ \t]*(-?\d+(?:\.\d+)?)[ \t]*$", re.M)
_LEADING_NUMBER_RE = re.compile(r"^(\d+)")


def front_matter_order(path: Path) -> float | None:
    """The ``order:`` key of a lecture's front matter, found without parsing all of it."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError:
        return None
    head = head.lstrip(b"\xef\xbb\xbf").lstrip(b"\r\n")
    if not head.startswith(b"---"):
        return None
    end = re.search(rb"\n---[ \t]*\r?\n", head[3:])
    match = _ORDER_RE.search(head[: end.start() + 3] if end else head)
    return float(match.group(1)) if match else None


def course_key(rel: str, order: float | None) -> tuple[Any, ...]:
    """Course order of the lecture at ``rel`` (to its root) with front-matter ``order``:
    folders in natural order; inside a folder, front-matter ``order:``, else the file
    name's leading number (``02-meta.md``), else natural name order."""
    folder, _, name = rel.rpartition("/")
    if order is None and (m := _LEADING_NUMBER_RE.match(name)):
        order = float(m.group(1))
    rank = (0, order) if order is not None else (1, 0.0)
    return (_natural_key(folder), rank, _natural_key(name))


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as a POSIX string (both absolute; no Path overhead)."""
    return os.path.relpath(path, root).replace(os.sep, "/")


def _is_lecture_name(name: str) -> bool:
    """Markdown files are lectures, except READMEs and names starting with '.' or '_'."""
    lower = name.lower()
    return lower.endswith(".md") and lower != "readme.md" and not name.startswith((".", "_"))


def discover(
    paths: Sequence[Path],
    out: Path,
    root: Path | None = None,
    known: dict[str, tuple[int, int, float | None]] | None = None,
) -> list[LectureJob]:
    """Find the lectures under ``paths`` and map each to its package under ``out``.

    A folder is its own lectures root; a file's root is ``root`` when given and
    containing it, else its folder. Jobs come in course order (see :func:`course_key`).
    ``known`` maps a lecture's relative path to (size, mtime_ns, front-matter order)
    from the last build: an unchanged file's order is taken from there, unread.
    """
    found: dict[Path, tuple[Path, str]] = {}  # lecture → (its root, path relative to it)
    for raw in paths:
        path = raw.resolve()
        if path.is_dir():
            top = str(path)
            for folder, dirs, files in os.walk(top):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
                below = folder[len(top) :].lstrip(os.sep)  # os.walk joins onto ``top``
                prefix = below.replace(os.sep, "/") + "/" if below else ""
                for name in files:
                    if _is_lecture_name(name):
                        found.setdefault(Path(folder, name), (path, prefix + name))
        elif path.is_file():
            base = root.resolve() if root is not None else None
            if base is None or not path.is_relative_to(base):
                base = path.parent
            found.setdefault(path, (base, _relative(path, base)))
        else:
            raise BuildError(f"{raw}: no such file or folder")
    known = known or {}
    located = []
    for path, (base, rel) in found.items():
        try:
            st = os.stat(path)
            stat = (st.st_size, st.st_mtime_ns)
        except OSError:
            stat = (-1, -1)
        seen = known.get(rel)
        order = seen[2] if seen is not None and seen[:2] == stat else front_matter_order(path)
        located.append((course_key(rel, order), path, base, rel, stat, order))
    located.sort(key=lambda item: item[0])
    jobs = []
    for position, (_, path, base, rel, stat, order) in enumerate(located, start=1):
        folder, _, name = rel.rpartition("/")
        stem = os.path.splitext(name)[0]
        package = f"{stem}.apkg"
        if package.lower() in _RESERVED_NAMES or package.lower().startswith("backup-"):
            package = f"{stem}-deck.apkg"
        output = Path(out, folder, package) if folder else Path(out, package)
        jobs.append(LectureJob(path, base, position, output, rel=rel, stat=stat, order=order))
    return jobs


def pretty_folder(name: str) -> str:
    """``02-system-design`` → ``System Design``."""
    text = re.sub(r"^\d+[-_. ]+", "", name).replace("-", " ").replace("_", " ").strip()
    return " ".join(w if not w.islower() else w.capitalize() for w in text.split()) or name


def deck_name(lecture: Lecture) -> str:
    """Deck name from the lecture's folders and title: ``Folder::Sub::Title``."""
    folders = [pretty_folder(p) for p in lecture.rel_path.parent.parts]
    title = lecture.title.replace("::", ":")
    return "::".join([*folders, title])


def count_cards(note: NoteSpec) -> int:
    """Cards Anki generates for a note: one per cloze number, or one."""
    if note.model != "cloze":
        return 1
    return len(set(_CLOZE_RE.findall(note.fields[0]))) or 1


def build_time() -> int:
    """The time given to changed notes: ``SOURCE_DATE_EPOCH`` when set, never in the future."""
    now = int(time.time())
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value.isdigit() and 0 < int(value) <= now:
        return int(value)
    return now


def _lock_digest(entries: Iterable[tuple[str, LockEntry]]) -> str:
    h = hashlib.sha256()
    for key, entry in sorted(entries):
        clozes = ",".join(entry.clozes)
        h.update(f"{key}\t{entry.guid}\t{entry.modified}\t{entry.digest}\t{clozes}\n".encode())
    return h.hexdigest()[:20]


class _Build:
    """One run of the pipeline; see :func:`build`."""

    def __init__(
        self,
        jobs: list[LectureJob],
        options: BuildOptions,
        whole_tree: bool,
        cached: tuple[dict[str, cache.CacheEntry], str, list[str]] = ({}, "", []),
    ) -> None:
        self.jobs = jobs
        self.whole_tree = whole_tree
        self.gap = position_gap(len(jobs))
        self.options = options
        self.report = BuildReport(lectures=len(jobs))
        lock_dir = options.bundle.parent if options.bundle is not None else options.out
        self.lock_path = lock_dir / LOCK_NAME
        try:
            self.lock_bytes: bytes | None = self.lock_path.read_bytes()
        except OSError:
            self.lock_bytes = None
        self.lock_sha = hashlib.sha256(self.lock_bytes or b"").hexdigest()
        self.now = build_time()
        self.cache, cached_lock_sha, self.cached_orphans = cached
        self.orphans: list[str] = []
        # The lock is what the cache entries were built against: then no per-lecture check.
        self.lock_trusted = cached_lock_sha == self.lock_sha
        self.new_cache: dict[str, cache.CacheEntry] = {}
        self.results: list[LectureResult] = []
        self.kept_lectures: set[str] = set()  # cached lectures: their lock entries stay as-is
        self.options_key = repr((self.gap, options.media_root)) + repr(
            (options.bundle is not None, options.project, sorted(options.flags.items()))
        )
        self.derived: dict[str, Any] = {}  # options derived during the build (interview date)
        self.staging = Staging()  # packages and lock, put in place together at the end

    def run_lecture(self, job: LectureJob) -> None:
        rel = job.rel
        context = cache.context_digest(rel, job.position, self.options_key)
        entry = self.cache.get(rel)
        if (
            entry is not None
            and entry.context == context
            and job.stat == (entry.source_size, entry.source_mtime_ns)
            and self._reuse(rel, entry.digest, job)
        ):
            return  # unchanged since the last build, by size and modification time
        try:
            data = read_bytes(job.path)
        except LectureError as exc:
            self._error(exc)
            return
        digest = cache.input_digest(data, context)
        if self._reuse(rel, digest, job):
            return
        try:
            source = read_source(job.path, job.root, data)
        except LectureError as exc:
            self._error(exc)
            return
        lecture = parse_lecture(source)
        roots = [job.root] + ([self.options.media_root] if self.options.media_root else [])
        media = MediaContext(job.path.parent, roots, self.options.media_root)
        with collecting_media(media):
            notes = build_notes(lecture, job.position, self.gap)
        notes = [self._keep_cloze_numbers(n) for n in notes]
        self._media_problems(source, lecture, media)
        notes += self._removed(lecture, notes, job)
        self.report.diagnostics.extend(lecture.diagnostics)
        if not notes:
            self.report.diagnostics.append(
                Diagnostic(
                    source.shown,
                    1,
                    "warning",
                    "no-cards",
                    "no facts to memorise found (only links, prose or exercises); "
                    "no package written",
                )
            )
            return
        self.results.append(
            LectureResult(job, lecture, notes, deck_name(lecture), digest, media, context)
        )

    def _keep_cloze_numbers(self, note: NoteSpec) -> NoteSpec:
        if not note.cloze_slots or not self.lock_bytes:
            return note
        entry = self.old_lock.get(note.key)
        return renumber_clozes(note, entry.clozes) if entry is not None else note

    def _media_problems(self, source: Source, lecture: Lecture, media: MediaContext) -> None:
        lines = source.body.split("\n")
        for src, message in dict.fromkeys(media.problems):
            index = next((i for i, line in enumerate(lines) if src in line), 0)
            lecture.diagnostics.append(
                Diagnostic(
                    source.shown, index + source.body_offset + 1, "warning", "image", message
                )
            )

    def _error(self, exc: LectureError) -> None:
        self.report.diagnostics.append(
            Diagnostic(exc.path, exc.line, "error", exc.code, exc.message)
        )

    def _reuse(self, rel: str, digest: str, job: LectureJob) -> bool:
        entry = self.cache.get(rel)
        if entry is None or entry.digest != digest or entry.output != str(job.output):
            return False
        try:
            st = job.output.stat()
        except OSError:
            return False
        if (st.st_size, st.st_mtime_ns) != (entry.size, entry.mtime_ns):
            return False
        if not self.lock_trusted and entry.lock_digest != _lock_digest(
            self.by_lecture.get(entry.lecture_id, {}).items()
        ):
            return False
        if any(_media_stat(Path(m[0])) != m for m in entry.media):
            return False
        report = self.report
        report.notes += entry.notes
        report.cards += entry.cards
        report.unchanged += 1
        report.packages.append(job.output)
        report.diagnostics.extend(Diagnostic(**d) for d in entry.diagnostics)  # type: ignore[arg-type]
        self.kept_lectures.add(entry.lecture_id)
        # Same content; the file may have been touched (a git checkout): remember its stat.
        self.new_cache[rel] = replace(
            entry, source_size=job.stat[0], source_mtime_ns=job.stat[1], order=job.order
        )
        return True

    def _removed(self, lecture: Lecture, notes: list[NoteSpec], job: LectureJob) -> list[NoteSpec]:
        """Notes for items that were in the lock but left the lecture."""
        current = {n.key for n in notes}
        gone = sorted(k for k in self.by_lecture.get(lecture_key(lecture), {}) if k not in current)
        if not gone:
            return []
        previous = read_notes(job.output) if job.output.is_file() else {}
        out = []
        due = job.position * self.gap + self.gap - 1
        for key in gone:
            entry = self.old_lock[key]
            stored = previous.get(entry.guid)
            note = removed_note(
                key, entry.guid, lecture, due, (stored.fields, stored.tags) if stored else None
            )
            out.append(note)
            if not stored or "deckgen::removed" not in stored.tags:
                lecture.diagnostics.append(
                    Diagnostic(
                        user_path(lecture.source),
                        1,
                        "info",
                        "removed-item",
                        f"{note.kind} '{key.split('|')[-1]}' left the lecture; its note stays in "
                        "the package tagged deckgen::removed (search tag:deckgen::removed)",
                    )
                )
        self.report.removed += len(out)
        return out

    @cached_property
    def old_lock(self) -> dict[str, LockEntry]:
        """The lock as it was before this build (parsed only when needed)."""
        if self.lock_bytes is None:
            return {}
        return parse_lock(self.lock_bytes.decode("utf-8", errors="replace"))

    @cached_property
    def by_lecture(self) -> dict[str, dict[str, LockEntry]]:
        """The old lock's entries grouped by lecture."""
        grouped: dict[str, dict[str, LockEntry]] = defaultdict(dict)
        for key, entry in self.old_lock.items():
            grouped[key_lecture(key)][key] = entry
        return grouped

    def settings_for(self, lecture: Lecture) -> DeckSettings | None:
        """The lecture's deck options: project file < front matter < flags; None on error."""
        options = self.options
        try:
            values = apply(
                options.project, lecture.meta, f"{user_path(lecture.source)}: front matter"
            )
        except SettingsError as exc:
            self.report.diagnostics.append(
                Diagnostic(user_path(lecture.source), 1, "error", "deck-options", str(exc))
            )
            return None
        return apply(values, {**options.flags, **self.derived}, "command line")

    def _derive_new_per_day(self) -> None:
        target = self.options.interview
        if target is None:
            return
        from deckgen.plan import PlanError, required_new_per_day

        # Cached lectures are never reused with an interview date, so every card is here.
        total = sum(count_cards(n) for r in self.results for n in r.notes)
        try:
            per_day = required_new_per_day(total, target.today, target.interview, target.ready_days)
        except PlanError as exc:
            raise BuildError(str(exc)) from None
        self.derived["new-per-day"] = per_day
        self.report.notices.append(
            f"interview on {target.interview}: {total} cards at {per_day} new/day are all "
            f"introduced {target.ready_days} days before it; the decks' preset says "
            f"{per_day} new/day"
        )

    def finish(self) -> BuildReport:
        report, options = self.report, self.options
        self._derive_new_per_day()
        settings = {id(r): self.settings_for(r.lecture) for r in self.results}
        self.results = [r for r in self.results if settings[id(r)] is not None]
        new_lock: dict[str, LockEntry] = {}
        if self.results:  # (reading the lock is skipped when nothing is rebuilt)
            new_lock.update(stamp_notetypes(self.old_lock, self.now))
        for result in self.results:
            new_lock.update(stamp(result.notes, self.old_lock, self.now))
            report.notes += len(result.notes)
            report.cards += sum(count_cards(n) for n in result.notes)
        if options.bundle is not None:
            if self.results:
                decks = [
                    DeckSpec(r.deck, r.notes, settings=settings[id(r)], media=r.media.files)
                    for r in self.results
                ]
                self._emit(options.bundle, decks, new_lock)
        else:
            for result in self.results:
                deck = DeckSpec(
                    result.deck,
                    result.notes,
                    settings=settings[id(result)],
                    media=result.media.files,
                )
                self._emit(result.job.output, [deck], new_lock)
            self._extra_packages()
        lock_sha = self.lock_sha
        if self.results:  # only rebuilt lectures can change the lock
            rebuilt = {lecture_key(r.lecture) for r in self.results}
            kept = {k: e for k, e in self.old_lock.items() if key_lecture(k) not in rebuilt}
            lock_data = format_lock({**kept, **new_lock}).encode("utf-8")
            lock_sha = hashlib.sha256(lock_data).hexdigest()
            if lock_data != self.lock_bytes:
                if options.check:
                    report.out_of_date.append(f"stale: {user_path(self.lock_path)}")
                else:
                    self._stage(self.lock_path, lock_data, "lock file")
        try:
            self.staging.commit()
        except OSError as exc:
            raise BuildError(
                f"{exc.filename}: cannot put the new file in place: {exc.strerror}"
            ) from exc
        if options.bundle is None:
            for result in self.results:
                self._remember(result, new_lock)
        unchanged_cache = (
            self.new_cache == self.cache
            and lock_sha == self.lock_sha
            and self.orphans == self.cached_orphans
        )
        if not options.check and options.bundle is None and not unchanged_cache:
            cache.save(options.out, self.new_cache, lock_sha, self.orphans)
        return report

    def _emit(self, path: Path, decks: list[DeckSpec], lock: dict[str, LockEntry]) -> None:
        mods = {lock[n.key].guid: lock[n.key].modified for d in decks for n in d.notes}
        types = {n.model for d in decks for n in d.notes}
        model_mods = {
            model_for(t).model_id: lock[NOTETYPE_KEY.format(t)].modified for t in sorted(types)
        }
        media = sorted({name: data for d in decks for name, data in d.media.items()}.items())
        newest = max([*mods.values(), *model_mods.values()])
        data = apkg_bytes(collection_bytes(decks, mods, newest, model_mods), media)
        self.report.packages.append(path)
        existing = path.read_bytes() if path.is_file() else None
        if existing == data:
            self.report.unchanged += 1
            return
        if self.options.check:
            if existing is None:
                self.report.out_of_date.append(f"missing: {user_path(path)}")
            elif not _same_content(existing, data):
                self.report.out_of_date.append(f"stale: {user_path(path)}")
            else:
                self.report.unchanged += 1
            return
        self._stage(path, data, "package")
        self.report.written.append(path)

    def _stage(self, path: Path, data: bytes, what: str) -> None:
        try:
            self.staging.add(path, data)
        except OSError as exc:
            raise BuildError(f"{path}: cannot write {what}: {exc.strerror}") from exc

    def _remember(self, result: LectureResult, lock: dict[str, LockEntry]) -> None:
        if self.options.check:
            return
        try:
            st = result.job.output.stat()
        except OSError:
            return
        lid = lecture_key(result.lecture)
        entries = [(n.key, lock[n.key]) for n in result.notes]
        self.new_cache[result.job.rel] = cache.CacheEntry(
            digest=result.digest,
            lecture_id=lid,
            output=str(result.job.output),
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            lock_digest=_lock_digest(entries),
            notes=len(result.notes),
            cards=sum(count_cards(n) for n in result.notes),
            diagnostics=[d.as_dict() for d in result.lecture.diagnostics],
            media=[_media_stat(p) for p in sorted(set(result.media.sources.values()))],
            source_size=result.job.stat[0],
            source_mtime_ns=result.job.stat[1],
            context=result.context,
            order=result.job.order,
        )

    def _extra_packages(self) -> None:
        """Packages in the output folder that no lecture of this build produces."""
        out = self.options.out
        if not self.whole_tree or not out.is_dir() or not self.jobs:
            return
        if self.cache and not self.results and self.new_cache.keys() == self.cache.keys():
            # Nothing rebuilt and the same lectures as last time: the same orphans as then
            # (a package copied in by hand meanwhile is found by the next real build or --check).
            kept = [out / p for p in self.cached_orphans]
            self._report_orphans([p for p in kept if p.is_file()])
            return
        expected = {os.path.abspath(j.output) for j in self.jobs}
        extra = []
        for folder, dirs, files in os.walk(out):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                full = os.path.abspath(os.path.join(folder, name))
                if name.endswith(".apkg") and not name.startswith(".") and full not in expected:
                    extra.append(Path(folder, name))
        self._report_orphans(sorted(extra))

    def _report_orphans(self, orphans: list[Path]) -> None:
        out = self.options.out
        self.orphans = [os.path.relpath(p, out).replace(os.sep, "/") for p in orphans]
        for apkg in orphans:
            if self.options.check:
                self.report.out_of_date.append(f"extra: {user_path(apkg)}")
            else:
                self.report.diagnostics.append(
                    Diagnostic(
                        user_path(apkg),
                        1,
                        "warning",
                        "orphan-package",
                        "no lecture builds this package any more; delete it if that is intended",
                    )
                )


def _media_stat(path: Path) -> list[str | int]:
    try:
        st = path.stat()
    except OSError:
        return [str(path), -1, -1]
    return [str(path), st.st_size, st.st_mtime_ns]


def _same_content(a: bytes, b: bytes) -> bool:
    try:
        return content_signature(a) == content_signature(b)
    except (PackageReadError, ValueError, KeyError):
        return False


def build(
    paths: Sequence[Path],
    options: BuildOptions | None = None,
    *,
    progress: Progress | None = None,
) -> BuildReport:
    """Build packages for the lectures under ``paths`` (see :class:`BuildOptions`)."""
    options = options or BuildOptions()
    for raw in paths:  # before the output folder is touched
        if not raw.exists():
            raise BuildError(f"{raw}: no such file or folder")
    folder = options.bundle.parent if options.bundle is not None else options.out
    with nullcontext() if options.check else exclusive_build(folder):
        incremental = not (
            options.force or options.check or options.bundle is not None or options.interview
        )
        cached = cache.load(options.out) if incremental else ({}, "", [])
        known = {rel: (e.source_size, e.source_mtime_ns, e.order) for rel, e in cached[0].items()}
        jobs = discover(paths, options.out, options.root, known)
        run = _Build(jobs, options, whole_tree=all(p.is_dir() for p in paths), cached=cached)
        try:
            with progress(jobs) if progress else nullcontext(jobs) as iterator:
                for job in iterator:
                    run.run_lecture(job)
            return run.finish()
        finally:
            run.staging.discard()  # anything not committed (an error or an interrupt)


@contextmanager
def exclusive_build(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` so two builds into it run one after the other."""
    try:
        import fcntl
    except ImportError:  # not POSIX: atomic renames still keep every file whole
        yield
        return
    lock_dir = folder / cache.CACHE_DIR
    try:
        lock_dir.mkdir(parents=True, exist_ok=True)
        cache.ignore_folder(lock_dir)
        handle = (lock_dir / "build.lock").open("a")
    except OSError as exc:
        raise BuildError(f"{folder}: cannot write to the output folder: {exc.strerror}") from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def collect(
    paths: Sequence[Path],
    options: BuildOptions | None = None,
    *,
    progress: Progress | None = None,
) -> tuple[list[LectureResult], BuildReport]:
    """Read, parse and turn lectures into notes without writing anything.

    Returns each good lecture's result (lecture, notes, deck name, media) and a
    report holding the diagnostics and note/card counts.
    """
    options = replace(options or BuildOptions(), check=True, force=True)
    jobs = discover(paths, options.out, options.root)
    run = _Build(jobs, options, whole_tree=False)
    with progress(jobs) if progress else nullcontext(jobs) as iterator:
        for job in iterator:
            run.run_lecture(job)
    for result in run.results:
        run.settings_for(result.lecture)
        run.report.notes += len(result.notes)
        run.report.cards += sum(count_cards(n) for n in result.notes)
    return run.results, run.report


def check(
    paths: Sequence[Path],
    options: BuildOptions | None = None,
    *,
    progress: Progress | None = None,
) -> BuildReport:
    """Diagnostics for the lectures under ``paths``, writing nothing."""
    return collect(paths, options, progress=progress)[1]
