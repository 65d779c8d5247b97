"""Downloads for other tools: the catalog as CSV and Parquet, and per rule/host JSON summaries.

Why: the site is for reading, but analysts also want the numbers in a spreadsheet, pandas or
a SIEM. The exports hold the catalog's compact columns (never the raw JSON: it is large and a
page per alert already serves it), oldest alert first with the ID as tie-breaker, and come out
byte-identical for the same alerts, so an unchanged archive rewrites nothing.

Columns (both formats, in this order, see :data:`EXPORT_COLUMNS`): ``id``, ``time`` (ISO 8601
UTC with nine fractional digits, ``2026-11-20T12:00:00.123456789Z``), ``time_ns`` (the same
instant as integer nanoseconds since the epoch), ``priority`` (Falco's label, ``Critical``),
``priority_value`` (0 = Emergency .. 7 = Debug), then the catalog's other compact columns as
text in catalog order: ``rule``, ``host``, ``source``, ``tags`` (joined with ``,``; Falco tags
contain no commas, a hostile one would be ambiguous here but not in the raw JSON),
``proc_name``, ``cmdline``, ``image``, ``namespace``, ``pod``, ``container_id``, ``user``,
``action`` and ``target`` (what a k8s audit or cloud alert did, and to what), ``page`` (the
alert page, relative to the docs root), ``group`` (repeat-group key) and
``origin`` (input file and line, relative to the alerts folder).

CSV and formula injection: spreadsheet applications run a cell that starts with ``=``, ``+``,
``-``, ``@``, tab or carriage return as a formula (``=HYPERLINK(...)``, DDE ``=cmd|...``), also
after leading spaces, newlines or control characters, or spelt full-width (``＝``, ``＋``,
``－``, ``＠``), and alert text is attacker-controlled. In the CSV a text cell starting with any
of those, with any whitespace or with a control or invisible character gets one leading apostrophe
``'``, which spreadsheets treat as "this is text" and do not display. Cells that already start
with ``'`` get one too, so the rule is reversible: **a tool that wants the original value
drops the first character of every text cell that starts with** ``'``. Numbers (``time_ns``,
``priority_value``) are never prefixed. The CSV is RFC 4180 (CRLF line ends, so a lone CR in a
value is quoted too), UTF-8 without BOM. The Parquet file holds the values unmodified.

Lone surrogates (possible in alert JSON, impossible in UTF-8) are written as the visible
escape ``\\udXXX`` in both formats, so the export never fails on them.
"""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from generator.archive.aggregate import PRIORITY_COLUMNS, overview
from generator.archive.catalog import COMPACT_COLUMNS, TAG_SEPARATOR
from generator.pages.escape import name_visible
from generator.patterns import LONE_SURROGATE

__all__ = [
    "EXPORT_COLUMNS",
    "csv_bytes",
    "export_frame",
    "iso_ns",
    "json_bytes",
    "parquet_bytes",
    "summary_json",
]

log = logging.getLogger(__name__)

#: Text columns copied from the catalog as they are: every compact column except the three
#: converted above, so a column added to the catalog is exported without touching this file.
#: ``received`` (when the archive first got the alert) is bookkeeping, not alert data.
_TEXT_COLUMNS = [name for name in COMPACT_COLUMNS if name not in ("id", "time_ns", "priority", "received")]
EXPORT_COLUMNS = ["id", "time", "time_ns", "priority", "priority_value", *_TEXT_COLUMNS]
_SCHEMA = pa.schema(
    [
        (name, pa.int64() if name == "time_ns" else pa.int8() if name == "priority_value" else pa.string())
        for name in EXPORT_COLUMNS
    ]
)
_STRING_COLUMNS = [name for name in EXPORT_COLUMNS if name not in ("time_ns", "priority_value")]
#: A cell starting with a formula character, its full-width form (``＝``, ``＋``, ``－``, ``＠``:
#: some spreadsheets normalise them), any whitespace or a control/invisible character (which
#: spreadsheets strip before looking for ``=``: `` =cmd|...``, ``\n=...``, ``\x00=...``) or ``'``.
_FORMULA_START = re.compile(
    "[=+\\-@'\uff1d\uff0b\uff0d\uff20\\s\x00-\x1f\x7f-\x9f\u00a0\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]"
)


def iso_ns(time_ns: pd.Series | np.ndarray) -> np.ndarray:
    """ISO 8601 UTC strings with nanoseconds, computed in C (``strftime`` per row is slow)."""
    values = np.asarray(time_ns, dtype=np.int64).astype("datetime64[ns]")
    return np.char.add(np.datetime_as_string(values, unit="ns"), "Z").astype(object)


def _surrogate_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _text(column: pd.Series) -> pd.Series:
    """A column as strings; lone surrogates (only possible in an ``object`` column, which
    pandas cannot convert to its UTF-8 string dtype) become visible ``\\udXXX`` escapes."""
    column = column.fillna("")
    try:
        return column.astype(str)
    except UnicodeEncodeError:
        return column.map(lambda value: LONE_SURROGATE.sub(_surrogate_escape, str(value))).astype(str)


