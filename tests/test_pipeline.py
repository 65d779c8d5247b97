"""End to end: folders of alerts in every supported shape become a built MkDocs site.

Real files, real MkDocs builds (strict mode), no mocks. Each test builds in its own copy of the
project (mkdocs.yml, overrides/, site_src/) so the repository's own docs folder is never touched.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import Project

from generator.archive.state import State
from generator.cli import main
from generator.read.models import alert_id
from generator.read.readers import Problem, Record, SkippedLine, discover, read_file
from generator.read.redact import Redactor
from generator.urls import alert_page, name_slug

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "tests" / "data" / "falco-samples"


@pytest.fixture
def workdir(project: Project) -> Path:
    """conftest's fresh project (the current directory), by the name these tests use."""
    return project.root


def build(*args: str) -> Result:
    result = CliRunner().invoke(main, ["build", *args], catch_exceptions=False)
    return result


def alert(i: int = 0, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "time": f"2026-11-20T10:00:{i % 60:02d}.{i:09d}Z",
        "rule": "Terminal shell in container",
        "priority": "Notice",
        "output": f"10:00:00.000000000: Notice A shell was spawned (command=sh -c {i})",
        "output_fields": {"proc.name": "sh", "proc.cmdline": f"sh -c {i}", "container.id": "abc123def456"},
        "source": "syscall",
        "tags": ["container", "shell", "mitre_execution", "T1059"],
        "hostname": "node-1",
    }
    base.update(over)
    return base


def report() -> dict[str, Any]:
    return json.loads(Path("site_src/build-report.json").read_text())


def tree_digest(root: Path, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).as_posix().startswith(exclude)
    }


def assert_counts_balance(rep: dict[str, Any]) -> None:
    assert rep["records"] == rep["published"] + rep["duplicates"] + rep["quarantined"]


# --------------------------------------------------------------------------------------------


def test_every_real_sample_becomes_a_page_or_a_quarantine_entry(workdir: Path) -> None:
    """Walk every file of the sample alerts and account for each record, with its reason."""
    assert SAMPLES.is_dir(), f"the sample alerts are missing at {SAMPLES}"
    shutil.copytree(SAMPLES, workdir / "in")
    result = build("in", "--site-dir", "site")
    assert result.exit_code == 0, result.output
    rep = report()
    assert_counts_balance(rep)
    quarantined = {(p["file"], p["line"]): p["reason"] for p in rep["problems"]}

    files, _ = discover(workdir / "in")
    redactor, key = Redactor(), State(workdir / ".falco-archive").id_key()
    outcomes: dict[str, int] = {"page": 0, "quarantined": 0, "skipped": 0}
    for file in files:
        for event in read_file(file):
            if isinstance(event, SkippedLine):
                outcomes["skipped"] += 1
            elif isinstance(event, Problem):
                assert quarantined[(event.path, event.line)] == event.reason
                outcomes["quarantined"] += 1
            else:
                assert isinstance(event, Record)
                key = (event.path, event.line)
                if key in quarantined:
                    outcomes["quarantined"] += 1
                    continue
                # Alerts redaction changed are identified under the site's key (issue 12).
                changed = redactor.redact(event.obj) != event.obj
                aid = alert_id(event.obj, key if changed else None)
                from generator.read.models import FalcoAlert

                page = alert_page(aid, FalcoAlert.model_validate(event.obj).time_ns)
                assert (workdir / "site_src" / page).is_file(), f"{key} has no page {page}"
                html = workdir / "site" / page.removesuffix(".md") / "index.html"
                assert html.is_file(), f"{key}: {html} was not built"
                outcomes["page"] += 1

    # The one invalid real alert: a hand-made curl payload with a broken time.
    assert quarantined[("alerts/falcosecurity_falco-website__13.json", 1)].startswith("field 'time'")
    # The gRPC-style document and the commented metrics snapshot are not JSON lines.
    grpc = [k for k in quarantined if k[0].endswith("grpc_style.txt")]
    metrics = [k for k in quarantined if k[0].endswith("metrics_with_comments.txt")]
    assert grpc and metrics
    assert all("invalid JSON" in quarantined[k] for k in grpc + metrics)
    # The raw Falco log: 53 JSON alerts, 7 summary lines.
    log_records = [e for e in read_file(next(f for f in files if f.display.endswith(".log")))]
    assert sum(isinstance(e, Record) for e in log_records) == 53
    assert sum(isinstance(e, SkippedLine) for e in log_records) == 7
    assert outcomes["page"] + outcomes["quarantined"] == rep["records"]
    assert rep["skipped_lines"] == outcomes["skipped"]
    # Every unique alert has one page; the README is a file passed over, not an error.
    pages = list((workdir / "site_src" / "alerts").rglob("*.md"))
    assert len(pages) == rep["published"]
    assert any(p["file"] == "README.md" for p in rep["passed_over"])
    # Aggregates: a page per rule, priority and host, and the dashboard.
    assert (workdir / "site" / "index.html").is_file()
    assert (workdir / "site" / "rules" / name_slug("Terminal shell in container") / "index.html").is_file()
    assert (workdir / "site" / "priorities" / "critical" / "index.html").is_file()
    assert (workdir / "site" / "hosts" / name_slug("unknown") / "index.html").is_file()


