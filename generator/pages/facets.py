"""The search page's filter data (issue 13): the known filter values and a per-month facet index.

Full-text search is Pagefind's (:mod:`generator.publish.search`), but a listing by filters
alone ("Critical on node-02 last week") has no text to search, and a text-less Pagefind query
downloads every index chunk. So the build also writes, from the catalog:

* ``search/known.json``: every rule, host, source and tag in the archive (sorted), the
  priorities, and the months that hold alerts with their counts. The search form offers these
  values and matches a typed filter to them in any case. Small, and rewritten by every build.
* ``search/facets/YYYY-MM.json``: one row per alert of the month, columnar, oldest first: time
  (seconds since the previous alert, so the numbers stay short), and priority, rule, host,
  source and tag set as small ints into tables of the file's own. The browser fetches only the
  months of the date range asked for and filters them itself.
* ``search/facets/YYYY-MM/<k>.json``: the IDs of rows ``k * ID_CHUNK`` onwards. IDs are random
  (8 to 16 bytes each, whatever the compression): they would be most of a month's bytes, and a
  listing needs only the IDs of the alerts it shows, so it fetches just their chunks. A UUID ID
  is written without its four dashes (32 hex digits: no other ID has that length).

Why each month has its own tables rather than indexes into ``known.json``: a new rule or host
would shift a global sorted table and so rewrite every month's file; with the month's own
tables a nightly build rewrites only the months that got (or lost) alerts, and a full build
writes the same bytes as any sequence of incremental ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pandas as pd

from generator.archive.catalog import TAG_SEPARATOR, month_of
from generator.read.models import Priority
from generator.urls import SEARCH_KNOWN, facet_ids, facet_month

FORMAT = 1
#: IDs per ID chunk: a listing's page of 20 alerts fetches at most 20 chunks of ~8 KB (gzip).
ID_CHUNK = 500
_NS = 1_000_000_000
PRIORITY_LABELS = [p.label for p in Priority]


def _json(value: Any) -> bytes:
    """Compact, ASCII-only JSON: alert text (lone surrogates included) only ever as escapes."""
    return (json.dumps(value, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


def _tags(value: object) -> list[str]:
    return [t for t in str(value or "").split(TAG_SEPARATOR) if t]


def known_values(catalog: pd.DataFrame) -> bytes:
    """``search/known.json``: the values each filter can take, and the months with alerts."""
    months = month_of(catalog["time_ns"]).value_counts() if len(catalog) else pd.Series(dtype=int)
    tags: set[str] = set()
    for value in catalog["tags"].dropna().unique():
        tags.update(_tags(value))

    def names(column: str) -> list[str]:
        return sorted({str(v) for v in catalog[column].dropna().unique()})

    return _json(
        {
            "format": FORMAT,
            "priorities": PRIORITY_LABELS,
            "rules": names("rule"),
            "hosts": names("host"),
            "sources": names("source"),
            "tags": sorted(tags),
            "months": {str(m): int(n) for m, n in sorted(months.items())},
        }
    )


def month_facets(month: str, rows: pd.DataFrame) -> tuple[bytes, list[bytes]]:
    """One month's facet file and its ID chunks, from its catalog rows (any order; written
    oldest first)."""
    rows = rows.sort_values(["time_ns", "id"], kind="stable")
    tables: dict[str, dict[str, int]] = {"rules": {}, "hosts": {}, "sources": {}}

    def index(table: str, value: object) -> int:
        return tables[table].setdefault(str(value if value is not None else ""), len(tables[table]))

    tagsets: dict[tuple[str, ...], int] = {}
    ids: list[str] = []
    deltas: list[int] = []
    prio: list[int] = []
    rule: list[int] = []
    host: list[int] = []
    source: list[int] = []
    tagset: list[int] = []
    start = int(pd.Timestamp(f"{month}-01", tz="UTC").value // _NS)
    previous = start
    for r in rows[["id", "time_ns", "priority", "rule", "host", "source", "tags"]].itertuples(index=False):
        seconds = int(r.time_ns) // _NS
        ids.append(str(r.id).replace("-", ""))  # a UUID without its dashes; the page puts them back
        deltas.append(seconds - previous)
        previous = seconds
        prio.append(int(r.priority))
        rule.append(index("rules", r.rule))
        host.append(index("hosts", r.host))
        source.append(index("sources", r.source))
        tagset.append(tagsets.setdefault(tuple(_tags(r.tags)), len(tagsets)))
    return _json(
        {
            "format": FORMAT,
            "month": month,
            "start": start,
            "priorities": PRIORITY_LABELS,
            **{name: list(table) for name, table in tables.items()},
            "tagsets": [list(t) for t in tagsets],
            "count": len(ids),
            "id_chunk": ID_CHUNK,
            "dt": deltas,
            "p": prio,
            "r": rule,
            "h": host,
            "s": source,
            "g": tagset,
        }
    ), [_json(ids[k : k + ID_CHUNK]) for k in range(0, len(ids), ID_CHUNK)]


def changed_months(*frames: pd.DataFrame) -> set[str]:
    """Months of the alerts in ``frames`` (this run's new and removed alerts)."""
    months: set[str] = set()
    for frame in frames:
        if len(frame):
            months.update(str(m) for m in month_of(frame["time_ns"]).unique())
    return months


def facet_files(
    catalog: pd.DataFrame, months: Iterable[str], chunks_before: Callable[[str], int] = lambda _m: 0
) -> Iterator[tuple[str, bytes | None]]:
    """(docs path, bytes) of the facet file and ID chunks of each of ``months``.

    ``None`` instead of bytes: a file to remove, because retention emptied its month (or left
    the month fewer chunks; ``chunks_before(month)`` is how many it had), so a nightly build
    ends with the files of a full build and no removed alert's data is left behind.
    """
    wanted = sorted(set(months))
    if not wanted:
        return
    by_month = month_of(catalog["time_ns"]) if len(catalog) else pd.Series(dtype=str)
    for month in wanted:
        rows = catalog[by_month == month]
        facets, chunks = month_facets(month, rows)
        yield facet_month(month), facets if len(rows) else None
        for k in range(max(len(chunks), chunks_before(month))):
            yield facet_ids(month, k), chunks[k] if k < len(chunks) else None


def known_file(catalog: pd.DataFrame) -> tuple[str, bytes]:
    return SEARCH_KNOWN, known_values(catalog)
