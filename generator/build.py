"""The orchestrator: the only code that knows the order of the stages, and nothing else.

read -> archive (plan, merge) -> pages -> publish (MkDocs, search, swap) -> commit the state.
Each step is one call into the sub-package that owns it; ``build()`` reads as the table of
contents of a run (as mkdocs' ``commands/build.py`` and pelican's ``Pelican.run`` do).

A build is *incremental* when the state folder is complete and its fingerprint (package code
and version, mkdocs.yml, theme overrides, redaction, rule and playbook inputs, site options)
matches; otherwise, or with ``--full``, it starts over. Either way the same code path runs: a
full build is an incremental build into an empty archive.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from generator import __version__
from generator.archive import plan
from generator.archive.state import State
from generator.config import BuildConfig
from generator.pages import docs
from generator.pages.alert_pages import worker_count
from generator.pages.chart_cache import ChartCache
from generator.pages.guidance import GuidanceProvider
from generator.pages.render import PageOptions
from generator.publish import swap
from generator.publish.site import mkdocs_site_url
from generator.publish.stage import publish_site
from generator.read.models import Priority
from generator.read.redact import Redactor
from generator.report import BuildReport

Progress = Callable[[str, int], Callable[[int], None]]


def _no_progress(_label: str, _total: int) -> Callable[[int], None]:
    return lambda _n: None


def fingerprint(config: BuildConfig, redactor: Redactor, guidance: GuidanceProvider) -> str:
    """Everything besides the alerts that shapes a page; a change forces a full rebuild."""
    h = hashlib.sha256(f"falco-archive {__version__}".encode())
    # All of our own code and data, not just the templates: any change may change a page.
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        # synthetic/ makes demo and benchmark input; it shapes no page.
        if path.is_file() and "__pycache__" not in rel.parts and rel.parts[0] != "synthetic":
            h.update(rel.as_posix().encode() + b"\0" + path.read_bytes())
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
    report, timings = BuildReport(), _Timings()
    redactor = Redactor(config.redaction)
    guidance = GuidanceProvider.load(config.rules, config.playbooks_dir)
    state = State(config.state_dir)
    swap.recover(config.site_dir)
    run_print = fingerprint(config, redactor, guidance)
    run = plan.start(
        state,
        run_print,
        full=config.full,
        site_exists=config.site_dir.exists(),
        run_mkdocs=config.run_mkdocs,
    )
    report.mode = "incremental" if run.incremental else "full"
    if not run.incremental:
        docs.clean_generated(config.docs_dir)

    with timings("read"):  # 1. Read what is new.
        inputs = plan.find_inputs(config.alerts_dir, state.inputs())
        tick = progress("Reading alerts", len(inputs.to_read))
        result = plan.read_inputs(inputs, redactor, on_file=lambda _f: tick(1))

    with timings("aggregate"):  # 2. Merge it into the archive; decide what to render.
        archive = run.before if run.incremental else run.before.iloc[0:0]
        old_links = state.read_links() if run.incremental else None
        merged = plan.merge(archive, result, old_links, config.keep_days)
        report.count(inputs, result, merged, redactor)

    with timings("render"):  # 3. Write the pages.
        state.mark_render_started()
        jobs = plan.alert_jobs(merged, state)
        history = state.news_history()
        news = docs.add_news(history, run.build_number, merged, run.before)
        options = PageOptions(
            site_url=config.site_url or mkdocs_site_url(config.mkdocs_config),
            timezone=ZoneInfo(config.display_timezone) if config.display_timezone else None,
        )
        charts = ChartCache(state.charts_dir)
        written = docs.write_docs(
            config.docs_dir,
            merged,
            jobs,
            everything=run.catch_up,
            history=history,
            guidance=guidance,
            options=options,
            charts=charts,
            feed_priority=Priority.parse(config.feed_priority),
            report=report,
            tick=progress("Rendering alert pages", len(jobs)),
        )
        del jobs
        report.pages_written = written.changed

    if config.run_mkdocs:  # 4. Build the site beside the live one, index it, swap it in.
        published = publish_site(
            mkdocs_config=config.mkdocs_config,
            docs_dir=config.docs_dir,
            site_dir=config.site_dir,
            search_dir=state.search_dir,
            incremental=run.incremental,
            pages=None if run.catch_up else sorted(written.rendered),
            always=docs.hand_written(config.docs_dir),
            removed_pages=merged.removed_pages,
            searchable=written.searchable,
            site_url=config.site_url,
            workers=worker_count(),
        )
        report.mkdocs_runs = published.mkdocs_runs
        timings.add(mkdocs=published.mkdocs_seconds, search=published.search_seconds)

    charts.prune()  # 5. Remember.
    state.commit(
        new_rows=merged.new,
        removed_ids=merged.removed_ids,
        links=merged.links,
        inputs=inputs.record,
        news=news,
        meta={
            "fingerprint": run_print,
            "build_number": run.build_number + (news is not None),
            "published": config.run_mkdocs,
        },
    )
    report.timings = timings.done()
    return report


class _Timings:
    """Wall-clock seconds of each phase, for the build report and the benchmarks."""

    def __init__(self) -> None:
        self._t0 = time.perf_counter()
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        t = time.perf_counter()
        yield
        self.seconds[phase] = time.perf_counter() - t

    def add(self, **phases: float) -> None:
        self.seconds.update(phases)

    def done(self) -> dict[str, float]:
        self.seconds["total"] = time.perf_counter() - self._t0
        return self.seconds
