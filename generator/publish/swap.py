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
import subprocess
import sys
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
            _remove_tree(prev)
        else:
            log.warning("Restoring the previous site from %s (an earlier run was interrupted)", prev)
            os.replace(prev, site)
    stage = staging_dir(site)
    if stage.exists():
        _remove_tree(stage)


def prepare_staging(site: Path, *, incremental: bool) -> Path:
    """A fresh staging folder: empty for a full build, a hard-linked copy for an incremental one.

    Every file is a hard link: whatever a build rewrites (MkDocs pages and assets, the Pagefind
    bundle) is unlinked first and written as a new inode (``site.py``, ``search.py``).
    """
    stage = staging_dir(site)
    if stage.exists():
        _remove_tree(stage)
    if not incremental or not site.exists():
        stage.mkdir(parents=True)
        return stage
    _link_tree(site, stage)
    return stage


def swap(site: Path) -> None:
    """Make the staging folder the live site."""
    stage = staging_dir(site)
    prev = previous_dir(site)
    if prev.exists():
        _remove_tree(prev)
    if site.exists():
        os.replace(site, prev)
    os.replace(stage, site)
    if prev.exists():
        _remove_tree(prev)


# A site of 100,000 alerts is ~330,000 files in ~120,000 folders. Copying it as hard links and
# deleting the old copy are the largest fixed costs of a nightly build, and GNU cp/rm do both
# several times faster than a Python loop (measured: link 15 s vs 21 s, delete 10 s vs 87 s).
_GNU = sys.platform.startswith("linux") and shutil.which("cp") is not None and shutil.which("rm") is not None


def _link_tree(src: Path, dst: Path) -> None:
    if _GNU:
        subprocess.run(["cp", "-al", "--", str(src), str(dst)], check=True)
        return
    for dirpath, _dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        target_dir = dst if rel == "." else dst / rel
        target_dir.mkdir(exist_ok=True)
        for name in filenames:
            os.link(os.path.join(dirpath, name), target_dir / name)


def _remove_tree(path: Path) -> None:
    if _GNU:
        subprocess.run(["rm", "-rf", "--", str(path)], check=True)
    else:
        shutil.rmtree(path)
