"""Writing files so that readers never see half of one.

:func:`write_atomic` writes one file through a temporary file beside it and a rename;
:class:`Staging` writes many and renames them together at the end, so a build that
fails or is interrupted leaves its output folder exactly as it was: no new file, no
temporary file, no new folder. Temporary files carry deckgen's own name pattern
(``.NAME.deckgen-XXXXXXXX.tmp``), so those a killed build left are found and removed by
the next one (:func:`sweep`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

_TEMP_MARK = ".deckgen-"
# deckgen's temporary files: ``.x.apkg.deckgen-abcd1234.tmp`` (and ``…-old.tmp``, the old
# file kept while a commit may still roll back); earlier deckgens wrote packages, the
# lock and the cache record through ``.x.apkg.abcd1234.tmp``.
_TEMP_RE = re.compile(
    r"^\..+\.deckgen-[a-z0-9_]{8}(?:-old)?\.tmp$"
    r"|^\..+\.apkg\.[a-z0-9_]{8}\.tmp$|^\.(?:deckgen\.lock|lectures\.json)\.[a-z0-9_]{8}\.tmp$"
)


def read_regular(path: Path) -> bytes:
    """The bytes of the regular file ``path``. Anything else (a FIFO, whose reading
    would block until a writer comes, a device, a folder) is an ``OSError``, as is a
    missing file (``FileNotFoundError``)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    with open(os.open(path, flags), "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return fh.read()


def make_folders(folder: Path, created: list[Path] | None = None) -> None:
    """Create ``folder`` and its missing parents, appending each one made to ``created``."""
    missing = []
    while not os.path.lexists(folder) and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:  # made meanwhile by someone else: not ours to remove
            continue
        if created is not None:
            created.append(path)


def remove_folders(created: list[Path]) -> None:
    """Remove the folders in ``created`` (deepest first) that are empty; forget them all."""
    for path in reversed(created):
        with contextlib.suppress(OSError):
            os.rmdir(path)
    created.clear()


def _temp_copy(path: Path, data: bytes, pending: list[str]) -> str:
    """``data`` in a new temporary file beside ``path`` (same file system: renames are
    atomic); its name is in ``pending`` from the moment it exists."""
    with signals_held():  # no interrupt between creating the file and recording it
        prefix = f".{path.name}{_TEMP_MARK}"
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
        pending.append(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, then rename.

    Readers see either the old file or the new one, never a partial write.
    """
    staging = Staging()
    try:
        staging.add(path, data)
        staging.commit()
    finally:
        staging.discard()


class Staging:
    """Files written beside their targets and put in place together by :meth:`commit`.

    Until the commit nothing in the output folder changes; :meth:`discard` (also on
    any error) removes the temporary files and the folders made for them. The commit
    first checks every target, then renames with SIGINT and SIGTERM held back, so an
    interrupt lands before all of the renames or after them; if a rename fails, the
    ones done are undone.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[str, Path]] = []
        self._temps: list[str] = []  # every temporary file made and not yet renamed or removed
        self._created: list[Path] = []  # folders made for the staged files

    def add(self, path: Path, data: bytes) -> None:
        """Write ``data`` for ``path`` to a temporary file; ``path`` is untouched for now."""
        make_folders(path.parent, self._created)
        tmp = _temp_copy(path, data, self._temps)
        self._pending.append((tmp, path))

    def unstage(self, path: Path) -> None:
        """Forget the file staged for ``path``: its temporary file is removed, and so are
        the folders made for it that are empty now."""
        kept = []
        for tmp, target in self._pending:
            if target != path:
                kept.append((tmp, target))
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            self._temps.remove(tmp)
        self._pending = kept
        for folder in reversed(list(self._created)):  # deepest first; only empty ones go
            with contextlib.suppress(OSError):
                os.rmdir(folder)
                self._created.remove(folder)

    def commit(self) -> None:
        """Rename every staged file onto its target; on failure, put back what was there."""
        with signals_held():
            for _, path in self._pending:  # a target that cannot be replaced: fail first
                with contextlib.suppress(FileNotFoundError):
                    if stat.S_ISDIR(os.lstat(path).st_mode):
                        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
            done: list[tuple[Path, str | None]] = []  # (target, its old file, kept aside)
            try:
                for tmp, path in self._pending:
                    old = self._keep_old(tmp, path)
                    os.replace(tmp, path)
                    done.append((path, old))
            except BaseException:
                for path, old in reversed(done):  # best effort: the old file, or none
                    with contextlib.suppress(OSError):
                        if old is None:
                            os.unlink(path)
                        else:
                            os.replace(old, path)
                raise
            finally:
                for _, old in done:
                    if old is not None:
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(old)
            self._pending = []
            self._temps = []
            self._created = []

    def _keep_old(self, tmp: str, path: Path) -> str | None:
        """A second name for the file at ``path`` (None when there is none), kept until
        the commit is complete so that a failed commit can put it back."""
        old = tmp[: -len(".tmp")] + "-old.tmp"
        self._temps.append(old)
        try:
            os.link(path, old, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError:  # no hard links here (or a folder): a copy will do
            if not os.path.isfile(path):
                return None
            shutil.copy2(path, old, follow_symlinks=False)
        return old

    def discard(self) -> None:
        """Remove every temporary file not put in place, and the folders made for them."""
        for tmp in self._temps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        self._pending = []
        self._temps = []
        remove_folders(self._created)


def sweep(folder: Path, deep: bool = True) -> list[Path]:
    """Remove the temporary files a build that was killed left in ``folder`` (and below
    it when ``deep``; only names of deckgen's own pattern); returns them. Call it
    holding the build lock."""
    removed = []
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if deep and (not d.startswith(".") or d == ".deckgen-cache")]
        for name in files:
            if _TEMP_RE.match(name):
                path = Path(parent, name)
                with contextlib.suppress(OSError):
                    os.unlink(path)
                    removed.append(path)
    return removed


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held (delivered when the block ends), where the platform can."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # not POSIX, or not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
