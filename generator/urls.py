"""Where every page lives: the one place that knows the site's paths and URLs.

Every generated file has a docs-relative Markdown path (``rules/<slug>/index.md``) that MkDocs
serves at a directory-style URL (``rules/<slug>/``). Those URLs are a contract: incident tickets
link to alert pages, so an alert's URL never changes once published. Nothing outside this
module spells a path of a generated page.

Rule names and hostnames come from alerts, so they are hostile: a slug keeps only ``[a-z0-9-]``
for readability and always ends with a short hash of the exact name. Two names that slug alike
(``Foo``/``foo``, ``a/b``/``a b``, two 200-character names with one prefix) therefore never share
a page, and a name's URL never depends on which other names exist: it is the same in every
build, forever.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
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
    "index.md",
    "build-report.md",
    "build-report.json",
    "feed.xml",
)
#: The generated trees of aggregate pages (each page rendered from the catalog, not one alert).
AGGREGATE_TREES = ("rules", "hosts", "priorities", "groups", "news", "mitre")

DASHBOARD = "index.md"
BUILD_REPORT = "build-report.md"
BUILD_REPORT_JSON = "build-report.json"
FEED = "feed.xml"
ATTACK = "mitre/index.md"
NEWS_INDEX = "news/index.md"
EXPORTS_INDEX = "exports/index.md"


def slugify(name: str) -> str:
    """Readable, safe part of a slug: ASCII lower-case words joined by ``-`` (may be empty)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_name.lower())
    return "-".join(words)[:_SLUG_MAX].strip("-")


def name_slug(name: str) -> str:
    """Stable, collision-free slug for a rule or host name: ``terminal-shell-in-container-1a2b3c4d``."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    readable = slugify(name)
    return f"{readable}-{digest}" if readable else digest


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
    return f"rules/{name_slug(name)}/index.md"


def host_page(name: str) -> str:
    return f"hosts/{name_slug(name)}/index.md"


def priority_page(priority: object) -> str:
    """Page of a :class:`~generator.read.models.Priority` (anything with a ``slug``)."""
    return f"priorities/{priority.slug}/index.md"  # type: ignore[attr-defined]


def group_page(group_id: str) -> str:
    return f"groups/{group_id}/index.md"


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


def absolute_url(site_path: str, site_url: str | None) -> str:
    """``site_path`` (no leading slash) under ``site_url`` when known, else site-relative."""
    return (site_url.rstrip("/") + "/" + site_path) if site_url else "/" + site_path


def permanent_url(page: str, site_url: str | None) -> str:
    """A page's permanent link: absolute under ``site_url`` when known, else site-relative."""
    return absolute_url(page_url(page), site_url)
