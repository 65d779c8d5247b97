"""Full-text search over the whole archive with Pagefind, indexed in bounded shards (issue 5).

Why shards: Pagefind's indexer holds the whole index in memory (measured here: ~140 MB per
1,000 alert pages, so 8,600 pages peaked at 1.2 GB; reported out of memory past ~30,000), has
no incremental mode, and a single index grows the metadata every query downloads. So the site
gets several independent Pagefind indexes under ``site/pagefind/``:

* ``pages/``: hand-written and aggregate pages (rules, hosts, priorities, dashboard...; not
  pagination pages, nor the per-incident ``groups/`` listings, which grow with the archive),
  plus the Pagefind runtime (``pagefind.js``, worker, WebAssembly) the browser loads once;
* one per contiguous time range of alert pages, named ``YYYY-MM-NN``: a month's days packed in
  order into shards of at most ``cap`` pages (a day with more than ``cap`` alerts is split by
  alert time). Packing is greedy from the first day of the month, so appending alerts (what a
  nightly build does) only changes the month's last shard or two; older shards keep their
  exact page set, their signature, and are not re-indexed;
* ``ids/<2 or 3 hex>.json``: alert ID -> day, so a pasted ID or uuid opens its alert directly;
* ``shards.json``: the shard list (newest first) and each shard's signature.

A shard is *dirty* when its signature (Pagefind version + its page list, or for ``pages`` the
pages' bytes) differs from the one recorded in the site being built, when the state folder
lists it as pending (a run that died mid-way), or when a changed alert page falls in it.
Existing alert pages that were re-rendered only because their prev/next links changed do not
dirty a shard: the indexed block (``search_meta.md.j2``) holds the alert's own text only.

Each dirty shard is indexed by the Pagefind CLI over a *view*: a scratch folder (in RAM when
``/dev/shm`` exists) holding exactly its pages at the same relative paths, so URLs are right.
For alert pages the view holds only the page's index block in a minimal HTML document, so
Pagefind parses ~3 KB instead of ~30 KB a page (about half the time); other pages are copied.
Pagefind writes to a fresh folder beside the site that then replaces the shard by a rename.
Nothing is written through an existing file, so a staging site that hard-links the live one
(``publish.prepare_staging``) never changes the live site.

The browser side (``overrides/assets/javascripts/fa-search.js``) opens shards newest first,
one at a time, and stops when a page of results is full or a metadata budget is spent.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from generator.errors import SearchIndexError
from generator.files import atomic_write
from generator.patterns import ALERT_ID
from generator.urls import alert_html

log = logging.getLogger(__name__)

FORMAT = 1
#: Most alert pages one Pagefind run indexes (memory and per-query metadata scale with it).
SHARD_CAP = 5_000
BUNDLE = "pagefind"
RUNTIME = "pages"
#: Hex digits naming an ID-table file: 256 files up to this many alerts (~20 KB each at the
#: limit), 4,096 files beyond, so one lookup stays a small download at any scale.
ID_PREFIX_SMALL_UNTIL = 250_000
#: Top-level site folders whose pages are not put in the ``pages`` shard. ``groups`` (one page
#: per run of repeated alerts) grows with the archive like ``alerts`` does, so indexing it there
#: would make every nightly run re-index thousands of pages; each of its alerts is indexed
#: (same text) and the group pages are listings, reached from rule and host pages.
_NOT_PAGES = {"alerts", "groups", BUNDLE, "search", "assets"}
_YEAR, _TWO = re.compile(r"\d{4}"), re.compile(r"\d{2}")
_PAGINATION = re.compile(r"page-\d+")
_SORT_TIME = re.compile(rb'data-pagefind-sort="time">([^<]*)<')
#: The index block of an alert page (search_meta.md.j2). Every value in it is entity-encoded,
#: so no value can contain "</div>": the first one after the inner div closes it, the next the
#: block.
_INDEX_BLOCK = re.compile(
    rb'<div class="fa-search-index" hidden data-pagefind-body>.*?'
    rb"<div data-pagefind-ignore>.*?</div>\s*</div>",
    re.S,
)
_HTML_LANG = re.compile(rb'<html[^>]*\slang="([A-Za-z0-9-]{1,35})"')
#: What a merged (non-runtime) shard needs; Pagefind also writes UI bundles we never load.
_SHARD_KEEP = {"pagefind-entry.json", "index", "filter", "fragment"}
_RUNTIME_KEEP = _SHARD_KEEP | {"pagefind.js", "pagefind-worker.js"}


@dataclass(frozen=True)
class Shard:
    """One Pagefind index: a name, the pages it holds and a signature of them."""

    name: str
    pages: tuple[str, ...]
    first: str = ""
    last: str = ""
    signature: str = ""


@dataclass
class ShardRun:
    """What indexing one shard cost."""

    name: str
    pages: int
    seconds: float
    peak_rss_bytes: int
    prepare_seconds: float = 0.0


@dataclass
class SearchReport:
    """What :func:`index_site` did and what it cost."""

    mode: str = "incremental"
    shards: int = 0
    alert_pages: int = 0
    other_pages: int = 0
    indexed: list[ShardRun] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    id_files_written: int = 0
    seconds: float = 0.0
    #: Where the time went: "plan" (list pages, hash the pages shard), "index" (views +
    #: Pagefind), "finish" (ID table, manifest, stale shards).
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def pages_indexed(self) -> int:
        return sum(run.pages for run in self.indexed)

    @property
    def peak_rss_bytes(self) -> int:
        return max((run.peak_rss_bytes for run in self.indexed), default=0)

    def as_json(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in asdict(self).items() if k != "indexed"},
            "indexed": [asdict(run) for run in self.indexed],
            "pages_indexed": self.pages_indexed,
            "peak_rss_bytes": self.peak_rss_bytes,
        }


# ---------------------------------------------------------------------------------------------
# What the site holds


def list_alert_pages(site_dir: Path) -> dict[str, list[str]]:
    """``{"YYYY/MM/DD": [id, ...]}`` from the folder tree alone: no page is read.

    Listing 100,000 folders takes a fraction of a second, which is what lets a nightly run
    find new and removed alerts without re-reading the archive.
    """
    days: dict[str, list[str]] = {}
    root = site_dir / "alerts"
    for year in _subdirs(root, _YEAR):
        for month in _subdirs(root / year, _TWO):
            for day in _subdirs(root / year / month, _TWO):
                ids = sorted(_subdirs(root / year / month / day, ALERT_ID))
                if ids:
                    days[f"{year}/{month}/{day}"] = ids
    return days


def _subdirs(path: Path, pattern: re.Pattern[str]) -> list[str]:
    try:
        entries = list(os.scandir(path))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(e.name for e in entries if pattern.fullmatch(e.name) and e.is_dir(follow_symlinks=False))


def list_other_pages(site_dir: Path) -> list[str]:
    """Hand-written and aggregate pages worth finding: not alerts, pagination or the 404 page."""
    pages: list[str] = []
    for dirpath, dirnames, filenames in os.walk(site_dir):
        rel_dir = Path(dirpath).relative_to(site_dir)
        if rel_dir == Path("."):
            dirnames[:] = [d for d in dirnames if d not in _NOT_PAGES]
        dirnames[:] = sorted(d for d in dirnames if not _PAGINATION.fullmatch(d))
        for name in sorted(filenames):
            if name.endswith(".html") and not (rel_dir == Path(".") and name == "404.html"):
                pages.append((rel_dir / name).as_posix())
    return sorted(pages)


# ---------------------------------------------------------------------------------------------
# Planning


def _pagefind_version() -> str:
    for dist in ("pagefind_bin_extended", "pagefind_bin", "pagefind"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


def _digest(parts: Iterable[str | bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:20]


def plan_alert_shards(
    days: dict[str, list[str]],
    cap: int,
    times: Callable[[str, list[str]], dict[str, str]],
    version: str = "",
) -> list[Shard]:
    """Pack each month's days, in order, into shards of at most ``cap`` pages, oldest first.

    A day that alone exceeds ``cap`` becomes several shards, split by alert time (``times``
    returns ``{id: sortable time}`` for a day: only such days are ever read). Shard ``k`` of a
    month depends only on the days up to its last one, so appending alerts leaves every earlier
    shard of the month, and every earlier month, exactly as it was.
    """
    if cap < 1:
        raise ValueError("cap must be at least 1")
    shards: list[Shard] = []
    by_month: dict[str, list[str]] = {}
    for day in sorted(days):
        by_month.setdefault(day[:7], []).append(day)
    for month, month_days in by_month.items():
        groups: list[list[tuple[str, str]]] = []
        current: list[tuple[str, str]] = []
        for day in month_days:
            ids = days[day]
            if len(ids) > cap:
                if current:
                    groups.append(current)
                    current = []
                when = times(day, ids)
                ordered = sorted(ids, key=lambda i: (when.get(i, ""), i))
                groups.extend([(day, i) for i in ordered[k : k + cap]] for k in range(0, len(ordered), cap))
                continue
            if current and len(current) + len(ids) > cap:
                groups.append(current)
                current = []
            current.extend((day, i) for i in ids)
        if current:
            groups.append(current)
        for n, group in enumerate(groups, start=1):
            pages = tuple(alert_html(day, i) for day, i in group)
            shards.append(
                Shard(
                    name=f"{month.replace('/', '-')}-{n:02d}",
                    pages=pages,
                    first=group[0][0].replace("/", "-"),
                    last=group[-1][0].replace("/", "-"),
                    signature=_digest([f"search {FORMAT} pagefind {version}", *pages]),
                )
            )
    return shards


def plan_pages_shard(site_dir: Path, version: str = "") -> Shard:
    """The shard of hand-written and aggregate pages; its signature covers their bytes."""
    pages = tuple(list_other_pages(site_dir))
    parts: list[str | bytes] = [f"search {FORMAT} pagefind {version}"]
    for page in pages:
        parts.append(page)
        parts.append(hashlib.sha256((site_dir / page).read_bytes()).digest())
    return Shard(name=RUNTIME, pages=pages, signature=_digest(parts))


class _DayTimes:
    """Alert times of over-full days, read from their pages once and cached in the state folder."""

    def __init__(self, site_dir: Path, cache_dir: Path) -> None:
        self.site_dir = site_dir
        self.cache_dir = cache_dir

    def __call__(self, day: str, ids: list[str]) -> dict[str, str]:
        path = self.cache_dir / (day.replace("/", "-") + ".json")
        try:
            cached = json.loads(path.read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            cached = {}
        when = {i: cached[i] for i in ids if isinstance(cached.get(i), str)}
        missing = [i for i in ids if i not in when]
        for alert_id in missing:
            try:
                match = _SORT_TIME.search((self.site_dir / alert_html(day, alert_id)).read_bytes())
            except FileNotFoundError:
                match = None
            when[alert_id] = html.unescape(match.group(1).decode("utf-8", "replace")) if match else ""
        if missing:
            atomic_write(path, json.dumps(when, sort_keys=True).encode())
        return when


# ---------------------------------------------------------------------------------------------
# Indexing


def index_site(
    site_dir: Path,
    work_dir: Path,
    changed_pages: Iterable[str] | None = None,
    full: bool = False,
    *,
    cap: int = SHARD_CAP,
) -> SearchReport:
    """(Re)build the search bundle ``site_dir/pagefind`` for the site in ``site_dir``.

    ``site_dir`` is the folder about to be published (the staging copy). ``changed_pages`` are
    docs-relative Markdown paths whose searchable content changed in this build; pass the pages
    of new alerts (they are found from the folder tree anyway), not pages re-rendered only for
    their prev/next links. ``full`` re-indexes everything. ``work_dir`` is the indexer's own
    folder of the state (``State.search_dir``). Raises :class:`SearchIndexError`.
    """
    t0 = time.perf_counter()
    report = SearchReport(mode="full" if full else "incremental")
    bundle = site_dir / BUNDLE
    version = _pagefind_version()
    if full:
        shutil.rmtree(bundle, ignore_errors=True)
        (work_dir / "pending.json").unlink(missing_ok=True)

    days = list_alert_pages(site_dir)
    report.alert_pages = sum(len(ids) for ids in days.values())
    alert_shards = plan_alert_shards(days, cap, _DayTimes(site_dir, work_dir / "times"), version)
    pages_shard = plan_pages_shard(site_dir, version)
    report.other_pages = len(pages_shard.pages)
    shards = [pages_shard, *alert_shards]
    report.shards = len(shards)

    published = _read_json(bundle / "shards.json")
    known = {
        s.get("name"): s.get("signature")
        for s in [published.get("pages") or {}, *published.get("alerts", [])]
    }
    pending = set(_read_json(work_dir / "pending.json").get("shards", []))
    touched = _shards_of(changed_pages or (), alert_shards)
    dirty = [
        s
        for s in shards
        if s.name in pending
        or s.name in touched
        or known.get(s.name) != s.signature
        or not (bundle / s.name / "pagefind-entry.json").exists()
    ]
    atomic_write(
        work_dir / "pending.json",
        json.dumps({"shards": sorted(pending | {s.name for s in dirty})}).encode(),
    )

    report.timings["plan"] = round(time.perf_counter() - t0, 3)
    t1 = time.perf_counter()
    work = site_dir.parent / f".{site_dir.name}.search-work"
    shutil.rmtree(work, ignore_errors=True)
    views = Path(tempfile.mkdtemp(prefix="falco-archive-search-", dir=_scratch_root()))
    try:
        for shard in dirty:
            run = _index_shard(site_dir, bundle, work, views, shard)
            if run is not None:
                report.indexed.append(run)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(views, ignore_errors=True)

    report.timings["index"] = round(time.perf_counter() - t1, 3)
    t1 = time.perf_counter()
    wanted = {s.name for s in shards} | {"ids"}
    if bundle.is_dir():
        for entry in sorted(bundle.iterdir()):
            if entry.is_dir() and entry.name not in wanted:
                shutil.rmtree(entry)
                report.removed.append(entry.name)
    prefix = id_prefix(report.alert_pages)
    report.id_files_written = write_id_table(bundle / "ids", days, prefix)
    manifest = {
        "format": FORMAT,
        "pagefind": version,
        "runtime": RUNTIME,
        "pages": _shard_entry(pages_shard, bundle),
        "alerts": [_shard_entry(s, bundle) for s in reversed(alert_shards)],
        "ids": {"prefix": prefix, "count": report.alert_pages},
    }
    atomic_write(bundle / "shards.json", json.dumps(manifest, indent=1).encode())
    report.timings["finish"] = round(time.perf_counter() - t1, 3)
    report.seconds = round(time.perf_counter() - t0, 3)
    atomic_write(work_dir / "last-run.json", json.dumps(report.as_json(), indent=1, sort_keys=True).encode())
    (work_dir / "pending.json").unlink(missing_ok=True)
    log.info(
        "Search: %d of %d shards indexed (%d pages) in %.1f s, peak RSS %.0f MB",
        len(report.indexed),
        report.shards,
        report.pages_indexed,
        report.seconds,
        report.peak_rss_bytes / 1e6,
    )
    return report


def _shard_entry(shard: Shard, bundle: Path) -> dict[str, Any]:
    """A shard as the browser sees it; ``meta`` is what opening it costs (its metadata file)."""
    meta = sum(p.stat().st_size for p in (bundle / shard.name).glob("*.pf_meta"))
    return {
        "name": shard.name,
        "first": shard.first,
        "last": shard.last,
        "pages": len(shard.pages),
        "meta": meta,
        "signature": shard.signature,
    }


def _shards_of(changed_pages: Iterable[str], shards: list[Shard]) -> set[str]:
    """Alert shards holding any of ``changed_pages`` (docs-relative ``alerts/.../<id>.md``)."""
    wanted = set()
    for page in changed_pages:
        if page.startswith("alerts/") and page.endswith(".md"):
            wanted.add(page.removesuffix(".md") + "/index.html")
    if not wanted:
        return set()
    return {s.name for s in shards if not wanted.isdisjoint(s.pages)}


def _scratch_root() -> str | None:
    """Where views go: RAM-backed /dev/shm when there is one (views are small, ~3 KB a page,
    and are created and deleted once per page per run), else the system temporary folder."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _index_shard(site_dir: Path, bundle: Path, work: Path, views: Path, shard: Shard) -> ShardRun | None:
    """Run Pagefind over exactly ``shard.pages`` and put the result at ``bundle/<name>``.

    Pagefind's output is written beside the site (``work``) so it can be renamed into place.
    """
    target = bundle / shard.name
    if not shard.pages:
        shutil.rmtree(target, ignore_errors=True)
        return None
    view = views / shard.name
    out = work / shard.name
    t = time.perf_counter()
    for page in shard.pages:
        dest = view / page
        dest.parent.mkdir(parents=True, exist_ok=True)
        if shard.name == RUNTIME or not _write_index_block(site_dir / page, dest):
            shutil.copyfile(site_dir / page, dest)
    prepare = time.perf_counter() - t
    t = time.perf_counter()
    rss = _run_pagefind(view, out)
    seconds = time.perf_counter() - t
    keep = _RUNTIME_KEEP if shard.name == RUNTIME else _SHARD_KEEP
    for entry in out.iterdir():
        if (
            entry.name in keep
            or entry.name.endswith(".pf_meta")
            or (shard.name == RUNTIME and entry.name.startswith("wasm."))
        ):
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    bundle.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(out, target)
    shutil.rmtree(view, ignore_errors=True)
    log.debug(
        "Indexed shard %s: %d pages in %.1f s, peak RSS %.0f MB",
        shard.name,
        len(shard.pages),
        seconds,
        rss / 1e6,
    )
    return ShardRun(shard.name, len(shard.pages), round(seconds, 3), rss, round(prepare, 3))


