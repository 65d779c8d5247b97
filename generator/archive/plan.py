"""The plan of one run: which inputs are new, what the archive holds after them, what to render.

Everything here is decided from the state and the alerts folder before any page is written
(mkdocs: "first gather all data from all files/pages to ensure all data is consistent across
all pages"). A full build is the same plan over an empty archive.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from generator.archive import aggregate
from generator.archive.catalog import COMPACT_COLUMNS, empty_frame, month_of
from generator.archive.ingest import IngestResult, file_digest, ingest, rows_frame
from generator.archive.news import BuildNews
from generator.archive.state import State
from generator.read.limits import DEFAULT_LIMITS, InputLimits
from generator.read.readers import InputFile, Problem, discover
from generator.read.redact import Redactor
from generator.urls import place_names

_DAY_NS = 86_400 * 1_000_000_000


@dataclass(frozen=True)
class Start:
    """How this run begins: incrementally from the state, or over from an empty archive.

    ``catch_up``: after a full start, a run killed while it wrote pages, or a run without
    MkDocs, every aggregate page is rendered and MkDocs looks at the whole docs folder once.
    """

    incremental: bool
    catch_up: bool
    before: pd.DataFrame
    build_number: int
    #: What the merge starts from: ``before`` for an incremental run or a repair, else nothing.
    archive: pd.DataFrame


def start(state: State, fingerprint: str, *, full: bool, site_exists: bool, run_mkdocs: bool) -> Start:
    """Decide incremental or full; a full start resets the state (build history is kept).

    A damaged catalog month (:meth:`State.read_month`) makes a *repair*: the other months are
    kept, every input still present is read again (what the damaged month held comes back
    from them) and every page is rendered, instead of stopping every build until someone
    deletes the state (which would lose alerts whose input files were rotated away).
    """
    meta = state.meta()
    incremental = not full and state.usable_for(fingerprint) and (site_exists or not run_mkdocs)
    # What the archive held before this build, for "what's new" (even across a full rebuild).
    damaged = len(state.damaged)
    before = state.read_compact() if meta.get("complete") else empty_frame()[COMPACT_COLUMNS]
    try:
        number = int(meta.get("build_number", 0))
    except (TypeError, ValueError):
        number = max((n.number for n in state.news_history()), default=0)
    if incremental and len(state.damaged) > damaged:
        state.forget_inputs()
        return Start(False, True, before, number, before)
    if not incremental:
        state.reset()
    catch_up = not incremental or state.render_was_interrupted() or not meta.get("published", False)
    return Start(incremental, catch_up, before, number, before if incremental else before.iloc[0:0])


@dataclass
class Inputs:
    """The alerts folder as this run sees it."""

    files: list[InputFile]
    to_read: list[InputFile]
    #: What the state records of every input file (size, mtime, sha256) after this run.
    record: dict[str, dict[str, Any]]
    passed_over: list[Problem]


def find_inputs(alerts_dir: Path, known: dict[str, dict[str, Any]]) -> Inputs:
    """Every input file, and which of them are new or changed since they were last read.

    A file with the size and mtime recorded last time is not opened; one whose bytes hash to
    the recorded digest (touched, copied) is not read again.
    """
    files, passed_over = discover(alerts_dir)
    record: dict[str, dict[str, Any]] = {}
    to_read: list[InputFile] = []
    for file in files:
        seen = known.get(file.display)
        entry: dict[str, Any] = {"size": file.size, "mtime_ns": file.mtime_ns}
        if seen and seen.get("size") == file.size and seen.get("mtime_ns") == file.mtime_ns:
            record[file.display] = seen
            continue
        try:
            digest = file_digest(file)
        except OSError as exc:
            passed_over.append(Problem(file.display, 0, f"cannot read file: {exc.strerror or exc}"))
            continue
        entry["sha256"] = digest
        record[file.display] = entry
        if seen and seen.get("sha256") == digest:
            continue
        to_read.append(file)
    return Inputs(files, to_read, record, passed_over)


def read_inputs(
    inputs: Inputs,
    redactor: Redactor,
    on_file: Callable[[InputFile], None],
    id_key: bytes | None = None,
    limits: InputLimits = DEFAULT_LIMITS,
    now_ns: int | None = None,
    published: pd.DataFrame | None = None,
) -> IngestResult:
    """Read, validate and redact the new input files (see :mod:`generator.archive.ingest`).

    ``published``: the archive before this build; its alerts keep their pages even if their
    time is no longer accepted (a URL once published never breaks).
    """
    ids: frozenset[str] | None = None

    def was_published(alert_id: str) -> bool:
        # Built on the first out-of-time alert only: a nightly build stays proportional to new alerts.
        nonlocal ids
        if ids is None:
            ids = frozenset(published["id"]) if published is not None and len(published) else frozenset()
        return alert_id in ids

    return ingest(
        inputs.to_read,
        redactor,
        on_file=on_file,
        id_key=id_key,
        limits=limits,
        now_ns=now_ns,
        was_published=was_published,
    )


def legacy_names(meta: dict[str, Any], before: pd.DataFrame) -> dict[str, list[str]]:
    """Rule and host names an archive from before 0.2 published under 8-digit slugs.

    ``meta`` is the state's record of the last build: one without ``slug_hex`` was made by a
    version whose slugs had 8 hex digits, so every name in its archive had such a URL (and
    tickets may link to it). Names archived since never had one (see State.legacy_names).
    """
    if meta.get("slug_hex") or not len(before):
        return {}
    return {"rule": sorted(set(before["rule"])), "host": sorted(set(before["host"]))}


def legacy_aliases(result: IngestResult, before: pd.DataFrame, catalog: pd.DataFrame) -> dict[str, str]:
    """Old alert page -> new page, for redacted alerts whose old (plain-hash) ID was published.

    Before 0.2 an alert redaction changed was identified by a plain hash of what was read; its
    page was published under that ID and tickets may link to it. The old ID is known to the
    world already, so its URL keeps working as a redirect; IDs never published are not revealed.
    """
    if not result.legacy_ids or not len(before):
        return {}
    published = set(before["id"])
    page_of = dict(zip(catalog["id"], catalog["page"], strict=True))
    out: dict[str, str] = {}
    for new_id, old_id in result.legacy_ids.items():
        page = page_of.get(new_id)
        if old_id in published and page is not None:
            out[f"{page.rpartition('/')[0]}/{old_id}.md"] = page
    return out


@dataclass
class Merge:
    """The archive after this run: the catalog, what is new in it, what retention removed."""

    catalog: pd.DataFrame
    #: New alerts with their raw JSON (every catalog column).
    new: pd.DataFrame
    #: Read alerts the archive already held.
    already_archived: int
    removed: pd.DataFrame
    links: pd.DataFrame
    #: Alerts whose page must be (re)rendered: new ones and those whose neighbours changed.
    render_ids: set[str] = field(default_factory=set)

    @property
    def removed_ids(self) -> set[str]:
        return set(self.removed["id"])

    @property
    def removed_pages(self) -> list[str]:
        return list(self.removed["page"])


def merge(
    archive: pd.DataFrame,
    result: IngestResult,
    old_links: pd.DataFrame | None,
    keep_days: int | None,
    now_ns: int | None = None,
    *,
    received: int = 0,
    received_before: pd.DataFrame | None = None,
) -> Merge:
    """Add this run's rows to ``archive``, apply retention, and find the pages to re-render.

    ``old_links`` are the neighbours recorded by the last run (None: render every page).
    ``received`` is when this build started (ns), stored with each new alert: "latest" lists
    and the feed never rank an alert as newer than that (see ``aggregate.latest_first``). On a
    full rebuild, ``received_before`` (the archive before it) keeps when alerts first arrived.
    """
    new = rows_frame(result.rows)
    result.rows.clear()  # the frame holds them now; a full build would keep two copies
    new["received"] = received
    if received_before is not None and len(received_before) and len(new):
        first = pd.Series(received_before["received"].to_numpy(), index=received_before["id"].to_numpy())
        first = first[~first.index.duplicated()]
        new["received"] = new["id"].map(first).fillna(received)
    new["received"] = new["received"].astype("int64")
    already = new["id"].isin(archive["id"]) if len(archive) else pd.Series(False, index=new.index)
    new = new[~already.to_numpy()]
    catalog = (
        pd.concat([archive, new[COMPACT_COLUMNS]], ignore_index=True)
        if len(archive)
        else new[COMPACT_COLUMNS].copy()
    )
    removed = catalog.iloc[0:0]
    if keep_days is not None and len(catalog):
        now_ns = int(time.time() * 1e9) if now_ns is None else now_ns
        old = catalog["time_ns"] < now_ns - keep_days * _DAY_NS
        removed = catalog[old]
        catalog = catalog[~old].reset_index(drop=True)
        new = new[~new["id"].isin(set(removed["id"]))]
    links = aggregate.neighbours(catalog)
    previous = links.iloc[0:0] if old_links is None else old_links
    both = links.merge(previous, on="id", how="left", suffixes=("", "_old"))
    moved = both[(both["prev_id"] != both["prev_id_old"]) | (both["next_id"] != both["next_id_old"])]
    return Merge(
        catalog=catalog,
        new=new,
        already_archived=int(already.sum()),
        removed=removed,
        links=links,
        # No record of the last run's neighbours (a full build, a repair): render every page.
        render_ids=set(catalog["id"]) if old_links is None else set(new["id"]) | set(moved["id"]),
    )


@dataclass(frozen=True, slots=True)
class AlertJob:
    """One alert page to (re)render: the alert's redacted JSON and its neighbours' page paths."""

    id: str
    page: str
    raw: str
    prev_page: str | None
    next_page: str | None


def alert_jobs(merged: Merge, state: State) -> list[AlertJob]:
    """The alert pages to render, in ID order; raw JSON of archived ones read from the state."""
    catalog, links = merged.catalog, merged.links
    page_of = dict(zip(catalog["id"], catalog["page"], strict=True))
    link_of = {
        rec.id: (rec.prev_id, rec.next_id) for rec in links[links["id"].isin(merged.render_ids)].itertuples()
    }
    raw_of = dict(zip(merged.new["id"], merged.new["raw"], strict=True))
    missing = merged.render_ids - raw_of.keys()
    if missing:
        by_month: dict[str, list[str]] = {}
        sub = catalog[catalog["id"].isin(missing)]
        for aid, month in zip(sub["id"], month_of(sub["time_ns"]), strict=True):
            by_month.setdefault(month, []).append(aid)
        raw_of.update(state.read_raw(by_month))
    jobs = []
    for aid in sorted(merged.render_ids):
        prev_id, next_id = link_of.get(aid, ("", ""))
        jobs.append(AlertJob(aid, page_of[aid], raw_of[aid], page_of.get(prev_id), page_of.get(next_id)))
    return jobs


@dataclass
class SetAside:
    """Alerts taken out of a build because their page could not be rendered."""

    #: New alerts quarantined (file, line, reason).
    problems: list[Problem]
    #: Archived alerts whose earlier page was kept.
    notes: list[str]
    #: Docs paths of the quarantined alerts' pages (removed, should any be half-written).
    pages: list[str]


def set_aside(merged: Merge, failed: dict[str, str]) -> SetAside:
    """Take alerts whose page could not be rendered out of this build; the rest goes on.

    A new alert is quarantined like a record that failed validation: named with its file and
    line (``origin``) and the reason, counted, and removed from the catalog before any
    aggregate page, feed or export is written; its neighbours' links are recomputed and
    ``render_ids`` becomes the alerts whose links changed (render those again). An alert
    archived by an earlier build keeps its published page as it was (its URL must not break);
    a note says so.
    """
    catalog = merged.catalog
    new_ids = set(merged.new["id"])
    drop = {aid for aid in failed if aid in new_ids}
    rows = catalog[catalog["id"].isin(drop)]
    problems = []
    for aid, origin in zip(rows["id"], rows["origin"], strict=True):
        path, _, line = str(origin).rpartition(":")
        reason = f"its page could not be rendered ({failed[aid]}); the alert is not published"
        problems.append(Problem(path or str(origin), int(line) if line.isdigit() else 0, reason))
    notes = [
        f"alert {aid}: its page could not be rendered again ({reason}); the page published "
        "earlier is kept as it was"
        for aid, reason in sorted(failed.items())
        if aid not in drop
    ]
    if drop:
        merged.catalog = catalog[~catalog["id"].isin(drop)].reset_index(drop=True)
        merged.new = merged.new[~merged.new["id"].isin(drop)]
        old = merged.links
        merged.links = aggregate.neighbours(merged.catalog)
        both = merged.links.merge(old, on="id", how="left", suffixes=("", "_old"))
        moved = both[(both["prev_id"] != both["prev_id_old"]) | (both["next_id"] != both["next_id_old"])]
        merged.render_ids = set(moved["id"]) - set(failed)
    else:
        merged.render_ids = set()
    return SetAside(problems, notes, list(rows["page"]))


def place(catalog: pd.DataFrame, history: list[BuildNews]) -> list[str]:
    """Give every rule and host of the archive its own page before any page is written.

    Slugs carry 64 bits of hash; a pair of chosen names can still collide, and the guarded
    writer would then refuse the second page and stop the build. :func:`urls.place_names`
    resolves such pairs, the name archived first keeping its URL (first builds from the build
    history, which survives full rebuilds). Returns a note per resolved collision.
    """
    notes: list[str] = []
    for column, tree, listed in (("rule", "rules", "new_rules"), ("host", "hosts", "new_hosts")):
        first_seen: dict[str, int] = {}
        for record in history:
            for name in getattr(record, listed):
                first_seen.setdefault(name, record.number)
        names = catalog[column].unique().tolist() if len(catalog) else []
        notes += place_names(tree, names, first_seen)
    return notes
