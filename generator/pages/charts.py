"""Small, accessible, byte-reproducible SVG charts of alerts, drawn with matplotlib.

Why SVG from matplotlib: the site must work offline and without JavaScript, so charts are
static vector images inlined into the Markdown pages (no CDN, no chart library in the
browser), and a nightly build must write the same bytes for the same alerts so that
``DocsWriter`` leaves unchanged pages alone. Reproducibility comes from a fixed figure size, a
fixed ``svg.hashsalt`` (derived from the chart's own content), no ``Date``/``Creator``
metadata and ``svg.fonttype: none`` (text stays text, no glyph outlines that differ between
font versions).

What every chart returned here looks like (the contract the pages and browser tests rely on):

* a standalone SVG document (XML declaration, no DOCTYPE: the SVG 1.1 DTD knows neither ARIA
  nor ``data-*`` attributes);
* the root ``<svg>`` has ``id`` (a per-chart prefix, also prefixed to every other ``id`` in the
  document, so several charts can share one HTML page), ``class="fa-chart"``, ``role="img"``,
  ``aria-labelledby="<id>-title <id>-desc"`` and, as its first children, ``<title>`` and a
  ``<desc>`` that states the numbers as a sentence (the text alternative);
* ``data-chart`` names the kind (``daily-by-priority``, ``priority-distribution``,
  ``top-rules``) and ``data-total`` the number of alerts drawn; the numbers behind the bars are
  in a JSON attribute for tests and tools:

  - daily chart: ``data-daily`` = ``{"YYYY-MM-DD": total, ...}`` for every UTC day with at
    least one alert (days without alerts are drawn as gaps and left out), see
    :func:`chart_data` for the full per-priority series;
  - priority distribution: ``data-counts`` = ``{"Critical": n, ...}`` (priorities with alerts);
  - top rules: ``data-counts`` = ``[["rule name", n], ...]`` in drawing order.

Bars can be links to the listing they count (issue 13): a priority bar to the priority's page,
a top-rules bar to the rule's page, a daily bar segment to the search page filtered to that
priority and UTC day. A linked bar is its own ``<a xlink:href="..." aria-label="...">``
(``Artist.set_url``; matplotlib's ``target="_blank"`` is dropped); the caller gives
page-relative URLs (``generator.urls``), which :func:`generator.pages.chart_cache.is_safe_chart`
accepts only without a scheme.

Alert text (rule names above all) is attacker-controlled. It is made visible with
:func:`generator.pages.escape.visible` before matplotlib lays it out (control and bidi characters
would be invalid XML or reorder text), mathtext is switched off (``$`` would otherwise be
parsed as TeX and could raise), and every text node and ``data-*`` value of the finished SVG is
re-encoded with :func:`generator.pages.escape.md_str`: numeric character references for every ASCII
punctuation Markdown or HTML give meaning to. That keeps the inlined SVG inert even if the site
later enables Markdown extensions that preprocess raw HTML (critic, snippets...).

matplotlib is not thread-safe and these functions use ``matplotlib.rc_context``: call them
from one thread (or use processes).
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import warnings
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.ticker import MaxNLocator

from generator.pages.escape import md_str, visible
from generator.read.models import Priority

__all__ = [
    "PRIORITY_COLOURS",
    "chart_data",
    "daily_by_priority_svg",
    "priority_distribution_svg",
    "svg_for_markdown",
    "top_rules_svg",
]

#: The badge colours of ``site_src/assets/falco-archive.css`` (``.fa-p-<slug>``): a priority
#: looks the same in a chart as in the badge next to it.
PRIORITY_COLOURS: dict[Priority, str] = {
    Priority.EMERGENCY: "#4a0000",
    Priority.ALERT: "#8b0000",
    Priority.CRITICAL: "#c62828",
    Priority.ERROR: "#e65100",
    Priority.WARNING: "#f9a825",
    Priority.NOTICE: "#1565c0",
    Priority.INFORMATIONAL: "#00838f",
    Priority.DEBUG: "#616161",
}
_LABELS = [p.label for p in Priority]
_NEUTRAL = "#3f51b5"  # the site's primary colour (indigo)
_TEXT = "#212121"
_NS_PER_DAY = 86_400 * 1_000_000_000
#: Tick labels longer than this are cut (with an ellipsis); the ``<desc>`` has the full name.
_MAX_LABEL = 48

_RC = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 8.0,
    "text.usetex": False,
    "axes.edgecolor": "#757575",
    "axes.labelcolor": _TEXT,
    "xtick.color": "#757575",
    "ytick.color": "#757575",
    "xtick.labelcolor": _TEXT,
    "ytick.labelcolor": _TEXT,
    "figure.facecolor": "#ffffff",  # a white card: readable on the light and the dark theme
    "axes.facecolor": "#ffffff",
    "path.simplify": False,
}
_METADATA: dict[str, Any] = {"Date": None, "Creator": None}
_CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
#: A daily chart's bar segment -> the listing it counts: ``(priority label, UTC day) -> URL``.
DayLink = Callable[[str, str], str]
#: Bars drawn as links: ``(link target, accessible name)`` in the order the placeholders were set.
Anchors = list[tuple[str, str]]


# -- the numbers --------------------------------------------------------------------------------


def chart_data(df: pd.DataFrame) -> dict[str, Any]:
    """The numbers behind :func:`daily_by_priority_svg`, as plain Python values.

    ``days`` lists every UTC day from the first to the last alert (gaps included, as zeros),
    ``totals`` the alerts per day, ``by_priority`` one series per priority that has alerts
    (severity order), ``priority_totals`` their sums and ``total`` the alerts counted. Rows with
    a priority outside 0..7 are not counted (the catalog never has them).

    Computed with integer day numbers and ``bincount`` instead of ``strftime`` per row: a rule
    page of 100,000 alerts costs a millisecond, not a tenth of a second.
    """
    empty: dict[str, Any] = {
        "first_day": None,
        "last_day": None,
        "days": [],
        "totals": [],
        "by_priority": {},
        "priority_totals": {},
        "total": 0,
    }
    if df.empty:
        return empty
    prio = df["priority"].to_numpy(dtype=np.int64, na_value=-1)
    valid = (prio >= 0) & (prio < len(_LABELS))
    if not valid.any():
        return empty
    day = df["time_ns"].to_numpy(dtype=np.int64)[valid] // _NS_PER_DAY
    prio = prio[valid]
    first, last = int(day.min()), int(day.max())
    n = last - first + 1
    grid = np.bincount(prio * n + (day - first), minlength=len(_LABELS) * n).reshape(len(_LABELS), n)
    day_names = (np.datetime64(first, "D") + np.arange(n)).astype(str).tolist()
    per_priority = grid.sum(axis=1)
    by_priority = {_LABELS[p]: grid[p].tolist() for p in range(len(_LABELS)) if per_priority[p]}
    return {
        "first_day": day_names[0],
        "last_day": day_names[-1],
        "days": day_names,
        "totals": grid.sum(axis=0).tolist(),
        "by_priority": by_priority,
        "priority_totals": {label: sum(series) for label, series in by_priority.items()},
        "total": int(per_priority.sum()),
    }


def _priority_counts(df: pd.DataFrame) -> list[int]:
    if df.empty:
        return [0] * len(_LABELS)
    prio = df["priority"].to_numpy(dtype=np.int64, na_value=-1)
    prio = prio[(prio >= 0) & (prio < len(_LABELS))]
    return [int(n) for n in np.bincount(prio, minlength=len(_LABELS))]


def _top_rules(df: pd.DataFrame, limit: int) -> list[tuple[str, int]]:
    """Most frequent rules, count descending then name ascending (stable across builds)."""
    if df.empty or limit <= 0:
        return []
    counts = df["rule"].astype(str).value_counts(sort=False)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(str(rule), int(n)) for rule, n in ordered[:limit]]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _priority_phrase(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {label}" for label, n in counts.items())


# -- text from the data ---------------------------------------------------------------------------


#: What XML 1.0 forbids besides the control characters and surrogates :func:`visible` already
#: escapes: the noncharacters U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\ufffe\uffff]")


def _shown(text: str) -> str:
    """Alert text as it may appear in the SVG: visible escapes for everything XML forbids or
    that would hide or reorder text."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", visible(text))


