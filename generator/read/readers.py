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
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from generator.patterns import LONE_SURROGATE
from generator.read.limits import DEFAULT_LIMITS, InputLimits

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
    """A JSON object read from ``path`` starting at ``line`` (1-based).

    ``cut``: how many of its strings were longer than ``max_field_chars`` and were cut.
    """

    path: str
    line: int
    obj: dict[str, Any]
    cut: int = 0


@dataclass(frozen=True, slots=True)
class Problem:
    """A record (or the rest of a file) that could not be read, and why.

    ``limit``: a cap of :class:`~generator.read.limits.InputLimits` cut the input here; such
    problems are listed in the report even past the quarantine list's own cap.
    """

    path: str
    line: int
    reason: str
    limit: bool = False


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


def _record(path: str, line: int, value: dict[str, Any], escapes: bool, cap: int | None) -> Record | Problem:
    reason = _defect(value, check_surrogates=escapes)
    if reason is not None:
        return Problem(path, line, reason)
    if cap is not None:
        value, cut = _cut_long_strings(value, cap)
        return Record(path, line, value, cut)
    return Record(path, line, value)


#: Appended to a string cut at ``max_field_chars`` (the page, the JSON download and the
#: catalog all hold the cut value: nothing downstream can be inflated by one field).
CUT_MARKER = "… [cut by falco-archive: {length:,} characters]"


def _cut(text: str, cap: int) -> str:
    return text[:cap] + CUT_MARKER.format(length=len(text))


def _cut_long_strings(value: dict[str, Any], cap: int) -> tuple[dict[str, Any], int]:
    """A copy of ``value`` with every string (key or value) over ``cap`` characters cut."""
    cut = 0

    def walk(item: Any) -> Any:
        nonlocal cut
        if isinstance(item, str):
            if len(item) > cap:
                cut += 1
                return _cut(item, cap)
            return item
        if isinstance(item, dict):
            out = {}
            for key, sub in item.items():
                if len(key) > cap:
                    cut += 1
                    key = _cut(key, cap)
                out[key] = walk(sub)
            return out
        if isinstance(item, list):
            return [walk(sub) for sub in item]
        return item

    return walk(value), cut


def _as_records(
    path: str, line: int, value: Any, escapes: bool, limits: InputLimits, text_chars: int
) -> Iterator[Record | Problem]:
    """A top-level JSON value: an object, or an array of objects (sqlite-utils accepts both).

    ``escapes``: the JSON text held a surrogate escape, so strings must be checked for them.
    ``text_chars``: the length of the JSON text; only text longer than ``max_field_chars`` can
    hold a string that must be cut, so shorter records skip that walk. An array yields at most
    ``max_items_per_line`` records; the rest becomes one problem saying how many were not read.
    """
    cap = limits.max_field_chars if text_chars > limits.max_field_chars else None
    if isinstance(value, dict):
        yield _record(path, line, value, escapes, cap)
    elif isinstance(value, list):
        most = limits.max_items_per_line
        for index, item in enumerate(value[:most]):
            if isinstance(item, dict):
                yield _record(path, line, item, escapes, cap)
            else:
                yield Problem(path, line, f"array item {index} is {_json_type(item)}, not an alert object")
        if len(value) > most:
            yield Problem(
                path,
                line,
                f"array of {len(value):,} items: only the first {most:,} were read "
                f"(limits.max_items_per_line); the other {len(value) - most:,} were not",
                limit=True,
            )
    else:
        yield Problem(path, line, f"JSON {_json_type(value)} where an alert object was expected")


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


class NotRegularFileError(OSError):
    """The path is no longer a regular file (swapped for a FIFO, a device, a folder)."""


def open_regular(path: Path) -> IO[bytes]:
    """Open ``path`` for reading only if it is a regular file, checked on the open descriptor.

    ``O_NONBLOCK`` keeps a FIFO from blocking the open itself; ``fstat`` on the descriptor (not
    the name) closes the window between :func:`discover`'s check and the read, in which the file
    could be replaced by a FIFO or a device such as ``/dev/zero`` that would hang the build.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFileError(21, "not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class _OwningGzipFile(gzip.GzipFile):
    """A GzipFile that closes the file object it was given (``gzip.GzipFile`` does not)."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def _open_binary(path: Path) -> IO[bytes]:
    raw = open_regular(path)
    if path.name.endswith(".gz"):
        return _OwningGzipFile(raw)  # type: ignore[return-value]  # a GzipFile is a binary IO
    return raw


_READ_ERRORS = (OSError, EOFError, zlib.error, gzip.BadGzipFile)


def read_lines(path: Path, display: str, limits: InputLimits = DEFAULT_LIMITS) -> Iterator[ReadEvent]:
    """One alert per line (JSON Lines, Falco's stdout/file output, ``.log``/``.txt``).

    A line that starts like JSON (``{`` or ``[``) is a record and is reported if broken; any
    other line is a banner or summary and is counted as skipped. A file that decompresses to
    more than its expansion budget (a gzip bomb) is read up to the budget and the rest is
    reported, not read.
    """
    line_no = 0
    expanded = 0
    try:
        budget = limits.expansion_budget(path.stat().st_size)
        with _open_binary(path) as fh:
            while True:
                raw = fh.readline(MAX_RECORD_BYTES + 1)
                if not raw:
                    break
                line_no += 1
                expanded += len(raw)
                if expanded > budget:
                    yield _over_budget(display, line_no, budget)
                    return
                if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
                    yield Problem(display, line_no, f"line longer than {MAX_RECORD_BYTES} bytes")
                    while raw and not raw.endswith(b"\n"):
                        raw = fh.readline(_CHUNK)
                        expanded += len(raw)
                        if expanded > budget:
                            yield _over_budget(display, line_no, budget)
                            return
                    continue
                yield from _line_event(display, line_no, raw, limits)
    except _READ_ERRORS as exc:
        yield Problem(display, line_no + 1, f"cannot read further: {_describe_os_error(exc)}")


