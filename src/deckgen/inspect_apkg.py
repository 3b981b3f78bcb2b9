"""Read ``.apkg`` files back: notes, decks, note types and media.

Used by ``build --check`` (a content comparison that holds where SQLite
versions lay pages out differently), by the build to carry removed notes
forward from the previous package, and by ``deckgen inspect``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import stat
import time
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Bounds on what a package may make deckgen read: a hostile package (a zip bomb, a
# huge media map, a view that never ends) is refused with one line, never a hang.
MAX_PACKAGE_BYTES = 4 * 1024**3  # the .apkg file itself
MAX_COLLECTION_BYTES = 512 * 1024**2  # the unpacked SQLite collection
MAX_MEDIA_MAP_BYTES = 16 * 1024**2  # the unpacked ``media`` JSON
MAX_MEDIA_NAME = 255  # characters in one media file name
MAX_MEDIA_FILE_BYTES = 512 * 1024**2  # one unpacked media file (hashed as a stream)
MAX_MEDIA_TOTAL_BYTES = 4 * 1024**3  # all unpacked media files together
MAX_FIELD_BYTES = 64 * 1024**2  # one string or blob inside the collection
MAX_ROWS = 1_000_000  # notes or cards read
QUERY_SECONDS = 15.0  # all queries on one collection together


class PackageReadError(Exception):
    """A file that is not a readable Anki package; the message is one line."""


@dataclass(frozen=True)
class StoredNote:
    """A note as stored in a package."""

    guid: str
    model_id: int
    modified: int
    tags: tuple[str, ...]
    fields: tuple[str, ...]


Source = Path | bytes


def _name(source: Source) -> str:
    return "package" if isinstance(source, bytes) else str(source)


def _clip(text: str, limit: int = 160) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit] + "…"


def _reason(exc: BaseException) -> str:
    """What went wrong, in words, for one of the failures reading a package can raise."""
    if isinstance(exc, sqlite3.OperationalError) and str(exc) == "interrupted":
        return f"the collection's queries took over {QUERY_SECONDS:g} s; not read further"
    if isinstance(exc, sqlite3.Error):
        return f"bad collection database ({_clip(str(exc))})"
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError | NotImplementedError):
        return f"damaged or unsupported zip file ({_clip(str(exc))})"
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return f"malformed JSON or text ({_clip(str(exc))})"
    if isinstance(exc, RecursionError):
        return "data nested too deeply"
    if isinstance(exc, MemoryError):
        return "too large to read"
    if isinstance(exc, OSError):
        return f"cannot read it ({exc.strerror or _clip(str(exc))})"
    if isinstance(exc, RuntimeError):  # an encrypted zip entry, …
        return f"unsupported zip file ({_clip(str(exc))})"
    return f"unexpected content ({type(exc).__name__}: {_clip(str(exc))})"


@contextmanager
def _reading(source: Source) -> Iterator[None]:
    """Turn any failure while reading ``source`` into a one-line :class:`PackageReadError`."""
    try:
        yield
    except PackageReadError:
        raise
    except Exception as exc:  # hostile input may fail anywhere; report it, never crash
        raise PackageReadError(
            f"{_name(source)}: not a readable Anki package: {_reason(exc)}"
        ) from exc


def _refuse(source: Source, why: str) -> PackageReadError:
    return PackageReadError(f"{_name(source)}: not a readable Anki package: {why}")


def _zip(source: Source) -> zipfile.ZipFile:
    if isinstance(source, bytes):
        return zipfile.ZipFile(io.BytesIO(source))
    st = os.stat(source)  # before opening: a FIFO or a device would block or never end
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(source, "not a regular file (a FIFO, device or folder)")
    if st.st_size > MAX_PACKAGE_BYTES:
        raise _refuse(source, f"{st.st_size} bytes; at most {MAX_PACKAGE_BYTES} are read")
    return zipfile.ZipFile(source)


def _member(source: Source, zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """One zip member, refused from its header when it unpacks to more than ``limit`` bytes."""
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise _refuse(source, f"{name} unpacks to {info.file_size} bytes; at most {limit} are read")
    with zf.open(info) as fh:  # never yields more than the header's file_size
        return fh.read(limit + 1)


def _collection(source: Source, zf: zipfile.ZipFile) -> bytes:
    names = zf.namelist()
    name = next((n for n in ("collection.anki21", "collection.anki2") if n in names), None)
    if name is None:
        raise _refuse(source, "no collection inside (not an Anki package)")
    return _member(source, zf, name, MAX_COLLECTION_BYTES)


def collection_of(source: Source) -> bytes:
    """The SQLite collection inside a package (a path or the package's bytes)."""
    with _reading(source), _zip(source) as zf:
        return _collection(source, zf)


def _media_map(source: Source, zf: zipfile.ZipFile) -> dict[str, str]:
    """The package's media map (zip member → file name), checked."""
    members = set(zf.namelist())
    if "media" not in members:
        return {}
    media = json.loads(_member(source, zf, "media", MAX_MEDIA_MAP_BYTES) or b"{}")
    if not isinstance(media, dict):
        raise _refuse(source, "the media map is not a JSON object")
    for member, name in media.items():
        if not isinstance(name, str) or not name or len(name) > MAX_MEDIA_NAME:
            raise _refuse(source, f"media entry {_clip(member, 20)!r} has no usable file name")
        if member not in members:
            raise _refuse(source, f"media entry {_clip(member, 20)!r} is missing from the zip")
    return media


def _media_hashes(source: Source, zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    total = 0
    hashes = []
    for member, name in _media_map(source, zf).items():
        info = zf.getinfo(member)
        total += info.file_size
        if info.file_size > MAX_MEDIA_FILE_BYTES or total > MAX_MEDIA_TOTAL_BYTES:
            raise _refuse(source, f"media unpacks to more than {MAX_MEDIA_TOTAL_BYTES} bytes")
        with zf.open(info) as fh:
            # (a ZipExtFile has readinto; typeshed types zf.open() as plain IO[bytes])
            digest = hashlib.file_digest(fh, "sha256")  # type: ignore[arg-type]
            hashes.append((name, digest.hexdigest()))
    return sorted(hashes)


def _open(data: bytes) -> sqlite3.Connection:
    """The collection in memory, read-only, with its queries bounded in time and size."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(data)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_FIELD_BYTES)
        deadline = time.monotonic() + QUERY_SECONDS
        conn.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
    except BaseException:
        conn.close()
        raise
    return conn


def _rows(conn: sqlite3.Connection, sql: str, types: tuple[type, ...]) -> list[tuple[Any, ...]]:
    """At most :data:`MAX_ROWS` rows of ``sql``, each column of the given Python type."""
    rows = conn.execute(sql).fetchmany(MAX_ROWS + 1)
    if len(rows) > MAX_ROWS:
        raise ValueError(f"more than {MAX_ROWS} rows from {sql.split(' FROM ')[1].split()[0]}")
    for row in rows:
        for value, kind in zip(row, types, strict=True):
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"{value!r:.40} where {kind.__name__} was expected ({sql})")
    return rows


_NOTE_TYPES = (str, int, int, str, str)


def read_notes(source: Source) -> dict[str, StoredNote]:
    """Notes of a package by GUID; an unreadable package has none."""
    try:
        with _reading(source):
            conn = _open(collection_of(source))
            try:
                rows = _rows(conn, "SELECT guid, mid, mod, tags, flds FROM notes", _NOTE_TYPES)
            finally:
                conn.close()
    except PackageReadError:
        return {}
    return {
        guid: StoredNote(guid, mid, mod, tuple(tags.split()), tuple(flds.split("\x1f")))
        for guid, mid, mod, tags, flds in rows
    }


def _json_column(conn: sqlite3.Connection, column: str) -> dict[str, dict[str, Any]]:
    """A JSON object column of ``col`` whose values are objects (decks, models, dconf)."""
    row = conn.execute(f"SELECT {column} FROM col").fetchone()
    value = json.loads(row[0]) if row and row[0] else {}
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ValueError(f"col.{column} is not a JSON object of objects")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where} is {type(value).__name__}, not text")
    return value


def _ident(value: Any, where: str) -> int | str:
    """An id in the collection's JSON: a number (Anki) or a string of digits (genanki)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{where} is {type(value).__name__}, not an id")
    return value


def _int_id(value: Any, where: str) -> int:
    """An id as a number, whether the collection stores it as one (Anki) or as digits
    (genanki), so ``inspect``'s output shows every id the same way."""
    ident = _ident(value, where)
    if isinstance(ident, str):
        if not ident.isdigit():
            raise ValueError(f"{where} is {_clip(ident, 20)!r}, not a number")
        return int(ident)
    return ident


_DEFAULT_DECK_ID = 1  # every collection has Anki's "Default" deck; a package's is left empty


def _model_fields(model: dict[str, Any]) -> list[str]:
    fields = model["flds"]
    if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
        raise ValueError("a note type's fields are not a list of objects")
    return [_text(f["name"], "a field name") for f in fields]


def _model_templates(model: dict[str, Any]) -> list[dict[str, Any]]:
    templates = model["tmpls"]
    if not isinstance(templates, list) or not all(isinstance(t, dict) for t in templates):
        raise ValueError("a note type's templates are not a list of objects")
    return templates


def content_signature(source: Source) -> dict[str, Any]:
    """Everything Anki's importer reads from a package, as plain data.

    Notes (GUID, note type, modification time, tags, fields), cards, decks, note
    types, deck presets and media hashes: two packages with the same signature
    import identically, whatever SQLite wrote their pages. Raises
    :class:`PackageReadError` for anything that is not a readable package.
    """
    with _reading(source), _zip(source) as zf:
        conn = _open(_collection(source, zf))
        try:
            notes = _rows(
                conn, "SELECT guid, mid, mod, tags, flds FROM notes ORDER BY guid", _NOTE_TYPES
            )
            cards = _rows(
                conn,
                "SELECT n.guid, c.ord, c.did, c.type, c.queue, c.due FROM cards c "
                "JOIN notes n ON n.id = c.nid ORDER BY n.guid, c.ord",
                (str, int, int, int, int, int),
            )
            decks = _json_column(conn, "decks")
            models = _json_column(conn, "models")
            dconf = _json_column(conn, "dconf")
        finally:
            conn.close()
        media = _media_hashes(source, zf)
        return {
            "notes": [list(r) for r in notes],
            "cards": [list(r) for r in cards],
            "decks": sorted(
                (
                    _text(d["name"], "a deck name"),
                    _ident(d["id"], "a deck id"),
                    d.get("conf", 1),
                    d.get("desc", ""),
                    d.get("desiredRetention"),
                )
                for d in decks.values()
            ),
            "models": sorted(
                (
                    _ident(m["id"], "a note type id"),
                    _text(m["name"], "a note type name"),
                    m.get("mod", 0),
                    m.get("css", ""),
                    _model_fields(m),
                    [(t["name"], t["qfmt"], t["afmt"]) for t in _model_templates(m)],
                )
                for m in models.values()
            ),
            "dconf": sorted(json.dumps(c, sort_keys=True) for c in dconf.values()),
            "media": media,
        }


def describe(source: Source) -> dict[str, Any]:
    """Decks, note types, notes and cards of any package, as plain data (``deckgen inspect``).

    Raises :class:`PackageReadError` for anything that is not a readable package.
    """
    with _reading(source), _zip(source) as zf:
        conn = _open(_collection(source, zf))
        try:
            decks = _json_column(conn, "decks")
            models = _json_column(conn, "models")
            dconf = _json_column(conn, "dconf")
            notes = _rows(
                conn,
                "SELECT id, guid, mid, mod, tags, flds FROM notes ORDER BY id",
                (int, *_NOTE_TYPES),
            )
            cards = _rows(
                conn,
                "SELECT nid, ord, did, due, type, queue FROM cards ORDER BY due, nid, ord",
                (int, int, int, int, int, int),
            )
        finally:
            conn.close()
        media_names = sorted(_media_map(source, zf).values())
        return _description(decks, models, dconf, notes, cards, media_names)


def _description(
    decks: dict[str, dict[str, Any]],
    models: dict[str, dict[str, Any]],
    dconf: dict[str, dict[str, Any]],
    notes: list[tuple[Any, ...]],
    cards: list[tuple[Any, ...]],
    media: list[str],
) -> dict[str, Any]:
    deck_names = {key: _text(d.get("name", key), "a deck name") for key, d in decks.items()}
    by_note: dict[int, list[dict[str, Any]]] = {}
    for nid, ord_, did, due, ctype, queue in cards:
        by_note.setdefault(nid, []).append(
            {
                "ord": ord_,
                "deck": deck_names.get(str(did), str(did)),
                "due": due,
                "type": ctype,
                "queue": queue,
            }
        )
    model_fields = {str(m["id"]): _model_fields(m) for m in models.values()}
    used_decks = {str(card["deck"]) for note_cards in by_note.values() for card in note_cards}
    shown_decks = [
        {
            "id": _int_id(d["id"], "a deck id"),
            "name": _text(d["name"], "a deck name"),
            "preset": _int_id(d.get("conf", 1), "a deck's preset id"),
            "desired_retention": d.get("desiredRetention"),
        }
        for d in decks.values()
    ]
    # Anki's own empty "Default" deck (and its preset) is in every package: not listed.
    shown_decks = [
        d
        for d in shown_decks
        if d["id"] != _DEFAULT_DECK_ID or deck_names.get(str(d["id"])) in used_decks
    ]
    used_presets = {d["preset"] for d in shown_decks}
    presets = [
        {
            "id": _int_id(c["id"], "a preset id"),
            "name": c.get("name", ""),
            "new_per_day": (c.get("new") or {}).get("perDay"),
            "reviews_per_day": (c.get("rev") or {}).get("perDay"),
        }
        for c in dconf.values()
    ]
    return {
        "decks": sorted(shown_decks, key=lambda d: d["name"]),
        "presets": sorted(
            (c for c in presets if c["id"] in used_presets or c["id"] != _DEFAULT_DECK_ID),
            key=lambda c: c["id"],
        ),
        "note_types": sorted(
            (
                {
                    "id": _int_id(m["id"], "a note type id"),
                    "name": _text(m["name"], "a note type name"),
                    "fields": model_fields[str(m["id"])],
                    "templates": [_text(t["name"], "a template name") for t in _model_templates(m)],
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
        "media": media,
    }
