"""Look-alike names, smuggled tags and spreadsheet formulas (issue 12.9).

Before: ``node-1``, ``node-1`` + NBSP, ``node-1 `` and ``nоde-1`` (Cyrillic ``о``) listed as four
identical-looking hosts; a tag ``benign\\x1fT1190`` (the catalog's tag separator inside one tag)
was counted under ATT&CK T1190; CSV cells starting with a space, newline or NUL before ``=``, or
with a full-width ``＝``, got no formula guard.
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from generator.archive.catalog import SCHEMA, TAG_SEPARATOR
from generator.archive.ingest import catalog_row
from generator.knowledge import mitre
from generator.pages import exports
from generator.pages.escape import name_visible
from generator.read.models import FalcoAlert

if TYPE_CHECKING:
    from conftest import Project, RunBuild

HOSTS = ["node-1", "node-1\u00a0", "node-1 ", "n\u043ede-1"]


def test_look_alike_names_are_shown_apart() -> None:
    shown = [name_visible(h) for h in HOSTS]
    assert shown == ["node-1", "node-1\\u00a0", "node-1\\x20", "n\\u043ede-1"]
    assert name_visible(" x") == "\\x20x" and name_visible("a\x1fb") == "a\\x1fb"


def test_hosts_index_and_lists_show_four_different_hosts(
    project: Project, run_build: RunBuild, make_alert: Callable[..., dict[str, Any]]
) -> None:
    project.write_jsonl(
        "hosts.jsonl",
        [
            make_alert(hostname=h, output=f"on host {n}", priority="Critical", tags=["container", "t\u0430g"])
            for n, h in enumerate(HOSTS)
        ],
    )
    run_build(["alerts"])
    _marked_everywhere(project)
    for page in ("hosts/index.html", "index.html", "rules/index.html"):
        html = (project.site / page).read_text("utf-8")
        text = BeautifulSoup(html, "html.parser").get_text()
        if page == "hosts/index.html":
            for shown in ("node-1\\u00a0", "node-1\\x20", "n\\u043ede-1"):
                assert shown in text, (page, shown)
            assert "\u00a0" not in text.replace(
                "\u00a0", "", text.count("\u00a0") - text.count("node-1\u00a0")
            )
    rule_page = next((project.site / "rules").glob("*/index.html"))
    text = BeautifulSoup(rule_page.read_text("utf-8"), "html.parser").get_text()
    for shown in ("node-1\\u00a0", "node-1\\x20", "n\\u043ede-1"):
        assert shown in text, shown  # the latest-alerts table of the rule page


@pytest.mark.parametrize("tag", ["benign\x1fT1190", "\x1fT1190", "\u200bT1190", "T1190\x00"])
def test_tag_with_a_control_character_is_not_attack(tag: str) -> None:
    assert mitre.techniques_from_tags([tag]) == []
    alert = FalcoAlert.model_validate(
        {"time": "2025-01-01T00:00:00Z", "rule": "r", "priority": "Notice", "tags": [tag, "T1059"]}
    )
    row = catalog_row("0123456789abcdef", alert, "{}", "f:1")
    ids = [t.id for t in mitre.techniques_from_tags(row["tags"].split(TAG_SEPARATOR))]
    assert ids == ["T1059"]


def test_real_technique_tags_still_count() -> None:
    assert [t.id for t in mitre.techniques_from_tags(["T1190", "mitre_initial_access", "T1059.004"])] == [
        "T1190",
        "T1059.004",
    ]


@pytest.mark.parametrize(
    "cell",
    [
        " =1+1",
        "\n=1+1",
        "\x00=1+1",
        "\t=1",
        "\u00a0=1",
        "\u200b=1",
        "\uff1d1+1",
        "\uff0b1",
        "\uff0d1",
        "\uff20SUM(A1)",
    ],
)
def test_csv_guard_covers_whitespace_controls_and_full_width(cell: str) -> None:
    row = {name: "" for name in SCHEMA.names}
    row.update(
        id="0123456789abcdef", time_ns=1_735_689_600_000_000_000, priority=5, rule=cell, host="h", received=1
    )
    frame = pd.DataFrame([row]).astype({"time_ns": "int64", "priority": "int8"})
    (out,) = csv.DictReader(io.StringIO(exports.csv_bytes(frame).decode("utf-8")))
    assert out["rule"] == "'" + cell.replace("\r", "")


def test_csv_guard_leaves_ordinary_text() -> None:
    row = {name: "" for name in SCHEMA.names}
    row.update(id="0123456789abcdef", time_ns=0, priority=5, rule="Terminal shell a=b", host="h")
    frame = pd.DataFrame([row]).astype({"time_ns": "int64", "priority": "int8"})
    (out,) = csv.DictReader(io.StringIO(exports.csv_bytes(frame).decode("utf-8")))
    assert out["rule"] == "Terminal shell a=b"


#: How each look-alike reads when marked (pages/escape.name_visible).
MARKED = {"n\u043ede-1": "n\\u043ede-1", "node-1\u00a0": "node-1\\u00a0", "t\u0430g": "t\\u0430g"}


def _marked_everywhere(project: Project) -> None:
    """Issue 12.9, everywhere: no page, feed, export or search index entry shows a look-alike
    host or tag unmarked; only the raw JSON (the exact record, in a code block) holds it."""
    seen: set[str] = set()
    for path in sorted(project.site.rglob("*")):
        if path.suffix not in (".html", ".xml", ".csv", ".pf_filter", ".pf_fragment", ".pf_meta"):
            continue
        data = path.read_bytes()
        if path.suffix.startswith(".pf_"):
            data = gzip.decompress(data)
        text = data.decode("utf-8", "replace")
        if path.suffix in (".html", ".xml"):
            text = html.unescape(text)
        for line in text.splitlines():
            if re.match(r'\s*"(hostname|t\u0430g)', line.lstrip()) or line.lstrip().startswith('"t\u0430g"'):
                continue  # the raw JSON block shows the record exactly, as it must
            for raw, marked in MARKED.items():
                assert raw not in line, (path.relative_to(project.site), line[:300])
                if marked in line:
                    seen.add(f"{path.suffix}:{raw}")
    # The marked forms are there: alert page headers and search index text, feed, CSV.
    for suffix in (".html", ".xml", ".csv"):
        assert {f"{suffix}:n\u043ede-1", f"{suffix}:t\u0430g"} <= seen, (suffix, seen)
    assert any(s.startswith(".pf_") and s.endswith("n\u043ede-1") for s in seen), seen
    alert = next(p for p in project.docs.glob("alerts/**/*.md") if "n\u043ede-1" in p.read_text("utf-8"))
    page = (project.site / alert.relative_to(project.docs).with_suffix("") / "index.html").read_text("utf-8")
    soup = BeautifulSoup(page, "html.parser")
    assert soup.title is not None and "n\\u043ede-1" in soup.title.get_text()
    assert "fired on host n\\u043ede-1" in soup.get_text()


def test_a_chart_caption_shows_bidi_overrides_as_escapes() -> None:
    """Attack pass (docs/security.md row 13): a rule name with U+202E reversed the text of the
    caption under its rule page's daily chart; it now reads as the escape, like the chart's <desc>."""
    from generator.pages.charts import svg_for_markdown

    shown = str(svg_for_markdown("<svg></svg>", "Alerts per day: \u202eevil rule txt.exe"))
    assert "\u202e" not in shown and "\\u202eevil rule txt.exe" in shown