def _over_budget(display: str, line: int, budget: int) -> Problem:
    return Problem(
        display,
        line,
        f"the file expands to more than {budget:,} bytes (limits.max_expansion_ratio times its "
        "size on disk: a decompression bomb?); the rest of it was not read",
        limit=True,
    )


def _line_event(display: str, line_no: int, raw: bytes, limits: InputLimits) -> Iterator[ReadEvent]:
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
    yield from _as_records(
        display, line_no, value, _SURROGATE_ESCAPE.search(text) is not None, limits, len(text)
    )


def read_document(path: Path, display: str, limits: InputLimits = DEFAULT_LIMITS) -> Iterator[ReadEvent]:
    """A ``.json`` file: one object, an array of objects, or objects back to back.

    Decoded incrementally from 1 MiB chunks so a large file never sits in memory whole. After a
    broken record the reader resynchronises on the next line that starts an object. A top-level
    array yields at most ``max_items_per_line`` records and the whole file at most its expansion
    budget of decompressed bytes; what is past a limit is reported, not read.
    """
    decoder = _IncrementalText(path)
    buf = ""
    pos = 0
    line = 1
    in_array = False
    items = 0
    try:
        budget = limits.expansion_budget(path.stat().st_size)
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
            if decoder.expanded > budget:
                yield _over_budget(display, line + buf.count("\n", 0, pos), budget)
                decoder.close()
                return
            if ch == "[" and not in_array:
                in_array, pos, items = True, pos + 1, 0
                continue
            if in_array:
                items += 1
                if items > limits.max_items_per_line:
                    yield Problem(
                        display,
                        line + buf.count("\n", 0, pos),
                        f"array of more than {limits.max_items_per_line:,} items: the rest of the "
                        "file was not read (limits.max_items_per_line)",
                        limit=True,
                    )
                    decoder.close()
                    return
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
            yield from _as_records(display, start_line, value, escapes, limits, end - pos)
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
        #: Decompressed bytes read so far (checked against the file's expansion budget).
        self.expanded = 0

    def read(self) -> str:
        if self.eof:
            return ""
        data = self._fh.read(_CHUNK)
        self.expanded += len(data)
        if not data:
            self.close()
            return self._decoder.decode(b"", final=True)
        return self._decoder.decode(data)

    def close(self) -> None:
        self.eof = True
        self._fh.close()


def _describe_os_error(exc: BaseException) -> str:
    if isinstance(exc, gzip.BadGzipFile | zlib.error):
        return f"corrupt gzip data ({exc})"
    if isinstance(exc, EOFError):
        return "the gzip stream is truncated"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


Reader = Callable[[Path, str, InputLimits], Iterator[ReadEvent]]

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

    Only regular files are read, and only inside ``root``: a FIFO or a device (``/dev/zero``)
    would hang the build and a symlink to ``/etc/shadow`` would publish a host file, so both
    are passed over with the reason, before anything opens or hashes them. Symlinks that stay
    inside the folder are followed, but a directory already visited (a symlink loop) is not
    entered twice. Files with an unknown extension are reported once per extension, not read.
    """
    files: list[InputFile] = []
    passed_over: list[Problem] = []
    seen_dirs: set[tuple[int, int]] = set()
    unknown_ext: set[str] = set()
    real_root = os.path.realpath(root)

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
        if not _inside(real_root, dirpath):
            passed_over.append(
                Problem(
                    _rel(root, Path(dirpath)), 0, "symlink to a folder outside the alerts folder, not read"
                )
            )
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath, name)
            display = _rel(root, path)
            why_not = _not_regular_inside(real_root, path)
            if why_not is not None:
                log.warning("Not reading %s: %s", display, why_not)
                passed_over.append(Problem(display, 0, why_not))
                continue
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


def _inside(real_root: str, path: str | Path) -> bool:
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _not_regular_inside(real_root: str, path: Path) -> str | None:
    """Why ``path`` must not be read (a symlink out of the folder, not a regular file), or None.

    Uses ``stat`` only: nothing is opened, so a FIFO cannot block and a device cannot stream.
    """
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        if path.is_symlink() and not _inside(real_root, path):
            return "symlink leading outside the alerts folder, not read"
        return None
    kind = (
        "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    return f"{kind}, not a regular file: not read"


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


def read_file(file: InputFile, limits: InputLimits = DEFAULT_LIMITS) -> Iterator[ReadEvent]:
    """Stream every record of one input file; unreadable, binary and empty files become one
    Problem at line 0 (a file passed over, not a quarantined record)."""
    reader = reader_for(file.path)
    assert reader is not None
    try:
        if not os.access(file.path, os.R_OK):
            raise PermissionError(13, "Permission denied")
        open_regular(file.path).close()  # swapped for a FIFO or device since discover()?
        if _looks_binary(file.path):
            yield Problem(file.display, 0, "binary file (NUL bytes, not JSON text), not read")
            return
        empty = True
        for event in reader(file.path, file.display, limits):
            empty = False
            yield event
        if empty:
            yield Problem(file.display, 0, "empty file: no records in it")
    except OSError as exc:
        yield Problem(file.display, 0, f"cannot open file: {_describe_os_error(exc)}")
