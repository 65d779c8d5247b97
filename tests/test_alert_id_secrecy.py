"""Alert IDs reveal nothing about redacted content (issue 12, item 2).

Before 0.2 an alert without a falcosidekick uuid was identified by the SHA-256 of its
*unredacted* JSON, published beside the redacted JSON: anyone with the site could test
guesses of a redacted secret offline. Alerts that redaction changed are now identified by an
HMAC under a per-site key from the state folder (or ``FALCO_ARCHIVE_ID_KEY``); all others keep
exactly the ID they had, and a leaky ID that was already published redirects to the new page.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, Project, RunBuild

from generator.archive import plan
from generator.archive.ingest import group_key, ingest
from generator.archive.state import ID_KEY_ENV, State
from generator.read.readers import Record, discover, read_file
from generator.read.redact import Redactor
from generator.urls import alert_page, page_url

Alert = Callable[..., dict[str, Any]]
SECRET_CMD = "mysql -u admin --password=Summer2024"
WORDS = ["password", "admin", "Winter2023", "Summer2024", "letmein", "Spring2025", "hunter2"]
MARKER = re.compile(r"\[REDACTED:[^\]]*\]")


def old_id(obj: dict[str, Any]) -> str:
    """The pre-0.2 ID of an alert without uuid, spelled out: sha256(canonical JSON)[:16]."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def recover(published: dict[str, Any], alert_id: str) -> str | None:
    """The attack from the issue: put each guess where the marker is, hash, compare."""

    def fill(value: Any, guess: str) -> Any:
        if isinstance(value, str):
            return MARKER.sub(guess, value)
        if isinstance(value, dict):
            return {fill(k, guess): fill(v, guess) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v, guess) for v in value]
        return value

    for guess in WORDS:
        if old_id(fill(published, guess)) == alert_id:
            return guess
    return None


def leaky_alert(make_alert: Alert) -> dict[str, Any]:
    return make_alert(
        rule="Outbound Connection to C2 Servers",
        output=f"Outbound connection (command={SECRET_CMD} user=root)",
        output_fields={"proc.name": "mysql", "proc.cmdline": SECRET_CMD, "user.name": "root"},
    )


def published(project: Project) -> tuple[str, dict[str, Any]]:
    """The only alert page's ID and its published raw JSON download."""
    (download,) = (project.docs / "alerts").rglob("*.json")
    return download.stem, json.loads(download.read_text("utf-8"))


def test_the_attack_recovers_the_secret_from_a_plain_hash(make_alert: Alert) -> None:
    """The harness works: against the pre-0.2 ID the word list finds the password."""
    alert = leaky_alert(make_alert)
    redacted = Redactor().redact(alert)
    assert "Summer2024" not in json.dumps(redacted)
    assert recover(redacted, old_id(alert)) == "Summer2024"


def test_a_redacted_secret_cannot_be_recovered_from_the_published_id(
    project: Project, run_build: RunBuild, make_alert: Alert, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ID_KEY_ENV)  # the key the first build makes
    alert = leaky_alert(make_alert)
    project.write_jsonl("a.jsonl", [alert])
    run_build(["alerts", "--no-mkdocs"])
    aid, raw = published(project)
    assert "Summer2024" not in json.dumps(raw) and MARKER.search(json.dumps(raw))
    assert aid != old_id(alert)
    assert recover(raw, aid) is None
    key = (project.state / "id-key").read_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert stat.S_IMODE((project.state / "id-key").stat().st_mode) == 0o600
    # The key stays out of everything published.
    assert not [p for p in project.docs.rglob("*") if p.is_file() and key.encode() in p.read_bytes()]


def test_the_same_alert_read_twice_is_one_page_and_keeps_its_id(
    project: Project, run_build: RunBuild, make_alert: Alert
) -> None:
    alert = leaky_alert(make_alert)
    project.write_jsonl("a.jsonl", [alert, alert])
    project.write_jsonl("b.jsonl", [alert])
    run_build(["alerts", "--no-mkdocs"])
    report = project.report()
    assert (report["records"], report["published"], report["duplicates"]) == (3, 1, 2)
    aid, _ = published(project)
    run_build(["alerts", "--no-mkdocs", "--full"])
    assert published(project)[0] == aid


def test_the_environment_key_gives_the_same_ids_everywhere(
    tmp_path: Path, make_alert: Alert, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ID_KEY_ENV, "k" * 40)
    first, second = State(tmp_path / "one").id_key(), State(tmp_path / "two").id_key()
    assert first == second == b"k" * 40 and not (tmp_path / "one" / "id-key").exists()
    alert = leaky_alert(make_alert)
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(alert) + "\n")
    (file,), _ = discover(tmp_path)

    def ids(key: bytes) -> list[str]:
        return [row["id"] for row in ingest([file], Redactor(), id_key=key).rows]

    assert ids(first) == ids(second) != ids(b"x" * 40)
    monkeypatch.setenv(ID_KEY_ENV, "short")
    with pytest.raises(Exception, match="at least 32"):
        State(tmp_path / "three").id_key()


