"""Find alert files under a folder and stream JSON records out of them.

One reader per input shape, chosen by file extension (pelican's ``Readers`` registry works the
same way): whole JSON documents (one object, an array, or several objects back to back) and
line files (JSON Lines, Falco's own log with banner lines), each optionally gzipped. Readers
never hold a whole file in memory and never stop at a bad record: they yield a
:class:`Problem` with the file and line and carry on with the next record.
"""

from __future__ import annotations

import gzip
import json
import logging
import math
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from generator.patterns import LONE_SURROGATE

log = logging.getLogger(__name__)

#: A record larger than this is reported instead of read (memory stays bounded).
MAX_RECORD_BYTES = 64 * 1024 * 1024
#: Deepest nesting of objects and arrays accepted in a record. Falco's own alerts are at most
#: three levels deep; every later stage (redaction, validation, pretty-printing) walks values
#: recursively, so a record nested a few hundred levels deep would crash the whole build.
MAX_DEPTH = 64
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Record:
    """A JSON object read from ``path`` starting at ``line`` (1-based)."""

    path: str
    line: int
    obj: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Problem:
    """A record (or the rest of a file) that could not be read, and why."""

    path: str
    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class SkippedLine:
    """A non-JSON line in a log file (Falco banners, ``Events detected`` summaries)."""

    path: str
    line: int


ReadEvent = Record | Problem | SkippedLine


class DuplicateKeyError(ValueError):
    pass


