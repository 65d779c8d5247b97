"""Search (issue 5): shard planning, incremental indexing, and the search page in Chromium.

The unit tests build small fake sites (plain HTML pages shaped like ours) and run the real
Pagefind CLI on them. The browser tests build a real site with ``falco-archive build`` (MkDocs,
then :func:`generator.publish.search.index_site`), serve it on 127.0.0.1 under a sub-path, and drive
it with headless Chromium, with every request outside 127.0.0.1 refused.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from conftest import copy_skeleton, invoke_build

from generator.errors import SearchIndexError
from generator.publish import search
from generator.publish.search import index_site, list_alert_pages, plan_alert_shards, write_id_table
from generator.read.models import alert_id, parse_time_ns
from generator.urls import SEARCH_KNOWN, alert_page, facet_ids, facet_month, page_url

# ---------------------------------------------------------------------------------------------
# Fake sites


def fake_page(day: str, aid: str, *, rule: str = "Terminal shell", when: str = "", text: str = "") -> str:
    """An alert page shaped like ours: a visible page, and the hidden index block of
    search_meta.md.j2 (the only part Pagefind indexes)."""
    when = when or f"{day.replace('/', '-')}T12:00:00.000000000Z"
    return (
        '<!doctype html><html lang="en"><head><title>x</title></head><body>'
        "<nav>navigation boilerplate</nav><article><h1>visible page</h1></article>"
        f'<div class="fa-search-index" hidden data-pagefind-body>\n<p>{rule} {aid} {text}</p>\n'
        f'<div data-pagefind-ignore>\n<span data-pagefind-meta="title">{rule}</span>\n'
        f'<span data-pagefind-sort="time">{when}</span>\n'
        '<span data-pagefind-filter="priority">Warning</span>\n</div>\n</div>\n</body></html>'
    )


def add_alerts(site: Path, day: str, ids: list[str], **kw: Any) -> list[str]:
    pages = []
    for aid in ids:
        page = site / "alerts" / day / aid / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(fake_page(day, aid, **kw), "utf-8")
        pages.append(f"alerts/{day}/{aid}.md")
    return pages


def fake_site(root: Path) -> Path:
    site = root / "site"
    (site / "about").mkdir(parents=True)
    body = (
        '<!doctype html><html lang="en"><body><article data-pagefind-body><h1>{}</h1></article></body></html>'
    )
    (site / "index.html").write_text(body.format("Dashboard"), "utf-8")
    (site / "about" / "index.html").write_text(body.format("About this archive"), "utf-8")
    (site / "rules" / "x-1234abcd" / "page-2").mkdir(parents=True)
    (site / "rules" / "x-1234abcd" / "index.html").write_text(body.format("Rule x"), "utf-8")
    (site / "rules" / "x-1234abcd" / "page-2" / "index.html").write_text(body.format("Rule x p2"), "utf-8")
    (site / "404.html").write_text(body.format("Not found"), "utf-8")
    (site / "groups" / "0123456789abcdef").mkdir(parents=True)
    (site / "groups" / "0123456789abcdef" / "index.html").write_text(body.format("Repeated"), "utf-8")
    return site


def hex_ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:0{16 - len(prefix)}x}" for i in range(n)]


def no_times(_day: str, _ids: list[str]) -> dict[str, str]:
    raise AssertionError("times are only read for days with more alerts than the cap")


# ---------------------------------------------------------------------------------------------
# Planning


def test_packing_respects_cap_and_months() -> None:
    days = {"2026/01/30": hex_ids("a", 3), "2026/01/31": hex_ids("b", 3), "2026/02/01": hex_ids("c", 2)}
    shards = plan_alert_shards(days, 4, no_times)
    assert [s.name for s in shards] == ["2026-01-01", "2026-01-02", "2026-02-01"]
    assert [len(s.pages) for s in shards] == [3, 3, 2]
    assert all(len(s.pages) <= 4 for s in shards)
    assert (shards[0].first, shards[0].last) == ("2026-01-30", "2026-01-30")
    assert shards[2].pages[0] == f"alerts/2026/02/01/{days['2026/02/01'][0]}/index.html"


def test_appending_alerts_leaves_earlier_shards_unchanged() -> None:
    days = {f"2026/03/{d:02d}": hex_ids(f"{d:02d}", 2) for d in range(1, 11)}
    before = {s.name: s.signature for s in plan_alert_shards(days, 5, no_times)}
    days["2026/03/10"] = hex_ids("10", 3)  # a nightly run adds one alert to the last day
    days["2026/03/11"] = hex_ids("11", 1)
    after = {s.name: s.signature for s in plan_alert_shards(days, 5, no_times)}
    changed = {name for name in after if before.get(name) != after[name]}
    assert changed == {"2026-03-05", "2026-03-06"}  # the last shard and a new one
    assert len(after) == 6 and all(before[f"2026-03-0{k}"] == after[f"2026-03-0{k}"] for k in range(1, 5))


def test_overfull_day_is_split_in_time_order() -> None:
    ids = hex_ids("d", 7)
    # Times deliberately not in ID order.
    when = {aid: f"2026-04-02T{(7 - i):02d}:00:00Z" for i, aid in enumerate(ids)}
    asked: list[str] = []

    def times(day: str, day_ids: list[str]) -> dict[str, str]:
        asked.append(day)
        return {i: when[i] for i in day_ids}

    days = {"2026/04/01": hex_ids("e", 1), "2026/04/02": ids, "2026/04/03": hex_ids("f", 1)}
    shards = plan_alert_shards(days, 3, times)
    assert asked == ["2026/04/02"]
    assert [len(s.pages) for s in shards] == [1, 3, 3, 1, 1]
    split = [p.split("/")[4] for s in shards[1:4] for p in s.pages]
    assert split == sorted(ids, key=lambda i: when[i])  # oldest first across the parts
    assert shards[1].first == shards[3].last == "2026-04-02"


def test_list_alert_pages_ignores_what_is_not_an_alert(tmp_path: Path) -> None:
    site = fake_site(tmp_path)
    add_alerts(site, "2026/01/02", ["0123456789abcdef", "u0123456789abcdef"])
    (site / "alerts" / "2026" / "01" / "02" / "0123456789abcdef.json").write_text("{}")
    (site / "alerts" / "2026" / "01" / "02" / "not-an-id").mkdir()
    (site / "alerts" / "2026" / "xx").mkdir()
    assert list_alert_pages(site) == {"2026/01/02": ["0123456789abcdef", "u0123456789abcdef"]}
    assert search.list_other_pages(site) == ["about/index.html", "index.html", "rules/x-1234abcd/index.html"]


def test_id_table_writes_only_changed_buckets(tmp_path: Path) -> None:
    root = tmp_path / "ids"
    uuid = "3f0d2a1c-5b6e-4f7a-8b9c-0d1e2f3a4b5c"
    days = {"2026/01/02": ["abc0000000000001", "uabc0000000000002"], "2026/01/03": [uuid]}
    assert write_id_table(root, days, 3) == 2
    assert json.loads((root / "abc.json").read_text()) == {
        "abc0000000000001": "2026/01/02",
        "uabc0000000000002": "2026/01/02",
    }
    assert json.loads((root / "3f0.json").read_text()) == {uuid: "2026/01/03"}
    assert write_id_table(root, days, 3) == 0
    del days["2026/01/03"]
    assert write_id_table(root, days, 3) == 1
    assert not (root / "3f0.json").exists()
    # Past 250,000 alerts the table switches to 3 hex digits; a switch rewrites it whole.
    assert (search.id_prefix(250_000), search.id_prefix(250_001)) == (2, 3)
    assert write_id_table(root, days, 2) == 2
    assert sorted(p.name for p in root.iterdir()) == ["ab.json"]


# ---------------------------------------------------------------------------------------------
# The index block of an alert page (search_meta.md.j2)

HOSTILE = {
    "rule": 'Evil </span><img src=x onerror=alert(1)> "rule" | `x` {{7*7}}',
    "hostname": 'h<o>st"&amp;\n\nnext',
    "image": "registry:5000/app&<b>",
    "ns": "</div><script>alert(2)</script>",
    "tag": "T1059.004",
}


def render_index_block(raw: dict[str, Any]) -> Any:
    """The alert page as Markdown -> HTML (our extensions), and its parsed index block."""
    import markdown
    from bs4 import BeautifulSoup

    from generator.pages.render import Renderer, alert_view
    from generator.read.models import FalcoAlert

    alert = FalcoAlert.model_validate(raw)
    page = alert_page(alert_id(raw), alert.time_ns)
    text = Renderer().alert(alert_view(alert_id(raw), page, alert, raw, None, None))
    html = markdown.markdown(text, extensions=["tables", "admonition", "toc"])
    blocks = BeautifulSoup(html, "html.parser").select("div.fa-search-index")
    assert len(blocks) == 1
    return blocks[0]


def test_index_block_carries_hostile_values_literally() -> None:
    raw = {
        "time": "2026-02-03T04:05:06.123456789Z",
        "rule": HOSTILE["rule"],
        "priority": "Critical",
        "output": "out <b>bold</b>\n\n<script>x</script>",
        "output_fields": {
            "container.image.repository": HOSTILE["image"],
            "container.image.tag": "1.0",
            "k8s.ns.name": HOSTILE["ns"],
            "proc.cmdline": "x" * 5000,
            "fd.name": None,
        },
        "tags": [HOSTILE["tag"], "container"],
        "hostname": HOSTILE["hostname"],
        "source": "syscall",
    }
    block = render_index_block(raw)
    assert block.has_attr("hidden") and block.has_attr("data-pagefind-body")
    assert block.find("img") is None and block.find("script") is None and block.find("b") is None

    def values(attr: str, key: str) -> list[str]:
        return [el.get_text() for el in block.select(f'[{attr}="{key}"]')]

    host = HOSTILE["hostname"].replace("\n", "\\n")  # newlines are shown as visible escapes
    assert values("data-pagefind-filter", "rule") == [HOSTILE["rule"]]
    assert values("data-pagefind-meta", "title") == [HOSTILE["rule"]]
    assert values("data-pagefind-filter", "host") == [host]
    assert values("data-pagefind-filter", "priority") == ["Critical"]
    assert values("data-pagefind-filter", "image") == [HOSTILE["image"], HOSTILE["image"] + ":1.0"]
    assert values("data-pagefind-filter", "namespace") == [HOSTILE["ns"]]
    assert values("data-pagefind-filter", "tag") == [HOSTILE["tag"], "container"]
    assert values("data-pagefind-sort", "time") == ["2026-02-03T04:05:06.123456789Z"]
    assert values("data-pagefind-meta", "id") == [alert_id(raw)]
    text = block.get_text()
    assert "out <b>bold</b>" in text and "x" * 500 in text and "x" * 501 not in text
    assert "fd.name" not in text  # absent values are not indexed


def test_index_block_without_optional_fields() -> None:
    raw = {"time": "2026-02-03T04:05:06Z", "rule": "R", "priority": "Debug", "output": "o"}
    block = render_index_block(raw)
    assert not block.select('[data-pagefind-filter="image"]')
    assert not block.select('[data-pagefind-filter="namespace"]')
    assert [el.get_text() for el in block.select('[data-pagefind-filter="host"]')] == ["unknown"]


# ---------------------------------------------------------------------------------------------
# Indexing (real Pagefind runs on fake sites)


def read_fragments(shard: Path) -> list[dict[str, Any]]:
    """Pagefind's per-page records of a shard (gzip, a 12-byte signature, then JSON)."""
    return [json.loads(gzip.decompress(p.read_bytes())[12:]) for p in (shard / "fragment").iterdir()]


