"""Publish a new site atomically: build beside the old one, then swap.

A run killed at any moment leaves the previous site whole: the new site is built in
``<site>.staging``; the swap renames the live site to ``<site>.previous`` and the staging folder
to ``<site>``, then deletes the previous one. If a run dies between the two renames, the next
run finds ``<site>.previous`` and no ``<site>`` and puts the previous site back first.

For an incremental build the staging folder starts as a hard-linked copy of the live site
(cheap even at 100,000 pages); MkDocs' rewritten files get new inodes (see ``site.py``), so the
live site is never written through a shared link.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)


def staging_dir(site: Path) -> Path:
    return site.with_name(site.name + ".staging")


def previous_dir(site: Path) -> Path:
    return site.with_name(site.name + ".previous")


def recover(site: Path) -> None:
    """Undo what a killed run left behind: restore a half-swapped site, drop stale staging."""
    prev = previous_dir(site)
    if prev.exists():
        if site.exists():
            shutil.rmtree(prev)
        else:
            log.warning("Restoring the previous site from %s (an earlier run was interrupted)", prev)
            os.replace(prev, site)
    stage = staging_dir(site)
    if stage.exists():
        shutil.rmtree(stage)


def prepare_staging(site: Path, *, incremental: bool) -> Path:
    """A fresh staging folder: empty for a full build, a hard-linked copy for an incremental one.

    Every file is a hard link: whatever a build rewrites (MkDocs pages and assets, the Pagefind
    bundle) is unlinked first and written as a new inode (``site.py``, ``search.py``).
    """
    stage = staging_dir(site)
    if stage.exists():
        shutil.rmtree(stage)
    if not incremental or not site.exists():
        stage.mkdir(parents=True)
        return stage
    for dirpath, _dirnames, filenames in os.walk(site):
        rel = os.path.relpath(dirpath, site)
        target_dir = stage if rel == "." else stage / rel
        target_dir.mkdir(exist_ok=True)
        for name in filenames:
            os.link(os.path.join(dirpath, name), target_dir / name)
    return stage


def swap(site: Path) -> None:
    """Make the staging folder the live site."""
    stage = staging_dir(site)
    prev = previous_dir(site)
    if prev.exists():
        shutil.rmtree(prev)
    if site.exists():
        os.replace(site, prev)
    os.replace(stage, site)
    if prev.exists():
        shutil.rmtree(prev)
