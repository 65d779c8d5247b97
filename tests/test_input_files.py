"""Only regular files inside the alerts folder are read; one build at a time per state (issue 12.7).

A FIFO or a symlink to ``/dev/zero`` in the alerts folder used to hang the build (every new file
was hashed before any type check) and a symlink to a host file published its content in the
build report. Each is now passed over, with its reason, before anything opens it. Two builds on
the same state folder would commit over each other: the second now fails at once, naming the
lock file and the PID of the first.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from generator.archive.plan import find_inputs
from generator.archive.state import State
from generator.errors import StateLockedError
from generator.read.readers import discover

if TYPE_CHECKING:
    from conftest import Project, RunBuild

HOST_SECRET = "host-file-content-that-must-stay-private-7f3a"


def _hostile_folder(alerts: Path, outside: Path) -> None:
    """A good file beside a FIFO, a link to /dev/zero, links out of the folder (file and dir)."""
    alerts.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "host.jsonl").write_text(f'{{"rule": "{HOST_SECRET}"}}\n')
    os.mkfifo(alerts / "pipe.jsonl")
    (alerts / "zero.jsonl").symlink_to("/dev/zero")
    (alerts / "host.jsonl").symlink_to(outside / "host.jsonl")
    (alerts / "hostdir").symlink_to(outside, target_is_directory=True)
    (alerts / "inside.jsonl").symlink_to(alerts / "good.jsonl")  # stays inside: followed


def _run_with_timeout(fn: Callable[[], Any], seconds: float) -> Any:
    """Run ``fn`` in this process but fail (instead of hanging the suite) if it blocks."""
    import signal

    def on_alarm(_signum: int, _frame: Any) -> None:
        raise TimeoutError(f"blocked for more than {seconds} s (a FIFO or device was opened)")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_fifo_device_and_outside_links_are_passed_over_before_any_hash(tmp_path: Path) -> None:
    alerts = tmp_path / "alerts"
    _hostile_folder(alerts, tmp_path / "outside")
    (alerts / "good.jsonl").write_text('{"rule": "r"}\n')
    inputs = _run_with_timeout(lambda: find_inputs(alerts, {}), 10)
    read = sorted(f.display for f in inputs.files)
    assert read == ["good.jsonl", "inside.jsonl"]
    reasons = {p.path: p.reason for p in inputs.passed_over}
    assert "FIFO" in reasons["pipe.jsonl"]
    assert "device" in reasons["zero.jsonl"]
    assert "outside the alerts folder" in reasons["host.jsonl"]
    assert "outside the alerts folder" in reasons["hostdir"]
    assert not any(HOST_SECRET in r for r in reasons.values())


def test_discover_reports_each_file_passed_over(tmp_path: Path) -> None:
    alerts = tmp_path / "alerts"
    _hostile_folder(alerts, tmp_path / "outside")
    (alerts / "good.jsonl").write_text('{"rule": "r"}\n')
    files, passed_over = discover(alerts)
    assert [f.display for f in files] == ["good.jsonl", "inside.jsonl"]
    assert sorted(p.path for p in passed_over) == ["host.jsonl", "hostdir", "pipe.jsonl", "zero.jsonl"]


def test_build_with_a_fifo_and_dev_zero_finishes_and_says_why(
    project: Project, make_alert: Callable[..., dict[str, Any]]
) -> None:
    """The real CLI in a subprocess, so a regression hangs only the child (killed by timeout)."""
    project.write_jsonl("good.jsonl", [make_alert()])
    _hostile_folder(project.alerts, project.root / "outside")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from generator.cli import main; sys.exit(main())",
            "build",
            "alerts",
            "--no-mkdocs",
            "-q",
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    report = project.report()
    assert report["published"] == 1 and report["quarantined"] == 0
    passed = {p["file"]: p["reason"] for p in report["passed_over"]}
    assert {"pipe.jsonl", "zero.jsonl", "host.jsonl", "hostdir"} <= passed.keys()
    published = "".join(p.read_text("utf-8", "replace") for p in project.docs.rglob("*") if p.is_file())
    assert HOST_SECRET not in published


def test_second_build_on_the_same_state_fails_fast_naming_the_lock_and_pid(
    project: Project, run_build: RunBuild, make_alert: Callable[..., dict[str, Any]]
) -> None:
    project.write_jsonl("good.jsonl", [make_alert()])
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import sys, time
                from pathlib import Path
                from generator.archive.state import State
                with State(Path(sys.argv[1])).lock():
                    print("locked", flush=True)
                    time.sleep(60)
                """
            ),
            str(project.state),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        started = time.monotonic()
        result = run_build(["alerts", "--no-mkdocs"], expect=1)
        assert time.monotonic() - started < 10
        assert ".falco-archive/lock is locked" in result.output
        assert f"process {holder.pid}" in result.output
    finally:
        holder.kill()
        holder.wait()
    run_build(["alerts", "--no-mkdocs"])  # the kernel released the lock with the process


def test_lock_is_released_and_reusable(tmp_path: Path) -> None:
    state = State(tmp_path / "state")
    # flock locks belong to the open file description: a second open in one process conflicts.
    with state.lock(), pytest.raises(StateLockedError, match=str(os.getpid())), state.lock():
        pass
    with state.lock():
        pass
