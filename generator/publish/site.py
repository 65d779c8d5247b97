"""The only module that talks to MkDocs: swap the engine (e.g. for Zensical) here alone.

MkDocs runs in-process through its Python API (``load_config`` + ``build``), which is what
``mkdocs build`` itself calls, so we can pass the docs and site folders and add one small
plugin object without touching the user's ``mkdocs.yml``. Every run puts the package's theme
overrides (:data:`generator.publish.packaged.THEME_DIR`) on the theme's template path, below the
user's own ``custom_dir``, so no configuration has to know where the package is installed.

Two limits of one ``mkdocs build`` over a whole archive shape this module:

* **Memory.** MkDocs converts every page of a run and keeps its HTML until the run ends
  (anchor validation): ~100 KB per page, 10 GB at 100,000 alerts. So pages are built in
  *batches* of at most :data:`BATCH_PAGES`, each one MkDocs run, two at a time (one per core).
* **Nightly cost.** Even in ``dirty`` mode MkDocs walks, stats and builds a ``Page`` for every
  file of its docs folder. So each batch runs over a *view*: a scratch folder of hard links
  holding only the batch's files, the navigation pages and the hand-written files. A nightly
  run's MkDocs cost is then proportional to the pages it changed, not to the archive.

That works because generated pages link to each other by final URL (``paths.url_link``), so a
page converts the same whether or not its link targets are in the batch (the output is
byte-identical to a single run over everything: tested), and because the navigation is static
(alert pages are never in the nav). Every batch runs in MkDocs' ``dirty`` mode into the kept
site folder: a page is converted when its Markdown is newer than its HTML, so a page written
by an earlier run that was killed before publishing is still picked up. MkDocs warns about
dirty builds in general; we silence exactly that warning, so ``strict`` still fails on real
ones. MkDocs' ``sitemap.xml`` is removed: a batch only knows its own pages, and an internal
alert archive has no use for a list of every alert URL for crawlers.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import MkDocsException
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files

from generator.errors import SiteBuildError
from generator.publish.packaged import THEME_DIR

log = logging.getLogger(__name__)

#: Pages per MkDocs run: ~100 KB of MkDocs memory each, so two runs at once stay near 1 GB.
BATCH_PAGES = 3000
#: Below this, a second MkDocs run costs more (config, theme, nav) than it saves.
MIN_BATCH_PAGES = 300
#: Not a page of the published site (see the module docstring).
_DROPPED = ("sitemap.xml", "sitemap.xml.gz")


class _DirtyWarningFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "A 'dirty' build is being performed" not in record.getMessage()


class _BreakHardLinks(BasePlugin):  # type: ignore[type-arg,no-untyped-call]
    """Before MkDocs rewrites an output file, unlink it, so a new inode is written.

    The staging site of an incremental build is a hard-linked copy of the published one; writing
    into a shared inode would change the live site mid-build.
    """

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        for name in config.theme.static_templates:
            for path in (Path(config.site_dir) / name, Path(config.site_dir) / f"{name}.gz"):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def on_files(self, files: Files, *, config: Any) -> Files:
        for file in files:
            if file.is_modified():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(file.abs_dest_path)
        return files


class _AnyTagLoader(yaml.SafeLoader):  # type: ignore[misc]
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


def _read_yaml(config_file: Path) -> dict[str, Any]:
    try:
        data = yaml.load(config_file.read_text("utf-8"), Loader=_AnyTagLoader)
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


#: Marks a ``site_url`` that ``falco-archive init`` left for the user to fill in.
SITE_URL_TODO = "TODO(falco-archive): site_url"


def site_url_is_todo(config_file: Path) -> bool:
    """The configuration still has the ``site_url`` placeholder that ``init`` wrote."""
    try:
        return SITE_URL_TODO in config_file.read_text("utf-8")
    except OSError:
        return False


def custom_dir(config_file: Path) -> Path | None:
    """The user's own theme overrides (``theme.custom_dir``), resolved as MkDocs does."""
    theme = _read_yaml(config_file).get("theme")
    folder = theme.get("custom_dir") if isinstance(theme, dict) else None
    return config_file.parent / folder if isinstance(folder, str) and folder else None


def _add_package_theme(cfg: MkDocsConfig) -> None:
    """Put falco-archive's theme overrides under the user's ``custom_dir`` (if any), above the theme."""
    dirs = cfg.theme.dirs
    if str(THEME_DIR) not in dirs:
        dirs.insert(1 if cfg.theme.custom_dir else 0, str(THEME_DIR))


def _nav_pages(nav: Any) -> Iterator[str]:
    """Docs-relative paths of the Markdown pages named in mkdocs.yml's ``nav``."""
    if isinstance(nav, str):
        if nav.endswith(".md") and "://" not in nav:
            yield nav
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from _nav_pages(value)
    elif isinstance(nav, list):
        for item in nav:
            yield from _nav_pages(item)


def _all_files(docs_dir: Path) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(docs_dir):
        dirnames.sort()
        rel = os.path.relpath(dirpath, docs_dir)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        out += [prefix + name for name in sorted(filenames)]
    return out


def batches(files: Iterable[str], size: int) -> tuple[list[str], list[list[str]]]:
    """Split files into runs of at most ``size`` Markdown pages, plus the files of every run.

    A file that shares its name with a page (an alert's ``.json`` download, which its page
    links to) goes with that page. Any other file (exports, feed, build report JSON) may be
    linked from any page, so it is part of every run; there are only a handful.
    """
    by_stem: dict[str, list[str]] = {}
    for path in sorted(set(files)):
        by_stem.setdefault(path.rpartition(".")[0] or path, []).append(path)
    loose: list[str] = []
    out: list[list[str]] = [[]]
    pages = 0
    for stem in sorted(by_stem):
        group = by_stem[stem]
        if not any(path.endswith(".md") for path in group):
            loose += group
            continue
        if pages == size:
            out.append([])
            pages = 0
        pages += 1
        out[-1] += group
    return loose, [batch for batch in out if batch]


