"""Publishing one run: build the new site beside the live one, index it, then swap it in.

The live site is never written: MkDocs builds into a staging folder (a hard-linked copy of the
live site for an incremental run, see :mod:`generator.publish.swap`), Pagefind indexes the
staged site, and only then does the swap make it live. Any failure before the swap leaves the
live site as it was and removes the staging folder.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.files import DocsWriter, atomic_write
from generator.pages.redirects import MARKER
from generator.publish import search, swap
from generator.publish.site import build_site
from generator.urls import AGGREGATE_TREES, FACETS_DIR, alert_download

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Published:
    mkdocs_runs: int
    mkdocs_seconds: float
    search_seconds: float


def publish_site(
    *,
    mkdocs_config: Path,
    docs_dir: Path,
    site_dir: Path,
    search_dir: Path,
    incremental: bool,
    pages: Sequence[str] | None,
    always: Sequence[str],
    removed_pages: Sequence[str],
    searchable: Sequence[str],
    site_url: str | None,
    workers: int,
    redirects: Mapping[str, str] | None = None,
    finished: Callable[[], Mapping[str, str]] | None = None,
) -> Published:
    """Build ``pages`` (None: the whole docs folder) into a staged copy, index it, swap it live.

    ``redirects`` (site path -> HTML, :mod:`generator.pages.redirects`) are written into the
    staged site after MkDocs: old URLs that must keep working. ``finished()`` gives files
    (site path -> text) written last, just before the swap: ``build.json`` with the duration
    of the whole build.
    """
    redirects = redirects or {}
    t = time.perf_counter()
    stage = swap.prepare_staging(site_dir, incremental=incremental)
    try:
        runs = build_site(
            config_file=mkdocs_config,
            docs_dir=docs_dir,
            site_dir=stage,
            files=pages,
            always=always,
            site_url=site_url,
            workers=workers,
        )
    except Exception:
        shutil.rmtree(stage, ignore_errors=True)  # the live site was never touched
        raise
    if incremental:
        _remove_orphan_html(stage, docs_dir, keep=redirects.keys())
        _remove_orphan_files(stage, docs_dir, FACETS_DIR)
    _write_redirects(stage, redirects)
    for page in removed_pages:
        shutil.rmtree(stage / page.removesuffix(".md"), ignore_errors=True)
        (stage / alert_download(page)).unlink(missing_ok=True)
    mkdocs_seconds = time.perf_counter() - t
    t = time.perf_counter()
    search.index_site(stage, search_dir, changed_pages=searchable, full=not incremental)
    search_seconds = time.perf_counter() - t
    if finished is not None:
        guard = DocsWriter(stage)
        for rel, text in finished().items():  # our own files (build.json): always replaced
            atomic_write(
                guard.resolve(rel), text.encode("utf-8")
            )  # a new inode: the live site keeps its copy
    swap.swap(site_dir)
    return Published(runs, mkdocs_seconds, search_seconds)


def _write_redirects(stage: Path, redirects: Mapping[str, str]) -> None:
    """Write the redirect pages whose bytes changed (new inodes: the stage shares the live site's).

    A file there that is not one of our redirects (no :data:`redirects.MARKER`) is a real page:
    it is kept, whatever the redirect table says (a redirect never shadows a page).
    """
    guard = DocsWriter(stage)
    for rel, text in redirects.items():
        path = guard.resolve(rel)
        data = text.encode("utf-8")
        try:
            existing = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            existing = None
        if existing == data:
            continue
        if existing is not None and MARKER.encode() not in existing[:200]:
            log.warning("%s is a page of this site; no redirect is written over it", rel)
            continue
        atomic_write(path, data)


def _remove_orphan_html(stage: Path, docs_dir: Path, keep: Collection[str] = ()) -> None:
    """Aggregate HTML whose Markdown is gone (a dirty MkDocs build never deletes pages), and a
    group's ``similar.json`` once the group is no longer repeated.

    Checked against the docs folder rather than this run's deletions, so pages removed by an
    earlier run that was killed before publishing are cleaned up too. The trees are small.
    """
    for tree in AGGREGATE_TREES:
        root = stage / tree
        if not root.is_dir():
            continue
        for data in root.glob("*/similar.json"):
            if not (docs_dir / data.relative_to(stage)).exists():
                data.unlink()
        for html_file in sorted(root.rglob("index.html"), reverse=True):
            rel = html_file.parent.relative_to(stage).as_posix()
            if f"{rel}/index.html" in keep:
                continue
            if not (docs_dir / rel / "index.md").exists() and not (docs_dir / f"{rel}.md").exists():
                html_file.unlink()
                with contextlib.suppress(OSError):
                    html_file.parent.rmdir()


def _remove_orphan_files(stage: Path, docs_dir: Path, tree: str) -> None:
    """Files of ``tree`` whose docs copy is gone: facet files of months (or ID chunks) that
    retention emptied must not stay in the site with the removed alerts' IDs. One file per
    month and its ID chunks: a small tree."""
    root = stage / tree
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not (docs_dir / path.relative_to(stage)).exists():
            path.unlink()
