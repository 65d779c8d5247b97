"""Rule and host slugs hold against chosen names, and old slugs keep working (issue 12, item 1).

Before 0.2 a slug ended in 8 hex digits of SHA-256: a birthday search over a few ten thousand
punctuation suffixes finds two rule names (or hostnames) with one slug, and the guarded
writer then stopped the whole build. Slugs now carry 16 hex digits, any pair that still
collides is placed apart (:func:`generator.urls.place_names`), and every old slug URL
redirects, since incident tickets link to them.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import Project, RunBuild

from generator import urls
from generator.archive.state import State
from generator.pages.redirects import redirect_pages
from generator.urls import host_page, legacy_slug, name_slug, page_url, place_names, rule_page

Alert = Callable[..., dict[str, Any]]
ALPHA = "Alpha rule <script>window.__pwned=1</script>"


def old_hash(name: str) -> str:
    """The pre-0.2 slug hash, spelled out (not via generator code): 8 hex digits."""
    return hashlib.sha256(name.encode()).hexdigest()[:8]


def birthday_pair(prefix: str) -> tuple[str, str]:
    """Two names ``prefix + suffix`` whose old 8-digit slugs collide (2**16-ish tries)."""
    seen: dict[str, str] = {}
    for length in itertools.count(1):
        for chars in itertools.product("!#.?@=-_", repeat=length):
            name = prefix + "".join(chars)
            digest = old_hash(name)
            if digest in seen:
                return seen[digest], name
            seen[digest] = name
    raise AssertionError("unreachable")


def h1(path: Path) -> str:
    """The text of a built page's first heading, as a reader sees it."""
    match = re.search(r"<h1[^>]*>(.*?)</h1>", path.read_text("utf-8"), re.S)
    assert match, path
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def mark_built_before_0_2(project: Project) -> None:
    """Make the state look as a pre-0.2 build left it (no ``slug_hex`` in state.json); the
    real old code is used by tests/test_old_urls.py."""
    meta_file = project.state / "state.json"
    meta = json.loads(meta_file.read_text("utf-8"))
    del meta["slug_hex"]
    meta_file.write_text(json.dumps(meta), "utf-8")


def project_catalog(project: Project) -> pd.DataFrame:
    return State(project.state).read_compact()


@pytest.fixture(autouse=True)
def _no_placements() -> Iterator[None]:
    """place_names keeps module state for the page workers; no test leaks it to another."""
    yield
    for tree in ("rules", "hosts"):
        place_names(tree, [], {})


def test_the_pair_from_the_issue_collides_under_the_old_scheme_only() -> None:
    a, b = "Terminal shell in container !#!@.?", "Terminal shell in container !#.!=!"
    assert old_hash(a) == old_hash(b) and legacy_slug(a) == legacy_slug(b)
    assert name_slug(a) != name_slug(b)
    assert name_slug(a).endswith(hashlib.sha256(a.encode()).hexdigest()[:16])


def test_two_old_colliding_names_both_get_pages_and_the_build_goes_on(
    project: Project, run_build: RunBuild, make_alert: Alert
) -> None:
    rule_a, rule_b = birthday_pair("Terminal shell in container ")
    host_a, host_b = birthday_pair('<img src=x onerror="window.__pwned=1">node-')
    assert old_hash(rule_a) == old_hash(rule_b) and old_hash(host_a) == old_hash(host_b)
    project.write_jsonl(
        "night.jsonl",
        [
            make_alert(rule=rule_a, hostname=host_a),
            make_alert(rule=rule_b, hostname=host_b, time="2025-11-12T17:21:00Z"),
        ],
    )
    run_build(["alerts", "--site-dir", "site"])  # exit 0: before 0.2 this exited 1
    report = project.report()
    assert report["published"] == 2 and report["quarantined"] == 0
    assert rule_page(rule_a) != rule_page(rule_b) and host_page(host_a) != host_page(host_b)
    for name, page in (
        (rule_a, rule_page(rule_a)),
        (rule_b, rule_page(rule_b)),
        (host_a, host_page(host_a)),
        (host_b, host_page(host_b)),
    ):
        assert h1(project.site / page_url(page) / "index.html") == name
    # Neither name was published under the old slug (the old code refused the pair): no old
    # URL is made up for either (issue 12, item 1: redirects only for what was published).
    assert not (project.site / "rules" / legacy_slug(rule_a)).exists()
    assert not (project.site / "hosts" / legacy_slug(host_a)).exists()
    # Had both been published (the state says which), the old slug lists both pages; names on
    # such a page are attacker-chosen: escaped, never markup.
    pages = redirect_pages(project_catalog(project), {}, {"rule": [rule_a, rule_b], "host": [host_a, host_b]})
    shared = pages[f"rules/{legacy_slug(rule_a)}/index.html"]
    assert 'http-equiv="refresh"' not in shared
    for page in (rule_page(rule_a), rule_page(rule_b)):
        assert f'href="../../{page_url(page)}"' in shared
    shared_hosts = pages[f"hosts/{legacy_slug(host_a)}/index.html"]
    assert (
        "<img" not in shared_hosts
        and "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in shared_hosts
    )


