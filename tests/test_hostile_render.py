"""Property test: whatever an alert holds, the site shows it literally and nothing else (issue 3).

Hypothesis generates batches of alerts whose every field (rule, output, output_fields keys and
values, tags, hostname, source, uuid, even the input file's name) mixes arbitrary Unicode with
the pieces of Markdown, HTML, YAML and Jinja syntax that could give text meaning. Each batch
goes through the real CLI. Most examples stop at Markdown (``--no-mkdocs``), rendered here with
exactly the Markdown extensions MkDocs uses for ``mkdocs.yml``; a few are built by MkDocs with
the Material theme, which adds the page title, the header and the search index.

The checks, on every generated page:

* structure: only the elements, attributes, classes and link targets the templates write
  (an allow-list), so no element, attribute or URL can have come from the input;
* literal text: each field is found where the page shows it, equal to the input as the site
  displays it (:func:`generator.pages.escape.visible`: control and bidi characters as escapes), and
  the raw JSON parses back to the alert.
"""

from __future__ import annotations

import csv
import functools
import html
import json
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import markdown
import pytest
from bs4 import BeautifulSoup, Tag
from conftest import copy_skeleton, invoke_build
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mkdocs.utils.meta import get_data

from generator import build as build_module
from generator.pages.escape import name_visible, visible
from generator.publish.packaged import default_pages
from generator.read.limits import EARLIEST_TIME_NS
from generator.read.models import FalcoAlert, alert_id, is_absent
from generator.urls import GENERATED, alert_page, name_slug

SITE_NAME = "Falco alert archive"
DISPLAY_LIMIT = 2_000  # render.DISPLAY_LIMIT: longer values are shortened on the page

# ------------------------------------------------------------------------------------------------
# Strategies

#: Syntax that means something to Markdown, its extensions, HTML, YAML front matter, Jinja or a
#: browser; joined with random text they make the adversarial half of every string.
TOKENS = [
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '<iframe srcdoc="<script>alert(1)</script>">',
    "<a href='javascript:alert(1)'>x</a>",
    "[x](javascript:alert(1))",
    "![i](x)",
    "[r]: javascript:alert(1)",
    "[r]",
    "<https://evil.test>",
    "```",
    "~~~",
    "    ",
    "\t",
    "`",
    "``",
    "|",
    "\\|",
    "\\",
    "\\`",
    "---",
    "===",
    "***",
    "___",
    "#",
    "## ",
    "> ",
    "- ",
    "1. ",
    "* ",
    "!!! note",
    "??? x",
    "{: .x onclick=alert(1) }",
    "{#id}",
    "[^1]",
    "[^1]: f",
    "*[HTML]: x",
    '--8<-- "/etc/passwd"',
    ";--8<--",
    "[TOC]",
    "{{ 7*7 }}",
    "{% raw %}",
    "{#",
    "#}",
    "{{",
    "}}",
    "{%",
    "%}",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "&",
    "&amp;",
    "&lt;",
    "&#60;",
    "&#x3C;",
    "&#0;",
    "&unknown;",
    "<",
    ">",
    '"',
    "'",
    "=",
    ":",
    "javascript:",
    "data:text/html,",
    "vbscript:",
    "\n",
    "\r\n",
    "\r",
    "\x00",
    "\x0b",
    "\x0c",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u202e",
    "\u200b",
    "\ufeff",
    "\u2066",
    "\U000e0041",
    "\ufffd",
    "é",
    "ß",
    "😀",
    "\u0301",
    "＜script＞",
    "  \n",
    "title: x",
    "---\ntitle: x\n---",
    "<br>",
    "</code></pre>",
    "</td></tr></table>",
    "</title>",
    "</textarea>",
    "<style>",
    "<base href=//evil.test>",
    "</p>",
    "$",
    "%",
    "@",
    "^",
    "~",
    "+",
    "_",
    "*",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "!",
    "/",
    ".",
    ",",
    "-",
    "?",
    ";",
]

