"""One damaged state file never stops every build (issue 12, item 8).

A truncated catalog Parquet file (``ArrowInvalid ... magic bytes not found``) or a garbage
cached chart used to stop every build, ``--full`` included, and the only way out (deleting the
state) lost the alerts whose input files were already rotated away. A damaged file is now
reported (build report and log, naming the file), set aside, and rebuilt from what remains.
Cached chart SVGs are checked before they are inlined: an ``onload`` never reaches a page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Project, RunBuild

from generator.pages.chart_cache import is_safe_chart

Alert = Callable[..., dict[str, Any]]


def two_months(project: Project, make_alert: Alert) -> None:
    project.write_jsonl(
        "oct.jsonl", [make_alert(time=f"2025-10-0{d}T10:00:00Z", hostname="a") for d in (1, 2)]
    )
    project.write_jsonl(
        "nov.jsonl", [make_alert(time=f"2025-11-0{d}T10:00:00Z", hostname="b") for d in (1, 2, 3)]
    )


def alert_pages(project: Project) -> set[str]:
    return {p.relative_to(project.docs).as_posix() for p in (project.docs / "alerts").rglob("*.md")}


def test_a_truncated_catalog_month_is_reported_and_rebuilt_from_what_remains(
    project: Project, run_build: RunBuild, make_alert: Alert
) -> None:
    two_months(project, make_alert)
    run_build(["alerts", "--site-dir", "site"])
    pages = alert_pages(project)
    assert len(pages) == 5
    # October's input file was rotated away: only the catalog still holds those alerts.
    (project.alerts / "oct.jsonl").unlink()
    month = project.state / "catalog" / "2025-11.parquet"
    month.write_bytes(month.read_bytes()[:100])  # truncated: "magic bytes not found"
    result = run_build(["alerts", "--site-dir", "site"])  # before 0.2: exit 1, every night
    report = project.report()
    assert any("2025-11.parquet" in n and "damaged" in n for n in report["notes"]), report["notes"]
    assert "2025-11.parquet" in result.output  # logged too
    assert alert_pages(project) == pages, "October kept from the catalog, November read again"
    assert report["archived"] == 5
    assert (project.site / "build-report" / "index.html").read_text("utf-8").count("2025-11.parquet") >= 1
    # The next night is an ordinary incremental build again.
    result = run_build(["alerts", "--site-dir", "site"])
    assert "Done (incremental)" in result.output and project.report()["notes"] == []
    assert project.report()["archived"] == 5


@pytest.mark.parametrize("garbage", [b"", b"PAR1 not really", b"\x00" * 5000])
def test_full_always_works_with_a_garbage_catalog(
    project: Project, run_build: RunBuild, make_alert: Alert, garbage: bytes
) -> None:
    two_months(project, make_alert)
    run_build(["alerts", "--no-mkdocs"])
    (project.state / "catalog" / "2025-10.parquet").write_bytes(garbage)
    run_build(["alerts", "--no-mkdocs", "--full"])
    assert project.report()["archived"] == 5


def test_other_damaged_state_files_never_stop_a_build(
    project: Project, run_build: RunBuild, make_alert: Alert, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FALCO_ARCHIVE_ID_KEY")  # the key file in the state is used
    two_months(project, make_alert)
    run_build(["alerts", "--no-mkdocs"])
    state = project.state
    (state / "links.parquet").write_bytes(b"garbage")
    (state / "inputs.json").write_text(json.dumps({"oct.jsonl": 5, "nov.jsonl": [1]}))
    (state / "news" / "1.json").write_text(json.dumps({"number": "one", "newest_ns": [], "ids": 3}))
    (state / "news" / "7.json").write_bytes(b"\xff\xfe garbage")
    run_build(["alerts", "--no-mkdocs"])
    assert project.report()["archived"] == 5
    (state / "state.json").write_text(json.dumps({"build_number": "x", "complete": True}))
    (state / "id-key").write_text("not a key")
    run_build(["alerts", "--no-mkdocs"])
    assert project.report()["archived"] == 5
    assert any("id-key" in n for n in project.report()["notes"])


EVIL_SVGS = [
    '<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=true"><rect width="1" height="1"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><script>window.__pwned=true</script></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><g><rect onclick="x()" width="1"/></g></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">'
    "<img src=x onerror=alert(1)></div></foreignObject></svg>",
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    '<use xlink:href="https://evil.example/x.svg#a"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>x</text></a></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil.example/a.css);</style></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://evil.example/t)"/></svg>',
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><text><![CDATA[</figure><script>x</script>]]></text></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><!-- --><set attributeName="onmouseover" to="alert(1)"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><animate attributeName="href" to="javascript:alert(1)"/></svg>',
    "<html><body onload=alert(1)></body></html>",
    # A bar's link (issue 13) is page-relative: no scheme, no host, no root path, no escape.
    *(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        f'<a xlink:href="{href}"><path d="M 0 0"/></a></svg>'
        for href in (
            "javascript:alert(1)",
            "JaVaScRiPt&#58;alert(1)",
            "//evil.example/x/",
            "https://evil.example/",
            "/etc/",
            "../search/?q=a b",
            '../search/?q=a"',
            "data:text/html,x",
        )
    ),
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    '<g xlink:href="../rules/x/"/></svg>',
    "not xml at all",
    "",
]


@pytest.mark.parametrize("svg", EVIL_SVGS)
def test_a_chart_that_is_not_ours_is_refused(svg: str) -> None:
    assert not is_safe_chart(svg)


def test_charts_with_bar_links_are_ours(tmp_path: Path) -> None:
    """The cache accepts the charts we draw with bar links (a rule name full of URL syntax
    included), so they are not redrawn every build."""
    import pandas as pd

    from generator.pages.chart_cache import ChartCache

    df = pd.DataFrame(
        {
            "time_ns": [1_763_000_000_000_000_000, 1_763_100_000_000_000_000],
            "priority": [2, 4],
            "rule": ['a://b?c=d&e="f"#g', "x"],
        }
    )
    cache = ChartCache(tmp_path)
    cache.daily(df, "Alerts per day", "rules/x/index.md", {"rule": str(df["rule"][0])})
    cache.priorities(df, "Alerts by priority")
    cache.top_rules(df, "Top rules")
    svgs = [p.read_text("utf-8") for p in tmp_path.glob("*.svg")]
    assert len(svgs) == 3 and all("<a xlink:href=" in s for s in svgs)
    assert all(is_safe_chart(s) for s in svgs)


def test_a_tampered_or_garbage_chart_cache_is_redrawn_never_inlined(
    project: Project, run_build: RunBuild, make_alert: Alert
) -> None:
    two_months(project, make_alert)
    run_build(["alerts", "--site-dir", "site"])
    charts = sorted((project.state / "charts").glob("*.svg"))
    assert charts and all(is_safe_chart(p.read_text("utf-8")) for p in charts)
    originals = {p: p.read_bytes() for p in charts}
    for i, path in enumerate(charts):
        path.write_text(EVIL_SVGS[0] if i % 2 == 0 else "garbage <<<", "utf-8")
    # Every page is written again from the (tampered) cache: same numbers, same chart keys.
    run_build(["alerts", "--site-dir", "site", "--full"])  # before 0.2: garbage stopped it
    for root in (project.docs, project.site):
        for page in [*root.rglob("*.md"), *root.rglob("*.html")]:
            text = page.read_text("utf-8")
            assert "__pwned" not in text and "garbage <<<" not in text, page
    assert "fa-chart" in (project.site / "index.html").read_text("utf-8")
    notes = project.report()["notes"]
    assert any(charts[0].name in n for n in notes) and any(charts[1].name in n for n in notes), notes
    redrawn = [p for p in originals if p.exists()]
    assert all(is_safe_chart(p.read_text("utf-8")) for p in redrawn)
