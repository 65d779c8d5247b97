"""Where every page lives: the one place that knows the site's paths and URLs.

Every generated file has a docs-relative Markdown path (``rules/<slug>/index.md``) that MkDocs
serves at a directory-style URL (``rules/<slug>/``). Those URLs are a contract: incident tickets
link to alert pages, so an alert's URL never changes once published. Nothing outside this
module spells a path of a generated page.

Rule names and hostnames come from alerts, so they are hostile: a slug keeps only ``[a-z0-9-]``
for readability and always ends with a hash of the exact name. Two names that slug alike
(``Foo``/``foo``, ``a/b``/``a b``, two 200-character names with one prefix) therefore never share
a page. The hash is 64 bits (:data:`SLUG_HEX`): an attacker who controls names can still find a
colliding pair with ~2**32 hashes, so :func:`place_names` checks every build's names and gives
the later of two colliding names the full 256-bit digest instead; a name's URL otherwise never
depends on which other names exist. Until 0.2 the hash was 8 hex digits (a pair collided after
some ten thousand tries and stopped the build); those URLs redirect (:func:`legacy_slug`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import urllib.parse
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from generator.errors import PathEscapeError
from generator.patterns import ALERT_ID

_SLUG_MAX = 48

#: Generated subtrees and files of the docs folder; everything else there is hand-written and kept.
GENERATED = (
    "alerts",
    "mitre",
    "rules",
    "hosts",
    "priorities",
    "groups",
    "news",
    "exports",
    "search",
    "index.md",
    "build-report.md",
    "build-report.json",
    "build.json",
    "feed.xml",
)
#: The generated trees of aggregate pages (each page rendered from the catalog, not one alert).
AGGREGATE_TREES = ("rules", "hosts", "priorities", "groups", "news", "mitre")

DASHBOARD = "index.md"
BUILD_REPORT = "build-report.md"
BUILD_REPORT_JSON = "build-report.json"
#: When and by which version the site was last built, read by every page's script at view time
#: (a footer rendered into every page would rewrite every page on every build).
BUILD_INFO = "build.json"
FEED = "feed.xml"
ATTACK = "mitre/index.md"
NEWS_INDEX = "news/index.md"
EXPORTS_INDEX = "exports/index.md"
#: The search page's filter data (:mod:`generator.pages.facets`), beside its ``search.md``.
SEARCH_KNOWN = "search/known.json"


#: The per-month facet index (one file per month and its folder of ID chunks).
FACETS_DIR = "search/facets"


def facet_month(month: str) -> str:
    """The facet index of one month (``YYYY-MM``) of alerts."""
    return f"{FACETS_DIR}/{month}.json"


def facet_ids(month: str, chunk: int) -> str:
    """Chunk ``chunk`` of the IDs of one month's facet index."""
    return f"{FACETS_DIR}/{month}/{chunk}.json"


def slugify(name: str) -> str:
    """Readable, safe part of a slug: ASCII lower-case words joined by ``-`` (may be empty)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_name.lower())
    return "-".join(words)[:_SLUG_MAX].strip("-")


#: Hex digits of SHA-256 ending a rule or host slug (64 bits).
SLUG_HEX = 16
#: The hex digits slugs had before 0.2; their URLs redirect to today's.
LEGACY_SLUG_HEX = 8


def name_slug(name: str, hex_digits: int = SLUG_HEX) -> str:
    """Stable slug for a rule or host name: ``terminal-shell-in-container-1a2b3c4d5e6f7a8b``."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:hex_digits]
    readable = slugify(name)
    return f"{readable}-{digest}" if readable else digest


def legacy_slug(name: str) -> str:
    """The slug a name had before 0.2 (8 hex digits): old links in tickets still use it."""
    return name_slug(name, LEGACY_SLUG_HEX)


#: Names that lost a slug collision in this build, per tree: name -> slug (see place_names).
#: Module state on purpose: every ``rule_page``/``host_page`` call (dozens of callers, forked
#: page workers included) must agree, and the table is almost always empty.
_PLACED: dict[str, dict[str, str]] = {"rules": {}, "hosts": {}}


def place_names(tree: str, names: Iterable[str], first_seen: Mapping[str, int]) -> list[str]:
    """Give every name of ``tree`` (``rules``/``hosts``) its own slug; returns what was resolved.

    Names whose :func:`name_slug` collide are ordered by the build that first archived them
    (``first_seen``; unknown: this one), then by name: the first keeps the short slug, so a
    published URL never moves, and each later one gets the full digest (and, should even that
    collide, a counter). Two names therefore never share a page, and the build goes on.
    """
    by_slug: dict[str, list[str]] = {}
    for name in names:
        by_slug.setdefault(name_slug(name), []).append(name)
    placed: dict[str, str] = {}
    notes: list[str] = []
    taken = set(by_slug)
    for slug, group in sorted(by_slug.items()):
        if len(group) < 2:
            continue
        ordered = sorted(set(group), key=lambda n: (first_seen.get(n, 1 << 62), n))
        for name in ordered[1:]:
            new = name_slug(name, 64)
            counter = 1
            while new in taken:
                counter += 1
                new = f"{name_slug(name, 64)}-{counter}"
            taken.add(new)
            placed[name] = new
            notes.append(
                f"{tree}: {name!r} and {ordered[0]!r} share the slug {slug}; "
                f"{name!r} is published at {tree}/{new}/ instead"
            )
    _PLACED[tree] = placed
    return notes


