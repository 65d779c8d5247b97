"""The only module that talks to MkDocs: swap the engine (e.g. for Zensical) here alone.

MkDocs runs in-process through its Python API (``load_config`` + ``build``), which is what
``mkdocs build`` itself calls, so we can pass the docs and site folders and add one small
plugin object without touching the user's ``mkdocs.yml``.

Incremental builds use MkDocs' ``dirty`` mode: pages whose Markdown is older than their HTML
are skipped. That is only sound because our writer never touches an unchanged Markdown file and
because the navigation is static (alert pages are never in the nav). MkDocs warns about dirty
builds in general; we silence exactly that warning, so ``strict`` still fails on real ones.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

import yaml
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files

from .errors import SiteBuildError

log = logging.getLogger(__name__)


class _DirtyWarningFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "A 'dirty' build is being performed" not in record.getMessage()


class _BreakHardLinks(BasePlugin):  # type: ignore[type-arg]
    """Before MkDocs rewrites an output file, unlink it, so a new inode is written.

    The staging site of an incremental build is a hard-linked copy of the published one; writing
    into a shared inode would change the live site mid-build.
    """

    def on_files(self, files: Files, *, config: Any) -> Files:
        for file in files:
            if file.is_modified():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(file.abs_dest_path)
        return files


class _AnyTagLoader(yaml.SafeLoader):
    """Reads mkdocs.yml without executing its ``!!python/name:`` or ``!ENV`` tags."""


_AnyTagLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def mkdocs_site_url(config_file: Path) -> str | None:
    """``site_url`` from mkdocs.yml (for absolute permanent links), without loading plugins."""
    try:
        data = yaml.load(config_file.read_text("utf-8"), Loader=_AnyTagLoader)
    except (OSError, yaml.YAMLError):
        return None
    url = data.get("site_url") if isinstance(data, dict) else None
    return url if isinstance(url, str) and url else None


def build_site(
    *,
    config_file: Path,
    docs_dir: Path,
    site_dir: Path,
    dirty: bool,
    strict: bool = True,
    site_url: str | None = None,
) -> None:
    """Build the static site from ``docs_dir`` into ``site_dir`` (raises SiteBuildError)."""
    overrides: dict[str, Any] = {"docs_dir": str(docs_dir), "site_dir": str(site_dir), "strict": strict}
    if site_url is not None:
        overrides["site_url"] = site_url
    build_logger = logging.getLogger("mkdocs.commands.build")
    noise = _DirtyWarningFilter()
    try:
        cfg = load_config(str(config_file), **overrides)
        cfg.plugins["falco-archive-break-hardlinks"] = _BreakHardLinks()
        build_logger.addFilter(noise)
        mkdocs_build(cfg, dirty=dirty)
    except MkDocsException as exc:
        raise SiteBuildError(f"MkDocs failed: {exc}") from exc
    except (OSError, SystemExit) as exc:
        raise SiteBuildError(f"MkDocs failed: {exc}") from exc
    finally:
        build_logger.removeFilter(noise)


def serve(config_file: Path, docs_dir: Path, dev_addr: str | None = None) -> None:
    """Preview the built docs folder with MkDocs' live-reloading server."""
    from mkdocs.commands.serve import serve as mkdocs_serve

    kwargs: dict[str, Any] = {"docs_dir": str(docs_dir)}
    if dev_addr:
        kwargs["dev_addr"] = dev_addr
    mkdocs_serve(str(config_file), livereload=False, **kwargs)