_chars = st.characters(exclude_categories=("Cs",))  # lone surrogates: see test_broken_input
_random = st.text(_chars, max_size=12)
_piece = st.one_of(st.sampled_from(TOKENS), _random)


def hostile(min_size: int = 0, max_pieces: int = 6) -> st.SearchStrategy[str]:
    """Random Unicode and syntax tokens, joined."""
    text = st.lists(_piece, max_size=max_pieces).map("".join)
    return text.filter(lambda s: len(s) >= min_size) if min_size else text


_json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile(),
)
json_value = st.recursive(
    _json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(hostile(max_pieces=2), inner, max_size=3)
    ),
    max_leaves=8,
)
#: Fields the templates show in special places (summary, ancestry, container and cloud tables).
KNOWN_FIELDS = [
    "proc.name",
    "proc.cmdline",
    "proc.pname",
    "proc.pcmdline",
    "proc.aname[2]",
    "user.name",
    "container.id",
    "container.name",
    "container.image.repository",
    "container.image.tag",
    "k8s.ns.name",
    "k8s.pod.name",
    "fd.name",
    "ka.user.name",
    "ka.verb",
    "ka.target.resource",
    "ka.target.namespace",
    "ct.name",
    "ct.user",
    "ct.srcip",
]
#: Real rule names: their playbooks substitute output fields into shell commands.
REAL_RULES = ["Terminal shell in container", "Write below binary dir", "Read sensitive file untrusted"]
PRIORITIES = ["Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"]


@st.composite
def alert_batches(draw: st.DrawFn, max_alerts: int = 6) -> list[dict[str, Any]]:
    """A few alerts sharing a few hostile rule names and hostnames (so group pages list several)."""
    rules = draw(
        st.lists(st.one_of(hostile(min_size=1), st.sampled_from(REAL_RULES)), min_size=1, max_size=3)
    )
    hosts = draw(st.lists(st.one_of(hostile(), st.none()), min_size=1, max_size=3))
    alerts = []
    for _ in range(draw(st.integers(1, max_alerts))):
        fields: dict[str, Any] = draw(st.dictionaries(hostile(max_pieces=3), json_value, max_size=4))
        for key in draw(st.lists(st.sampled_from(KNOWN_FIELDS), max_size=6, unique=True)):
            fields[key] = draw(st.one_of(hostile(), json_value))
        alert: dict[str, Any] = {
            "time": draw(
                st.builds(
                    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{}Z".format,
                    st.integers(2016, 2025),
                    st.integers(1, 12),
                    st.integers(1, 28),
                    st.integers(0, 23),
                    st.integers(0, 59),
                    st.integers(0, 59),
                    st.integers(0, 999_999_999).map(str),
                )
            ),
            "rule": draw(st.sampled_from(rules)),
            "priority": draw(st.sampled_from(PRIORITIES)),
            "output": draw(st.one_of(hostile(), st.text(_chars, min_size=DISPLAY_LIMIT + 1, max_size=2100))),
            "output_fields": fields,
            "tags": draw(
                st.lists(
                    st.one_of(hostile(max_pieces=3), st.sampled_from(["T1059", "T1059.004"])), max_size=4
                )
            ),
            "source": draw(st.one_of(st.sampled_from(["syscall", "k8s_audit", "aws_cloudtrail"]), hostile())),
        }
        host = draw(st.sampled_from(hosts))
        if host is not None:
            alert["hostname"] = host
        uuid = draw(st.one_of(st.none(), hostile(max_pieces=3), st.uuids().map(str)))
        if uuid is not None:
            alert["uuid"] = uuid
        alerts.append(alert)
    # A record the model refuses: its reason quotes the hostile value in the build report.
    if draw(st.booleans()):
        alerts.append({**alerts[0], "priority": draw(hostile(min_size=1)), "uuid": draw(hostile())})
    return alerts


#: A file name from hostile text: no "/" or NUL (the OS forbids them), not hidden, <= 255 bytes.
file_names = hostile(max_pieces=4).map(
    lambda s: (
        (s.replace("/", "_").replace("\x00", "_").lstrip(".").encode()[:200].decode("utf-8", "ignore") or "x")
        + ".jsonl"
    )
)