def check_alert_id(alert_id: str) -> str:
    """IDs become path segments: accept only the shapes :func:`models.alert_id` produces."""
    if not ALERT_ID.fullmatch(alert_id):
        raise PathEscapeError(root="alerts/", relative=alert_id)
    return alert_id


# -- pages, by kind -------------------------------------------------------------------------


def alert_page(alert_id: str, time_ns: int) -> str:
    """Docs-relative Markdown path of an alert: ``alerts/YYYY/MM/DD/<id>.md`` (UTC date)."""
    day = datetime.fromtimestamp(time_ns // 1_000_000_000, tz=UTC)
    return f"alerts/{day:%Y/%m/%d}/{check_alert_id(alert_id)}.md"


def alert_download(page: str) -> str:
    """The raw-JSON download beside an alert page (``alerts/.../<id>.json``)."""
    return page.removesuffix(".md") + ".json"


def alert_html(day: str, alert_id: str) -> str:
    """Site path of an alert's HTML page, from its ``YYYY/MM/DD`` folder and ID."""
    return f"alerts/{day}/{alert_id}/index.html"


def rule_page(name: str) -> str:
    return f"rules/{_PLACED['rules'].get(name) or name_slug(name)}/index.md"


def host_page(name: str) -> str:
    return f"hosts/{_PLACED['hosts'].get(name) or name_slug(name)}/index.md"


def priority_page(priority: object) -> str:
    """Page of a :class:`~generator.read.models.Priority` (anything with a ``slug``)."""
    return f"priorities/{priority.slug}/index.md"  # type: ignore[attr-defined]


def group_page(group_id: str) -> str:
    return f"groups/{group_id}/index.md"


def group_similar(group_id: str) -> str:
    """A repeated group's size and members (``{"alerts": N, "ids": [...]}``, oldest first),
    read by its alert pages at view time: "2 of 5 similar alerts" without re-rendering every
    member page each time the group grows."""
    return f"groups/{group_id}/similar.json"


def file_link(from_md: str, to_file: str) -> str:
    """Relative link from a generated page's URL to a docs file that is not a page (JSON)."""
    return "../" * page_url(from_md).count("/") + to_file


#: The index of repeated activity (every group page, newest first).
GROUPS_INDEX = "groups/index.md"


def news_page(number: int) -> str:
    return f"news/{number}.md"


def listing_page(page: str, number: int) -> str:
    """Listing ``number`` of a unit page: ``rules/x/index.md`` -> ``rules/x/page-2.md``."""
    return f"{page.removesuffix('index.md')}page-{number}.md"


# -- URLs -------------------------------------------------------------------------------------


def page_url(md_path: str) -> str:
    """The site URL (directory style, no leading slash) MkDocs gives a Markdown path."""
    stem = md_path.removesuffix(".md")
    if stem == "index":
        return ""
    return stem.removesuffix("/index") + "/"


def url_link(from_md: str, to_md: str) -> str:
    """Relative link between two generated pages' final URLs (every generated link is one).

    Climbs to the site root from the page's URL folder (``rules/x/page-2.md`` is served at
    ``rules/x/page-2/``) and back down, so it is valid under any sub-path and computed without
    a path walk (listings make hundreds of thousands of them). A final URL, not a ``.md`` path:
    MkDocs leaves it as written, so a page converts the same whether or not its link targets
    are part of the same MkDocs run (``publish/site.py`` builds in batches). Our own link check
    in the tests, not MkDocs, verifies that every one resolves.
    """
    return "../" * page_url(from_md).count("/") + page_url(to_md)


#: The hand-written search page; its query string is the search contract
#: (``q``, ``priority``, ``host``, ``rule``, ``from``, ``to``: UTC days ``YYYY-MM-DD``).
SEARCH = "search.md"
_SEARCH_KEYS = ("q", "priority", "host", "rule", "source", "from", "to")


def search_link(from_md: str, filters: Mapping[str, str]) -> str:
    """Relative link to the search page with ``filters`` in its query string (contract order).

    Every value is percent-encoded with nothing left safe, so an attacker-controlled rule or
    host name can add no parameter, path or scheme (a chart bar's link has no ``:`` at all).
    """
    unknown = set(filters) - set(_SEARCH_KEYS)
    if unknown:
        raise ValueError(f"not a search parameter: {sorted(unknown)}")
    query = "&".join(
        f"{key}={urllib.parse.quote(filters[key].encode('utf-8', 'surrogatepass'), safe='')}"
        for key in _SEARCH_KEYS
        if filters.get(key)
    )
    return url_link(from_md, SEARCH) + (f"?{query}" if query else "")


def absolute_url(site_path: str, site_url: str | None) -> str:
    """``site_path`` (no leading slash) under ``site_url`` when known, else site-relative."""
    return (site_url.rstrip("/") + "/" + site_path) if site_url else "/" + site_path


def permanent_url(page: str, site_url: str | None) -> str:
    """A page's permanent link: absolute under ``site_url`` when known, else site-relative."""
    return absolute_url(page_url(page), site_url)
