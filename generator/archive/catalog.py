"""The archive's memory between builds: what was read, and a compact catalog of every alert.

A nightly job keeps the state folder (default ``.falco-archive/``) in its CI cache. With it, a
build reads only new or changed input files and renders only what changed; without it (or when
the fingerprint of templates, theme, config or redaction rules changed) the build starts over.

Layout::

    state.json            format version, fingerprint, whether the last build completed
    inputs.json           every input file read: size, mtime, sha256
    catalog/YYYY-MM.parquet   one row per alert of that month (compact columns + redacted raw JSON)
    links.parquet         per alert, the neighbours its page links to (prev/next of rule+host)

Each file is replaced atomically (write to a temporary name, then ``os.replace``); the state
is committed last, after the site is published, so a build killed at any moment leaves a state
that the next build can continue from.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

FORMAT_VERSION = 1

#: Column -> Arrow type. ``raw`` is the redacted alert as canonical JSON (the page's source).
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("time_ns", pa.int64()),
        ("rule", pa.string()),
        ("priority", pa.int8()),
        ("host", pa.string()),
        ("source", pa.string()),
        ("tags", pa.string()),
        ("proc_name", pa.string()),
        ("cmdline", pa.string()),
        ("image", pa.string()),
        ("namespace", pa.string()),
        ("pod", pa.string()),
        ("container_id", pa.string()),
        ("user", pa.string()),
        ("page", pa.string()),
        ("group", pa.string()),
        ("origin", pa.string()),
        ("raw", pa.string()),
    ]
)
COMPACT_COLUMNS = [name for name in SCHEMA.names if name != "raw"]
TAG_SEPARATOR = "\x1f"


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _atomic_write_table(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def empty_frame() -> pd.DataFrame:
    return SCHEMA.empty_table().to_pandas()


def month_of(time_ns: pd.Series) -> pd.Series:
    return pd.to_datetime(time_ns, unit="ns", utc=True).dt.strftime("%Y-%m")


class State:
    """The state folder: read at the start of a build, committed at its very end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.catalog_dir = root / "catalog"

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
        _atomic_write_bytes(self.root / "state.json", json.dumps(meta, sort_keys=True).encode())

    def reset(self) -> None:
        self.mark_incomplete()
        shutil.rmtree(self.catalog_dir, ignore_errors=True)
        for name in ("inputs.json", "links.parquet"):
            (self.root / name).unlink(missing_ok=True)

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

    def read_raw(self, ids_by_month: dict[str, Iterable[str]]) -> dict[str, str]:
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

    # -- commit ---------------------------------------------------------------------------
    def commit(
        self,
        *,
        new_rows: pd.DataFrame,
        removed_ids: set[str],
        links: pd.DataFrame,
        inputs: dict[str, dict[str, Any]],
        meta: dict[str, Any],
    ) -> None:
        """Merge this build's alerts into the catalog and record what was read. Last step."""
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
            _atomic_write_table(path, table)
        _atomic_write_table(
            self.root / "links.parquet",
            pa.Table.from_pandas(links[["id", "prev_id", "next_id"]], preserve_index=False),
        )
        _atomic_write_bytes(self.root / "inputs.json", json.dumps(inputs, sort_keys=True, indent=0).encode())
        meta = {**meta, "format": FORMAT_VERSION, "complete": True}
        _atomic_write_bytes(self.root / "state.json", json.dumps(meta, sort_keys=True, indent=1).encode())
