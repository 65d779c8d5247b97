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
import hmac
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from generator import __version__
from generator.archive import plan
from generator.archive.state import State
from generator.config import BuildConfig
from generator.files import DocsWriter, new_folders, removed_on_failure
from generator.pages import docs
from generator.pages.alert_pages import render_alert_pages, worker_count
from generator.pages.chart_cache import ChartCache
from generator.pages.guidance import GuidanceProvider
from generator.pages.redirects import redirect_pages
from generator.pages.render import PageOptions
from generator.publish import packaged, swap
from generator.publish.site import custom_dir, mkdocs_site_url, site_url_is_todo
from generator.publish.stage import publish_site
from generator.read import limits as input_limits
from generator.read.models import Priority
from generator.read.redact import Redactor
from generator.report import BuildReport
from generator.urls import BUILD_INFO, SLUG_HEX, alert_download

log = logging.getLogger(__name__)
Progress = Callable[[str, int], Callable[[int], None]]


def _no_progress(_label: str, _total: int) -> Callable[[int], None]:
    return lambda _n: None


def fingerprint(
    config: BuildConfig, redactor: Redactor, guidance: GuidanceProvider, mkdocs_file: Path
) -> str:
    """Everything besides the alerts that shapes a page; a change forces a full rebuild."""
    h = hashlib.sha256(f"falco-archive {__version__}".encode())
    # All of our own code and data, not just the templates: any change may change a page.
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        # synthetic/ makes demo and benchmark input; it shapes no page.
        if path.is_file() and "__pycache__" not in rel.parts and rel.parts[0] != "synthetic":
            h.update(rel.as_posix().encode() + b"\0" + path.read_bytes())
    if mkdocs_file.exists():
        h.update(mkdocs_file.read_bytes())
    overrides = custom_dir(mkdocs_file)  # the user's own theme overrides (ours are in the package)
    if overrides is not None and overrides.is_dir():
        for path in sorted(p for p in overrides.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(overrides)).encode() + path.read_bytes())
    h.update(redactor.fingerprint().encode())
    h.update(guidance.fingerprint().encode())
    h.update((config.site_url or "").encode())
    h.update(config.limits.model_dump_json().encode())
    h.update(f"tz={config.display_timezone}\0feed={config.feed_priority}".encode())
    return h.hexdigest()


def build(config: BuildConfig, progress: Progress = _no_progress) -> BuildReport:
    """Run the whole pipeline once; raises FalcoArchiveError on failures the user must fix.

    The state folder's lock is held throughout: a second build on the same state (a cron job
    overlapping a manual run) fails at once instead of both committing over each other.
    A failed build removes the folders it created (a first build in an empty folder leaves it
    as it was); folders that were there before are left to the usual recovery of the next run.
    They are noted before the lock is taken and removed only under it: a build refused because
    another one holds the lock removes nothing.
    """
    created = new_folders(config.state_dir, config.docs_dir, config.site_dir)
    with State(config.state_dir).lock(), removed_on_failure(created):
        return _build(config, progress)


