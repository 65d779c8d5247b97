"""Classic XSS and Markdown payloads in every alert field, loaded in a real browser (issue 3).

A fixed corpus of payloads (script and event-handler tags, SVG, iframe srcdoc, ``javascript:``
links inline and in reference form, fence and table break-outs, front-matter break-outs, Jinja
delimiters, attribute lists, snippet includes, entity-encoded payloads, RTL override, CRLF,
NUL) is put into every field of alerts of hostile and of real rules (whose playbooks quote
fields in shell commands), into bad records (the build report quotes them) and into an input
file's name. The site is built with MkDocs, served on 127.0.0.1 and every generated HTML page
is opened in headless Chromium. No page may open a dialog, set ``window.__pwned``, request
another host, carry an event-handler attribute or a ``javascript:``/``data:`` URL, or embed
an iframe/object; alert pages must carry the exact (visible) text in the browser's tab title.
The search page is then driven with the payloads as queries and filters.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from generator.pages.escape import visible
from generator.read.models import FalcoAlert, alert_id
from generator.urls import alert_page

pytestmark = pytest.mark.browser
PlaywrightError = pytest.importorskip("playwright.sync_api").Error

SITE_NAME = "Falco alert archive"
P = "window.__pwned=true"
PAYLOADS = [
    f"<script>{P}</script>",
    f'<img src=x onerror="{P}">',
    f'"><img src=x onerror={P}>',
    f"'><svg onload={P}>",
    f"<svg><script>{P}</script></svg>",
    f'<svg><a xlink:href="javascript:{P}"><text>x</text></a></svg>',
    '<iframe srcdoc="<script>parent.__pwned=true</script>"></iframe>',
    f'<a href="javascript:{P}">click</a>',
    f"[click](javascript:{P})",
    f"[click][evil]\n\n[evil]: javascript:{P}",
    f"![x](javascript:{P})",
    f"<details open ontoggle={P}>",
    f"<body onload={P}>",
    f"<input autofocus onfocus={P}>",
    f'<video><source onerror="{P}"></video>',
    f"<math><mtext></p><script>{P}</script>",
    f"```\n</code></pre><script>{P}</script>\n```",
    f"~~~\n<script>{P}</script>\n~~~",
    f"| a | <script>{P}</script> |\n|---|---|\n| <img src=x onerror={P}> | b |",
    f"`</code><img src=x onerror={P}>`",
    "a | b \\| c ` d \\` e \\\\ f",
    f"\n---\ntitle: <script>{P}</script>\n---\n",
    f'"\ntitle: x\nhide: [navigation]\n<script>{P}</script>',
    f"</title><script>{P}</script>",
    f"</textarea><script>{P}</script>",
    f"</span></div></article><script>{P}</script>",
    "{{ 7*7 }} {% raw %} {{ config }} {# comment #}",
    "{% for x in range(3) %}{{ x }}{% endfor %}{{ self.__init__.__globals__ }}",
    f'{{: onclick="{P}" }}',
    f"# heading {{: onclick={P} }}",
    '--8<-- "/etc/passwd"',
    ';--8<-- "/etc/hostname"',
    f"*[HTML]: <script>{P}</script>",
    f"[^1]\n\n[^1]: <script>{P}</script>",
    f'!!! danger "<script>{P}</script>"\n    body',
    f"&lt;script&gt;{P}&lt;/script&gt;",
    f"&#60;script&#62;{P}&#60;/script&#62;",
    f"&#x3C;img src=x onerror={P}&#x3E;",
    f"jav&#x09;ascript:{P}",
    f'<a href="jav&#x61;script:{P}">x</a>',
    f"data:text/html,<script>{P}</script>",
    f'<object data="javascript:{P}"></object>',
    f'<embed src="javascript:{P}">',
    f'<form><button formaction="javascript:{P}">x</button></form>',
    f'<meta http-equiv="refresh" content="0;url=javascript:{P}">',
    "<base href=//evil.test/>",
    '<img src="//evil.test/beacon.png">',
    f'<style>@import "javascript:{P}";</style>',
    f"<!--<script>{P}</script>-->",
    f"<![CDATA[<script>{P}</script>]]>",
    f"<<script>script>{P}<</script>/script>",
    f"<scr<script>ipt>{P}</scr</script>ipt>",
    f'" onmouseover="{P}" x="',
    f"' onfocus='{P}' autofocus '",
    f"\u202egnp.exe<script>{P}</script>",
    f"line1\r\nline2\r\n<script>{P}</script>",
    f"nul\x00byte<script>{P}</script>",
    "${alert(1)}",
    "<img src=x onerror=alert(1)>",
    "<script>alert(document.domain)</script>",
    "<script>confirm(1)</script><script>prompt(1)</script>",
]
#: Real rules: their playbooks substitute output fields into shell commands and config.
REAL_RULES = ["Terminal shell in container", "Write below binary dir", "Read sensitive file untrusted"]
PRIORITIES = ["Critical", "Error", "Warning", "Notice", "Emergency", "Alert", "Informational", "Debug"]


def _fields(p: str) -> dict[str, Any]:
    keys = [
        "proc.name", "proc.cmdline", "proc.pname", "proc.pcmdline", "proc.aname[2]", "fd.name",
        "user.name", "container.id", "container.name", "container.image.repository",
        "container.image.tag", "k8s.pod.name", "k8s.ns.name", "k8s.pod.labels",
    ]  # fmt: skip
    return {p: p, **dict.fromkeys(keys, p), "nested": {p: [p, 1]}}


def corpus() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(alerts, records the model refuses) carrying every payload in every field."""
    alerts: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    for i, p in enumerate(PAYLOADS):
        base = {
            "time": f"2025-0{1 + i % 9}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.{i:09d}Z",
            "priority": PRIORITIES[i % len(PRIORITIES)],
            "output": f"{p} (payload {i})",
            "output_fields": _fields(p),
            "tags": [p, "T1059", f"{p}T1059"],
            "hostname": p,
        }
        alerts.append({**base, "rule": p, "source": p, "uuid": p})
        alerts.append({**base, "rule": REAL_RULES[i % len(REAL_RULES)], "source": "syscall"})
        if i % 4 == 0:
            k8s = {f"ka.{k}": p for k in ("user.name", "verb", "target.resource", "target.namespace", "uri")}
            alerts.append(
                {
                    **base,
                    "rule": p,
                    "source": "k8s_audit",
                    "output_fields": k8s,
                    "time": base["time"][:-2] + "1Z",
                }
            )
        bad.append({**base, "rule": p, "priority": p})
    return alerts, bad


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """The payload corpus, built once for the module (MkDocs included)."""
    from conftest import Project, copy_skeleton, invoke_build

    root = tmp_path_factory.mktemp("hostile-site")
    copy_skeleton(root)
    project = Project(root)
    alerts, bad = corpus()
    project.write_jsonl("payloads.jsonl", alerts)
    project.write_jsonl(f"<img src=x onerror={P}>.jsonl", bad)
    cwd = Path.cwd()
    try:
        os.chdir(root)
        invoke_build(["alerts", "--no-redaction"])
    finally:
        os.chdir(cwd)
    report = project.report()
    assert report["quarantined"] == len(bad), report["problems"][:3]
    return project.site, alerts


