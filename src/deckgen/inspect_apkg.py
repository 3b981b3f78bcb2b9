"""Read ``.apkg`` files back: notes, decks, note types and media.

Used by ``build --check`` (a content comparison that holds where SQLite
versions lay pages out differently), by the build to carry removed notes
forward from the previous package, and by ``deckgen inspect``.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class PackageReadError(Exception):
    """A file that is not a readable Anki package."""


@dataclass(frozen=True)
class StoredNote:
    """A note as stored in a package."""

    guid: str
    model_id: int
    modified: int
    tags: tuple[str, ...]
    fields: tuple[str, ...]


def _open(data: bytes) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.deserialize(data)
    return conn


Source = Path | bytes


def _zip(source: Source) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)


def _name(source: Source) -> str:
    return "package" if isinstance(source, bytes) else str(source)


def collection_of(source: Source) -> bytes:
    """The SQLite collection inside a package (a path or the package's bytes)."""
    path = _name(source)
    try:
        with _zip(source) as zf:
            names = zf.namelist()
            name = next((n for n in ("collection.anki21", "collection.anki2") if n in names), None)
            if name is None:
                raise PackageReadError(f"{path}: no collection inside (not an Anki package)")
            return zf.read(name)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackageReadError(f"{path}: cannot read package: {exc}") from exc


def read_notes(source: Source) -> dict[str, StoredNote]:
    """Notes of a package by GUID; an unreadable package has none."""
    try:
        conn = _open(collection_of(source))
    except (PackageReadError, sqlite3.DatabaseError):
        return {}
    try:
        rows = conn.execute("SELECT guid, mid, mod, tags, flds FROM notes").fetchall()
    except sqlite3.DatabaseError:
        return {}
    finally:
        conn.close()
    return {
        guid: StoredNote(guid, mid, mod, tuple(tags.split()), tuple(flds.split("\x1f")))
        for guid, mid, mod, tags, flds in rows
    }


def _json_column(conn: sqlite3.Connection, column: str) -> Any:
    row = conn.execute(f"SELECT {column} FROM col").fetchone()
    return json.loads(row[0]) if row and row[0] else {}


def content_signature(source: Source) -> dict[str, Any]:
    """Everything Anki's importer reads from a package, as plain data.

    Notes (GUID, note type, modification time, tags, fields), cards, decks, note
    types, deck presets and media hashes: two packages with the same signature
    import identically, whatever SQLite wrote their pages.
    """
    conn = _open(collection_of(source))
    try:
        notes = conn.execute(
            "SELECT guid, mid, mod, tags, flds FROM notes ORDER BY guid"
        ).fetchall()
        cards = conn.execute(
            "SELECT n.guid, c.ord, c.did, c.type, c.queue, c.due FROM cards c "
            "JOIN notes n ON n.id = c.nid ORDER BY n.guid, c.ord"
        ).fetchall()
        decks = _json_column(conn, "decks")
        models = _json_column(conn, "models")
        dconf = _json_column(conn, "dconf")
    finally:
        conn.close()
    with _zip(source) as zf:
        media_map = json.loads(zf.read("media")) if "media" in zf.namelist() else {}
        media = sorted(
            (name, hashlib.sha256(zf.read(idx)).hexdigest()) for idx, name in media_map.items()
        )
    return {
        "notes": [list(r) for r in notes],
        "cards": [list(r) for r in cards],
        "decks": sorted(
            (d["name"], d["id"], d.get("conf", 1), d.get("desc", ""), d.get("desiredRetention"))
            for d in decks.values()
        ),
        "models": sorted(
            (
                m["id"],
                m["name"],
                m.get("mod", 0),
                m.get("css", ""),
                [f["name"] for f in m["flds"]],
                [(t["name"], t["qfmt"], t["afmt"]) for t in m["tmpls"]],
            )
            for m in models.values()
        ),
        "dconf": sorted(json.dumps(c, sort_keys=True) for c in dconf.values()),
        "media": media,
    }


def describe(source: Source) -> dict[str, Any]:
    """Decks, note types, notes and cards of any package, as plain data (``deckgen inspect``)."""
    conn = _open(collection_of(source))
    try:
        decks = _json_column(conn, "decks")
        models = _json_column(conn, "models")
        dconf = _json_column(conn, "dconf")
        notes = conn.execute(
            "SELECT id, guid, mid, mod, tags, flds FROM notes ORDER BY id"
        ).fetchall()
        cards = conn.execute(
            "SELECT nid, ord, did, due, type, queue FROM cards ORDER BY due, nid, ord"
        ).fetchall()
    finally:
        conn.close()
    with _zip(source) as zf:
        media_map = json.loads(zf.read("media")) if "media" in zf.namelist() else {}
    by_note: dict[int, list[dict[str, Any]]] = {}
    for nid, ord_, did, due, ctype, queue in cards:
        by_note.setdefault(nid, []).append(
            {
                "ord": ord_,
                "deck": decks.get(str(did), {}).get("name", str(did)),
                "due": due,
                "type": ctype,
                "queue": queue,
            }
        )
    model_fields = {str(m["id"]): [f["name"] for f in m["flds"]] for m in models.values()}
    return {
        "decks": sorted(
            (
                {
                    "id": d["id"],
                    "name": d["name"],
                    "preset": d.get("conf", 1),
                    "desired_retention": d.get("desiredRetention"),
                }
                for d in decks.values()
            ),
            key=lambda d: d["name"],
        ),
        "presets": sorted(
            (
                {
                    "id": c["id"],
                    "name": c.get("name", ""),
                    "new_per_day": c.get("new", {}).get("perDay"),
                    "reviews_per_day": c.get("rev", {}).get("perDay"),
                }
                for c in dconf.values()
            ),
            key=lambda c: c["id"],
        ),
        "note_types": sorted(
            (
                {
                    "id": m["id"],
                    "name": m["name"],
                    "fields": model_fields[str(m["id"])],
                    "templates": [t["name"] for t in m["tmpls"]],
                }
                for m in models.values()
            ),
            key=lambda m: m["id"],
        ),
        "notes": [
            {
                "guid": guid,
                "note_type": mid,
                "modified": mod,
                "tags": tags.split(),
                "fields": dict(
                    zip(model_fields.get(str(mid), []), flds.split("\x1f"), strict=False)
                ),
                "cards": by_note.get(nid, []),
            }
            for nid, guid, mid, mod, tags, flds in notes
        ],
        "media": sorted(media_map.values()),
    }
