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
from generator.urls import FEED, absolute_url, page_url, permanent_url

#: The feed carries the qualifying new alerts of this many recent builds (at most FEED_SIZE).
FEED_BUILDS = 10
FEED_SIZE = 100


def feed_xml(
    catalog: pd.DataFrame,
    history: list[BuildNews],
    min_priority: Priority,
    site_url: str | None,
    built_ns: int,
) -> bytes:
    """Atom feed of the newest alerts at or above ``min_priority`` among recent builds' new ones."""
    recent: set[str] = set()
    for news in history[-FEED_BUILDS:]:
        recent.update(news.ids)
    candidates = catalog[catalog["id"].isin(recent)]
    rows = feed.feed_rows(candidates, min_priority, limit=FEED_SIZE)
    page_of = dict(zip(catalog["id"], catalog["page"], strict=True))
    return feed.atom_feed(
        rows,
        feed_id=f"urn:falco-archive:feed:{min_priority.slug}",
        title=f"Falco alerts of priority {min_priority.label} and above",
        site_url=site_url,
        # Without a site_url, links are relative to the feed's own address (feed.xml is at the
        # site root), which feed readers resolve (RFC 4287 section 1.2): "/alerts/..." would
        # be wrong under a sub-path.
        self_href=absolute_url(FEED, site_url) if site_url else FEED,
        updated_ns=built_ns,  # when the feed was last built: readers see the build ran
        alert_url=lambda aid: permanent_url(page_of[aid], site_url) if site_url else page_url(page_of[aid]),
    )


def export_files(catalog: pd.DataFrame) -> Iterator[tuple[str, bytes]]:
    """(docs path, bytes) of every export."""
    yield "exports/alerts.csv", exports.csv_bytes(catalog)
    yield "exports/alerts.parquet", exports.parquet_bytes(catalog)
    yield "exports/rules.json", exports.json_bytes(exports.summary_json(catalog, "rule"))
    yield "exports/hosts.json", exports.json_bytes(exports.summary_json(catalog, "host"))


def exports_page(catalog: pd.DataFrame, renderer: Renderer, min_priority: Priority) -> str:
    return renderer.page("exports.md.j2", alerts=len(catalog), min_priority=min_priority)
