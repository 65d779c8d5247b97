"""SVG charts: the numbers they show, accessibility, inert hostile text, reproducible bytes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import markdown
import numpy as np
import pandas as pd
import pytest

from generator.pages import charts
from generator.publish.packaged import DEFAULT_DOCS
from generator.read.models import Priority

REPO = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
NS_PER_DAY = 86_400 * 10**9
DAY0 = 1_795_000_000 * 10**9 // NS_PER_DAY * NS_PER_DAY  # 2026-11-18T00:00Z

HOSTILE_RULES = [
    "<script>alert(1)</script>",
    "Tom & Jerry ]]> done",
    "$x^$ *em* _u_ {++crit++} --8<-- [x](javascript:alert(1))",
    "nul\x00bidi\u202efffe\ufffe",
]


def frame(rows: list[tuple[int, str, int]]) -> pd.DataFrame:
    """Catalog-like rows from (time_ns, rule, priority)."""
    return pd.DataFrame(
        {
            "id": [f"{i:016x}" for i in range(len(rows))],
            "time_ns": pd.Series([r[0] for r in rows], dtype="int64"),
            "rule": [r[1] for r in rows],
            "priority": pd.Series([r[2] for r in rows], dtype="int8"),
            "host": "host-a",
        }
    )


@pytest.fixture(scope="module")
def week() -> pd.DataFrame:
    """Alerts on days 0, 1, 4 (days 2, 3 are quiet), three priorities."""
    rows = []
    plan = {0: [(2, 3), (4, 1)], 1: [(4, 2)], 4: [(2, 1), (5, 5), (0, 1)]}
    for day, parts in plan.items():
        for prio, n in parts:
            for k in range(n):
                rows.append((DAY0 + day * NS_PER_DAY + (k + 1) * 3_600 * 10**9, f"rule-{prio}", prio))
    return frame(rows)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))


def data_attr(root: ET.Element, name: str) -> object:
    return json.loads(root.attrib[name])


# -- numbers ----------------------------------------------------------------------------------------


def test_chart_data_fills_quiet_days_and_counts_per_priority(week: pd.DataFrame) -> None:
    data = charts.chart_data(week)
    assert data["days"] == ["2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]
    assert data["totals"] == [4, 2, 0, 0, 7]
    assert data["by_priority"] == {
        "Emergency": [0, 0, 0, 0, 1],
        "Critical": [3, 0, 0, 0, 1],
        "Warning": [1, 2, 0, 0, 0],
        "Notice": [0, 0, 0, 0, 5],
    }
    assert data["priority_totals"] == {"Emergency": 1, "Critical": 4, "Warning": 3, "Notice": 5}
    assert data["total"] == len(week) == 13
    # Same as counting the catalog with pandas the slow way.
    days = pd.to_datetime(week["time_ns"], unit="ns", utc=True).dt.strftime("%Y-%m-%d")
    expected = days.value_counts().to_dict()
    got = {d: t for d, t in zip(data["days"], data["totals"], strict=True) if t}
    assert got == expected


def test_chart_data_uses_utc_day_boundaries() -> None:
    last_ns_of_day = DAY0 + NS_PER_DAY - 1
    data = charts.chart_data(frame([(last_ns_of_day, "r", 4), (last_ns_of_day + 1, "r", 4)]))
    assert data["days"] == ["2026-11-18", "2026-11-19"]
    assert data["totals"] == [1, 1]


def test_chart_data_of_nothing() -> None:
    assert charts.chart_data(frame([]))["total"] == 0
    assert charts.chart_data(frame([]))["days"] == []


# -- the SVG contract -------------------------------------------------------------------------------


def test_daily_chart_is_accessible_and_carries_its_numbers(week: pd.DataFrame) -> None:
    svg = charts.daily_by_priority_svg(week, "Alerts per day: rule-2")
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.attrib["role"] == "img"
    title_id, desc_id = root.attrib["aria-labelledby"].split()
    first, second = list(root)[:2]
    assert first.tag == f"{SVG}title" and first.attrib["id"] == title_id
    assert second.tag == f"{SVG}desc" and second.attrib["id"] == desc_id
    assert first.text == "Alerts per day: rule-2"
    assert second.text == (
        "Alerts per UTC day from 2026-11-18 to 2026-11-22: 1 Emergency, 4 Critical, 3 Warning, "
        "5 Notice (13 in total). Busiest day: 2026-11-22 with 7 alerts."
    )
    assert root.attrib["data-chart"] == "daily-by-priority"
    assert root.attrib["data-total"] == "13"
    assert data_attr(root, "data-daily") == {"2026-11-18": 4, "2026-11-19": 2, "2026-11-22": 7}
    assert "<!DOCTYPE" not in svg and "Date" not in svg and "Created with" not in svg


def test_daily_chart_draws_the_priority_colours_of_the_site(week: pd.DataFrame) -> None:
    css = (DEFAULT_DOCS / "assets" / "falco-archive.css").read_text("utf-8")
    for priority, colour in charts.PRIORITY_COLOURS.items():
        match = re.search(rf"\.fa-p-{priority.slug}\s*\{{[^}}]*background:\s*(#[0-9a-f]{{6}})", css)
        assert match, priority
        assert match.group(1) == colour
    svg = charts.daily_by_priority_svg(week, "t")
    fills = set(re.findall(r"fill: (#[0-9a-f]{6})", svg))
    present = {Priority.EMERGENCY, Priority.CRITICAL, Priority.WARNING, Priority.NOTICE}
    assert {charts.PRIORITY_COLOURS[p] for p in present} <= fills
    assert charts.PRIORITY_COLOURS[Priority.DEBUG] not in fills


def test_priority_distribution(week: pd.DataFrame) -> None:
    root = parse(charts.priority_distribution_svg(week, "By priority"))
    assert data_attr(root, "data-counts") == {"Emergency": 1, "Critical": 4, "Warning": 3, "Notice": 5}
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert desc.text == "Alerts by priority: 1 Emergency, 4 Critical, 3 Warning, 5 Notice (13 in total)."
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert [p.label for p in Priority] == [x for x in labels if x in {p.label for p in Priority}]


def test_top_rules_order_limit_and_long_names() -> None:
    long_rule = "A very long rule name " * 5
    rows = [(DAY0 + i, "b", 4) for i in range(3)]
    rows += [(DAY0 + i, "a", 4) for i in range(3)]
    rows += [(DAY0 + i, long_rule, 2) for i in range(5)]
    rows += [(DAY0, "z", 6)]
    root = parse(charts.top_rules_svg(frame(rows), "Top rules", limit=3))
    assert data_attr(root, "data-counts") == [[long_rule, 5], ["a", 3], ["b", 3]]
    assert root.attrib["data-total"] == "12"
    labels = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert any(x.endswith("…") and long_rule.startswith(x[:-1]) for x in labels)
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    assert long_rule in desc.text and "12 alerts in total across 4 rules" in desc.text


@pytest.mark.parametrize(
    "make",
    [charts.daily_by_priority_svg, charts.priority_distribution_svg, charts.top_rules_svg],
)
def test_no_alerts(make: object) -> None:
    root = parse(make(frame([]), "Nothing"))  # type: ignore[operator]
    assert root.find(f"{SVG}desc").text == "No alerts."  # type: ignore[union-attr]
    assert root.attrib["data-total"] == "0"


# -- hostile text -----------------------------------------------------------------------------------


def hostile_frame() -> pd.DataFrame:
    rows = [(DAY0 + i * 1000, rule, 2) for i, rule in enumerate(HOSTILE_RULES) for _ in range(i + 1)]
    return frame(rows)


@pytest.mark.parametrize(
    "make",
    [charts.daily_by_priority_svg, charts.priority_distribution_svg, charts.top_rules_svg],
)
def test_hostile_rule_names_stay_text(make: object) -> None:
    df = hostile_frame()
    svg = make(df, "Rule <script>alert('t')</script> & co")  # type: ignore[operator]
    root = parse(svg)  # valid XML: no NUL, no U+FFFE, nothing unbalanced
    for bad in ("\x00", "\ufffe", "\u202e", "<script", "{++", "--8<--", "$x"):
        assert bad not in svg
    allowed = {"svg", "title", "desc", "defs", "style", "g", "path", "text", "use", "clipPath", "rect"}
    assert {el.tag.removeprefix(SVG) for el in root.iter()} <= allowed
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Rule <script>alert('t')</script> & co"


def test_hostile_rule_names_are_shown_literally_in_labels_and_desc() -> None:
    root = parse(charts.top_rules_svg(hostile_frame(), "t"))
    labels = {t.text for t in root.iter(f"{SVG}text")}
    assert "<script>alert(1)</script>" in labels
    assert "Tom & Jerry ]]> done" in labels
    assert "nul\\x00bidi\\u202efffe\\ufffe" in labels  # visible escapes, not the characters
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    assert "$x^$ *em* _u_ {++crit++} --8<-- [x](javascript:alert(1)): 3" in desc.text
    assert [r for r, _ in data_attr(root, "data-counts")] == list(reversed(HOSTILE_RULES))  # type: ignore[union-attr]


def test_chart_id_is_validated() -> None:
    with pytest.raises(ValueError):
        charts.daily_by_priority_svg(frame([]), "t", chart_id='x" onload="alert(1)')
    root = parse(charts.daily_by_priority_svg(frame([]), "t", chart_id="daily-1"))
    assert root.attrib["id"] == "daily-1"
    assert root.attrib["aria-labelledby"] == "daily-1-title daily-1-desc"


# -- several charts on one page ---------------------------------------------------------------------


def ids_and_refs(svg: str) -> tuple[list[str], set[str]]:
    ids = re.findall(r'\sid="([^"]+)"', svg)
    refs = set(re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', svg))
    return ids, {a or b for a, b in refs}


def test_ids_are_unique_on_a_page_and_references_resolve(week: pd.DataFrame) -> None:
    svgs = [
        charts.daily_by_priority_svg(week, "a"),
        charts.priority_distribution_svg(week, "b"),
        charts.top_rules_svg(week, "c"),
        charts.daily_by_priority_svg(hostile_frame(), "a"),
    ]
    seen: list[str] = []
    for svg in svgs:
        ids, refs = ids_and_refs(svg)
        assert refs and refs <= set(ids)
        prefix = parse(svg).attrib["id"]
        assert all(i == prefix or i.startswith(prefix + "-") for i in ids)
        seen += ids
    assert len(seen) == len(set(seen))
    for svg in svgs:  # matplotlib's page-wide ``*{...}`` rule is scoped to the chart
        prefix = parse(svg).attrib["id"]
        assert re.findall(r"<style[^>]*>([^<]*)</style>", svg) == [
            f"#{prefix} *{{stroke-linejoin:round;stroke-linecap:butt}}"
        ]


# -- reproducibility ------------------------------------------------------------------------------


def test_same_alerts_give_same_bytes(week: pd.DataFrame) -> None:
    shuffled = week.sample(frac=1.0, random_state=7).reset_index(drop=True)
    for make in (charts.daily_by_priority_svg, charts.priority_distribution_svg, charts.top_rules_svg):
        assert make(week, "t") == make(week, "t") == make(shuffled, "t")
    other = week.iloc[:-1]
    assert charts.daily_by_priority_svg(other, "t") != charts.daily_by_priority_svg(week, "t")


_DIGEST_SCRIPT = """
import hashlib, sys
sys.path.insert(0, {tests!r})
from test_charts import frame, hostile_frame
from generator.pages import charts
df = hostile_frame()
out = charts.daily_by_priority_svg(df, "t") + charts.top_rules_svg(df, "t")
print(hashlib.sha256(out.encode()).hexdigest())
"""


def test_same_bytes_in_another_process() -> None:
    """A new process has another hash seed and matplotlib another uuid salt by default."""
    script = _DIGEST_SCRIPT.format(tests=str(Path(__file__).parent))
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    df = hostile_frame()
    here = charts.daily_by_priority_svg(df, "t") + charts.top_rules_svg(df, "t")
    assert out.stdout.strip() == hashlib.sha256(here.encode()).hexdigest()


# -- Markdown ---------------------------------------------------------------------------------------


def test_svg_for_markdown_passes_through_python_markdown_untouched() -> None:
    svg = charts.top_rules_svg(hostile_frame(), "Top rules")
    block = charts.svg_for_markdown(svg)
    assert "\n" not in block and "<?xml" not in block
    assert block.startswith('<figure class="fa-chart-figure"><svg ') and block.endswith("</svg></figure>")
    page = f"# Rules\n\nText *before*.\n\n{block}\n\nText *after*.\n"
    html = markdown.markdown(page, extensions=["tables", "admonition", "toc"])
    assert block in html
    assert html.count("<em>") == 2  # only the page's own emphasis, none from rule names
    parse(str(block).removeprefix('<figure class="fa-chart-figure">').removesuffix("</figure>"))


def test_svg_for_markdown_rejects_other_input() -> None:
    with pytest.raises(ValueError):
        charts.svg_for_markdown("<p>not a chart</p>")


# -- speed ------------------------------------------------------------------------------------------


def test_charts_are_fast_enough() -> None:
    """A build draws a chart per rule, host and priority page: hundreds of them.

    The bound is loose (CI machines are shared); the measured CPU time is printed with ``-s``.
    """
    rng = np.random.default_rng(3)
    n = 5_000
    df = frame(
        list(
            zip(
                (DAY0 + rng.integers(0, 60 * NS_PER_DAY, n)).tolist(),
                rng.choice([f"rule {i}" for i in range(25)], n).tolist(),
                rng.choice([1, 2, 4, 5, 6], n).tolist(),
                strict=True,
            )
        )
    )
    makers = (charts.daily_by_priority_svg, charts.priority_distribution_svg, charts.top_rules_svg)
    for make in makers:
        make(df, "warm-up")
    timings = {}
    for make in makers:
        start = time.process_time()
        for i in range(5):
            make(df, f"chart {i}")
        timings[make.__name__] = (time.process_time() - start) / 5 * 1000
    print({k: f"{v:.1f} ms" for k, v in timings.items()})
    assert max(timings.values()) < 200
