"""The orchestrator: the only code that knows the order of the stages.

read + validate (ingest) -> merge into the catalog -> aggregate -> render -> MkDocs -> publish
-> commit state. Everything is read and aggregated before anything is written (mkdocs: "first
gather all data from all files/pages to ensure all data is consistent across all pages").

A build is *incremental* when the state folder is complete and its fingerprint (package
version, templates, mkdocs.yml, theme overrides, redaction and rule/playbook inputs) matches;
otherwise, or with ``--full``, it starts over. Either way the same code path runs: a full build
is an incremental build into an empty archive.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from generator import __version__
from generator.archive import aggregate
from generator.archive.catalog import COMPACT_COLUMNS, State, month_of
from generator.archive.ingest import IngestResult, file_digest, ingest, rows_frame
from generator.config import BuildConfig
from generator.pages import aggregates as pages
from generator.pages import attack, news, outputs
from generator.pages.aggregates import Changes
from generator.pages.alert_pages import AlertJob, render_alert_pages, worker_count
from generator.pages.chart_cache import ChartCache
from generator.pages.guidance import GuidanceProvider
from generator.pages.render import PageOptions, Renderer
from generator.publish import search
from generator.publish import swap as publish
from generator.publish.site import mkdocs_site_url
from generator.read.models import Priority
from generator.read.readers import InputFile, Problem, discover
from generator.read.redact import Redactor
from generator.urls import DocsWriter

log = logging.getLogger(__name__)

#: Generated subtrees of the docs folder; everything else there is hand-written and kept.
GENERATED = (
    "alerts",
    "mitre",
    "rules",
    "hosts",
    "priorities",
    "groups",
    "news",
    "exports",
    "index.md",
    "build-report.md",
    "build-report.json",
    "feed.xml",
)
AGGREGATE_TREES = ("rules", "hosts", "priorities", "groups", "news", "mitre")


@dataclass
class BuildReport:
    """What a build did; its counts always satisfy records = published + duplicates + quarantined."""

    mode: str = "full"
    files: int = 0
    files_read: int = 0
    records: int = 0
    published: int = 0
    duplicates: int = 0
    quarantined: int = 0
    skipped_lines: int = 0
    archived: int = 0
    pages_written: int = 0
    mkdocs_runs: int = 0
    problems: list[Problem] = field(default_factory=list)
    passed_over: list[Problem] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    redactions: list[tuple[str, int]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def summary_line(self) -> str:
        return (
            f"Done ({self.mode}): {self.files:,} files ({self.files_read:,} read), "
            f"{self.records:,} records -> {self.published:,} new alerts, {self.duplicates:,} duplicates, "
            f"{self.quarantined:,} quarantined; {self.skipped_lines:,} non-JSON lines skipped; "
            f"archive holds {self.archived:,} alerts"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "files": self.files,
            "files_read": self.files_read,
            "records": self.records,
            "published": self.published,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "skipped_lines": self.skipped_lines,
            "archived": self.archived,
            "problems": [{"file": p.path, "line": p.line, "reason": p.reason} for p in self.problems],
            "passed_over": [{"file": p.path, "reason": p.reason} for p in self.passed_over],
            "removed": self.removed,
            "redactions": dict(self.redactions),
        }


Progress = Callable[[str, int], Callable[[int], None]]


def _no_progress(_label: str, _total: int) -> Callable[[int], None]:
    return lambda _n: None


def fingerprint(config: BuildConfig, redactor: Redactor, guidance: GuidanceProvider) -> str:
    """Everything besides the alerts that shapes a page; a change forces a full rebuild."""
    h = hashlib.sha256(f"falco-archive {__version__}".encode())
    # All of our own code and data, not just the templates: any change may change a page.
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    if config.mkdocs_config.exists():
        h.update(config.mkdocs_config.read_bytes())
    overrides = config.mkdocs_config.parent / "overrides"
    if overrides.is_dir():
        for path in sorted(p for p in overrides.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(overrides)).encode() + path.read_bytes())
    h.update(redactor.fingerprint().encode())
    h.update(guidance.fingerprint().encode())
    h.update((config.site_url or "").encode())
    h.update(f"tz={config.display_timezone}\0feed={config.feed_priority}".encode())
    return h.hexdigest()


def build(config: BuildConfig, progress: Progress = _no_progress) -> BuildReport:
    """Run the whole pipeline once; raises FalcoArchiveError on failures the user must fix."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    report = BuildReport()
    redactor = Redactor(config.redaction)
    guidance = GuidanceProvider.load(config.rules, config.playbooks_dir)
    state = State(config.state_dir)
    fp = fingerprint(config, redactor, guidance)
    publish.recover(config.site_dir)
    incremental = (
        not config.full and state.usable_for(fp) and (config.site_dir.exists() or not config.run_mkdocs)
    )
    report.mode = "incremental" if incremental else "full"
    previous_meta = state.meta()
    # What the archive held before this build, for "what's new" (even across a full rebuild).
    before = state.read_compact() if previous_meta.get("complete") else pd.DataFrame(columns=COMPACT_COLUMNS)
    if not incremental:
        state.reset()
        _clean_generated(config.docs_dir)

    # 1. Read what is new.
    files, passed_over = discover(config.alerts_dir)
    previous_inputs = state.inputs()
    inputs: dict[str, dict[str, Any]] = {}
    to_read: list[InputFile] = []
    for file in files:
        known = previous_inputs.get(file.display)
        entry = {"size": file.size, "mtime_ns": file.mtime_ns}
        if known and known.get("size") == file.size and known.get("mtime_ns") == file.mtime_ns:
            inputs[file.display] = known
            continue
        try:
            digest = file_digest(file)
        except OSError as exc:
            passed_over.append(Problem(file.display, 0, f"cannot read file: {exc.strerror or exc}"))
            continue
        entry["sha256"] = digest
        inputs[file.display] = entry
        if known and known.get("sha256") == digest:
            continue
        to_read.append(file)
    report.files, report.files_read = len(files), len(to_read)
    tick = progress("Reading alerts", len(to_read))
    result: IngestResult = ingest(to_read, redactor, on_file=lambda _f: tick(1))
    timings["read"] = time.perf_counter() - t0

    # 2. Merge into the catalog.
    t = time.perf_counter()
    archive = before if incremental else pd.DataFrame(columns=COMPACT_COLUMNS)
    new = rows_frame(result.rows)
    result.rows.clear()  # the frame holds them now; a full build would keep two copies
    already = new["id"].isin(archive["id"]) if len(archive) else pd.Series(False, index=new.index)
    new = new[~already.to_numpy()]
    catalog = (
        pd.concat([archive, new[COMPACT_COLUMNS]], ignore_index=True)
        if len(archive)
        else new[COMPACT_COLUMNS].copy()
    )
    removed_ids: set[str] = set()
    removed_pages: list[str] = []
    removed_rows = catalog.iloc[0:0]
    if config.keep_days is not None and len(catalog):
        cutoff = int(time.time() * 1e9) - config.keep_days * 86_400 * 1_000_000_000
        old = catalog["time_ns"] < cutoff
        removed_rows = catalog[old]
        removed_ids = set(removed_rows["id"])
        removed_pages = list(removed_rows["page"])
        catalog = catalog[~old].reset_index(drop=True)
        new = new[~new["id"].isin(removed_ids)]
    report.records = result.records
    report.published = len(new)
    report.duplicates = result.duplicates + int(already.sum())
    report.quarantined = result.quarantined
    report.skipped_lines = result.skipped_lines
    report.problems = result.problems
    report.passed_over = passed_over + result.passed_over
    report.removed = sorted(removed_ids)
    report.archived = len(catalog)
    report.redactions = sorted(redactor.counts.items())

    links = aggregate.neighbours(catalog)
    old_links = state.read_links() if incremental else links.iloc[0:0]
    merged = links.merge(old_links, on="id", how="left", suffixes=("", "_old"))
    changed = merged[
        (merged["prev_id"] != merged["prev_id_old"]) | (merged["next_id"] != merged["next_id_old"])
    ]
    render_ids = set(new["id"]) | set(changed["id"])
    timings["aggregate"] = time.perf_counter() - t

    # 3. Render. A run killed after it started writing pages may have rewritten pages of alerts
    # the next run no longer sees (their input file gone), and a run without MkDocs leaves pages
    # the site does not show yet: after either, the next run renders every aggregate page and
    # MkDocs looks at the whole docs folder (converting what is newer than its HTML), once.
    t = time.perf_counter()
    started = config.state_dir / "render-started"
    catch_up = not incremental or started.exists() or not previous_meta.get("published", False)
    changes = Changes(added=new[COMPACT_COLUMNS], removed=removed_rows, everything=catch_up)
    config.state_dir.mkdir(parents=True, exist_ok=True)
    started.touch()
    writer = DocsWriter(config.docs_dir)
    renderer = Renderer()
    page_of = dict(zip(catalog["id"], catalog["page"], strict=True))
    link_of = {rec.id: (rec.prev_id, rec.next_id) for rec in links[links["id"].isin(render_ids)].itertuples()}
    raw_of = dict(zip(new["id"], new["raw"], strict=True))
    missing = render_ids - raw_of.keys()
    if missing:
        by_month: dict[str, list[str]] = {}
        sub = catalog[catalog["id"].isin(missing)]
        for aid, month in zip(sub["id"], month_of(sub["time_ns"]), strict=True):
            by_month.setdefault(month, []).append(aid)
        raw_of.update(state.read_raw(by_month))
    jobs = []
    for aid in sorted(render_ids):
        prev_id, next_id = link_of.get(aid, ("", ""))
        jobs.append(AlertJob(aid, page_of[aid], raw_of[aid], page_of.get(prev_id), page_of.get(next_id)))
    del raw_of
    tick = progress("Rendering alert pages", len(jobs))
    options = PageOptions(
        site_url=config.site_url or mkdocs_site_url(config.mkdocs_config),
        timezone=ZoneInfo(config.display_timezone) if config.display_timezone else None,
    )
    alert_changes = render_alert_pages(jobs, config.docs_dir, guidance, options, tick)
    new_pages = {page[:-3] for page in new["page"]}
    alert_files = {p for job in jobs for p in (job.page, job.page.removesuffix(".md") + ".json")}
    del jobs
    for page in removed_pages:
        for suffix in (".md", ".json"):
            (config.docs_dir / page.removesuffix(".md")).with_suffix(suffix).unlink(missing_ok=True)
    chart_cache = ChartCache(config.state_dir / "charts")
    for path, text in itertools.chain(
        pages.aggregate_pages(catalog, renderer, chart_cache, guidance.rules, changes),
        pages.group_pages(catalog, renderer, changes),
    ):
        if text is None:
            writer.keep(path)
        else:
            writer.write(path, text)
    writer.write(attack.PAGE, attack.attack_page(catalog, guidance.rules, guidance.playbooks, renderer))
    number = int(previous_meta.get("build_number", 0))
    fresh = new[~new["id"].isin(before["id"])] if len(before) else new
    build_news = news.compute(number + 1, fresh[COMPACT_COLUMNS], before)
    history = news.load_history(config.state_dir / "news")
    if build_news is not None:
        number += 1
        history.append(build_news)
    for path, text in news.pages(history, catalog, renderer):
        writer.write(path, text)
    min_priority = Priority.parse(config.feed_priority)
    writer.write("feed.xml", outputs.feed_xml(catalog, history, min_priority, options.site_url))
    for path, data in outputs.export_files(catalog):
        writer.write(path, data)
    writer.write("exports/index.md", outputs.exports_page(catalog, renderer, min_priority))
    latest_news = history[-1] if history else None
    writer.write("index.md", pages.dashboard(catalog, renderer, chart_cache, latest_news))
    writer.write("build-report.md", renderer.page("build_report.md.j2", report=report, limit=1000))
    writer.write("build-report.json", json.dumps(report.as_json(), indent=1, ensure_ascii=False) + "\n")
    _remove_stale(config.docs_dir, writer)
    report.pages_written = len(writer.changed) + len(alert_changes)
    timings["render"] = time.perf_counter() - t

    # 4. Site.
    if config.run_mkdocs:
        t = time.perf_counter()
        from generator.publish.site import build_site

        stage = publish.prepare_staging(config.site_dir, incremental=incremental)
        rendered = writer.written | alert_files
        try:
            report.mkdocs_runs = build_site(
                config_file=config.mkdocs_config,
                docs_dir=config.docs_dir,
                site_dir=stage,
                files=None if catch_up else sorted(rendered),
                always=_hand_written(config.docs_dir),
                site_url=config.site_url,
                workers=worker_count(),
            )
        except Exception:
            shutil.rmtree(stage, ignore_errors=True)  # the live site was never touched
            raise
        if incremental:
            _remove_orphan_html(stage, config.docs_dir)
        for page in removed_pages:
            shutil.rmtree(stage / page.removesuffix(".md"), ignore_errors=True)
            (stage / page.removesuffix(".md")).with_suffix(".json").unlink(missing_ok=True)
        timings["mkdocs"] = time.perf_counter() - t
        t = time.perf_counter()
        searchable = [path for path in alert_changes if path.endswith(".md") and path[:-3] in new_pages]
        search.index_site(stage, config.state_dir, changed_pages=searchable, full=not incremental)
        timings["search"] = time.perf_counter() - t
        publish.swap(config.site_dir)

    # 5. Remember.
    chart_cache.prune()
    if build_news is not None:
        news.save(config.state_dir / "news", build_news)
    state.commit(
        new_rows=new,
        removed_ids=removed_ids,
        links=links,
        inputs=inputs,
        meta={"fingerprint": fp, "build_number": number, "published": config.run_mkdocs},
    )
    started.unlink(missing_ok=True)
    timings["total"] = time.perf_counter() - t0
    report.timings = timings
    return report