def _write_index_block(page: Path, dest: Path) -> bool:
    """Write just the index block of an alert page as a page of its own; False if it has none."""
    data = page.read_bytes()
    block = _INDEX_BLOCK.search(data)
    if block is None:
        return False
    lang = _HTML_LANG.search(data, 0, 2048)
    head = b'<!doctype html><html lang="' + (lang.group(1) if lang else b"en") + b'">'
    dest.write_bytes(head + b'<head><meta charset="utf-8"></head><body>' + block.group(0) + b"</body></html>")
    return True


#: Runs Pagefind as a grandchild and reports its peak RSS. Linux folds the memory high-water
#: mark of a process's image before ``exec`` into its ``ru_maxrss``, and a child starts as a
#: copy of its parent: measured directly, Pagefind would "use" as much as the (large) build
#: process that started it. From this small intermediate process the figure is Pagefind's own.
_MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call([sys.executable, '-m', 'pagefind', *sys.argv[1:]])\n"
    "print('falco-archive-maxrss-kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(code)\n"
)


def _run_pagefind(site: Path, out: Path) -> int:
    """Run the Pagefind CLI; returns its peak resident memory in bytes (Linux ``ru_maxrss``)."""
    args = ["--site", str(site), "--output-path", str(out), "--silent"]
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _MEASURE, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
        )
    except OSError as exc:
        raise SearchIndexError(f"Cannot run Pagefind: {exc}") from exc
    text = proc.stdout.decode("utf-8", "replace")
    found = re.search(r"^falco-archive-maxrss-kb (\d+)$", text, re.M)
    if proc.returncode != 0 or not (out / "pagefind-entry.json").exists():
        detail = text.replace(found.group(0), "").strip()[-2000:] if found else text.strip()[-2000:]
        raise SearchIndexError(
            f"Pagefind failed (exit {proc.returncode}) indexing {site}: {detail or 'no output'}. "
            "Is the 'pagefind[extended]' package installed?"
        )
    return int(found.group(1)) * 1024 if found else 0