#: Key names safe to quote in a problem report: Falco field names such as ``proc.aname[2]``.
#: Anything else might be a secret (or markup) and the report is published, so it is not quoted.
_QUOTABLE_KEY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\[[a-z0-9]{1,8}\])?")


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        name = repr(dup) if len(dup) <= 64 and _QUOTABLE_KEY.fullmatch(dup) else "(name not shown)"
        raise DuplicateKeyError(f"duplicate key {name} in one JSON object")
    return obj


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    """``1e400`` parses as infinity, which ``json.dumps`` would write back as invalid JSON."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large for a 64-bit float")
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates, parse_constant=_reject_constant, parse_float=_finite_float
)


def _decode(text: str, pos: int = 0) -> tuple[Any, int]:
    """``raw_decode`` with hostile-input errors turned into ``ValueError``."""
    try:
        return _DECODER.raw_decode(text, pos)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


#: A JSON ``\\uD800``..``\\uDFFF`` escape: the only way a lone surrogate can enter a string.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _defect(value: Any, check_surrogates: bool) -> str | None:
    """Why a decoded record cannot go further, or None; walks without recursion.

    Too deep: every later stage walks values recursively. Lone surrogates (``"\\ud800"`` is
    valid JSON but not valid Unicode): they cannot be written as UTF-8, so the catalog, the
    pages and the downloads could not hold them; pydantic rejects them in the top-level fields.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                return f"JSON nested deeper than {MAX_DEPTH} levels"
            for key, sub in item.items():
                if check_surrogates and LONE_SURROGATE.search(key):
                    return _surrogate_reason(key)
                stack.append((sub, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_DEPTH:
                return f"JSON nested deeper than {MAX_DEPTH} levels"
            stack.extend((sub, depth + 1) for sub in item)
        elif check_surrogates and isinstance(item, str) and LONE_SURROGATE.search(item):
            return _surrogate_reason(item)
    return None


def _surrogate_reason(text: str) -> str:
    found = LONE_SURROGATE.search(text)
    assert found is not None
    return f"invalid Unicode: a string holds the lone surrogate \\u{ord(found.group()):04x}"


def _record(path: str, line: int, value: dict[str, Any], escapes: bool) -> Record | Problem:
    reason = _defect(value, check_surrogates=escapes)
    if reason is not None:
        return Problem(path, line, reason)
    return Record(path, line, value)


def _as_records(path: str, line: int, value: Any, escapes: bool) -> Iterator[Record | Problem]:
    """A top-level JSON value: an object, or an array of objects (sqlite-utils accepts both).

    ``escapes``: the JSON text held a surrogate escape, so strings must be checked for them.
    """
    if isinstance(value, dict):
        yield _record(path, line, value, escapes)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield _record(path, line, item, escapes)
            else:
                yield Problem(path, line, f"array item {index} is {_json_type(item)}, not an alert object")
    else:
        yield Problem(path, line, f"JSON {_json_type(value)} where an alert object was expected")


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]  # a GzipFile is a binary IO
    return path.open("rb")


_READ_ERRORS = (OSError, EOFError, zlib.error, gzip.BadGzipFile)


def read_lines(path: Path, display: str) -> Iterator[ReadEvent]:
    """One alert per line (JSON Lines, Falco's stdout/file output, ``.log``/``.txt``).

    A line that starts like JSON (``{`` or ``[``) is a record and is reported if broken; any
    other line is a banner or summary and is counted as skipped.
    """
    line_no = 0
    try:
        with _open_binary(path) as fh:
            while True:
                raw = fh.readline(MAX_RECORD_BYTES + 1)
                if not raw:
                    break
                line_no += 1
                if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
                    yield Problem(display, line_no, f"line longer than {MAX_RECORD_BYTES} bytes")
                    while raw and not raw.endswith(b"\n"):
                        raw = fh.readline(_CHUNK)
                    continue
                yield from _line_event(display, line_no, raw)
    except _READ_ERRORS as exc:
        yield Problem(display, line_no + 1, f"cannot read further: {_describe_os_error(exc)}")


def _line_event(display: str, line_no: int, raw: bytes) -> Iterator[ReadEvent]:
    if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    stripped = raw.strip()
    if not stripped:
        return
    if stripped[:1] not in (b"{", b"["):
        yield SkippedLine(display, line_no)
        return
    try:
        text = stripped.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield Problem(display, line_no, f"invalid UTF-8 at byte {exc.start}")
        return
    try:
        value, end = _decode(text)
    except ValueError as exc:
        yield Problem(display, line_no, _describe_json_error(exc))
        return
    if text[end:].strip():
        yield Problem(display, line_no, f"unexpected text after the JSON value at column {end + 1}")
        return
    yield from _as_records(display, line_no, value, _SURROGATE_ESCAPE.search(text) is not None)


def read_document(path: Path, display: str) -> Iterator[ReadEvent]:
    """A ``.json`` file: one object, an array of objects, or objects back to back.

    Decoded incrementally from 1 MiB chunks so a large file never sits in memory whole. After a
    broken record the reader resynchronises on the next line that starts an object.
    """
    decoder = _IncrementalText(path)
    buf = ""
    pos = 0
    line = 1
    in_array = False
    try:
        buf = decoder.read()
        if buf.startswith("\ufeff"):
            buf = buf[1:]
        while True:
            pos = _skip_ws(buf, pos)
            if pos >= len(buf):
                more = decoder.read()
                if not more:
                    return
                line += buf.count("\n")
                buf, pos = buf[pos:] + more, 0
                continue
            ch = buf[pos]
            if ch == "[" and not in_array:
                in_array, pos = True, pos + 1
                continue
            if in_array and ch in ",]":
                in_array = ch == ","
                pos += 1
                continue
            start_line = line + buf.count("\n", 0, pos)
            try:
                value, end = _decode(buf, pos)
            except ValueError as exc:
                if _maybe_truncated(exc, buf) and not decoder.eof and len(buf) - pos < MAX_RECORD_BYTES:
                    more = decoder.read()
                    if more:
                        buf += more
                        continue
                reason = _describe_json_error(exc)
                err_line = start_line
                if isinstance(exc, json.JSONDecodeError):
                    err_line = line + exc.lineno - 1
                    reason = f"invalid JSON: {exc.msg} (record starting at line {start_line})"
                if len(buf) - pos >= MAX_RECORD_BYTES:
                    reason = f"record larger than {MAX_RECORD_BYTES} bytes"
                yield Problem(display, err_line, reason)
                nxt = _next_object_start(buf, pos)
                if nxt is None:
                    return
                line += buf.count("\n", 0, nxt)
                buf, pos, in_array = buf[nxt:], 0, in_array
                continue
            escapes = _SURROGATE_ESCAPE.search(buf, pos, end) is not None
            yield from _as_records(display, start_line, value, escapes)
            # Keep the buffer small: drop what was consumed.
            line += buf.count("\n", 0, end)
            buf, pos = buf[end:], 0
    except _READ_ERRORS as exc:
        yield Problem(
            display, line + buf.count("\n", 0, pos), f"cannot read further: {_describe_os_error(exc)}"
        )
    except UnicodeDecodeError as exc:
        yield Problem(display, line + buf.count("\n", 0, pos), f"invalid UTF-8: {exc.reason}")


def _maybe_truncated(exc: ValueError, buf: str) -> bool:
    """Could reading more of the file fix this error? Only if the record runs to the buffer's end.

    Without this check a duplicate key or a syntax error mid-buffer would make the reader pull
    the rest of a large file into memory (up to ``MAX_RECORD_BYTES``) before reporting it.
    """
    if not isinstance(exc, json.JSONDecodeError):
        return False
    return exc.msg.startswith("Unterminated string") or not buf[exc.pos :].strip()


def _describe_json_error(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg.removesuffix(' at')} at column {exc.colno}"
    if isinstance(exc, DuplicateKeyError):
        return str(exc)
    return f"invalid JSON: {exc}"


def _skip_ws(buf: str, pos: int) -> int:
    n = len(buf)
    while pos < n and buf[pos] in " \t\r\n":
        pos += 1
    return pos


def _next_object_start(buf: str, pos: int) -> int | None:
    """The next line (after ``pos``) whose first non-blank character opens an object."""
    nl = buf.find("\n", pos)
    while nl != -1:
        start = _skip_ws(buf, nl + 1)
        if start < len(buf) and buf[start] == "{":
            return start
        nl = buf.find("\n", nl + 1)
    return None


class _IncrementalText:
    """UTF-8 text from a (possibly gzipped) file, one chunk at a time."""

    def __init__(self, path: Path) -> None:
        import codecs

        self._fh = _open_binary(path)
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.eof = False

    def read(self) -> str:
        if self.eof:
            return ""
        data = self._fh.read(_CHUNK)
        if not data:
            self.eof = True
            self._fh.close()
            return self._decoder.decode(b"", final=True)
        return self._decoder.decode(data)


def _describe_os_error(exc: BaseException) -> str:
    if isinstance(exc, gzip.BadGzipFile | zlib.error):
        return f"corrupt gzip data ({exc})"
    if isinstance(exc, EOFError):
        return "the gzip stream is truncated"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


Reader = Callable[[Path, str], Iterator[ReadEvent]]

#: File extension (without ``.gz``) -> reader.
READERS: dict[str, Reader] = {
    ".json": read_document,
    ".jsonl": read_lines,
    ".ndjson": read_lines,
    ".log": read_lines,
    ".txt": read_lines,
}


def reader_for(path: Path) -> Reader | None:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return READERS.get(os.path.splitext(name)[1])


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file found under the alerts folder; ``display`` is its path relative to the folder."""

    path: Path
    display: str
    size: int
    mtime_ns: int


def discover(root: Path) -> tuple[list[InputFile], list[Problem]]:
    """Every readable alert file under ``root``, sorted; and what was passed over, with why.

    Symlinks are followed, but a directory already visited (a symlink loop) is not entered
    twice. Files with an unknown extension are reported once per extension, not read.
    """
    files: list[InputFile] = []
    passed_over: list[Problem] = []
    seen_dirs: set[tuple[int, int]] = set()
    unknown_ext: set[str] = set()

    def onerror(exc: OSError) -> None:
        passed_over.append(
            Problem(_rel(root, Path(exc.filename or root)), 0, f"cannot read folder: {exc.strerror}")
        )

    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=onerror):
        try:
            st = os.stat(dirpath)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen_dirs:
            passed_over.append(
                Problem(_rel(root, Path(dirpath)), 0, "folder already visited (symlink loop), skipped")
            )
            dirnames[:] = []
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath, name)
            display = _rel(root, path)
            if reader_for(path) is None:
                ext = "".join(path.suffixes[-2:]) or "(none)"
                if ext not in unknown_ext:
                    unknown_ext.add(ext)
                    log.warning("Skipping files with unknown extension %s (first: %s)", ext, display)
                passed_over.append(Problem(display, 0, "unknown file type, not read"))
                continue
            try:
                fst = path.stat()
            except OSError as exc:
                passed_over.append(Problem(display, 0, f"cannot read file: {exc.strerror}"))
                continue
            files.append(InputFile(path, display, fst.st_size, fst.st_mtime_ns))
    files.sort(key=lambda f: f.display)
    return files, passed_over


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


_SNIFF_BYTES = 8192


def _looks_binary(path: Path) -> bool:
    """NUL bytes near the start of a file that does not open like JSON: an image, an archive.

    Reading such a file line by line would report thousands of garbage "records"; it is passed
    over once instead. A JSON file with one corrupt line still starts like JSON and is read, so
    the good records around the corruption are kept. Errors are left to the reader to report.
    """
    try:
        with _open_binary(path) as fh:
            head = fh.read(_SNIFF_BYTES)
    except (*_READ_ERRORS, ValueError):
        return False
    return b"\x00" in head and head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"[")


def read_file(file: InputFile) -> Iterator[ReadEvent]:
    """Stream every record of one input file; unreadable, binary and empty files become one
    Problem at line 0 (a file passed over, not a quarantined record)."""
    reader = reader_for(file.path)
    assert reader is not None
    try:
        if not os.access(file.path, os.R_OK):
            raise PermissionError(13, "Permission denied")
        if _looks_binary(file.path):
            yield Problem(file.display, 0, "binary file (NUL bytes, not JSON text), not read")
            return
        empty = True
        for event in reader(file.path, file.display):
            empty = False
            yield event
        if empty:
            yield Problem(file.display, 0, "empty file: no records in it")
    except OSError as exc:
        yield Problem(file.display, 0, f"cannot open file: {_describe_os_error(exc)}")