def _build(config: BuildConfig, progress: Progress) -> BuildReport:
    report, timings = BuildReport(), _Timings()
    mkdocs_file = packaged.mkdocs_config(config.mkdocs_config)
    redactor = Redactor(config.redaction)
    guidance = GuidanceProvider.load(config.rules, config.playbooks_dir)
    state = State(config.state_dir)
    swap.recover(config.site_dir)
    run_print = fingerprint(config, redactor, guidance, mkdocs_file)
    # IDs of redacted alerts depend on the site's key: a new key means starting over, never
    # two keys' IDs for one alert.
    id_key = state.id_key()
    run_print = hmac.new(id_key, run_print.encode(), hashlib.sha256).hexdigest()
    last_meta = state.meta()
    run = plan.start(
        state,
        run_print,
        full=config.full,
        site_exists=config.site_dir.exists(),
        run_mkdocs=config.run_mkdocs,
    )
    report.mode = "incremental" if run.incremental else "full"
    # The names an archive from before 0.2 published under 8-digit slugs keep those URLs.
    state.add_legacy_names(plan.legacy_names(last_meta, run.before))
    if not run.incremental:
        docs.clean_generated(config.docs_dir)
    packaged.lay_hand_written(config.docs_dir, state.hand_written_record)
    site_url = config.site_url or mkdocs_site_url(mkdocs_file)
    if site_url is None and site_url_is_todo(mkdocs_file):
        log.warning(
            "%s: site_url is still a TODO; set it (or pass --site-url) so ticket snippets and the "
            "feed carry absolute links",
            mkdocs_file,
        )
    elif site_url is None:
        log.warning(
            "no site_url (set it in %s or pass --site-url): ticket snippets take their link from "
            "the page's address in the browser, and feed.xml links relative to itself",
            mkdocs_file,
        )

    with timings("read"):  # 1. Read what is new.
        inputs = plan.find_inputs(config.alerts_dir, state.inputs())
        tick = progress("Reading alerts", len(inputs.to_read))
        now_ns = input_limits.now_ns()  # the build's clock: future alerts, when alerts arrived
        result = plan.read_inputs(
            inputs,
            redactor,
            on_file=lambda _f: tick(1),
            limits=config.limits,
            id_key=id_key,
            now_ns=now_ns,
            published=run.before,
        )

    with timings("aggregate"):  # 2. Merge it into the archive; decide what to render.
        archive = run.archive
        old_links = state.read_links() if run.incremental else None
        merged = plan.merge(
            archive,
            result,
            old_links,
            config.keep_days,
            received=now_ns,
            received_before=None if run.incremental else run.before,
        )
        report.count(inputs, result, merged, redactor)
        aliases = plan.legacy_aliases(result, run.before, merged.catalog)

    with timings("render"):  # 3. Write the pages.
        state.mark_render_started()
        history = state.news_history()
        news = docs.add_news(history, run.build_number, merged, run.before, now_ns)
        report.notes += plan.place(merged.catalog, history)
        report.notes += state.damaged
        options = PageOptions(
            site_url=site_url,
            timezone=ZoneInfo(config.display_timezone) if config.display_timezone else None,
        )
        jobs = plan.alert_jobs(merged, state)
        alerts = render_alert_pages(
            jobs, config.docs_dir, guidance, options, progress("Rendering alert pages", len(jobs))
        )
        del jobs
        handled: set[str] = set()
        while alerts.failed.keys() - handled:  # one alert's page never stops the build: set aside
            failed = {k: v for k, v in alerts.failed.items() if k not in handled}
            handled |= failed.keys()
            aside = plan.set_aside(merged, failed)
            report.set_aside(aside.problems, aside.notes, merged)
            remover = DocsWriter(config.docs_dir)
            for page in aside.pages:
                remover.remove(page)
                remover.remove(alert_download(page))
            alerts.files -= {p for page in aside.pages for p in (page, alert_download(page))}
            aliases = {old: new for old, new in aliases.items() if new not in aside.pages}
            if news is not None:  # this build's news must not list an alert it did not publish
                history.pop()
            news = docs.add_news(history, run.build_number, merged, run.before, now_ns)
            again = plan.alert_jobs(merged, state)  # the neighbours whose links changed
            alerts.add(render_alert_pages(again, config.docs_dir, guidance, options, lambda _n: None))
        charts = ChartCache(state.charts_dir, notes=report.notes)
        written = docs.write_docs(
            config.docs_dir,
            merged,
            alerts,
            everything=run.catch_up,
            history=history,
            guidance=guidance,
            options=options,
            charts=charts,
            feed_priority=Priority.parse(config.feed_priority),
            report=report,
            elapsed=timings.elapsed,
        )
        report.pages_written = written.changed

    if config.run_mkdocs:  # 4. Build the site beside the live one, index it, swap it in.
        published = publish_site(
            mkdocs_config=mkdocs_file,
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
            redirects=redirect_pages(
                merged.catalog, {**state.alert_aliases(), **aliases}, state.legacy_names()
            ),
            # The published build.json states the whole build's duration, MkDocs included.
            finished=lambda: {
                BUILD_INFO: docs.build_info_json({**written.built, "seconds": round(timings.elapsed(), 1)})
            },
        )
        report.mkdocs_runs = published.mkdocs_runs
        timings.add(mkdocs=published.mkdocs_seconds, search=published.search_seconds)

    charts.prune()  # 5. Remember.
    state.add_alert_aliases(aliases)
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
            "slug_hex": SLUG_HEX,
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

    def elapsed(self) -> float:
        """Seconds since the build started."""
        return time.perf_counter() - self._t0

    def done(self) -> dict[str, float]:
        self.seconds["total"] = time.perf_counter() - self._t0
        return self.seconds
