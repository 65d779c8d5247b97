"""What a person sees (issue 13): one page of every kind, in Chromium, at 1366 px and 390 px.

The bundled alerts are built once, without a ``site_url``, into a folder served under a
sub-path (``/archive/``), as a site behind a reverse proxy would be. Every page kind (home, an
alert of each source kind, rule, host, priority, group, listing page N, news, ATT&CK, exports,
build report, search, 404) is opened at both widths and checked for what is *rendered*, not
for what the Markdown says: no Markdown marker shows as text, headings are headings, list items
are separate, the counts a page states agree with its charts and tables, and nothing scrolls
sideways on a phone. The ticket snippet test copies from an alert page and checks the link in
the copied text is the page's own absolute address, and the k8s facts a ticket needs.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pandas as pd
import pytest

from generator.urls import page_url, rule_page

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
SUB = "archive"
WIDTHS = {"desktop": (1366, 768), "phone": (390, 844)}
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass(frozen=True)
class Built:
    """The bundled alerts built once: the served root (site under ``SUB/``) and the docs."""

    root: Path
    docs: Path

    @property
    def site(self) -> Path:
        return self.root / SUB

    def catalog(self) -> pd.DataFrame:
        return pd.read_csv(self.site / "exports" / "alerts.csv")


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The repository's bundled alerts, built with the packaged defaults and no site_url."""
    from conftest import invoke_build

    work = tmp_path_factory.mktemp("bundled")
    shutil.copytree(REPO / "alerts", work / "alerts")
    cwd = Path.cwd()
    try:
        os.chdir(work)
        result = invoke_build(
            ["alerts", "--site-dir", f"served/{SUB}", "--docs-dir", "docs", "--state-dir", "state"]
        )
    finally:
        os.chdir(cwd)
    assert result.output.count("no site_url") == 1, result.output
    return Built(work / "served", work / "docs")