#: Runs in every page: what injected markup would have left in the live DOM.
PAGE_CHECK = """() => {
  const bad = [];
  const show = (el, what) => bad.push(el.tagName + ' ' + what.slice(0, 80));
  const urlAttrs = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc', 'poster'];
  for (const el of document.querySelectorAll('*')) {
    if (['IFRAME', 'FRAME', 'OBJECT', 'EMBED', 'BASE', 'APPLET'].includes(el.tagName)) show(el, '');
    if (el.tagName === 'META' && el.httpEquiv) show(el, 'http-equiv ' + el.httpEquiv);
    for (const a of el.attributes) {
      if (a.name.toLowerCase().startsWith('on')) show(el, a.name + '=' + a.value);
      if (urlAttrs.includes(a.name) && /^\\s*(javascript|data|vbscript):/i.test(a.value)) {
        show(el, a.name + '=' + a.value);
      }
    }
  }
  for (const a of document.querySelectorAll('a[href]')) {
    if (!['http:', 'https:'].includes(a.protocol)) show(a, a.protocol + ' ' + a.getAttribute('href'));
  }
  const scripts = [...document.scripts].map(
    s => s.src ? 'src:' + new URL(s.src).pathname : 'inline:' + s.textContent.trim().slice(0, 30));
  const pwned = window.__pwned === true || document.__pwned === true;
  return {pwned, bad, scripts, title: document.title};
}"""
ALLOWED_INLINE = ("inline:__md_scope", "inline:var palette", "inline:var target", "inline:{")


def _check(url: str, result: dict[str, Any], dialogs: list[str]) -> None:
    assert not dialogs, f"{url}: a dialog opened: {dialogs}"
    assert not result["pwned"], f"{url}: an injected script ran (window.__pwned)"
    assert not result["bad"], f"{url}: {result['bad'][:5]}"
    for script in result["scripts"]:
        ok = (script.startswith("src:") and "/assets/" in script) or script.startswith(ALLOWED_INLINE)
        assert ok, f"{url}: unexpected script {script!r}"


