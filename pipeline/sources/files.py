"""Open input files: expand paths, directories and globs; decompress while streaming.

An input *spec* is a path, a directory (read recursively, files in sorted order,
hidden files and directories skipped) or a glob pattern (``data/*.jsonl.gz``,
``**`` allowed), or a list of those. Files ending in ``.gz``, ``.bz2`` or ``.zst``
are decompressed on the fly (``.zst`` may hold several frames); nothing is read
whole into memory.

Every problem that stops a whole file raises :class:`~pipeline.errors.InputError`
with one actionable line: a missing path, a pattern or directory without files, a
file that cannot be opened, compressed data that is corrupt or truncated.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import zstandard

from pipeline.errors import InputError

__all__ = [
    "COMPRESSED_SUFFIXES",
    "expand_paths",
    "iter_chunks",
    "iter_lines",
    "open_binary",
    "open_inputs",
    "read_head",
    "source_name",
    "strip_compression",
]

#: File suffixes decompressed transparently.
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".zst")

_BUFFER = 1 << 16
_CHUNK = 1 << 20
_GLOB_CHARS = frozenset("*?[")
_READ_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)

PathSpec = str | os.PathLike[str]


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _walk_directory(directory: Path) -> list[Path]:
    files = [
        path
        for path in directory.rglob("*")
        if path.is_file() and not _is_hidden(path.relative_to(directory))
    ]
    return sorted(files)


def expand_paths(spec: PathSpec | Iterable[PathSpec]) -> list[Path]:
    """Turn an input spec into the sorted list of concrete files it names.

    Parameters
    ----------
    spec : str, path-like, or iterable of those
        Files, directories (recursive) and glob patterns.

    Returns
    -------
    list of pathlib.Path
        Files in the order given; within a directory or a pattern, sorted. A file
        named twice is listed once.

    Raises
    ------
    InputError
        A path that does not exist, or a pattern or directory that holds no file.
    """
    items = [spec] if isinstance(spec, str | os.PathLike) else list(spec)
    if not items:
        raise InputError("no input given; pass a file, a directory or a glob pattern")
    found: dict[Path, None] = {}
    for item in items:
        text = os.fspath(item)
        path = Path(text)
        if path.is_file():
            found.setdefault(path, None)
        elif path.is_dir():
            files = _walk_directory(path)
            if not files:
                raise InputError(f"{text}: directory holds no input file")
            found.update(dict.fromkeys(files))
        elif _GLOB_CHARS & set(text):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True))
            files = []
            for match in matches:
                files.extend(_walk_directory(match) if match.is_dir() else [match])
            if not files:
                raise InputError(f"{text}: no file matches this pattern")
            found.update(dict.fromkeys(files))
        else:
            raise InputError(f"{text}: no such file or directory")
    return list(found)


def source_name(path: PathSpec) -> str:
    """Return the name recorded as ``source`` for a file: its absolute path."""
    return os.path.abspath(os.fspath(path))


def strip_compression(name: str) -> str:
    """Return ``name`` without a compression suffix (``a.jsonl.gz`` -> ``a.jsonl``)."""
    lower = name.lower()
    for suffix in COMPRESSED_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def open_binary(path: PathSpec) -> BinaryIO:
    """Open a file for reading as decompressed bytes, buffered and peekable.

    Parameters
    ----------
    path : str or path-like
        The file; its suffix selects the decompression.

    Returns
    -------
    io.BufferedReader
        Close it (or exhaust :func:`iter_lines` / :func:`iter_chunks`) when done.

    Raises
    ------
    InputError
        When the file cannot be opened.
    """
    name = os.fspath(path)
    lower = name.lower()
    try:
        raw: BinaryIO = open(name, "rb")  # noqa: SIM115 - returned to the caller
    except OSError as exc:
        raise InputError(f"{name}: cannot open ({exc.strerror or exc})") from None
    try:
        if lower.endswith(".gz"):
            stream = gzip.GzipFile(fileobj=raw, mode="rb")
        elif lower.endswith(".bz2"):
            stream = bz2.BZ2File(raw, mode="rb")
        elif lower.endswith(".zst"):
            stream = zstandard.ZstdDecompressor().stream_reader(
                raw, read_across_frames=True, closefd=True
            )
        else:
            return io.BufferedReader(raw, buffer_size=_BUFFER)
        return io.BufferedReader(stream, buffer_size=_BUFFER)
    except _READ_ERRORS as exc:
        raw.close()
        raise InputError(f"{name}: cannot open ({exc})") from None


def _read_error(name: str, exc: BaseException) -> InputError:
    return InputError(f"{name}: cannot read, corrupt or truncated data? ({exc})")


def read_head(stream: BinaryIO, name: str, size: int = _BUFFER) -> bytes:
    """Return up to ``size`` first bytes of ``stream`` without consuming them.

    Parameters
    ----------
    stream : io.BufferedReader
        A stream from :func:`open_binary`.
    name : str
        The file name, for error messages.
    size : int
        Bytes wanted; fewer may be returned.

    Returns
    -------
    bytes
        Empty only for an empty file.
    """
    try:
        return stream.peek(size)[:size]
    except _READ_ERRORS as exc:
        stream.close()
        raise _read_error(name, exc) from None


def iter_lines(stream: BinaryIO, name: str) -> Iterator[bytes]:
    """Yield the lines of ``stream`` (with their endings), then close it.

    Raises
    ------
    InputError
        When decompression fails part-way; the lines before were yielded.
    """
    with stream:
        try:
            yield from stream
        except _READ_ERRORS as exc:
            raise _read_error(name, exc) from None


def iter_chunks(stream: BinaryIO, name: str, size: int = _CHUNK) -> Iterator[bytes]:
    """Yield ``stream`` in blocks of ``size`` bytes, then close it.

    For whole-document formats, where a "line" may be the whole file.

    Raises
    ------
    InputError
        When decompression fails part-way; the blocks before were yielded.
    """
    with stream:
        try:
            while block := stream.read(size):
                yield block
        except _READ_ERRORS as exc:
            raise _read_error(name, exc) from None


def open_inputs(spec: PathSpec | Iterable[PathSpec]) -> Iterator[tuple[str, Iterator[bytes]]]:
    """Yield ``(source_name, lines)`` for each file of an input spec.

    Parameters
    ----------
    spec : str, path-like, or iterable of those
        See :func:`expand_paths`.

    Yields
    ------
    tuple of (str, iterator of bytes)
        The file's :func:`source_name` and its decompressed lines. Each file is
        opened when its turn comes and closed once its lines are exhausted.
    """
    for path in expand_paths(spec):
        name = source_name(path)
        yield name, iter_lines(open_binary(path), name)
