"""One record never stops the build (issue 12, item 1): it is quarantined, named and counted.

A record can fail after validation too: its page may not render (a value no template path
expected), the guarded writer may refuse its path. Before, any such exception ended the whole
build with exit 1, every night, for as long as the record sat in the input. Now the alert is
quarantined with its file, line and reason, taken out of the catalog before any aggregate page,
feed or export is written, its neighbours link past it, and the rest is published.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import Project, RunBuild

from generator.archive.ingest import ingest
from generator.pages import alert_pages
from generator.read.models import alert_id
from generator.read.readers import discover
from generator.read.redact import Redactor

Alert = Callable[..., dict[str, Any]]


def _night(make_alert: Alert, day: int, marker: str | None = None) -> list[dict[str, Any]]:
    alerts = []
    for i in range(5):
        cmd = f"bash -c 'echo {day}-{i}'"
        if marker and i == 2:
            cmd += marker
        alerts.append(
            make_alert(
                time=f"2025-11-{day:02d}T17:2{i}:00Z",
                output_fields={"proc.name": "bash", "proc.cmdline": cmd, "user.name": "root"},
            )
        )
    return alerts


@pytest.fixture
def poisoned_render(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stands for a template bug on a weird value: pages of alerts carrying BOOM raise."""
    real = alert_pages.alert_view

    def view(*args: Any, **kwargs: Any) -> Any:
        alert = args[2]
        if "BOOM" in str(alert.output_fields.get("proc.cmdline")):
            raise ValueError("unexpected value in proc.cmdline")
        return real(*args, **kwargs)

    monkeypatch.setattr(alert_pages, "alert_view", view)


@pytest.mark.usefixtures("poisoned_render")
def test_an_alert_whose_page_fails_is_quarantined_and_the_rest_published(
    project: Project, run_build: RunBuild, make_alert: Alert
) -> None:
    night = _night(make_alert, 12, marker=" BOOM")
    project.write_jsonl("night.jsonl", night)
    bad = alert_id(night[2])
    result = run_build(["alerts", "--no-mkdocs"])  # exit 0; before, the exception ended the build
    report = project.report()
    assert report["records"] == 5 and report["published"] == 4 and report["quarantined"] == 1
    assert report["records"] == report["published"] + report["duplicates"] + report["quarantined"]
    [problem] = report["problems"]
    assert problem["file"].endswith("night.jsonl") and problem["line"] == 3
    assert "could not be rendered" in problem["reason"] and "unexpected value" in problem["reason"]
    assert "1 quarantined" in result.output
    # Nowhere in the docs folder: no page, no listing row, no feed entry, no export, no news.
    for path in project.docs.rglob("*"):
        if path.is_file() and path.name != "build-report.json" and path.name != "build-report.md":
            assert bad not in path.read_text("utf-8", "replace"), path
    # Its neighbours link past it: the pages before and after it point at each other.
    before, after = alert_id(night[1]), alert_id(night[3])
    [page_before] = project.docs.glob(f"alerts/**/{before}.md")
    assert after in page_before.read_text("utf-8")

    # The next night (the same input still there, one more file) is incremental and goes on.
    project.write_jsonl("next.jsonl", _night(make_alert, 13))
    run_build(["alerts", "--no-mkdocs"])
    report = project.report()
    assert report["mode"] == "incremental" and report["published"] == 5 and report["archived"] == 9
    assert not list(project.docs.glob(f"alerts/**/{bad}.*"))


def test_a_record_that_breaks_processing_after_validation_is_quarantined(
    project: Project, make_alert: Alert, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redaction, identity and placement run on every record: an exception there is that
    record's, not the build's (before, only validation errors were caught)."""
    project.write_jsonl("night.jsonl", _night(make_alert, 12, marker=" BOOM"))
    redactor = Redactor()
    real = redactor.redact

    def redact(obj: dict[str, Any]) -> dict[str, Any]:
        if "BOOM" in json.dumps(obj):
            raise RecursionError("maximum recursion depth exceeded")
        return real(obj)

    monkeypatch.setattr(redactor, "redact", redact)
    files, _ = discover(project.alerts)
    result = ingest(files, redactor)
    assert result.records == 5 and result.published == 4 and result.quarantined == 1
    [problem] = result.problems
    assert problem.line == 3 and "RecursionError" in problem.reason