def export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The catalog rows as exported (see the module docstring), oldest first.

    Unknown priorities (never in the catalog) get an empty label rather than an error.
    """
    ordered = df.sort_values(["time_ns", "id"], kind="stable")
    time_ns = ordered["time_ns"].to_numpy(dtype=np.int64)
    priority = ordered["priority"].to_numpy(dtype=np.int64)
    labels = np.array([*PRIORITY_COLUMNS, ""], dtype=object)
    known = (priority >= 0) & (priority < len(PRIORITY_COLUMNS))
    out: dict[str, Any] = {
        "id": _text(ordered["id"]).to_numpy(dtype=object),
        "time": iso_ns(time_ns),
        "time_ns": time_ns,
        "priority": labels[np.where(known, priority, -1)],
        "priority_value": priority.astype(np.int8),
    }
    for name in _TEXT_COLUMNS:
        column = _text(ordered[name]) if name in ordered else pd.Series("", index=ordered.index, dtype=str)
        if name == "tags":
            column = column.str.replace(TAG_SEPARATOR, ",", regex=False)
        out[name] = column.to_numpy(dtype=object)
    return pd.DataFrame(out, columns=EXPORT_COLUMNS)


def _defuse(column: pd.Series) -> pd.Series:
    """Prefix ``'`` to text cells a spreadsheet would run as a formula (or that start with ``'``)."""
    risky = column.str.match(_FORMULA_START.pattern)
    if not risky.any():
        return column
    return column.where(~risky, "'" + column)


def _names_visible(column: pd.Series, sep: str | None = None) -> pd.Series:
    """:func:`name_visible` of each cell (of each ``sep``-separated item), only where needed."""
    plain = column.str.fullmatch(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?|").fillna(True)
    if sep is None:
        odd = column[~plain].map(name_visible)
    else:
        odd = column[~plain].map(lambda cell: sep.join(name_visible(item) for item in cell.split(sep)))
    return column.where(plain, odd)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The CSV export as bytes (for ``DocsWriter``, which writes only changed files)."""
    frame = export_frame(df)
    # A spreadsheet shows host names and tags as a reader reads them: look-alike and control
    # characters as escapes (``n\u043ede-1``), as every page does; Parquet keeps exact values.
    frame["host"] = _names_visible(frame["host"])
    frame["tags"] = _names_visible(frame["tags"], sep=",")
    for name in _STRING_COLUMNS:
        frame[name] = _defuse(frame[name])
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\r\n")
    return buf.getvalue().encode("utf-8")


def parquet_bytes(df: pd.DataFrame) -> bytes:
    """The Parquet export as bytes: explicit schema, zstd, no pandas metadata (deterministic)."""
    frame = export_frame(df)
    arrays = [pa.array(frame[name].to_numpy(), type=_SCHEMA.field(name).type) for name in EXPORT_COLUMNS]
    table = pa.Table.from_arrays(arrays, schema=_SCHEMA)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def summary_json(df: pd.DataFrame, key: str) -> dict[str, Any]:
    """Per value of ``key`` (``rule``, ``host``...): count, counts per priority, first/last seen.

    Shape::

        {"key": "rule", "alerts": 15, "values": [
            {"value": "Terminal shell in container", "count": 12,
             "by_priority": {"Critical": 2, "Notice": 10},   # priorities with alerts, by severity
             "first_seen": "2026-11-20T08:00:00.000000000Z", "last_seen": "...",
             "first_seen_ns": 1795..., "last_seen_ns": 1795...},
            ...]}

    Values are ordered by count (descending), then value, exactly like the aggregate pages.
    Values are the exact alert text; serialise with :func:`json_bytes` (ASCII-only JSON, so
    control characters and lone surrogates are escapes, never raw bytes).
    """
    if key not in df.columns:
        raise ValueError(f"unknown column {key!r}")
    table = overview(df, key)
    values: list[dict[str, Any]] = []
    for record in table.to_dict("records"):
        first_ns, last_ns = int(record["first_ns"]), int(record["last_ns"])
        values.append(
            {
                "value": str(record[key]),
                "count": int(record["alerts"]),
                "by_priority": {
                    label: int(record[label]) for label in PRIORITY_COLUMNS if int(record[label])
                },
                "first_seen": str(iso_ns(np.array([first_ns]))[0]),
                "last_seen": str(iso_ns(np.array([last_ns]))[0]),
                "first_seen_ns": first_ns,
                "last_seen_ns": last_ns,
            }
        )
    return {"key": key, "alerts": len(df), "values": values}


def json_bytes(value: Any) -> bytes:
    """Deterministic, ASCII-only, newline-terminated JSON for files other tools read."""
    return (json.dumps(value, ensure_ascii=True, indent=1) + "\n").encode("ascii")