def test_input_shapes(workdir: Path) -> None:
    """Gzipped JSONL, pretty JSON, JSON array, falcosidekick S3 tree and a Falco log with banners."""
    inp = workdir / "in"
    (inp / "s3" / "falco" / "2026-11-20").mkdir(parents=True)
    with gzip.open(inp / "node-1.jsonl.gz", "wt") as fh:
        for i in range(5):
            fh.write(json.dumps(alert(i)) + "\n")
    (inp / "pretty.json").write_text(json.dumps(alert(10, hostname="node-2"), indent=4))
    (inp / "array.json").write_text(json.dumps([alert(20 + i, hostname="node-3") for i in range(3)]))
    for i in range(2):
        obj = alert(30 + i, uuid=f"00000000-0000-4000-8000-00000000000{i}")
        (inp / "s3" / "falco" / "2026-11-20" / f"2026-11-20T10:00:3{i}.{i:09d}Z.json").write_text(
            json.dumps(obj)
        )
    (inp / "falco.log").write_text(
        "Thu Nov 20 10:00:00 2026: Falco version: 0.42.0\n"
        + json.dumps(alert(40, hostname="node-4"))
        + "\nEvents detected: 1\nRule counts by severity:\n   NOTICE: 1\n"
    )
    (inp / "nested.ndjson.gz").write_bytes(gzip.compress((json.dumps(alert(50)) + "\n").encode()))

    result = build("in", "--site-dir", "site")
    assert result.exit_code == 0, result.output
    rep = report()
    assert rep["records"] == 5 + 1 + 3 + 2 + 1 + 1
    assert rep["published"] == 13 and rep["quarantined"] == 0
    assert rep["skipped_lines"] == 4
    # A falcosidekick uuid is the alert's ID and its URL.
    assert (workdir / "site/alerts/2026/11/20/00000000-0000-4000-8000-000000000001/index.html").is_file()
    assert "Done (full): 7 files (7 read)" in result.output


