"""Writers: synthetic alerts into the file layouts the archive reads, and the bundled demo input.

Why here and not in the archive's readers: these produce input (Falco ``file_output`` JSON lines,
gzipped JSON lines, falcosidekick's S3/GCS object tree) and the readers must be tested against
exactly that. Output is byte-reproducible: gzip members are written with ``mtime=0`` and no file
name, and the ``mixed`` layout draws from its own seeded RNG.
"""

from __future__ import annotations

import collections
import gzip
import json
import logging
import random
import re
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from generator.synthetic.draw import pick
from generator.synthetic.generate import Alert, generate
from generator.synthetic.scenarios import PRIORITIES

log = logging.getLogger(__name__)

LAYOUTS: tuple[str, ...] = ("jsonl", "jsonl.gz", "s3", "mixed")
#: Seed and window of the committed demo input under ``alerts/`` (see ``write_demo``).
DEMO_SEED = 20283669
DEMO_START = datetime(2026, 11, 16, tzinfo=UTC)
DEMO_COUNT = 300
DEMO_HOSTS = 6
DEMO_S3_DAY = "2026-11-20"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def dumps(alert: Alert) -> str:
    """Compact single-line JSON as Falco writes it (UTF-8, no escaping of non-ASCII)."""
    return json.dumps(alert, ensure_ascii=False, separators=(",", ":"))


def _safe_part(value: object, fallback: str) -> str:
    """A path component from hostile text: never empty, never ``.``/``..``, no separators."""
    text = _UNSAFE.sub("_", str(value))[:120]
    return fallback if text.strip(".") == "" else text


def _day_of(alert: Alert) -> str:
    """The alert's UTC day from its ``time`` text, or ``unknown-day``: it becomes a path part."""
    day = str(alert.get("time", ""))[:10]
    return day if _DAY.match(day) else "unknown-day"


class _TextSink(Protocol):
    """A text file or ``_GzText``: all ``_Sink`` needs of an open output."""

    def write(self, text: str, /) -> int: ...
    def close(self) -> None: ...


class _Sink:
    """Open text streams keyed by path, so a million alerts stream without buffering."""

    def __init__(self) -> None:
        self.files: dict[Path, _TextSink] = {}

    def get(self, path: Path, gz: bool) -> _TextSink:
        fh: _TextSink | None = self.files.get(path)
        if fh is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if gz:
                raw = path.open("wb")
                # mtime=0 and no file name in the header: identical bytes run after run.
                zfile = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
                fh = _GzText(zfile, raw)
            else:
                fh = path.open("w", encoding="utf-8", newline="\n")
            self.files[path] = fh
        return fh

    def close(self) -> list[Path]:
        for fh in self.files.values():
            fh.close()
        return sorted(self.files)


class _GzText:
    """Minimal text wrapper over a GzipFile that also closes the underlying file."""

    def __init__(self, zfile: gzip.GzipFile, raw: BinaryIO) -> None:
        self.zfile, self.raw = zfile, raw

    def write(self, text: str) -> int:
        return self.zfile.write(text.encode("utf-8"))

    def close(self) -> None:
        self.zfile.close()
        self.raw.close()


def write_alerts(alerts: Iterable[Alert], out_dir: Path, layout: str, seed: int = 0) -> list[Path]:
    """Write alerts under ``out_dir`` in one of ``LAYOUTS`` and return the files written.

    ``jsonl``: ``<host>/<YYYY-MM-DD>.jsonl`` (Falco file_output, one file per host per day);
    ``jsonl.gz``: the same, gzipped; ``s3``: falcosidekick's S3/GCS object layout
    ``falco/<YYYY-MM-DD>/<time>.json`` with one pretty object per file; ``mixed``: each
    host-day group goes, at random (seeded), to one of the three.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    out_dir = Path(out_dir)
    rng = random.Random(seed)
    group_layout: dict[tuple[str, str], str] = {}
    sink = _Sink()
    s3_written: list[Path] = []
    s3_seen: set[Path] = set()
    try:
        for alert in alerts:
            host = _safe_part(alert.get("hostname") or "unknown-host", "unknown-host")
            day = _day_of(alert)
            chosen = layout
            if layout == "mixed":
                chosen = group_layout.get((host, day), "")
                if not chosen:
                    chosen = pick(rng, ("jsonl", "jsonl", "jsonl.gz", "s3"))
                    group_layout[(host, day)] = chosen
            if chosen == "s3":
                path = _s3_path(out_dir, alert, day, s3_seen)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(alert, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
                s3_written.append(path)
            else:
                gz = chosen == "jsonl.gz"
                path = out_dir / host / f"{day}.{chosen}"
                sink.get(path, gz).write(dumps(alert) + "\n")
    finally:
        written = sink.close()
    log.debug("Wrote %d files under %s (layout %s)", len(written) + len(s3_written), out_dir, layout)
    return sorted(written + s3_written)


_UNSAFE_S3 = re.compile(r"[^A-Za-z0-9.:_-]")


def _s3_path(out_dir: Path, alert: Alert, day: str, seen: set[Path]) -> Path:
    """falcosidekick's ``falco/<day>/<time>.json``; equal times get ``-1``, ``-2``, ... suffixes."""
    stem = _UNSAFE_S3.sub("_", str(alert.get("time") or ""))[:120].strip(".") or "unknown-time"
    base = out_dir / "falco" / day
    path = base / f"{stem}.json"
    n = 1
    while path in seen:
        path = base / f"{stem}-{n}.json"
        n += 1
    seen.add(path)
    return path


