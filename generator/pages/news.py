"""The "What's new" pages: one numbered page per build (``news/<n>/``), kept forever, and an index.

Rendered from the build history the state keeps (:mod:`generator.archive.news`), so a template
change re-renders every old build's page the same way; the dashboard shows the latest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd

from generator.archive import aggregate
from generator.archive.news import BuildNews
from generator.pages.render import Renderer, rows, what_of
from generator.read.models import Priority
from generator.urls import NEWS_INDEX, group_page, host_page, news_page, priority_page, rule_page, url_link

#: Alerts listed on one news page (the rest are counted, and browsable by priority).
LISTED = 200


def pages(history: list[BuildNews], catalog: pd.DataFrame, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """The news index and one page per build."""
    index = NEWS_INDEX
    entries = []
    for news in reversed(history):
        present = catalog[catalog["id"].isin(news.ids)]
        entries.append(
            {
                "number": news.number,
                "href": url_link(index, news_page(news.number)),
                "alerts": len(present),
                "newest_ns": news.newest_ns,
                "built_ns": news.built_ns,
                "by_priority": _by_priority(present, index),
                "new_rules": len(news.new_rules),
                "new_hosts": len(news.new_hosts),
            }
        )
        yield news_page(news.number), page_for(news, present, catalog, renderer)
    yield index, renderer.page("news_index.md.j2", entries=entries)


def _by_priority(df: pd.DataFrame, from_page: str) -> list[dict[str, Any]]:
    counts = df["priority"].value_counts()
    return [
        {"priority": int(p), "alerts": int(counts[int(p)]), "href": url_link(from_page, priority_page(p))}
        for p in Priority
        if int(p) in counts.index
    ]


def page_for(news: BuildNews, present: pd.DataFrame, catalog: pd.DataFrame, renderer: Renderer) -> str:
    page = news_page(news.number)
    rules, hosts = set(catalog["rule"]), set(catalog["host"])
    listed = present.sort_values(["priority", "time_ns", "id"], ascending=[True, False, False], kind="stable")
    return renderer.page(
        "news.md.j2",
        news=news,
        alerts=len(present),
        by_priority=_by_priority(present, page),
        listed=rows(listed.head(LISTED), page),
        more=max(0, len(present) - LISTED),
        # Retention may have removed every alert of a rule or host since: link only live pages.
        new_rules=[
            {"name": r, "href": url_link(page, rule_page(r)) if r in rules else None} for r in news.new_rules
        ],
        new_hosts=[
            {"name": h, "href": url_link(page, host_page(h)) if h in hosts else None} for h in news.new_hosts
        ],
        grown=_grown(news, catalog, page),
    )


def _grown(news: BuildNews, catalog: pd.DataFrame, page: str) -> list[dict[str, Any]]:
    if not news.grown_groups:
        return []
    table = aggregate.groups(catalog[catalog["group"].isin(news.grown_groups)])
    what, kinds = what_of(table)
    out = []
    for rec, w, kind in zip(table.to_dict("records"), what, kinds, strict=True):
        out.append(
            {
                **rec,
                "what": w[:120],
                "what_kind": kind,
                "added": news.grown_groups.get(rec["group"], 0),
                "href": url_link(page, group_page(rec["group"])),
            }
        )
    return out
