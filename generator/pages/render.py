"""Markdown pages from alerts and aggregates, through one strict Jinja environment.

The environment escapes by default: its ``finalize`` hook passes every ``{{ value }}`` through
:func:`escape.md` unless the value is :class:`~markupsafe.Markup` built by our own filters, so a
template cannot forget to escape attacker-controlled text. Templates never see a raw string
they could accidentally treat as Markdown.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from generator.archive.ingest import group_of
from generator.pages import escape, snippets
from generator.pages.escape import Markup
from generator.patterns import HTTPS_URL
from generator.read.models import FalcoAlert, Priority, format_time_ns, is_absent
from generator.urls import (
    file_link,
    group_page,
    group_similar,
    host_page,
    page_url,
    permanent_url,
    priority_page,
    rule_page,
    url_link,
)

#: Field values longer than this are shortened on the page (the .json download has them whole).
DISPLAY_LIMIT = 2_000
PAGE_SIZE = 100
_SAFE_LINK = re.compile(r"(https://attack\.mitre\.org/)?[A-Za-z0-9._/#-]*")
_TECHNIQUE = re.compile(r"(T\d{4})(?:\.(\d{3}))?(?![0-9])")


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return escape.md(value)


def ext_link(url: str) -> Markup:
    """An https link from our own data (playbook references): never a ``javascript:`` URL."""
    if not HTTPS_URL.fullmatch(url):
        raise ValueError(f"refusing unsafe external link {url!r}")
    return Markup(html.escape(url, quote=True))


def trusted(text: str) -> Markup:
    """Text we (or the user's own playbooks) wrote: Markdown, shown as authored."""
    return Markup(text)


def link(target: str) -> Markup:
    """A link target we generated (relative path); anything else is a bug, not a URL."""
    if not _SAFE_LINK.fullmatch(target):
        raise ValueError(f"refusing unsafe link target {target!r}")
    return Markup(target)


def _code_in(escaper: Callable[[str], str], value: Any, limit: int) -> str:
    """An alert value as ``<code>``; huge values shortened with a note (the .json has them whole)."""
    text = value if type(value) is str else json.dumps(value, ensure_ascii=False)
    if len(text) <= limit:
        return f"<code>{escaper(text)}</code>"
    note = f" <em>(shortened: {len(text):,} characters; the full value is in the raw JSON)</em>"
    return f"<code>{escaper(text[:limit])}</code>{note}"


def _code(value: Any, limit: int = DISPLAY_LIMIT) -> Markup:
    """Inline code in Markdown text (the ``code`` filter of the templates)."""
    return Markup(_code_in(escape.md_str, value, limit))


def _code_html(value: Any, limit: int = DISPLAY_LIMIT) -> str:
    """Inline code inside a raw HTML block."""
    return _code_in(escape.html_text, value, limit)


def html_table(rows: Iterable[tuple[str, str]], head: tuple[str, str] | None = None, css: str = "") -> Markup:
    """A two-column table as one raw HTML block: Python-Markdown passes it through untouched
    (measured: about 20 times cheaper for MkDocs than the same table in Markdown syntax, whose
    entity-encoded cells cost it tens of milliseconds a page). Cells must be HTML already."""
    cls = f' class="{css}"' if css else ""
    parts = [f"<table{cls}>"]
    if head is not None:
        parts.append(f"<thead><tr><th>{head[0]}</th><th>{head[1]}</th></tr></thead>")
    parts.append("<tbody>")
    parts += [f"<tr><td>{label}</td><td>{value}</td></tr>" for label, value in rows]
    parts.append("</tbody></table>")
    return Markup("\n".join(parts))


def _field_rows(fields: Mapping[str, Any]) -> Markup:
    """The output-fields table (the hottest loop of a build), as raw HTML."""
    return html_table(
        (
            (
                f"<code>{escape.html_text(key)}</code>",
                "<em>absent</em>" if is_absent(value) else _code_html(value),
            )
            for key, value in fields.items()
        ),
        head=("Field", "Value"),
    )


def _facts_table(facts: Iterable[Fact], page: str) -> Markup:
    """Label/value rows as raw HTML; links point at final URLs (MkDocs does not rewrite raw HTML)."""
    return html_table(
        (f.label, f'<a href="{url_link(page, f.href)}">{f.value}</a>' if f.href else str(f.value))
        for f in facts
    )


def _time(ns: int) -> str:
    return format_time_ns(int(ns))


def _short_time(ns: int) -> str:
    return datetime.fromtimestamp(int(ns) // 1_000_000_000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _badge(priority: int | Priority) -> Markup:
    p = Priority(int(priority))
    return Markup(f'<span class="fa-badge fa-p-{p.slug}">{p.label}</span>')


def _number(value: int) -> str:
    return f"{int(value):,}"


def _plural(count: int, word: str) -> str:
    """``word`` for one, ``word + "s"`` otherwise: "1 alert", "2 alerts" (our own nouns only)."""
    return word if int(count) == 1 else word + "s"


def build_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("generator.pages"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # autoescape=True makes macro output and filter results Markup; ``finalize`` turns every
        # other value into Markup first, escaped for Markdown (HTML escaping alone is not enough).
        autoescape=True,
        finalize=_finalize,
    )
    env.filters.update(
        code=_code,
        md=escape.md,
        link=link,
        time=_time,
        short_time=_short_time,
        badge=_badge,
        number=_number,
        plural=_plural,
        front=escape.front_matter_str,
        pre=escape.pre,
        raw_block=escape.raw_block,
        h=lambda value: Markup(escape.html_text(value)),
        name=escape.name_visible,
        # plain-text join (Jinja's own ``join`` HTML-escapes in autoescape mode)
        joined=lambda items, sep="": sep.join(str(i) for i in items),
        attr=escape.attribute,
        ext_link=ext_link,
        trusted=trusted,
        what_header=what_header,
    )
    return env


#: A listing's "what happened" column, named for the kinds of alert it lists (see :class:`Row`).
_WHAT_HEADERS = {
    frozenset({"process"}): "Process / command",
    frozenset({"request"}): "Request (verb resource/object)",
    frozenset({"action"}): "Action",
    frozenset({"actor"}): "User",
}


def what_header(items: Iterable[Any]) -> str:
    """The column's name: exact when every row is of one kind, else every kind present (rows
    that show only a user do not rename a column of commands, requests or actions)."""
    present = {getattr(i, "what_kind", None) or i["what_kind"] for i in items}
    kinds = frozenset(present - {"actor"} if present - {"actor"} else present or {"process"})
    if kinds in _WHAT_HEADERS:
        return _WHAT_HEADERS[kinds]
    names = {"process": "process / command", "request": "request", "action": "action"}
    return ", ".join(names[k] for k in ("process", "request", "action") if k in kinds).capitalize()


# ---------------------------------------------------------------------------------------------
# Alert pages


@dataclass(frozen=True)
class Fact:
    """One labelled value of the alert, shown in a table."""

    label: str
    value: Any
    href: str | None = None


@dataclass(frozen=True)
class AlertView:
    """Everything an alert page shows, prepared in Python so the template stays declarative."""

    id: str
    page: str
    alert: FalcoAlert
    summary: Markup
    facts: list[Fact]
    fields: list[tuple[str, Any]]
    field_rows: Markup
    facts_table: Markup
    container_table: Markup
    context_table: Markup
    ancestry: list[tuple[str, str | None]]
    container: list[Fact]
    source_context: list[Fact]
    source_context_title: str
    tags: list[tuple[str, str | None]]
    raw_json: Markup
    raw_shortened: bool
    download: str
    prev_page: str | None
    next_page: str | None
    guidance: Any = None
    snippet: tuple[str, str] | None = None
    links: dict[str, str] = field(default_factory=dict)
    #: The alert's repeat group: ``(its similar.json, its page)``, relative to this page. The
    #: page script shows "N of M similar alerts" when the group has more than one alert: read
    #: at view time, so a growing group never re-renders its members' pages.
    similar: tuple[str, str] = ("", "")


_K8S_AUDIT_FIELDS = [
    ("User", "ka.user.name"),
    ("Groups", "ka.user.groups"),
    ("Verb", "ka.verb"),
    ("Resource", "ka.target.resource"),
    ("Subresource", "ka.target.subresource"),
    ("Namespace", "ka.target.namespace"),
    ("Name", "ka.target.name"),
    ("Role bound", "ka.req.binding.role"),
    ("Subjects", "ka.req.binding.subjects"),
    ("Request URI", "ka.uri"),
    ("Decision", "ka.auth.decision"),
    ("Decision reason", "ka.auth.reason"),
    ("Response code", "ka.response.code"),
    ("Source IPs", "ka.sourceips"),
    ("User agent", "ka.useragent"),
]
_CLOUD_FIELDS = {
    "aws_cloudtrail": [
        ("Actor", "ct.user"),
        ("Account", "ct.user.accountid"),
        ("Identity type", "ct.user.identitytype"),
        ("Event", "ct.name"),
        ("Event source", "ct.src"),
        ("Region", "ct.region"),
        ("Source IP", "ct.srcip"),
        ("User agent", "ct.useragent"),
        ("Error", "ct.error"),
    ],
    "gcp_auditlog": [
        ("Actor", "gcp.user"),
        ("Project", "gcp.projectId"),
        ("Method", "gcp.methodName"),
        ("Service", "gcp.serviceName"),
        ("Region", "gcp.location"),
        ("Source IP", "gcp.callerIP"),
        ("User agent", "gcp.userAgent"),
    ],
    "okta": [
        ("Actor", "okta.actor.name"),
        ("Event", "okta.evt.type"),
        ("Source IP", "okta.client.ip"),
        ("Region", "okta.client.geo.country"),
        ("User agent", "okta.client.useragent"),
    ],
    "github": [
        ("Actor", "github.user"),
        ("Event", "github.type"),
        ("Repository", "github.repo"),
        ("Action", "github.action"),
    ],
}
_CONTAINER_FIELDS = [
    ("Container ID", "container.id"),
    ("Container name", "container.name"),
    ("Image", "container.image.repository"),
    ("Image tag", "container.image.tag"),
    ("Image digest", "container.image.digest"),
    ("Privileged", "container.privileged"),
    ("Kubernetes namespace", "k8s.ns.name"),
    ("Kubernetes pod", "k8s.pod.name"),
    ("Pod labels", "k8s.pod.labels"),
]


def _value(fields: Mapping[str, Any], key: str) -> Any:
    value = fields.get(key)
    if key == "ka.req.binding.subjects" and not is_absent(value):
        return subjects_text(value)
    return None if is_absent(value) else value


def subjects_text(value: Any) -> Any:
    """RBAC binding subjects as people read them (``User mallory@x, Group dev``); Falco gives
    them as a JSON list in a string. Anything else is returned as it came."""
    items = value
    if isinstance(value, str):
        try:
            items = json.loads(value)
        except ValueError:
            return value
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return value
    parts = []
    for item in items:
        name = f"{item.get('kind', '?')} {item.get('name', '?')}"
        parts.append(f"{name} (namespace {item['namespace']})" if item.get("namespace") else name)
    return ", ".join(parts) if parts else value


def _ancestry(fields: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """(name, cmdline) from the oldest known ancestor down to the process itself."""
    chain: list[tuple[str, str | None]] = []
    me = _value(fields, "proc.name")
    if me is not None or _value(fields, "proc.cmdline") is not None:
        chain.append((str(me or "?"), _str_or_none(_value(fields, "proc.cmdline"))))
    parent = _value(fields, "proc.pname")
    if parent is not None or _value(fields, "proc.pcmdline") is not None:
        chain.append((str(parent or "?"), _str_or_none(_value(fields, "proc.pcmdline"))))
    for level in range(2, 10):
        name = _value(fields, f"proc.aname[{level}]")
        if name is None:
            continue
        chain.append((str(name), None))
    return list(reversed(chain))


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _tag_links(tags: Iterable[str]) -> list[tuple[str, str | None]]:
    """Tags with an attack.mitre.org link for technique IDs (``T1059``, ``T1059.004``)."""
    from generator.knowledge import mitre

    out: list[tuple[str, str | None]] = []
    for tag in tags:
        url = None
        found = mitre.techniques_from_tags([tag]) or mitre.tactics_from_tags([tag])
        if found:
            url = found[0].url
        else:
            m = _TECHNIQUE.match(tag)
            if m:
                url = f"https://attack.mitre.org/techniques/{m.group(1)}/" + (
                    f"{m.group(2)}/" if m.group(2) else ""
                )
        out.append((escape.name_visible(tag), url))  # a control character or look-alike shows
    return out


def _summary(alert: FalcoAlert) -> Markup:
    """One sentence: what, where, when, who."""
    f = alert.output_fields
    md = escape.md
    parts = [
        Markup("<strong>") + md(alert.rule) + Markup("</strong> (") + md(alert.priority.label) + Markup(")")
    ]
    parts.append(Markup(" fired on host ") + escape.code(escape.name_visible(alert.host)))
    parts.append(Markup(" at ") + md(alert.time_iso))
    proc, cmd = _value(f, "proc.name"), _value(f, "proc.cmdline")
    if cmd is not None or proc is not None:
        parts.append(Markup(": process ") + escape.code(escape.truncate(str(cmd or proc), 300)[0]))
    user = (
        _value(f, "user.name") or _value(f, "ka.user.name") or _value(f, "ct.user") or _value(f, "gcp.user")
    )
    if user is not None:
        parts.append(Markup(" by user ") + escape.code(user))
    container = _value(f, "container.name") or _value(f, "container.id")
    if container is not None and container != "host":
        image = _value(f, "container.image.repository")
        parts.append(Markup(" in container ") + escape.code(container))
        if image is not None:
            parts.append(Markup(" (image ") + escape.code(image) + Markup(")"))
    pod = _value(f, "k8s.pod.name")
    if pod is not None:
        parts.append(Markup(", pod ") + escape.code(pod))
        ns = _value(f, "k8s.ns.name")
        if ns is not None:
            parts.append(Markup(" in namespace ") + escape.code(ns))
    verb, resource = _value(f, "ka.verb"), _value(f, "ka.target.resource")
    if verb is not None and resource is not None:
        parts.append(Markup(": ") + escape.code(verb) + Markup(" on ") + escape.code(resource))
        target, target_ns = _value(f, "ka.target.name"), _value(f, "ka.target.namespace")
        if target is not None:
            parts.append(Markup(" ") + escape.code(target))
        if target_ns is not None:
            parts.append(Markup(" in namespace ") + escape.code(target_ns))
        role, subjects = _value(f, "ka.req.binding.role"), _value(f, "ka.req.binding.subjects")
        if role is not None:
            parts.append(Markup(", binding role ") + escape.code(role))
            if subjects is not None:
                parts.append(Markup(" to ") + escape.code(subjects))
    event = _value(f, "ct.name")
    if event is not None:
        parts.append(Markup(": API call ") + escape.code(event))
    return Markup("").join(parts) + Markup(".")


def raw_json(raw: dict[str, Any]) -> str:
    """The alert as pretty JSON, with control and bidi characters escaped (still valid JSON)."""
    text = json.dumps(raw, indent=2, ensure_ascii=False, sort_keys=False)
    return escape.json_visible(text)


def _shorten_raw(raw: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    cut = False

    def walk(value: Any) -> Any:
        nonlocal cut
        if isinstance(value, str) and len(value) > DISPLAY_LIMIT:
            cut = True
            return value[:DISPLAY_LIMIT] + f"… [shortened from {len(value):,} characters]"
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(raw), cut


def alert_view(
    alert_id: str,
    page: str,
    alert: FalcoAlert,
    raw: dict[str, Any],
    prev_page: str | None,
    next_page: str | None,
    guidance: Any = None,
    options: PageOptions | None = None,
) -> AlertView:
    options = options or PageOptions()
    f = alert.output_fields

    def rel(target: str) -> str:
        return url_link(page, target)

    facts = [
        Fact("Time (UTC)", _code_html(alert.time_iso)),
        Fact("Rule", escape.html_text(alert.rule), rule_page(alert.rule)),
        Fact("Priority", _badge(alert.priority), priority_page(alert.priority)),
        Fact("Source", _code_html(alert.source)),
        Fact("Host", _code_html(escape.name_visible(alert.host)), host_page(alert.host)),
        Fact("Alert ID", _code_html(alert_id)),
    ]
    if alert.uuid is not None:
        facts.append(Fact("UUID", _code_html(alert.uuid)))
    if options.timezone is not None:
        local = datetime.fromtimestamp(alert.time_ns // 1_000_000_000, tz=options.timezone)
        facts.insert(1, Fact(f"Time ({options.timezone.key})", _code_html(local.isoformat())))
    facts.append(Fact("Output", _code_html(alert.output)))
    container = [
        Fact(label, _code_html(_value(f, key)))
        for label, key in _CONTAINER_FIELDS
        if _value(f, key) is not None
    ]
    if alert.source == "k8s_audit":
        ctx_title, ctx_fields = "Kubernetes audit context", _K8S_AUDIT_FIELDS
    else:
        ctx_title, ctx_fields = "Cloud context", _CLOUD_FIELDS.get(alert.source, [])
    source_context = [
        Fact(label, _code_html(_value(f, key))) for label, key in ctx_fields if _value(f, key) is not None
    ]
    shown, cut = _shorten_raw(raw)
    group = group_of(alert)
    return AlertView(
        similar=(file_link(page, group_similar(group)), url_link(page, group_page(group))),
        id=alert_id,
        page=page,
        alert=alert,
        summary=_summary(alert),
        facts=facts,
        fields=list(f.items()),
        field_rows=_field_rows(f),
        facts_table=_facts_table(facts, page),
        container_table=_facts_table(container, page),
        context_table=_facts_table(source_context, page),
        ancestry=_ancestry(f),
        container=container,
        source_context=source_context,
        source_context_title=ctx_title,
        tags=_tag_links(alert.tags),
        raw_json=escape.raw_block(raw_json(shown), "fa-json"),
        raw_shortened=cut,
        download=page.rsplit("/", 1)[-1].removesuffix(".md") + ".json",
        prev_page=rel(prev_page) if prev_page else None,
        next_page=rel(next_page) if next_page else None,
        guidance=guidance,
        snippet=_snippets(alert, alert_id, page, options),
        links={
            "rule": rel(rule_page(alert.rule)),
            "host": rel(host_page(alert.host)),
            "priority": rel(priority_page(alert.priority)),
        },
    )


@dataclass(frozen=True)
class PageOptions:
    """Site-wide settings that shape alert pages."""

    site_url: str | None = None
    timezone: ZoneInfo | None = None


#: The key facts a ticket needs, by alert source (label, output field); absent ones are left out.
_SNIPPET_FACTS: dict[str, list[tuple[str, str]]] = {
    "k8s_audit": [
        ("User", "ka.user.name"),
        ("Verb", "ka.verb"),
        ("Resource", "ka.target.resource"),
        ("Object", "ka.target.name"),
        ("Namespace", "ka.target.namespace"),
        ("Role bound", "ka.req.binding.role"),
        ("Subjects", "ka.req.binding.subjects"),
        ("Decision", "ka.auth.decision"),
    ],
    "aws_cloudtrail": [
        ("Actor", "ct.user"),
        ("Action", "ct.name"),
        ("Region", "ct.region"),
        ("Source IP", "ct.srcip"),
    ],
    "gcp_auditlog": [
        ("Actor", "gcp.user"),
        ("Action", "gcp.methodName"),
        ("Region", "gcp.location"),
        ("Source IP", "gcp.callerIP"),
    ],
    "okta": [
        ("Actor", "okta.actor.name"),
        ("Action", "okta.evt.type"),
        ("Region", "okta.client.geo.country"),
        ("Source IP", "okta.client.ip"),
    ],
    "github": [("Actor", "github.user"), ("Action", "github.type"), ("Repository", "github.repo")],
}
_SYSCALL_FACTS = [("Process", "proc.name"), ("User", "user.name")]


def _fact_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def snippet_url(page: str, site_url: str | None) -> str:
    """The link a ticket snippet carries: absolute under ``site_url``; without one, the page's
    site-relative path, which the theme's script (``fa-page.js``) replaces with the page's own
    absolute address in the browser, so a site served under any host or sub-path copies a link
    that works when pasted."""
    return permanent_url(page, site_url) if site_url else page_url(page)


def _snippets(alert: FalcoAlert, alert_id: str, page: str, options: PageOptions) -> tuple[str, str]:
    f = alert.output_fields
    facts = [
        ("Rule", alert.rule),
        ("Priority", alert.priority.label),
        ("Host", escape.name_visible(alert.host)),
        ("Time (UTC)", alert.time_iso),
        ("Source", alert.source),
    ]
    keys = _SNIPPET_FACTS.get(alert.source, _SYSCALL_FACTS)
    facts += [(label, _fact_text(_value(f, key))) for label, key in keys if _value(f, key) is not None]
    container = _value(f, "container.name") or _value(f, "container.id")
    if container is not None and container != "host":
        facts.append(("Container", str(container)))
        image = _value(f, "container.image.repository")
        if image is not None:
            tag = _value(f, "container.image.tag")
            facts.append(("Image", f"{image}:{tag}" if tag is not None else str(image)))
    pod, ns = _value(f, "k8s.pod.name"), _value(f, "k8s.ns.name")
    if pod is not None:
        facts.append(("Pod", f"{ns}/{pod}" if ns is not None else str(pod)))
    facts.append(("Alert ID", alert_id))
    command = _value(f, "proc.cmdline")
    url = snippet_url(page, options.site_url)
    title = f"Falco: {alert.rule} ({alert.priority.label}) on {escape.name_visible(alert.host)}"
    cmd = None if command is None else str(command)
    return snippets.markdown_snippet(title, url, facts, cmd), snippets.jira_snippet(title, url, facts, cmd)


class Renderer:
    """Renders every kind of page; built once per build (templates compile once)."""

    def __init__(self) -> None:
        self.env = build_environment()
        self._alert = self.env.get_template("alert.md.j2")
        self._guidance = self.env.get_template("guidance.md.j2")

    def alert(self, view: AlertView) -> str:
        return self._alert.render(v=view)

    def guidance(self, guidance: Any, rule_page: str) -> str:
        return self._guidance.render(guidance=guidance, rule_page=rule_page)

    def page(self, template: str, **context: Any) -> str:
        text = self.env.get_template(template).render(**context)
        if not text.strip():
            raise ValueError(f"template {template} rendered an empty page")
        return text


# ---------------------------------------------------------------------------------------------
# Listing rows (aggregate pages)


@dataclass(frozen=True)
class Row:
    """One alert in a listing table, from the compact catalog."""

    page: str
    time_ns: int
    priority: int
    rule: str
    host: str
    what: str
    rule_page: str = ""
    host_page: str = ""
    #: What ``what`` is: ``process`` (command line or process), ``request`` (a k8s audit
    #: ``verb resource/object``), ``action`` (a cloud API call) or ``actor`` (only the user).
    what_kind: str = "process"


def what_of(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The listing's "what happened" per alert and its kind (see :class:`Row`): the command
    line or process for syscall alerts, the request or API call for k8s audit and cloud ones."""
    proc = df["cmdline"].where(df["cmdline"] != "", df["proc_name"]).fillna("")
    action = df["action"].fillna("") if "action" in df else pd.Series("", index=df.index)
    k8s = df["source"] == "k8s_audit"
    what = action.where(action != "", proc)
    what = what.where(what != "", df["user"]).fillna("")
    kind = pd.Series("process", index=df.index)
    kind = kind.where(proc != "", "actor")
    kind = kind.where(action == "", "action").where(~(k8s & (action != "")), "request")
    return what, kind


def rows(df: pd.DataFrame, from_page: str) -> list[Row]:
    """Listing rows; ``page`` (and the rule and host links) are URLs relative to ``from_page``
    (for raw HTML tables, which MkDocs does not rewrite)."""
    up = "../" * page_url(from_page).count("/")
    what, kinds = what_of(df)
    rule_links = {r: up + page_url(rule_page(r)) for r in set(df["rule"])}
    host_links = {h: up + page_url(host_page(h)) for h in set(df["host"])}
    return [
        Row(
            up + page[:-3] + "/",
            int(t),
            int(p),
            rule,
            escape.name_visible(host),  # look-alike hosts (NBSP, Cyrillic) must not look alike
            w if len(w) <= 120 else w[:120],
            rule_links[rule],
            host_links[host],
            kind,
        )
        for page, t, p, rule, host, w, kind in zip(
            df["page"], df["time_ns"], df["priority"], df["rule"], df["host"], what, kinds, strict=True
        )
    ]
