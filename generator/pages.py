"""Which pages the site has and what each one shows: aggregates, dashboard, build report.

Alert pages are rendered in ``build.py`` (only the new or changed ones); everything here is
recomputed from the compact catalog on every build, which is cheap (one page per rule, host
and priority plus their paginated listings) and keeps every count exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import aggregate
from .chart_cache import ChartCache
from .models import Priority
from .paths import md_link
from .render import PAGE_SIZE, Renderer, host_page, priority_page, rows, rule_page

PRIORITIES = aggregate.PRIORITY_COLUMNS


@dataclass(frozen=True)
class Dimension:
    """A way of grouping alerts that gets an index page and one page per value."""

    key: str
    kind: str
    title: str
    index: str
    page: Callable[[Any], str]
    name: Callable[[Any], str]


DIMENSIONS = (
    Dimension("rule", "Rule", "Rules", "rules/index.md", rule_page, str),
    Dimension("host", "Host", "Hosts", "hosts/index.md", host_page, str),
    Dimension(
        "priority",
        "Priority",
        "Priorities",
        "priorities/index.md",
        lambda p: priority_page(Priority(int(p))),
        lambda p: Priority(int(p)).label,
    ),
)

#: For each dimension, the breakdown tables its pages show: (title, column label, catalog column).
BREAKDOWNS: dict[str, list[tuple[str, str, str]]] = {
    "rule": [
        ("Top hosts", "Host", "host"),
        ("Top process names", "Process", "proc_name"),
        ("Top container images", "Image", "image"),
    ],
    "host": [
        ("Top rules", "Rule", "rule"),
        ("Top process names", "Process", "proc_name"),
        ("Top container images", "Image", "image"),
    ],
    "priority": [("Top rules", "Rule", "rule"), ("Top hosts", "Host", "host")],
}
_LINKED = {"rule": rule_page, "host": host_page}


def _top(df: pd.DataFrame, column: str, from_page: str, limit: int = 10) -> list[dict[str, Any]]:
    return _linked(aggregate.top_values(df, column, limit), column, from_page)


def _linked(table: pd.DataFrame | None, column: str, from_page: str) -> list[dict[str, Any]]:
    items = [] if table is None else table.to_dict("records")
    target = _LINKED.get(column)
    for it in items:
        it["href"] = md_link(from_page, target(it["value"])) if target else None
    return items


def aggregate_pages(
    df: pd.DataFrame, renderer: Renderer, charts: ChartCache, rules: Mapping[str, Any] | None = None
) -> Iterator[tuple[str, str]]:
    """(docs path, Markdown) for every index, group and listing page."""
    for dim in DIMENSIONS:
        yield from _dimension_pages(df, dim, renderer, charts, rules or {})


def _dimension_pages(
    df: pd.DataFrame, dim: Dimension, renderer: Renderer, charts: ChartCache, rules: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    table = aggregate.overview(df, dim.key)
    if dim.key == "priority":
        table = table.sort_values(dim.key, kind="stable")
    items = []
    for rec in table.to_dict("records"):
        value = rec[dim.key]
        items.append({**rec, "name": dim.name(value), "href": md_link(dim.index, dim.page(value))})
    yield (
        dim.index,
        renderer.page(
            "overview.md.j2",
            title=dim.title,
            label=dim.kind,
            items=items,
            priorities=PRIORITIES,
            intro=f"{len(items):,} {dim.title.lower()} with alerts in the archive.",
        ),
    )
    tops = {column: aggregate.top_values_by(df, dim.key, column) for _t, _l, column in BREAKDOWNS[dim.key]}
    group_table = aggregate.groups(df)
    groups_by = {k: g for k, g in group_table.groupby(dim.key, sort=False)} if dim.key != "priority" else {}
    show = {"show_rule": dim.key != "rule", "show_host": dim.key != "host"}
    for value, alerts in df.groupby(dim.key, sort=True):
        page = dim.page(value)
        folder = page.removesuffix("index.md")
        by_priority = alerts["priority"].value_counts().sort_index()
        yield (
            page,
            renderer.page(
                "group.md.j2",
                kind=dim.kind,
                name=dim.name(value),
                stats=_stats(alerts),
                chart=charts.daily(alerts, f"Alerts per day: {dim.name(value)}"),
                info=rules.get(value) if dim.key == "rule" else None,
                badge=int(value) if dim.key == "priority" else None,
                by_priority=[(Priority(int(p)).label, n) for p, n in by_priority.items()]
                if dim.key != "priority"
                else [],
                breakdowns=[
                    (title, label, _linked(tops[column].get(value), column, page))
                    for title, label, column in BREAKDOWNS[dim.key]
                ],
                groups=_group_rows(groups_by.get(value), page),
                latest=rows(aggregate.newest_first(alerts).head(PAGE_SIZE), page),
                pages=_page_links(page, folder, len(alerts)),
                **show,
            ),
        )
        yield from _listings(alerts, page, folder, dim.kind, dim.name(value), renderer, **show)


def _stats(alerts: pd.DataFrame) -> dict[str, int]:
    return {
        "alerts": len(alerts),
        "first_ns": int(alerts["time_ns"].min()),
        "last_ns": int(alerts["time_ns"].max()),
    }


def _page_links(from_page: str, folder: str, count: int) -> list[dict[str, Any]]:
    pages = -(-count // PAGE_SIZE)
    return [{"number": n, "href": md_link(from_page, f"{folder}page-{n}.md")} for n in range(1, pages + 1)]


def _listings(
    alerts: pd.DataFrame, page: str, folder: str, kind: str, name: str, renderer: Renderer, **show: bool
) -> Iterator[tuple[str, str]]:
    """The numbered pages of all alerts of one rule/host/priority/group (only when > 1 page)."""
    chunks = aggregate.pages_of(alerts, PAGE_SIZE)
    if len(chunks) <= 1:
        return
    for number, chunk in enumerate(chunks, start=1):
        listing = f"{folder}page-{number}.md"
        yield (
            listing,
            renderer.page(
                "listing.md.j2",
                kind=kind,
                name=name,
                number=number,
                pages=_page_links(listing, folder, len(alerts)),
                back=md_link(listing, page),
                rows=rows(chunk, listing),
                **show,
            ),
        )


def _news_summary(df: pd.DataFrame, latest: Any, page: str) -> dict[str, Any] | None:
    if latest is None:
        return None
    present = df[df["id"].isin(latest.ids)]
    counts = present["priority"].value_counts()
    return {
        "number": latest.number,
        "href": md_link(page, f"news/{latest.number}.md"),
        "alerts": len(present),
        "by_priority": [(int(p), int(counts[int(p)])) for p in Priority if int(p) in counts.index],
        "new_rules": len(latest.new_rules),
        "new_hosts": len(latest.new_hosts),
    }


def group_page(group_id: str) -> str:
    return f"groups/{group_id}/index.md"


def _group_rows(table: pd.DataFrame | None, from_page: str, limit: int = 100) -> list[dict[str, Any]]:
    """Groups newest first (a noisy rule is one row per distinct activity, not one per alert)."""
    if table is None or table.empty:
        return []
    top = table.sort_values(["last_ns", "group"], ascending=[False, True], kind="stable").head(limit)
    out = []
    for rec in top.to_dict("records"):
        target = group_page(rec["group"]) if rec["alerts"] > 1 else rec["page"]
        what = rec["cmdline"] or rec["proc_name"] or rec["user"] or ""
        out.append({**rec, "href": md_link(from_page, target), "what": what[:120]})
    return out


def group_pages(df: pd.DataFrame, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """One page per group of repeated alerts (two or more occurrences)."""
    table = aggregate.groups(df)
    repeated = table[table["alerts"] > 1]
    if repeated.empty:
        return
    members = df[df["group"].isin(repeated["group"])]
    by_group = dict(tuple(members.groupby("group", sort=False)))
    for rec in repeated.to_dict("records"):
        page = group_page(rec["group"])
        folder = page.removesuffix("index.md")
        alerts = by_group[rec["group"]]
        yield (
            page,
            renderer.page(
                "repeated.md.j2",
                g=rec,
                rule_href=md_link(page, rule_page(rec["rule"])),
                host_href=md_link(page, host_page(rec["host"])),
                latest=rows(aggregate.newest_first(alerts).head(PAGE_SIZE), page),
                pages=_page_links(page, folder, len(alerts)),
            ),
        )
        yield from _listings(
            alerts,
            page,
            folder,
            "Group",
            f"Repeated: {rec['rule']}",
            renderer,
            show_rule=False,
            show_host=False,
        )


def dashboard(df: pd.DataFrame, renderer: Renderer, charts: ChartCache, latest_news: Any = None) -> str:
    page = "index.md"
    counts = df["priority"].value_counts() if len(df) else pd.Series(dtype="int64")
    by_priority = [
        {"priority": int(p), "alerts": int(counts.get(int(p), 0)), "href": md_link(page, priority_page(p))}
        for p in Priority
        if int(counts.get(int(p), 0))
    ]
    totals = {
        "alerts": len(df),
        "hosts": df["host"].nunique(),
        "rules": df["rule"].nunique(),
        "first_ns": int(df["time_ns"].min()) if len(df) else 0,
        "last_ns": int(df["time_ns"].max()) if len(df) else 0,
    }
    urgent = aggregate.newest_first(df[df["priority"] <= int(Priority.ERROR)]).head(20)
    return renderer.page(
        "dashboard.md.j2",
        totals=totals,
        by_priority=by_priority,
        top_rules=_top(df, "rule", page),
        top_hosts=_top(df, "host", page),
        urgent=rows(urgent, page),
        news=_news_summary(df, latest_news, page),
        charts=[
            charts.daily(df, "Alerts per day"),
            charts.priorities(df, "Alerts by priority"),
            charts.top_rules(df, "Top rules"),
        ]
        if len(df)
        else [],
    )
