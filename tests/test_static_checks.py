"""The package is type-checked and lint-clean: part of the test run, so CI enforces both.

mypy runs in strict mode with the pydantic plugin (``[tool.mypy]`` in pyproject.toml) and ruff
with the project's rule set. Each check runs as a subprocess, exactly as a developer runs it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600
    )


def test_package_type_checks_with_mypy() -> None:
    done = _run("mypy", "--no-error-summary", "--cache-dir", str(REPO / ".mypy_cache"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_is_clean() -> None:
    done = _run("ruff", "check", "--no-cache", "generator", "tests", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr
