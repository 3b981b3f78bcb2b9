"""Output stage: decks → where the user gets them.

:class:`Output` is the seam: the build hands it the rebuilt decks with their
modification times, and it packages them and stages them with the lock in
:class:`Staged`, which puts everything in place together (or, with ``--check``, only
reports what differs).
:class:`PackageTree` writes one ``.apkg`` per lecture, mirroring the lecture tree, and
finds packages no lecture builds any more; :class:`Bundle` writes one ``.apkg`` holding
every lecture as a deck tree. Another target (a CSV export, a push to a running Anki)
would be one more implementation.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from deckgen.atomic import Staging
from deckgen.incremental import cache_folder, forget_folders
from deckgen.inspect_apkg import PackageReadError, content_signature, read_notes
from deckgen.model import (
    BuildError,
    BuildReport,
    DeckSpec,
    Diagnostic,
    LectureJob,
    Stamps,
    Stored,
)
from deckgen.notetypes import model_for
from deckgen.source import user_path


class Staged:
    """What a build puts in place at its end: packages and the lock, each staged beside
    its target and renamed together by :meth:`commit` (or removed by :meth:`discard`
    when the build fails). With ``--check`` nothing is staged: each file is reported
    stale to ``report`` instead."""

    def __init__(self, report: BuildReport, check: bool) -> None:
        self.report = report
        self.check = check
        self.staging = Staging()

    def stage(self, path: Path, data: bytes, what: str) -> None:
        """Put ``data`` at ``path`` on commit (``--check``: report ``path`` as stale)."""
        if self.check:
            self.report.out_of_date.append(f"stale: {user_path(path)}")
            return
        try:
            self.staging.add(path, data)
        except OSError as exc:
            raise BuildError(f"{path}: cannot write {what}: {exc.strerror}") from exc

    def unstage(self, path: Path) -> None:
        """Forget what was staged for ``path`` (a lecture found wrong after its package was
        staged): it is not put in place by :meth:`commit`."""
        if not self.check:
            self.staging.unstage(path)

    def commit(self) -> None:
        """Put every staged file in place."""
        try:
            self.staging.commit()
        except OSError as exc:
            raise BuildError(
                f"{exc.filename}: cannot put the new file in place: {exc.strerror}"
            ) from exc

    def discard(self) -> None:
        """Remove whatever was staged and not committed (an error or an interrupt)."""
        self.staging.discard()


class Output(ABC):
    """Where a build's decks go; ``folder`` holds the lock beside them.

    The build calls :meth:`write` once with the rebuilt decks or, when it streams them,
    stages each lecture's package in :attr:`staged` and has it counted (:meth:`count`);
    the packages wait there, with the lock, until the build commits them. Outcomes go
    to ``report``.
    """

    folder: Path

    def __init__(self, report: BuildReport, check: bool) -> None:
        self.report = report
        self.check = check  # write nothing; report what is out of date
        self.staged = Staged(report, check)  # packages and lock, put in place together

    @abstractmethod
    def write(self, decks: Sequence[tuple[LectureJob, DeckSpec]], stamps: Stamps) -> None:
        """Package the decks of the rebuilt lectures (with their jobs)."""

    def package(self, path: Path, decks: Sequence[DeckSpec], stamps: Stamps) -> None:
        """Write ``decks`` as the package ``path`` unless it holds them already; with
        ``--check``, report it as missing or stale instead (content, not bytes)."""
        data = package_data(decks, stamps)
        self.place(path, data, compare(path, data, self.check))

    def place(self, path: Path, data: bytes | None, state: str) -> None:
        """Stage the package ``path`` when ``state`` (see :func:`compare`) says its ``data``
        differs from the file there, and count it (see :meth:`count`)."""
        if state == "differs":
            assert data is not None
            self.staged.stage(path, data, "package")
        self.count(path, state)

    def count(self, path: Path, state: str) -> None:
        """Report the package ``path`` as written, unchanged, missing or stale."""
        self.report.packages.append(path)
        if state == "differs":
            self.report.written.append(path)
        elif state == "missing":
            self.report.out_of_date.append(f"missing: {user_path(path)}")
        elif state == "stale":
            self.report.out_of_date.append(f"stale: {user_path(path)}")
        else:
            self.report.unchanged += 1

    def orphans(self, jobs: Sequence[LectureJob], known: list[str] | None) -> list[str]:
        """Report packages no lecture builds any more (none here); see :class:`PackageTree`."""
        return []


class PackageTree(Output):
    """One package per lecture under ``out``, mirroring the lecture tree."""

    def __init__(self, out: Path, report: BuildReport, check: bool) -> None:
        super().__init__(report, check)
        self.folder = out

    def write(self, decks: Sequence[tuple[LectureJob, DeckSpec]], stamps: Stamps) -> None:
        for job, deck in decks:
            self.package(job.output, [deck], stamps)

    def orphans(self, jobs: Sequence[LectureJob], known: list[str] | None) -> list[str]:
        """Report packages in the output folder that no lecture of this build produces;
        returns them relative to it. ``known`` is the last build's list, when still valid."""
        out = self.folder
        if not out.is_dir() or not jobs:
            return []
        if known is not None:
            found = [p for p in (out / rel for rel in known) if p.is_file()]
        else:
            expected = {os.path.abspath(j.output) for j in jobs}
            found = []
            for folder, dirs, files in os.walk(out):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in files:
                    full = os.path.abspath(os.path.join(folder, name))
                    if name.endswith(".apkg") and not name.startswith(".") and full not in expected:
                        found.append(Path(folder, name))
            found.sort()
        for apkg in found:
            if self.check:
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
        return [os.path.relpath(p, out).replace(os.sep, "/") for p in found]


