"""Machine-readable outputs of the archive: the Atom feed and the data exports.

Both are derived from the catalog on every build and written through the same guarded writer
as the pages (only when their bytes change), into the docs folder, from where MkDocs copies
them to the site: ``feed.xml`` and ``exports/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from generator.archive.news import BuildNews
from generator.pages import exports, feed
from generator.pages.render import Renderer
from generator.read.models import Priority
from generator.urls import FEED, absolute_url, permanent_url

#: The feed carries the qualifying new alerts of this many recent builds (at most FEED_SIZE).
FEED_BUILDS = 10
FEED_SIZE = 100


def feed_xml(
    catalog: pd.DataFrame, history: list[BuildNews], min_priority: Priority, site_url: str | None
) -> bytes:
    """Atom feed of the newest alerts at or above ``min_priority`` among recent builds' new ones."""
    recent: set[str] = set()
    for news in history[-FEED_BUILDS:]:
        recent.update(news.ids)
    candidates = catalog[catalog["id"].isin(recent)]
    rows = feed.feed_rows(candidates, min_priority, limit=FEED_SIZE)
    page_of = dict(zip(catalog["id"], catalog["page"], strict=True))
    updated = int(rows["time_ns"].max()) if len(rows) else (history[-1].newest_ns if history else 0)
    return feed.atom_feed(
        rows,
        feed_id=f"urn:falco-archive:feed:{min_priority.slug}",
        title=f"Falco alerts of priority {min_priority.label} and above",
        site_url=site_url,
        self_href=absolute_url(FEED, site_url),
        updated_ns=updated,
        alert_url=lambda aid: permanent_url(page_of[aid], site_url),
    )


def export_files(catalog: pd.DataFrame) -> Iterator[tuple[str, bytes]]:
    """(docs path, bytes) of every export."""
    yield "exports/alerts.csv", exports.csv_bytes(catalog)
    yield "exports/alerts.parquet", exports.parquet_bytes(catalog)
    yield "exports/rules.json", exports.json_bytes(exports.summary_json(catalog, "rule"))
    yield "exports/hosts.json", exports.json_bytes(exports.summary_json(catalog, "host"))


def exports_page(catalog: pd.DataFrame, renderer: Renderer, min_priority: Priority) -> str:
    return renderer.page("exports.md.j2", alerts=len(catalog), min_priority=min_priority)