def test_a_64_bit_collision_is_placed_apart_and_the_earlier_name_keeps_its_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 64-bit pairs cost ~2**32 hashes to find: make every name collide instead.
    real = urls.name_slug
    monkeypatch.setattr(
        urls,
        "name_slug",
        lambda n, hex_digits=16: real("x", hex_digits) if hex_digits == 16 else real(n, hex_digits),
    )
    notes = place_names("rules", ["evil b", "evil a", "Terminal shell"], {"Terminal shell": 1, "evil b": 7})
    assert rule_page("Terminal shell") == f"rules/{real('x')}/index.md"  # archived first: unchanged
    pages = {rule_page(n) for n in ("Terminal shell", "evil a", "evil b")}
    assert len(pages) == 3, "two names never share a page"
    assert rule_page("evil a") == f"rules/{real('evil a', 64)}/index.md"
    assert len(notes) == 2 and all("share the slug" in n for n in notes)
    # Deterministic: the same names in any order give the same pages.
    again = place_names("rules", ["Terminal shell", "evil a", "evil b"], {"evil b": 7, "Terminal shell": 1})
    assert again == notes and {rule_page(n) for n in ("Terminal shell", "evil a", "evil b")} == pages


def test_a_build_with_colliding_slugs_publishes_both_and_keeps_urls_across_nights(
    project: Project, run_build: RunBuild, make_alert: Alert, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = urls.name_slug
    monkeypatch.setattr(
        urls,
        "name_slug",
        lambda n, hex_digits=16: real("same", hex_digits) if hex_digits == 16 else real(n, hex_digits),
    )
    project.write_jsonl("1.jsonl", [make_alert(rule="Zeta rule", hostname="zeta")])
    run_build(["alerts", "--site-dir", "site"])
    first = rule_page("Zeta rule")
    assert first == f"rules/{real('same')}/index.md"
    # Night 2: a name sorting before it collides; the archived name keeps its URL.
    project.write_jsonl("2.jsonl", [make_alert(rule=ALPHA, hostname="alpha", time="2025-11-13T00:00:00Z")])
    run_build(["alerts", "--site-dir", "site"])
    assert rule_page("Zeta rule") == first and rule_page(ALPHA) != first
    notes = project.report()["notes"]
    assert any(f"{ALPHA!r} and 'Zeta rule' share the slug" in n for n in notes), notes
    # The note quotes attacker-chosen names: text on the Build report, never markup.
    report_html = (project.site / "build-report" / "index.html").read_text("utf-8")
    assert "share the slug" in report_html and "<script>window.__pwned" not in report_html
    for name in ("Zeta rule", ALPHA):
        assert h1(project.site / page_url(rule_page(name)) / "index.html") == name
    # A full rebuild decides the same way (the build history says who came first).
    run_build(["alerts", "--site-dir", "site", "--full"])
    assert rule_page("Zeta rule") == first


@pytest.mark.browser
def test_old_slug_urls_redirect_in_chromium(
    project: Project,
    run_build: RunBuild,
    make_alert: Alert,
    browser: Any,
    serve_site: Callable[[Path], str],
) -> None:
    many = [
        make_alert(hostname="db-1", time=f"2025-11-12T17:{i // 60:02d}:{i % 60:02d}Z") for i in range(130)
    ]
    project.write_jsonl("a.jsonl", many)
    run_build(["alerts", "--no-mkdocs"])
    mark_built_before_0_2(project)  # its names were published under 8-digit slugs
    run_build(["alerts", "--site-dir", "site"])
    rule = "Terminal shell in container"
    base = serve_site(project.site)
    page = browser.new_page()
    try:
        for old, new, heading in (
            (f"rules/{legacy_slug(rule)}/", page_url(rule_page(rule)), rule),
            (f"hosts/{legacy_slug('db-1')}/", page_url(host_page("db-1")), "db-1"),
            (f"rules/{legacy_slug(rule)}/page-2/", page_url(rule_page(rule)) + "page-2/", rule),
        ):
            assert old != new and (project.site / old / "index.html").is_file()
            page.goto(base + old)
            page.wait_for_url(base + new, timeout=10_000)
            assert heading in page.locator("article h1").first.inner_text()
    finally:
        page.close()