def test_duplicates_and_bad_records_are_counted_and_reported(workdir: Path) -> None:
    inp = workdir / "in"
    inp.mkdir()
    good = json.dumps(alert(1))
    lines = [
        good,
        good,  # exact duplicate
        '{"rule": "x", "time": "2026-11-20T10:00:00Z"',  # truncated
        json.dumps(alert(2, priority="LOUD")),
        json.dumps(alert(3, time="yesterday")),
        json.dumps({k: v for k, v in alert(4).items() if k != "rule"}),
        json.dumps(alert(5, tags="not-a-list")),
        json.dumps(alert(6)),
    ]
    (inp / "a.jsonl").write_text("\n".join(lines) + "\n")
    (inp / "copy.json").write_text(json.dumps(alert(6), indent=2))  # same alert, other file

    result = build("in", "--site-dir", "site")
    assert result.exit_code == 0, result.output
    rep = report()
    assert (rep["records"], rep["published"], rep["duplicates"], rep["quarantined"]) == (9, 2, 2, 5)
    reasons = {p["line"]: p["reason"] for p in rep["problems"]}
    assert reasons[3].startswith("invalid JSON")
    assert "unknown priority 'LOUD'" in reasons[4]
    assert reasons[5].startswith("field 'time'")
    assert reasons[6] == "required field 'rule' is missing"
    assert reasons[7].startswith("field 'tags'")
    assert "a.jsonl:3: invalid JSON" in result.output
    page = Path("site_src/build-report.md").read_text()
    assert "LOUD" in page and "a.jsonl" in page

    strict = build("in", "--site-dir", "site", "--strict", "--full")
    assert strict.exit_code == 1
    assert "5 records were quarantined" in strict.output


def test_fields_are_kept_exactly(workdir: Path) -> None:
    inp = workdir / "in"
    inp.mkdir()
    obj = alert(
        7,
        time="2026-11-20T10:00:00.1Z",
        priority="info",
        source="syscalls",
        hostname=None,
        output_fields={
            "evt.time": 1762968022883786927,
            "proc.aname[2]": "bash",
            "gcp.user ": "a",
            "k8s.pod.name": "<NA>",
            "proc.pname": None,
            "fd.name": "",
        },
    )
    (inp / "one.json").write_text(json.dumps(obj))
    assert build("in", "--no-mkdocs").exit_code == 0
    page = next(Path("site_src/alerts").rglob("*.md"))
    text = page.read_text()
    assert "2026-11-20T10&#58;00&#58;00.100000000Z" in text  # nanoseconds, UTC, 9 digits
    assert "fa-p-informational" in text
    assert "<code>syscall</code>" in text
    assert "fired on host <code>unknown</code>" in text
    assert "1762968022883786927" in text  # beyond 2^53, kept exact
    assert "proc.aname&#91;2&#93;" in text and "gcp.user " in text
    assert text.count("<em>absent</em>") == 3
    raw = json.loads(page.with_suffix(".json").read_text())
    assert raw["output_fields"]["evt.time"] == 1762968022883786927


def test_rebuild_is_byte_identical_and_incremental_matches_full(workdir: Path) -> None:
    inp = workdir / "in"
    inp.mkdir()
    (inp / "night1.jsonl").write_text("".join(json.dumps(alert(i)) + "\n" for i in range(0, 30, 3)))
    assert build("in", "--site-dir", "site").exit_code == 0
    # Only build.json, the build report and the feed's <updated> carry the build time (issue 13).
    timed = ("build-report", "build.json", "feed.xml")
    first = tree_digest(Path("site_src"), exclude=timed)
    assert build("in", "--site-dir", "site", "--full").exit_code == 0
    assert tree_digest(Path("site_src"), exclude=timed) == first

    # Night 2: new alerts, and some that arrive late (older than the newest archived one).
    (inp / "night2.jsonl").write_text("".join(json.dumps(alert(i)) + "\n" for i in range(1, 30, 3)))
    result = build("in", "--site-dir", "site")
    assert result.exit_code == 0 and "Done (incremental)" in result.output
    assert report()["files_read"] == 1
    incremental = tree_digest(Path("site_src"), exclude=timed)
    incremental_site = tree_digest(Path("site"), exclude=(*timed, "sitemap", "search", "pagefind"))
    assert build("in", "--site-dir", "site", "--full").exit_code == 0
    assert tree_digest(Path("site_src"), exclude=timed) == incremental
    assert tree_digest(Path("site"), exclude=(*timed, "sitemap", "search", "pagefind")) == incremental_site


