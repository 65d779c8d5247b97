"""Nightly incremental builds give the pages of one full build (issue 4, "Done when").

* three simulated nights (build; new alerts; late alerts, a grown file and duplicates) publish
  exactly the Markdown and HTML one full build of the same input publishes, while leaving the
  pages nothing touched alone (same modification time, same inode);
* a change of theme, mkdocs.yml, templates, package version, redaction rules or display time
  zone turns the next build into a full one by itself, and the change is then remembered;
* an incremental run killed while rendering, inside MkDocs or right after the swap leaves the
  previous site untouched and a state the next run continues from incrementally;
* ``--keep-days`` removes old alerts from the Markdown, the site and every aggregate, even when
  the first run that removes them is killed half-way.

Pages that legitimately differ per build are left out of comparisons: the build report, the
sitemap, search indexes, 404 page and the per-build news pages (plus the dashboard's "What's
new" box, which names the latest build). Everything runs real MkDocs builds on ~60 alerts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_skeleton, invoke_build, kill_when

import generator.build
from generator.read.models import alert_id, parse_time_ns
from generator.read.redact import BUILTIN_RULES
from generator.synthetic.generate import generate
from generator.synthetic.write import write_alerts
from generator.urls import alert_page, host_page, page_url

START = datetime(2026, 1, 1, tzinfo=UTC)
CLI = [sys.executable, "-c", "import sys; from generator.cli import main; sys.exit(main())"]
SITE_VOLATILE = frozenset(
    {
        "build-report",
        "build-report.json",
        "sitemap.xml",
        "sitemap.xml.gz",
        "search",
        "pagefind",
        "404.html",
        "news",
        # The build's time (issue 13): build.json and the feed's <updated>.
        "build.json",
        "feed.xml",
    }
)
DOCS_VOLATILE = frozenset({"build-report.md", "build-report.json", "news", "build.json", "feed.xml"})
_NEWS_MD = re.compile(r"^!!! info \"What's new\"\n(?:    .*\n|\n)*", re.MULTILINE)
_NEWS_HTML = re.compile(
    r'<div class="admonition info">\s*<p class="admonition-title">What.s new</p>.*?</div>', re.S
)

Alert = dict[str, Any]


# ---------------------------------------------------------------------------------------------
# Helpers


def build(root: Path, *extra: str, expect: int = 0) -> dict[str, Any]:
    """``falco-archive build`` of ``root``'s project; its build report.

    Run chdir'ed into the project, so a ``falco-archive.toml`` of the repository (found in the
    current directory) is never picked up.
    """
    with contextlib.chdir(root):
        invoke_build(
            [
                str(root / "alerts"),
                "--site-dir",
                str(root / "site"),
                "--docs-dir",
                str(root / "site_src"),
                "--state-dir",
                str(root / ".falco-archive"),
                "--mkdocs-config",
                str(root / "mkdocs.yml"),
                "-q",
                *extra,
            ],
            expect=expect,
        )
    report: dict[str, Any] = json.loads((root / "site_src" / "build-report.json").read_text("utf-8"))
    return report


def new_project(root: Path) -> Path:
    copy_skeleton(root)
    (root / "alerts").mkdir()
    return root


def write_jsonl(path: Path, alerts: Iterable[Alert]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(a, ensure_ascii=True) + "\n" for a in alerts), "utf-8")


def _ids(alerts: Iterable[Alert]) -> set[str]:
    return {alert_id(a) for a in alerts}


def page_of(alert: Alert) -> str:
    return alert_page(alert_id(alert), parse_time_ns(alert["time"]))


def _files(root: Path, volatile: frozenset[str]) -> Iterable[Path]:
    for entry in sorted(root.iterdir()):
        if entry.name in volatile:
            continue
        if entry.is_dir():
            yield from sorted(p for p in entry.rglob("*") if p.is_file())
        else:
            yield entry


def pages(root: Path) -> dict[str, str]:
    """What a visitor gets, per file: ``docs/...`` (Markdown, downloads) and ``site/...`` (HTML).

    Per-build parts are left out (see the module docstring); the dashboard is compared without
    its "What's new" box.
    """
    out: dict[str, str] = {}
    for prefix, top, volatile, news in (
        ("docs", root / "site_src", DOCS_VOLATILE, _NEWS_MD),
        ("site", root / "site", SITE_VOLATILE, _NEWS_HTML),
    ):
        for path in _files(top, volatile):
            rel = path.relative_to(top).as_posix()
            data = path.read_bytes()
            if rel in ("index.md", "index.html"):
                stripped, count = news.subn("", data.decode("utf-8"))
                assert count <= 1, f"{prefix}/{rel}: more than one news box"
                data = stripped.encode("utf-8")
            out[f"{prefix}/{rel}"] = hashlib.sha256(data).hexdigest()
    return out


def assert_same_pages(got: dict[str, str], want: dict[str, str]) -> None:
    missing = sorted(want.keys() - got.keys())
    extra = sorted(got.keys() - want.keys())
    differ = sorted(k for k in want.keys() & got.keys() if want[k] != got[k])
    assert not (missing or extra or differ), (
        f"pages differ from the full build: {len(missing)} missing {missing[:5]}, "
        f"{len(extra)} extra {extra[:5]}, {len(differ)} different {differ[:5]}"
    )


def file_bytes(root: Path) -> dict[str, str]:
    """Every file (and folder) below ``root``, byte for byte: for "nothing changed" checks."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        out[rel] = "/" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# ---------------------------------------------------------------------------------------------
