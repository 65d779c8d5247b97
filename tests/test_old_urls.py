"""Every URL the bundled archive published before 0.2 still resolves after the upgrade.

Incident tickets link to alert, rule and host pages. 0.2 changed two things under them: rule
and host slugs end in 16 hex digits instead of 8 (issue 12, item 1), and alerts that redaction
changed are identified by an HMAC instead of a plain hash (item 2). This test builds the
bundled ``alerts/`` with the code of commit 3e4a891 (before both changes, taken from git),
upgrades with today's code, and checks each old URL, computed here as the old code spelled it,
in the built site: a page, or a redirect whose target is a page. A browser follows one of each.

Also: old-slug redirects exist only for names the old archive published (a name archived since
never had an 8-digit URL), survive a nightly incremental build, and never shadow a real page.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import subprocess
import sys
import tarfile
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import REPO, Project, RunBuild

from generator.read.readers import Record, discover, read_file
from generator.urls import host_page, page_url, rule_page

OLD_COMMIT = "3e4a891"
BUNDLED = REPO / "alerts"
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


# -- the old scheme, spelled out as 3e4a891 computed it (not via generator code) ---------------
def old_slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    readable = "-".join(re.findall(r"[a-z0-9]+", ascii_name.lower()))[:48].strip("-")
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{readable}-{digest}" if readable else digest


def old_alert_url(obj: dict[str, Any], time_ns: int) -> str:
    uuid = obj.get("uuid")
    if isinstance(uuid, str) and UUID.fullmatch(uuid):
        aid = uuid.lower()
    elif isinstance(uuid, str) and uuid:
        aid = "u" + hashlib.sha256(uuid.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    else:
        canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        aid = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    day = datetime.fromtimestamp(time_ns // 1_000_000_000, tz=UTC)
    return f"alerts/{day:%Y/%m/%d}/{aid}/"


def resolve(site: Path, url: str, hops: int = 3) -> Path:
    """The page a browser ends on from ``url`` (following our meta-refresh redirects)."""
    path = site / url / "index.html"
    assert path.is_file(), f"{url} does not resolve"
    text = path.read_text("utf-8")
    match = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', text)
    if match is None:
        assert "stood for several" not in text, f"{url}: an old URL shared by several names"
        return path
    assert hops, f"{url}: redirect loop"
    target = (Path("/") / url / html.unescape(match.group(1))).resolve()
    return resolve(site, target.as_posix().strip("/") + "/", hops - 1)


@pytest.fixture(scope="module")
def old_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package as it was at 3e4a891 (from git), importable from a folder of its own."""
    if not (REPO / ".git").exists():
        pytest.skip("needs the git history")
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", OLD_COMMIT, "generator"], capture_output=True, check=False
    )
    if archive.returncode:
        pytest.skip(f"commit {OLD_COMMIT} not available: {archive.stderr.decode()}")
    dest = tmp_path_factory.mktemp("old-code")
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def old_build(project: Path, code: Path, alerts: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(code)}
    cli = [sys.executable, "-c", "import sys; from generator.cli import main; sys.exit(main())"]
    subprocess.run([*cli, "build", str(alerts), "--no-mkdocs", "-q"], cwd=project, env=env, check=True)


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory, old_code: Path) -> Iterator[Path]:
    """The bundled archive built by the old code, then upgraded by today's (a full build)."""
    from conftest import TEST_ID_KEY, copy_skeleton, invoke_build

    root = tmp_path_factory.mktemp("upgrade")
    copy_skeleton(root)
    old_build(root, old_code, BUNDLED)
    cwd, key = Path.cwd(), os.environ.get("FALCO_ARCHIVE_ID_KEY")
    os.chdir(root)
    os.environ["FALCO_ARCHIVE_ID_KEY"] = TEST_ID_KEY
    try:
        invoke_build([str(BUNDLED), "--site-dir", "site", "-q"])
        yield root
    finally:
        os.chdir(cwd)
        if key is None:
            os.environ.pop("FALCO_ARCHIVE_ID_KEY", None)
        else:
            os.environ["FALCO_ARCHIVE_ID_KEY"] = key


def bundled_records() -> list[Record]:
    files, _ = discover(BUNDLED)
    return [r for f in files for r in read_file(f) if isinstance(r, Record)]


def test_every_old_url_of_the_bundled_archive_resolves(upgraded: Path) -> None:
    from generator.read.models import FalcoAlert

    site = upgraded / "site"
    alert_urls, rules, hosts = set(), set(), set()
    for record in bundled_records():
        try:
            alert = FalcoAlert.model_validate(record.obj)
        except ValueError:
            continue  # the old code quarantined it too: never published
        alert_urls.add(old_alert_url(record.obj, alert.time_ns))
        rules.add(alert.rule)
        hosts.add(alert.host)
    assert len(alert_urls) > 350 and len(rules) > 20 and len(hosts) > 5
    moved = 0
    for url in sorted(alert_urls):
        page = resolve(site, url)
        moved += page != site / url / "index.html"
        assert 'class="fa-alert' in page.read_text("utf-8") or "<h1" in page.read_text("utf-8")
    # The alerts redaction changed moved to keyed IDs: their old URLs redirect (issue 12.2).
    assert moved >= 3
    for tree, names, page_of in (("rules", rules, rule_page), ("hosts", hosts, host_page)):
        for name in names:
            landed = resolve(site, f"{tree}/{old_slug(name)}/")
            assert landed == site / page_url(page_of(name)) / "index.html", name


