"""Writing files so that readers never see half of one.

:func:`write_atomic` writes one file through a temporary file beside it and a rename;
:class:`Staging` writes many and renames them together at the end, so a build that
fails or is interrupted leaves its output folder exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _temp_copy(path: Path, data: bytes) -> str:
    """``data`` in a new temporary file beside ``path`` (same file system: renames are atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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
    tmp = _temp_copy(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class Staging:
    """Files written beside their targets and put in place together by :meth:`commit`.

    Until the commit nothing in the output folder changes; :meth:`discard` (also on
    any error) removes the temporary files. The commit renames with SIGINT and SIGTERM
    held back, so an interrupt lands before all of the renames or after them.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[str, Path]] = []

    def add(self, path: Path, data: bytes) -> None:
        """Write ``data`` for ``path`` to a temporary file; ``path`` is untouched for now."""
        self._pending.append((_temp_copy(path, data), path))

    def commit(self) -> None:
        """Rename every staged file onto its target."""
        with _signals_held():
            for tmp, path in self._pending:
                os.replace(tmp, path)
            self._pending = []

    def discard(self) -> None:
        """Remove every staged temporary file."""
        for tmp, _ in self._pending:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        self._pending = []


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
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