def inode_of(path: Path) -> int:
    return path.stat().st_ino


def test_incremental_reindexes_only_dirty_shards_and_never_writes_through_links(tmp_path: Path) -> None:
    site = fake_site(tmp_path)
    state = tmp_path / "state"
    for d in range(1, 5):
        add_alerts(site, f"2026/05/{d:02d}", hex_ids(f"{d:02d}", 2))
    first = index_site(site, state, full=True, cap=4)
    assert first.mode == "full"
    assert [r.name for r in first.indexed] == ["pages", "2026-05-01", "2026-05-02"]
    assert first.alert_pages == 8 and first.other_pages == 3
    assert first.peak_rss_bytes > 0
    manifest = json.loads((site / "pagefind" / "shards.json").read_text())
    assert [s["name"] for s in manifest["alerts"]] == ["2026-05-02", "2026-05-01"]  # newest first
    assert (site / "pagefind" / "pages" / "pagefind.js").exists()
    assert not (site / "pagefind" / "2026-05-01" / "pagefind.js").exists()  # runtime only once
    fragments = read_fragments(site / "pagefind" / "2026-05-01")
    assert sorted(f["url"] for f in fragments) == [
        f"/alerts/2026/05/{d:02d}/{aid}/" for d in (1, 2) for aid in hex_ids(f"{d:02d}", 2)
    ]
    assert all("boilerplate" not in f["content"] and "visible" not in f["content"] for f in fragments)
    assert all(f["content"].startswith("Terminal shell ") for f in fragments)

    # Publish, then stage the next build as publish.prepare_staging does: hard links.
    live = tmp_path / "live"
    shutil.copytree(site, live, copy_function=os.link)
    old_fragment = next((live / "pagefind" / "2026-05-02" / "fragment").iterdir())
    old_inode = inode_of(old_fragment)
    old_bytes = old_fragment.read_bytes()

    # Nightly: one new alert on the last day (its shard is full, so the tail of the month is
    # repacked: two shards dirty); one old page re-rendered only because its links changed.
    (site / "alerts/2026/05/01" / hex_ids("01", 1)[0] / "index.html").write_text(
        fake_page("2026/05/01", hex_ids("01", 1)[0]) + "<!-- newer link -->"
    )
    new_pages = add_alerts(site, "2026/05/04", ["ffff000000000001"], text="nightly")
    second = index_site(site, state, changed_pages=new_pages, cap=4)
    assert [r.name for r in second.indexed] == ["2026-05-02", "2026-05-03"]
    assert second.pages_indexed == 5
    assert json.loads((site / "pagefind" / "ids" / "ff.json").read_text()) == {
        "ffff000000000001": "2026/05/04"
    }
    # The live site was never written through: the re-indexed shard's old files are intact.
    assert inode_of(old_fragment) == old_inode and old_fragment.read_bytes() == old_bytes
    assert not (site / "pagefind" / "2026-05-02" / "fragment" / old_fragment.name).exists()

    # Nothing changed: nothing indexed. A hand-written page changed: only "pages".
    assert index_site(site, state, cap=4).indexed == []
    (site / "about" / "index.html").write_text(
        '<!doctype html><html lang="en"><body><article data-pagefind-body>Changed</article></body></html>'
    )
    assert [r.name for r in index_site(site, state, cap=4).indexed] == ["pages"]

    # An alert removed (--keep-days): the month is repacked, the ID table forgets it.
    shutil.rmtree(site / "alerts" / "2026" / "05" / "04" / "ffff000000000001")
    third = index_site(site, state, cap=4)
    assert [r.name for r in third.indexed] == ["2026-05-02"] and third.removed == ["2026-05-03"]
    assert not (site / "pagefind" / "ids" / "ff.json").exists()


