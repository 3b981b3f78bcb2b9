"""Incremental builds: which lectures can keep the package the last build wrote.

A lecture's package is kept when the lecture's bytes, its place in the course, the
build options and deckgen's own code are unchanged, the package on disk still has the
size and modification time deckgen left it with, the lock still holds the same
entries for the lecture, and its images are unchanged (every image file it looked
for, found or not: adding a missing image rebuilds the lecture). Then the lecture is neither
re-parsed nor re-written; while the file's own size and modification time are
unchanged too, it is not even read. The record lives in ``OUT/.deckgen-cache/``
and ignores itself in git.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from deckgen import __version__
from deckgen.atomic import make_folders, read_regular, remove_folders, write_atomic
from deckgen.model import LectureJob, LectureResult

CACHE_DIR = ".deckgen-cache"
_FILE = "lectures.json"


@dataclass
class CacheEntry:
    """What one lecture produced the last time it was built."""

    digest: str
    lecture_id: str
    output: str
    size: int
    mtime_ns: int
    lock_digest: str
    notes: int
    cards: int
    diagnostics: list[dict[str, str | int]] = field(default_factory=list)
    media: list[list[str | int]] = field(default_factory=list)  # [path, size, mtime_ns]
    # The lecture file as last read (size, mtime_ns): while both are unchanged, and so is
    # everything else the package depends on (``context``), the file is not even read.
    source_size: int = -1
    source_mtime_ns: int = -1
    context: str = ""
    order: float | None = None  # its front-matter ``order:``
    root: str = ""  # the lectures root it was built under (a file built alone uses it)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of deckgen's version and source, so a changed deckgen invalidates the cache."""
    h = hashlib.sha256(__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def context_digest(rel_path: str, position: int, options: str) -> str:
    """Digest of what a lecture's package depends on besides its text and the lock:
    deckgen's code, the lecture's path and place in the course, the build options."""
    h = hashlib.sha256(code_fingerprint().encode())
    for part in (rel_path, str(position), options):
        h.update(part.encode("utf-8", "surrogateescape"))
        h.update(b"\x00")
    return h.hexdigest()


def input_digest(data: bytes, context: str) -> str:
    """Digest of everything a lecture's package depends on besides the lock."""
    return hashlib.sha256(context.encode() + b"\x00" + data).hexdigest()


def _media_stat(path: Path) -> list[str | int]:
    try:
        st = path.stat()
    except OSError:
        return [str(path), -1, -1]
    return [str(path), st.st_size, st.st_mtime_ns]


_STR_FIELDS = ("digest", "lecture_id", "output", "lock_digest", "context", "root")
_INT_FIELDS = ("size", "mtime_ns", "notes", "cards", "source_size", "source_mtime_ns")
_DIAGNOSTIC_FIELDS = {
    "path": str,
    "line": int,
    "col": int,
    "severity": str,
    "code": str,
    "message": str,
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _entry(value: object) -> CacheEntry | None:
    """A cache entry from its JSON form; None unless every field has its type."""
    if not isinstance(value, dict):
        return None
    try:
        entry = CacheEntry(**value)
    except TypeError:  # a missing or unknown field
        return None
    if not all(isinstance(getattr(entry, f), str) for f in _STR_FIELDS):
        return None
    if not all(_is_int(getattr(entry, f)) for f in _INT_FIELDS):
        return None
    if entry.order is not None and not (_is_int(entry.order) or isinstance(entry.order, float)):
        return None
    for d in entry.diagnostics if isinstance(entry.diagnostics, list) else [None]:
        if not isinstance(d, dict) or d.keys() != _DIAGNOSTIC_FIELDS.keys():
            return None
        for k, kind in _DIAGNOSTIC_FIELDS.items():
            if not isinstance(d[k], kind) or (kind is int and not _is_int(d[k])):
                return None
    for m in entry.media if isinstance(entry.media, list) else [None]:
        if not (isinstance(m, list) and len(m) == 3 and isinstance(m[0], str)):
            return None
        if not (_is_int(m[1]) and _is_int(m[2])):
            return None
    return entry


def load(out: Path) -> tuple[dict[str, CacheEntry], str, list[str]]:
    """The cache of an output folder: its entries, the hash of the lock it was written
    with, and the orphan packages (no lecture builds them) found by that build. A cache
    that is not what deckgen writes (any value of another type) is discarded whole."""
    empty: tuple[dict[str, CacheEntry], str, list[str]] = ({}, "", [])
    try:
        raw = json.loads(read_regular(out / CACHE_DIR / _FILE).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return empty
    if not isinstance(raw, dict) or not isinstance(raw.get("lectures"), dict):
        return empty
    lock_sha, orphans = raw.get("lock_sha"), raw.get("orphans", [])
    if not isinstance(lock_sha, str) or not isinstance(orphans, list):
        return empty
    if not all(isinstance(p, str) for p in orphans):
        return empty
    entries = {}
    for key, value in raw["lectures"].items():
        entry = _entry(value)
        if entry is None:
            return empty
        entries[key] = entry
    return entries, lock_sha, orphans


def ignore_folder(folder: Path) -> None:
    """Make git ignore the cache folder, as pytest does with its own."""
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# deckgen build cache\n*\n", encoding="utf-8")


def cache_folder(out: Path, created: list[Path] | None = None) -> Path:
    """``OUT/.deckgen-cache``, made (with ``out``) when missing and ignored by git; the
    folders made are added to ``created``. A file in its place is a broken cache: it is
    replaced."""
    folder = out / CACHE_DIR
    if os.path.lexists(folder) and not folder.is_dir():
        folder.unlink()
    make_folders(folder, created)
    ignore_folder(folder)
    return folder


def forget_folders(out: Path, created: list[Path]) -> None:
    """Remove the cache folder and ``out`` when this build ``created`` them (a build that
    failed); only deckgen's own files in them, and only while they hold nothing else."""
    folder = out / CACHE_DIR
    if folder in created:
        for name in (".gitignore", "build.lock"):
            with contextlib.suppress(OSError):
                (folder / name).unlink()
    remove_folders(created)


def save(
    out: Path, entries: dict[str, CacheEntry], lock_sha: str, orphans: list[str] | None = None
) -> None:
    """Write the cache (best effort: a cache that cannot be written is no error)."""
    with contextlib.suppress(OSError):
        folder = cache_folder(out)
        lectures = {k: asdict(v) for k, v in sorted(entries.items())}
        document = {"lock_sha": lock_sha, "lectures": lectures, "orphans": orphans or []}
        data = json.dumps(document, sort_keys=True)
        write_atomic(folder / _FILE, data.encode("utf-8"))


class Incremental:
    """What the last build into ``out`` recorded, and what this build will record.

    ``lock_sha`` is the hash of the lock as this build found it; ``lock_digest`` gives
    a lecture's digest of its lock entries, checked when the lock changed since.
    """

    def __init__(
        self, out: Path, enabled: bool, lock_sha: str, lock_digest: Callable[[str], str]
    ) -> None:
        self.out = out
        old, old_lock_sha, self.old_orphans = load(out)
        # The lectures roots the last build used (discovery finds a lone file's root there).
        self.roots = sorted({Path(e.root) for e in old.values() if e.root})
        if not enabled:
            old, old_lock_sha, self.old_orphans = {}, "", []
        self.old = old
        self.lock_sha = lock_sha
        # The lock is what the entries were built against: then no per-lecture check.
        self.lock_digest = None if old_lock_sha == lock_sha else lock_digest
        self.new: dict[str, CacheEntry] = {}

    def known(self) -> dict[str, tuple[int, int, float | None]]:
        """Each recorded lecture's (size, mtime_ns, front-matter order), for discovery."""
        return {rel: (e.source_size, e.source_mtime_ns, e.order) for rel, e in self.old.items()}

    def unchanged(self, job: LectureJob, context: str, digest: str = "") -> CacheEntry | None:
        """The lecture's record when its package can stay as it is, else None.

        Without ``digest`` (the file unread) only when the file's size and modification
        time are also those recorded."""
        entry = self.old.get(job.rel)
        if entry is None:
            return None
        if not digest:
            if entry.context != context or job.stat != (entry.source_size, entry.source_mtime_ns):
                return None
            digest = entry.digest
        if entry.digest != digest or entry.output != str(job.output):
            return None
        try:
            st = job.output.stat()
        except OSError:
            return None
        if (st.st_size, st.st_mtime_ns) != (entry.size, entry.mtime_ns):
            return None
        if self.lock_digest and entry.lock_digest != self.lock_digest(entry.lecture_id):
            return None
        if any(_media_stat(Path(m[0])) != m for m in entry.media):
            return None
        # Same content; the file may have been touched (a git checkout): remember its stat.
        self.new[job.rel] = replace(
            entry, source_size=job.stat[0], source_mtime_ns=job.stat[1], order=job.order
        )
        return entry

    def remember(self, result: LectureResult, lecture_id: str, lock_digest: str) -> None:
        """Record a lecture this build wrote (after its package is in place)."""
        job, media = result.job, result.media
        try:
            st = job.output.stat()
        except OSError:
            return
        self.new[job.rel] = CacheEntry(
            digest=result.digest,
            lecture_id=lecture_id,
            output=str(job.output),
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            lock_digest=lock_digest,
            notes=len(result.notes),
            cards=sum(n.cards for n in result.notes),
            diagnostics=[d.as_dict() for d in result.lecture.diagnostics],
            # Images as read, and every image file looked for: one added, changed or
            # removed since (even one missing then) rebuilds the lecture.
            media=[_media_stat(p) for p in sorted({*media.sources.values(), *media.looked_up})],
            source_size=job.stat[0],
            source_mtime_ns=job.stat[1],
            context=result.context,
            order=job.order,
            root=str(job.root),
        )

    def known_orphans(self) -> list[str] | None:
        """The orphan packages the last build found, when nothing was rebuilt since and the
        lectures are the same (a package copied in by hand meanwhile is found by the next
        real build or --check); None when the output folder must be looked at."""
        if self.old and self.new.keys() == self.old.keys():
            return self.old_orphans
        return None

    def save(self, lock_sha: str, orphans: list[str]) -> None:
        """Write the record, unless it is what the last build left."""
        if self.new == self.old and lock_sha == self.lock_sha and orphans == self.old_orphans:
            return
        save(self.out, self.new, lock_sha, orphans)
