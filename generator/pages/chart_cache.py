"""Charts for the aggregate pages, drawn only when their numbers change.

Every build re-renders the aggregate pages, but most rules and hosts get no new alerts on a
given night, and drawing a chart costs ~30 ms. So each chart is keyed by a hash of exactly the
numbers it shows (plus its kind and title), kept in the state folder, and reused as long as
that key stays the same. Charts no build referenced are removed at the end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from generator.files import atomic_write
from generator.pages import charts
from generator.pages.escape import Markup

#: The daily chart covers this many days up to the newest alert of the page.
DAYS = 90
_DAY_NS = 86_400 * 1_000_000_000


#: A change to how charts are drawn must not reuse charts drawn the old way.
_CHARTS_CODE = hashlib.sha256(Path(charts.__file__).read_bytes()).digest()


class ChartCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.used: set[str] = set()

    def _get(
        self, kind: str, title: str, numbers: pd.DataFrame | pd.Series, draw: Callable[[], str]
    ) -> Markup:
        h = hashlib.sha256(_CHARTS_CODE + f"{kind}\0{title}\0".encode("utf-8", "surrogatepass"))
        h.update(pd.util.hash_pandas_object(numbers, index=True).to_numpy().tobytes())
        key = h.hexdigest()[:24]
        self.used.add(key)
        path = self.folder / f"{key}.svg"
        try:
            svg = path.read_text("utf-8")
        except FileNotFoundError:
            svg = draw()
            atomic_write(path, svg)
        return charts.svg_for_markdown(svg)

    def daily(self, df: pd.DataFrame, title: str) -> Markup:
        """Alerts per day (last :data:`DAYS` days up to the newest alert), stacked by priority."""
        recent = df[df["time_ns"] > int(df["time_ns"].max()) - DAYS * _DAY_NS] if len(df) else df
        days = pd.to_datetime(recent["time_ns"], unit="ns", utc=True).dt.strftime("%Y-%m-%d")
        numbers = pd.crosstab(days, recent["priority"]) if len(recent) else pd.DataFrame()
        return self._get("daily", title, numbers, lambda: charts.daily_by_priority_svg(recent, title))

    def priorities(self, df: pd.DataFrame, title: str) -> Markup:
        numbers = df["priority"].value_counts().sort_index()
        return self._get("priorities", title, numbers, lambda: charts.priority_distribution_svg(df, title))

    def top_rules(self, df: pd.DataFrame, title: str) -> Markup:
        numbers = df["rule"].value_counts().sort_index()
        return self._get("top-rules", title, numbers, lambda: charts.top_rules_svg(df, title))

    def prune(self) -> None:
        """Delete cached charts that this build did not use."""
        if not self.folder.is_dir():
            return
        for path in self.folder.glob("*.svg"):
            if path.stem not in self.used:
                path.unlink(missing_ok=True)