def _make_view(docs_dir: Path, view: Path, files: Iterable[str]) -> None:
    """A docs folder holding only ``files``: hard links, so modification times are kept."""
    made: set[str] = set()
    for rel in files:
        parent = rel.rpartition("/")[0]
        if parent not in made:
            (view / parent).mkdir(parents=True, exist_ok=True)
            made.add(parent)
        src, dst = docs_dir / rel, view / rel
        try:
            os.link(src, dst)
        except FileExistsError:
            pass
        except OSError:  # another file system: a copy keeps the modification time too
            shutil.copy2(src, dst)


def _run_mkdocs(
    config_file: Path, docs_dir: Path, site_dir: Path, strict: bool, site_url: str | None
) -> None:
    # Absolute: MkDocs resolves relative folders against the configuration file's folder, which
    # for the packaged default is inside the installed package.
    overrides: dict[str, Any] = {
        "docs_dir": str(docs_dir.absolute()),
        "site_dir": str(site_dir.absolute()),
        "strict": strict,
    }
    if site_url is not None:
        overrides["site_url"] = site_url
    build_logger = logging.getLogger("mkdocs.commands.build")
    noise = _DirtyWarningFilter()
    try:
        cfg = load_config(str(config_file), **overrides)
        _add_package_theme(cfg)
        cfg.plugins["falco-archive-break-hardlinks"] = _BreakHardLinks()
        build_logger.addFilter(noise)
        mkdocs_build(cfg, dirty=True)
    except (MkDocsException, OSError, SystemExit) as exc:
        raise SiteBuildError(f"MkDocs failed: {exc}") from exc
    finally:
        build_logger.removeFilter(noise)


_JOB: dict[str, Any] = {}


def _run_batch(index: int) -> None:
    job = _JOB
    view = job["views"] / str(index)
    _make_view(job["docs_dir"], view, [*job["shell"], *job["batches"][index]])
    try:
        _run_mkdocs(job["config_file"], view, job["site_dir"], job["strict"], job["site_url"])
    finally:
        shutil.rmtree(view, ignore_errors=True)


def build_site(
    *,
    config_file: Path,
    docs_dir: Path,
    site_dir: Path,
    files: Sequence[str] | None = None,
    always: Sequence[str] = (),
    strict: bool = True,
    site_url: str | None = None,
    workers: int = 1,
) -> int:
    """Build ``files`` (docs-relative paths; ``None``: all of ``docs_dir``) into ``site_dir``.

    ``site_dir`` keeps what is already there: an empty folder for a full build, a hard-linked
    copy of the published site for a nightly one. ``always`` are files every batch needs (the
    hand-written pages and assets); the nav pages are added from mkdocs.yml. Batches after the
    first run ``workers`` at a time. Returns the number of MkDocs runs; raises SiteBuildError.
    """
    try:
        nav = yaml.load(config_file.read_text("utf-8"), Loader=_AnyTagLoader) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SiteBuildError(f"cannot read {config_file}: {exc}") from exc
    shell = sorted(set(always) | {p for p in _nav_pages(nav.get("nav")) if (docs_dir / p).is_file()})
    skip = set(shell)
    wanted = [f for f in (_all_files(docs_dir) if files is None else files) if f not in skip]
    # Enough batches to keep every core busy, none so small that loading the theme dominates.
    page_count = sum(1 for f in wanted if f.endswith(".md"))
    size = min(BATCH_PAGES, max(MIN_BATCH_PAGES, -(-page_count // max(1, workers))))
    loose, todo = batches(wanted, size)
    shell += loose
    # With several batches, a first run of the shell alone copies the theme's assets, so the
    # parallel runs after it find them up to date instead of writing them at the same time.
    runs = [[], *todo] if len(todo) > 1 else todo or [[]]
    views = docs_dir.with_name(docs_dir.name + ".views")
    shutil.rmtree(views, ignore_errors=True)
    _JOB.update(
        config_file=config_file,
        docs_dir=docs_dir,
        site_dir=site_dir,
        strict=strict,
        site_url=site_url,
        views=views,
        shell=shell,
        batches=runs,
    )
    try:
        _run_batch(0)
        rest = range(1, len(runs))
        if workers <= 1 or len(rest) <= 1:
            for index in rest:
                _run_batch(index)
        else:
            context = multiprocessing.get_context("fork")
            with context.Pool(min(workers, len(rest)), maxtasksperchild=1) as pool:
                for _ in pool.imap_unordered(_run_batch, rest):
                    pass
    finally:
        _JOB.clear()
        shutil.rmtree(views, ignore_errors=True)
    for name in _DROPPED:
        (site_dir / name).unlink(missing_ok=True)
    return len(runs)


def serve(config_file: Path, docs_dir: Path, dev_addr: str | None = None) -> None:
    """Preview the built docs folder with MkDocs' live-reloading server."""
    from mkdocs.commands.serve import serve as mkdocs_serve

    kwargs: dict[str, Any] = {"docs_dir": str(docs_dir)}
    theme = _read_yaml(config_file).get("theme")
    if isinstance(theme, dict) and not theme.get("custom_dir"):
        # MkDocs' server loads the configuration itself: the package theme goes in as custom_dir.
        kwargs["theme"] = {**theme, "custom_dir": str(THEME_DIR)}
    if dev_addr:
        kwargs["dev_addr"] = dev_addr
    mkdocs_serve(str(config_file), livereload=False, **kwargs)
