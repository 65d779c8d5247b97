"""Small hostile files cannot blow up a build's memory or its report (issue 12.4).

Before: a 6 KB gzip holding one line with a JSON array of 3,000,000 numbers made every item a
quarantined record held in memory and written to ``build-report.json``; with two oversized-field
files beside it (a 25 MB command line, a 100 MB priority value) the build peaked at 4.26 GB RSS
and wrote a 431 MB report. Now records per line/array, kept string length, the quarantine list
and each file's decompressed size are capped (``[limits]``), and what was cut is reported.

The build runs the real CLI in a subprocess whose peak RSS is read with ``wait4``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.archive.ingest import ingest
from generator.read.limits import InputLimits
from generator.read.readers import discover
from generator.read.redact import Redactor

if TYPE_CHECKING:
    from conftest import Project

MB = 1024 * 1024
#: The issue's bound: peak RSS of a build stays under 1 GB for any input file under 1 MB.
RSS_LIMIT_MB = 1024


def _gzip_lines(path: Path, *lines: bytes) -> Path:
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for line in lines:
            fh.write(line + b"\n")
    return path


def write_bombs(alerts: Path, good: dict[str, Any]) -> dict[str, Path]:
    """The issue's reproducers (and a .json variant of the array), each well under 1 MB."""
    alerts.mkdir(parents=True, exist_ok=True)
    numbers = b"[" + b",".join([b"0"] * 3_000_000) + b"]"
    cmdline = {**good, "output_fields": {**good["output_fields"], "proc.cmdline": "A" * (25 * MB)}}
    priority = {**good, "priority": "B" * (100 * MB)}
    files = {
        "array": _gzip_lines(alerts / "array.jsonl.gz", numbers),
        "array-doc": _gzip_lines(alerts / "array-doc.json.gz", numbers),
        "cmdline": _gzip_lines(alerts / "cmdline.jsonl.gz", json.dumps(cmdline).encode()),
        "priority": _gzip_lines(alerts / "priority.jsonl.gz", json.dumps(priority).encode()),
        "good": _gzip_lines(alerts / "good.jsonl.gz", json.dumps(good).encode()),
    }
    for name, path in files.items():
        assert path.stat().st_size < MB, (name, path.stat().st_size)
    return files


def _peak_build(project: Project) -> tuple[int, float, str]:
    """Exit code, peak RSS in MiB and stderr of a real build in a subprocess.

    Measured by GNU time when present: it forks the build from its own small process, so the
    figure is the build's alone (a child forked straight from pytest can inherit pytest's
    high-water mark, hundreds of MiB after other tests). Else ``wait4`` on the child.
    """
    cli = [sys.executable, "-c", "import sys; from generator.cli import main; sys.exit(main())"]
    args = [*cli, "build", "alerts", "-q"]
    if Path("/usr/bin/time").exists():
        proc = subprocess.run(["/usr/bin/time", "-v", *args], capture_output=True, check=False)
        stderr = proc.stderr.decode(errors="replace")
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
        assert found is not None, stderr[-2000:]
        return proc.returncode, int(found.group(1)) / 1024, stderr
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)  # this child's own peak RSS (KiB on Linux)
    stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024, stderr


def test_bombs_build_under_1_gb_and_the_report_stays_small(
    project: Project, make_alert: Callable[..., dict[str, Any]]
) -> None:
    files = write_bombs(project.alerts, make_alert())
    code, peak_mb, stderr = _peak_build(project)
    report_path = project.docs / "build-report.json"
    report_mb = report_path.stat().st_size / MB if report_path.exists() else -1
    print(f"peak RSS {peak_mb:.0f} MiB, build-report.json {report_mb:.2f} MiB, inputs:")
    for name, path in files.items():
        print(f"  {name}: {path.stat().st_size:,} bytes on disk")
    assert code == 0, stderr[-3000:]
    assert peak_mb < RSS_LIMIT_MB, f"peak RSS {peak_mb:.0f} MiB"
    assert report_mb < 2, f"build-report.json is {report_mb:.1f} MiB"

    report = project.report()
    assert report["records"] == report["published"] + report["duplicates"] + report["quarantined"]
    assert report["published"] == 2  # the good alert, and the 25 MB command line (cut)
    assert len(report["problems"]) <= 1_000 + 10  # the cap, plus where a limit cut a file
    # What was cut is said: records past the list's cap per file, the array's rest, the field.
    assert sum(report["problems_not_listed"].values()) == report["quarantined"] - len(report["problems"])
    reasons = " ".join(p["reason"] for p in report["problems"])
    assert "only the first 10,000 were read" in reasons
    assert "array of more than 10,000 items" in reasons
    assert report["cut"]["fields"] == 1 and report["cut"]["records"] == ["cmdline.jsonl.gz:1"]
    assert any("not listed" in note for note in report["notes"])
    assert all(len(p["reason"]) < 700 for p in report["problems"])


def test_quarantine_list_is_capped_by_count_and_bytes(tmp_path: Path) -> None:
    alerts = tmp_path / "alerts"
    alerts.mkdir()
    (alerts / "bad.jsonl").write_text("".join(f'{{"rule": "r{n}"}}\n' for n in range(50)))
    files, _ = discover(alerts)
    limits = InputLimits(max_quarantine_entries=10)
    result = ingest(files, Redactor(), limits=limits)
    assert result.records == result.quarantined == 50
    assert len(result.problems) == 10 and result.problems_not_listed == {"bad.jsonl": 40}
    result = ingest(files, Redactor(), limits=InputLimits(max_quarantine_bytes=1024))
    assert result.quarantined == 50 and sum(len(p.reason) + 16 for p in result.problems) <= 1024 + 200


def test_long_reason_is_cut(tmp_path: Path) -> None:
    alerts = tmp_path / "alerts"
    alerts.mkdir()
    record = {"time": "2025-01-01T00:00:00Z", "rule": "r", "priority": "P" * 5_000_000}
    (alerts / "p.jsonl").write_text(json.dumps(record) + "\n")
    files, _ = discover(alerts)
    result = ingest(files, Redactor())
    (problem,) = result.problems
    assert len(problem.reason) < 700 and "reason cut from" in problem.reason


def test_decompression_budget_stops_a_gzip_bomb(tmp_path: Path) -> None:
    """Banner lines (cheap to skip) past the 64 MiB floor of a file 1000x smaller on disk."""
    alerts = tmp_path / "alerts"
    alerts.mkdir()
    banner = b"Falco initialized with configuration file " + b"x" * 1000
    _gzip_lines(alerts / "small.log.gz", *[banner] * 10_000)  # 10 MiB: under the floor
    _gzip_lines(alerts / "bomb.log.gz", *[banner] * 80_000)  # 80 MiB from ~100 KB
    files, _ = discover(alerts)
    result = ingest(files, Redactor(), limits=InputLimits(max_expansion_ratio=100))
    assert result.skipped_lines < 10_000 + 80_000
    (problem,) = result.problems
    assert problem.path == "bomb.log.gz" and "decompression bomb" in problem.reason
    assert result.records == 1  # the rest of the file counted as one quarantined record
