"""Build benchmark (issue 4): what a full build and a nightly incremental build cost.

Every measured step runs in its own child process, waited for with ``os.wait4`` so its CPU
time (user + sys, including the render workers and any subprocess it waited for) and peak RSS
(``ru_maxrss``: the largest single process of the tree) are that step's alone. A sampler thread
also sums the PSS of the child's whole process tree every half second (``peak_tree_pss_mb``):
the render workers are forked, so their RSS double-counts shared pages and the sum of RSS
would overstate memory; PSS does not. Other work shares the machine, so every step records
``os.getloadavg()`` before, during (mean of samples) and after, and ratios are given both in
wall time and in CPU time (CPU time is what contention distorts least).

Steps, in one run:

1. ``synth``: ``N`` base alerts over ``--days`` days, ``M`` new alerts on the following day
   and ``L`` late alerts dated inside the base window (``generator.synthetic``, mixed layout);
2. ``read_render``: full build of the ``N`` alerts with ``--no-mkdocs`` (read + aggregate +
   render only) in a separate project: alerts per second;
3. ``full_N``: full build with MkDocs of the ``N`` alerts (phase timings from the build);
4. ``plain_mkdocs_N``: ``python -m mkdocs build -f mkdocs.yml -d DIR`` over the Markdown that
   build generated: the floor a full build is compared with;
5. ``incremental_noop``: the same inputs again (the fixed cost of a nightly run);
6. ``incremental_new``: ``M`` new alerts into ``N``;
7. ``full_N_plus_M`` (unless ``--skip-full``): ``--full`` rebuild of the same ``N + M``, the
   reference of the 10 % target; its pages are compared with the incremental build's;
8. ``incremental_late``: ``L`` late alerts (re-renders neighbours and rewrites listings).

``--search`` also times ``generator.publish.search.index_site`` (Pagefind) after steps 3 and 6 when the
build does not time a ``search`` phase itself.

Usage::

    python -m benchmarks.bench --alerts 10000 --new 1000
    python -m benchmarks.bench --alerts 100000 --new 1000 --out benchmarks/out   # ~1-2 h

The JSON document is printed and written to ``OUT/bench-N.json`` after every step (partial
results survive an interrupted run).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
START = datetime(2026, 1, 1, tzinfo=UTC)
#: Site entries that legitimately differ between two builds of the same alerts.
SITE_VOLATILE = ("build-report", "build-report.json", "sitemap.xml", "sitemap.xml.gz", "search", "pagefind")
SITE_VOLATILE_FILES = ("404.html",)
DOCS_VOLATILE = ("build-report.md", "build-report.json")
TARGETS = {
    "incremental_share_of_full": 0.10,
    "incremental_seconds": 60.0,
    "full_over_plain_mkdocs": 1.2,
    "peak_rss_mb": 2048.0,
    "read_render_alerts_per_s": 5000.0,
}

log = logging.getLogger("bench")


# ---------------------------------------------------------------------------------------------
# Measuring a child process


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out += [int(c) for c in fh.read().split()]
        except OSError:
            continue
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_pss_kb(root: int) -> int:
    """Sum of the PSS of a process and all its descendants (shared pages counted once)."""
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _pss_kb(pid)
        todo += _children(pid)
    return total


class _Sampler(threading.Thread):
    """Samples the tree's PSS and the load average until stopped; kills the tree past a limit.

    The limit protects a shared machine: a build whose memory grows linearly with the archive
    would otherwise take the other jobs down with it at 100,000 alerts.
    """

    def __init__(self, pid: int, limit_kb: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.limit_kb, self.interval = pid, limit_kb, interval
        self.peak_kb = 0
        self.killed_at: float | None = None
        self.began = time.perf_counter()
        self.loads: list[float] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            now_kb = tree_pss_kb(self.pid)
            self.peak_kb = max(self.peak_kb, now_kb)
            self.loads.append(os.getloadavg()[0])
            if self.limit_kb and now_kb > self.limit_kb and self.killed_at is None:
                self.killed_at = time.perf_counter() - self.began
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
            self.stopped.wait(self.interval)


class MemoryLimitExceeded(RuntimeError):
    """A step was killed for using more memory than ``--max-mem-gb``."""


def measure(
    label: str, cmd: list[str], cwd: Path, logs: Path, code: Path = REPO, max_mem_gb: float = 0.0
) -> dict[str, Any]:
    """Run ``cmd`` in ``cwd``; its wall and CPU time, peak RSS, peak tree PSS, load average.

    ``code`` goes first on ``PYTHONPATH``: the package the child imports (a frozen snapshot, so
    edits to the working tree during a long run neither mix code versions nor change the
    build fingerprint between steps, which would turn an incremental build into a full one).
    """
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(code)}
    load_before = os.getloadavg()
    with open(logs / f"{label}.out", "wb") as out, open(logs / f"{label}.err", "wb") as err:
        began = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env, start_new_session=True)
        sampler = _Sampler(proc.pid, int(max_mem_gb * 1024 * 1024))
        sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - began
        sampler.stopped.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    result: dict[str, Any] = {
        "command": shlex.join(cmd),
        "returncode": proc.returncode,
        "wall_s": round(wall, 3),
        "cpu_user_s": round(usage.ru_utime, 3),
        "cpu_sys_s": round(usage.ru_stime, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "peak_tree_pss_mb": round(sampler.peak_kb / 1024, 1),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_during": round(sum(sampler.loads) / len(sampler.loads), 2) if sampler.loads else None,
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }
    if sampler.killed_at is not None:
        result["killed"] = f"tree PSS passed {max_mem_gb} GB after {sampler.killed_at:.0f} s"
        raise MemoryLimitExceeded(json.dumps(result))
    if proc.returncode != 0:
        tail = (logs / f"{label}.err").read_text("utf-8", "replace")[-3000:]
        raise RuntimeError(f"step {label} failed (exit {proc.returncode}): {shlex.join(cmd)}\n{tail}")
    return result


def _child_cmd(kind: str, **args: Any) -> list[str]:
    return [sys.executable, "-m", "benchmarks.bench", "--child", kind, "--child-args", json.dumps(args)]


# ---------------------------------------------------------------------------------------------
# Child processes (what is measured)


def _child_synth(args: dict[str, Any]) -> dict[str, Any]:
    from generator.synthetic.generate import generate
    from generator.synthetic.write import write_alerts

    start = datetime.fromisoformat(args["start"])
    days, hosts, seed = args["days"], args["hosts"], args["seed"]
    batches = {
        "base": (args["alerts"], seed, start, days),
        "new": (args["new"], seed + 1, start + timedelta(days=days), 1),
        "late": (args["late"], seed + 2, start + timedelta(days=days // 2), 1),
    }
    out: dict[str, Any] = {}
    for name, (count, batch_seed, batch_start, batch_days) in batches.items():
        if not count:
            continue
        alerts = generate(count, batch_seed, batch_start, batch_days, hosts)
        files = write_alerts(alerts, Path(args["inputs"]) / name, "mixed", batch_seed)
        out[name] = {"alerts": count, "files": len(files)}
    return out


def _child_build(args: dict[str, Any]) -> dict[str, Any]:
    import generator
    from generator.build import build
    from generator.config import load_config

    config = load_config(None, **args["config"])
    report = build(config)
    return {
        "code": str(Path(generator.__file__).parent),
        "mode": report.mode,
        "files": report.files,
        "files_read": report.files_read,
        "published": report.published,
        "duplicates": report.duplicates,
        "archived": report.archived,
        "pages_written": report.pages_written,
        "timings": {k: round(v, 3) for k, v in report.timings.items()},
    }


def _child_search(args: dict[str, Any]) -> dict[str, Any]:
    from generator.archive.state import State
    from generator.publish import search

    report = search.index_site(Path(args["site"]), State(Path(args["state"])).search_dir, full=args["full"])
    data = report.as_json()
    data.pop("indexed", None)
    return data


CHILDREN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "synth": _child_synth,
    "build": _child_build,
    "search": _child_search,
}


def run_child(kind: str, raw: str) -> int:
    """Entry point of a measured child: run it, write its result JSON where it was asked to."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = json.loads(raw)
    result = CHILDREN[kind](args)
    Path(args["result"]).write_text(json.dumps(result, indent=1), "utf-8")
    return 0


