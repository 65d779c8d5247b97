"""The archive's memory between builds: the one owner of the state folder.

A nightly job keeps the state folder (default ``.falco-archive/``) in its CI cache. With it, a
build reads only new or changed input files and renders only what changed; without it (or when
the fingerprint of code, templates, theme, config or redaction rules changed) the build starts
over. No other module knows a path inside it: stages are handed the folder they own.

Layout::

    state.json                format version, fingerprint, build number, whether the last
                              build completed and whether its pages were published
    inputs.json               every input file read: size, mtime, sha256
    catalog/YYYY-MM.parquet   one row per alert of that month (compact columns + redacted raw JSON)
    links.parquet             per alert, the neighbours its page links to (prev/next of rule+host)
    news/<n>.json             the record of build n (:class:`~generator.archive.news.BuildNews`);
                              kept across full rebuilds
    charts/<key>.svg          charts keyed by the numbers they show (:mod:`generator.pages.chart_cache`)
    search/                   the search indexer's own folder (:mod:`generator.publish.search`):
                              ``pending.json`` shards still to index, ``times/`` alert times of
                              over-full days, ``last-run.json`` its last report
    render-started            present while a build is writing pages: a run killed mid-way
                              makes the next one render every aggregate page

Each file is replaced atomically (:func:`generator.files.atomic_write`); the state is committed
last, after the site is published, so a build killed at any moment leaves a state that the next
build can continue from.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from generator.archive.catalog import COMPACT_COLUMNS, SCHEMA, empty_frame, month_of
from generator.archive.news import BuildNews
from generator.files import atomic_write

FORMAT_VERSION = 1


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


class State:
    """The state folder: read at the start of a build, committed at its very end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.catalog_dir = root / "catalog"
        #: Folders other stages own inside the state (they are handed the folder, not the root).
        self.charts_dir = root / "charts"
        self.news_dir = root / "news"
        self.search_dir = root / "search"
        self._render_marker = root / "render-started"

    # -- small JSON documents -------------------------------------------------------------
    def _read_json(self, name: str) -> dict[str, Any]:
        try:
            data = json.loads((self.root / name).read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def meta(self) -> dict[str, Any]:
        return self._read_json("state.json")

    def inputs(self) -> dict[str, dict[str, Any]]:
        return self._read_json("inputs.json")

    def usable_for(self, fingerprint: str) -> bool:
        """True when an incremental build may trust this state."""
        meta = self.meta()
        return (
            meta.get("format") == FORMAT_VERSION
            and meta.get("fingerprint") == fingerprint
            and meta.get("complete") is True
        )

    def mark_incomplete(self) -> None:
        """Written before a full rebuild touches anything: a kill leaves 'start over' behind."""
        meta = self.meta()
        meta["complete"] = False
        atomic_write(self.root / "state.json", json.dumps(meta, sort_keys=True).encode())

    def reset(self) -> None:
        """Forget the archive (a full rebuild), keeping the build history and cached charts."""
        self.mark_incomplete()
        shutil.rmtree(self.catalog_dir, ignore_errors=True)
        for name in ("inputs.json", "links.parquet"):
            (self.root / name).unlink(missing_ok=True)

    # -- the render marker ----------------------------------------------------------------
    def render_was_interrupted(self) -> bool:
        """A run started writing pages and never committed: pages may be out of step."""
        return self._render_marker.exists()

    def mark_render_started(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._render_marker.touch()

    def _clear_render_marker(self) -> None:
        self._render_marker.unlink(missing_ok=True)

    # -- catalog --------------------------------------------------------------------------
    def months(self) -> list[str]:
        if not self.catalog_dir.is_dir():
            return []
        return sorted(p.stem for p in self.catalog_dir.glob("*.parquet"))

    def read_month(self, month: str, columns: list[str] | None = None) -> pd.DataFrame:
        path = self.catalog_dir / f"{month}.parquet"
        if not path.exists():
            frame = empty_frame()
            return frame[columns] if columns else frame
        return pq.read_table(path, columns=columns).to_pandas()

    def read_compact(self) -> pd.DataFrame:
        """Every alert of the archive without its raw JSON: what aggregates are computed from."""
        frames = [self.read_month(m, COMPACT_COLUMNS) for m in self.months()]
        if not frames:
            return empty_frame()[COMPACT_COLUMNS]
        return pd.concat(frames, ignore_index=True)

    def read_raw(self, ids_by_month: Mapping[str, Iterable[str]]) -> dict[str, str]:
        """Raw JSON of some archived alerts (to re-render a page whose neighbours changed)."""
        out: dict[str, str] = {}
        for month, ids in ids_by_month.items():
            wanted = set(ids)
            frame = self.read_month(month, ["id", "raw"])
            frame = frame[frame["id"].isin(wanted)]
            out.update(zip(frame["id"], frame["raw"], strict=True))
        return out

    def read_links(self) -> pd.DataFrame:
        path = self.root / "links.parquet"
        if not path.exists():
            return pd.DataFrame({"id": [], "prev_id": [], "next_id": []}, dtype="string")
        return pq.read_table(path).to_pandas()

    # -- build history --------------------------------------------------------------------
    def news_history(self) -> list[BuildNews]:
        """Every build's record, oldest first (unreadable records are passed over)."""
        history = []
        files = self.news_dir.glob("*.json")
        for path in sorted(files, key=lambda p: int(p.stem) if p.stem.isdigit() else -1):
            try:
                history.append(BuildNews(**json.loads(path.read_text("utf-8"))))
            except (ValueError, TypeError):
                continue
        return history

    # -- commit ---------------------------------------------------------------------------
    def commit(
        self,
        *,
        new_rows: pd.DataFrame,
        removed_ids: set[str],
        links: pd.DataFrame,
        inputs: dict[str, dict[str, Any]],
        news: BuildNews | None,
        meta: dict[str, Any],
    ) -> None:
        """Merge this build's alerts into the catalog and record what was read. Last step."""
        if news is not None:
            atomic_write(self.news_dir / f"{news.number}.json", json.dumps(asdict(news), sort_keys=True))
        months = set(month_of(new_rows["time_ns"])) if len(new_rows) else set()
        if removed_ids:
            months |= set(self.months())
        for month in sorted(months):
            old = self.read_month(month)
            add = new_rows[month_of(new_rows["time_ns"]) == month] if len(new_rows) else new_rows
            merged = pd.concat([old, add], ignore_index=True) if len(add) else old
            if removed_ids:
                merged = merged[~merged["id"].isin(removed_ids)]
            merged = merged.drop_duplicates("id").sort_values(["time_ns", "id"], kind="stable")
            path = self.catalog_dir / f"{month}.parquet"
            if merged.empty:
                path.unlink(missing_ok=True)
                continue
            table = pa.Table.from_pandas(merged[SCHEMA.names], schema=SCHEMA, preserve_index=False)
            atomic_write(path, _parquet_bytes(table))
        links_table = pa.Table.from_pandas(links[["id", "prev_id", "next_id"]], preserve_index=False)
        atomic_write(self.root / "links.parquet", _parquet_bytes(links_table))
        atomic_write(self.root / "inputs.json", json.dumps(inputs, sort_keys=True, indent=0).encode())
        meta = {**meta, "format": FORMAT_VERSION, "complete": True}
        atomic_write(self.root / "state.json", json.dumps(meta, sort_keys=True, indent=1).encode())
        self._clear_render_marker()