# ------------------------------------------------------------------------------------------------
# What a page may contain

#: Every element the templates (and the inline SVG charts) write. A new kind of element in a
#: generated page fails this test until it is reviewed for what alert text could reach through it.
ALLOWED_TAGS = frozenset(
    [
        "h1",
        "h2",
        "h3",
        "h4",
        "p",
        "a",
        "code",
        "pre",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "span",
        "strong",
        "em",
        "ul",
        "ol",
        "li",
        "details",
        "summary",
        "small",
        "div",
        "hr",
        "br",
        "button",
        "figure",
        "figcaption",
        "svg",
        "g",
        "path",
        "rect",
        "text",
        "tspan",
        "defs",
        "use",
        "clippath",
        "title",
        "desc",
        "style",
        "line",
        "circle",
        "polyline",
        "polygon",
    ]
)
SVG_TAGS = frozenset(
    [
        "svg",
        "g",
        "path",
        "rect",
        "text",
        "tspan",
        "defs",
        "use",
        "clippath",
        "title",
        "desc",
        "style",
        "line",
        "circle",
        "polyline",
        "polygon",
    ]
)
CLASS = re.compile(
    r"fa-[a-z0-9-]+|language-[a-z0-9_+-]+|admonition(-title)?|note|tip|info|warning|danger|md-button"
)
#: Relative links between generated pages (slugs, alert IDs, page-N), in Markdown or HTML form,
#: or https links from our own data (ATT&CK, playbook references).
SAFE_HREF = re.compile(
    r"(\./|(\.\./)+)?([A-Za-z0-9._-]+/)*[A-Za-z0-9._-]*(#[a-z0-9_-]*)?"
    r"|https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~/%?=&#:+,@-]*)?"
)
#: Inline CSS (table alignment, chart colours and fonts): no URLs but local fragment references,
#: no at-rules, no expressions.
SAFE_CSS = re.compile(r"(?:[A-Za-z0-9 :;#.,%'\"_*{}>-]|\(|\)|\n)*")
_NUMBERS = re.compile(r"[-0-9a-zA-Z .,()]*")
_IDENT = re.compile(r"[A-Za-z0-9_.-]*")


def _json_attr(value: str) -> bool:
    json.loads(value)
    return True


def _css(value: str) -> bool:
    lowered = value.lower()
    if "@" in lowered or "expression" in lowered or "javascript" in lowered or "\\" in lowered:
        return False
    if re.search(r"url\((?!#[A-Za-z0-9_-]+\))", lowered):
        return False
    return SAFE_CSS.fullmatch(value) is not None


