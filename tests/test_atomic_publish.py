"""A build killed at any moment leaves the previous site whole, and the next run succeeds
(issue 3, part 5).

Real ``falco-archive build`` subprocesses over new alerts are SIGKILLed at chosen points (while
rendering, as MkDocs starts, inside MkDocs, right after the swap); after each kill the live
site is compared byte for byte with the snapshot taken before, and a plain rerun must succeed
and publish everything.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conftest import kill_when

from generator.read.models import alert_id, parse_time_ns
from generator.urls import alert_page

if TYPE_CHECKING:
    from conftest import Project, RunBuild

CLI = [sys.executable, "-c", "import sys; from generator.cli import main; sys.exit(main())"]


def snapshot(site: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file (and ``/`` for every folder) of a site."""
    out: dict[str, str] = {}
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site).as_posix()
        out[rel] = "/" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _alerts(batch: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "time": f"2025-0{1 + batch % 9}-{1 + i % 28:02d}T{i % 24:02d}:00:00.{batch:03d}Z",
            "rule": f"Rule {i % 7}",
            "priority": ["Critical", "Warning", "Notice", "Error"][i % 4],
            "output": f"batch {batch} alert {i}",
            "output_fields": {"proc.name": "sh", "proc.cmdline": f"sh -c 'run {batch} {i}'"},
            "source": "syscall",
            "tags": ["test"],
            "hostname": f"node-{i % 5}",
        }
        for i in range(count)
    ]


def _start(project: Project, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*CLI, "build", "alerts", "-q", *extra],
        cwd=project.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _page_written(project: Project, alert: dict[str, Any]) -> Callable[[], bool]:
    """The build is rendering: this alert's Markdown page exists in the docs folder."""
    page = project.docs / alert_page(alert_id(alert), parse_time_ns(alert["time"]))
    return page.exists


def _staging(project: Project, *, min_html: int = 0, then: float = 0.0) -> Callable[[], bool]:
    """MkDocs runs: a *fresh* staging folder exists (a stale one left by an earlier killed run is
    first seen removed), holding ``min_html`` pages, for ``then`` seconds."""
    stage = project.root / "site.staging"
    state = {"stale": stage.exists(), "since": 0.0}

    def ready() -> bool:
        if state["stale"]:
            state["stale"] = stage.exists()
            return False
        if not stage.is_dir():
            return False
        if min_html and sum(1 for _ in stage.rglob("*.html")) < min_html:
            return False
        state["since"] = state["since"] or time.monotonic()
        return time.monotonic() - state["since"] >= then

    return ready


def _swapped(project: Project) -> Callable[[], bool]:
    """The new site is live (its folder is not the one published before) and the state not yet
    committed (``site.previous`` still being deleted, or the parquet files being written)."""
    inode = project.site.stat().st_ino

    def ready() -> bool:
        try:
            return project.site.stat().st_ino != inode
        except FileNotFoundError:
            return False

    return ready


def _whole(project: Project, alerts: list[dict[str, Any]]) -> None:
    """Every alert has its page and download in the live site, which has its fixed pages."""
    for alert in alerts:
        page = alert_page(alert_id(alert), parse_time_ns(alert["time"])).removesuffix(".md")
        assert (project.site / page / "index.html").is_file(), page
        assert (project.site / page).with_suffix(".json").is_file(), page
    for fixed in ("index.html", "404.html", "build-report/index.html", "rules/index.html", "feed.xml"):
        assert (project.site / fixed).is_file(), fixed


def _published(project: Project, alerts: list[dict[str, Any]]) -> None:
    """Whole, with nothing left beside it, and the archive holds exactly these alerts."""
    _whole(project, alerts)
    assert not (project.root / "site.staging").exists()
    assert not (project.root / "site.previous").exists()
    assert project.report()["archived"] == len({alert_id(a) for a in alerts})


@pytest.fixture
def published(project: Project, run_build: RunBuild) -> list[dict[str, Any]]:
    """A project with a published site of 60 alerts."""
    first = _alerts(0, 60)
    project.write_jsonl("batch-0.jsonl", first)
    run_build(["alerts"])
    _published(project, first)
    return first


def test_killed_builds_leave_the_previous_site_whole(
    project: Project, published: list[dict[str, Any]], run_build: RunBuild
) -> None:
    """Four kills in a row, each run starting from what the previous killed run left behind;
    then one plain rerun must succeed and publish everything."""
    everything = list(published)
    kill_points: list[tuple[str, tuple[str, ...], Callable[[list[dict[str, Any]]], Callable[[], bool]]]] = [
        ("while rendering pages", (), lambda new: _page_written(project, new[-1])),
        ("as MkDocs starts", (), lambda new: _staging(project)),
        ("inside MkDocs (incremental)", (), lambda new: _staging(project, then=0.3)),
        ("inside MkDocs (--full)", ("--full",), lambda new: _staging(project, min_html=20)),
    ]
    for batch, (name, options, point) in enumerate(kill_points, start=1):
        before = snapshot(project.site)
        new = _alerts(batch, 15)
        project.write_jsonl(f"batch-{batch}.jsonl", new)
        everything += new
        kill_when(_start(project, *options), point(new), timeout=120.0)
        after = snapshot(project.site)
        assert after.keys() == before.keys(), f"killed {name}: files appeared or vanished in the live site"
        changed = [k for k in before if before[k] != after[k]]
        assert not changed, f"killed {name}: live files changed: {changed[:5]}"

    # Killed after the swap, before the state is committed: the new site is live and whole.
    kill_when(_start(project), _swapped(project), timeout=120.0)
    _whole(project, everything)

    run_build(["alerts"])
    _published(project, everything)


def test_failed_and_interrupted_builds_recover(
    project: Project, published: list[dict[str, Any]], run_build: RunBuild
) -> None:
    """A build failing inside MkDocs publishes nothing; a swap interrupted between its two renames
    (only ``site.previous`` left, plus a stale staging folder) is undone by the next run."""
    before = snapshot(project.site)
    mkdocs_yml = project.root / "mkdocs.yml"
    good = mkdocs_yml.read_text()
    mkdocs_yml.write_text(good.replace("  - About: about.md", "  - About: missing-page.md"))
    new = _alerts(7, 5)
    project.write_jsonl("batch-7.jsonl", new)
    run_build(["alerts"], expect=1)
    assert snapshot(project.site) == before
    mkdocs_yml.write_text(good)

    os.replace(project.site, project.root / "site.previous")
    # (the failed build may have left its own staging folder: a stale one is expected here anyway)
    shutil.copytree(project.root / "site.previous", project.root / "site.staging", dirs_exist_ok=True)
    run_build(["alerts", "--no-mkdocs"])  # recovery alone must put the site back
    assert snapshot(project.site) == before
    assert not (project.root / "site.previous").exists()
    assert not (project.root / "site.staging").exists()

    run_build(["alerts"])
    _published(project, published + new)
