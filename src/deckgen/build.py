"""The build pipeline: find lectures, run read → parse → cards → package, write decks.

Like MkDocs' build, this module only wires the stages together; each stage is
its own module. The CLI calls :func:`build` and prints its :class:`BuildReport`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from deckgen.cards import NoteSpec, build_notes
from deckgen.lock import LOCK_NAME, LockEntry, format_lock, read_lock, stamp
from deckgen.model import Diagnostic, Lecture
from deckgen.package import DeckSpec, apkg_bytes, collection_bytes, write_atomic
from deckgen.parse import parse_lecture
from deckgen.source import LectureError, read_source

Progress = Callable[[Sequence["LectureJob"]], AbstractContextManager[Iterable["LectureJob"]]]
_CLOZE_RE = re.compile(r"\{\{c(\d+)::")
_RESERVED_NAMES = {"collection.apkg"}


class BuildError(Exception):
    """A problem with the build as a whole (bad paths, unwritable output)."""


@dataclass(frozen=True)
class LectureJob:
    """One lecture to build: where it is, its place in the course, where it goes."""

    path: Path
    root: Path
    position: int
    output: Path

    @property
    def rel_path(self) -> PurePosixPath:
        """The lecture's path relative to its lectures root."""
        return PurePosixPath(self.path.relative_to(self.root).as_posix())


@dataclass
class LectureResult:
    """What building one lecture produced."""

    job: LectureJob
    lecture: Lecture | None
    notes: list[NoteSpec]
    deck: str = ""


@dataclass
class BuildReport:
    """The outcome of a build, for the summary line and the exit code."""

    lectures: int = 0
    packages: list[Path] = field(default_factory=list)
    unchanged: int = 0
    notes: int = 0
    cards: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """Number of error diagnostics."""
        return sum(d.severity == "error" for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        """Number of warning diagnostics."""
        return sum(d.severity == "warning" for d in self.diagnostics)


def _natural_key(path: PurePosixPath) -> list[tuple[int, int | str]]:
    key: list[tuple[int, int | str]] = []
    for part in path.parts:
        for chunk in re.split(r"(\d+)", part.lower()):
            if chunk:
                key.append((0, int(chunk)) if chunk.isdigit() else (1, chunk))
        key.append((2, ""))
    return key


def _is_lecture(path: Path, root: Path) -> bool:
    rel = path.relative_to(root)
    if any(p.startswith((".", "_")) for p in rel.parts):
        return False
    return path.suffix.lower() == ".md" and path.name.lower() != "readme.md"


def discover(paths: Sequence[Path], out: Path, root: Path | None = None) -> list[LectureJob]:
    """Find the lectures under ``paths`` and map each to its package under ``out``.

    A folder is its own lectures root; a file's root is ``root`` when given and
    containing it, else its folder. Order is natural path order.
    """
    found: list[tuple[Path, Path]] = []
    for raw in paths:
        path = raw.resolve()
        if path.is_dir():
            files = [p for p in path.rglob("*") if p.is_file() and _is_lecture(p, path)]
            found.extend((p, path) for p in files)
        elif path.is_file():
            base = root.resolve() if root is not None else None
            if base is None or not path.is_relative_to(base):
                base = path.parent
            found.append((path, base))
        else:
            raise BuildError(f"{raw}: no such file or folder")
    unique = {p: r for p, r in found}
    ordered = sorted(
        unique.items(),
        key=lambda pr: _natural_key(PurePosixPath(pr[0].relative_to(pr[1]).as_posix())),
    )
    jobs = []
    for position, (path, base) in enumerate(ordered, start=1):
        rel = path.relative_to(base).with_suffix(".apkg")
        if rel.name.lower() in _RESERVED_NAMES or rel.name.lower().startswith("backup-"):
            rel = rel.with_name(f"{rel.stem}-deck.apkg")
        jobs.append(LectureJob(path=path, root=base, position=position, output=out / rel))
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


def source_date_epoch() -> int:
    """The build time: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return int(time.time())


def build(
    paths: Sequence[Path],
    out: Path,
    *,
    bundle: Path | None = None,
    root: Path | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Build packages for the lectures under ``paths`` into ``out`` (or one ``bundle``)."""
    jobs = discover(paths, out, root)
    report = BuildReport(lectures=len(jobs))
    results: list[LectureResult] = []
    with progress(jobs) if progress else nullcontext(jobs) as iterator:
        for job in iterator:
            results.append(_build_one(job, report))
    lock_dir = bundle.parent if bundle is not None else out
    lock_path = lock_dir / LOCK_NAME
    old_lock = read_lock(lock_path)
    now = source_date_epoch()
    new_lock: dict[str, LockEntry] = {}
    good = [r for r in results if r.notes]
    for result in good:
        new_lock.update(stamp(result.notes, old_lock, now))
        report.notes += len(result.notes)
        report.cards += sum(count_cards(n) for n in result.notes)
    if bundle is not None:
        if good:
            _write(bundle, [DeckSpec(r.deck, r.notes) for r in good], new_lock, report)
    else:
        for result in good:
            _write(result.job.output, [DeckSpec(result.deck, result.notes)], new_lock, report)
    if good:
        built = {r.lecture.lecture_id for r in good if r.lecture is not None}
        kept = {k: e for k, e in old_lock.items() if k.split("|", 1)[0] not in built}
        merged = {**kept, **new_lock}
        text = format_lock(merged)
        if not lock_path.exists() or lock_path.read_text(encoding="utf-8") != text:
            write_atomic(lock_path, text.encode("utf-8"))
    return report


def _build_one(job: LectureJob, report: BuildReport) -> LectureResult:
    try:
        source = read_source(job.path, job.root)
    except LectureError as exc:
        report.diagnostics.append(Diagnostic(exc.path, exc.line, "error", exc.code, exc.message))
        return LectureResult(job, None, [])
    lecture = parse_lecture(source)
    notes = build_notes(lecture, job.position)
    report.diagnostics.extend(lecture.diagnostics)
    if not notes:
        report.diagnostics.append(
            Diagnostic(
                source.display_path,
                1,
                "info",
                "no-cards",
                "no facts to memorise found (only links, prose or exercises); no package written",
            )
        )
    return LectureResult(job, lecture, notes, deck_name(lecture))


def _write(
    path: Path, decks: list[DeckSpec], lock: dict[str, LockEntry], report: BuildReport
) -> None:
    mods = {lock[n.key].guid: lock[n.key].modified for d in decks for n in d.notes}
    timestamp = max(mods.values())
    data = apkg_bytes(collection_bytes(decks, mods, timestamp))
    try:
        if path.exists() and path.read_bytes() == data:
            report.unchanged += 1
            report.packages.append(path)
            return
        write_atomic(path, data)
    except OSError as exc:
        raise BuildError(f"{path}: cannot write package: {exc.strerror}") from exc
    report.packages.append(path)
