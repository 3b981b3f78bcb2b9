"""The incremental-build cache: which lectures produced which package, unchanged.

An entry is valid when the lecture's bytes, its place in the course, the build
options and deckgen's own code are unchanged, the package on disk still has the
size and modification time deckgen left it with, and the lock still holds the
same entries for the lecture. Then the lecture is neither re-parsed nor
re-written. The cache lives in ``OUT/.deckgen-cache/`` and ignores itself in git.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from deckgen import __version__
from deckgen.atomic import write_atomic

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
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def input_digest(data: bytes, context: str) -> str:
    """Digest of everything a lecture's package depends on besides the lock."""
    return hashlib.sha256(context.encode() + b"\x00" + data).hexdigest()


def load(out: Path) -> tuple[dict[str, CacheEntry], str, list[str]]:
    """The cache of an output folder: its entries, the hash of the lock it was written
    with, and the orphan packages (no lecture builds them) found by that build."""
    try:
        raw = json.loads((out / CACHE_DIR / _FILE).read_text(encoding="utf-8"))
        entries = {key: CacheEntry(**value) for key, value in raw["lectures"].items()}
        return entries, str(raw["lock_sha"]), [str(p) for p in raw.get("orphans", [])]
    except (OSError, ValueError, TypeError, KeyError):
        return {}, "", []


def ignore_folder(folder: Path) -> None:
    """Make git ignore the cache folder, as pytest does with its own."""
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# deckgen build cache\n*\n", encoding="utf-8")


def save(
    out: Path, entries: dict[str, CacheEntry], lock_sha: str, orphans: list[str] | None = None
) -> None:
    """Write the cache (best effort: a cache that cannot be written is no error)."""
    folder = out / CACHE_DIR
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        ignore_folder(folder)
        lectures = {k: asdict(v) for k, v in sorted(entries.items())}
        document = {"lock_sha": lock_sha, "lectures": lectures, "orphans": orphans or []}
        data = json.dumps(document, sort_keys=True)
        write_atomic(folder / _FILE, data.encode("utf-8"))
