"""Sync: apply built packages to an Anki collection file (``deckgen sync``).

The build writes one package per lecture; this module puts them into the collection a
user studies, with Anki's own importer (the official ``anki`` package, the optional
extra ``deckgen[sync]``), and then does what the importer never does: it deletes the
notes of items that left their lectures (the packages carry them tagged
:data:`~deckgen.model.REMOVED_TAG`).

It works in two steps, so that ``--dry-run`` and the real run agree:

* :func:`plan_sync` compares every package with the collection, note by note, by the
  rule Anki's importer applies ("update if newer": a note is updated only when the
  package's modification time is newer than the collection's), and counts what would
  be added, updated and deleted per deck. Packages with nothing newer are not imported
  at all, so a sync with nothing to do leaves the collection as it was (its
  modification time included).
* :func:`apply_sync` backs the collection up with Anki's backup mechanism, imports the
  packages that have something new (deck presets included, scheduling never: the review
  history of notes that stay is untouched), and removes the notes of removed items.

The collection must be closed: :func:`open_collection` refuses, before anything is
changed, when Anki (or another program) has it open. :func:`anki_base` and
:func:`profile_collection` find a profile's collection as the Anki desktop app does.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deckgen.inspect_apkg import PackageReadError, content_signature, describe
from deckgen.model import REMOVED_TAG

INSTALL_HINT = "install it with: pip install 'deckgen[sync]'"
COLLECTION_NAME = "collection.anki2"  # a profile's collection file, as Anki names it
BACKUP_FOLDER = "backups"  # beside the collection: where Anki keeps a profile's backups


class SyncError(Exception):
    """Sync cannot go on; the message is one line and names the file."""


class CollectionBusy(SyncError):
    """The collection is open in Anki (or another program): nothing was changed."""


def anki_installed() -> bool:
    """Whether the official ``anki`` package (``deckgen[sync]``) can be imported."""
    return importlib.util.find_spec("anki") is not None


# --- where the collection is ----------------------------------------------------------------


def anki_base(override: Path | None = None, platform: str = sys.platform) -> Path:
    """The folder holding Anki's profiles, found as the desktop app finds it.

    ``override`` (``--anki-base``, Anki's own ``-b``), else ``ANKI_BASE``, else the
    platform's default: ``%APPDATA%\\Anki2`` on Windows, ``~/Library/Application
    Support/Anki2`` on macOS, ``$XDG_DATA_HOME/Anki2`` (``~/.local/share/Anki2``) elsewhere.
    """
    if override is not None:
        return override
    if os.environ.get("ANKI_BASE"):
        return Path(os.environ["ANKI_BASE"])
    home = Path.home()
    if platform.startswith("win"):
        appdata = os.environ.get("APPDATA")
        return (Path(appdata) if appdata else home / "AppData" / "Roaming") / "Anki2"
    if platform == "darwin":
        return home / "Library" / "Application Support" / "Anki2"
    data = os.environ.get("XDG_DATA_HOME")
    return (Path(data) if data else home / ".local" / "share") / "Anki2"


def profiles(base: Path) -> list[str]:
    """The profiles under ``base``: its folders that hold a collection."""
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / COLLECTION_NAME).is_file())


def profile_collection(profile: str, base: Path) -> Path:
    """The collection file of ``profile`` under ``base``; a :class:`SyncError` naming the
    profiles there when it has none."""
    path = base / profile / COLLECTION_NAME
    if path.is_file():
        return path
    known = profiles(base)
    listed = f"profiles there: {', '.join(known)}" if known else "no profiles there"
    raise SyncError(f"{path}: no Anki profile {profile!r} under {base} ({listed})")


# --- reading both sides ---------------------------------------------------------------------


@dataclass(frozen=True)
class PackageNote:
    """What the importer decides on for one note of a package."""

    guid: str
    modified: int
    removed: bool  # tagged deckgen::removed: its item left the lecture
    deck: str  # the deck its cards go to


@dataclass(frozen=True)
class PackageContents:
    """A package's notes and its note types' modification times (by note type id)."""

    path: Path
    notes: tuple[PackageNote, ...]
    note_types: dict[int, int]


def read_package(path: Path) -> PackageContents:
    """The notes and note types of the package ``path``; a :class:`SyncError` naming it
    when it cannot be read."""
    try:
        info = describe(path)
        models = content_signature(path)["models"]
    except (PackageReadError, ValueError, KeyError) as exc:
        raise SyncError(f"{path}: cannot read the package: {exc}") from None
    notes = tuple(
        PackageNote(
            guid=note["guid"],
            modified=int(note["modified"]),
            removed=REMOVED_TAG in note["tags"],
            deck=note["cards"][0]["deck"] if note["cards"] else "",
        )
        for note in info["notes"]
    )
    return PackageContents(path, notes, {int(m[0]): int(m[2]) for m in models})


@contextmanager
def open_collection(path: Path) -> Iterator[Any]:
    """The Anki collection at ``path``, open for the length of the ``with`` block.

    Raises :class:`CollectionBusy` when Anki (or another program) has it open, and
    :class:`SyncError` when it is no collection; either way nothing was changed.
    Opening and closing an untouched collection changes neither its file nor its
    modification time.
    """
    if not path.is_file():
        raise SyncError(f"{path}: no such collection file")
    from anki.collection import Collection  # (anki.collection first: Anki's import order)
    from anki.errors import DBError

    try:
        col = Collection(str(path))
    except DBError as exc:
        if "already open" in str(exc) or "locked" in str(exc):
            raise CollectionBusy(
                f"{path}: the collection is open in Anki (or another program); close Anki "
                "(or switch to another profile) and sync again; nothing was changed"
            ) from None
        raise SyncError(f"{path}: cannot open the collection: {exc}") from None
    except Exception as exc:  # Anki's backend errors have no common base worth naming
        raise SyncError(f"{path}: cannot open the collection: {exc}") from None
    try:
        yield col
    finally:
        col.close()


# --- the plan ---------------------------------------------------------------------------------


@dataclass
class DeckCounts:
    """Notes added, updated and deleted in one deck."""

    added: int = 0
    updated: int = 0
    deleted: int = 0

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.deleted)


@dataclass
class SyncPlan:
    """What a sync does to a collection (see :func:`plan_sync`)."""

    decks: dict[str, DeckCounts] = field(default_factory=dict)
    imports: list[Path] = field(default_factory=list)  # packages with something newer
    note_types: set[int] = field(default_factory=set)  # note types a package restyles
    delete: dict[int, str] = field(default_factory=dict)  # note id → deck: removed items
    tag: set[int] = field(default_factory=set)  # --keep-removed: notes of gone lectures
    # Removed items the collection never had: deleted again if an import brings them in.
    never_had: set[str] = field(default_factory=set)
    kept: int = 0  # --keep-removed: removed items whose notes stay, tagged
    packages: int = 0

    @property
    def total(self) -> DeckCounts:
        """The counts of every deck together."""
        return DeckCounts(
            sum(d.added for d in self.decks.values()),
            sum(d.updated for d in self.decks.values()),
            sum(d.deleted for d in self.decks.values()),
        )

    @property
    def nothing_to_do(self) -> bool:
        """Whether the collection is up to date with every package."""
        return not (self.imports or self.delete or self.tag)

    def deck(self, name: str) -> DeckCounts:
        """The counts of the deck ``name`` (made on first use)."""
        return self.decks.setdefault(name, DeckCounts())


def plan_sync(
    col: Any,
    packages: Sequence[Path],
    *,
    keep_removed: bool = False,
    gone: Sequence[Path] = (),
    locked: Collection[str] = (),
) -> SyncPlan:
    """What syncing ``packages`` into the open collection ``col`` does, per deck.

    A package note whose GUID the collection lacks is added; one whose modification time
    is newer than the collection's note is updated (Anki's "update if newer"); a note of
    a removed item is deleted from the collection (``keep_removed``: kept, and updated to
    its tagged version). Only packages with a note to add or update, or a note type to
    restyle, are imported.

    ``gone`` are the packages of lectures that are no more (the build's orphans): their
    notes are removed items too (``keep_removed``: tagged), but only those deckgen made
    for this course, whose GUIDs are in the lock (``locked``): a package someone else
    put in the output folder deletes nothing.
    """
    existing: dict[str, tuple[int, int]] = {
        guid: (nid, mod) for guid, nid, mod in col.db.all("select guid, id, mod from notes")
    }
    plan = SyncPlan(packages=len(packages))
    if gone:
        _plan_gone(col, plan, gone, existing, set(locked), keep_removed)
    for path in packages:
        contents = read_package(path)
        changed = False
        for note in contents.notes:
            current = existing.get(note.guid)
            if note.removed and current is None:
                plan.never_had.add(note.guid)
                continue
            if note.removed and not keep_removed:
                assert current is not None
                plan.delete[current[0]] = note.deck
                plan.deck(note.deck).deleted += 1
                continue
            plan.kept += note.removed
            if current is None:
                plan.deck(note.deck).added += 1
                changed = True
            elif note.modified > current[1]:
                plan.deck(note.deck).updated += 1
                changed = True
        for mid, modified in contents.note_types.items():
            notetype = col.models.get(mid)
            if notetype is not None and modified > int(notetype.get("mod", 0)):
                plan.note_types.add(mid)
                changed = True
        if changed:
            plan.imports.append(path)
    plan.decks = {name: counts for name, counts in sorted(plan.decks.items()) if counts}
    return plan


def _plan_gone(
    col: Any,
    plan: SyncPlan,
    gone: Sequence[Path],
    existing: dict[str, tuple[int, int]],
    locked: set[str],
    keep_removed: bool,
) -> None:
    tagged = {
        nid for (nid,) in col.db.all("select id from notes where tags like ?", f"% {REMOVED_TAG} %")
    }
    for path in gone:
        try:
            contents = read_package(path)
        except SyncError:  # no package deckgen wrote: nothing of this course to delete
            continue
        for note in contents.notes:
            current = existing.get(note.guid)
            if current is None or note.guid not in locked:
                continue
            if not keep_removed:
                plan.delete[current[0]] = note.deck
                plan.deck(note.deck).deleted += 1
            elif current[0] not in tagged:
                plan.tag.add(current[0])
                plan.kept += 1


# --- applying it ------------------------------------------------------------------------------


@dataclass
class SyncResult:
    """What :func:`apply_sync` did: the backup it made and what Anki's importer logged."""

    backup: Path | None
    added: int = 0
    updated: int = 0
    deleted: int = 0
    conflicting: int = 0  # notes Anki would not update (their note type changed)


def backup_collection(col: Any, path: Path) -> Path:
    """Back the collection up with Anki's own mechanism into ``backups/`` beside it (a
    profile's backup folder, which Anki's "Restore backup" lists); returns the file."""
    folder = path.parent / BACKUP_FOLDER
    try:
        folder.mkdir(exist_ok=True)
        made = col.create_backup(backup_folder=str(folder), force=True, wait_for_completion=True)
        # Anki names a backup by the second (a second backup within it replaces the first).
        newest = max(
            folder.glob("backup-*.colpkg"), key=lambda p: p.stat().st_mtime_ns, default=None
        )
    except Exception as exc:
        raise SyncError(f"{folder}: cannot back the collection up: {exc}") from None
    if not made or newest is None:
        raise SyncError(f"{folder}: Anki wrote no backup of {path}; nothing was changed")
    return newest


def apply_sync(col: Any, path: Path, plan: SyncPlan) -> SyncResult:
    """Back up, then import the packages of ``plan`` into ``col`` ("update if newer",
    deck presets, no scheduling) and delete the notes of removed items.

    ``path`` is the collection's file (the backup goes beside it). Anki's importer
    decides for itself; :class:`SyncResult` holds what its log says, so a caller can
    tell when that differs from the plan.
    """
    result = SyncResult(backup=backup_collection(col, path))
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
    from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition as UC

    options = ImportAnkiPackageOptions(
        merge_notetypes=False,
        update_notes=UC.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
        update_notetypes=UC.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
        with_scheduling=False,
        with_deck_configs=True,
    )
    new: set[int] = set()
    updated: set[int] = set()
    for package in plan.imports:
        try:
            response = col.import_anki_package(
                ImportAnkiPackageRequest(package_path=str(package), options=options)
            )
        except Exception as exc:
            raise SyncError(f"{package}: Anki could not import the package: {exc}") from None
        new.update(n.id.nid for n in response.log.new)
        updated.update(n.id.nid for n in response.log.updated)
        result.conflicting += len(response.log.conflicting)
    col.models._clear_cache()
    doomed = set(plan.delete)
    if plan.never_had:  # removed items an import just brought in: never studied, so gone
        for guid, nid in col.db.all("select guid, id from notes"):
            if guid in plan.never_had:
                doomed.add(nid)
    if doomed:
        col.remove_notes(sorted(doomed))
    if plan.tag:
        col.tags.bulk_add(sorted(plan.tag), REMOVED_TAG)
    result.added = len(new - doomed)
    result.updated = len(updated - doomed)
    result.deleted = len(set(plan.delete))
    return result