def test_pending_shards_from_an_interrupted_run_are_redone(tmp_path: Path) -> None:
    site = fake_site(tmp_path)
    state = tmp_path / "state"
    add_alerts(site, "2026/06/01", hex_ids("6", 2))
    index_site(site, state, full=True, cap=10)
    (state / "pending.json").write_text(json.dumps({"shards": ["2026-06-01"]}))
    assert [r.name for r in index_site(site, state, cap=10).indexed] == ["2026-06-01"]
    assert not (state / "pending.json").exists()


def test_pagefind_failure_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = fake_site(tmp_path)
    monkeypatch.setattr(search.sys, "executable", str(tmp_path / "no-such-python"))
    with pytest.raises(SearchIndexError, match="Cannot run Pagefind"):
        index_site(site, tmp_path / "state", full=True)
    assert json.loads((tmp_path / "state" / "pending.json").read_text())["shards"] == ["pages"]


# ---------------------------------------------------------------------------------------------
# The real site in Chromium

SUB = "falco"  # served under a sub-path: http://127.0.0.1:PORT/falco/
UUID = "3f0d2a1c-5b6e-4f7a-8b9c-0d1e2f3a4b5c"
ODD_UUID = "evt:2026-01-07/42"  # not a UUID: its alert ID is a hash of it


