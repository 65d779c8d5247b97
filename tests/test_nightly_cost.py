"""What makes a nightly build cost what is new (issue 4), checked on real MkDocs builds.

* MkDocs runs in batches over views of the docs folder (``generator/site.py``): many small
  batches, two at a time, publish byte for byte the site one run over everything publishes.
* A nightly build leaves the aggregate pages of untouched rules and hosts alone (Markdown not
  rewritten, HTML not re-converted), re-renders a listing only from the page its first new
  alert lands on, and still ends with the pages of a full build, also after late alerts.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_incremental import assert_same_pages, build, new_project, page_of, pages, write_jsonl

import generator.publish.site
from generator.errors import SiteBuildError
from generator.publish.site import build_site
from generator.synthetic.generate import generate
from generator.urls import host_page, page_url, rule_page

START = datetime(2026, 3, 1, tzinfo=UTC)


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_batched_mkdocs_runs_publish_the_site_of_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = new_project(tmp_path / "project")
    write_jsonl(project / "alerts" / "a.jsonl", generate(40, seed=5, start=START, days=3, hosts=3))
    build(project, "--no-mkdocs")
    docs = project / "site_src"
    always = [
        "about.md",
        "search.md",
        *(p.relative_to(docs).as_posix() for p in (docs / "assets").rglob("*")),
    ]
    common = {"config_file": project / "mkdocs.yml", "docs_dir": docs, "always": always}

    one = tmp_path / "one"
    one.mkdir()
    assert build_site(site_dir=one, **common) == 1

    monkeypatch.setattr(generator.publish.site, "BATCH_PAGES", 7)
    many = tmp_path / "many"
    many.mkdir()
    runs = build_site(site_dir=many, workers=2, **common)
    md_pages = sum(1 for _ in docs.rglob("*.md"))
    assert runs >= md_pages // 7, "the pages were not split into batches"
    assert _tree(many) == _tree(one)
    assert not (many / "sitemap.xml").exists()
    assert not docs.with_name("site_src.views").exists(), "a view was left behind"

    # A page MkDocs rejects fails the build from inside a parallel batch, views cleaned up.
    broken = sorted((docs / "alerts").rglob("*.md"))[-1]
    broken.write_text(broken.read_text("utf-8") + "\n[gone](missing-page.md)\n", "utf-8")
    with pytest.raises(SiteBuildError, match="strict mode"):
        build_site(site_dir=tmp_path / "broken", workers=2, **common)
    assert not docs.with_name("site_src.views").exists(), "a view was left behind"


def _alerts(count: int, seed: int, start: datetime, days: int, rule: str, host: str) -> list[dict[str, Any]]:
    out = []
    for alert in generate(count, seed=seed, start=start, days=days, hosts=1):
        alert["rule"] = rule
        alert["hostname"] = host
        out.append(alert)
    return out


def _state(project: Path, rel: str) -> tuple[int, int]:
    """(Markdown mtime, HTML inode) of a docs page: both stay when nothing redid the page."""
    md = project / "site_src" / rel
    html = project / "site" / page_url(rel) / "index.html"
    return md.stat().st_mtime_ns, html.stat().st_ino


def test_nightly_build_redoes_only_the_aggregate_pages_whose_alerts_changed(tmp_path: Path) -> None:
    busy = _alerts(230, 11, START, 3, "Busy rule", "busy-host")  # three listing pages: 100, 100, 30
    quiet = _alerts(20, 12, START, 3, "Quiet rule", "quiet-host")
    new = _alerts(75, 13, START + timedelta(days=3), 1, "Busy rule", "busy-host")  # 305: a 4th page
    late = _alerts(3, 14, START, 1, "Busy rule", "busy-host")
    project = new_project(tmp_path / "project")
    write_jsonl(project / "alerts" / "night-1.jsonl", busy + quiet)
    assert build(project)["mode"] == "full"

    busy_rule, quiet_rule = rule_page("Busy rule"), rule_page("Quiet rule")
    folder = busy_rule.removesuffix("index.md")
    watched = [quiet_rule, host_page("quiet-host"), f"{folder}page-1.md", f"{folder}page-2.md"]
    before = {rel: _state(project, rel) for rel in [*watched, busy_rule, f"{folder}page-3.md"]}

    # Night 2: newer alerts of the busy rule fill its last listing page and start a fourth; the
    # first two pages link only to their neighbours, so they stay as they are.
    write_jsonl(project / "alerts" / "night-2.jsonl", new)
    report = build(project)
    assert report["mode"] == "incremental" and report["published"] == 75
    for rel in watched:
        assert _state(project, rel) == before[rel], f"{rel} was redone although its alerts did not change"
    for rel in (busy_rule, f"{folder}page-3.md"):
        md_mtime, inode = _state(project, rel)
        assert md_mtime != before[rel][0] and inode != before[rel][1], f"{rel} was not redone"
    listed = "".join((project / "site_src" / folder / f"page-{n}.md").read_text() for n in (3, 4))
    for alert in new:
        assert page_of(alert).removesuffix(".md").rsplit("/", 1)[-1] in listed
    assert "page-4/" in (project / "site_src" / folder / "page-3.md").read_text(), "no link to the new page"

    # Night 3: late alerts shift every listing page of the busy rule, none of the quiet one.
    write_jsonl(project / "alerts" / "night-3.jsonl", late)
    assert build(project)["mode"] == "incremental"
    assert _state(project, quiet_rule) == before[quiet_rule]
    assert _state(project, f"{folder}page-1.md")[1] != before[f"{folder}page-1.md"][1]

    reference = new_project(tmp_path / "reference")
    shutil.copytree(project / "alerts", reference / "alerts", dirs_exist_ok=True)
    assert build(reference)["mode"] == "full"
    assert_same_pages(pages(project), pages(reference))