# ---------------------------------------------------------------------------------------------
# Alert ID lookup


def id_prefix(alerts: int) -> int:
    return 2 if alerts <= ID_PREFIX_SMALL_UNTIL else 3


def id_bucket(alert_id: str, prefix: int) -> str:
    """The file an ID is listed in: its first hex digits (after the ``u`` of hashed uuids)."""
    return alert_id.removeprefix("u")[:prefix]


def write_id_table(root: Path, days: dict[str, list[str]], prefix: int) -> int:
    """``root/<bucket>.json`` = ``{id: "YYYY/MM/DD"}``; writes only files whose bytes change."""
    buckets: dict[str, dict[str, str]] = {}
    for day, ids in days.items():
        for alert_id in ids:
            buckets.setdefault(id_bucket(alert_id, prefix), {})[alert_id] = day
    written = 0
    root.mkdir(parents=True, exist_ok=True)
    for name, table in buckets.items():
        path = root / f"{name}.json"
        data = json.dumps(dict(sorted(table.items())), separators=(",", ":")).encode()
        try:
            if path.read_bytes() == data:
                continue
        except FileNotFoundError:
            pass
        atomic_write(path, data)
        written += 1
    for stale in root.glob("*.json"):
        if stale.stem not in buckets:
            stale.unlink()
            written += 1
    return written


# ---------------------------------------------------------------------------------------------
# Small helpers


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