def site_alerts() -> list[dict[str, Any]]:
    """A small archive: shells of every priority on two hosts, one falcosidekick uuid."""
    alerts = []
    for i in range(24):
        alerts.append(
            {
                "time": f"2026-0{1 + i % 3}-{1 + i:02d}T08:00:{i:02d}.000000000Z",
                "rule": "Terminal shell in container" if i % 2 else "Read sensitive file untrusted",
                "priority": ["Critical", "Warning", "Notice"][i % 3],
                "output": f"A shell was spawned zebrafish{i} (user=root cmd=bash -i)",
                "output_fields": {
                    "proc.cmdline": "bash -i",
                    "user.name": "root",
                    "container.image.repository": "nginx",
                    "container.image.tag": "1.25",
                    "k8s.ns.name": "payments" if i % 4 else "default",
                },
                "source": "syscall",
                "tags": ["container", "shell", "T1059"],
                "hostname": f"node-{i % 2}",
            }
        )
    alerts.append(
        {
            "time": "2026-01-05T09:00:00.000000000Z",
            "rule": HOSTILE["rule"],
            "priority": "Error",
            "output": "kingfisher <img src=x onerror=alert(3)>",
            "output_fields": {"k8s.ns.name": HOSTILE["ns"]},
            "hostname": HOSTILE["hostname"],
        }
    )
    alerts.append(
        {
            "uuid": ODD_UUID,
            "time": "2026-01-07T00:00:00Z",
            "rule": "Odd uuid alert",
            "priority": "Notice",
            "output": "spawned by a forwarder with its own ids",
        }
    )
    # Relevance (issue 13): the newer alert mentions "symlink" once in a long text, the older
    # one is about nothing else; by relevance the older one comes first.
    alerts.append(
        {
            "time": "2026-03-02T10:00:00.000000000Z",
            "rule": "Change thread namespace",
            "priority": "Error",
            "output": "Routine maintenance " + " ".join(f"step{n}" for n in range(60)) + " one symlink",
            "source": "k8s_audit",
            "tags": ["k8s"],
            "hostname": "node-1",
        }
    )
    alerts.append(
        {
            "time": "2026-02-10T10:00:00.000000000Z",
            "rule": "Create symlink over sensitive files",
            "priority": "Warning",
            "output": "Symlink created over /etc/shadow: symlink symlink",
            "tags": ["filesystem", "T1565"],
            "hostname": "node-0",
        }
    )
    alerts.append(
        {
            "uuid": UUID.upper(),
            "time": "2025-12-01T01:02:03.000000000Z",
            "rule": "Terminal shell in container",
            "priority": "Warning",
            "output": "An old alert forwarded by falcosidekick <script>alert(1)</script>",
            "output_fields": {"proc.cmdline": "sh"},
            "hostname": "node-9",
        }
    )
    return alerts


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real site built by the CLI + MkDocs, indexed, placed at ``<root>/falco/``."""
    root = tmp_path_factory.mktemp("search-site")
    copy_skeleton(root)
    config = (root / "mkdocs.yml").read_text("utf-8")
    config = re.sub(r"(?m)^plugins:\n  - search\n", "plugins: []\n", config)
    assert "- search" not in config.split("plugins:", 1)[1].split("\n\n", 1)[0]
    (root / "mkdocs.yml").write_text(config, "utf-8")
    (root / "alerts").mkdir()
    (root / "alerts" / "a.jsonl").write_text("".join(json.dumps(a) + "\n" for a in site_alerts()))
    old = Path.cwd()
    os.chdir(root)
    try:
        invoke_build(["alerts", "--site-dir", f"serve/{SUB}", "--site-url", f"http://127.0.0.1/{SUB}/"])
        report = json.loads((root / ".falco-archive" / "search" / "last-run.json").read_text())
        assert report["mode"] == "full" and report["alert_pages"] == 29
        manifest = json.loads((root / "serve" / SUB / "pagefind" / "shards.json").read_text())
        assert [s["name"] for s in manifest["alerts"]] == [
            "2026-03-01",
            "2026-02-01",
            "2026-01-01",
            "2025-12-01",
        ]
    finally:
        os.chdir(old)
    yield root


#: An alert alone in its group has no similar.json (by design: one file per repeated group, so
#: the alert page asks and shows nothing on 404; its own HTML never carries the count).
_LONE_GROUP = re.compile(r"/groups/[0-9a-f]{16}/similar\.json$")


@pytest.fixture
def site_page(browser: Any, built_site: Path, serve_site: Any) -> Iterator[Any]:
    """A Chromium page on the served site; any request that leaves 127.0.0.1 fails the test."""
    base = serve_site(built_site / "serve") + f"{SUB}/"
    context = browser.new_context()
    outside: list[str] = []

    def guard(route: Any) -> None:
        if urlparse(route.request.url).hostname != "127.0.0.1":
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: (
            errors.append(f"fetched {r.url}: Material takes a rel=alternate link for a language")
            if r.url.endswith("sitemap.xml")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 and "favicon" not in r.url and not _LONE_GROUP.search(r.url)
            else None
        ),
    )
    page.base = base  # type: ignore[attr-defined]
    yield page
    context.close()
    assert not outside, f"requests left 127.0.0.1: {outside}"
    assert not errors, f"page errors, failed or unwanted requests: {errors}"


def wait_done(page: Any) -> str:
    page.wait_for_function(
        "() => document.getElementById('fa-status').dataset.state === 'done'",
        timeout=10_000,
    )
    return str(page.inner_text("#fa-status"))


@pytest.mark.browser
def test_search_filter_and_open_result(site_page: Any, built_site: Path) -> None:
    page = site_page
    page.goto(page.base)
    page.fill(".fa-header-search input[name=q]", "zebrafish3")  # from the header of any page
    page.press(".fa-header-search input[name=q]", "Enter")
    page.wait_for_url("**/falco/search/?q=zebrafish3")
    wait_done(page)
    first = page.locator("#fa-results > li").first
    assert "Terminal shell in container" in first.inner_text()
    assert first.locator("mark").first.inner_text() == "zebrafish3"

    # A broad query, newest first: the first page of results spans several shards.
    page.fill("#fa-q", "spawned")
    page.select_option("#fa-sort", "newest")
    page.click("#fa-search-form button[type=submit]")
    wait_done(page)
    times = page.locator("#fa-results > li time").all_inner_texts()
    assert len(times) == 20 and times == sorted(times, reverse=True)
    assert times[0] == max(a["time"] for a in site_alerts() if "spawned" in a["output"])

    # Then a priority filter: only Critical alerts, newest first.
    page.select_option("#fa-priority", "Critical")
    page.click("#fa-search-form button[type=submit]")
    status = wait_done(page)
    query = parse_qs(urlparse(page.url).query)
    assert query == {"q": ["spawned"], "priority": ["Critical"], "sort": ["newest"]}  # linkable from a ticket
    items = page.locator("#fa-results > li")
    assert items.count() == 8, status
    assert set(items.locator(".fa-badge").all_inner_texts()) == {"Critical"}
    times = items.locator("time").all_inner_texts()
    assert times == sorted(times, reverse=True)
    expected = [a for a in site_alerts() if a["priority"] == "Critical"]
    newest = max(expected, key=lambda a: a["time"])
    assert times[0] == newest["time"]

    items.first.locator("a").first.click()
    page.wait_for_load_state()
    expected = page_url(alert_page(alert_id(newest), parse_time_ns(newest["time"])))
    assert page.url.endswith(f"/{SUB}/{expected}")
    assert page.locator("article h1").first.inner_text() == newest["rule"]
    assert newest["output"].split(" (")[0] in page.inner_text("article")


@pytest.mark.browser
def test_pasted_uuid_finds_its_alert_first(site_page: Any) -> None:
    page = site_page
    # A pasted uuid opens its alert (issue 13), whatever its case.
    page.goto(page.base + "search/?q=" + UUID.upper())
    page.wait_for_url(f"**/falco/alerts/2025/12/01/{UUID}/")
    assert "<script>alert(1)</script>" in page.inner_text("article")  # shown as text, not run
    # The alert ID itself, and a falcosidekick uuid that is not a UUID (hashed into the ID).
    link = f"http://127.0.0.1/{SUB}/alerts/2025/12/01/{UUID}/#raw"  # a full alert link, pasted
    for text, rule in (
        (UUID, "Terminal shell in container"),
        (ODD_UUID, "Odd uuid alert"),
        (link, "Terminal shell in container"),
    ):
        page.goto(page.base + "search/?" + urlencode({"q": text}))
        page.wait_for_url("**/falco/alerts/**")
        assert page.locator("article h1").first.inner_text() == rule


@pytest.mark.browser
def test_filter_only_browses_static_pages_and_loads_no_index(site_page: Any) -> None:
    page = site_page
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(page.base + "search/?priority=Warning&host=node-1")
    page.wait_for_selector("#fa-browse a")
    links = page.locator("#fa-browse a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert "/falco/priorities/warning/" in hrefs
    assert any(re.fullmatch(r"/falco/hosts/node-1-[0-9a-f]{16}/", h or "") for h in hrefs)
    host_link = next(h for h in hrefs if h and h.startswith("/falco/hosts/"))
    page.goto(urlparse(page.url)._replace(path=host_link, query="").geturl())
    assert page.locator("article h1").first.inner_text() == "node-1"  # the slug matches paths.py
    assert not [u for u in fetched if "/pagefind/" in u]


@pytest.mark.browser
def test_pages_are_findable_and_nav_is_not_indexed(site_page: Any) -> None:
    page = site_page
    page.goto(page.base + "search/?q=permanent")  # a word of the hand-written about page
    wait_done(page)
    assert "About" in page.inner_text("#fa-pages")
    # Material's "Skip to content" link and "Back to top" button are on every page, outside
    # the content: not indexed (and nav, header and footer are not either).
    page.goto(page.base + "search/?q=skip+top")
    assert wait_done(page).startswith("No alerts found")
    assert page.locator("#fa-pages li").count() == 0
    assert page.locator("#fa-results > li").count() == 0


@pytest.mark.browser
def test_hostile_values_are_shown_as_text(site_page: Any) -> None:
    page = site_page
    page.goto(page.base + "search/?q=kingfisher")
    wait_done(page)
    item = page.locator("#fa-results > li").first
    assert item.locator("a").first.inner_text() == HOSTILE["rule"]
    assert HOSTILE["hostname"].replace("\n", "\\n") in item.inner_text()
    assert "<img src=x onerror=alert(3)>" in item.inner_text()
    assert page.locator("#fa-results img, #fa-results script").count() == 0
    # The same alert listed from the facet index (filters only), its host typed in upper case.
    page.goto(page.base + "search/?" + urlencode({"host": HOSTILE["hostname"].upper()}))
    wait_done(page)
    item = page.locator("#fa-results > li").first
    assert page.locator("#fa-results > li").count() == 1
    assert item.locator("a").first.inner_text() == HOSTILE["rule"]
    assert page.locator("#fa-results img, #fa-results script, #fa-browse img").count() == 0


@pytest.mark.browser
def test_older_alerts_are_searched_on_demand(site_page: Any) -> None:
    page = site_page
    page.add_init_script("window.faSearchMetaBudget = 1")  # one shard per step
    page.goto(page.base + "search/?q=spawned&priority=Critical")
    status = wait_done(page)
    assert status.startswith("No alerts found") and "searched on demand" in status
    steps = 0
    while page.locator("#fa-results > li").count() == 0:
        assert page.inner_text("#fa-more") == "Search older alerts"
        page.click("#fa-more")
        wait_done(page)
        steps += 1
    assert steps == 2  # March, February, then January has the Critical ones
    assert page.locator("#fa-results > li").count() == 8


@pytest.mark.browser
def test_date_range_limits_results(site_page: Any) -> None:
    page = site_page
    page.goto(page.base + "search/?q=spawned&from=2026-02-05&to=2026-02-14&sort=newest")
    wait_done(page)
    times = page.locator("#fa-results > li time").all_inner_texts()
    expected = sorted(
        (
            a["time"]
            for a in site_alerts()
            if "spawned" in a["output"] and "2026-02-05" <= a["time"][:10] <= "2026-02-14"
        ),
        reverse=True,
    )
    assert times == expected and len(expected) == 4


# ---------------------------------------------------------------------------------------------
# Relevance, known filter values and filter-only listings (issue 13)


def published_catalog(built_site: Path) -> list[dict[str, Any]]:
    """The archive's alerts as the site publishes them (the Parquet export of the catalog)."""
    import pyarrow.parquet as pq

    table = pq.read_table(built_site / "serve" / SUB / "exports" / "alerts.parquet")
    return list(table.to_pylist())


