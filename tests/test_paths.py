"""Alert IDs, rule names and hostnames never shape a path outside the docs and site folders
(issue 3, part 2): no ``../``, no absolute paths, no NUL, no reserved or over-long names, and
no two names that differ only by case (or Unicode compatibility form) share a page.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import DuplicateOutputError, PathEscapeError
from generator.files import DocsWriter
from generator.pages.escape import name_visible, visible
from generator.read.models import alert_id, parse_time_ns
from generator.urls import alert_page, check_alert_id, name_slug, url_link

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import Project, RunBuild

HOSTILE_NAMES = [
    "../../../../../../tmp/falco-archive-escape",
    "..",
    ".",
    "./",
    "/etc/passwd",
    "/",
    "\\\\server\\share\\x",
    "..\\..\\windows\\win.ini",
    "C:\\Windows\\System32",
    "a\x00b",
    "\x00",
    "CON",
    "nul",
    "Aux.txt",
    "COM1",
    "lpt9",
    "trailing dot.",
    "trailing space ",
    "index",
    "page-1",
    "assets",
    "search",
    "%2e%2e%2f%2e%2e%2fetc",
    "~root",
    "$HOME",
    "a/b",
    "a b",
    "a" * 5000,
    "é" * 300,
    "😀" * 100,
    "Foo",
    "foo",
    "FOO",
    "straße",
    "STRASSE",
    "strasse",
    "ﬁle",
    "file",
    "Ｆｉｌｅ",
    "\u202ecod.exe",
    " ",
    "\t\n",
]
RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?", re.IGNORECASE)
SLUG = re.compile(r"([a-z0-9]+(-[a-z0-9]+)*-)?[0-9a-f]{16}")


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_slug_is_one_safe_bounded_path_segment(name: str) -> None:
    slug = name_slug(name)
    assert SLUG.fullmatch(slug), slug
    assert len(slug) <= 48 + 1 + 16
    assert slug == name_slug(name), "slugs must be stable"
    assert not RESERVED.fullmatch(slug)


@given(st.text(max_size=40), st.text(max_size=40))
def test_different_names_never_share_a_slug(a: str, b: str) -> None:
    if a != b:
        assert name_slug(a) != name_slug(b)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_slug_safely(name: str) -> None:
    slug = name_slug(name)
    assert SLUG.fullmatch(slug) and ".." not in slug and "/" not in slug


def test_case_and_compatibility_variants_get_their_own_slug() -> None:
    groups = [("Foo", "foo", "FOO"), ("straße", "STRASSE", "strasse"), ("ﬁle", "file", "Ｆｉｌｅ")]
    for group in groups:
        slugs = [name_slug(n) for n in group]
        assert len({s.casefold() for s in slugs}) == len(group), slugs


@pytest.mark.parametrize(
    "uuid",
    [
        "../../etc/passwd",
        "/abs",
        "CON",
        "a" * 10_000,
        "x\x00y",
        "..",
        "AbC",
        "7a1b2c3d-0000-0000-0000-00000000000g",
    ],
)
def test_non_uuid_ids_are_hashed(uuid: str) -> None:
    aid = alert_id({"uuid": uuid, "rule": "r"})
    assert re.fullmatch(r"u[0-9a-f]{16}", aid), aid
    assert check_alert_id(aid) == aid


def test_real_uuid_is_kept_and_lower_cased() -> None:
    assert (
        alert_id({"uuid": "7A1B2C3D-0000-4000-8000-0000000000AB"}) == "7a1b2c3d-0000-4000-8000-0000000000ab"
    )


@pytest.mark.parametrize(
    "bad", ["../x", "/etc/passwd", "", "ABCDEF0123456789", "0123456789abcdef/..", "a" * 17]
)
def test_check_alert_id_refuses_anything_else(bad: str) -> None:
    with pytest.raises(PathEscapeError):
        check_alert_id(bad)
    with pytest.raises(PathEscapeError):
        alert_page(bad, 0)


def test_alert_pages_at_the_edges_of_time() -> None:
    for stamp, year in [
        ("1678-01-01T00:00:00Z", "1678"),
        ("1970-01-01T00:00:00Z", "1970"),
        ("2262-04-11T00:00:00Z", "2262"),
    ]:
        page = alert_page("0123456789abcdef", parse_time_ns(stamp))
        assert page.startswith(f"alerts/{year}/") and page.endswith("/0123456789abcdef.md")


@pytest.mark.parametrize("relative", ["../x.md", "a/../../x.md", "/etc/passwd", "\\x", "a\x00b.md", ".."])
def test_writer_refuses_escapes(tmp_path: Path, relative: str) -> None:
    writer = DocsWriter(tmp_path / "docs")
    with pytest.raises(PathEscapeError):
        writer.write(relative, "x")
    assert not (tmp_path / "x.md").exists()


def test_writer_refuses_a_symlink_out_of_its_root(tmp_path: Path) -> None:
    root, outside = tmp_path / "docs", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "rules").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PathEscapeError):
        DocsWriter(root).write("rules/index.md", "pwned")
    assert list(outside.iterdir()) == []


def test_writer_refuses_two_pages_on_one_file(tmp_path: Path) -> None:
    writer = DocsWriter(tmp_path)
    writer.write("rules/a/index.md", "one")
    with pytest.raises(DuplicateOutputError):
        writer.write("rules/a/index.md", "two")
    assert (tmp_path / "rules/a/index.md").read_text() == "one"


def test_links_stay_relative() -> None:
    assert url_link("alerts/2025/01/02/0123456789abcdef.md", "rules/x-01234567/index.md") == (
        "../../../../../rules/x-01234567/"
    )
    assert url_link("rules/x-01234567/page-2.md", "rules/x-01234567/index.md") == "../../../rules/x-01234567/"
    assert url_link("rules/x-01234567/index.md", "index.md") == "../../"


def _tree(root: Path) -> list[Path]:
    return list(root.rglob("*"))


def test_hostile_names_build_inside_the_project(
    project: Project, run_build: RunBuild, make_alert: Callable[..., dict[str, Any]]
) -> None:
    """A real build (MkDocs included) over alerts named to escape, collide and overflow."""
    alerts = []
    for i, name in enumerate(HOSTILE_NAMES):
        alerts.append(
            make_alert(
                rule=name,
                hostname=name,
                uuid=name,
                output=f"alert {i}",
                time=f"2025-01-{1 + i % 28:02d}T00:00:{i % 60:02d}Z",
            )
        )
    # Times at the edges of the catalog's range are quarantined since issue 12.5 (before Falco
    # existed, after the build): they must still not break the build or its paths.
    edges = [
        make_alert(rule="edge of time", time="1678-01-01T00:00:00Z", output="old"),
        make_alert(rule="edge of time", time="2262-04-11T00:00:00Z", output="new"),
    ]
    project.write_jsonl("hostile.jsonl", alerts + edges)
    outside = Path("/tmp/falco-archive-escape")
    top_before = sorted(p.name for p in project.root.iterdir())

    run_build(["alerts"])

    assert not outside.exists()
    assert sorted(p.name for p in project.root.iterdir()) == sorted([*top_before, "site", ".falco-archive"])
    report = project.report()
    assert report["quarantined"] == len(edges), report["problems"]
    assert report["published"] == len({alert_id(a) for a in alerts}) == len(alerts)

    for root in (project.docs, project.site, project.state):
        paths = _tree(root)
        for path in paths:
            assert path.resolve().is_relative_to(root.resolve()), path
            rel = path.relative_to(root)
            assert len(os.fsencode(str(path))) < 4096
            for part in rel.parts:
                assert len(os.fsencode(part)) <= 255, part[:80]
                assert not RESERVED.fullmatch(part), rel
                assert part not in ("", ".", "..") and not part.endswith((" ", ".")), rel
        lowered = Counter(str(p.relative_to(root)).casefold() for p in paths)
        clashes = [p for p, n in lowered.items() if n > 1]
        assert not clashes, f"paths equal after case-folding under {root.name}: {clashes[:5]}"

    # Every distinct rule and host has its own page, headed with its exact (visible) name.
    rules = {a["rule"] for a in alerts}
    hosts = {a["hostname"] if a["hostname"] not in ("", "<NA>") else "unknown" for a in alerts}
    for kind, names in (("rules", rules), ("hosts", hosts)):
        found = sorted((project.site / kind).glob("*/index.html"))
        # No old-slug redirects: a name first archived by 0.2 never had an 8-digit URL (issue 12).
        pages = [p for p in found if 'http-equiv="refresh"' not in p.read_text("utf-8")]
        assert len(pages) == len(names) == len(found)
        headings = set()
        for page in pages:
            soup = BeautifulSoup(page.read_text("utf-8"), "html.parser")
            headings.add(soup.select_one("article h1").get_text())
        # Host names also show look-alike characters as escapes (issue 12.9).
        shown = name_visible if kind == "hosts" else visible
        assert {" ".join(h.split()) for h in headings} == {" ".join(shown(n).split()) for n in names}
