"""Issue 7 end to end: charts match the catalog, the ticket snippet copies, feed and exports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

import pandas as pd
import pytest
from conftest import Project, RunBuild

from generator.urls import name_slug

ATOM = "{http://www.w3.org/2005/Atom}"
PRIORITIES = ["Critical", "Error", "Warning", "Notice"]


def _alerts(make_alert: Any) -> list[dict[str, Any]]:
    out = []
    for i in range(40):
        day = 20 + i % 4
        out.append(
            make_alert(
                time=f"2026-11-{day}T0{i % 10}:00:{i:02d}.000000001Z",
                rule=["Terminal shell in container", "Read sensitive file untrusted"][i % 2],
                priority=PRIORITIES[i % 4],
                hostname=f"node-{i % 3}",
                output_fields={
                    "proc.name": "sh",
                    "proc.cmdline": f"sh -c 'echo {i} | tee /tmp/x'",
                    "container.name": "web",
                    "k8s.pod.name": "web-1",
                    "k8s.ns.name": "prod",
                },
            )
        )
    return out


@pytest.fixture
def built(project: Project, run_build: RunBuild, make_alert: Any) -> Project:
    project.write_jsonl("a.jsonl", _alerts(make_alert))
    run_build(["--site-url", "https://alerts.example.com/archive/"])
    return project


def test_feed_and_exports_agree_with_the_site(built: Project) -> None:
    site = built.site
    pages = list((site / "alerts").rglob("index.html"))
    csv = pd.read_csv(site / "exports" / "alerts.csv")
    parquet = pd.read_parquet(site / "exports" / "alerts.parquet")
    assert len(csv) == len(parquet) == len(pages) == 40
    assert (
        Counter(csv["rule"])
        == Counter(parquet["rule"])
        == {"Terminal shell in container": 20, "Read sensitive file untrusted": 20}
    )
    rules = json.loads((site / "exports" / "rules.json").read_text())
    assert rules["alerts"] == sum(v["count"] for v in rules["values"]) == 40

    root = ET.parse(site / "feed.xml").getroot()
    for required in ("id", "title", "updated", "author", "link"):
        assert root.find(ATOM + required) is not None, required
    entries = root.findall(ATOM + "entry")
    assert len(entries) == 20  # Critical and Error only (the default feed priority is Error)
    for entry in entries:
        for required in ("id", "title", "updated", "link"):
            assert entry.find(ATOM + required) is not None
        href = entry.find(ATOM + "link").get("href")
        assert href.startswith("https://alerts.example.com/archive/alerts/2026/11/")
        local = site / href.removeprefix("https://alerts.example.com/archive/") / "index.html"
        assert local.is_file()
        assert "Critical" in entry.find(ATOM + "title").text or "Error" in entry.find(ATOM + "title").text


@pytest.mark.browser
def test_charts_match_counts_and_snippet_copies(built: Project, serve_site: Any, browser: Any) -> None:
    base = serve_site(built.site)
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base.rstrip("/"))
    page = context.new_page()
    page.goto(base)
    daily = page.locator("svg[data-chart='daily-by-priority']").first
    assert daily.is_visible()
    by_day = json.loads(daily.get_attribute("data-daily"))
    expected = Counter(f"2026-11-{20 + i % 4}" for i in range(40))
    assert by_day == dict(expected)
    desc = page.locator("svg[data-chart='daily-by-priority'] desc").first.text_content()
    assert "40" in desc

    page.goto(base + f"rules/{name_slug('Terminal shell in container')}/")
    rule_chart = page.locator("svg[data-chart='daily-by-priority']").first
    assert int(rule_chart.get_attribute("data-total")) == 20

    page.goto(base)
    page.locator("article table a").filter(has_text="2026-11").first.click()
    page.wait_for_load_state()
    url = page.url
    page.get_by_role("button", name="Copy as Markdown").click()
    page.wait_for_timeout(300)
    copied = page.evaluate("navigator.clipboard.readText()")
    permanent = "https://alerts.example.com/archive/" + url.removeprefix(base)
    assert permanent in copied
    assert "**Rule:**" in copied and "```" in copied
    context.close()
