"""The catalog: one compact row per archived alert, the table every aggregate is computed from.

Rows are written by :mod:`generator.archive.ingest` and stored month by month by
:class:`generator.archive.state.State`; ``raw`` (the redacted alert as canonical JSON) is the
source an alert page is rendered from and is read only for the pages a build renders.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

#: Column -> Arrow type. ``raw`` is the redacted alert as canonical JSON (the page's source).
#: ``received`` is when the build that first archived the alert started (ns since the epoch;
#: 0 for alerts archived before the column existed): "latest" lists and the feed never rank an
#: alert as newer than that, whatever time its sender wrote (``aggregate.latest_first``).
#: ``action`` and ``target`` say what a k8s audit or cloud alert did and to what (issue 13:
#: listings show it where a syscall alert shows its command), see ``ingest.action_and_target``;
#: empty for syscall alerts and for months written before the columns existed.
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
        ("action", pa.string()),
        ("target", pa.string()),
        ("page", pa.string()),
        ("group", pa.string()),
        ("origin", pa.string()),
        ("received", pa.int64()),
        ("raw", pa.string()),
    ]
)
COMPACT_COLUMNS = [name for name in SCHEMA.names if name != "raw"]
TAG_SEPARATOR = "\x1f"


def empty_frame() -> pd.DataFrame:
    return SCHEMA.empty_table().to_pandas()


def month_of(time_ns: pd.Series) -> pd.Series:
    return pd.to_datetime(time_ns, unit="ns", utc=True).dt.strftime("%Y-%m")