# ---------------------------------------------------------------------------------------------
# Project folders and page comparison


def snapshot_code(dest: Path) -> dict[str, str]:
    """Freeze the package and the benchmark code under ``dest``; returns what was frozen."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "out")
    shutil.copytree(REPO / "generator", dest / "generator", ignore=ignore)
    shutil.copytree(REPO / "benchmarks", dest / "benchmarks", ignore=ignore)
    digest = hashlib.sha256()
    for path in sorted(p for p in dest.rglob("*") if p.is_file()):
        digest.update(path.relative_to(dest).as_posix().encode() + b"\0" + path.read_bytes())
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head = ""
    return {"git_head": head, "tree_sha256": digest.hexdigest()}


def copy_skeleton(dest: Path) -> None:
    """mkdocs.yml and the hand-written pages, from the package (what a build needs besides alerts).

    ``custom_dir`` names the package's theme overrides, so a plain ``mkdocs build`` of the same
    folder uses the same theme as falco-archive (which adds them by itself).
    """
    from generator.publish.packaged import DEFAULT_DOCS, DEFAULT_MKDOCS, THEME_DIR

    dest.mkdir(parents=True, exist_ok=True)
    config = DEFAULT_MKDOCS.read_text("utf-8")
    config = config.replace("  name: material\n", f"  name: material\n  custom_dir: {THEME_DIR}\n", 1)
    (dest / "mkdocs.yml").write_text(config, "utf-8")
    shutil.copytree(DEFAULT_DOCS, dest / "site_src", dirs_exist_ok=True)


def digest_tree(
    root: Path, volatile_dirs: tuple[str, ...], volatile_files: tuple[str, ...]
) -> dict[str, str]:
    """Relative path -> SHA-256 of every file, skipping top-level entries that differ per build."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in volatile_dirs]
            filenames = [f for f in filenames if f not in volatile_dirs and f not in volatile_files]
        for name in filenames:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = hashlib.file_digest(fh, "sha256").hexdigest()
    return out


