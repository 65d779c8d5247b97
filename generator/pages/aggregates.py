"""Which pages the site has and what each one shows: aggregates, dashboard, build report.

Alert pages are rendered in ``build.py`` (only the new or changed ones). The aggregate pages
here are computed from the compact catalog, but a nightly build renders only those whose
alerts changed (:class:`Changes`): a rule, host, priority or group page shows nothing but its
own alerts, so a value that got no new alert keeps its pages as they are, and a listing page
(numbered from the oldest alert) changes only from the first page a new alert lands on. The
generators yield ``(path, None)`` for a page kept as it is, so the writer knows it is still
part of the site. The overview pages, dashboard and news are cheap and always rendered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from generator.archive import aggregate
from generator.pages.chart_cache import ChartCache
from generator.pages.escape import name_visible
from generator.pages.render import PAGE_SIZE, Renderer, rows, what_of
from generator.read.models import Priority
from generator.urls import (
    GROUPS_INDEX,
    group_page,
    group_similar,
    host_page,
    news_page,
    priority_page,
    rule_page,
    url_link,
)

PRIORITIES = aggregate.PRIORITY_COLUMNS

#: A page and its Markdown, or ``None``: the page stays as an earlier build wrote it.
Rendered = tuple[str, str | None]


@dataclass(frozen=True)
class Changes:
    """The catalog rows this build added and removed (compact columns).

    ``everything`` (a full build, or the run after an interrupted one) renders every page.
    """

    added: pd.DataFrame = field(default_factory=pd.DataFrame)
    removed: pd.DataFrame = field(default_factory=pd.DataFrame)
    everything: bool = False

    def touched(self, key: str) -> set[Any] | None:
        """Values of ``key`` whose pages must be rendered (``None``: all of them)."""
        if self.everything:
            return None
        return {*self.added.get(key, ()), *self.removed.get(key, ())}

    def first_changed_page(self, ordered: pd.DataFrame, key: str, value: Any) -> int:
        """Number of the first listing page of ``ordered`` (oldest first) that changed.

        Removals shift every page. Otherwise the pages before the oldest new alert keep their
        alerts, and a listing page links only to its neighbours, so a new last page changes
        just the page before it (which gains a "newer" link).
        """
        if self.everything or (len(self.removed) and (self.removed[key] == value).any()):
            return 1
        is_new = ordered["id"].isin(self.added["id"]).to_numpy()
        if not is_new.any():
            return 1
        first = int(is_new.argmax()) // PAGE_SIZE + 1
        pages_before = page_count(len(ordered) - int(is_new.sum()))
        if pages_before != page_count(len(ordered)):
            first = min(first, pages_before) if pages_before > 1 else 1  # no listings before
        return first


EVERYTHING = Changes(everything=True)


def page_count(alerts: int) -> int:
    """Listing pages of ``alerts`` alerts (one page needs no listing: see :func:`_listings`)."""
    return -(-alerts // PAGE_SIZE)


def _kept(page: str, count: int) -> Iterator[Rendered]:
    """The pages of a value that did not change: its page and its listing pages."""
    yield page, None
    pages = page_count(count)
    if pages > 1:
        folder = page.removesuffix("index.md")
        for number in range(1, pages + 1):
            yield f"{folder}page-{number}.md", None


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
    Dimension("host", "Host", "Hosts", "hosts/index.md", host_page, name_visible),
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
        it["href"] = url_link(from_page, target(it["value"])) if target else None
        if column == "host":
            it["value"] = name_visible(it["value"])  # after the link: the page is the exact name's
    return items


def aggregate_pages(
    df: pd.DataFrame,
    renderer: Renderer,
    charts: ChartCache,
    rules: Mapping[str, Any] | None = None,
    changes: Changes = EVERYTHING,
) -> Iterator[Rendered]:
    """Every index, rule, host and priority page and listing; unchanged ones as ``None``."""
    group_table = aggregate.groups(df)
    for dim in DIMENSIONS:
        yield from _dimension_pages(df, dim, renderer, charts, rules or {}, group_table, changes)


def _dimension_pages(
    df: pd.DataFrame,
    dim: Dimension,
    renderer: Renderer,
    charts: ChartCache,
    rules: Mapping[str, Any],
    group_table: pd.DataFrame,
    changes: Changes,
) -> Iterator[Rendered]:
    table = aggregate.overview(df, dim.key)
    if dim.key == "priority":
        table = table.sort_values(dim.key, kind="stable")
    items = []
    for rec in table.to_dict("records"):
        value = rec[dim.key]
        items.append({**rec, "name": dim.name(value), "href": url_link(dim.index, dim.page(value))})
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
    touched = changes.touched(dim.key)
    if touched is not None:
        for value, count in df[dim.key].value_counts().items():
            if value not in touched:
                yield from _kept(dim.page(value), int(count))
        df = df[df[dim.key].isin(touched)]
        group_table = group_table[group_table[dim.key].isin(touched)]
    tops = {column: aggregate.top_values_by(df, dim.key, column) for _t, _l, column in BREAKDOWNS[dim.key]}
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
                chart=charts.daily(
                    alerts, f"Alerts per day: {dim.name(value)}", page, _search_filters(dim.key, value)
                ),
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
                latest=rows(aggregate.latest_first(alerts).head(PAGE_SIZE), page),
                pages=_page_links(page, folder, len(alerts)),
                **show,
            ),
        )
        yield from _listings(
            alerts, page, folder, dim.kind, dim.name(value), renderer, changes, (dim.key, value), **show
        )


def _search_filters(key: str, value: Any) -> dict[str, str]:
    """What a rule's or host's daily chart keeps in the search its bars link to (a priority
    page's bars name their priority anyway)."""
    return {key: str(value)} if key in ("rule", "host") else {}


def _stats(alerts: pd.DataFrame) -> dict[str, int]:
    return {
        "alerts": len(alerts),
        "first_ns": int(alerts["time_ns"].min()),
        "last_ns": int(alerts["time_ns"].max()),
    }


def _page_links(from_page: str, folder: str, count: int) -> list[dict[str, Any]]:
    pages = page_count(count)
    return [{"number": n, "href": url_link(from_page, f"{folder}page-{n}.md")} for n in range(1, pages + 1)]


def _listings(
    alerts: pd.DataFrame,
    page: str,
    folder: str,
    kind: str,
    name: str,
    renderer: Renderer,
    changes: Changes,
    key: tuple[str, Any],
    **show: bool,
) -> Iterator[Rendered]:
    """The numbered pages of all alerts of one rule/host/priority/group (only when > 1 page).

    Page 1 holds the OLDEST alerts, so a page's URL keeps showing the same alerts when new
    ones arrive: only the last page grows. Each page lists its alerts newest first.
    """
    if len(alerts) <= PAGE_SIZE:
        return
    ordered = aggregate.oldest_first(alerts)
    first = changes.first_changed_page(ordered, *key)
    for number, start in enumerate(range(0, len(ordered), PAGE_SIZE), start=1):
        listing = f"{folder}page-{number}.md"
        if number < first:
            yield listing, None
            continue
        chunk = aggregate.newest_first(ordered.iloc[start : start + PAGE_SIZE])
        yield (
            listing,
            renderer.page(
                "listing.md.j2",
                kind=kind,
                name=name,
                number=number,
                older=url_link(listing, f"{folder}page-{number - 1}.md") if number > 1 else None,
                newer=url_link(listing, f"{folder}page-{number + 1}.md")
                if start + PAGE_SIZE < len(ordered)
                else None,
                back=url_link(listing, page),
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
        "href": url_link(page, news_page(latest.number)),
        "alerts": len(present),
        "by_priority": [(int(p), int(counts[int(p)])) for p in Priority if int(p) in counts.index],
        "new_rules": len(latest.new_rules),
        "new_hosts": len(latest.new_hosts),
    }


def _group_rows(table: pd.DataFrame | None, from_page: str, limit: int = 100) -> list[dict[str, Any]]:
    """Groups newest first (a noisy rule is one row per distinct activity, not one per alert)."""
    if table is None or table.empty:
        return []
    top = table.sort_values(["last_ns", "group"], ascending=[False, True], kind="stable").head(limit)
    what, kinds = what_of(top)
    out = []
    for rec, w, kind in zip(top.to_dict("records"), what, kinds, strict=True):
        target = group_page(rec["group"]) if rec["alerts"] > 1 else rec["page"]
        out.append({**rec, "href": url_link(from_page, target), "what": w[:120], "what_kind": kind})
    return out


#: Facts a group's alerts may share besides the rule, host and output its key is made of:
#: (label, catalog column). A group page lists those every member has alike, no other.
SHARED_FIELDS = [
    ("Process", "proc_name"),
    ("Command line", "cmdline"),
    ("Image", "image"),
    ("Request", "action"),
    ("Object touched", "target"),
    ("Namespace", "namespace"),
    ("Pod", "pod"),
    ("User or actor", "user"),
]
#: A group's ``similar.json`` lists its members' IDs up to this size (only the count beyond).
SIMILAR_IDS = 1000


def _shared(alerts: pd.DataFrame) -> tuple[list[tuple[str, str]], list[tuple[str, int]]]:
    """What every alert of a group has alike (label, value), and what differs (label, values)."""
    shared, varied = [], []
    cloud = not (alerts["source"] == "k8s_audit").all()
    for label, column in SHARED_FIELDS:
        values = alerts[column].fillna("").unique()
        name = "Action" if column == "action" and cloud else label
        if len(values) == 1 and values[0] != "":
            shared.append((name, str(values[0])))
        elif len(values) > 1:
            varied.append((name, len(values)))
    return shared, varied


def _similar_json(alerts: pd.DataFrame) -> str:
    """The group's size and (up to :data:`SIMILAR_IDS`) its members oldest first, for the
    "N of M similar alerts" line of its alert pages (``fa-page.js``)."""
    ids = aggregate.oldest_first(alerts)["id"].tolist()
    data: dict[str, Any] = {"alerts": len(ids)}
    if len(ids) <= SIMILAR_IDS:
        data["ids"] = ids
    return json.dumps(data, separators=(",", ":")) + "\n"


#: The groups index lists this many groups, newest first (every group is on its rule's and host's pages).
GROUPS_INDEX_SIZE = 500


def group_pages(df: pd.DataFrame, renderer: Renderer, changes: Changes = EVERYTHING) -> Iterator[Rendered]:
    """One page per group of repeated alerts (two or more occurrences), and their index."""
    table = aggregate.groups(df)
    repeated = table[table["alerts"] > 1]
    yield (
        GROUPS_INDEX,
        renderer.page(
            "groups_index.md.j2",
            groups=_group_rows(repeated, GROUPS_INDEX, limit=GROUPS_INDEX_SIZE),
            total=len(repeated),
            limit=GROUPS_INDEX_SIZE,
        ),
    )
    touched = changes.touched("group")
    if touched is not None:
        clean = ~repeated["group"].isin(touched)
        for group, count in zip(repeated.loc[clean, "group"], repeated.loc[clean, "alerts"], strict=True):
            yield from _kept(group_page(group), int(count))
            yield group_similar(group), None
        repeated = repeated[~clean]
    if repeated.empty:
        return
    members = df[df["group"].isin(repeated["group"])]
    by_group = dict(tuple(members.groupby("group", sort=False)))
    for rec in repeated.to_dict("records"):
        page = group_page(rec["group"])
        folder = page.removesuffix("index.md")
        alerts = by_group[rec["group"]]
        shared, varied = _shared(alerts)
        yield group_similar(rec["group"]), _similar_json(alerts)
        yield (
            page,
            renderer.page(
                "repeated.md.j2",
                g=rec,
                shared=shared,
                varied=varied,
                rule_href=url_link(page, rule_page(rec["rule"])),
                host_href=url_link(page, host_page(rec["host"])),
                latest=rows(aggregate.latest_first(alerts).head(PAGE_SIZE), page),
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
            changes,
            ("group", rec["group"]),
            show_rule=False,
            show_host=False,
        )


def dashboard(df: pd.DataFrame, renderer: Renderer, charts: ChartCache, latest_news: Any = None) -> str:
    page = "index.md"
    counts = df["priority"].value_counts() if len(df) else pd.Series(dtype="int64")
    by_priority = [
        {"priority": int(p), "alerts": int(counts.get(int(p), 0)), "href": url_link(page, priority_page(p))}
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
    urgent = aggregate.latest_first(df[df["priority"] <= int(Priority.ERROR)]).head(20)
    return renderer.page(
        "dashboard.md.j2",
        totals=totals,
        by_priority=by_priority,
        top_rules=_top(df, "rule", page),
        top_hosts=_top(df, "host", page),
        urgent=rows(urgent, page),
        news=_news_summary(df, latest_news, page),
        charts=[
            charts.daily(df, "Alerts per day", page),
            charts.priorities(df, "Alerts by priority", page),
            charts.top_rules(df, "Top rules", page),
        ]
        if len(df)
        else [],
    )