#: attribute -> check of its value (``str`` for lists such as class are checked per item).
ATTRIBUTES: dict[str, Any] = {
    "href": SAFE_HREF.fullmatch,
    # A chart's own fragments, or a bar's link to the listing it counts (issue 13): a page of
    # the site or the search page with percent-encoded filters, never a scheme or host.
    "xlink:href": re.compile(
        r"#[A-Za-z0-9_-]+|(\.\./)*([A-Za-z0-9._-]+/)+(\?[A-Za-z0-9._~%&=-]*)?"
    ).fullmatch,
    # A linked bar's name (a rule name, a priority, a day and a count): an attribute value is
    # never markup, and the visible text of the same name is checked where the chart shows it.
    "aria-label": lambda v: True,
    # An alert page's repeat group, read at view time ("2 of 5 similar alerts").
    "data-similar": re.compile(r"(\.\./)+groups/[0-9a-f]{16}/similar\.json").fullmatch,
    "data-group": re.compile(r"(\.\./)+groups/[0-9a-f]{16}/").fullmatch,
    "class": CLASS.fullmatch,
    "id": _IDENT.fullmatch,
    "style": _css,
    "hidden": "".__eq__,
    "open": "".__eq__,
    "title": lambda v: re.fullmatch(r"[A-Za-z ]*", v) is not None,  # our own button labels
    "data-pagefind-body": "".__eq__,
    "data-pagefind-ignore": "".__eq__,
    "data-pagefind-meta": re.compile(r"[a-z_]+").fullmatch,
    "data-pagefind-filter": re.compile(r"[a-z_]+").fullmatch,
    "data-pagefind-sort": re.compile(r"[a-z_]+").fullmatch,
    "data-clipboard-target": re.compile(r"[#.a-z0-9 _-]+").fullmatch,
    # Text a button copies (a ticket snippet): free text, checked against the Markdown source.
    "data-clipboard-text": lambda v: True,
    # Chart data for the page's script: alert text may be inside, as a JSON value, never markup.
    "data-chart": _IDENT.fullmatch,
    "data-counts": _json_attr,
    "data-daily": _json_attr,
    "data-total": re.compile(r"[0-9]+").fullmatch,
    # SVG geometry and presentation, written by matplotlib: numbers and keywords only.
    **dict.fromkeys(
        [
            "d",
            "x",
            "y",
            "x1",
            "y1",
            "x2",
            "y2",
            "cx",
            "cy",
            "r",
            "width",
            "height",
            "viewbox",
            "transform",
            "points",
            "version",
            "role",
            "font-size",
        ],
        _NUMBERS.fullmatch,
    ),
    "clip-path": re.compile(r"url\(#[A-Za-z0-9_-]+\)").fullmatch,
    "aria-labelledby": re.compile(r"[A-Za-z0-9_ -]+").fullmatch,
    "xmlns": {"http://www.w3.org/2000/svg"}.__contains__,
    "xmlns:xlink": {"http://www.w3.org/1999/xlink"}.__contains__,
}


def check_structure(root: Tag, where: str) -> None:
    """Every element, attribute, class, style and link target under ``root`` is one we write."""
    for el in root.find_all(True):
        assert el.name in ALLOWED_TAGS, f"{where}: unexpected <{el.name}> element: {str(el)[:200]}"
        if el.name in SVG_TAGS and el.name != "svg":
            assert el.find_parent("svg") is not None, f"{where}: <{el.name}> outside an SVG chart"
        if el.name == "style":
            assert _css(el.get_text()), f"{where}: unexpected CSS {el.get_text()[:200]!r}"
        for attr, value in el.attrs.items():
            check = ATTRIBUTES.get(attr)
            assert check is not None, f"{where}: unexpected attribute {attr}={value!r} on <{el.name}>"
            for item in value if isinstance(value, list) else [value]:
                assert check(item), f"{where}: <{el.name} {attr}={item!r}>"


# ------------------------------------------------------------------------------------------------
# What a page must show


def norm(text: str) -> str:
    """Whitespace as a browser shows it: runs collapsed, ends trimmed."""
    return " ".join(text.split())


def shown(value: Any, limit: int = DISPLAY_LIMIT) -> str:
    """How a field value reads on a page: JSON for non-strings (keys in the order typed),
    shortened, escapes visible."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return norm(visible(text[:limit]))


def text_of(el: Tag | None) -> str:
    assert el is not None
    return norm(el.get_text())


def section(root: Tag, heading: str, names: Iterable[str] = ("h2", "h3")) -> Tag | None:
    """The first element after the heading whose text is ``heading`` (not nested inside it)."""
    for h in root.find_all(list(names)):
        if norm(h.get_text()) == heading:
            return h.find_next_sibling()
    return None


def table_rows(table: Tag | None) -> list[list[Tag]]:
    assert table is not None and table.name == "table", table
    return [tr.find_all("td") for tr in table.find_all("tr") if tr.find("td")]


def shortened_raw(value: Any) -> Any:
    """render._shorten_raw's contract: long strings cut, with a note, anywhere in the alert."""
    if isinstance(value, str) and len(value) > DISPLAY_LIMIT:
        return value[:DISPLAY_LIMIT] + f"… [shortened from {len(value):,} characters]"
    if isinstance(value, dict):
        return {k: shortened_raw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shortened_raw(v) for v in value]
    return value


