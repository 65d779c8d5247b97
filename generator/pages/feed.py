"""An Atom 1.0 feed (RFC 4287) of the newest alerts at or above a priority.

Why a feed: on-call people subscribe to "new Critical alerts" in a feed reader or chat bot
without running anything, and the static site can serve it as a plain file. The feed is built
with :mod:`xml.etree.ElementTree`, which escapes ``<``, ``&``, ``>`` and quotes itself, so no
alert text can open or close an element (``]]>`` is just text: there is no CDATA section).
ElementTree does not reject characters XML 1.0 forbids (NUL, other C0 controls, lone
surrogates, U+FFFE/U+FFFF); one of those in a rule name would make the whole feed unparsable
for every subscriber, so every value goes through :func:`xml_text`, which shows them as
visible escapes (``\\x00``) with :func:`generator.pages.escape.visible`.

The feed's ``updated`` is the build's time (passed by the caller: a subscriber sees that last
night's build ran even when it added nothing); everything else is deterministic: entries are
ordered newest first with the alert ID as tie-breaker, and attribute order is fixed by
construction.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from generator.archive.aggregate import latest_first
from generator.archive.catalog import TAG_SEPARATOR
from generator.pages.escape import name_visible, visible
from generator.read.models import Priority

__all__ = ["ATOM_NS", "alert_urn", "atom_feed", "feed_rows", "rfc3339_ns", "xml_text"]

ATOM_NS = "http://www.w3.org/2005/Atom"
GENERATOR = "falco-archive"
#: Characters XML 1.0 forbids that :func:`visible` leaves alone (noncharacters, category Cn).
_NOT_XML = re.compile("[\ufffe\uffff]")
#: Command lines can be megabytes; a feed entry shows the start, the alert page the rest.
MAX_CMDLINE = 2000


def xml_text(value: object) -> str:
    """Any value as text that is valid in XML 1.0 and shows hidden characters visibly."""
    text = visible(value if type(value) is str else str(value))
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def rfc3339_ns(time_ns: int) -> str:
    """``2026-11-20T12:00:00.123456789Z``: RFC 3339 (Atom's date format) with nanoseconds."""
    return str(np.datetime_as_string(np.datetime64(int(time_ns), "ns"), unit="ns")) + "Z"


def alert_urn(alert_id: str) -> str:
    """The entry's permanent ``atom:id``: never changes even if the site moves."""
    return f"urn:falco-archive:alert:{xml_text(alert_id)}"


def feed_rows(df: pd.DataFrame, min_priority: Priority | int, limit: int = 50) -> pd.DataFrame:
    """The alerts a feed shows: priority ``min_priority`` or more severe, newest first, none
    ranked newer than when it arrived (see :func:`generator.archive.aggregate.latest_first`).

    Priorities are ordered most severe first (Emergency = 0), so "at or above Critical" means
    a value of at most 2. The ID breaks ties between alerts of the same nanosecond.
    """
    selected = df[df["priority"] <= int(min_priority)]
    return latest_first(selected).head(limit)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _priority_label(value: Any) -> str:
    try:
        return Priority(int(value)).label
    except (TypeError, ValueError):
        return xml_text(value)


def _field(row: pd.Series, name: str) -> str:
    value = row.get(name)
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return xml_text(value)


def _content_html(items: list[tuple[str, str]]) -> str:
    """The entry body as an HTML fragment (Atom ``type="html"``).

    Values are HTML-escaped here and the whole fragment is XML-escaped again by ElementTree,
    as Atom requires for ``type="html"``: the reader unescapes once and gets inert text.
    """
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td><code>{html.escape(value)}</code></td></tr>"
        for label, value in items
        if value
    )
    return f"<table>{rows}</table>"


def _entry(feed: ET.Element, row: pd.Series, alert_url: Callable[[str], str]) -> None:
    alert_id = str(row["id"])
    when = rfc3339_ns(int(row["time_ns"]))
    # Look-alike host names (NBSP, Cyrillic letters) must not read alike in a feed reader either.
    rule, host = _field(row, "rule"), name_visible(_field(row, "host"))
    priority = _priority_label(row["priority"])
    cmdline = _field(row, "cmdline")
    if len(cmdline) > MAX_CMDLINE:
        cmdline = cmdline[:MAX_CMDLINE] + " …"
    entry = _sub(feed, "entry")
    _sub(entry, "id", alert_urn(alert_id))
    _sub(entry, "title", f"{rule} ({priority}) on {host}", type="text")
    _sub(entry, "updated", when)
    _sub(entry, "published", when)
    _sub(entry, "link", rel="alternate", type="text/html", href=xml_text(alert_url(alert_id)))
    _sub(entry, "category", term=priority, label=f"Priority {priority}")
    summary = f"{priority}: {rule} on host {host} at {when}"
    if cmdline:
        summary += f"; command line: {cmdline}"
    _sub(entry, "summary", summary, type="text")
    tags = ", ".join(name_visible(xml_text(t)) for t in str(row.get("tags") or "").split(TAG_SEPARATOR) if t)
    items = [
        ("Time (UTC)", when),
        ("Rule", rule),
        ("Priority", priority),
        ("Host", host),
        ("Process", _field(row, "proc_name")),
        ("Command line", cmdline),
        ("User", _field(row, "user")),
        ("Container image", _field(row, "image")),
        ("Namespace", _field(row, "namespace")),
        ("Pod", _field(row, "pod")),
        ("Tags", tags),
        ("Alert ID", xml_text(alert_id)),
    ]
    _sub(entry, "content", _content_html(items), type="html")


def atom_feed(
    rows: pd.DataFrame,
    *,
    feed_id: str,
    title: str,
    site_url: str | None,
    self_href: str,
    updated_ns: int,
    alert_url: Callable[[str], str],
) -> bytes:
    """An Atom feed document (UTF-8 bytes) with one entry per row, in the order given.

    ``rows`` are catalog rows, usually :func:`feed_rows`. ``feed_id`` is the feed's permanent
    IRI (e.g. ``urn:falco-archive:feed:critical``), ``self_href`` the URL the feed is served
    from, ``site_url`` the site's home page (an ``alternate`` link, omitted when ``None``),
    ``updated_ns`` the feed's ``updated`` time (the build's time), and ``alert_url(id)`` the URL
    of an alert page (absolute, or relative to the feed's own address).
    """
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(feed, "id", xml_text(feed_id))
    _sub(feed, "title", xml_text(title), type="text")
    _sub(feed, "updated", rfc3339_ns(updated_ns))
    author = _sub(feed, "author")
    _sub(author, "name", GENERATOR)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=xml_text(self_href))
    if site_url is not None:
        _sub(feed, "link", rel="alternate", type="text/html", href=xml_text(site_url))
    _sub(feed, "generator", GENERATOR)
    for _, row in rows.iterrows():
        _entry(feed, row, alert_url)
    ET.indent(feed, space=" ")
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True)) + b"\n"