def demo_coverage(alerts: list[Alert]) -> list[str]:
    """What a demo alert set lacks for every aggregate page to have several entries ([] = ok).

    ``DEMO_SEED`` was picked as the first seed meeting these; any change to the generator that
    shifts its output must re-check them (``tests/test_synth.py`` does) and maybe re-pick it.
    """
    problems = []
    priorities = collections.Counter(a["priority"] for a in alerts)
    if scarce := [p for p in PRIORITIES if priorities[p] < 2]:
        problems.append(f"fewer than 2 alerts of priority {scarce}")
    if (rules := len({a["rule"] for a in alerts})) < 25:
        problems.append(f"only {rules} rules")
    for source in ("syscall", "k8s_audit", "aws_cloudtrail"):
        if (n := sum(a["source"] == source for a in alerts)) < 8:
            problems.append(f"only {n} {source} alerts")
    if (hosts := len({a["hostname"] for a in alerts})) < 5:
        problems.append(f"only {hosts} hosts")
    if (days := len({_day_of(a) for a in alerts})) < 7:
        problems.append(f"only {days} days")
    if not 10 <= (n := sum(_day_of(a) == DEMO_S3_DAY for a in alerts)) <= 40:
        problems.append(f"{n} alerts on the S3 day {DEMO_S3_DAY} (want 10-40)")
    return problems


def write_demo(out_dir: Path) -> list[Path]:
    """Write the committed synthetic demo input (``alerts/synthetic`` and ``alerts/s3``).

    Every alert lands in exactly one file. Formats: per-host-day JSON lines, one host-day
    gzipped, one pretty-printed single alert, one JSON array (the k8s audit plugin's alerts of
    one day), and a falcosidekick S3 tree for ``DEMO_S3_DAY``.
    """
    out_dir = Path(out_dir)
    alerts = list(generate(DEMO_COUNT, DEMO_SEED, DEMO_START, days=7, hosts=DEMO_HOSTS))
    if problems := demo_coverage(alerts):
        raise RuntimeError(f"demo seed {DEMO_SEED} no longer covers the demo: {problems}")
    for generated in (out_dir / "synthetic", out_dir / "s3"):  # fully generated subtrees
        if generated.is_dir():
            shutil.rmtree(generated)
    s3 = [a for a in alerts if _day_of(a) == DEMO_S3_DAY]
    rest = [a for a in alerts if _day_of(a) != DEMO_S3_DAY]
    pretty = min(rest, key=lambda a: PRIORITIES.index(a["priority"]))
    rest.remove(pretty)
    k8s_host = next(a["hostname"] for a in rest if a["source"] == "k8s_audit")
    k8s_day = max(
        sorted({_day_of(a) for a in rest if a["hostname"] == k8s_host}),
        key=lambda d: sum(1 for a in rest if a["hostname"] == k8s_host and _day_of(a) == d),
    )
    array = [a for a in rest if a["hostname"] == k8s_host and _day_of(a) == k8s_day]
    rest = [a for a in rest if not (a["hostname"] == k8s_host and _day_of(a) == k8s_day)]
    busiest = max(
        sorted({(a["hostname"], _day_of(a)) for a in rest if a["source"] == "syscall"}),
        key=lambda hd: sum(1 for a in rest if (a["hostname"], _day_of(a)) == hd),
    )
    syn = out_dir / "synthetic"
    gz_part = [a for a in rest if (a["hostname"], _day_of(a)) == busiest]
    rest = [a for a in rest if (a["hostname"], _day_of(a)) != busiest]
    files = write_alerts(rest, syn, "jsonl")
    files += write_alerts(gz_part, syn, "jsonl.gz")
    files += write_alerts(s3, out_dir / "s3", "s3")
    pretty_path = syn / "exports" / f"incident-{_day_of(pretty)}-{_safe_part(pretty['rule'], 'x')}.json"
    pretty_path.parent.mkdir(parents=True, exist_ok=True)
    pretty_path.write_text(json.dumps(pretty, ensure_ascii=False, indent=2) + "\n", "utf-8")
    array_path = syn / "exports" / f"{k8s_host}-{k8s_day}.json"
    array_path.write_text("[\n" + ",\n".join(dumps(a) for a in array) + "\n]\n", "utf-8")
    return sorted([*files, pretty_path, array_path])