def check_alert_page(root: Tag, alert: FalcoAlert, raw: dict[str, Any], where: str) -> None:
    """Every field of ``alert`` is shown literally where the alert page shows it."""
    # Host names and tags show look-alike characters as escapes (issue 12.9): name_visible.
    rule, host = norm(visible(alert.rule)), norm(name_visible(alert.host))
    assert text_of(root.find("h1")) == rule, where

    facts = {text_of(row[0]): row[1] for row in table_rows(section(root, "Event details")) if len(row) == 2}
    assert text_of(facts["Rule"]) == rule and facts["Rule"].find("a") is not None, where
    assert text_of(facts["Host"]) == host, where
    assert text_of(facts["Source"]) == norm(visible(alert.source)), where
    output = facts["Output"].find("code")
    assert text_of(output) == shown(alert.output), where
    assert output.find(True) is None, f"{where}: markup inside the output's <code>"
    if alert.uuid is not None:
        assert text_of(facts["UUID"]) == shown(alert.uuid), where

    if alert.output_fields:
        rows = table_rows(section(root, "Output fields", ["h3"]))
        got = sorted((text_of(k), text_of(v)) for k, v in rows)
        want = sorted(
            (shown(key), "absent" if is_absent(value) else shown(value))
            for key, value in alert.output_fields.items()
        )
        assert got == want, where
        for key_cell, value_cell in rows:
            for cell in (key_cell, value_cell):
                assert all(c.name in {"code", "em"} for c in cell.find_all(True)), f"{where}: {cell}"

    if alert.tags:
        tags_block = section(root, "Tags")
        assert tags_block is not None, where
        assert [text_of(t) for t in tags_block.select(".fa-tag")] == [
            norm(name_visible(t)) for t in alert.tags
        ], where

    raw_block = root.select_one("pre.fa-json code")
    assert raw_block is not None and raw_block.find(True) is None, where
    assert json.loads(raw_block.get_text()) == shortened_raw(raw), f"{where}: raw JSON differs"

    related = section(root, "Related")
    assert related is not None, where
    links = [text_of(a) for a in related.find_all("a")]
    assert links[:2] == [rule, host], where


def check_front_matter_title(meta: dict[str, Any], expected: str, where: str) -> None:
    """The title is HTML-escaped for Material (which prints it unescaped): unescaped once it
    must equal the visible text, and it must contain no markup at all."""
    title = meta.get("title")
    assert isinstance(title, str), f"{where}: front matter {meta!r}"
    assert html.unescape(title) == visible(expected), where
    assert "<" not in title and ">" not in title, where


# ------------------------------------------------------------------------------------------------
# Building and rendering


@functools.cache
def markdown_setup() -> tuple[list[Any], dict[str, Any]]:
    """The Markdown extensions MkDocs itself would load for the project's mkdocs.yml."""
    from mkdocs.config import load_config

    from generator.publish.packaged import DEFAULT_DOCS, DEFAULT_MKDOCS

    # docs_dir: the packaged configuration's own (site_src) is relative to the installed package.
    cfg = load_config(str(DEFAULT_MKDOCS), docs_dir=str(DEFAULT_DOCS))
    return list(cfg["markdown_extensions"]), dict(cfg["mdx_configs"])


def render_markdown(text: str) -> tuple[BeautifulSoup, dict[str, Any]]:
    body, meta = get_data(text)
    extensions, configs = markdown_setup()
    converted = markdown.Markdown(extensions=extensions, extension_configs=configs).convert(body)
    return BeautifulSoup(converted, "html.parser"), meta