# Three nights of input, written once per module and copied byte for byte into every project


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``inputs/night-N/`` trees: what arrives in ``alerts/`` each night, and the alerts in them.

    Night 1: 30 alerts over 3 days (mixed layouts). Night 2: 10 alerts of the next day in one
    JSONL file. Night 3: 8 *late* alerts dated inside night 1's window, that file grown by 3
    alerts, and a file repeating 5 alerts already published (duplicates, no new page).
    """
    root = tmp_path_factory.mktemp("inputs")
    base = list(generate(30, seed=41, start=START, days=3, hosts=3))
    new = list(generate(10, seed=42, start=START + timedelta(days=3), days=1, hosts=3))
    late = list(generate(8, seed=43, start=START + timedelta(days=1), days=1, hosts=3))
    grown = list(generate(3, seed=44, start=START + timedelta(days=3, hours=20), days=1, hosts=3))
    write_alerts(base, root / "night-1" / "night-1", "mixed", seed=41)
    write_jsonl(root / "night-2" / "night-2" / "feed.jsonl", new)
    write_alerts(late, root / "night-3" / "night-3", "jsonl", seed=43)
    write_jsonl(root / "night-3" / "night-3" / "replayed.jsonl", base[:5])
    write_jsonl(root / "night-3" / "night-2" / "feed.jsonl", new + grown)
    return {"root": root, "base": base, "new": new, "late": late, "grown": grown}


def arrive(project: Path, nights: dict[str, Any], night: int) -> None:
    """Night ``night``'s files land in ``alerts/`` (a grown file replaces its older copy)."""
    shutil.copytree(nights["root"] / f"night-{night}", project / "alerts", dirs_exist_ok=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, nights: dict[str, Any]) -> dict[str, str]:
    """The pages of ONE full build of everything the three nights brought."""
    project = new_project(tmp_path_factory.mktemp("reference"))
    for night in (1, 2, 3):
        arrive(project, nights, night)
    report = build(project)
    assert report["mode"] == "full"
    expected = set().union(*(_ids(nights[key]) for key in ("base", "new", "late", "grown")))
    assert report["archived"] == len(expected)
    return pages(project)


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory: pytest.TempPathFactory, nights: dict[str, Any]) -> Path:
    """A project after night 1 (full build) and night 2 (incremental): copy it, don't use it."""
    project = new_project(tmp_path_factory.mktemp("two-nights"))
    arrive(project, nights, 1)
    assert build(project)["mode"] == "full"
    arrive(project, nights, 2)
    report = build(project)
    assert report["mode"] == "incremental"
    assert report["published"] == len(_ids(nights["new"]) - _ids(nights["base"]))
    return project


