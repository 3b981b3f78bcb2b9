"""Real Anki as the ground truth: import packages into a scratch collection."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import pytest

anki_collection = pytest.importorskip("anki.collection")
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition as UC  # noqa: E402

if TYPE_CHECKING:
    # Anki's own annotations (Optional results, NewType ids) would make every test assert
    # what the test's own checks already show; the tests drive the collection untyped.
    Collection: TypeAlias = Any
else:
    Collection = anki_collection.Collection


@dataclass
class ImportLog:
    """Counts from Anki's import log."""

    new: int
    updated: int
    duplicate: int
    conflicting: int
    found: int


def open_collection(folder: Path) -> Collection:
    """A fresh, empty Anki collection in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


def import_apkg(col: Collection, apkg: Path, *, with_deck_configs: bool = False) -> ImportLog:
    """Import like the desktop dialog's defaults and return the log counts."""
    resp = col.import_anki_package(
        anki_collection.ImportAnkiPackageRequest(
            package_path=str(apkg),
            options=anki_collection.ImportAnkiPackageOptions(
                merge_notetypes=False,
                update_notes=UC.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
                update_notetypes=UC.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
                with_scheduling=False,
                with_deck_configs=with_deck_configs,
            ),
        )
    )
    col.models._clear_cache()
    log = resp.log
    return ImportLog(
        new=len(log.new),
        updated=len(log.updated),
        duplicate=len(log.duplicate),
        conflicting=len(log.conflicting),
        found=log.found_notes,
    )


def card_text(html: str) -> str:
    """A rendered card as plain text: no style sheet, no tags, collapsed spaces."""
    import html as html_mod
    import re

    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return " ".join(html_mod.unescape(html).split())


def cards_in_order(col: Collection) -> list:
    """All cards, in the order Anki introduces new cards (position, then template/cloze)."""
    cards = [col.get_card(cid) for cid in col.find_cards("")]
    return sorted(cards, key=lambda c: (c.due, c.ord))