def test_alerts_redaction_did_not_change_keep_their_ids(make_alert: Alert, tmp_path: Path) -> None:
    """Every bundled alert keeps its published ID unless redaction changed it."""
    files, _ = discover(REPO / "alerts")
    redactor = Redactor()
    rows = ingest(files, redactor, id_key=b"k" * 32).rows
    by_origin = {row["origin"]: row["id"] for row in rows}
    unchanged = changed = 0
    for file in files:
        for event in read_file(file):
            if not isinstance(event, Record) or f"{event.path}:{event.line}" not in by_origin:
                continue
            aid = by_origin[f"{event.path}:{event.line}"]
            if redactor.redact(event.obj) == event.obj:
                uuid = event.obj.get("uuid")
                expected = uuid.lower() if isinstance(uuid, str) and len(uuid) == 36 else old_id(event.obj)
                assert aid == expected, event.path
                unchanged += 1
            else:
                changed += 1
    assert unchanged > 300 and changed < 10


@pytest.mark.browser
def test_a_leaky_id_published_before_redirects_to_the_new_page(
    project: Project,
    run_build: RunBuild,
    make_alert: Alert,
    monkeypatch: pytest.MonkeyPatch,
    browser: Any,
    serve_site: Callable[[Path], str],
) -> None:
    alert = leaky_alert(make_alert)
    project.write_jsonl("a.jsonl", [alert, make_alert()])
    # An archive built before 0.2: the redacted alert got the plain hash of what was read.
    real = plan.read_inputs
    monkeypatch.setattr(plan, "read_inputs", lambda *a, **k: real(*a, **{**k, "id_key": None}))
    run_build(["alerts", "--site-dir", "site"])
    legacy = old_id(alert)
    old_page = alert_page(legacy, 1762968022883786927)
    assert (project.site / page_url(old_page) / "index.html").is_file()
    monkeypatch.setattr(plan, "read_inputs", real)
    run_build(["alerts", "--site-dir", "site", "--full"])  # an upgrade rebuilds in full
    ids = {p.stem for p in (project.docs / "alerts").rglob("*.json")}
    assert legacy not in ids and len(ids) == 2 and old_id(make_alert()) in ids
    (new_id,) = ids - {old_id(make_alert())}
    new_page = alert_page(new_id, 1762968022883786927)
    redirect = (project.site / page_url(old_page) / "index.html").read_text("utf-8")
    assert 'http-equiv="refresh"' in redirect and f"{new_id}/" in redirect
    assert "Summer2024" not in redirect
    # The alias is remembered: a later full build (whose archive no longer holds the old ID)
    # keeps the redirect.
    run_build(["alerts", "--site-dir", "site", "--full"])
    assert (project.site / page_url(old_page) / "index.html").read_text("utf-8") == redirect
    base = serve_site(project.site)
    page = browser.new_page()
    try:
        page.goto(base + page_url(old_page))
        page.wait_for_url(base + page_url(new_page), timeout=10_000)
        assert "Outbound Connection to C2 Servers" in page.locator("article h1").first.inner_text()
    finally:
        page.close()


def test_group_ids_are_no_oracle_either(project: Project, run_build: RunBuild, make_alert: Alert) -> None:
    """Group pages (``groups/<key>/``) hash the *redacted* values: no guess can be checked."""
    project.write_jsonl("a.jsonl", [leaky_alert(make_alert)])
    run_build(["alerts", "--no-mkdocs"])
    (group,) = State(project.state).read_compact()["group"]  # published in the exports
    for guess in WORDS:
        cmd = SECRET_CMD.replace("Summer2024", guess)
        output = f"Outbound connection (command={cmd} user=root)"
        assert group_key("Outbound Connection to C2 Servers", "node-1", "mysql", cmd, "", output) != group


def test_a_secret_in_a_non_uuid_uuid_is_not_hashed_plainly(make_alert: Alert, tmp_path: Path) -> None:
    uuid = "session password=Summer2024"
    alert = make_alert(uuid=uuid)
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(alert) + "\n")
    (file,), _ = discover(tmp_path)
    (row,) = ingest([file], Redactor(), id_key=b"k" * 32).rows
    assert "Summer2024" not in row["raw"]
    assert row["id"].startswith("u") and row["id"] != "u" + hashlib.sha256(uuid.encode()).hexdigest()[:16]


def test_a_tampered_alias_table_redirects_nowhere(
    project: Project, run_build: RunBuild, make_alert: Alert
) -> None:
    """``aliases.json`` is state, not trusted: entries that are not alert pages are dropped."""
    project.write_jsonl("a.jsonl", [make_alert()])
    run_build(["alerts", "--site-dir", "site"])
    good = {"alerts/2025/11/12/0123456789abcdef.md": "alerts/2025/11/12/fedcba9876543210.md"}
    evil = {
        "index.md": "alerts/2025/11/12/fedcba9876543210.md",
        "alerts/2025/11/12/1111111111111111.md": "https://evil.example/x.md",
        "../../outside.md": "alerts/2025/11/12/fedcba9876543210.md",
        "alerts/2025/11/12/2222222222222222.md": 5,
    }
    (project.state / "aliases.json").write_text(json.dumps({**good, **evil}))
    assert State(project.state).alert_aliases() == good
    run_build(["alerts", "--site-dir", "site", "--full"])
    assert "evil.example" not in (project.site / "index.html").read_text("utf-8")
    assert not (project.root / "outside").exists()
    assert not list(project.site.rglob("1111111111111111"))
    assert (project.site / "alerts/2025/11/12/0123456789abcdef/index.html").is_file()
