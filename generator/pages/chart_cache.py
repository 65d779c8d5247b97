"""Charts for the aggregate pages, drawn only when their numbers change.

Every build re-renders the aggregate pages, but most rules and hosts get no new alerts on a
given night, and drawing a chart costs ~30 ms. So each chart is keyed by a hash of exactly the
numbers it shows (plus its kind and title), kept in the state folder, and reused as long as
that key stays the same. Charts no build referenced are removed at the end.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from generator.files import atomic_write
from generator.pages import charts
from generator.pages.escape import Markup
from generator.read.models import Priority
from generator.urls import DASHBOARD, priority_page, rule_page, search_link, url_link

log = logging.getLogger(__name__)

#: The daily chart covers this many days up to the newest alert of the page.
DAYS = 90
_DAY_NS = 86_400 * 1_000_000_000


#: A change to how charts are drawn must not reuse charts drawn the old way.
_CHARTS_CODE = hashlib.sha256(Path(charts.__file__).read_bytes()).digest()


#: Elements and attributes of the SVG matplotlib draws for us; anything else is not ours.
_SVG = "{http://www.w3.org/2000/svg}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_ELEMENTS = frozenset(
    _SVG + tag
    for tag in (  # noqa: SIM905 (a word list reads better than 17 quoted strings)
        "svg g a path text tspan use defs title desc style clipPath rect line polyline polygon circle ellipse"
    ).split()
)
_ATTRIBUTES = frozenset(
    (  # noqa: SIM905
        "id class style role aria-labelledby aria-label viewBox version width height x y x1 y1 x2 y2 "
        "cx cy r rx ry d points transform clip-path fill stroke stroke-width opacity font-size "
        "font-family text-anchor dominant-baseline"
    ).split()
)
#: Markup that never appears in our charts and could hide something from the checks below.
_NOT_OURS = re.compile(r"<!(?!--)|<!\[CDATA\[|<\?(?!xml )|<!--", re.IGNORECASE)
_ESCAPING_VALUE = re.compile(r"javascript:|data:|@import|expression\(|url\((?!#)", re.IGNORECASE)
#: A bar's link (``<a>`` only): page-relative, percent-encoded, no scheme, host or root path.
_BAR_LINK = re.compile(
    r"(?:\.\./)*[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*/(?:\?[A-Za-z0-9._~%&=-]*)?|\?[A-Za-z0-9._~%&=-]*"
)


def is_safe_chart(svg: str) -> bool:
    """True when ``svg`` is an SVG of only the elements and attributes our charts use.

    Cached charts are inlined into pages as raw HTML, so the cache is not trusted: no script,
    no event handler (``on*``), no foreign object, no link but to a fragment of the chart
    itself or, on a bar's ``<a>``, a page-relative URL of the site (``../../rules/x/``,
    ``search/?priority=Critical&from=...``: no scheme, no host, no root path),
    no DOCTYPE or entity (no XML bombs), no external ``url(...)`` in styles.
    """
    if _NOT_OURS.search(svg.split("?>", 1)[-1] if svg.startswith("<?xml ") else svg):
        return False
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError:
        return False
    if root.tag != _SVG + "svg":
        return False
    for element in root.iter():
        if element.tag not in _ELEMENTS:
            return False
        if element.tag == _SVG + "style" and _ESCAPING_VALUE.search(element.text or ""):
            return False
        for name, value in element.attrib.items():
            if name in (_XLINK_HREF, "href"):
                bar_link = element.tag == _SVG + "a" and _BAR_LINK.fullmatch(value)
                if not value.startswith("#") and not bar_link:
                    return False
            elif not (name in _ATTRIBUTES or name.startswith("data-")):
                return False
            if _ESCAPING_VALUE.search(value):
                return False
    return True


class ChartCache:
    def __init__(self, folder: Path, notes: list[str] | None = None) -> None:
        self.folder = folder
        self.used: set[str] = set()
        #: Where a cached chart that failed the check is reported (the build report's notes).
        self.notes = notes if notes is not None else []

    def _get(
        self,
        kind: str,
        title: str,
        numbers: pd.DataFrame | pd.Series,
        draw: Callable[[], str],
        caption: str = "",
        links: str = "",
    ) -> Markup:
        """The chart of ``numbers``: cached, or drawn now. ``links`` names where its bars link
        (the same numbers on another page link elsewhere, so they are another chart)."""
        key_text = f"{kind}\0{title}\0{links}\0"
        h = hashlib.sha256(_CHARTS_CODE + key_text.encode("utf-8", "surrogatepass"))
        h.update(pd.util.hash_pandas_object(numbers, index=True).to_numpy().tobytes())
        key = h.hexdigest()[:24]
        self.used.add(key)
        path = self.folder / f"{key}.svg"
        try:
            svg: str | None = path.read_text("utf-8")
        except (OSError, ValueError):
            svg = None
        if svg is None or not is_safe_chart(svg):
            # Missing, or not a chart we drew (garbage, or a cache someone tampered with: an
            # ``onload`` would run in every reader's browser): draw it again.
            if svg is not None:
                note = f"damaged state file {path} (not a chart of ours); drawn again"
                log.warning("%s", note)
                self.notes.append(note)
            svg = draw()
            atomic_write(path, svg)
        return charts.svg_for_markdown(svg, caption)

    def daily(
        self, df: pd.DataFrame, title: str, page: str = DASHBOARD, filters: Mapping[str, str] | None = None
    ) -> Markup:
        """Alerts per day (last :data:`DAYS` days up to the newest alert), stacked by priority;
        each bar segment links to the search for that priority and UTC day within ``filters``
        (the rule or host of ``page``)."""
        recent = df[df["time_ns"] > int(df["time_ns"].max()) - DAYS * _DAY_NS] if len(df) else df
        days = pd.to_datetime(recent["time_ns"], unit="ns", utc=True).dt.strftime("%Y-%m-%d")
        numbers = pd.crosstab(days, recent["priority"]) if len(recent) else pd.DataFrame()
        caption = f"{title}, UTC days {days.min()} to {days.max()}: " if len(recent) else f"{title}: "
        if len(recent) < len(df):
            caption += (
                f"{len(recent):,} of the {len(df):,} alerts, those of the last {DAYS} days up to "
                "the newest (older ones are in the tables)"
            )
        else:
            caption += f"all {len(df):,} {'alert' if len(df) == 1 else 'alerts'}"
        caption += "; a bar opens the search for its priority and day"
        fixed = dict(filters or {})

        def link(priority: str, day: str) -> str:
            return search_link(page, {**fixed, "priority": priority, "from": day, "to": day})

        return self._get(
            "daily",
            title,
            numbers,
            lambda: charts.daily_by_priority_svg(recent, title, link=link),
            caption,
            links=search_link(page, fixed),
        )

    def priorities(self, df: pd.DataFrame, title: str, page: str = DASHBOARD) -> Markup:
        """Alerts per priority; each bar links to its priority's page."""
        numbers = df["priority"].value_counts().sort_index()
        caption = f"{title}: all {len(df):,} alerts; a bar opens its priority's page"
        present = {
            Priority(int(p)).label: url_link(page, priority_page(Priority(int(p)))) for p in numbers.index
        }
        return self._get(
            "priorities",
            title,
            numbers,
            lambda: charts.priority_distribution_svg(df, title, links=present),
            caption,
            links=url_link(page, DASHBOARD),
        )

    def top_rules(self, df: pd.DataFrame, title: str, page: str = DASHBOARD) -> Markup:
        """The rules with the most alerts; each bar links to its rule's page."""
        numbers = df["rule"].value_counts().sort_index()
        caption = (
            f"{title}: the 10 rules with the most of all {len(df):,} alerts; a bar opens the rule's page"
        )
        top = numbers.sort_values(ascending=False, kind="stable").index[:50]
        links = {str(rule): url_link(page, rule_page(str(rule))) for rule in top}
        return self._get(
            "top-rules",
            title,
            numbers,
            lambda: charts.top_rules_svg(df, title, links=links),
            caption,
            links=url_link(page, DASHBOARD),
        )

    def prune(self) -> None:
        """Delete cached charts that this build did not use."""
        if not self.folder.is_dir():
            return
        for path in self.folder.glob("*.svg"):
            if path.stem not in self.used:
                path.unlink(missing_ok=True)