def _hand_written(docs_dir: Path) -> list[str]:
    """Docs files outside the generated trees (about.md, search.md, assets): every MkDocs run needs them."""
    out = []
    for top in sorted(docs_dir.iterdir()) if docs_dir.is_dir() else []:
        if top.name in GENERATED:
            continue
        for path in sorted(top.rglob("*")) if top.is_dir() else [top]:
            if path.is_file():
                out.append(path.relative_to(docs_dir).as_posix())
    return out


def _clean_generated(docs_dir: Path) -> None:
    for name in GENERATED:
        path = docs_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _remove_orphan_html(stage: Path, docs_dir: Path) -> None:
    """Aggregate HTML whose Markdown is gone (a dirty MkDocs build never deletes pages).

    Checked against the docs folder rather than this run's deletions, so pages removed by an
    earlier run that was killed before publishing are cleaned up too. The trees are small.
    """
    for tree in AGGREGATE_TREES:
        root = stage / tree
        if not root.is_dir():
            continue
        for html_file in sorted(root.rglob("index.html"), reverse=True):
            rel = html_file.parent.relative_to(stage).as_posix()
            if not (docs_dir / rel / "index.md").exists() and not (docs_dir / f"{rel}.md").exists():
                html_file.unlink()
                with contextlib.suppress(OSError):
                    html_file.parent.rmdir()


def _remove_stale(docs_dir: Path, writer: DocsWriter) -> None:
    """Aggregate pages not produced by this build (a listing page that no longer exists)."""
    for tree in AGGREGATE_TREES:
        root = docs_dir / tree
        if not root.is_dir():
            continue
        for path in root.rglob("*.md"):
            rel = path.relative_to(docs_dir).as_posix()
            if rel not in writer.written and rel not in writer.kept:
                path.unlink()