def listed(page: Any) -> list[str]:
    """Hrefs of the listed alerts, after pressing "Show older alerts" until all are shown."""
    while page.is_visible("#fa-more"):
        page.click("#fa-more")
        wait_done(page)
    items = page.locator("#fa-results > li > .fa-result-head > a")
    return [str(items.nth(i).get_attribute("href")) for i in range(items.count())]


def href_of(row: dict[str, Any]) -> str:
    return f"/{SUB}/" + page_url(alert_page(row["id"], row["time_ns"]))


@pytest.mark.browser
def test_text_results_are_most_relevant_first_or_newest_first(site_page: Any) -> None:
    page = site_page
    page.goto(page.base + "search/?q=symlink")
    status = wait_done(page)
    titles = page.locator("#fa-results > li .fa-result-head a").all_inner_texts()
    assert titles == ["Create symlink over sensitive files", "Change thread namespace"], status
    assert "most relevant first" in status
    assert page.input_value("#fa-sort") == ""

    page.select_option("#fa-sort", "newest")
    page.click("#fa-search-form button[type=submit]")
    status = wait_done(page)
    assert parse_qs(urlparse(page.url).query) == {"q": ["symlink"], "sort": ["newest"]}
    titles = page.locator("#fa-results > li .fa-result-head a").all_inner_texts()
    assert titles == ["Change thread namespace", "Create symlink over sensitive files"], status
    assert "newest first" in status


