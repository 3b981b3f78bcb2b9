"""Discover stage: the lectures under the given paths, in course order, as build jobs.

Each lecture becomes a :class:`~deckgen.model.LectureJob`: its file, its lectures root,
its place in the course (folders in natural order; inside a folder front-matter
``order:``, else the file name's leading number, else the name) and its package path
under the output folder, mirroring the lecture tree. Deck names come from the folders
and the lecture's title.

A file given on its own is built exactly as inside the build of its lectures root
(same package path, deck name, card identities and place in the course): the root is
``--root``, else found (:func:`lectures_root`), else refused. What cannot be a lecture
(a FIFO or device named ``*.md``, a name that is not UTF-8, two lectures that would
write one package, an unreadable folder) is reported as a diagnostic and left out,
never opened.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Callable, Collection, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from deckgen.model import BuildError, Diagnostic, Lecture, LectureJob
from deckgen.source import LectureError, special_kind, split_front_matter, user_path

_RESERVED_NAMES = {"collection.apkg"}
_HEAD_BYTES = 64 * 1024  # front matter is looked for in the first 64 KiB only
DEFAULT_LECTURES = Path("lectures")  # the lectures folder ``deckgen build`` builds by default

Known = dict[str, tuple[int, int, float | None]]


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


_LEADING_NUMBER_RE = re.compile(r"^(\d+)")


def order_value(value: Any) -> float | None:
    """A front-matter ``order:`` value as a number: a YAML number or a numeric string
    (``'1'``); None for anything else (a flag, a date, text, NaN, infinity)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def front_matter_order(path: Path) -> float | None:
    """The ``order:`` key of a lecture's front matter, read as the build reads front
    matter (YAML, any line ending) from the file's first 64 KiB; only a regular file
    is read (a FIFO would block)."""
    try:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        with open(os.open(path, flags), "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return None
            head = fh.read(_HEAD_BYTES + 1)
    except OSError:
        return None
    if not head.lstrip(b"\xef\xbb\xbf\r\n").startswith(b"---") or b"order" not in head:
        return None  # no front matter, or no order in it: nothing to parse
    if len(head) > _HEAD_BYTES:  # cut at a line end: a cut line could pass for '---'
        head = head[: max(head.rfind(b"\n"), head.rfind(b"\r")) + 1]
    text = head.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    try:
        meta, _, _ = split_front_matter(text, str(path))
    except (LectureError, RecursionError):
        return None
    return order_value(meta.get("order"))


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


def shown_path(path: Path | str) -> str:
    """A path as messages show it, printable even when the name is not UTF-8 (each
    undecodable byte becomes U+FFFD)."""
    return os.fsencode(user_path(Path(path))).decode("utf-8", "replace")


def package_path(out: Path, rel: str) -> Path:
    """Where the package of the lecture at ``rel`` goes under ``out``."""
    folder, _, name = rel.rpartition("/")
    stem = os.path.splitext(name)[0]
    package = f"{stem}.apkg"
    if package.lower() in _RESERVED_NAMES or package.lower().startswith("backup-"):
        package = f"{stem}-deck.apkg"
    return Path(out, folder, package) if folder else Path(out, package)


def lectures_root(
    path: Path,
    root: Path | None = None,
    roots: Sequence[Path] = (),
    locked: Callable[[], Collection[str]] | None = None,
) -> Path | None:
    """The lectures root of the lecture file ``path`` (absolute), so it builds as inside
    the build of that root: ``root`` (``--root``); else the root the last build into the
    output folder recorded for it (``roots``, from the build cache); else the folder
    under which its path is a lecture id in the lock (``locked()``); else ``lectures/``
    in the working folder, or the nearest folder named ``lectures`` above it. None when
    nothing is known: a new lecture, and the lock holds no lecture yet.

    Raises :class:`BuildError` (naming ``--root``) when the lock holds other lectures
    but none of these tells the root."""
    if root is not None:
        base = root.resolve()
        if not path.is_relative_to(base):
            raise BuildError(f"{shown_path(path)} is not inside --root {shown_path(root)}")
        return base
    containing = [r for r in roots if path.is_relative_to(r)]
    if containing:
        return max(containing, key=lambda r: len(r.parts))
    ids = locked() if locked is not None else ()
    for folder in path.parents:
        if os.path.splitext(_relative(path, folder))[0] in ids:
            return folder
    default = DEFAULT_LECTURES.resolve()
    if path.is_relative_to(default):
        return default
    for folder in path.parents:
        if folder.name == DEFAULT_LECTURES.name:
            return folder
    if not any(not i.startswith("@") for i in ids):
        return None
    raise BuildError(
        f"{shown_path(path)}: cannot tell which lectures folder it belongs to (its path in "
        "there names its package, deck and cards, and the output folder holds other "
        f"lectures); give --root, e.g. --root {shown_path(path.parent)}"
    )


def folder_root(
    folder: Path,
    root: Path | None = None,
    roots: Sequence[Path] = (),
    locked: Callable[[], Collection[str]] | None = None,
) -> Path:
    """The lectures root a folder (absolute) is built in: found as a file's is (see
    :func:`lectures_root`, from one of its lectures), so ``lectures/behavioral`` builds
    its lectures as the build of ``lectures/`` does; the folder itself when nothing
    tells (a new course)."""
    if root is None and not any(folder.is_relative_to(r) for r in roots):
        lecture = _first_lecture(folder)
        if lecture is None:
            return folder
        try:
            base = lectures_root(lecture, None, (), locked)
        except BuildError:  # the lock holds other lectures: a course of its own
            return folder
        return base if base is not None and folder.is_relative_to(base) else folder
    base = lectures_root(folder, root, roots, None)
    return base if base is not None else folder


def _first_lecture(folder: Path) -> Path | None:
    """A lecture file under ``folder`` (the first one found), or None."""
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(files):
            if _is_lecture_name(name):
                return Path(top, name)
    return None


class _Found:
    """The lecture files found, and the problems that leave some out."""

    def __init__(self, problems: list[Diagnostic] | None) -> None:
        self.files: dict[Path, tuple[Path, str]] = {}  # lecture → (its root, rel path)
        self.problems = problems if problems is not None else []

    def walk(self, top: Path, wanted: set[Path] | None) -> None:
        """Every lecture under the folder ``top`` (its own root); each is also added to
        ``wanted`` when given."""
        start = str(top)

        def unreadable(exc: OSError) -> None:
            reason = exc.strerror or str(exc)
            shown = shown_path(exc.filename or start)
            message = f"cannot read folder: {reason}; its lectures are left out"
            self.problems.append(Diagnostic(shown, 1, "error", "io", message))

        for folder, dirs, files in os.walk(start, onerror=unreadable):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            below = folder[len(start) :].lstrip(os.sep)  # os.walk joins onto ``start``
            prefix = below.replace(os.sep, "/") + "/" if below else ""
            for name in files:
                if _is_lecture_name(name):
                    path = Path(folder, name)
                    self.files.setdefault(path, (top, prefix + name))
                    if wanted is not None:
                        wanted.add(path)


def discover(
    paths: Sequence[Path],
    out: Path,
    root: Path | None = None,
    known: Known | None = None,
    *,
    roots: Sequence[Path] = (),
    locked: Callable[[], Collection[str]] | None = None,
    problems: list[Diagnostic] | None = None,
) -> list[LectureJob]:
    """Find the lectures under ``paths`` and map each to its package under ``out``.

    A file's root is found by :func:`lectures_root` (from ``root``, the last build's
    ``roots`` and the lock's lecture ids, ``locked``), a folder's by :func:`folder_root`
    (the folder itself unless it lies in a known root); a lecture's place in the course
    is the one it has among every lecture of its root.
    Jobs come in course order (see :func:`course_key`). ``known`` maps a lecture's
    relative path to (size, mtime_ns, front-matter order) from the last build: an
    unchanged file's order is taken from there, unread. Files left out are reported
    in ``problems``.
    """
    found = _Found(problems)
    problems = found.problems
    wanted: set[Path] = set()  # lectures to build (the rest only place them in the course)
    trees: dict[Path, bool] = {}  # folders walked → built whole
    parts: list[Path] = []  # folders built inside a larger lectures root
    for raw in paths:
        path = raw.resolve()
        if path.is_dir():
            tree = folder_root(path, root, roots, locked)
            if tree == path:
                trees[path] = True
            else:
                trees.setdefault(tree, False)
                parts.append(path)
        elif os.path.lexists(path):
            base = lectures_root(path, root, roots, locked)
            if base is not None:
                trees.setdefault(base, False)
            folder = base or path.parent
            found.files.setdefault(path, (folder, _relative(path, folder)))
            wanted.add(path)
        else:
            raise BuildError(f"{raw}: no such file or folder")
    for top, every in sorted(trees.items(), key=lambda t: not t[1]):  # whole trees first
        found.walk(top, wanted if every else None)
    for part in parts:
        wanted.update(p for p in found.files if p.is_relative_to(part))
    known = known or {}
    located: list[_Located] = []
    for path, (base, rel) in found.files.items():
        shown = path in wanted  # problems of the other lectures are not this build's
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:  # a name that is not UTF-8 on disk (surrogate-escaped)
            if shown:
                message = "file name is not valid UTF-8; rename the file"
                problems.append(Diagnostic(shown_path(path), 1, "error", "file-name", message))
            continue
        try:
            st = os.stat(path)
        except OSError as exc:
            if shown:
                message = f"cannot read file: {exc.strerror}"
                problems.append(Diagnostic(shown_path(path), 1, "error", "io", message))
            continue
        if not stat.S_ISREG(st.st_mode):
            if shown:
                message = f"{special_kind(st.st_mode)}, not a regular file; not read"
                problems.append(Diagnostic(shown_path(path), 1, "error", "not-a-file", message))
            continue
        stat_key = (st.st_size, st.st_mtime_ns)
        output = package_path(out, rel)
        located.append((path, base, rel, stat_key, output))
    located = _without_clashes(located, wanted, found)
    ordered = []
    for path, base, rel, stat_key, output in located:
        seen = known.get(rel)
        order = seen[2] if seen is not None and seen[:2] == stat_key else front_matter_order(path)
        ordered.append((course_key(rel, order), path, base, rel, stat_key, order, output))
    ordered.sort(key=lambda item: item[0])
    course = len(ordered)
    return [
        LectureJob(path, base, position, output, rel=rel, stat=st, order=order, course=course)
        for position, (_, path, base, rel, st, order, output) in enumerate(ordered, start=1)
        if path in wanted
    ]


_Located = tuple[Path, Path, str, tuple[int, int], Path]  # path, root, rel, stat, package


def _without_clashes(located: list[_Located], wanted: set[Path], found: _Found) -> list[_Located]:
    """``located`` without lectures whose packages would overwrite each other (the same
    path, also when compared without case, as on macOS and Windows): each is an error."""
    by_output: dict[str, list[_Located]] = {}
    for item in located:
        by_output.setdefault(os.path.normcase(str(item[4])).casefold(), []).append(item)
    clashing: set[Path] = set()
    for group in by_output.values():
        if len(group) < 2:
            continue
        for item in group:
            clashing.add(item[0])
            if item[0] in wanted:
                others = ", ".join(shown_path(o[0]) for o in group if o is not item)
                message = (
                    f"its package {shown_path(item[4])} is also the package of {others} "
                    "(names that differ only in case or extension); rename one of them"
                )
                found.problems.append(
                    Diagnostic(shown_path(item[0]), 1, "error", "output-clash", message)
                )
    return [item for item in located if item[0] not in clashing]


def pretty_folder(name: str) -> str:
    """``02-system-design`` → ``System Design``."""
    text = re.sub(r"^\d+[-_. ]+", "", name).replace("-", " ").replace("_", " ").strip()
    return " ".join(w if not w.islower() else w.capitalize() for w in text.split()) or name


def deck_name(lecture: Lecture) -> str:
    """Deck name from the lecture's folders and title: ``Folder::Sub::Title``."""
    folders = [pretty_folder(p) for p in lecture.rel_path.parent.parts]
    title = lecture.title.replace("::", ":")
    return "::".join([*folders, title])