@pytest.fixture
def after_two_nights(two_nights: Path, tmp_path: Path) -> Path:
    """A private copy (modification times kept: they are what ``--dirty`` decides on)."""
    project = tmp_path / "project"
    shutil.copytree(two_nights, project, symlinks=True)
    return project


@pytest.fixture(scope="module")
def third_night(tmp_path_factory: pytest.TempPathFactory, two_nights: Path, nights: dict[str, Any]) -> Any:
    """Night 3 built on a copy of :func:`two_nights`, with what its older pages looked like."""
    project = tmp_path_factory.mktemp("three-nights") / "project"
    shutil.copytree(two_nights, project, symlinks=True)
    existing = sorted({page_of(a) for a in nights["base"] + nights["new"]})
    md_mtimes = {p: (project / "site_src" / p).stat().st_mtime_ns for p in existing}
    html_inodes = {
        p: (project / "site" / p.removesuffix(".md") / "index.html").stat().st_ino for p in existing
    }
    arrive(project, nights, 3)
    report = build(project)
    return project, report, md_mtimes, html_inodes


# ---------------------------------------------------------------------------------------------
# Tests


def test_three_nights_publish_the_pages_of_one_full_build(
    third_night: Any, nights: dict[str, Any], reference: dict[str, str]
) -> None:
    project, report, md_mtimes, html_inodes = third_night

    assert report["mode"] == "incremental"
    night3_files = sum(1 for p in (nights["root"] / "night-3").rglob("*") if p.is_file())
    assert report["files_read"] == night3_files, "only new or changed input files are read"
    # Read: the late alerts, the replayed five and the whole grown file; new: late + grown only.
    assert report["records"] == len(nights["late"]) + 5 + len(nights["new"]) + len(nights["grown"])
    known = _ids(nights["base"]) | _ids(nights["new"])
    assert report["published"] == len((_ids(nights["late"]) | _ids(nights["grown"])) - known)
    assert report["duplicates"] == report["records"] - report["published"]
    for alert in nights["late"]:
        page = page_of(alert)
        day = datetime.fromtimestamp(parse_time_ns(alert["time"]) // 10**9, tz=UTC)
        assert page.startswith(f"alerts/{day:%Y/%m/%d}/"), page
        assert (project / "site" / page.removesuffix(".md") / "index.html").is_file(), page
    assert_same_pages(pages(project), reference)

    # ... and it got there without redoing what nothing changed: a new alert changes the
    # prev/next links of at most two older pages; every other page keeps its Markdown (mtime)
    # and its HTML (the staging copy hard-links it, so MkDocs did not re-render it).
    rewritten = [p for p, m in md_mtimes.items() if (project / "site_src" / p).stat().st_mtime_ns != m]
    assert len(rewritten) <= 2 * report["published"], f"{len(rewritten)} older alert pages rewritten"
    kept = [p for p in md_mtimes if p not in rewritten]
    assert kept
    rebuilt = [
        p
        for p in kept
        if (project / "site" / p.removesuffix(".md") / "index.html").stat().st_ino != html_inodes[p]
    ]
    assert not rebuilt, f"MkDocs re-rendered pages whose Markdown did not change: {rebuilt[:3]}"


def test_incremental_build_keeps_a_complete_search_index(third_night: Any) -> None:
    """A nightly build re-indexes only changed Pagefind shards: the published search bundle must
    still find every older alert (its ID table lists all of them)."""
    project, _report, md_mtimes, _inodes = third_night
    tables = list((project / "site" / "pagefind" / "ids").glob("*.json"))
    assert tables, "the site has no Pagefind ID table"
    known: set[str] = set()
    for table in tables:
        known.update(json.loads(table.read_text("utf-8")))
    older = {p.rsplit("/", 1)[-1].removesuffix(".md") for p in md_mtimes if p.startswith("alerts/")}
    assert older and not older - known, f"{len(older - known)} older alerts vanished from search"


def test_theme_config_template_version_and_redaction_changes_force_a_full_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = new_project(tmp_path / "project")
    alerts = list(generate(12, seed=7, start=START, days=2, hosts=2))
    write_jsonl(project / "alerts" / "a.jsonl", alerts)
    assert build(project)["mode"] == "full"

    # Theme: a new partial in overrides/ shows on every page, old ones included.
    marker = "falco-archive-theme-change-3b9c"
    (project / "overrides" / "partials").mkdir(parents=True, exist_ok=True)
    (project / "overrides" / "partials" / "copyright.html").write_text(
        f'<div class="md-copyright">{marker}</div>'
    )
    assert build(project)["mode"] == "full"
    for alert in alerts:
        html = project / "site" / page_of(alert).removesuffix(".md") / "index.html"
        assert marker in html.read_text("utf-8"), f"{html} was not rebuilt with the new theme"

    # The rest without MkDocs (the mode is decided before it runs).
    with (project / "mkdocs.yml").open("a") as fh:
        fh.write("\n# changed\n")
    assert build(project, "--no-mkdocs")["mode"] == "full", "mkdocs.yml change"

    package = Path(generator.build.__file__).parent
    fake = tmp_path / "package"
    shutil.copytree(package, fake, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(generator.build, "__file__", str(fake / "build.py"))
    assert build(project, "--no-mkdocs")["mode"] == "incremental", "an identical copy of the code"
    template = sorted((fake / "pages" / "templates").glob("*.j2"))[0]
    template.write_text(template.read_text("utf-8") + "{# changed #}\n", "utf-8")
    assert build(project, "--no-mkdocs")["mode"] == "full", "template change"
    module = fake / "urls.py"  # any module: links, slugs and escaping all shape pages
    module.write_text(module.read_text("utf-8") + "# changed\n", "utf-8")
    assert build(project, "--no-mkdocs")["mode"] == "full", "code change"

    monkeypatch.setattr(generator.build, "__version__", "999.0.0")
    assert build(project, "--no-mkdocs")["mode"] == "full", "package version change"

    config = tmp_path / "falco-archive.toml"
    config.write_text(f'[redaction]\ndisable = ["{BUILTIN_RULES[0].name}"]\n', "utf-8")
    assert build(project, "--no-mkdocs", "--config", str(config))["mode"] == "full", "redaction change"

    # Every alert page shows the local time next to UTC: a new zone must reach the old pages too.
    config.write_text(
        config.read_text("utf-8").replace("[redaction]", 'display_timezone = "Asia/Tokyo"\n[redaction]')
    )
    assert build(project, "--no-mkdocs", "--config", str(config))["mode"] == "full", "display_timezone change"

    assert build(project, "--no-mkdocs", "--config", str(config), "--full")["mode"] == "full"
    assert build(project, "--no-mkdocs", "--config", str(config))["mode"] == "incremental"


def test_killed_incremental_runs_leave_site_and_state_usable(
    after_two_nights: Path, nights: dict[str, Any], reference: dict[str, str]
) -> None:
    project = after_two_nights
    site, state, stage = project / "site", project / ".falco-archive", project / "site.staging"
    site_before, state_before = file_bytes(site), file_bytes(state)
    arrive(project, nights, 3)
    late_md = [project / "site_src" / page_of(a) for a in nights["late"]]
    late_html = [page_of(a).removesuffix(".md") + "/index.html" for a in nights["late"]]
    args = [
        *CLI,
        "build",
        "alerts",
        "-q",
        "--site-dir",
        "site",
        "--docs-dir",
        "site_src",
        "--state-dir",
        ".falco-archive",
    ]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(args, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def rendering() -> bool:
        return any(p.exists() for p in late_md)

    def in_mkdocs() -> bool:
        return any((stage / p).exists() for p in late_html)

    for name, ready in (("while rendering", rendering), ("inside MkDocs", in_mkdocs)):
        if name == "inside MkDocs":
            shutil.rmtree(stage, ignore_errors=True)  # a fresh staging folder, not the stale one
        kill_when(start(), ready, timeout=180.0)
        assert file_bytes(site) == site_before, f"killed {name}: the live site changed"
        # The state is committed last: nothing in it changed or vanished (caches may grow).
        state_now = file_bytes(state)
        # ``lock`` holds the PID of the running build (issue 12.7): not state, it names the killed run.
        changed = [k for k, v in state_before.items() if state_now.get(k) != v and k != "lock"]
        assert not changed, f"killed {name}: state files changed: {changed[:5]}"

    inode = site.stat().st_ino

    def swapped() -> bool:
        try:
            return site.stat().st_ino != inode
        except FileNotFoundError:
            return False

    kill_when(start(), swapped, timeout=180.0)
    for html in late_html:
        assert (site / html).is_file(), f"killed after the swap: {html} missing from the live site"

    report = build(project)
    assert report["mode"] == "incremental", "the state left by killed runs must stay usable"
    assert not stage.exists()
    assert not project.joinpath("site.previous").exists()
    assert_same_pages(pages(project), reference)


def test_keep_days_removes_old_alerts_everywhere(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    # The old alerts come from a host that sends nothing recent: its host page must go too.
    old = [
        {**a, "hostname": "retired-node-7"}
        for a in generate(8, seed=5, start=now - timedelta(days=400), days=1, hosts=2)
    ]
    recent = list(generate(14, seed=6, start=now - timedelta(days=3), days=1, hosts=2))
    inputs = tmp_path / "inputs"
    write_jsonl(inputs / "old.jsonl", old)
    write_jsonl(inputs / "recent.jsonl", recent)
    old_ids, recent_ids = sorted(_ids(old)), _ids(recent)

    project = new_project(tmp_path / "project")
    shutil.copytree(inputs, project / "alerts", dirs_exist_ok=True)
    assert build(project)["archived"] == len(old_ids) + len(recent_ids)
    assert all((project / "site_src" / page_of(a)).is_file() for a in old)
    retired_host = project / "site" / page_url(host_page("retired-node-7"))
    assert (retired_host / "index.html").is_file()

    # A first attempt dies inside MkDocs, after it deleted the stale Markdown pages: the next
    # run must still remove their HTML.
    stage = project / "site.staging"
    kill_when(
        subprocess.Popen(
            [*CLI, "build", "alerts", "-q", "--keep-days", "30"],
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        ),
        stage.is_dir,
        timeout=180.0,
    )
    report = build(project, "--keep-days", "30")
    assert report["mode"] == "incremental"
    assert report["removed"] == old_ids
    assert report["archived"] == len(recent_ids)
    for alert in old:
        page = page_of(alert).removesuffix(".md")
        for path in (
            project / "site_src" / f"{page}.md",
            project / "site_src" / f"{page}.json",
            project / "site" / page,
            project / "site" / f"{page}.json",
        ):
            assert not path.exists(), f"{path} survived retention"
    assert not (retired_host / "index.html").exists(), "the removed host's page survived in the site"
    assert not (project / "site_src" / host_page("retired-node-7")).exists()
    # No page, listing, aggregate, sitemap or search index still names an old alert.
    for top in (project / "site_src", project / "site"):
        for path in top.rglob("*"):
            if path.is_dir() or path.name.startswith("build-report") or path.suffix == ".gz":
                continue
            text = path.read_text("utf-8", "replace")
            leaked = [i for i in old_ids if i in text]
            assert not leaked, f"{path.relative_to(project)} still names removed alerts {leaked[:2]}"

    fresh = new_project(tmp_path / "fresh")
    shutil.copytree(inputs, fresh / "alerts", dirs_exist_ok=True)
    assert build(fresh, "--keep-days", "30")["removed"] == old_ids
    assert_same_pages(pages(project), pages(fresh))