@pytest.mark.browser
def test_filters_are_offered_from_known_values_and_match_in_any_case(
    site_page: Any, built_site: Path
) -> None:
    page = site_page
    catalog = published_catalog(built_site)
    page.goto(page.base + "search/")
    page.wait_for_selector("#fa-known-tag option", state="attached")
    for key, column in (("rule", "rule"), ("host", "host"), ("source", "source")):
        options = page.locator(f"#fa-known-{key} option")
        offered = {options.nth(i).get_attribute("value") for i in range(options.count())}
        assert offered == {row[column] for row in catalog}, key
        assert page.get_attribute(f"#fa-{key}", "list") == f"fa-known-{key}"
    tags = page.locator("#fa-known-tag option")
    offered_tags = {tags.nth(i).get_attribute("value") for i in range(tags.count())}
    assert {"T1059", "container", "k8s", "T1565"} <= offered_tags

    # A tag and a source typed in another case find the alerts that carry them (text search).
    page.goto(page.base + "search/?" + urlencode({"q": "symlink", "tag": "t1565", "source": "SYSCALL"}))
    wait_done(page)
    titles = page.locator("#fa-results > li .fa-result-head a").all_inner_texts()
    assert titles == ["Create symlink over sensitive files"]


@pytest.mark.browser
def test_filter_only_url_lists_exactly_the_matching_alerts(site_page: Any, built_site: Path) -> None:
    page = site_page
    catalog = published_catalog(built_site)
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(urlparse(r.url).path))

    # "Critical on node-0 in January", linked from a ticket, values in any case.
    query = {"priority": "critical", "host": "NODE-0", "from": "2026-01-01", "to": "2026-01-31"}
    page.goto(page.base + "search/?" + urlencode(query))
    status = wait_done(page)
    expected = [
        href_of(r)
        for r in sorted(catalog, key=lambda r: r["time_ns"], reverse=True)
        if r["priority"] == "Critical" and r["host"] == "node-0" and r["time"].startswith("2026-01")
    ]
    assert expected and listed(page) == expected, status
    assert f"{len(expected)} of {len(expected)} alert" in status
    assert set(page.locator("#fa-results .fa-badge").all_inner_texts()) == {"Critical"}
    facet_files = sorted(p.split("/search/facets/", 1)[1] for p in fetched if "/search/facets/" in p)
    assert facet_files == ["2026-01.json", "2026-01/0.json"], "only the months of the range are fetched"
    assert not [p for p in fetched if "/pagefind/" in p], "a filter-only listing needs no text index"
    assert page.input_value("#fa-host") == "NODE-0"

    # No date range: every month, newest first, a page at a time; a source in another case.
    page.goto(page.base + "search/?source=Syscall")
    wait_done(page)
    assert page.locator("#fa-results > li").count() == 20
    expected = [
        href_of(r)
        for r in sorted(catalog, key=lambda r: r["time_ns"], reverse=True)
        if r["source"] == "syscall"
    ]
    assert len(expected) > 20 and listed(page) == expected

    # A rule and a tag, and a range only (every alert of those days).
    for query, keep in (
        (
            {"rule": "terminal shell in container", "tag": "t1059"},
            lambda r: r["rule"] == "Terminal shell in container" and "T1059" in (r["tags"] or ""),
        ),
        (
            {"from": "2026-02-05", "to": "2026-02-14"},
            lambda r: "2026-02-05" <= r["time"][:10] <= "2026-02-14",
        ),
    ):
        page.goto(page.base + "search/?" + urlencode(query))
        wait_done(page)
        expected = [href_of(r) for r in sorted(catalog, key=lambda r: r["time_ns"], reverse=True) if keep(r)]
        assert expected and listed(page) == expected, query

    # The listed alert opens.
    page.locator("#fa-results > li a").first.click()
    page.wait_for_load_state()
    assert page.url.endswith(expected[0])


