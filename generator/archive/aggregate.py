"""Counts, first/last seen, breakdowns and neighbours, computed from the catalog.

Pure functions: a DataFrame in, DataFrames out, no I/O and no formatting, every sort explicit
with a tie-breaker so pages come out in the same order in every build. Everything here is
vectorised pandas over the compact catalog, so a nightly build's aggregate cost grows with the
number of alerts only through C loops, never a Python loop per alert.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from generator.read.models import Priority

PRIORITY_COLUMNS = [p.label for p in Priority]


def overview(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per distinct ``key`` value: alerts, counts per priority, first and last seen.

    Sorted by count (descending), then name, so equal counts keep a stable order.
    """
    if df.empty:
        return pd.DataFrame(columns=[key, "alerts", *PRIORITY_COLUMNS, "first_ns", "last_ns"])
    base = df.groupby(key, sort=False).agg(
        alerts=("id", "size"), first_ns=("time_ns", "min"), last_ns=("time_ns", "max")
    )
    by_priority = (
        pd.crosstab(df[key], df["priority"])
        .reindex(columns=range(len(PRIORITY_COLUMNS)), fill_value=0)
        .set_axis(PRIORITY_COLUMNS, axis=1)
    )
    out = base.join(by_priority).reset_index()
    return out.sort_values(["alerts", key], ascending=[False, True], kind="stable").reset_index(drop=True)


def top_values(df: pd.DataFrame, column: str, limit: int = 10) -> pd.DataFrame:
    """The most frequent non-empty values of a column: ``value``, ``alerts``, ``last_ns``."""
    present = df[df[column].notna() & (df[column] != "")]
    if present.empty:
        return pd.DataFrame(columns=["value", "alerts", "last_ns"])
    out = (
        present.groupby(column, sort=False)
        .agg(alerts=("id", "size"), last_ns=("time_ns", "max"))
        .reset_index()
        .rename(columns={column: "value"})
    )
    out = out.sort_values(["alerts", "value"], ascending=[False, True], kind="stable")
    return out.head(limit).reset_index(drop=True)


def top_values_by(df: pd.DataFrame, key: str, column: str, limit: int = 10) -> dict[Any, pd.DataFrame]:
    """:func:`top_values` for every value of ``key`` at once (one groupby, not one per group)."""
    present = df[df[column].notna() & (df[column] != "")]
    if present.empty:
        return {}
    counts = (
        present.groupby([key, column], sort=False)
        .agg(alerts=("id", "size"), last_ns=("time_ns", "max"))
        .reset_index()
        .rename(columns={column: "value"})
        .sort_values([key, "alerts", "value"], ascending=[True, False, True], kind="stable")
    )
    top = counts.groupby(key, sort=False).head(limit)
    return {
        k: g[["value", "alerts", "last_ns"]].reset_index(drop=True) for k, g in top.groupby(key, sort=False)
    }


def groups(df: pd.DataFrame) -> pd.DataFrame:
    """Repeated alerts: one row per group with its count, first/last seen and what it was.

    The descriptive columns come from the group's newest alert (all members share them by
    construction, see ``ingest.group_key``).
    """
    facts = [
        "rule",
        "host",
        "priority",
        "proc_name",
        "cmdline",
        "image",
        "user",
        "source",
        "action",
        "target",
        "page",
    ]
    columns = ["group", "alerts", "first_ns", "last_ns", *facts]
    if df.empty:
        return pd.DataFrame(columns=columns)
    ordered = newest_first(df)
    stats = ordered.groupby("group", sort=False).agg(
        alerts=("id", "size"), first_ns=("time_ns", "min"), last_ns=("time_ns", "max")
    )
    latest = ordered.drop_duplicates("group").set_index("group")[facts]
    out = stats.join(latest).reset_index()
    return out.sort_values(["alerts", "group"], ascending=[False, True], kind="stable")[columns].reset_index(
        drop=True
    )


def newest_first(df: pd.DataFrame) -> pd.DataFrame:
    """Alerts newest first; the ID breaks ties between alerts of the same nanosecond."""
    return df.sort_values(["time_ns", "id"], ascending=[False, False], kind="stable")


def latest_first(df: pd.DataFrame) -> pd.DataFrame:
    """The order of "latest" lists and the feed: newest first, but no alert newer than its arrival.

    An alert's time is whatever its sender wrote: sorted by time alone, alerts dated in the
    future (or a flood of them) would keep tonight's real alert out of every "latest" list and
    the feed. Each alert sorts by its own time capped at ``received`` (when the archive's build
    started that first archived it, the archive's own clock), then by its own time and ID. For
    every honest alert (dated before it arrived) that is plain time order, so a nightly archive
    and one full build of the same alerts list them alike.
    """
    if "received" not in df or df.empty:
        return newest_first(df)
    time_ns = df["time_ns"].to_numpy(dtype="int64")
    received = df["received"].to_numpy(dtype="int64")
    key = np.where(received > 0, np.minimum(time_ns, received), time_ns)  # 0: not recorded
    order = np.lexsort((df["id"].to_numpy(dtype=object), time_ns, key))[::-1]
    return df.iloc[order]


def oldest_first(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["time_ns", "id"], kind="stable")


def neighbours(df: pd.DataFrame) -> pd.DataFrame:
    """For each alert, the previous and next alert of the same rule on the same host."""
    if df.empty:
        return pd.DataFrame({"id": [], "prev_id": [], "next_id": []}, dtype="string")
    ordered = df[["id", "rule", "host", "time_ns"]].sort_values(
        ["rule", "host", "time_ns", "id"], kind="stable"
    )
    groups = ordered.groupby(["rule", "host"], sort=False)["id"]
    out = pd.DataFrame({"id": ordered["id"], "prev_id": groups.shift(1), "next_id": groups.shift(-1)})
    return out.astype("string").fillna("").reset_index(drop=True)