def test_names_that_slug_alike_get_separate_pages(workdir: Path) -> None:
    inp = workdir / "in"
    inp.mkdir()
    names = ["Foo", "foo", "foo!", "../../etc/passwd", "/etc/passwd", "x" * 500, "日本", "CON", ""]
    lines = [json.dumps(alert(i, rule=n or "r", hostname=n or "h")) for i, n in enumerate(names)]
    (inp / "a.jsonl").write_text("\n".join(lines))
    result = build("in", "--site-dir", "site")
    assert result.exit_code == 0, result.output
    rule_pages = sorted(p.parent.name for p in Path("site_src/rules").glob("*/index.md"))
    assert len(rule_pages) == len(set(n or "r" for n in names))
    assert all(len(p) <= 48 + 1 + 16 and p.replace("-", "").isalnum() for p in rule_pages)
    for root in (workdir / "site_src", workdir / "site"):
        for path in root.rglob("*"):
            assert path.resolve().is_relative_to(root.resolve())
    assert not (workdir / "etc").exists()


def test_cli_usage_and_help(workdir: Path) -> None:
    runner = CliRunner()
    for command in ("build", "serve", "validate"):
        res = runner.invoke(main, [command, "--help"])
        assert res.exit_code == 0 and "Example:" in res.output
    assert runner.invoke(main, ["build", "--no-such-option"]).exit_code == 2
    assert runner.invoke(main, ["build", "does-not-exist"]).exit_code == 2


def _internal_links(html_file: Path) -> list[str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_file.read_text("utf-8"), "html.parser")
    hrefs = [a.get("href", "") for a in soup.select("article a[href]")]
    return [h for h in hrefs if h and not h.startswith(("http://", "https://", "#", "mailto:"))]


def test_pages_show_real_tables_and_every_link_resolves(workdir: Path) -> None:
    """Aggregates render as HTML tables (not escaped Markdown) and no internal link is broken."""
    from bs4 import BeautifulSoup

    inp = workdir / "in"
    inp.mkdir()
    rows = [
        alert(i, hostname=f"node-{i % 3}", priority=["Critical", "Notice", "Warning"][i % 3])
        for i in range(12)
    ]
    same = {"proc.name": "cat", "proc.cmdline": "cat /etc/shadow"}
    rows += [
        alert(
            100 + i,
            rule="Read sensitive file untrusted",
            output=f"10:00:0{i}.000000000: same",
            output_fields=same,
        )
        for i in range(3)
    ]
    (inp / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert build("in", "--site-dir", "site").exit_code == 0
    site = workdir / "site"

    dashboard = BeautifulSoup((site / "index.html").read_text(), "html.parser")
    tables = dashboard.select("article table")
    assert len(tables) >= 4
    assert "\\n" not in dashboard.select_one("article").get_text()
    top_rules = [a.get_text() for a in tables[1].select("td a")]
    assert top_rules[0] == "Terminal shell in container"

    rule_html = site / "rules" / name_slug("Terminal shell in container") / "index.html"
    rule = BeautifulSoup(rule_html.read_text(), "html.parser")
    latest = rule.find("h2", string="Latest alerts").find_next("table")
    assert len(latest.select("tbody tr")) == 12
    # Three identical alerts (same process, command line, output) are one group with its own page.
    repeated = site / "rules" / name_slug("Read sensitive file untrusted") / "index.html"
    soup = BeautifulSoup(repeated.read_text(), "html.parser")
    group_table = soup.find("h2", string="Repeated activity").find_next("table")
    cells = [td.get_text() for td in group_table.select("tbody tr")[0].select("td")]
    assert cells[1] == "3"

    for html_file in site.rglob("index.html"):
        if "assets" in html_file.parts:
            continue
        for href in _internal_links(html_file):
            target = (html_file.parent / href.split("#")[0]).resolve()
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{html_file.relative_to(site)} links to missing {href}"
