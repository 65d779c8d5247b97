"""Which pages the site has and what each one shows: aggregates, dashboard, build report.

Alert pages are rendered in ``build.py`` (only the new or changed ones); everything here is
recomputed from the compact catalog on every build, which is cheap (one page per rule, host
and priority plus their paginated listings) and keeps every count exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import aggregate
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
    items = aggregate.top_values(df, column, limit).to_dict("records")
    target = _LINKED.get(column)
    for it in items:
        it["href"] = md_link(from_page, target(it["value"])) if target else None
    return items


def aggregate_pages(df: pd.DataFrame, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """(docs path, Markdown) for every index, group and listing page."""
    for dim in DIMENSIONS:
        yield from _dimension_pages(df, dim, renderer)


def _dimension_pages(df: pd.DataFrame, dim: Dimension, renderer: Renderer) -> Iterator[tuple[str, str]]:
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
    for value, group in df.groupby(dim.key, sort=True):
        page = dim.page(value)
        folder = page.removesuffix("index.md")
        chunks = aggregate.pages_of(group, PAGE_SIZE)
        pages = [
            {"number": i + 1, "href": md_link(page, f"{folder}page-{i + 1}.md")} for i in range(len(chunks))
        ]
        by_priority = group["priority"].value_counts().sort_index()
        stats = {"alerts": len(group), "first_ns": group["time_ns"].min(), "last_ns": group["time_ns"].max()}
        breakdowns = [
            (title, label, _top(group, column, page)) for title, label, column in BREAKDOWNS[dim.key]
        ]
        yield (
            page,
            renderer.page(
                "group.md.j2",
                kind=dim.kind,
                name=dim.name(value),
                stats=stats,
                badge=int(value) if dim.key == "priority" else None,
                by_priority=[(Priority(int(p)).label, n) for p, n in by_priority.items()]
                if dim.key != "priority"
                else [],
                breakdowns=breakdowns,
                latest=rows(aggregate.newest_first(group).head(PAGE_SIZE), page),
                pages=pages,
                show_rule=dim.key != "rule",
                show_host=dim.key != "host",
            ),
        )
        if len(chunks) > 1:
            for number, chunk in enumerate(chunks, start=1):
                listing = f"{folder}page-{number}.md"
                listing_pages = [
                    {"number": p["number"], "href": md_link(listing, f"{folder}page-{p['number']}.md")}
                    for p in pages
                ]
                yield (
                    listing,
                    renderer.page(
                        "listing.md.j2",
                        kind=dim.kind,
                        name=dim.name(value),
                        number=number,
                        pages=listing_pages,
                        back=md_link(listing, page),
                        rows=rows(chunk, listing),
                        show_rule=dim.key != "rule",
                        show_host=dim.key != "host",
                    ),
                )


def dashboard(df: pd.DataFrame, renderer: Renderer) -> str:
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
    )