def _label(text: str, limit: int = _MAX_LABEL) -> str:
    """A tick label: visible (no control/bidi characters) and short enough to fit."""
    shown = _shown(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _json_attr(value: Any) -> str:
    """Data for a ``data-*`` attribute: ASCII JSON, entity-encoded like Markdown text (so no
    quote can end the attribute and no Markdown preprocessor sees syntax in it)."""
    return md_str(json.dumps(value, ensure_ascii=True, separators=(",", ":")))


# -- drawing --------------------------------------------------------------------------------------


def _chart_id(kind: str, title: str, payload: Any, chart_id: str | None) -> str:
    """A per-chart id prefix: given, or derived from the chart's content (deterministic)."""
    if chart_id is not None:
        if not _CHART_ID.fullmatch(chart_id):
            raise ValueError(f"chart_id must match {_CHART_ID.pattern}, got {chart_id!r}")
        return chart_id
    blob = json.dumps([kind, title, payload], ensure_ascii=True, separators=(",", ":"))
    return "fa-chart-" + hashlib.sha256(blob.encode("ascii")).hexdigest()[:10]


def _boxes(x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> MplPath:
    """Many bars as one compound path: one SVG element per colour instead of one per bar.

    ``Axes.bar`` makes a patch per bar and updates the data limits segment by segment, which
    made a year of daily bars cost a quarter of a second; the limits are set explicitly instead.
    """
    n = len(x0)
    verts = np.empty((n, 5, 2))
    verts[:, 0, 0], verts[:, 0, 1] = x0, y0
    verts[:, 1, 0], verts[:, 1, 1] = x1, y0
    verts[:, 2, 0], verts[:, 2, 1] = x1, y1
    verts[:, 3, 0], verts[:, 3, 1] = x0, y1
    verts[:, 4, 0], verts[:, 4, 1] = x0, y0
    step = [MplPath.MOVETO, MplPath.LINETO, MplPath.LINETO, MplPath.LINETO, MplPath.CLOSEPOLY]
    codes = np.tile(np.array(step, dtype=MplPath.code_type), n)
    return MplPath(verts.reshape(-1, 2), codes)


def _style_axes(ax: Axes, *, left_only: bool = False) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    if left_only:
        ax.spines["bottom"].set_visible(False)
    ax.tick_params(length=3, width=0.6)


def _no_alerts(fig: Figure) -> None:
    fig.text(0.5, 0.5, "No alerts", ha="center", va="center", color=_TEXT, fontsize=10, parse_math=False)


def _save(fig: Figure) -> str:
    buf = io.StringIO()
    with warnings.catch_warnings():
        # Rule names in scripts DejaVu Sans lacks are fine: the browser picks another font.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        fig.savefig(buf, format="svg", metadata=_METADATA)
    return buf.getvalue()


def _style(cid: str) -> AbstractContextManager[Any]:
    """rcParams for one chart: fonts and colours are read when artists are created, the salt
    and font type when the SVG is written, so the whole chart is drawn inside this context."""
    return matplotlib.rc_context({**_RC, "svg.hashsalt": cid})  # type: ignore[dict-item]


# -- post-processing ------------------------------------------------------------------------------

_PROLOG = re.compile(r"\A\s*<\?xml[^>]*\?>\s*(?:<!DOCTYPE[^>]*>\s*)?", re.S)
_METADATA_BLOCK = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_STYLE_BLOCK = re.compile(r"\s*<defs>\s*<style[^>]*>[^<]*</style>\s*</defs>", re.S)
_TOKEN = re.compile(r"<[^>]*>|[^<]+")
_ID_ATTR = re.compile(r'(\sid=")([^"]*)(")')
_ID_REF = re.compile(r'(url\(#|href="#)([^)"]*)')
_ANCHOR = re.compile(r'<a xlink:href="fa-link-(\d+)" target="_blank">')


def _placeholder(anchors: Anchors, url: str, label: str) -> str:
    """A stand-in URL for ``Artist.set_url``; :func:`_finish` puts the real link in its place."""
    anchors.append((url, label))
    return f"fa-link-{len(anchors) - 1}"


def _finish(
    svg: str, cid: str, *, title: str, desc: str, attrs: dict[str, str], anchors: Anchors | None = None
) -> str:
    """Make matplotlib's SVG accessible, page-safe and inert (see the module docstring)."""
    body = _PROLOG.sub("", svg, count=1)
    if anchors:
        # URL and name entity-encoded like any text here: inert for Markdown, decoded by the browser.
        links = anchors
        body = _ANCHOR.sub(
            lambda m: (
                f'<a xlink:href="{md_str(links[int(m.group(1))][0])}"'
                f' aria-label="{md_str(_shown(links[int(m.group(1))][1]))}">'
            ),
            body,
        )
    body = _METADATA_BLOCK.sub("", body, count=1)
    # matplotlib's ``*{stroke-linejoin...}`` would style the whole HTML page once inlined.
    body = _STYLE_BLOCK.sub("", body, count=1)

    def token(match: re.Match[str]) -> str:
        text = match.group()
        if text.startswith("<"):
            text = _ID_ATTR.sub(lambda m: f"{m.group(1)}{cid}-{m.group(2)}{m.group(3)}", text)
            return _ID_REF.sub(lambda m: f"{m.group(1)}{cid}-{m.group(2)}", text)
        if not text.strip():
            return text
        return md_str(html.unescape(text))

    body = _TOKEN.sub(token, body)
    root_end = body.index(">", body.index("<svg")) + 1
    root = body[:root_end]
    extra = "".join(f' {name}="{value}"' for name, value in attrs.items())
    root = root.replace(
        "<svg ",
        f'<svg id="{cid}" class="fa-chart" role="img" aria-labelledby="{cid}-title {cid}-desc"'
        f' style="max-width:100%;height:auto"{extra} ',
        1,
    )
    head = (
        f'\n <title id="{cid}-title">{md_str(_shown(title))}</title>'
        f'\n <desc id="{cid}-desc">{md_str(_shown(desc))}</desc>'
        f"\n <defs><style>#{cid} *{{stroke-linejoin:round;stroke-linecap:butt}}</style></defs>"
    )
    return '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n' + root + head + body[root_end:]


# -- the charts -----------------------------------------------------------------------------------


def _draw_daily(fig: Figure, data: dict[str, Any], link: DayLink | None, anchors: Anchors) -> str:
    """Draw the stacked daily bars (with ``link``, every segment its own link); returns the
    ``<desc>`` sentence."""
    if not data["total"]:
        _no_alerts(fig)
        return "No alerts."
    n = len(data["days"])
    pad = max(0.0, (7 - n) / 2)  # a lone day is not a bar as wide as the chart
    ax = fig.add_axes((0.07, 0.13, 0.72, 0.8))
    _style_axes(ax)
    x = np.arange(n, dtype=float)
    bottom = np.zeros(n)
    handles: list[tuple[str, str]] = []
    for label, series in data["by_priority"].items():
        heights = np.asarray(series, dtype=float)
        nz = heights > 0
        colour = PRIORITY_COLOURS[Priority[label.upper()]]
        xs, base = x[nz], bottom[nz]
        if link is None:
            path = _boxes(xs - 0.4, xs + 0.4, base, base + heights[nz])
            ax.add_artist(PathPatch(path, facecolor=colour, edgecolor="none", linewidth=0))
        else:  # one element per segment: each is the link to its own listing
            for i in np.flatnonzero(nz):
                day, count = data["days"][i], int(heights[i])
                box = _boxes(
                    x[i : i + 1] - 0.4, x[i : i + 1] + 0.4, bottom[i : i + 1], bottom[i : i + 1] + count
                )
                patch = PathPatch(box, facecolor=colour, edgecolor="none", linewidth=0)
                name = f"{label} on {day}: {_plural(count, 'alert')}"
                patch.set_url(_placeholder(anchors, link(label, day), name))
                ax.add_artist(patch)
        bottom += heights
        handles.append((colour, f"{label} ({data['priority_totals'][label]})"))
    ax.set_xlim(-0.5 - pad, n - 0.5 + pad)
    ax.set_ylim(0, max(1.0, float(bottom.max()) * 1.08))
    step = max(1, -(-n // 7))
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks, [data["days"][i] for i in ticks])
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.set_ylabel("alerts per day (UTC)")
    _legend(fig, handles)
    busiest = int(np.argmax(data["totals"]))
    return (
        f"Alerts per UTC day from {data['first_day']} to {data['last_day']}: "
        f"{_priority_phrase(data['priority_totals'])} ({data['total']} in total). "
        f"Busiest day: {data['days'][busiest]} with {_plural(data['totals'][busiest], 'alert')}."
    )


def _legend(fig: Figure, entries: list[tuple[str, str]]) -> None:
    """A legend right of the axes: swatches and labels placed directly in figure coordinates
    (``Figure.legend``'s offset-box layout was a sixth of the daily chart's drawing time)."""
    row = 13 / (fig.get_figheight() * 72)  # 13 pt per entry
    for i, (colour, text) in enumerate(entries):
        top = 0.93 - i * row
        swatch = Rectangle((0.805, top - row * 0.75), 0.014, row * 0.7, transform=fig.transFigure)
        swatch.set(facecolor=colour, edgecolor="none", linewidth=0)
        fig.add_artist(swatch)
        fig.text(0.825, top - row * 0.4, text, va="center", ha="left", color=_TEXT, parse_math=False)


def _draw_hbars(
    fig: Figure,
    labels: list[str],
    counts: list[int],
    colours: list[str],
    left: float,
    links: list[tuple[str, str] | None] | None = None,
    anchors: Anchors | None = None,
) -> None:
    """Horizontal bars, first label on top, the count written at the end of each bar; a bar
    with a ``links`` entry ``(url, accessible name)`` is drawn as its own link."""
    rows = len(labels)
    height = fig.get_figheight()
    ax = fig.add_axes((left, 0.1 / height, 0.9 - left, 1 - 0.2 / height))
    _style_axes(ax, left_only=True)
    y = np.arange(rows, dtype=float)
    widths = np.asarray(counts, dtype=float)
    linked = [False] * rows
    for i, target in enumerate(links or []):
        if target is not None and counts[i] and anchors is not None:
            linked[i] = True
            box = _boxes(np.zeros(1), widths[i : i + 1], y[i : i + 1] - 0.35, y[i : i + 1] + 0.35)
            patch = PathPatch(box, facecolor=colours[i], edgecolor="none", linewidth=0)
            patch.set_url(_placeholder(anchors, *target))
            ax.add_artist(patch)
    for colour in dict.fromkeys(c for c, done in zip(colours, linked, strict=True) if not done):
        mask = np.asarray([c == colour and not done for c, done in zip(colours, linked, strict=True)])
        path = _boxes(np.zeros(int(mask.sum())), widths[mask], y[mask] - 0.35, y[mask] + 0.35)
        ax.add_artist(PathPatch(path, facecolor=colour, edgecolor="none", linewidth=0))
    peak = max(1.0, float(widths.max()))
    for yi, n in zip(y, counts, strict=True):
        ax.text(n + peak * 0.01, yi, str(n), va="center", ha="left", color=_TEXT, parse_math=False)
    ax.set_xlim(0, peak * 1.12)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_yticks(y, labels, parse_math=False)
    ax.set_xticks([])


def daily_by_priority_svg(
    df: pd.DataFrame, title: str, *, chart_id: str | None = None, link: DayLink | None = None
) -> str:
    """Alerts per UTC day as bars stacked by priority (most severe at the bottom).

    Every day between the first and the last alert gets a slot, so quiet days show as gaps
    instead of silently disappearing. ``chart_id`` overrides the content-derived id prefix
    (needed only when the very same chart appears twice on one page). ``link(priority label,
    day)`` makes every bar segment a link to the listing of those alerts.
    """
    data = chart_data(df)
    cid = _chart_id("daily-by-priority", title, data, chart_id)
    anchors: Anchors = []
    with _style(cid):
        fig = Figure(figsize=(8.0, 2.6), dpi=72)
        desc = _draw_daily(fig, data, link, anchors)
        svg = _save(fig)
    daily = {d: t for d, t in zip(data["days"], data["totals"], strict=True) if t}
    attrs = {
        "data-chart": "daily-by-priority",
        "data-total": str(data["total"]),
        "data-daily": _json_attr(daily),
    }
    return _finish(svg, cid, title=title, desc=desc, attrs=attrs, anchors=anchors)


def priority_distribution_svg(
    df: pd.DataFrame, title: str, *, chart_id: str | None = None, links: Mapping[str, str] | None = None
) -> str:
    """Alerts per priority as horizontal bars, all eight priorities, most severe on top.

    Showing the empty priorities too keeps every distribution chart on the site comparable.
    ``links`` (priority label -> URL) makes each bar with alerts a link, to the priority's page.
    """
    counts = _priority_counts(df)
    total = sum(counts)
    present = {label: n for label, n in zip(_LABELS, counts, strict=True) if n}
    cid = _chart_id("priority-distribution", title, counts, chart_id)
    anchors: Anchors = []
    targets: list[tuple[str, str] | None] = [
        (links[label], f"{label}: {_plural(n, 'alert')}") if links and label in links else None
        for label, n in zip(_LABELS, counts, strict=True)
    ]
    with _style(cid):
        fig = Figure(figsize=(6.0, 2.4), dpi=72)
        if total:
            colours = [PRIORITY_COLOURS[p] for p in Priority]
            _draw_hbars(fig, _LABELS, counts, colours, left=0.17, links=targets, anchors=anchors)
            desc = f"Alerts by priority: {_priority_phrase(present)} ({total} in total)."
        else:
            _no_alerts(fig)
            desc = "No alerts."
        svg = _save(fig)
    attrs = {
        "data-chart": "priority-distribution",
        "data-total": str(total),
        "data-counts": _json_attr(present),
    }
    return _finish(svg, cid, title=title, desc=desc, attrs=attrs, anchors=anchors)


def top_rules_svg(
    df: pd.DataFrame,
    title: str,
    limit: int = 10,
    *,
    chart_id: str | None = None,
    links: Mapping[str, str] | None = None,
) -> str:
    """The ``limit`` rules with the most alerts, as horizontal bars (ties: by name); with
    ``links`` (rule -> URL) each bar is a link, to the rule's page.

    The figure height follows the number of bars (fixed per bar), so bars look the same on
    every page. Long rule names are cut in the tick label; the ``<desc>`` names them in full.
    """
    top = _top_rules(df, limit)
    total = len(df)
    cid = _chart_id("top-rules", title, [top, total], chart_id)
    anchors: Anchors = []
    targets: list[tuple[str, str] | None] = [
        (links[rule], f"{rule}: {_plural(n, 'alert')}") if links and rule in links else None
        for rule, n in top
    ]
    with _style(cid):
        fig = Figure(figsize=(8.0, 0.3 + 0.24 * max(len(top), 2)), dpi=72)
        if top:
            labels = [_label(rule) for rule, _ in top]
            counts = [n for _, n in top]
            _draw_hbars(fig, labels, counts, [_NEUTRAL] * len(top), left=0.42, links=targets, anchors=anchors)
            listed = "; ".join(f"{_shown(rule)}: {n}" for rule, n in top)
            distinct = int(df["rule"].nunique())
            desc = (
                f"Top {_plural(len(top), 'rule')} by number of alerts: {listed}. "
                f"{_plural(total, 'alert')} in total across {_plural(distinct, 'rule')}."
            )
        else:
            _no_alerts(fig)
            desc = "No alerts."
        svg = _save(fig)
    attrs = {
        "data-chart": "top-rules",
        "data-total": str(total),
        "data-counts": _json_attr([[rule, n] for rule, n in top]),
    }
    return _finish(svg, cid, title=title, desc=desc, attrs=attrs, anchors=anchors)


# -- Markdown -------------------------------------------------------------------------------------

_BETWEEN_TAGS = re.compile(r">\s+<")


def svg_for_markdown(svg: str, caption: str = "") -> Markup:
    """A chart as a single-line top-level raw HTML block for Python-Markdown.

    The XML declaration/DOCTYPE are dropped (not allowed inside HTML) and the SVG is wrapped in
    ``<figure class="fa-chart-figure">``: Python-Markdown does not count ``<svg>`` as a block
    element and would run inline Markdown over the text between its tags, whereas a block
    element's content up to its end tag passes through untouched. One line means no blank
    line can end the block early. Put the result on its own line with blank lines around it,
    never inside a list item or an indented block. ``caption`` (plain text, HTML-escaped here)
    is shown under the chart: its title and the window it covers, so a reader never has to
    guess why its numbers differ from the tables beside it.
    """
    body = _PROLOG.sub("", svg, count=1).strip()
    if not body.startswith("<svg") or not body.endswith("</svg>"):
        raise ValueError("not an SVG document made by generator.charts")
    one_line = _BETWEEN_TAGS.sub("><", body).replace("\r", " ").replace("\n", " ")
    # The caption quotes a rule or host name: its bidi overrides and controls show as escapes
    # (an RTL override in a rule name would otherwise reorder the caption's text).
    shown = (
        f'<figcaption class="fa-chart-caption">{html.escape(_shown(caption))}</figcaption>' if caption else ""
    )
    return Markup(f'<figure class="fa-chart-figure">{one_line}{shown}</figure>')
