"""Render alert pages: the one stage whose cost grows with the number of alerts rendered.

Pages are independent of each other, so they are rendered by a pool of worker processes
(forked, so the compiled templates and loaded playbooks are shared, not pickled). Each page's
bytes depend only on its own alert and neighbours, so the output is identical whatever the
number of workers or the order they finish in.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.archive.plan import AlertJob
from generator.files import DocsWriter
from generator.pages.guidance import GuidanceProvider
from generator.pages.render import PageOptions, Renderer, alert_view, raw_json
from generator.read.models import FalcoAlert
from generator.urls import alert_download, rule_page, url_link

#: Below this many pages, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 400
_CHUNK = 100


class AlertPageWriter:
    """Renders and writes alert pages (one per worker process)."""

    def __init__(self, docs_dir: Path, guidance: GuidanceProvider, options: PageOptions) -> None:
        self.renderer = Renderer()
        self.writer = DocsWriter(docs_dir)
        self.guidance = guidance
        self.options = options

    def write(self, job: AlertJob) -> None:
        raw = json.loads(job.raw)
        alert = FalcoAlert.model_validate(raw)
        renderer = self.renderer
        to_rule = url_link(job.page, rule_page(alert.rule))
        view = alert_view(
            job.id,
            job.page,
            alert,
            raw,
            job.prev_page,
            job.next_page,
            guidance=self.guidance.markdown(alert, lambda g: renderer.guidance(g, to_rule)),
            options=self.options,
        )
        page, download = renderer.alert(view), raw_json(raw) + "\n"  # both, before writing either
        self.writer.write(job.page, page)
        self.writer.write(alert_download(job.page), download)


@dataclass
class RenderedAlerts:
    """What rendering the alert pages did."""

    #: Docs paths whose bytes changed.
    changed: list[str] = field(default_factory=list)
    #: Docs paths rendered (each page and its JSON download).
    files: set[str] = field(default_factory=set)
    #: Alert ID -> why its page could not be rendered (the plan sets such alerts aside).
    failed: dict[str, str] = field(default_factory=dict)

    def add(self, other: RenderedAlerts) -> None:
        self.changed += other.changed
        self.files |= other.files
        self.failed.update(other.failed)


_WORKER: AlertPageWriter | None = None


def _init_worker(docs_dir: Path, guidance: GuidanceProvider, options: PageOptions) -> None:
    global _WORKER
    _WORKER = AlertPageWriter(docs_dir, guidance, options)


def _run_chunk(jobs: Sequence[AlertJob]) -> tuple[int, list[str], dict[str, str]]:
    """Render a chunk; one alert whose page fails (a value no code path expected, a path the
    guarded writer refuses) is reported, never allowed to stop the pages of all the others."""
    assert _WORKER is not None
    before = len(_WORKER.writer.changed)
    failed: dict[str, str] = {}
    for job in jobs:
        try:
            _WORKER.write(job)
        except Exception as exc:  # the per-record boundary: quarantined and named, never fatal
            failed[job.id] = f"{type(exc).__name__}: {exc}"
    return len(jobs), _WORKER.writer.changed[before:], failed


def _chunks(jobs: Sequence[AlertJob], size: int) -> Iterator[Sequence[AlertJob]]:
    for start in range(0, len(jobs), size):
        yield jobs[start : start + size]


def worker_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def render_alert_pages(
    jobs: Sequence[AlertJob],
    docs_dir: Path,
    guidance: GuidanceProvider,
    options: PageOptions,
    tick: Callable[[int], None],
    workers: int | None = None,
) -> RenderedAlerts:
    """Write every job's page and JSON download; says what changed and which pages failed."""
    workers = worker_count() if workers is None else workers
    out = RenderedAlerts(files={p for job in jobs for p in (job.page, alert_download(job.page))})
    if workers <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        _init_worker(docs_dir, guidance, options)
        for chunk in _chunks(jobs, _CHUNK):
            done, paths, failed = _run_chunk(chunk)
            out.changed += paths
            out.failed.update(failed)
            tick(done)
        return out
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_init_worker, initargs=(docs_dir, guidance, options)) as pool:
        for done, paths, failed in pool.imap_unordered(_run_chunk, _chunks(jobs, _CHUNK)):
            out.changed += paths
            out.failed.update(failed)
            tick(done)
    return out
