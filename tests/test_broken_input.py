"""Broken input never stops a build (issue 3, part 3).

One corpus holds every defect the issue lists, each surrounded by good alerts in the same file.
The build must finish, report every bad record with its file, line and reason, pass over files
that cannot be read with a reason, and publish every good alert: exact counts, not "some".
A second test builds a single 20 MB line in a subprocess and measures its peak memory.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import string
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from bs4 import BeautifulSoup
from test_resource_bombs import _peak_build

from generator.read.models import alert_id, parse_time_ns
from generator.read.readers import CUT_MARKER
from generator.urls import alert_page

if TYPE_CHECKING:
    from conftest import Project, RunBuild

BOM = b"\xef\xbb\xbf"


@dataclass
class Corpus:
    """What was planted, and what the build must say about it."""

    good: list[dict[str, Any]] = field(default_factory=list)
    #: (file, line, words the reason must contain)
    problems: list[tuple[str, int, str]] = field(default_factory=list)
    #: (file, words the reason must contain)
    passed_over: list[tuple[str, str]] = field(default_factory=list)
    skipped_lines: int = 0
    duplicates: int = 0


def _good(n: int) -> dict[str, Any]:
    return {
        "time": f"2025-03-{1 + n % 28:02d}T10:00:{n % 60:02d}.5Z",
        "rule": f"Good rule {n % 3}",
        "priority": "Warning",
        "output": f"good alert number {n}",
        "output_fields": {"proc.name": "sh", "proc.cmdline": f"sh -c 'echo {n}'", "evt.num": n},
        "source": "syscall",
        "tags": ["test"],
        "hostname": f"host-{n % 2}",
    }


def _line(obj: Any) -> bytes:
    return json.dumps(obj).encode() + b"\n"


def build_corpus(alerts: Path) -> Corpus:
    """Write every defect of the issue's list into ``alerts``; return what the build must report."""
    c = Corpus()
    counter = iter(range(1000))

    def good() -> bytes:
        alert = _good(next(counter))
        c.good.append(alert)
        return _line(alert)

    # --- JSON Lines with a bad record between good ones, line numbers exact -------------------
    truncated = _line(_good(999))[:40] + b"\n"
    nested_ok_shape = {**_good(998), "output_fields": {"deep": json.loads("[" * 200 + "]" * 200)}}
    wrong_types = [
        ("rule", 123, "'rule'"),
        ("priority", [], "'priority'"),
        ("time", 1700000000, "'time'"),
        ("output", {"a": 1}, "'output'"),
        ("output_fields", "proc.name=sh", "'output_fields'"),
        ("tags", "container", "'tags'"),
        ("hostname", 7, "'hostname'"),
        ("source", ["syscall"], "'source'"),
        ("uuid", 5, "'uuid'"),
    ]
    lines: list[tuple[bytes, str | None]] = [
        (good(), None),
        (truncated, "invalid JSON"),
        (good(), None),
        (b'{"rule": "caf\xe9 \xff", "priority": "Warning"}\n', "invalid UTF-8"),
        (good(), None),
        (b"[1, " + good().rstrip(b"\n") + b"]\n", "array item 0 is a number"),
        (good(), None),
        (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", "nested too deeply"),
        (_line(nested_ok_shape), "nested deeper than 64 levels"),
        (good(), None),
        (_line(_good(997)).replace(b'"evt.num": 997', b'"evt.num": 1e400'), "too large for a 64-bit float"),
        (_line(_good(996)).replace(b'"evt.num": 996', b'"evt.num": ' + b"9" * 5000), "invalid JSON"),
        (
            b'{"rule": "a", "rule": "b", "time": "2025-01-01T00:00:00Z", "priority": "Info"}\n',
            "duplicate key",
        ),
        (_line(_good(995)).replace(b'"output": "good', b'"output": "\\ud800 lone'), "lone surrogate"),
    ]
    for key, value, words in wrong_types:
        lines.append((_line({**_good(994), key: value}), words))
    big = _good(next(counter))
    big["output_fields"]["evt.big"] = 2**80  # a number beyond 64 bits is data, not an error
    c.good.append(big)
    lines.append((_line(big), None))
    lines.append((good().rstrip(b"\n"), None))  # last line without a newline
    for number, (_raw, words) in enumerate(lines, start=1):
        if words:
            c.problems.append(("lines.jsonl", number, words))
    (alerts / "lines.jsonl").write_bytes(b"".join(raw for raw, _ in lines))

    # --- BOMs ---------------------------------------------------------------------------------
    (alerts / "bom.jsonl").write_bytes(BOM + good() + good())
    bom_doc = _good(next(counter))
    c.good.append(bom_doc)
    (alerts / "bom.json").write_bytes(BOM + json.dumps(bom_doc, indent=2).encode())

    # --- Empty files --------------------------------------------------------------------------
    for name in ("empty.jsonl", "empty.json", "blank.ndjson"):
        (alerts / name).write_bytes(b"" if name.startswith("empty") else b"\n \n\t\n")
        c.passed_over.append((name, "empty file"))

    # --- JSON documents: objects back to back, arrays, non-object values -----------------------
    first, second = _good(next(counter)), _good(next(counter))
    c.good += [first, second]
    doc = (
        json.dumps(first, indent=2)
        + "\n"
        + '{"rule": "cut short", "output_fields": {"proc.name": ]\n'
        + json.dumps(second, indent=2)
        + "\n"
    )
    (alerts / "stream.json").write_text(doc)
    broken_at = doc.splitlines().index('{"rule": "cut short", "output_fields": {"proc.name": ]') + 1
    c.problems.append(("stream.json", broken_at, "invalid JSON"))
    third, fourth = _good(next(counter)), _good(next(counter))
    c.good += [third, fourth]
    (alerts / "array.json").write_text(json.dumps([third, 42, fourth]))
    c.problems.append(("array.json", 1, "a number where an alert object was expected"))
    after = {**_good(next(counter)), "output": "the object after three non-objects"}
    c.good.append(after)
    (alerts / "values.json").write_text('42\n"just text"\nnull\n' + json.dumps(after))
    c.problems += [
        ("values.json", 1, "a number where an alert object was expected"),
        ("values.json", 2, "a string where an alert object was expected"),
        ("values.json", 3, "null where an alert object was expected"),
    ]
    before_cut = _good(next(counter))
    c.good.append(before_cut)
    (alerts / "truncated.json").write_text("[" + json.dumps(before_cut) + ", " + json.dumps(_good(989))[:50])
    c.problems.append(("truncated.json", 1, "invalid JSON"))

    # --- Duplicates are counted, not published twice ------------------------------------------
    (alerts / "again.jsonl").write_bytes(_line(c.good[0]))
    c.duplicates += 1

    # --- Falco's own log: banner lines are skipped, records around them kept ------------------
    log_lines = [
        b"Wed Nov 12 17:20:00 2025: Falco version: 0.42.0\n",
        good(),
        b"Wed Nov 12 17:20:01 2025: Loading rules from file /etc/falco/falco_rules.yaml\n",
        good(),
        b'{"output": "Falco internal: syscall event drop", \n',
        good(),
        b"Events detected: 3\n",
    ]
    (alerts / "falco.log").write_bytes(b"".join(log_lines))
    c.skipped_lines += 3
    c.problems.append(("falco.log", 5, "invalid JSON"))

    # --- gzip: corrupt, and truncated in the middle of the stream -----------------------------
    (alerts / "corrupt.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(random.Random(3).randbytes(4000)))
    c.problems.append(("corrupt.jsonl.gz", 1, "cannot read further"))
    rng = random.Random(7)
    zipped_alerts = []
    for _ in range(30):
        alert = _good(next(counter))
        alert["output_fields"]["noise"] = "".join(rng.choices(string.ascii_letters, k=400))
        zipped_alerts.append(alert)
    full = gzip.compress(b"".join(_line(a) for a in zipped_alerts))
    cut = full[: len(full) // 2]
    (alerts / "cut.jsonl.gz").write_bytes(cut)
    readable = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut)
    complete = readable.count(b"\n")
    assert 0 < complete < len(zipped_alerts)
    c.good += zipped_alerts[:complete]
    c.problems.append(("cut.jsonl.gz", complete + 1, "gzip stream is truncated"))
    (alerts / "good.jsonl.gz").write_bytes(gzip.compress(good() + good()))

    # --- Binary, unknown, unreadable files; symlink loops --------------------------------------
    (alerts / "core.log").write_bytes(b"\x7fELF\x02\x01\x01\x00" + random.Random(5).randbytes(20000))
    c.passed_over.append(("core.log", "binary file"))
    (alerts / "notes.md").write_text("# not alerts\n")
    c.passed_over.append(("notes.md", "unknown file type"))
    (alerts / "gone.jsonl").symlink_to(alerts / "does-not-exist.jsonl")
    c.passed_over.append(("gone.jsonl", "No such file"))
    (alerts / "ping.json").symlink_to("pong.json")
    (alerts / "pong.json").symlink_to("ping.json")
    c.passed_over += [("ping.json", "symbolic links"), ("pong.json", "symbolic links")]
    sub = alerts / "sub"
    sub.mkdir()
    (sub / "nested.jsonl").write_bytes(good())
    (sub / "loop").symlink_to("..")
    c.passed_over.append(("sub/loop", "symlink loop"))
    return c


@pytest.fixture
def corpus(project: Project) -> Corpus:
    return build_corpus(project.alerts)


def _published_ids(good: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for alert in good:
        out.setdefault(alert_id(alert), alert)
    return out


def test_every_defect_reported_and_every_good_alert_published(
    project: Project, corpus: Corpus, run_build: RunBuild
) -> None:
    run_build(["alerts"])
    report = project.report()
    expected = _published_ids(corpus.good)
    duplicates = corpus.duplicates + len(corpus.good) - len(expected)

    problems = sorted((p["file"], p["line"], p["reason"]) for p in report["problems"])
    assert [(f, n) for f, n, _ in problems] == sorted((f, n) for f, n, _ in corpus.problems)
    for (file, line, reason), (_, _, words) in zip(problems, sorted(corpus.problems), strict=True):
        assert words in reason, f"{file}:{line}: reason {reason!r} should mention {words!r}"

    passed = sorted((p["file"], p["reason"]) for p in report["passed_over"])
    assert [f for f, _ in passed] == sorted(f for f, _ in corpus.passed_over)
    for (file, reason), (_, words) in zip(passed, sorted(corpus.passed_over), strict=True):
        assert words in reason, f"{file}: reason {reason!r} should mention {words!r}"

    assert report["published"] == len(expected)
    assert report["quarantined"] == len(corpus.problems)
    assert report["duplicates"] == duplicates
    assert report["skipped_lines"] == corpus.skipped_lines
    assert report["records"] == report["published"] + report["duplicates"] + report["quarantined"]

    for aid, alert in expected.items():
        page = alert_page(aid, parse_time_ns(alert["time"]))
        html = project.site / page.removesuffix(".md") / "index.html"
        assert html.is_file(), f"good alert {alert['output']!r} was not published"
        downloaded = json.loads((project.site / page.removesuffix(".md")).with_suffix(".json").read_text())
        assert downloaded == alert
    published_pages = list((project.site / "alerts").rglob("index.html"))
    assert len(published_pages) == len(expected)


def test_build_report_page_names_file_line_and_reason(
    project: Project, corpus: Corpus, run_build: RunBuild
) -> None:
    run_build(["alerts"])
    soup = BeautifulSoup((project.site / "build-report" / "index.html").read_text("utf-8"), "html.parser")
    rows = {
        tuple(td.get_text() for td in tr.find_all("td"))
        for table in soup.select("article table")
        for tr in table.find_all("tr")
        if tr.find("td")
    }
    for p in project.report()["problems"]:
        assert (p["file"], str(p["line"]), p["reason"]) in rows
    for p in project.report()["passed_over"]:
        assert (p["file"], p["reason"]) in rows


def test_rerun_after_fixing_nothing_is_stable(project: Project, corpus: Corpus, run_build: RunBuild) -> None:
    """A second (incremental) build over the same broken corpus reads nothing and loses nothing."""
    run_build(["alerts"])
    first = project.report()
    run_build(["alerts"])
    second = project.report()
    assert second["mode"] == "incremental"
    assert second["archived"] == first["archived"] == first["published"]


def test_unreadable_file_is_reported(
    project: Project, run_build: RunBuild, make_alert: Callable[..., Any]
) -> None:
    """A file that exists but cannot be read (EIO here; EACCES for non-root) is passed over.

    ``/proc/self/mem`` fails with EIO on the first read even for root, so this works in CI.
    """
    project.write_jsonl("ok.jsonl", [make_alert()])
    (project.alerts / "broken-disk.jsonl").symlink_to("/proc/self/mem")
    if os.geteuid() != 0:
        (project.alerts / "locked.jsonl").write_text("{}\n")
        (project.alerts / "locked.jsonl").chmod(0)
    run_build(["alerts"])
    report = project.report()
    assert report["published"] == 1
    reasons = {p["file"]: p["reason"] for p in report["passed_over"] + report["problems"]}
    # A link out of the alerts folder is not even opened (issue 12.7); before, EIO was reported.
    assert "outside the alerts folder" in reasons.get("broken-disk.jsonl", "")
    if os.geteuid() != 0:
        assert "Permission denied" in reasons.get("locked.jsonl", "")


def test_huge_line_is_shortened_on_the_page_and_memory_stays_bounded(project: Project) -> None:
    """A single 20 MB line, built by the real CLI in a subprocess whose peak RSS is measured."""
    size = 20 * 1024 * 1024
    rng = random.Random(20)
    value = "".join(rng.choices(string.ascii_letters + string.digits + " /.-", k=size))
    alert = {**_good(1), "output": value}
    project.write_jsonl("huge.jsonl", [_good(2), alert, _good(3)])
    # Measured with GNU time where present (see test_resource_bombs._peak_build): a child forked
    # straight from pytest can report pytest's own high-water mark after other tests.
    code, peak_mb, stderr = _peak_build(project)
    print(f"peak RSS of a build with one 20 MB line: {peak_mb:.0f} MiB")
    assert code == 0, stderr
    assert peak_mb < 200 + 15 * size / 2**20, f"peak RSS {peak_mb:.0f} MiB for a 20 MiB line"

    report = project.report()
    assert report["published"] == 3 and report["quarantined"] == 0
    # Since issue 12.4 a value over limits.max_field_chars (1 MiB) is cut everywhere, the
    # download included, with a note saying how long it was; the report names the record.
    cap = 1_048_576
    assert report["cut"] == {"fields": 1, "records": ["huge.jsonl:2"], "max_field_chars": cap}
    cut = {**alert, "output": value[:cap] + CUT_MARKER.format(length=size)}
    page = alert_page(alert_id(cut), parse_time_ns(alert["time"])).removesuffix(".md")
    html = (project.site / page / "index.html").read_text("utf-8")
    assert len(html) < 300_000
    assert f"shortened: {len(cut['output']):,} characters" in html
    download = (project.site / page).with_suffix(".json")
    assert json.loads(download.read_text("utf-8"))["output"] == cut["output"]
    # Only the download holds the (cut) value: pages, search index, exports, feed stay small.
    big = [p for p in project.site.rglob("*") if p.is_file() and p != download and p.stat().st_size > 2**20]
    assert not big, f"files over 1 MiB besides the raw JSON download: {big}"