@pytest.mark.browser
def test_a_browser_follows_old_urls_to_the_new_pages(
    upgraded: Path, browser: Any, serve_site: Callable[[Path], str]
) -> None:
    rule = "Terminal shell in container"
    site = upgraded / "site"
    # An alert whose ID changed (redaction changed it, issue 12.2): its old URL is a redirect.
    from generator.read.models import FalcoAlert

    moved = []
    for record in bundled_records():
        try:
            alert = FalcoAlert.model_validate(record.obj)
        except ValueError:
            continue
        url = old_alert_url(record.obj, alert.time_ns)
        if (site / url / "index.html").is_file() and resolve(site, url) != site / url / "index.html":
            moved.append((url, resolve(site, url)))
    assert moved
    old_alert, landed = moved[0]
    new_alert = landed.parent.relative_to(site).as_posix() + "/"
    base = serve_site(site)
    page = browser.new_page()
    try:
        page.goto(base + f"rules/{old_slug(rule)}/")
        page.wait_for_url(base + page_url(rule_page(rule)), timeout=10_000)
        assert rule in page.locator("article h1").first.inner_text()
        page.goto(base + old_alert)
        page.wait_for_url(base + new_alert, timeout=10_000)
        assert page.locator("article h1").first.inner_text().strip()
    finally:
        page.close()


def test_only_names_published_before_get_old_slug_redirects_and_they_survive_nights(
    project: Project, run_build: RunBuild, make_alert: Any, old_code: Path
) -> None:
    project.write_jsonl("old.jsonl", [make_alert(rule="Old rule", hostname="old-host")])
    old_build(project.root, old_code, project.alerts)
    project.write_jsonl(
        "new.jsonl", [make_alert(rule="New rule", hostname="new-host", time="2025-11-13T10:00:00Z")]
    )
    run_build(["alerts", "--site-dir", "site"])
    site = project.site
    assert (
        resolve(site, f"rules/{old_slug('Old rule')}/")
        == site / page_url(rule_page("Old rule")) / "index.html"
    )
    assert (
        resolve(site, f"hosts/{old_slug('old-host')}/")
        == site / page_url(host_page("old-host")) / "index.html"
    )
    # A name first archived by 0.2 never had an 8-digit URL: none is made up for it.
    assert not (site / "rules" / old_slug("New rule")).exists()
    assert not (site / "hosts" / old_slug("new-host")).exists()
    # Nights later, incremental builds keep the redirects (the names are in the state).
    project.write_jsonl("night.jsonl", [make_alert(rule="Old rule", time="2025-11-14T10:00:00Z")])
    run_build(["alerts", "--site-dir", "site"])
    assert project.report()["mode"] == "incremental"
    assert (
        resolve(site, f"rules/{old_slug('Old rule')}/")
        == site / page_url(rule_page("Old rule")) / "index.html"
    )
    run_build(["alerts", "--site-dir", "site", "--full"])  # and so do full rebuilds
    assert (
        resolve(site, f"hosts/{old_slug('old-host')}/")
        == site / page_url(host_page("old-host")) / "index.html"
    )
    assert not (site / "rules" / old_slug("New rule")).exists()


def test_a_redirect_never_shadows_a_real_page(tmp_path: Path) -> None:
    """Whatever the table says (a crafted name whose old slug equals another name's listing
    page, a tampered state), a file that is not one of our redirects is kept."""
    from generator.pages.redirects import redirect_pages
    from generator.publish.stage import _write_redirects

    real = tmp_path / "rules" / "x" / "page-2" / "index.html"
    real.parent.mkdir(parents=True)
    real.write_text("<h1>a real listing page</h1>", "utf-8")
    catalog = pd.DataFrame(
        {"rule": ["Old rule"], "host": ["h"], "page": ["alerts/2025/11/12/0123456789abcdef.md"]}
    )
    pages = redirect_pages(catalog, {}, {"rule": ["Old rule"]})
    assert list(pages) == [f"rules/{old_slug('Old rule')}/index.html"]
    _write_redirects(tmp_path, {"rules/x/page-2/index.html": next(iter(pages.values()))})
    assert real.read_text("utf-8") == "<h1>a real listing page</h1>"
    # Listing pages of current names are current pages too: never a redirect target path.
    many = pd.DataFrame(
        {
            "rule": ["R"] * 130,
            "host": ["h"] * 130,
            "page": [f"alerts/2025/11/12/{i:016x}.md" for i in range(130)],
        }
    )
    own = redirect_pages(many, {}, {"rule": ["R"]})
    assert f"{page_url(rule_page('R'))}page-2/index.html" not in own
    assert f"rules/{old_slug('R')}/page-2/index.html" in own
