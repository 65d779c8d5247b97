"""The docs folder of one run: every page and data file the site is built from, written once.

Alert pages are rendered only for the alerts the plan names (new ones, and those whose
neighbours changed); aggregate pages only for the rules, hosts, priorities and groups whose
alerts changed (:class:`~generator.pages.aggregates.Changes`); the overview pages, dashboard,
news, feed, exports and build report are cheap and always rendered. Every write goes through
one :class:`~generator.files.DocsWriter`, which writes a file only when its bytes change, so
MkDocs converts only what changed.
"""

from __future__ import annotations

import itertools
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from generator import __version__
from generator.archive import news
from generator.archive.catalog import COMPACT_COLUMNS
from generator.archive.news import BuildNews
from generator.archive.plan import Merge
from generator.files import DocsWriter
from generator.pages import aggregates, attack, facets, outputs
from generator.pages import news as news_pages
from generator.pages.alert_pages import RenderedAlerts
from generator.pages.chart_cache import ChartCache
from generator.pages.guidance import GuidanceProvider
from generator.pages.render import PageOptions, Renderer
from generator.read.models import Priority
from generator.urls import (
    AGGREGATE_TREES,
    ATTACK,
    BUILD_INFO,
    BUILD_REPORT,
    BUILD_REPORT_JSON,
    DASHBOARD,
    EXPORTS_INDEX,
    FEED,
    GENERATED,
    alert_download,
    facet_ids,
    facet_month,
)


@dataclass
class Written:
    """What the run wrote into the docs folder."""

    #: Docs paths rendered by this run (alert pages and their downloads included).
    rendered: set[str]
    #: Docs paths whose bytes changed.
    changed: int
    #: Pages of alerts new to the archive: their searchable text changed.
    searchable: list[str]
    #: What ``build.json`` says (:func:`build_info`).
    built: dict[str, Any]


def build_info(report: Any, seconds: float = 0.0) -> dict[str, Any]:
    """``build.json``: the build's time, version, mode and duration (``seconds`` so far: the
    published site's copy is written again with the whole build's, see ``build.py``). Only
    this file, the build report, the news and the feed's ``updated`` carry the build time;
    every other page stays byte-identical for the same input (the footer and the home page
    read this file in the browser)."""
    now_ns = time.time_ns()
    return {
        "time": datetime.fromtimestamp(now_ns // 1_000_000_000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "time_ns": now_ns,
        "version": __version__,
        "mode": report.mode,
        "seconds": round(seconds, 1),
    }


def build_info_json(info: dict[str, Any]) -> str:
    return json.dumps(info, indent=1) + "\n"


def write_docs(
    docs_dir: Path,
    merged: Merge,
    alerts: RenderedAlerts,
    *,
    everything: bool,
    history: list[BuildNews],
    guidance: GuidanceProvider,
    options: PageOptions,
    charts: ChartCache,
    feed_priority: Priority,
    report: Any,
    elapsed: Callable[[], float] = lambda: 0.0,
) -> Written:
    """Write every aggregate page and data file (``alerts``: the alert pages already rendered,
    see :func:`~generator.pages.alert_pages.render_alert_pages`); remove pages no longer in the site."""
    writer = DocsWriter(docs_dir)
    renderer = Renderer()
    catalog = merged.catalog
    alert_changes = alerts.changed
    alert_files = alerts.files
    for page in merged.removed_pages:
        writer.remove(page)
        writer.remove(alert_download(page))
    changes = aggregates.Changes(
        added=merged.new[COMPACT_COLUMNS], removed=merged.removed, everything=everything
    )
    for path, text in itertools.chain(
        aggregates.aggregate_pages(catalog, renderer, charts, guidance.rules, changes),
        aggregates.group_pages(catalog, renderer, changes),
    ):
        if text is None:
            writer.keep(path)
        else:
            writer.write(path, text)
    writer.write(ATTACK, attack.attack_page(catalog, guidance.rules, guidance.playbooks, renderer))
    for path, text in news_pages.pages(history, catalog, renderer):
        writer.write(path, text)
    built = build_info(report, elapsed())
    writer.write(BUILD_INFO, build_info_json(built))
    writer.write(FEED, outputs.feed_xml(catalog, history, feed_priority, options.site_url, built["time_ns"]))
    for path, data in outputs.export_files(catalog):
        writer.write(path, data)
    writer.write(EXPORTS_INDEX, outputs.exports_page(catalog, renderer, feed_priority))
    writer.write(*facets.known_file(catalog))
    # Only the months that got or lost alerts (or whose file is missing): a nightly build's
    # cost stays with its new alerts.
    months = facets.changed_months(merged.new, merged.removed)
    all_months = facets.changed_months(catalog)
    months |= {m for m in all_months if everything or not (docs_dir / facet_month(m)).exists()}
    for path, blob in facets.facet_files(catalog, months, lambda m: _count_files(docs_dir / facet_ids(m, 0))):
        if blob is None:
            writer.remove(path)
        else:
            writer.write(path, blob)
    latest_news = history[-1] if history else None
    writer.write(DASHBOARD, aggregates.dashboard(catalog, renderer, charts, latest_news))
    writer.write(BUILD_REPORT, renderer.page("build_report.md.j2", report=report, limit=1000, built=built))
    writer.write(BUILD_REPORT_JSON, json.dumps(report.as_json(), indent=1, ensure_ascii=False) + "\n")
    _remove_stale(docs_dir, writer)
    new_pages = {page[:-3] for page in merged.new["page"]}
    return Written(
        rendered=writer.written | alert_files,
        changed=len(writer.changed) + len(alert_changes),
        searchable=[p for p in alert_changes if p.endswith(".md") and p[:-3] in new_pages],
        built=built,
    )


def add_news(
    history: list[BuildNews], number: int, merged: Merge, before: Any, built_ns: int = 0
) -> BuildNews | None:
    """This run's record of novelties (the run started at ``built_ns``), appended to
    ``history`` (None when nothing is new)."""
    new = merged.new
    fresh = new[~new["id"].isin(before["id"])] if len(before) else new
    record = news.compute(number + 1, fresh[COMPACT_COLUMNS], before, built_ns)
    if record is not None:
        history.append(record)
    return record


def hand_written(docs_dir: Path) -> list[str]:
    """Docs files outside the generated trees (about.md, search.md, assets): every MkDocs run needs them."""
    out = []
    for top in sorted(docs_dir.iterdir()) if docs_dir.is_dir() else []:
        if top.name in GENERATED:
            continue
        for path in sorted(top.rglob("*")) if top.is_dir() else [top]:
            if path.is_file():
                out.append(path.relative_to(docs_dir).as_posix())
    return out


def clean_generated(docs_dir: Path) -> None:
    """Remove every generated tree and file (a full build); hand-written pages stay."""
    for name in GENERATED:
        path = docs_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _count_files(path: Path) -> int:
    """How many files the folder of ``path`` holds (0 when there is none)."""
    try:
        return sum(1 for entry in path.parent.iterdir() if entry.is_file())
    except FileNotFoundError:
        return 0


def _remove_stale(docs_dir: Path, writer: DocsWriter) -> None:
    """Aggregate pages not produced by this build (a listing page that no longer exists), and
    the ``similar.json`` of groups that are no longer repeated."""
    for tree in AGGREGATE_TREES:
        root = docs_dir / tree
        if not root.is_dir():
            continue
        for path in itertools.chain(root.rglob("*.md"), root.glob("*/similar.json")):
            rel = path.relative_to(docs_dir).as_posix()
            if rel not in writer.written and rel not in writer.kept:
                writer.remove(rel)
