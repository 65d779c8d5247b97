"""Permanent, collision-free URLs for alerts, rules and hosts, and the one guarded writer.

Rule names and hostnames come from alerts, so they are hostile: a slug keeps only ``[a-z0-9-]``
for readability and always ends with a short hash of the exact name. Two names that slug alike
(``Foo``/``foo``, ``a/b``/``a b``, two 200-character names with one prefix) therefore never share
a page, and a name's URL never depends on which other names exist: it is the same in every
build, forever. Every write goes through :class:`DocsWriter`, which refuses paths outside its
root (pelican's ``sanitised_join``) and two writes to one file in a build.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from generator.errors import DuplicateOutputError, PathEscapeError

_SLUG_MAX = 48
_ID_RE = re.compile(
    r"[0-9a-f]{16}|u[0-9a-f]{16}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


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
    if not _ID_RE.fullmatch(alert_id):
        raise PathEscapeError(root="alerts/", relative=alert_id)
    return alert_id


def alert_page(alert_id: str, time_ns: int) -> str:
    """Docs-relative Markdown path of an alert: ``alerts/YYYY/MM/DD/<id>.md`` (UTC date)."""
    day = datetime.fromtimestamp(time_ns // 1_000_000_000, tz=UTC)
    return f"alerts/{day:%Y/%m/%d}/{check_alert_id(alert_id)}.md"


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
    are part of the same MkDocs run (``site.py`` builds in batches). Our own link check in the
    tests, not MkDocs, verifies that every one resolves.
    """
    return "../" * page_url(from_md).count("/") + page_url(to_md)


class DocsWriter:
    """Writes generated pages under one root, only when their bytes change.

    Unchanged pages keep their modification time: MkDocs converts a page only when its
    Markdown is newer than its HTML (``site.py``). ``written`` is every page this build
    rendered, ``kept`` every page it left as an earlier build wrote it; anything else in a
    generated folder is stale.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.written: set[str] = set()
        self.kept: set[str] = set()
        self.changed: list[str] = []
        self._folders: dict[str, Path] = {}

    def keep(self, relative: str) -> None:
        """``relative`` is still part of the site, unchanged since an earlier build."""
        if relative in self.written or relative in self.kept:
            raise DuplicateOutputError(path=self.root / relative)
        self.kept.add(relative)

    def resolve(self, relative: str) -> Path:
        if "\x00" in relative or relative.startswith(("/", "\\")) or ".." in relative.split("/"):
            raise PathEscapeError(root=self.root, relative=relative)
        folder, _, name = relative.rpartition("/")
        parent = self._folders.get(folder)
        if parent is None:
            parent = (self.root / folder).resolve()
            if not parent.is_relative_to(self.root):
                raise PathEscapeError(root=self.root, relative=relative)
            self._folders[folder] = parent
        target = parent / name
        if target.is_symlink() and not target.resolve().is_relative_to(self.root):
            raise PathEscapeError(root=self.root, relative=relative)
        return target

    def write(self, relative: str, content: str | bytes) -> bool:
        """Write ``content`` to ``relative``; returns True when the file changed."""
        if relative in self.written or relative in self.kept:
            raise DuplicateOutputError(path=self.root / relative)
        self.written.add(relative)
        target = self.resolve(relative)
        data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
        try:
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                return False
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
        # Not atomic on purpose: a page cut short by a killed run differs from what the next
        # run renders, so that run rewrites it.
        target.write_bytes(data)
        self.changed.append(relative)
        return True
