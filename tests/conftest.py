"""Shared fixtures: a throw-away project folder, the CLI, a local web server and Chromium.

Every test that builds a site does it in ``tmp_path`` with its own copy of the packaged
``mkdocs.yml`` and hand-written pages (``site_src/``), chdir'ed there, so tests never touch
the repository's own generated pages and can run in parallel with a developer's build.
"""

from __future__ import annotations

import functools
import http.server
import json
import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.cli import main as cli_main
from generator.publish.packaged import DEFAULT_DOCS, DEFAULT_MKDOCS

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class Project:
    """A project folder laid out like a user's: ``alerts/`` in, ``site_src/`` + ``site/`` out."""

    root: Path

    @property
    def alerts(self) -> Path:
        return self.root / "alerts"

    @property
    def docs(self) -> Path:
        return self.root / "site_src"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def state(self) -> Path:
        return self.root / ".falco-archive"

    def write_jsonl(self, name: str, records: Sequence[Any]) -> Path:
        """One JSON value per line; ``ensure_ascii`` so lone surrogates survive as escapes."""
        path = self.alerts / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r, ensure_ascii=True) + "\n" for r in records), "utf-8")
        return path

    def report(self) -> dict[str, Any]:
        """The machine-readable build report of the last build."""
        return json.loads((self.docs / "build-report.json").read_text("utf-8"))


def copy_skeleton(dest: Path) -> None:
    """A project like one ``falco-archive init`` makes: the packaged mkdocs.yml (with an own,
    empty ``overrides/`` as ``custom_dir``, layered above the package theme) and the packaged
    hand-written pages in ``site_src/``."""
    dest.mkdir(parents=True, exist_ok=True)
    config = DEFAULT_MKDOCS.read_text("utf-8")
    assert "  name: material\n" in config
    config = config.replace("  name: material\n", "  name: material\n  custom_dir: overrides\n", 1)
    (dest / "mkdocs.yml").write_text(config, "utf-8")
    (dest / "overrides").mkdir(exist_ok=True)
    shutil.copytree(DEFAULT_DOCS, dest / "site_src", dirs_exist_ok=True)


#: One alert-ID key for the whole suite (as CI keeps one as a secret): IDs of alerts that
#: redaction changed depend on it, and tests compare builds made in different project folders.
TEST_ID_KEY = "falco-archive-test-suite-id-key-0123456789abcdef"


@pytest.fixture(scope="session", autouse=True)
def _one_id_key() -> Iterator[None]:
    """Session-wide, so module-scoped fixtures that build sites see the key too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FALCO_ARCHIVE_ID_KEY", TEST_ID_KEY)
        yield


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A fresh project in ``tmp_path`` (the current directory for the test's duration)."""
    copy_skeleton(tmp_path)
    (tmp_path / "alerts").mkdir()
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path)


RunBuild = Callable[..., Result]


def invoke_build(args: Sequence[str], expect: int | None = 0) -> Result:
    """Run ``falco-archive build ARGS`` in-process; fail with its output if the exit code differs.

    The CLI installs its own root logging handler bound to CliRunner's captured stderr, which is
    closed after the call; the previous handlers are put back so later tests log normally.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        result = CliRunner().invoke(cli_main, ["build", *args], catch_exceptions=True)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    if expect is not None and result.exit_code != expect:
        import traceback

        tb = "".join(traceback.format_exception(result.exception)) if result.exception else ""
        raise AssertionError(
            f"falco-archive build {' '.join(args)} exited {result.exit_code}, expected {expect}\n"
            f"--- output ---\n{result.output}\n{tb}"
        )
    return result


@pytest.fixture
def run_build() -> RunBuild:
    """``run_build(args, expect=0)``: the CLI's ``build`` command, run in the current directory."""
    return invoke_build


@pytest.fixture
def make_alert() -> Callable[..., dict[str, Any]]:
    """A valid Falco alert as JSON-ready dict; keyword arguments replace or add top-level keys."""

    def make(**overrides: Any) -> dict[str, Any]:
        alert: dict[str, Any] = {
            "time": "2025-11-12T17:20:22.883786927Z",
            "rule": "Terminal shell in container",
            "priority": "Notice",
            "output": "A shell was spawned in a container",
            "output_fields": {"proc.name": "bash", "proc.cmdline": "bash -i", "user.name": "root"},
            "source": "syscall",
            "tags": ["container", "shell", "T1059"],
            "hostname": "node-1",
        }
        alert.update(overrides)
        return alert

    return make


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def serve_site() -> Iterator[Callable[[Path], str]]:
    """``serve_site(path) -> base URL``: a static web server on 127.0.0.1, stopped after the test."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(path: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(path))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (skips where either is missing)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    manager = sync_api.sync_playwright().start()
    try:
        instance = manager.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception:
        manager.stop()
        raise
    try:
        yield instance
    finally:
        instance.close()
        manager.stop()


def kill_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` (polled every 2 ms); fail if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise AssertionError(f"the build ended (exit {proc.returncode}) before the kill point\n{err}")
        if ready():
            proc.kill()
            proc.wait()
            return
        time.sleep(0.002)
    proc.kill()
    proc.wait()
    raise AssertionError("kill point never reached")
