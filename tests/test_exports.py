"""CSV/Parquet exports and JSON summaries: read back to the same numbers, spreadsheet-safe, stable."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from generator.archive.catalog import SCHEMA
from generator.files import DocsWriter
from generator.pages import exports

T0 = 1_795_000_000_123_456_789  # 2026-11-18T11:06:40.123456789Z
RISKY = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "'quoted"]


def catalog(n: int = 300, seed: int = 5) -> pd.DataFrame:
    """A catalog frame with the real schema, including the raw column the exports must drop."""
    rng = np.random.default_rng(seed)
    rules = ["Terminal shell in container", "Write below etc", *RISKY, "multi\nline\r\nrule, with comma"]
    df = pd.DataFrame(
        {
            "id": [f"{i:016x}" for i in range(n)],
            "time_ns": (T0 + rng.integers(0, 9 * 86_400 * 10**9, n)).astype("int64"),
            "rule": rng.choice(rules, n),
            "priority": rng.choice([0, 2, 4, 5, 7], n).astype("int8"),
            "host": rng.choice(["node-1", "node-2", "=evil-host"], n),
            "source": "syscall",
            "tags": rng.choice(["container\x1fshell", "", "mitre_execution"], n),
            "proc_name": "bash",
            "cmdline": rng.choice(["bash -i", "-c 'id'", 'sh -c "x"', ""], n),
            "image": "",
            "namespace": "default",
            "pod": "",
            "container_id": "",
            "user": "root",
            "page": "alerts/2026/11/18/x.md",
            "origin": "alerts.jsonl:1",
            "raw": "{}",
        }
    )
    for name in SCHEMA.names:  # columns the catalog gained since this test was written
        if name not in df:
            df[name] = "g"
    return df[SCHEMA.names]


def write_csv(df: pd.DataFrame, path: Path) -> bool:
    """The CSV export written as the build writes it: through the guarded docs writer."""
    return DocsWriter(path.parent).write(path.name, exports.csv_bytes(df))


def write_parquet(df: pd.DataFrame, path: Path) -> bool:
    return DocsWriter(path.parent).write(path.name, exports.parquet_bytes(df))


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def undo_prefix(value: str) -> str:
    """The documented way back to the original value."""
    return value[1:] if value.startswith("'") else value


def test_csv_reads_back_to_the_same_counts(tmp_path: Path) -> None:
    df = catalog()
    path = tmp_path / "out" / "alerts.csv"
    assert write_csv(df, path) is True
    back = read_csv(path)
    assert list(back.columns) == exports.EXPORT_COLUMNS
    assert "raw" not in back.columns
    assert len(back) == len(df)
    rules = back["rule"].map(undo_prefix)
    assert rules.value_counts().to_dict() == df["rule"].value_counts().to_dict()
    hosts = back["host"].map(undo_prefix)
    assert hosts.value_counts().to_dict() == df["host"].value_counts().to_dict()
    labels = back["priority"].value_counts().to_dict()
    expected = df["priority"].map({0: "Emergency", 2: "Critical", 4: "Warning", 5: "Notice", 7: "Debug"})
    assert labels == expected.value_counts().to_dict()
    ordered = df.sort_values(["time_ns", "id"])
    assert back["priority_value"].astype(int).tolist() == ordered["priority"].astype(int).tolist()
    assert back["id"].tolist() == ordered["id"].tolist()
    assert back["time_ns"].astype("int64").is_monotonic_increasing


def test_time_is_iso_utc_with_nanoseconds_and_matches_time_ns(tmp_path: Path) -> None:
    path = tmp_path / "alerts.csv"
    write_csv(catalog(50), path)
    back = read_csv(path)
    for iso, ns in zip(back["time"], back["time_ns"].astype("int64"), strict=True):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", iso)
        assert pd.Timestamp(iso).value == ns
    assert exports.iso_ns(np.array([T0]))[0] == "2026-11-18T11:06:40.123456789Z"


def test_csv_defuses_formulas_reversibly(tmp_path: Path) -> None:
    rows = len(RISKY)
    df = catalog(rows).assign(rule=RISKY, cmdline=RISKY, tags=["a\x1fb"] * rows, host="node")
    path = tmp_path / "alerts.csv"
    write_csv(df, path)
    back = read_csv(path)
    original = exports.export_frame(df)
    for column in ("rule", "cmdline"):
        assert all(cell.startswith("'") for cell in back[column]), column
        assert back[column].map(undo_prefix).tolist() == original[column].tolist()
    assert back["host"].tolist() == ["node"] * rows  # harmless cells are untouched
    assert back["tags"].tolist() == ["a,b"] * rows
    # No cell of the file starts with a formula trigger.
    for column in back.columns:
        assert not back[column].str.match(r"[=+\-@\t\r]").any(), column


def test_csv_keeps_line_breaks_inside_values(tmp_path: Path) -> None:
    rule = "multi\nline\r\nrule, with comma and CR\ronly"
    df = catalog(3).assign(rule=rule)
    path = tmp_path / "alerts.csv"
    write_csv(df, path)
    assert read_csv(path)["rule"].tolist() == [rule] * 3
    assert path.read_bytes().count(b"\r\n") >= 4  # RFC 4180 line ends


def test_parquet_reads_back_unmodified(tmp_path: Path) -> None:
    df = catalog()
    path = tmp_path / "alerts.parquet"
    assert write_parquet(df, path) is True
    table = pq.read_table(path)
    assert table.schema.names == exports.EXPORT_COLUMNS
    assert table.schema.field("time_ns").type == pa.int64()
    assert table.schema.field("priority_value").type == pa.int8()
    back = table.to_pandas()
    assert back["rule"].value_counts().to_dict() == df["rule"].value_counts().to_dict()  # no ' prefix
    assert sorted(back["time_ns"].tolist()) == sorted(df["time_ns"].tolist())
    assert (back["priority_value"].astype(int).groupby(back["host"]).size().to_dict()) == (
        df.groupby("host").size().to_dict()
    )
    assert set(back["tags"]) == {"container,shell", "", "mitre_execution"}


def test_exports_are_deterministic_and_skip_unchanged_files(tmp_path: Path) -> None:
    df = catalog()
    shuffled = df.sample(frac=1.0, random_state=1)
    assert exports.csv_bytes(df) == exports.csv_bytes(shuffled)
    assert exports.parquet_bytes(df) == exports.parquet_bytes(shuffled)
    csv_path, pq_path = tmp_path / "a.csv", tmp_path / "a.parquet"
    write_csv(df, csv_path)
    write_parquet(df, pq_path)
    os.utime(csv_path, ns=(1, 1))
    os.utime(pq_path, ns=(1, 1))
    assert write_csv(shuffled, csv_path) is False
    assert write_parquet(shuffled, pq_path) is False
    assert csv_path.stat().st_mtime_ns == 1 and pq_path.stat().st_mtime_ns == 1
    assert write_csv(df.iloc[1:], csv_path) is True
    assert not list(tmp_path.glob(".*.tmp"))


def test_lone_surrogates_do_not_break_exports(tmp_path: Path) -> None:
    df = catalog(2)
    df["rule"] = pd.Series(["bad \ud800 rule", "ok"], dtype=object)
    write_csv(df, tmp_path / "a.csv")
    write_parquet(df, tmp_path / "a.parquet")
    assert "bad \\ud800 rule" in set(read_csv(tmp_path / "a.csv")["rule"])
    assert "bad \\ud800 rule" in set(pq.read_table(tmp_path / "a.parquet").column("rule").to_pylist())


def test_summary_json_per_rule_and_host() -> None:
    df = catalog()
    for key in ("rule", "host"):
        summary = exports.summary_json(df, key)
        assert summary["key"] == key and summary["alerts"] == len(df)
        values = summary["values"]
        counts = df[key].value_counts().to_dict()
        assert {v["value"]: v["count"] for v in values} == counts
        assert [v["count"] for v in values] == sorted(counts.values(), reverse=True)
        for v in values:
            group = df[df[key] == v["value"]]
            assert sum(v["by_priority"].values()) == v["count"]
            assert v["first_seen_ns"] == int(group["time_ns"].min())
            assert v["last_seen_ns"] == int(group["time_ns"].max())
            assert pd.Timestamp(v["last_seen"]).value == v["last_seen_ns"]
        ties = [(-v["count"], v["value"]) for v in values]
        assert ties == sorted(ties)
        data = exports.json_bytes(summary)
        assert data.isascii() and data.endswith(b"\n")
        assert json.load(io.BytesIO(data)) == summary
        assert exports.json_bytes(exports.summary_json(df.sample(frac=1.0, random_state=2), key)) == data


def test_summary_json_rejects_unknown_columns() -> None:
    with pytest.raises(ValueError):
        exports.summary_json(catalog(3), "nope")


def test_empty_catalog(tmp_path: Path) -> None:
    df = catalog(0)
    write_csv(df, tmp_path / "a.csv")
    write_parquet(df, tmp_path / "a.parquet")
    assert list(read_csv(tmp_path / "a.csv").columns) == exports.EXPORT_COLUMNS
    assert pq.read_table(tmp_path / "a.parquet").num_rows == 0
    assert exports.summary_json(df, "rule") == {"key": "rule", "alerts": 0, "values": []}
