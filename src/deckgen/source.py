"""Read stage: a lecture file → front matter, body and source positions."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

MAX_LECTURE_BYTES = 5 * 1024 * 1024
# Each list item and heading becomes a block to parse and often a note to draft and
# compare with the others: beyond this many, a lecture is refused (before it is parsed)
# rather than built for minutes (the longest lecture of the corpus has 127).
MAX_LECTURE_ITEMS = 5_000
_ITEM_RE = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)|^ {0,3}#{1,6}(?:[ \t]|$)", re.M)


class LectureError(Exception):
    """A lecture that cannot be read; carries the file and 1-based line."""

    def __init__(self, path: str, line: int, message: str, code: str = "read") -> None:
        super().__init__(f"{path}:{line}: error {code}: {message}")
        self.path = path
        self.line = line
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Source:
    """A lecture file split into its header and its Markdown body.

    ``body_offset`` is the number of file lines before the body, so that a
    0-based body line ``n`` is file line ``n + body_offset + 1``.
    """

    path: Path
    rel_path: PurePosixPath
    meta: dict[str, Any]
    body: str
    body_offset: int

    @property
    def shown(self) -> str:
        """The path as messages show it: relative to the working folder when inside it."""
        return user_path(self.path)

    def line_of(self, text: str) -> int:
        """The file line of the first body line containing ``text`` (the body's first line
        when none does)."""
        lines = self.body.split("\n")
        index = next((i for i, line in enumerate(lines) if text in line), 0)
        return index + self.body_offset + 1


def user_path(path: Path) -> str:
    """``path`` relative to the working folder when it is inside it, else as given."""
    return _user_path(path, os.getcwd())


@lru_cache(maxsize=4096)  # (every note's and diagnostic's path: the same few, many times)
def _user_path(path: Path, cwd: str) -> str:
    absolute = os.path.normpath(os.path.join(cwd, path))  # os.path.abspath, given the cwd
    if absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(absolute, cwd)).as_posix()
    return str(path)


@lru_cache(maxsize=1)
def _front_matter() -> tuple[Any, type, type | None]:
    """python-frontmatter's YAML handler and the loader front matter is read with,
    made when the first front matter is read (a build that reuses every package reads
    none, and never imports PyYAML), and libyaml's loader when PyYAML has it (see
    :func:`_load_yaml`)."""
    import frontmatter
    import yaml

    class _FrontMatterLoader(yaml.SafeLoader):
        """PyYAML's safe loader, with two limits for front matter:

        * no aliases (``*name``): a few hundred bytes of nested aliases ("billion laughs")
          would otherwise expand to gigabytes once the metadata is walked;
        * a value that PyYAML recognises but Python cannot hold (``2024-13-45``, an integer
          of thousands of digits) is a YAML error at that value, not a ``ValueError``.
        """

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"aliases (*{event.anchor}) are not allowed in front matter",
                    event.start_mark,
                )
            return super().compose_node(parent, index)

        def construct_object(self, node: Any, deep: bool = False) -> Any:
            try:
                return super().construct_object(node, deep)
            except (ValueError, OverflowError) as exc:
                kind = str(node.tag).rsplit(":", 1)[-1]  # tag:yaml.org,2002:timestamp → timestamp
                reason = str(exc).split(";")[0]
                problem = f"{_clip(node.value)} is not a valid {kind} ({reason})"
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"{problem}; quote it to keep it as text",
                    node.start_mark,
                ) from None

    fast = getattr(yaml, "CSafeLoader", None)  # libyaml's parser (with PyYAML's constructor)
    return frontmatter.YAMLHandler(), _FrontMatterLoader, fast


def _load_yaml(text: str) -> Any:
    """Front matter's YAML, read by libyaml when it can hold no alias (no ``*``) and
    reads without error; else (and for the error message) by the checking loader."""
    handler, loader, fast = _front_matter()
    if fast is not None and "*" not in text:
        try:
            return handler.load(text, Loader=fast)
        except Exception:  # the checking loader says what is wrong
            pass
    return handler.load(text, Loader=loader)


def _clip(value: Any, limit: int = 24) -> str:
    text = value if isinstance(value, str) else "…"
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _line_of(data: bytes, index: int) -> int:
    """1-based line of byte ``index``; ``\r\n``, ``\r`` and ``\n`` each end a line."""
    head = data[:index]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def decode(data: bytes, display: str) -> str:
    """Decode UTF-8 lecture bytes, naming the line of the first bad byte."""
    if b"\x00" in data:
        line = _line_of(data, data.index(b"\x00"))
        raise LectureError(
            display, line, "binary content (NUL byte); not a Markdown lecture", "binary"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        raise LectureError(
            display,
            line,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            "encoding",
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, display: str) -> tuple[dict[str, Any], str, int]:
    """Split YAML front matter from ``text``: (metadata, body, body line offset)."""
    import yaml

    stripped = text.lstrip("\n")
    leading = len(text) - len(stripped)
    handler, _, _ = _front_matter()
    if not handler.detect(stripped):
        return {}, text, 0
    try:
        fm, body = handler.split(stripped)
    except ValueError:
        raise LectureError(
            display, leading + 1, "front matter opened with '---' is never closed", "front-matter"
        ) from None
    try:
        meta = _load_yaml(fm)
    except RecursionError:
        raise LectureError(
            display, leading + 1, "invalid YAML front matter: nested too deeply", "front-matter"
        ) from None
    except yaml.YAMLError as exc:
        # Where the broken construct starts (an unclosed '[' ...), else where parsing failed.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        # fm starts with the newline that ends the opening '---', so its lines count from
        # that '---' line: file line = leading blank lines + 1 + newlines before the mark.
        # (Counted from the index: YAML also ends lines at U+2028, U+2029 and U+0085.)
        line = leading + 1 + (fm[: mark.index].count("\n") if mark is not None else 0)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise LectureError(
            display, line, f"invalid YAML front matter: {problem}", "front-matter"
        ) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise LectureError(
            display, leading + 1, "front matter must be a YAML mapping (key: value)", "front-matter"
        )
    offset = leading + stripped[: len(stripped) - len(body)].count("\n")
    return {str(k): v for k, v in meta.items()}, body, offset


def read_source(path: Path, root: Path, data: bytes | None = None) -> Source:
    """Read one lecture file; ``root`` is the lectures root it is relative to.

    ``data`` is the file's content when the caller has already read it.
    """
    try:
        rel = PurePosixPath(path.resolve().relative_to(root.resolve()).as_posix())
    except ValueError:
        rel = PurePosixPath(path.name)
    shown = user_path(path)
    try:
        rel.as_posix().encode("utf-8")
    except UnicodeEncodeError:  # a name that is not UTF-8 on disk (surrogate-escaped)
        raise LectureError(
            shown.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
            1,
            "file name is not valid UTF-8; rename the file",
            "file-name",
        ) from None
    if data is None:
        data = read_bytes(path)
    text = decode(data, shown)
    meta, body, offset = split_front_matter(text, shown)
    items = len(_ITEM_RE.findall(body))
    if items > MAX_LECTURE_ITEMS:
        raise LectureError(
            shown,
            1,
            f"{items} list items and headings; lectures are limited to {MAX_LECTURE_ITEMS}: "
            "split the lecture",
            "too-large",
        )
    return Source(path=path, rel_path=rel, meta=meta, body=body, body_offset=offset)


def read_bytes(path: Path) -> bytes:
    """A lecture file's bytes, refusing oversized files; errors name the file.

    Only regular files are read: a FIFO, socket or device named ``*.md`` would block
    or never end, so it is refused from ``os.stat`` before it is opened, and the file
    is opened non-blocking and checked again in case it was swapped in between.
    """
    shown = user_path(path)
    try:
        _check_regular(os.stat(path).st_mode, shown)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as fh:
            _check_regular(os.fstat(fh.fileno()).st_mode, shown)
            data = fh.read(MAX_LECTURE_BYTES + 1)
            if len(data) > MAX_LECTURE_BYTES:
                size = os.fstat(fh.fileno()).st_size
                raise LectureError(
                    shown,
                    1,
                    f"file is {size} bytes; lectures are limited to {MAX_LECTURE_BYTES} bytes",
                    "too-large",
                )
        return data
    except OSError as exc:
        raise LectureError(shown, 1, f"cannot read file: {exc.strerror}", "io") from None


_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFDIR: "a folder",
}


def special_kind(mode: int) -> str:
    """What a file that is not a regular one is, from its ``st_mode``: "a named pipe (FIFO)"…"""
    return _KINDS.get(stat.S_IFMT(mode), "a special file")


def _check_regular(mode: int, shown: str) -> None:
    if not stat.S_ISREG(mode):
        message = f"{special_kind(mode)}, not a regular file; not read"
        raise LectureError(shown, 1, message, "not-a-file")