@pytest.fixture(scope="module")
def base(bundled: Built) -> Iterator[str]:
    """The built site served on 127.0.0.1 under ``/archive/``."""
    import functools
    import http.server
    import threading

    from conftest import _QuietHandler

    handler = functools.partial(_QuietHandler, directory=str(bundled.root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{SUB}/"
    finally:
        server.shutdown()
        server.server_close()


def _first_dir(site: Path, pattern: str) -> str:
    found = sorted(
        p
        for p in site.glob(pattern)
        if (p / "index.html").is_file() and "<article" in (p / "index.html").read_text("utf-8")
    )
    assert found, pattern
    return found[0].relative_to(site).as_posix() + "/"


def page_kinds(built: Built) -> dict[str, str]:
    """Site-relative URL of one page of every kind."""
    site = built.site
    catalog = built.catalog()
    kinds: dict[str, str] = {"home": ""}
    for source in ("syscall", "k8s_audit", "aws_cloudtrail"):
        rows = catalog[catalog["source"] == source]
        assert len(rows), source
        kinds[f"alert ({source})"] = (
            str(rows["page"].iloc[0]).removesuffix("index.md").removesuffix(".md") + "/"
        )
    busiest_host = catalog["host"].value_counts().index[0]
    hosts = [p for p in (site / "hosts").iterdir() if p.is_dir()]
    kinds["host"] = next(
        f"hosts/{p.name}/" for p in hosts if f">{busiest_host}<" in (p / "index.html").read_text("utf-8")
    )
    busiest_rule = catalog["rule"].value_counts().index[0]
    kinds["rule"] = next(
        f"rules/{p.name}/"
        for p in (site / "rules").iterdir()
        if p.is_dir()
        and (p / "index.html").is_file()
        and busiest_rule in (p / "index.html").read_text("utf-8")
    )
    kinds["priority"] = "priorities/critical/"
    # A group of k8s/cloud alerts: no process, command or image to share.
    counts = catalog[catalog["source"] != "syscall"]["group"].value_counts()
    repeated = [g for g in counts[counts > 1].index if (site / "groups" / str(g) / "index.html").is_file()]
    assert repeated, "no repeated k8s/cloud activity in the bundled alerts"
    kinds["group"] = f"groups/{repeated[0]}/"
    kinds["group (syscall)"] = _first_dir(site, "groups/*")
    kinds["groups index"] = "groups/"
    kinds["listing page N"] = _first_dir(site, "*/*/page-*")
    kinds["news"] = "news/1/"
    kinds["ATT&CK"] = "mitre/"
    kinds["exports"] = "exports/"
    kinds["build report"] = "build-report/"
    kinds["search"] = "search/"
    kinds["404"] = "404.html"
    return kinds


#: What a page shows, read in the browser: the article's text without code, raw blocks and
#: charts (where Markdown characters are the content), its headings, list items, tables.
READ_PAGE = r"""() => {
  const article = document.querySelector('article') || document.body;
  const copy = article.cloneNode(true);
  copy.querySelectorAll('pre, code, svg, script, style, .fa-snippets, details.fa-snippet').forEach(e => e.remove());
  document.body.appendChild(copy);
  copy.style.position = 'absolute'; copy.style.left = '-99999px';
  const text = copy.innerText;
  copy.remove();
  const cells = [...article.querySelectorAll('td, th')].map(c => c.innerText.trim());
  const items = [...article.querySelectorAll('li')].map(li => {
    const c = li.cloneNode(true); c.querySelectorAll('ul, ol, code, pre').forEach(e => e.remove());
    return c.innerText.trim();
  });
  const pairs = [...article.querySelectorAll('tr')].map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText.trim()))
    .filter(cells => cells.length === 2);
  const headings = [...article.querySelectorAll('h1, h2, h3')].map(h => h.innerText.trim());
  const tocs = [...document.querySelectorAll('.md-sidebar--secondary .md-nav__link')].map(a => a.innerText.trim());
  return {
    text, cells, items, headings, tocs, pairs,
    scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
    charts: [...article.querySelectorAll('svg[data-total]')].map(s => +s.getAttribute('data-total')),
    // Rendered label size: the font size in SVG units times the SVG's scale on screen.
    chartText: Math.min(99, ...[...article.querySelectorAll('svg.fa-chart text')].map(
      t => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a)),
    captions: [...article.querySelectorAll('svg[data-total]')].map(s => {
      const c = s.closest('figure') && s.closest('figure').querySelector('figcaption');
      return c && c.offsetHeight > 0 ? c.innerText : '';
    }),
  };
}"""

MARKERS = [
    (re.compile(r"(^|\n)\s*#{1,6} "), "a Markdown heading shown as text"),
    (re.compile(r"\*\*"), "** shown as text"),
    (re.compile(r"\]\("), "]( shown as text"),
    (re.compile(r"\|\s*:?-{3,}:?\s*\||(^|\n)\| "), "a Markdown table shown as text"),
    (re.compile(r"\\[-_.*#`\[\]()!|]"), "a Markdown backslash escape shown as text"),
    (re.compile(r"\b1 (alerts|hosts|rules|files|occurrences)\b"), "a plural after 1"),
    (re.compile(r"\b[A-Z][a-z]+ [0-9,]+ ;"), "a count glued to ' ;'"),
    (re.compile(r"\bAlert alert\b|\bBuilt (full|incremental) from\b"), "garbled wording"),
]


def _check_page(kind: str, url: str, seen: dict[str, Any], width: str) -> list[str]:
    problems = []
    where = f"{kind} ({url}) at {width}"
    for pattern, what in MARKERS:
        m = pattern.search(seen["text"])
        if m:
            problems.append(f"{where}: {what}: {seen['text'][max(0, m.start() - 60) : m.end() + 60]!r}")
    for cell in seen["cells"]:
        if re.match(r"#{1,6} ", cell):
            problems.append(f"{where}: a heading inside a table cell: {cell[:80]!r}")
    for item in seen["items"]:
        if re.search(r"\S- \S|\n- ", item):
            problems.append(f"{where}: list items glued into one: {item[:120]!r}")
    for label, value in seen["pairs"]:
        if label in ("Process", "Command line", "Image", "User") and not value:
            problems.append(f"{where}: an empty {label!r} row")
    if round(seen["chartText"], 1) < 9:  # labels of at least 9 px
        problems.append(f"{where}: chart text rendered at {seen['chartText']:.1f} px, unreadable")
    if seen["scroll"] > seen["inner"]:
        problems.append(f"{where}: scrolls sideways ({seen['scroll']} px > {seen['inner']} px)")
    return problems


def _stated_total(text: str) -> int | None:
    m = re.search(r"(?:^|\s)([0-9,]+) (?:alerts?|occurrences?)\b", text)
    return int(m.group(1).replace(",", "")) if m else None


def test_every_page_kind_renders_as_meant(bundled: Built, base: str, browser: Any) -> None:
    kinds = page_kinds(bundled)
    problems: list[str] = []
    for width, (w, h) in WIDTHS.items():
        context = browser.new_context(viewport={"width": w, "height": h})
        page = context.new_page()
        for kind, rel in kinds.items():
            response = page.goto(base + rel)
            assert response is not None and response.ok, f"{kind}: {base + rel} gave {response}"
            page.wait_for_load_state("networkidle")
            assert page.url == base + rel, f"{kind}: {base + rel} went on to {page.url}"
            seen = page.evaluate(READ_PAGE)
            problems += _check_page(kind, rel, seen, width)
            if width == "desktop" and kind in ("home", "host", "rule", "priority"):
                # Headings are headings: every section the page has is in its table of contents.
                latest = "Latest alerts of priority Error and above" if kind == "home" else "Latest alerts"
                assert latest in seen["headings"], f"{kind}: no heading {latest!r}"
                if kind in ("home", "host"):
                    assert "Top rules" in seen["headings"] and "Top rules" in seen["tocs"], kind
                # Counts agree: the page's total, its chart and its priority table.
                total = _stated_total(seen["text"])
                assert total is not None, f"{kind}: no stated total"
                # A chart that draws fewer alerts than the page counts says so under it.
                assert seen["charts"], kind
                drawn, caption = seen["charts"][0], seen["captions"][0]
                assert drawn == total or f"{drawn:,} of the {total:,} alerts" in caption, (
                    kind,
                    total,
                    caption,
                )
                assert "UTC days" in caption, caption  # the window is visible
                by_priority = page.evaluate(
                    """() => { const t = [...document.querySelectorAll('article table')].find(
                         t => t.querySelector('th') && t.querySelector('th').innerText.trim() === 'Priority'
                              && t.querySelectorAll('th').length === 2);
                       return t ? [...t.querySelectorAll('tbody tr td:last-child')].map(td => td.innerText) : null; }"""
                )
                if by_priority is not None:
                    assert sum(int(n.replace(",", "")) for n in by_priority) == total, (kind, by_priority)
        context.close()
    assert not problems, "\n".join(problems)


def test_news_lists_are_lists(bundled: Built, base: str, browser: Any) -> None:
    """ "Rules seen for the first time" is one list item per rule, each a link."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(base + "news/1/")
    items = page.evaluate(
        """() => { const h = [...document.querySelectorAll('h2')].find(h => h.innerText.includes('Rules seen'));
             const ul = h.nextElementSibling; return [...ul.querySelectorAll(':scope > li')].map(li => li.innerText.trim()); }"""
    )
    context.close()
    news = (
        json.loads((bundled.docs / "news" / "1.json").read_text("utf-8"))
        if (bundled.docs / "news" / "1.json").is_file()
        else None
    )
    assert len(items) > 1, items
    assert all("\n" not in i and " - " not in i for i in items), items
    if news and "new_rules" in news:
        assert len(items) == len(news["new_rules"])


def test_ticket_snippet_links_to_the_page_under_a_sub_path(bundled: Built, base: str, browser: Any) -> None:
    """No site_url, served under /archive/: the copied snippet links to the page's own address."""
    catalog = bundled.catalog()
    k8s = catalog[catalog["source"] == "k8s_audit"]
    raw_pages = [
        str(p)
        for p in k8s["page"]
        if "ka.req.binding.role"
        in (bundled.site / str(p).removesuffix(".md") / "index.html").read_text("utf-8")
    ]
    assert raw_pages, "no k8s alert with a role binding in the bundled alerts"
    rel = raw_pages[0].removesuffix(".md") + "/"
    origin = base.split(f"/{SUB}/")[0]
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    page = context.new_page()
    page.goto(base + rel)
    page.get_by_role("button", name="Copy as Markdown").click()
    page.wait_for_timeout(200)
    markdown = page.evaluate("navigator.clipboard.readText()")
    page.get_by_role("button", name="Copy as Jira").click()
    page.wait_for_timeout(200)
    jira = page.evaluate("navigator.clipboard.readText()")
    shown = page.locator("pre.fa-snippet code").first.text_content()
    summary = page.locator("article p").filter(has_text="fired on host").first.inner_text()
    audit = page.locator("h2:has-text('Kubernetes audit context') + *").inner_text()
    context.close()
    for label in ("Role bound", "Subjects", "Name", "Namespace"):
        assert label in audit, (label, audit)
    assert "User " in audit or "Group " in audit or "ServiceAccount " in audit, (
        audit
    )  # subjects read as words
    absolute = base + rel
    assert f"]({absolute})" in markdown, markdown
    assert f"|{absolute}]" in jira, jira
    assert f"]({absolute})" in (shown or "")
    with urllib.request.urlopen(absolute) as response:  # the pasted link works
        assert response.status == 200
    for label in ("User", "Verb", "Resource", "Object", "Namespace", "Role bound", "Subjects", "Decision"):
        assert f"**{label}:**" in markdown and f"*{label}:*" in jira, label
    # Only what the target syntax needs is escaped: dates and host names read as they are.
    assert "\\-" not in markdown and "\\-" not in jira
    assert re.search(r"\d{4}-\d{2}-\d{2}T", jira)
    # The k8s summary names the object, its namespace, the role bound and to whom.
    assert "binding role" in summary and " to " in summary and "in namespace" in summary, summary


def test_feed_links_resolve_under_a_sub_path(bundled: Built, base: str) -> None:
    """Without site_url, feed links are relative to feed.xml, so they work under any sub-path."""
    feed_url = base + "feed.xml"
    with urllib.request.urlopen(feed_url) as response:
        root = ET.fromstring(response.read())
    links = [e.find(ATOM + "link").get("href") for e in root.findall(ATOM + "entry")]
    assert links
    for href in links[:3]:
        assert not href.startswith("/"), href
        with urllib.request.urlopen(urljoin(feed_url, href)) as response:
            assert response.status == 200
    summaries = [e.find(ATOM + "summary").text for e in root.findall(ATOM + "entry")]
    assert not any("alert alert" in s.lower() for s in summaries)


def test_build_time_comes_from_one_small_file(bundled: Built, base: str, browser: Any) -> None:
    """Build time and version: in every page's footer and on the home page, read at view time
    from build.json (never rendered into alert pages); the feed's <updated> is the build time."""
    info = json.loads((bundled.site / "build.json").read_text("utf-8"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["time"]) and info["version"]
    # The published build.json has the whole build's duration (MkDocs included), the docs
    # folder's copy (and the build report) the time to read, merge and render.
    rendered = json.loads((bundled.docs / "build.json").read_text("utf-8"))["seconds"]
    assert info["seconds"] > rendered > 0
    took = f"took {info['seconds']:.1f} s"
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    catalog = bundled.catalog()
    alert = str(catalog["page"].iloc[0]).removesuffix(".md") + "/"
    for rel in ("", alert, "build-report/"):
        page.goto(base + rel)
        footer = page.locator(".fa-build-info")
        footer.wait_for()
        assert info["time"] in footer.inner_text() and info["version"] in footer.inner_text(), rel
        assert took in footer.inner_text(), footer.inner_text()
    page.goto(base)
    page.wait_for_function("document.querySelector('.fa-build-slot').innerText.includes('Last build: 2')")
    assert info["time"] in page.locator(".fa-build-slot").inner_text()
    assert took in page.locator(".fa-build-slot").inner_text()
    # What's new says when each build ran (recorded once, so the page is stable afterwards).
    page.goto(base + "news/")
    ran = page.locator("article table tbody tr").first.locator("td").nth(1).inner_text()
    page.goto(base + "news/1/")
    intro = page.locator("article p").first.inner_text()
    context.close()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", ran) and ran[:10] == info["time"][:10], ran
    assert f"Build 1 ran {ran} UTC" in intro, intro
    report = html.unescape((bundled.site / "build-report" / "index.html").read_text("utf-8"))
    assert f"{rendered:.1f} s into the build" in report
    assert info["time"] not in (bundled.site / alert / "index.html").read_text("utf-8")
    assert info["time"] in html.unescape((bundled.site / "build-report" / "index.html").read_text("utf-8"))
    root = ET.parse(bundled.site / "feed.xml").getroot()
    assert root.find(ATOM + "updated").text.startswith(info["time"].removesuffix("Z"))


def test_material_polish(bundled: Built, base: str, browser: Any) -> None:
    """Dark system preference gives the dark scheme; commands have copy buttons; the 404 page
    has a search box and a link home; an alert's first screen links to its guidance."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, color_scheme="dark")
    page = context.new_page()
    catalog = bundled.catalog()
    syscall = catalog[catalog["source"] == "syscall"]
    alert = str(syscall["page"].iloc[-1]).removesuffix(".md") + "/"
    page.goto(base + alert)
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    commands = page.locator("pre.fa-cmd")
    assert commands.count() > 0
    assert page.locator("pre.fa-cmd button.md-code__button[data-md-type=copy]").count() == commands.count()
    # A command is one line that scrolls, not wrapped mid-token.
    assert page.evaluate("getComputedStyle(document.querySelector('pre.fa-cmd > code')).whiteSpace") == "pre"
    for anchor in ("#investigate", "#contain"):
        link = page.locator(f"p.fa-jump a[href='{anchor}']")
        assert link.count() == 1, anchor
        assert link.bounding_box()["y"] < 768, f"{anchor} link not on the first screen"
        assert page.locator(anchor).count() == 1
    summary = page.locator("article p").filter(has_text="fired on host").first
    assert summary.bounding_box()["y"] < 768
    context.close()
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="light")
    page = context.new_page()
    page.goto(base + "404.html")
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "default"
    page.fill(".fa-notfound-search input[name=q]", "zebra")
    page.press(".fa-notfound-search input[name=q]", "Enter")
    page.wait_for_url("**/search/?q=zebra")
    page.go_back()
    assert page.get_by_role("link", name="Home: the dashboard").count() == 1
    context.close()


def test_groups_index_links_every_listed_group(bundled: Built, base: str, browser: Any) -> None:
    """The groups index is in the navigation and links to group pages that exist."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(base)
    page.get_by_role("link", name="Repeated", exact=True).first.click()
    page.wait_for_url("**/groups/")
    hrefs = page.eval_on_selector_all("article table a", "els => els.map(a => a.href)")
    context.close()
    groups = [p for p in (bundled.site / "groups").iterdir() if (p / "index.html").is_file()]
    real = [p for p in groups if "<article" in (p / "index.html").read_text("utf-8")]
    assert len(hrefs) == len(real) > 0
    for href in hrefs[:3]:
        with urllib.request.urlopen(href) as response:
            assert response.status == 200


def test_search_offers_known_names_and_ignores_their_case(bundled: Built, base: str, browser: Any) -> None:
    """Rule and host filters suggest the archive's names and match them in any case."""
    catalog = bundled.catalog()
    host = str(catalog["host"].value_counts().index[0])
    rows = catalog[catalog["host"] == host]
    word = str(rows["rule"].iloc[0]).split()[0]
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(base + "search/")
    page.wait_for_function(
        f"document.querySelectorAll('#fa-known-host option').length === {catalog['host'].nunique()}"
    )
    assert page.locator("#fa-rule").get_attribute("list") == "fa-known-rule"
    assert page.locator("#fa-known-rule option").count() == catalog["rule"].nunique()
    page.goto(base + "search/?" + urllib.parse.urlencode({"q": word, "host": host.upper()}))
    page.wait_for_function("() => document.getElementById('fa-status').dataset.state === 'done'")
    metas = page.locator("#fa-results > li .fa-result-meta").all_inner_texts()
    context.close()
    assert metas, "no result for a host filter typed in capitals"
    assert all(f"host {host}" in m for m in metas if m.startswith("host ")), metas[:3]


def _open(browser: Any, url: str, width: int = 1366, height: int = 768) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return context, page


#: Every bar link of the article's charts: the chart kind, the resolved URL, the bar's name.
BAR_LINKS = """() => [...document.querySelectorAll('article svg.fa-chart')].flatMap(svg =>
  [...svg.querySelectorAll('a')].map(a => ({
    chart: svg.getAttribute('data-chart'),
    href: new URL(a.getAttribute('xlink:href') || a.getAttribute('href'), location.href).href,
    name: a.getAttribute('aria-label'),
    daily: svg.getAttribute('data-daily'),
  })))"""


def test_chart_bars_link_to_the_listing_they_count(bundled: Built, base: str, browser: Any) -> None:
    """Home: a priority bar opens the priority's page, a top-rules bar the rule's page, a day's
    segment the search for that priority and day (whose counts add up to the day's total); a
    rule page's daily bars keep the rule in the search."""
    context, page = _open(browser, base)
    links = page.evaluate(BAR_LINKS)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for link in links:
        by_kind.setdefault(link["chart"], []).append(link)
    assert set(by_kind) == {"daily-by-priority", "priority-distribution", "top-rules"}, by_kind.keys()
    catalog = bundled.catalog()
    counts = catalog["priority"].value_counts()
    for link in by_kind["priority-distribution"]:
        label, n = link["name"].split(": ")
        assert link["href"] == base + f"priorities/{label.lower()}/", link
        assert int(n.split()[0]) == counts[label], link
    assert len(by_kind["priority-distribution"]) == len(counts)
    for link in by_kind["top-rules"][:3]:
        with urllib.request.urlopen(link["href"]) as response:
            assert link["name"].rsplit(": ", 1)[0] in html.unescape(response.read().decode("utf-8"))
    per_day: dict[str, int] = {}
    for link in by_kind["daily-by-priority"]:
        url = urllib.parse.urlsplit(link["href"])
        query = urllib.parse.parse_qs(url.query)
        assert url.path.endswith(f"/{SUB}/search/"), link
        assert set(query) == {"priority", "from", "to"} and query["from"] == query["to"], link
        day = query["from"][0]
        assert link["name"].startswith(f"{query['priority'][0]} on {day}: "), link
        per_day[day] = per_day.get(day, 0) + int(link["name"].rsplit(": ", 1)[1].split()[0])
    assert per_day == json.loads(by_kind["daily-by-priority"][0]["daily"])
    # Clicking a bar (the longest: a thin one is hard to hit) goes where its link says.
    busiest = str(counts.index[0])
    page.locator(f"svg[data-chart=priority-distribution] a[aria-label^='{busiest}:']").click()
    page.wait_for_url(f"**/priorities/{busiest.lower()}/")
    page.goto(base + page_kinds(bundled)["rule"])
    rule_links = page.evaluate(BAR_LINKS)
    context.close()
    assert rule_links and all("rule=" in link["href"] for link in rule_links), rule_links[:2]


def _cell_lines(page: Any, selector: str) -> list[int]:
    """How many lines the inline element in each matching cell takes (a wrapped one has one
    box per line)."""
    return page.evaluate(
        f"""() => [...document.querySelectorAll({selector!r})].map(e => e.getClientRects().length)"""
    )


def test_alert_tables_read_well(bundled: Built, base: str, browser: Any) -> None:
    """Times and host names never wrap; the "what happened" column is named for the alerts it
    lists (command, k8s request, cloud action) and holds that fact; rule names are links."""
    catalog = bundled.catalog()
    for width in (1366, 390):
        context, page = _open(browser, base, width, 844)
        times = _cell_lines(page, "table.fa-alerts td.fa-time > a")
        hosts = _cell_lines(page, "table.fa-alerts td.fa-host code")
        rule_cells = page.evaluate(
            """() => [...document.querySelectorAll('article table')].flatMap(t => {
                 const head = [...t.querySelectorAll('th')].map(th => th.innerText.trim());
                 const col = head.indexOf('Rule');
                 return col < 0 ? [] : [...t.querySelectorAll('tbody tr')].map(tr => !!tr.children[col].querySelector('a'));
               })"""
        )
        context.close()
        assert times and max(times) == 1, (width, times)
        assert hosts and max(hosts) == 1, (width, hosts)
        assert rule_cells and all(rule_cells), (width, rule_cells)
    expected = {
        "syscall": ("Process / command", "cmdline"),
        "k8s_audit": ("Request (verb resource/object)", None),
        "aws_cloudtrail": ("Action", None),
    }
    for source, (header, _column) in expected.items():
        rows = catalog[catalog["source"] == source]
        rule = rows["rule"].value_counts().index[0]
        if set(catalog[catalog["rule"] == rule]["source"]) != {source}:
            continue
        rel = page_url(rule_page(rule))
        assert (bundled.site / rel / "index.html").is_file(), rel
        context, page = _open(browser, base + rel)
        heads = page.locator("table.fa-alerts th").all_inner_texts()
        whats = page.locator("table.fa-alerts td.fa-what").all_inner_texts()
        context.close()
        assert heads[-1] == header, (source, heads)
        if source == "k8s_audit":
            assert all(re.fullmatch(r"[a-z]+ [a-z]+/\S+", w) for w in whats if w), whats[:3]
        if source == "aws_cloudtrail":
            assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", w) for w in whats if w), whats[:3]


def test_groups_show_what_they_share_and_alerts_name_their_group(
    bundled: Built, base: str, browser: Any
) -> None:
    """A group page lists only the facts all its alerts share (a k8s/cloud group names the
    object touched); each member's page says "N of M similar alerts", read at view time from
    the group's similar.json (the count is never in the alert page's HTML)."""
    catalog = bundled.catalog()
    kinds = page_kinds(bundled)
    columns = {
        "Process": "proc_name",
        "Command line": "cmdline",
        "Image": "image",
        "User or actor": "user",
        "Request": "action",
        "Action": "action",
        "Object touched": "target",
        "Namespace": "namespace",
    }
    for kind in ("group", "group (syscall)"):
        rel = kinds[kind]
        gid = rel.rstrip("/").rsplit("/", 1)[1]
        members = catalog[catalog["group"] == gid].sort_values(["time_ns", "id"])
        context, page = _open(browser, base + rel)
        shared = page.evaluate(
            """() => { const t = [...document.querySelectorAll('article table')].find(
                 t => t.querySelector('th') && t.querySelector('th').innerText.startsWith('Shared by all'));
               return t ? [...t.querySelectorAll('tbody tr')].map(tr => [...tr.children].map(td => td.innerText.trim())) : []; }"""
        )
        context.close()
        assert shared, (kind, rel)
        for label, value in shared:
            assert set(members[columns[label]].fillna("")) == {value}, (kind, label, value)
        if kind == "group":
            assert "Object touched" in dict(shared), shared
        # The newest member: "N of N similar alerts", a link to the group page.
        alert_rel = str(members["page"].iloc[-1]).removesuffix(".md") + "/"
        assert "similar alerts" not in (bundled.site / alert_rel / "index.html").read_text("utf-8")
        context, page = _open(browser, base + alert_rel)
        line = page.locator("p.fa-similar")
        line.wait_for(state="visible")
        text, href = line.inner_text(), line.locator("a").get_attribute("href")
        box = line.bounding_box()
        context.close()
        assert text.startswith(f"{len(members)} of {len(members)} similar alerts"), text
        assert urljoin(base + alert_rel, href) == base + rel
        assert box is not None and box["y"] < 768
    # An alert alone in its group says nothing.
    sizes = catalog["group"].value_counts()
    alone = catalog[catalog["group"].map(sizes) == 1]
    context, page = _open(browser, base + str(alone["page"].iloc[0]).removesuffix(".md") + "/")
    hidden = page.locator("p.fa-similar").is_hidden()
    context.close()
    assert hidden


def test_alert_first_screen(bundled: Built, base: str, browser: Any) -> None:
    """At 1366x768 an alert page's first screen shows the rule, its priority, the summary and
    the links to the Investigate and Contain steps; the long field reference comes after the
    guidance."""
    catalog = bundled.catalog()
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    checked = 0
    for source in ("syscall", "k8s_audit", "aws_cloudtrail"):
        for rel in catalog[catalog["source"] == source]["page"]:
            url = base + str(rel).removesuffix(".md") + "/"
            if "#investigate" not in (bundled.site / str(rel).removesuffix(".md") / "index.html").read_text(
                "utf-8"
            ):
                continue
            page.goto(url)
            boxes = page.evaluate(
                """() => { const b = e => e ? e.getBoundingClientRect().bottom : 9999;
                   const a = document.querySelector('article');
                   return {
                     rule: b(a.querySelector('h1')),
                     priority: b(a.querySelector('h1 + p .fa-badge')),
                     summary: b([...a.querySelectorAll('p')].find(p => p.innerText.includes('fired on host'))),
                     investigate: b(a.querySelector("p.fa-jump a[href='#investigate']")),
                     contain: b(a.querySelector("p.fa-jump a[href='#contain']")),
                     guidance: a.querySelector('#investigate').getBoundingClientRect().top,
                     reference: b(a.querySelector('#output-fields')),
                   }; }"""
            )
            for what in ("rule", "priority", "summary", "investigate", "contain"):
                assert boxes[what] <= 768, (source, url, what, boxes)
            assert boxes["reference"] == 9999 or boxes["reference"] > boxes["guidance"], (source, boxes)
            checked += 1
            break
    context.close()
    assert checked == 3