class Tabs:
    """A few browser tabs loading pages side by side (Chromium renders them in parallel),
    each with its own dialog and script-error log."""

    def __init__(self, context: Any, count: int) -> None:
        self.tabs = [context.new_page() for _ in range(count)]
        self.dialogs: list[list[str]] = [[] for _ in self.tabs]
        self.errors: list[str] = []
        for tab, log in zip(self.tabs, self.dialogs, strict=True):
            tab.on("dialog", lambda d, log=log: (log.append(f"{d.type}: {d.message}"), d.dismiss()))
            tab.on("pageerror", lambda e: self.errors.append(str(e)))

    def visit(self, urls: list[str], settle_ms: int = 30) -> Iterator[tuple[str, dict[str, Any]]]:
        """Load ``urls`` (checked as they come), yielding each page's DOM report."""
        for start in range(0, len(urls), len(self.tabs)):
            batch = list(zip(self.tabs, self.dialogs, urls[start : start + len(self.tabs)], strict=False))
            for tab, _log, url in batch:
                tab.goto(url, wait_until="commit")
            for tab, _log, _url in batch:
                tab.wait_for_load_state("load")
            # Late handlers (ontoggle, onfocus, a failed image) get a moment to fire.
            self.tabs[0].wait_for_timeout(settle_ms)
            for tab, log, url in batch:
                result: dict[str, Any] = tab.evaluate(PAGE_CHECK)
                _check(url, result, log)
                yield url, result


def test_no_payload_runs_on_any_page(
    hostile_site: tuple[Path, list[dict[str, Any]]], serve_site: Callable[[Path], str], browser: Any
) -> None:
    site, alerts = hostile_site
    base = serve_site(site)
    host = urlsplit(base).netloc
    titles: dict[str, str] = {}
    for raw in alerts:
        alert = FalcoAlert.model_validate(raw)
        page_dir = alert_page(alert_id(raw), alert.time_ns).removesuffix(".md")
        title = " ".join(f"{visible(alert.rule)} on {visible(alert.host)}".split())
        titles.setdefault(base + f"{page_dir}/index.html", title)

    context = browser.new_context()
    foreign: list[str] = []
    context.on(
        "request", lambda r: foreign.append(r.url) if urlsplit(r.url).netloc not in (host, "") else None
    )
    # Every generated page (the search page is driven with queries below).
    urls = [
        base + p.relative_to(site).as_posix()
        for p in sorted(site.rglob("*.html"))
        if not p.relative_to(site).as_posix().startswith("search/")
    ]
    assert len(urls) >= len(titles) + 10
    try:
        tabs = Tabs(context, 4)
        visited = 0
        for url, result in tabs.visit(urls):
            visited += 1
            if url in titles:
                assert " ".join(result["title"].split()) == f"{titles[url]} - {SITE_NAME}", url
        assert visited == len(urls)
        assert not foreign, f"requests to other hosts: {foreign[:5]}"
        assert not tabs.errors, f"script errors: {tabs.errors[:5]}"
    finally:
        context.close()
    print(f"visited {visited} pages, {len(titles)} of them alert pages")


def test_search_with_payloads_runs_nothing(
    hostile_site: tuple[Path, list[dict[str, Any]]], serve_site: Callable[[Path], str], browser: Any
) -> None:
    """The search page, driven through its address-bar parameters with payloads as text and
    as exact filters: results (rendered from alert text) must stay text."""
    site, _alerts = hostile_site
    search = site / "search" / "index.html"
    if not search.exists():
        pytest.skip("this build has no search page")
    base = serve_site(site)
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
    try:
        queries: list[str | dict[str, str]] = ["pwned", "script onerror", "payload"]
        queries += [{"q": p, "rule": p} for p in PAYLOADS[:6]]
        queries += [{"q": "payload", "host": p, "tag": p} for p in PAYLOADS[6:10]]
        for query in queries:
            params = {"q": query} if isinstance(query, str) else query
            page.goto(base + "search/?" + urlencode(params), wait_until="load")
            with contextlib.suppress(PlaywrightError):  # a slow index: check what rendered so far
                page.wait_for_load_state("networkidle", timeout=5_000)
            page.wait_for_timeout(100)
            _check(f"search {params}", page.evaluate(PAGE_CHECK), dialogs)
    finally:
        context.close()


def test_payloads_are_shown_as_text(hostile_site: tuple[Path, list[dict[str, Any]]], browser: Any) -> None:
    """Spot check in the browser: an alert page shows the payload's characters, not markup."""
    site, alerts = hostile_site
    raw = alerts[0]
    alert = FalcoAlert.model_validate(raw)
    page_dir = alert_page(alert_id(raw), alert.time_ns).removesuffix(".md")
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto((site / page_dir / "index.html").as_uri(), wait_until="load")
        heading = page.inner_text("article h1")
        assert heading == visible(raw["rule"])
        output = page.inner_text("article td:text-is('Output') + td code")
        assert output == visible(raw["output"])
    finally:
        context.close()