class Bundle(Output):
    """One package ``path`` holding every lecture as a deck tree."""

    def __init__(self, path: Path, report: BuildReport, check: bool) -> None:
        super().__init__(report, check)
        self.path = path
        self.folder = path.parent

    def write(self, decks: Sequence[tuple[LectureJob, DeckSpec]], stamps: Stamps) -> None:
        if decks:
            self.package(self.path, [deck for _, deck in decks], stamps)


def package_data(decks: Sequence[DeckSpec], stamps: Stamps) -> bytes:
    """The ``.apkg`` bytes of ``decks`` with the modification times in ``stamps``."""
    from deckgen.package import apkg_bytes, collection_bytes  # (genanki: only to package)

    mods = {n.guid: stamps.notes[n.guid] for d in decks for n in d.notes}
    types = sorted({n.model for d in decks for n in d.notes})
    model_mods = {model_for(t).model_id: stamps.note_types[t] for t in types}
    media = sorted({name: data for d in decks for name, data in d.media.items()}.items())
    newest = max([*mods.values(), *model_mods.values()])
    return apkg_bytes(collection_bytes(decks, mods, newest, model_mods), media)


def compare(path: Path, data: bytes, check: bool) -> str:
    """How the package ``data`` relates to the file at ``path``: ``same`` (byte for byte),
    ``differs`` (to be written), or with ``check``: ``missing``, ``stale`` (other content)
    or ``same-content`` (other bytes, same notes)."""
    existing = path.read_bytes() if path.is_file() else None
    if existing == data:
        return "same"
    if not check:
        return "differs"
    if existing is None:
        return "missing"
    return "same-content" if _same_content(existing, data) else "stale"


def previous_notes(path: Path) -> dict[str, Stored]:
    """The notes of the package at ``path`` (none when there is no file), by GUID."""
    notes = read_notes(path) if path.is_file() else {}
    return {guid: (tuple(n.fields), tuple(n.tags)) for guid, n in notes.items()}


def _same_content(a: bytes, b: bytes) -> bool:
    try:
        return content_signature(a) == content_signature(b)
    except (PackageReadError, ValueError, KeyError):
        return False


@contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` so two builds into it run one after the other;
    the folders it makes for that are removed again if the build fails."""
    try:
        import fcntl
    except ImportError:  # not POSIX: atomic renames still keep every file whole
        yield
        return
    created: list[Path] = []
    try:
        handle = (cache_folder(folder, created) / "build.lock").open("a")
    except OSError as exc:
        forget_folders(folder, created)
        raise BuildError(f"{folder}: cannot write to the output folder: {exc.strerror}") from None
    try:
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    except BaseException:
        forget_folders(folder, created)
        raise
