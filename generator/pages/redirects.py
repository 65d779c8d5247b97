"""Redirect pages that keep old URLs working: links in incident tickets must never break.

Two kinds of URL moved:

* rule and host pages (and their listing pages ``page-N/``), whose slug ended in 8 hex digits
  of SHA-256 before 0.2 and ends in 16 now (:func:`generator.urls.legacy_slug`). The old slug
  of every name an archive from before 0.2 published (``legacy``, kept in the state) redirects
  to its page while the name is in the archive; names archived since never had such a URL and
  get none. An old slug two such names shared gets a small page listing both.
* alert pages whose ID was a plain hash of the unredacted alert (before 0.2): such an alert is
  now identified by a keyed hash (:func:`generator.read.models.alert_id`), and the old ID, which
  was already published, redirects to the new page (``aliases``, kept in the state).

The pages are plain HTML (a ``meta refresh`` and a link, no script), written by the publish
stage straight into the site: they are not MkDocs pages, carry no search index body, and cost
one small file per name, not per alert. Every name shown is HTML-escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

import pandas as pd

from generator.pages.aggregates import page_count
from generator.urls import host_page, legacy_slug, listing_page, page_url, rule_page, url_link

_TREES = (("rule", "rules", rule_page), ("host", "hosts", host_page))


#: First line of every redirect page: the publish stage overwrites a site file only if it is one
#: of ours (a redirect must never replace a real page, whatever its path).
MARKER = "<!-- falco-archive redirect -->"


def _html(from_md: str, targets: list[tuple[str, str]]) -> str:
    """One redirect page (a single target) or a page listing the names an old URL stood for."""
    links = [(label, url_link(from_md, to_md)) for label, to_md in targets]
    head = f'<!doctype html>\n{MARKER}\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    head += '<meta name="robots" content="noindex">\n'
    if len(links) == 1:
        href = html.escape(links[0][1])
        head += f'<title>Moved</title>\n<link rel="canonical" href="{href}">\n'
        head += f'<meta http-equiv="refresh" content="0; url={href}">\n</head>\n'
        return head + f'<body>\n<p>This page moved to <a href="{href}">{href}</a>.</p>\n</body>\n</html>\n'
    items = "".join(
        f'<li><a href="{html.escape(href)}">{html.escape(label)}</a></li>\n' for label, href in links
    )
    head += "<title>This old link stood for several pages</title>\n</head>\n"
    return head + (
        "<body>\n<p>This old link stood for several names; their pages are:</p>\n"
        f"<ul>\n{items}</ul>\n</body>\n</html>\n"
    )


def redirect_pages(
    catalog: pd.DataFrame, aliases: Mapping[str, str], legacy: Mapping[str, Iterable[str]]
) -> dict[str, str]:
    """Site file path (``rules/<old>/index.html``) -> HTML of every redirect the site keeps.

    ``aliases``: docs path of an old alert page -> docs path of its page today. ``legacy``:
    per column (``rule``, ``host``), the names whose old 8-digit slug was really published
    (:meth:`generator.archive.state.State.legacy_names`); a name first archived later never
    had such a URL and gets none. A name no longer in the archive (retention) redirects
    nowhere. A redirect is never written where a current page (or listing page) lives.
    """
    sources: dict[str, list[tuple[str, str]]] = {}
    current: set[str] = set()
    for column, _tree, page_of in _TREES:
        counts = catalog[column].value_counts(sort=False) if len(catalog) else pd.Series(dtype=int)
        published = set(legacy.get(column, ()))
        for name, count in sorted(counts.items()):
            new = page_of(str(name))
            pages = page_count(int(count))
            current.add(new)
            current.update(listing_page(new, number) for number in range(1, pages + 1))
            if str(name) not in published:
                continue
            old = f"{new.split('/')[0]}/{legacy_slug(str(name))}/index.md"
            sources.setdefault(old, []).append((str(name), new))
            if pages > 1:
                for number in range(1, pages + 1):
                    sources.setdefault(listing_page(old, number), []).append(
                        (f"{name} (page {number})", listing_page(new, number))
                    )
    if len(catalog):
        current |= set(catalog["page"])
    for old_page, new_page in sorted(aliases.items()):
        sources.setdefault(old_page, []).append(("the alert", new_page))
    out: dict[str, str] = {}
    for old, targets in sorted(sources.items()):
        if old in current:
            continue
        out[page_url(old) + "index.html"] = _html(old, targets)
    return out