@pytest.fixture(scope="module", autouse=True)
def _guidance_loaded_once() -> Iterator[None]:
    """Playbooks and rule files are the same for every example: parse them once, not per build."""
    original = build_module.GuidanceProvider.load
    cache: dict[Any, Any] = {}

    def load(rules: Any, playbooks_dir: Any) -> Any:
        key = (tuple(map(str, rules)), str(playbooks_dir))
        if key not in cache:
            cache[key] = original(rules, playbooks_dir)
        return cache[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build_module.GuidanceProvider, "load", staticmethod(load))
        yield


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project files every example copies; fails fast when a plain build is already broken
    (Hypothesis would otherwise spend minutes shrinking an example the input has no part in)."""
    root = tmp_path_factory.mktemp("skeleton")
    copy_skeleton(root)
    plain = {"time": "2025-01-01T00:00:00Z", "rule": "r", "priority": "Notice", "hostname": "h"}
    shutil.rmtree(build_batch(root, [plain], "plain.jsonl", mkdocs=False))
    return root


def build_batch(skeleton: Path, alerts: list[dict[str, Any]], file_name: str, mkdocs: bool) -> Path:
    """A fresh project from ``skeleton`` with ``alerts`` in one file, built by the real CLI."""
    root = Path(tempfile.mkdtemp(dir=skeleton.parent))
    shutil.copytree(skeleton, root, dirs_exist_ok=True)
    (root / "alerts").mkdir()
    (root / "alerts" / file_name).write_text("".join(json.dumps(a) + "\n" for a in alerts), "utf-8")
    args = [
        str(root / "alerts"),
        "--docs-dir",
        str(root / "site_src"),
        "--site-dir",
        str(root / "site"),
        "--state-dir",
        str(root / "state"),
        "--mkdocs-config",
        str(root / "mkdocs.yml"),
        "--no-redaction",
        "-q",
    ]
    if not mkdocs:
        args.append("--no-mkdocs")
    invoke_build(args)
    return root


def expected_alerts(alerts: list[dict[str, Any]]) -> tuple[dict[str, tuple[FalcoAlert, dict[str, Any]]], int]:
    """Alerts the build must publish (first of each ID), and how many records it must refuse."""
    published: dict[str, tuple[FalcoAlert, dict[str, Any]]] = {}
    refused = 0
    for raw in alerts:
        try:
            model = FalcoAlert.model_validate(raw)
        except ValueError:
            refused += 1
            continue
        if not EARLIEST_TIME_NS <= model.time_ns <= time.time_ns():  # time sanity (issue 12.5)
            refused += 1
            continue
        published.setdefault(alert_id(raw), (model, raw))
    return published, refused


GENERATED_ROOTS = {g.removesuffix(".md") for g in GENERATED if not g.endswith(".json")}
HAND_WRITTEN = {rel.removesuffix(".md") for rel in default_pages()}


def generated(rel: str) -> bool:
    """Pages the build writes, in docs or site form (hand-written ones hold no alert text)."""
    if rel.removesuffix("index.html").removesuffix("/").removesuffix(".md") in HAND_WRITTEN:
        return False  # e.g. search.md (site: search/index.html) beside the generated search/ data
    return rel.split("/", 1)[0].removesuffix(".md").removesuffix(".html") in GENERATED_ROOTS


def check_markdown_site(root: Path, alerts: list[dict[str, Any]]) -> None:
    """Render every generated page to HTML and check structure and literal text."""
    docs = root / "site_src"
    published, refused = expected_alerts(alerts)
    report = json.loads((docs / "build-report.json").read_text("utf-8"))
    assert report["published"] == len(published) and report["quarantined"] == refused, report["problems"]

    pages: dict[str, tuple[BeautifulSoup, dict[str, Any]]] = {}
    for path in sorted(docs.rglob("*.md")):
        rel = path.relative_to(docs).as_posix()
        if not generated(rel):
            continue
        pages[rel] = render_markdown(path.read_text("utf-8"))
        check_structure(pages[rel][0], rel)

    for aid, (alert, raw) in published.items():
        page = alert_page(aid, alert.time_ns)
        soup, meta = pages[page]
        check_alert_page(soup, alert, raw, page)
        source = BeautifulSoup(get_data((docs / page).read_text("utf-8"))[0], "html.parser")
        copied = [b["data-clipboard-text"] for b in soup.select("[data-clipboard-text]")]
        written = [b["data-clipboard-text"] for b in source.select("[data-clipboard-text]")]
        assert copied == written, f"{page}: Markdown changed the text a copy button copies"
        check_front_matter_title(meta, f"{alert.rule} on {name_visible(alert.host)}", page)
        download = json.loads((docs / page).with_suffix(".json").read_text("utf-8"))
        assert download == raw, f"{page}: the raw JSON download differs from the alert"

    models = [m for m, _ in published.values()]
    for kind, attr, other in (("rules", "rule", "host"), ("hosts", "host", "rule")):
        # Host names show look-alike characters as escapes everywhere (issue 12.9).
        seen_as = {"host": name_visible, "rule": visible}
        names = {getattr(m, attr) for m in models}
        listed = {text_of(a) for a in pages[f"{kind}/index.md"][0].select("td a")}
        assert listed == {norm(seen_as[attr](n)) for n in names}, f"{kind}/index.md"
        for name in names:
            page = f"{kind}/{name_slug(name)}/index.md"
            soup, meta = pages[page]
            assert text_of(soup.find("h1")) == norm(seen_as[attr](name)), page
            check_front_matter_title(meta, f"{kind[:-1].title()}: {seen_as[attr](name)}", page)
            shown_others = {text_of(td) for row in table_rows(section(soup, "Latest alerts")) for td in row}
            for m in models:
                if getattr(m, attr) == name:
                    assert norm(seen_as[other](getattr(m, other))) in shown_others, f"{page}: {other} missing"

    dashboard = pages["index.md"][0]
    top_rules = section(dashboard, "Top rules")
    assert {text_of(a) for a in top_rules.select("td a")} == {norm(visible(m.rule)) for m in models}

    report_page = pages["build-report.md"][0]
    rows = (
        {tuple(text_of(td) for td in row) for row in table_rows(section(report_page, "Quarantined records"))}
        if refused
        else set()
    )
    for problem in report["problems"]:
        assert (
            norm(visible(problem["file"])),
            str(problem["line"]),
            norm(visible(problem["reason"])),
        ) in rows


# ------------------------------------------------------------------------------------------------
# The properties

COMMON = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
    derandomize=False,
)


@settings(COMMON, max_examples=20)
@given(alerts=alert_batches(), file_name=file_names)
def test_markdown_shows_hostile_fields_literally(
    skeleton: Path, alerts: list[dict[str, Any]], file_name: str
) -> None:
    root = build_batch(skeleton, alerts, file_name, mkdocs=False)
    try:
        check_markdown_site(root, alerts)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_material_page(soup: BeautifulSoup, where: str, title: str | None) -> Tag:
    """Material's page around our content: nothing from the input outside plain text."""
    for el in soup.find_all(True):
        for attr, value in el.attrs.items():
            assert not attr.lower().startswith("on"), f"{where}: event handler {attr} on <{el.name}>"
            if attr in {"href", "src", "action", "formaction", "srcdoc", "data", "poster"}:
                assert not re.match(r"\s*(javascript|data|vbscript):", str(value), re.I), (
                    f"{where}: {attr}={value!r}"
                )
        assert el.name not in {"iframe", "object", "embed", "frame", "base", "img"}, f"{where}: <{el.name}>"
    for script in soup.find_all("script"):
        src = script.get("src")
        if src is not None:
            assert re.fullmatch(r"(\.\./)*(assets|javascripts|pagefind)/[A-Za-z0-9._/-]+\.js", src), src
        elif script.get("id") == "__config":
            json.loads(script.get_text())
        else:
            assert re.match(
                r"\s*(__md_scope|var palette|var target|document\.|window\.)", script.get_text()
            ), f"{where}: unexpected inline script {script.get_text()[:200]!r}"
    if title is not None:
        assert norm(soup.title.get_text()) == norm(f"{visible(title)} - {SITE_NAME}"), f"{where}: <title>"
        topic = soup.select_one('[data-md-component="header-topic"]')
        assert topic is not None and text_of(topic) == norm(visible(title)), f"{where}: header title"
    article = soup.select_one("article")
    assert article is not None, where
    return article


