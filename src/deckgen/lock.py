"""The lock file: each note's GUID, content hash and content modification time.

Anki's importer updates a note only when the incoming modification time is
newer than its own, so a note's time must be the time its *content* last
changed: unchanged content keeps its recorded time (and the package stays
byte-identical), changed content gets the build time. The file is sorted,
tab-separated text so that diffs in review are readable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from deckgen.cards import NoteSpec

LOCK_NAME = "deckgen.lock"
_HEADER = "# deckgen lock: guid<TAB>modified<TAB>content-hash<TAB>key. Generated; commit it with the decks.\n"


@dataclass(frozen=True)
class LockEntry:
    """What the lock remembers about one note."""

    guid: str
    modified: int
    digest: str


def content_digest(note: NoteSpec) -> str:
    """Hash of everything the importer compares: note type, fields, tags, GUID."""
    h = hashlib.sha256()
    for part in (note.model, note.guid, *note.fields, *note.tags):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:20]


def read_lock(path: Path) -> dict[str, LockEntry]:
    """Load a lock file; a missing or unreadable file is an empty lock."""
    entries: dict[str, LockEntry] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return entries
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 4 or not fields[1].isdigit():
            continue
        guid, modified, digest, key = fields
        entries[key] = LockEntry(guid, int(modified), digest)
    return entries


def format_lock(entries: dict[str, LockEntry]) -> str:
    """Serialise a lock, sorted by key."""
    rows = [f"{e.guid}\t{e.modified}\t{e.digest}\t{key}\n" for key, e in sorted(entries.items())]
    return _HEADER + "".join(rows)


def stamp(notes: list[NoteSpec], lock: dict[str, LockEntry], now: int) -> dict[str, LockEntry]:
    """Give every note its modification time: kept when unchanged, ``now`` when changed."""
    out: dict[str, LockEntry] = {}
    for note in notes:
        digest = content_digest(note)
        old = lock.get(note.key)
        if old is None:
            modified = now
        elif old.digest == digest:
            modified = old.modified
        else:  # changed: must be newer than what users imported, even if the clock is behind
            modified = max(now, old.modified + 1)
        out[note.key] = LockEntry(note.guid, modified, digest)
    return out