def _facet_rows(docs: Path, month: str) -> list[tuple[str, int, str, str, str, str, list[str]]]:
    """A month's facet file and ID chunks, decoded the way fa-search.js decodes them."""
    data = json.loads((docs / facet_month(month)).read_text())
    ids: list[str] = []
    for k in range(-(-data["count"] // data["id_chunk"])):
        ids += json.loads((docs / facet_ids(month, k)).read_text())
    assert len(ids) == len(data["dt"]) == data["count"]
    rows, t = [], data["start"]
    for i, aid in enumerate(ids):
        t += data["dt"][i]
        if len(aid) == 32:
            aid = f"{aid[:8]}-{aid[8:12]}-{aid[12:16]}-{aid[16:20]}-{aid[20:]}"
        rows.append(
            (
                aid,
                t,
                data["priorities"][data["p"][i]],
                data["rules"][data["r"][i]],
                data["hosts"][data["h"][i]],
                data["sources"][data["s"][i]],
                data["tagsets"][data["g"][i]],
            )
        )
    return rows


def test_facet_index_is_written_per_month_only_for_months_that_change(tmp_path: Path) -> None:
    from test_incremental import build, new_project, write_jsonl

    from generator.archive.catalog import TAG_SEPARATOR
    from generator.synthetic.generate import generate

    def alerts(n: int, seed: int, start: str, days: int) -> list[dict[str, Any]]:
        return list(generate(n, seed=seed, start=datetime.fromisoformat(start), days=days, hosts=3))

    project = new_project(tmp_path / "project")
    january, february = (
        alerts(30, 1, "2026-01-10T00:00:00+00:00", 5),
        alerts(20, 2, "2026-02-03T00:00:00+00:00", 3),
    )
    write_jsonl(project / "alerts" / "a.jsonl", january + february)
    build(project, "--no-mkdocs")
    docs = project / "site_src"
    jan, feb = docs / facet_month("2026-01"), docs / facet_month("2026-02")
    before = jan.stat().st_mtime_ns, jan.read_bytes()
    known = json.loads((docs / "search" / "known.json").read_text())
    assert known["months"] == {"2026-01": 30, "2026-02": 20}

    # A nightly build with February alerts only: January's file is left alone.
    later = alerts(7, 3, "2026-02-20T00:00:00+00:00", 2)
    write_jsonl(project / "alerts" / "b.jsonl", later)
    assert build(project, "--no-mkdocs")["mode"] == "incremental"
    assert (jan.stat().st_mtime_ns, jan.read_bytes()) == before
    assert json.loads(feb.read_text())["count"] == 27
    assert json.loads((docs / "search" / "known.json").read_text())["months"]["2026-02"] == 27

    # Every row says what the catalog says, oldest first; and a full build writes the same bytes.
    import pyarrow.parquet as pq

    catalog = {r["id"]: r for r in pq.read_table(docs / "exports" / "alerts.parquet").to_pylist()}
    rows = _facet_rows(docs, "2026-02") + _facet_rows(docs, "2026-01")
    assert len(rows) == len(catalog) == 57
    for aid, seconds, priority, rule, host, source, tags in rows:
        row = catalog[aid]
        assert seconds == row["time_ns"] // 1_000_000_000
        assert (priority, rule, host, source) == (row["priority"], row["rule"], row["host"], row["source"])
        assert ",".join(tags) == (row["tags"] or "").replace(TAG_SEPARATOR, ",")
    reference = new_project(tmp_path / "reference")
    shutil.copytree(project / "alerts", reference / "alerts", dirs_exist_ok=True)
    build(reference, "--no-mkdocs")
    for path in ("2026-01.json", "2026-01/0.json", "2026-02.json", "2026-02/0.json"):
        assert (reference / "site_src" / "search/facets" / path).read_bytes() == (
            docs / "search/facets" / path
        ).read_bytes()
    assert (reference / "site_src" / SEARCH_KNOWN).read_bytes() == (docs / SEARCH_KNOWN).read_bytes()


def test_a_month_emptied_by_retention_has_its_files_removed() -> None:
    from generator.archive.catalog import empty_frame
    from generator.pages.facets import facet_files

    # None: remove the file (the month's alerts are gone). The whole path, through a nightly
    # build and the published site, is tests/test_incremental.py::test_keep_days_...
    files = dict(facet_files(empty_frame(), ["2025-11"], lambda month: 2))
    assert files == {
        "search/facets/2025-11.json": None,
        "search/facets/2025-11/0.json": None,
        "search/facets/2025-11/1.json": None,
    }