@settings(COMMON, max_examples=4)
@given(alerts=alert_batches(max_alerts=4))
def test_material_site_shows_hostile_fields_literally(skeleton: Path, alerts: list[dict[str, Any]]) -> None:
    """The same, built by MkDocs + Material: titles, header, search index and every HTML page."""
    root = build_batch(skeleton, alerts, "alerts.jsonl", mkdocs=True)
    try:
        site = root / "site"
        published, _ = expected_alerts(alerts)
        titles = {
            alert_page(aid, m.time_ns).removesuffix(".md")
            + "/index.html": f"{m.rule} on {name_visible(m.host)}"
            for aid, (m, _) in published.items()
        }
        checked = set()
        for page in sorted(site.rglob("*.html")):
            rel = page.relative_to(site).as_posix()
            if not generated(rel):
                continue
            soup = BeautifulSoup(page.read_text("utf-8"), "html.parser")
            article = check_material_page(soup, rel, titles.get(rel))
            checked.add(rel)
            for hidden in article.select("[data-md-component], .md-source-file, .md-content__button"):
                hidden.decompose()
            check_structure(article, rel)
        assert titles.keys() <= checked and "index.html" in checked and "build-report/index.html" in checked
        for aid, (model, raw) in published.items():
            rel = alert_page(aid, model.time_ns).removesuffix(".md")
            soup = BeautifulSoup((site / rel / "index.html").read_text("utf-8"), "html.parser")
            check_alert_page(soup.select_one("article"), model, raw, rel)
            assert json.loads((site / rel).with_suffix(".json").read_text("utf-8")) == raw
        check_search_index(site, published)
        check_feed_and_exports(site)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_search_index(site: Path, published: dict[str, tuple[FalcoAlert, dict[str, Any]]]) -> None:
    """MkDocs' search index (when the build has one): its HTML strings carry no element with
    attributes, and an alert page's entry is titled with the rule, literally."""
    index = site / "search" / "search_index.json"
    if not index.exists():
        return
    docs = json.loads(index.read_text("utf-8"))["docs"]
    for doc in docs:
        for key in ("title", "text"):
            for el in BeautifulSoup(doc.get(key, ""), "html.parser").find_all(True):
                assert not el.attrs, f"search index {doc['location']}: <{el.name} {el.attrs}>"
                assert el.name in ALLOWED_TAGS - SVG_TAGS | {"b", "i", "mark"}, f"search index: <{el.name}>"
    titles = {doc["location"]: doc["title"] for doc in docs}
    for aid, (model, _) in published.items():
        loc = alert_page(aid, model.time_ns).removesuffix(".md") + "/"
        if loc in titles:
            assert norm(html.unescape(titles[loc])) == norm(visible(model.rule)), loc


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def check_feed_and_exports(site: Path) -> None:
    """Where the build writes them: the Atom feed parses as XML and its HTML content is inert
    markup of ours; no CSV cell starts like a spreadsheet formula (``=HYPERLINK(...)``)."""
    feed = site / "feed.xml"
    if feed.exists():
        ns = {"a": "http://www.w3.org/2005/Atom"}
        root = ElementTree.parse(feed).getroot()
        for content in root.iterfind("a:entry/a:content", ns):
            fragment = BeautifulSoup(content.text or "", "html.parser")
            for el in fragment.find_all(True):
                assert el.name in {"table", "tr", "th", "td", "code", "p", "a", "em", "strong", "br"}, el
                assert set(el.attrs) <= {"href"}, el
                if "href" in el.attrs:
                    assert SAFE_HREF.fullmatch(el["href"]) or el["href"].startswith("/"), el
    for export in site.rglob("*.csv"):
        with export.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            for column, cell in row.items():
                if column in {"time_ns", "priority_value"}:
                    continue
                assert not cell.startswith(FORMULA_START), f"{export.name}: {column}={cell[:60]!r}"


def test_literal_check_catches_injected_markup(skeleton: Path) -> None:
    """The checks above can fail: Markdown written by hand with raw alert text trips them."""
    soup, _ = render_markdown("# <img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n")
    with pytest.raises(AssertionError):
        check_structure(soup, "hand-written")
    soup, _ = render_markdown("# a *b*\n")
    assert text_of(soup.find("h1")) != norm(visible("a *b*"))