def compare(a: dict[str, str], b: dict[str, str]) -> dict[str, Any]:
    only_a = sorted(a.keys() - b.keys())
    only_b = sorted(b.keys() - a.keys())
    differ = sorted(k for k in a.keys() & b.keys() if a[k] != b[k])
    return {
        "identical": not (only_a or only_b or differ),
        "files": len(a),
        "only_incremental": only_a[:10],
        "only_full": only_b[:10],
        "differ": differ[:10],
        "counts": [len(only_a), len(only_b), len(differ)],
    }


def snapshot(project: Path) -> dict[str, dict[str, str]]:
    return {
        "docs": digest_tree(project / "site_src", (), DOCS_VOLATILE),
        "site": digest_tree(project / "site", SITE_VOLATILE, SITE_VOLATILE_FILES),
    }


# ---------------------------------------------------------------------------------------------
# The run


def machine() -> dict[str, Any]:
    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    mem_kb = 0
    try:
        with open("/proc/meminfo") as fh:
            mem_kb = int(fh.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {
            n: version(n)
            for n in ("falco-archive", "mkdocs", "mkdocs-material", "pandas", "pyarrow", "jinja2")
        },
    }


class Bench:
    """One benchmark run: the steps above, with partial results written after each."""

    def __init__(self, args: argparse.Namespace, argv: list[str]) -> None:
        self.args = args
        self.out: Path = args.out.resolve()
        self.work = self.out / f"work-{args.alerts}"
        self.logs = self.out / f"logs-{args.alerts}"
        self.inputs = self.work / "inputs"
        self.project = self.work / "project"
        self.code = self.work / "code"
        self.doc: dict[str, Any] = {
            "command": "python -m benchmarks.bench " + shlex.join(argv),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "params": {
                "alerts": args.alerts,
                "new": args.new,
                "late": args.late,
                "days": args.days,
                "hosts": args.hosts,
                "seed": args.seed,
                "layout": "mixed",
            },
            "steps": {},
        }

    # -- bookkeeping ------------------------------------------------------------------------
    def save(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / f"bench-{self.args.alerts}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.doc, indent=1) + "\n", "utf-8")
        os.replace(tmp, path)

    def step(self, label: str, kind: str, cwd: Path, **child_args: Any) -> dict[str, Any]:
        result_file = self.logs / f"{label}.json"
        result_file.parent.mkdir(parents=True, exist_ok=True)
        result_file.unlink(missing_ok=True)
        print(f"[bench] {label} ...", file=sys.stderr, flush=True)
        cmd = _child_cmd(kind, result=str(result_file), **child_args)
        data = self._measure(label, cmd, cwd)
        data |= json.loads(result_file.read_text("utf-8"))
        self.doc["steps"][label] = data
        self.save()
        print(
            f"[bench] {label}: {data['wall_s']:.1f} s wall, {data['cpu_s']:.1f} s CPU, "
            f"{data['peak_rss_mb']:.0f} MB peak RSS, load {data['loadavg_during']}",
            file=sys.stderr,
            flush=True,
        )
        return data

    def _measure(self, label: str, cmd: list[str], cwd: Path) -> dict[str, Any]:
        try:
            return measure(label, cmd, cwd, self.logs, self.code, self.args.max_mem_gb)
        except MemoryLimitExceeded as exc:
            self.doc["steps"][label] = json.loads(str(exc))
            self.save()
            raise

    def build(self, label: str, project: Path, alerts: Path, **config: Any) -> dict[str, Any]:
        data = self.step(label, "build", project, config={"alerts_dir": str(alerts), **config})
        if self.args.search and "search" not in data["timings"] and (project / "site").is_dir():
            search = self.step(
                f"{label}_search",
                "search",
                project,
                site=str(project / "site"),
                state=str(project / ".falco-archive"),
                full=data["mode"] == "full",
            )
            data["timings"]["search"] = search["wall_s"]
            self.save()
        return data

    def add(self, batch: str) -> None:
        """A night's new files arrive in the project's alerts folder."""
        shutil.copytree(self.inputs / batch, self.project / "alerts" / batch)

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """All steps; a step killed for its memory ends the run with what was measured so far."""
        try:
            self._steps()
        except MemoryLimitExceeded:
            killed = [k for k, v in self.doc["steps"].items() if "killed" in v]
            self.doc["stopped"] = f"step {killed[-1]} killed: {self.doc['steps'][killed[-1]]['killed']}"
            print(f"[bench] {self.doc['stopped']}", file=sys.stderr, flush=True)
        self.doc["ratios"] = ratios(self.doc["steps"], self.args)
        self.doc["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        self.save()
        if not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        return self.doc

    def _steps(self) -> None:
        args = self.args
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.rmtree(self.logs, ignore_errors=True)
        self.work.mkdir(parents=True)
        self.doc["code"] = snapshot_code(self.code)
        self.step(
            "synth",
            "synth",
            self.work,
            inputs=str(self.inputs),
            alerts=args.alerts,
            new=args.new,
            late=args.late,
            days=args.days,
            hosts=args.hosts,
            seed=args.seed,
            start=START.isoformat(),
        )

        # Read + render only, in a project of its own (its state must not meet the real one).
        markdown_only = self.work / "markdown-only"
        copy_skeleton(markdown_only)
        rr = self.build("read_render", markdown_only, self.inputs / "base", run_mkdocs=False)
        work_s = sum(rr["timings"].get(k, 0.0) for k in ("read", "aggregate", "render"))
        rr["alerts_per_s"] = round(args.alerts / work_s, 1) if work_s else None
        rr["alerts_per_cpu_s"] = round(args.alerts / rr["cpu_s"], 1) if rr["cpu_s"] else None
        shutil.rmtree(markdown_only)

        copy_skeleton(self.project)
        (self.project / "alerts").mkdir()
        self.add("base")
        self.build("full_N", self.project, Path("alerts"))
        if not args.skip_plain:
            plain_site = self.work / "plain-site"
            self.step_plain_mkdocs(plain_site)
            shutil.rmtree(plain_site, ignore_errors=True)

        self.build("incremental_noop", self.project, Path("alerts"))
        if args.new:
            self.add("new")
            self.build("incremental_new", self.project, Path("alerts"))
        if not args.skip_full:
            print("[bench] hashing the incremental build's pages ...", file=sys.stderr, flush=True)
            incremental = snapshot(self.project)
            self.build("full_N_plus_M", self.project, Path("alerts"), full=True)
            full = snapshot(self.project)
            self.doc["incremental_equals_full"] = {
                "docs": compare(incremental["docs"], full["docs"]),
                "site": compare(incremental["site"], full["site"]),
            }
            del incremental, full
            self.save()
        if args.late:
            self.add("late")
            self.build("incremental_late", self.project, Path("alerts"))

    def step_plain_mkdocs(self, dest: Path) -> None:
        """``mkdocs build`` itself over the Markdown the full build generated (same config)."""
        label = "plain_mkdocs_N"
        print(f"[bench] {label} ...", file=sys.stderr, flush=True)
        cmd = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", "mkdocs.yml", "-d", str(dest)]
        self.doc["steps"][label] = self._measure(label, cmd, self.project)
        self.save()


def ratios(steps: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Each target with the measured value (wall and CPU) and whether it is met."""
    out: dict[str, Any] = {}
    full_ref = steps.get("full_N_plus_M") or steps.get("full_N")
    incr = steps.get("incremental_new")
    if full_ref and incr:
        out["incremental_share_of_full"] = {
            "reference": "full_N_plus_M" if "full_N_plus_M" in steps else "full_N (proxy: --skip-full)",
            "wall": round(incr["wall_s"] / full_ref["wall_s"], 4),
            "cpu": round(incr["cpu_s"] / full_ref["cpu_s"], 4),
            "target": TARGETS["incremental_share_of_full"],
        }
        out["incremental_seconds"] = {
            "wall": incr["wall_s"],
            "cpu": incr["cpu_s"],
            "target": TARGETS["incremental_seconds"],
        }
    full, plain = steps.get("full_N"), steps.get("plain_mkdocs_N")
    if full and plain:
        out["full_over_plain_mkdocs"] = {
            "wall": round(full["wall_s"] / plain["wall_s"], 3),
            "cpu": round(full["cpu_s"] / plain["cpu_s"], 3),
            "target": TARGETS["full_over_plain_mkdocs"],
        }
    # Our builds only: plain MkDocs is the reference, not something we run.
    measured = [
        s for k, s in steps.items() if k != "plain_mkdocs_N" and isinstance(s, dict) and "peak_rss_mb" in s
    ]
    if measured:
        out["peak_rss_mb"] = {
            "max_process": max(s["peak_rss_mb"] for s in measured),
            "max_tree_pss": max(s["peak_tree_pss_mb"] for s in measured),
            "target": TARGETS["peak_rss_mb"],
        }
    rr = steps.get("read_render")
    if rr:
        out["read_render_alerts_per_s"] = {
            "wall": rr.get("alerts_per_s"),
            "cpu": rr.get("alerts_per_cpu_s"),
            "target": TARGETS["read_render_alerts_per_s"],
        }
    for name, item in out.items():
        better = max if name == "read_render_alerts_per_s" else min
        for key in ("wall", "cpu", "max_process", "max_tree_pss"):
            if item.get(key) is not None:
                item[f"met_{key}"] = better(item[key], item["target"]) == item[key]
    return out


STEP_ORDER = (
    "synth",
    "read_render",
    "full_N",
    "plain_mkdocs_N",
    "incremental_noop",
    "incremental_new",
    "full_N_plus_M",
    "incremental_late",
)


def markdown_table(doc: dict[str, Any]) -> str:
    """The steps of a result document as the Markdown table ``docs/benchmarks.md`` shows."""
    phases = ("read", "aggregate", "render", "mkdocs", "search")
    lines = [
        "| step | mode | wall s | CPU s | peak RSS MB | peak tree PSS MB | load | "
        + " | ".join(f"{p} s" for p in phases)
        + " | pages written |",
        "|---|---|--:|--:|--:|--:|--:|" + "--:|" * len(phases) + "--:|",
    ]
    steps = doc["steps"]
    for name in [*STEP_ORDER, *(k for k in steps if k not in STEP_ORDER)]:
        step = steps.get(name)
        if step is None or name.endswith("_search"):
            continue
        timings = step.get("timings") or {}
        cells = [
            name + (" (killed)" if "killed" in step else ""),
            step.get("mode", ""),
            f"{step['wall_s']:,.1f}",
            f"{step['cpu_s']:,.1f}",
            f"{step['peak_rss_mb']:,.0f}",
            f"{step['peak_tree_pss_mb']:,.0f}",
            f"{step['loadavg_during']}",
            *(f"{timings[p]:,.1f}" if p in timings else "" for p in phases),
            f"{step['pages_written']:,}" if "pages_written" in step else "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--alerts", type=int, default=10_000, help="N: alerts of the base archive")
    parser.add_argument("--new", type=int, default=1_000, help="M: new alerts of the nightly run")
    parser.add_argument("--late", type=int, default=None, help="L: late alerts (default: M)")
    parser.add_argument("--days", type=int, default=30, help="days the base alerts span")
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument(
        "--skip-full",
        action="store_true",
        help="skip the --full rebuild of N+M (the 10%% target then uses the full build of N)",
    )
    parser.add_argument(
        "--skip-plain",
        action="store_true",
        help="skip the plain `mkdocs build` of N (single-threaded, ~25 min and ~7 GB at 100,000)",
    )
    parser.add_argument("--search", action="store_true", help="also time Pagefind indexing")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (inputs, project)")
    parser.add_argument(
        "--max-mem-gb",
        type=float,
        default=8.0,
        help="kill a step whose process tree passes this PSS, and stop (0: no limit) [8]",
    )
    parser.add_argument(
        "--table", type=Path, metavar="RESULT_JSON", help="print the Markdown table of a result file and exit"
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--child-args", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child(args.child, args.child_args)
    if args.table:
        print(markdown_table(json.loads(args.table.read_text("utf-8"))), end="")
        return 0
    if args.late is None:
        args.late = args.new
    doc = Bench(args, argv).run()
    print(json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
