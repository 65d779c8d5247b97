"""The archive's memory between builds: the one owner of the state folder.

A nightly job keeps the state folder (default ``.falco-archive/``) in its CI cache. With it, a
build reads only new or changed input files and renders only what changed; without it (or when
the fingerprint of code, templates, theme, config or redaction rules changed) the build starts
over. No other module knows a path inside it: stages are handed the folder they own.

Layout::

    state.json                format version, fingerprint, build number, whether the last
                              build completed and whether its pages were published
    inputs.json               every input file read: size, mtime, sha256
    catalog/YYYY-MM.parquet   one row per alert of that month (compact columns + redacted raw JSON)
    links.parquet             per alert, the neighbours its page links to (prev/next of rule+host)
    news/<n>.json             the record of build n (:class:`~generator.archive.news.BuildNews`);
                              kept across full rebuilds
    charts/<key>.svg          charts keyed by the numbers they show (:mod:`generator.pages.chart_cache`)
    search/                   the search indexer's own folder (:mod:`generator.publish.search`):
                              ``pending.json`` shards still to index, ``times/`` alert times of
                              over-full days, ``last-run.json`` its last report
    hand-written.json         digests of the packaged hand-written pages last laid into the
                              docs folder (:mod:`generator.publish.packaged`)
    id-key                    64 hex digits: the secret of the IDs of alerts that redaction
                              changed (HMAC-SHA256; :meth:`State.id_key`), created on the first
                              build; ``FALCO_ARCHIVE_ID_KEY`` overrides it. Kept across full
                              rebuilds; losing it moves the URLs of redacted alerts (docs/nightly.md)
    aliases.json              old alert page -> new page, for redacted alerts whose pre-0.2
                              plain-hash ID was published (redirected); kept across full rebuilds
    legacy-names.json         the rule and host names whose pages were published under the
                              pre-0.2 8-digit slugs (only those old URLs redirect); recorded
                              from the archive of the first build of 0.2, kept across full rebuilds
    *.damaged                 a state file that could not be read, set aside; the build reports
                              it and rebuilds from what remains
    render-started            present while a build is writing pages: a run killed mid-way
                              makes the next one render every aggregate page
    lock                      held (``fcntl.flock``) by the running build, which writes its PID
                              into it: a second build on the same state fails at once, naming
                              that PID (:meth:`State.lock`); the kernel drops the lock when
                              the holder exits, however it exits

Each file is replaced atomically (:func:`generator.files.atomic_write`); the state is committed
last, after the site is published, so a build killed at any moment leaves a state that the next
build can continue from.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from generator.archive.catalog import COMPACT_COLUMNS, SCHEMA, empty_frame, month_of
from generator.archive.news import BuildNews
from generator.errors import ConfigError, StateLockedError
from generator.files import atomic_write
from generator.patterns import ALERT_PAGE

FORMAT_VERSION = 1
#: The environment variable that overrides the state's ``id-key`` (CI keeps it as a secret).
ID_KEY_ENV = "FALCO_ARCHIVE_ID_KEY"
ID_KEY_SHAPE = re.compile(r"[0-9a-f]{64}")
#: What reading a damaged Parquet file raises (truncated, garbage, wrong columns).
_DAMAGE = (pa.ArrowException, OSError, KeyError, ValueError)
log = logging.getLogger(__name__)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def _well_formed(news: BuildNews) -> bool:
    """A build record whose fields have the types the pages rely on (the state is not trusted)."""
    return (
        type(news.number) is int
        and type(news.newest_ns) is int
        and isinstance(news.ids, list)
        and all(isinstance(i, str) for i in news.ids)
        and isinstance(news.new_rules, list)
        and all(isinstance(n, str) for n in news.new_rules)
        and isinstance(news.new_hosts, list)
        and all(isinstance(n, str) for n in news.new_hosts)
        and isinstance(news.grown_groups, dict)
        and all(isinstance(k, str) and type(v) is int for k, v in news.grown_groups.items())
        and type(news.built_ns) is int
    )


class State:
    """The state folder: read at the start of a build, committed at its very end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.catalog_dir = root / "catalog"
        #: Folders other stages own inside the state (they are handed the folder, not the root).
        self.charts_dir = root / "charts"
        self.news_dir = root / "news"
        self.search_dir = root / "search"
        #: Digests of the packaged hand-written pages last laid into the docs folder.
        self.hand_written_record = root / "hand-written.json"
        self._render_marker = root / "render-started"
        #: Notes on damaged state files found by this run (each names the file).
        self.damaged: list[str] = []

    # -- one build at a time --------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the state folder's lock for a whole build; fail fast if another build has it.

        Two builds on one state would both commit, each over the other's catalog months and
        inputs record. ``flock`` is released by the kernel when the process ends, so a killed
        build never leaves a stale lock behind.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                raise StateLockedError(lock=path, pid=holder if holder.isdigit() else "") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -- small JSON documents -------------------------------------------------------------
    def _read_json(self, name: str) -> dict[str, Any]:
        try:
            data = json.loads((self.root / name).read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def meta(self) -> dict[str, Any]:
        return self._read_json("state.json")

    def inputs(self) -> dict[str, dict[str, Any]]:
        """What was read of every input file (entries of the wrong shape are read again)."""
        return {k: v for k, v in self._read_json("inputs.json").items() if isinstance(v, dict)}

    def usable_for(self, fingerprint: str) -> bool:
        """True when an incremental build may trust this state."""
        meta = self.meta()
        return (
            meta.get("format") == FORMAT_VERSION
            and meta.get("fingerprint") == fingerprint
            and meta.get("complete") is True
        )

    def mark_incomplete(self) -> None:
        """Written before a full rebuild touches anything: a kill leaves 'start over' behind."""
        meta = self.meta()
        meta["complete"] = False
        atomic_write(self.root / "state.json", json.dumps(meta, sort_keys=True).encode())

    def forget_inputs(self) -> None:
        """Read every input again and re-render everything, keeping the catalog (a repair)."""
        self.mark_incomplete()
        for name in ("inputs.json", "links.parquet"):
            (self.root / name).unlink(missing_ok=True)

    def reset(self) -> None:
        """Forget the archive (a full rebuild), keeping the build history and cached charts."""
        self.mark_incomplete()
        shutil.rmtree(self.catalog_dir, ignore_errors=True)
        for name in ("inputs.json", "links.parquet"):
            (self.root / name).unlink(missing_ok=True)

    # -- the render marker ----------------------------------------------------------------
    def render_was_interrupted(self) -> bool:
        """A run started writing pages and never committed: pages may be out of step."""
        return self._render_marker.exists()

    def mark_render_started(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._render_marker.touch()

    def _clear_render_marker(self) -> None:
        self._render_marker.unlink(missing_ok=True)

    # -- catalog --------------------------------------------------------------------------
    def months(self) -> list[str]:
        if not self.catalog_dir.is_dir():
            return []
        return sorted(p.stem for p in self.catalog_dir.glob("*.parquet"))

    def read_month(self, month: str, columns: list[str] | None = None) -> pd.DataFrame:
        """One month of the catalog; a damaged file is reported, set aside and read as empty.

        A truncated or garbage Parquet file must not stop every build: the month's alerts are
        read again from the inputs still present (:attr:`damaged` makes the plan forget what it
        read), every other month is kept.
        """
        try:
            return self._read_month_file(month, columns)
        except _DAMAGE as exc:
            self._set_aside(self.catalog_dir / f"{month}.parquet", exc)
            frame = empty_frame()
            return frame[columns] if columns else frame

    def _read_month_file(self, month: str, columns: list[str] | None = None) -> pd.DataFrame:
        path = self.catalog_dir / f"{month}.parquet"
        if not path.exists():
            frame = empty_frame()
            return frame[columns] if columns else frame
        wanted = columns or SCHEMA.names
        missing = [c for c in wanted if c not in pq.read_schema(path).names]
        if missing:
            # Written before the columns existed: when those alerts arrived is not known (0),
            # what they did (``action``, ``target``) is "" until a full build reads them again.
            frame = pq.read_table(path, columns=[c for c in wanted if c not in missing]).to_pandas()
            for name in missing:
                frame[name] = pd.Series(0 if name == "received" else "", index=frame.index)
                frame[name] = frame[name].astype(empty_frame()[name].dtype)
            return frame[wanted]
        return pq.read_table(path, columns=columns).to_pandas()

    def read_compact(self) -> pd.DataFrame:
        """Every alert of the archive without its raw JSON: what aggregates are computed from."""
        frames = [self.read_month(m, COMPACT_COLUMNS) for m in self.months()]
        if not frames:
            return empty_frame()[COMPACT_COLUMNS]
        return pd.concat(frames, ignore_index=True)

    def read_raw(self, ids_by_month: Mapping[str, Iterable[str]]) -> dict[str, str]:
        """Raw JSON of some archived alerts (to re-render a page whose neighbours changed)."""
        out: dict[str, str] = {}
        for month, ids in ids_by_month.items():
            wanted = set(ids)
            frame = self.read_month(month, ["id", "raw"])
            frame = frame[frame["id"].isin(wanted)]
            out.update(zip(frame["id"], frame["raw"], strict=True))
        return out

    def read_links(self) -> pd.DataFrame:
        """Neighbours recorded by the last run; damaged: empty, so every alert page is re-rendered."""
        path = self.root / "links.parquet"
        empty = pd.DataFrame({"id": [], "prev_id": [], "next_id": []}, dtype="string")
        if not path.exists():
            return empty
        try:
            return pq.read_table(path, columns=["id", "prev_id", "next_id"]).to_pandas()
        except _DAMAGE as exc:
            self._set_aside(path, exc)
            return empty

    # -- damaged files --------------------------------------------------------------------
    def _set_aside(self, path: Path, exc: BaseException) -> None:
        """Report a damaged state file and move it to ``<name>.damaged`` (kept for a look)."""
        note = f"damaged state file {path} ({type(exc).__name__}: {exc}); set aside and rebuilt"
        log.warning("%s", note)
        self.damaged.append(note)
        with contextlib.suppress(OSError):
            os.replace(path, path.with_name(path.name + ".damaged"))

    # -- the site's secret key for alert IDs ------------------------------------------------
    def id_key(self) -> bytes:
        """The secret under which IDs of redacted alerts are computed (``models.alert_id``).

        ``FALCO_ARCHIVE_ID_KEY`` from the environment wins (CI keeps it as a secret, so losing
        the cache does not move URLs); else ``id-key`` in the state folder, created on the
        first build from :func:`secrets.token_bytes` (readable by the owner only). A damaged
        file is replaced by a new key and reported: redacted alerts then get new IDs.
        """
        env = os.environ.get(ID_KEY_ENV, "").strip()
        if env:
            if len(env) < 32:
                raise ConfigError(f"{ID_KEY_ENV} must be at least 32 characters (e.g. 64 hex digits)")
            return env.encode("utf-8")
        path = self.root / "id-key"
        try:
            text = path.read_text("ascii").strip()
            if ID_KEY_SHAPE.fullmatch(text):
                return text.encode("ascii")
            self._set_aside(path, ValueError("not 64 hex digits"))
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            self._set_aside(path, exc)
        text = secrets.token_bytes(32).hex()
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text + "\n", mode=0o600)
        return text.encode("ascii")

    # -- redirects of alert IDs published before 0.2 ------------------------------------------
    def alert_aliases(self) -> dict[str, str]:
        """Old alert page -> new page (docs paths); kept across full rebuilds (see plan.legacy_aliases)."""
        data = self._read_json("aliases.json")
        # Checked, not trusted: a tampered entry must not turn into a redirect to another site
        # or over another page.
        return {
            k: v
            for k, v in data.items()
            if isinstance(v, str) and ALERT_PAGE.fullmatch(k) and ALERT_PAGE.fullmatch(v)
        }

    def add_alert_aliases(self, aliases: Mapping[str, str]) -> None:
        if aliases:
            merged = {**self.alert_aliases(), **aliases}
            atomic_write(self.root / "aliases.json", json.dumps(merged, sort_keys=True, indent=0))

    # -- rule and host names published under pre-0.2 slugs ------------------------------------
    def legacy_names(self) -> dict[str, list[str]]:
        """``{"rule": [...], "host": [...]}``: names whose 8-digit slug URL was published.

        Only those old URLs get a redirect: a name first archived since 0.2 never had one, and
        giving it one would let a chosen name (2**32 work against 32 bits) share, and so blur,
        the old URL of a real name that tickets link to. Checked, not trusted (strings only).
        """
        data = self._read_json("legacy-names.json")
        out: dict[str, list[str]] = {}
        for column in ("rule", "host"):
            names = data.get(column)
            out[column] = sorted({n for n in names if isinstance(n, str)}) if isinstance(names, list) else []
        return out

    def add_legacy_names(self, names: Mapping[str, Iterable[str]]) -> None:
        """Remember names whose pages an archive from before 0.2 published (kept across full builds)."""
        known = self.legacy_names()
        merged = {column: sorted({*known[column], *names.get(column, ())}) for column in known}
        if merged != known:
            atomic_write(self.root / "legacy-names.json", json.dumps(merged, sort_keys=True, indent=0))

    # -- build history --------------------------------------------------------------------
    def news_history(self) -> list[BuildNews]:
        """Every build's record, oldest first (unreadable records are passed over)."""
        history = []
        files = self.news_dir.glob("*.json")
        for path in sorted(files, key=lambda p: int(p.stem) if p.stem.isdigit() else -1):
            try:
                record = BuildNews(**json.loads(path.read_text("utf-8")))
            except (ValueError, TypeError) as exc:
                self._set_aside(path, exc)
                continue
            if not _well_formed(record):
                self._set_aside(path, ValueError("fields of the wrong type"))
                continue
            history.append(record)
        return history

    # -- commit ---------------------------------------------------------------------------
    def commit(
        self,
        *,
        new_rows: pd.DataFrame,
        removed_ids: set[str],
        links: pd.DataFrame,
        inputs: dict[str, dict[str, Any]],
        news: BuildNews | None,
        meta: dict[str, Any],
    ) -> None:
        """Merge this build's alerts into the catalog and record what was read. Last step."""
        if news is not None:
            atomic_write(self.news_dir / f"{news.number}.json", json.dumps(asdict(news), sort_keys=True))
        months = set(month_of(new_rows["time_ns"])) if len(new_rows) else set()
        if removed_ids:
            months |= set(self.months())
        for month in sorted(months):
            old = self.read_month(month)
            add = new_rows[month_of(new_rows["time_ns"]) == month] if len(new_rows) else new_rows
            merged = pd.concat([old, add], ignore_index=True) if len(add) else old
            if removed_ids:
                merged = merged[~merged["id"].isin(removed_ids)]
            merged = merged.drop_duplicates("id").sort_values(["time_ns", "id"], kind="stable")
            path = self.catalog_dir / f"{month}.parquet"
            if merged.empty:
                path.unlink(missing_ok=True)
                continue
            table = pa.Table.from_pandas(merged[SCHEMA.names], schema=SCHEMA, preserve_index=False)
            atomic_write(path, _parquet_bytes(table))
        links_table = pa.Table.from_pandas(links[["id", "prev_id", "next_id"]], preserve_index=False)
        atomic_write(self.root / "links.parquet", _parquet_bytes(links_table))
        atomic_write(self.root / "inputs.json", json.dumps(inputs, sort_keys=True, indent=0).encode())
        meta = {**meta, "format": FORMAT_VERSION, "complete": True}
        atomic_write(self.root / "state.json", json.dumps(meta, sort_keys=True, indent=1).encode())
        self._clear_render_marker()
