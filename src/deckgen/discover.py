"""Discover stage: the lectures under the given paths, in course order, as build jobs.

Each lecture becomes a :class:`~deckgen.model.LectureJob`: its file, its lectures root,
its place in the course (folders in natural order; inside a folder front-matter
``order:``, else the file name's leading number, else the name) and its package path
under the output folder, mirroring the lecture tree. Deck names come from the folders
and the lecture's title.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from deckgen.model import BuildError, Lecture, LectureJob

_RESERVED_NAMES = {"collection.apkg"}


@lru_cache(maxsize=4096)
def _natural_key(path: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key for a POSIX path: numbers compare as numbers (``2`` before ``10``)."""
    key: list[tuple[int, int | str]] = []
    for part in path.split("/"):
        if not part or part == ".":
            continue
        for chunk in re.split(r"(\d+)", part.lower()):
            if chunk:
                key.append((0, int(chunk)) if chunk.isdigit() else (1, chunk))
        key.append((2, ""))
    return tuple(key)


_ORDER_RE = re.compile(rb"^order:[ \t]*(-?\d+(?:\.\d+)?)[ \t]*$", re.M)
_LEADING_NUMBER_RE = re.compile(r"^(\d+)")


def front_matter_order(path: Path) -> float | None:
    """The ``order:`` key of a lecture's front matter, found without parsing all of it."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError:
        return None
    head = head.lstrip(b"\xef\xbb\xbf").lstrip(b"\r\n")
    if not head.startswith(b"---"):
        return None
    end = re.search(rb"\n---[ \t]*\r?\n", head[3:])
    match = _ORDER_RE.search(head[: end.start() + 3] if end else head)
    return float(match.group(1)) if match else None


def course_key(rel: str, order: float | None) -> tuple[Any, ...]:
    """Course order of the lecture at ``rel`` (to its root) with front-matter ``order``:
    folders in natural order; inside a folder, front-matter ``order:``, else the file
    name's leading number (``02-meta.md``), else natural name order."""
    folder, _, name = rel.rpartition("/")
    if order is None and (m := _LEADING_NUMBER_RE.match(name)):
        order = float(m.group(1))
    rank = (0, order) if order is not None else (1, 0.0)
    return (_natural_key(folder), rank, _natural_key(name))


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as a POSIX string (both absolute; no Path overhead)."""
    return os.path.relpath(path, root).replace(os.sep, "/")


def _is_lecture_name(name: str) -> bool:
    """Markdown files are lectures, except READMEs and names starting with '.' or '_'."""
    lower = name.lower()
    return lower.endswith(".md") and lower != "readme.md" and not name.startswith((".", "_"))


def discover(
    paths: Sequence[Path],
    out: Path,
    root: Path | None = None,
    known: dict[str, tuple[int, int, float | None]] | None = None,
) -> list[LectureJob]:
    """Find the lectures under ``paths`` and map each to its package under ``out``.

    A folder is its own lectures root; a file's root is ``root`` when given and
    containing it, else its folder. Jobs come in course order (see :func:`course_key`).
    ``known`` maps a lecture's relative path to (size, mtime_ns, front-matter order)
    from the last build: an unchanged file's order is taken from there, unread.
    """
    found: dict[Path, tuple[Path, str]] = {}  # lecture → (its root, path relative to it)
    for raw in paths:
        path = raw.resolve()
        if path.is_dir():
            top = str(path)
            for folder, dirs, files in os.walk(top):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
                below = folder[len(top) :].lstrip(os.sep)  # os.walk joins onto ``top``
                prefix = below.replace(os.sep, "/") + "/" if below else ""
                for name in files:
                    if _is_lecture_name(name):
                        found.setdefault(Path(folder, name), (path, prefix + name))
        elif path.is_file():
            base = root.resolve() if root is not None else None
            if base is None or not path.is_relative_to(base):
                base = path.parent
            found.setdefault(path, (base, _relative(path, base)))
        else:
            raise BuildError(f"{raw}: no such file or folder")
    known = known or {}
    located = []
    for path, (base, rel) in found.items():
        try:
            st = os.stat(path)
            stat = (st.st_size, st.st_mtime_ns)
        except OSError:
            stat = (-1, -1)
        seen = known.get(rel)
        order = seen[2] if seen is not None and seen[:2] == stat else front_matter_order(path)
        located.append((course_key(rel, order), path, base, rel, stat, order))
    located.sort(key=lambda item: item[0])
    jobs = []
    for position, (_, path, base, rel, stat, order) in enumerate(located, start=1):
        folder, _, name = rel.rpartition("/")
        stem = os.path.splitext(name)[0]
        package = f"{stem}.apkg"
        if package.lower() in _RESERVED_NAMES or package.lower().startswith("backup-"):
            package = f"{stem}-deck.apkg"
        output = Path(out, folder, package) if folder else Path(out, package)
        jobs.append(LectureJob(path, base, position, output, rel=rel, stat=stat, order=order))
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
