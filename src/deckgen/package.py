"""Package stage: notes → ``.apkg`` bytes (written by :mod:`deckgen.atomic`).

genanki builds the collection, but into an in-memory SQLite database (its
``Package.write_to_file`` leaves a temporary database per package in TMPDIR and
writes the target in place). The zip is assembled with fixed entry dates, modes
and order, so the same notes and times give byte-identical output.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import sqlite3
import zipfile
from collections.abc import Iterable, Sequence

import genanki

from deckgen.model import DeckSpec, NoteSpec
from deckgen.notetypes import model_for
from deckgen.settings import DeckSettings, preset_id

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def deck_id(name: str) -> int:
    """A deck id derived from the deck name (stable, in genanki's recommended range)."""
    digest = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big")
    return (1 << 30) + digest % (1 << 30)


class _Note(genanki.Note):
    """A genanki note that carries its own modification time."""

    def __init__(self, spec: NoteSpec, mod: int) -> None:
        super().__init__(
            model=model_for(spec.model),
            fields=list(spec.fields),
            tags=list(spec.tags),
            guid=spec.guid,
            due=spec.due,
        )
        self.mod = mod

    def write_to_db(self, cursor, timestamp, deck_id, id_gen):  # type: ignore[no-untyped-def]
        super().write_to_db(cursor, self.mod, deck_id, id_gen)

    def _check_invalid_html_tags_in_fields(self) -> None:
        # Our fields are rendered by markdown-it; genanki's regex check is noise here.
        return None


def collection_bytes(
    decks: Iterable[DeckSpec],
    note_mods: dict[str, int],
    timestamp: int,
    model_mods: dict[int, int] | None = None,
) -> bytes:
    """Build the Anki collection in memory and return the SQLite file's bytes.

    ``note_mods`` maps a note's GUID to its modification time (seconds) and
    ``model_mods`` a note type's id to its own; ``timestamp`` is the package time
    (ids of notes and cards count up from it).
    """
    decks = list(decks)
    conn = sqlite3.connect(":memory:")
    try:
        cursor = conn.cursor()
        package = genanki.Package([_deck(d, note_mods, timestamp) for d in decks])
        package.write_to_db(cursor, timestamp, itertools.count(timestamp * 1000))
        _set_model_mods(cursor, model_mods or {})
        _add_presets(cursor, decks, timestamp)
        conn.commit()
        return conn.serialize()
    finally:
        conn.close()


def _set_model_mods(cursor: sqlite3.Cursor, model_mods: dict[int, int]) -> None:
    if not model_mods:
        return
    (models_json,) = cursor.execute("SELECT models FROM col").fetchone()
    models = json.loads(models_json)
    for model_id, model in models.items():
        if int(model_id) in model_mods:
            model["mod"] = model_mods[int(model_id)]
    cursor.execute("UPDATE col SET models = ?", (json.dumps(models),))


def _add_presets(cursor: sqlite3.Cursor, decks: list[DeckSpec], timestamp: int) -> None:
    """Ship each deck's options preset (genanki has no API for it) and per-deck retention."""
    if not any(d.settings for d in decks):
        return
    (dconf_json,) = cursor.execute("SELECT dconf FROM col").fetchone()
    (decks_json,) = cursor.execute("SELECT decks FROM col").fetchone()
    dconf, stored = json.loads(dconf_json), json.loads(decks_json)
    for spec in decks:
        if spec.settings is None:
            continue
        pid = preset_id(spec.settings)
        dconf[str(pid)] = _preset(spec.settings, pid, timestamp, dconf["1"])
        deck = stored[str(deck_id(spec.name))]
        deck["conf"] = pid
        # The legacy deck JSON stores the per-deck override as a whole percentage.
        deck["desiredRetention"] = round(spec.settings.desired_retention * 100)
    cursor.execute("UPDATE col SET dconf = ?, decks = ?", (json.dumps(dconf), json.dumps(stored)))


def _preset(settings: DeckSettings, pid: int, timestamp: int, default: dict) -> dict:
    preset = json.loads(json.dumps(default))
    preset.update(id=pid, name=settings.describe(), mod=timestamp, usn=-1)
    preset["new"]["perDay"] = settings.new_per_day
    preset["new"]["delays"] = list(settings.learning_steps)
    preset["rev"]["perDay"] = settings.reviews_per_day
    preset["rev"]["maxIvl"] = settings.max_interval
    preset["desiredRetention"] = settings.desired_retention
    return preset


def _deck(spec: DeckSpec, note_mods: dict[str, int], timestamp: int) -> genanki.Deck:
    deck = genanki.Deck(deck_id(spec.name), spec.name, description=spec.description)
    for note in spec.notes:
        deck.add_note(_Note(note, note_mods.get(note.guid, timestamp)))
    return deck


def apkg_bytes(collection: bytes, media: Sequence[tuple[str, bytes]] = ()) -> bytes:
    """Zip a collection (and media as ``(name, data)``) into ``.apkg`` bytes, reproducibly."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        _write_entry(zf, "collection.anki2", collection)
        _write_entry(
            zf,
            "media",
            json.dumps({str(i): name for i, (name, _) in enumerate(media)}).encode("utf-8"),
        )
        for i, (_, data) in enumerate(media):
            _write_entry(zf, str(i), data)
    return buf.getvalue()


def _write_entry(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
