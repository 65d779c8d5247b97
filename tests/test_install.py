"""falco-archive as a tool you install: from the built wheel, in a fresh venv, outside the repository.

The wheel is built from this checkout and installed (not editable) into a venv that shares only
the heavy dependencies with the test interpreter (``--system-site-packages``); every command runs
from a temporary folder with nothing of the repository beside it, the way a new user runs it:
``init`` a project and build it, build in an empty folder with the packaged defaults, build into
a new ``--docs-dir``, fail without leaving files behind, ``deploy`` to a (local, bare) git
remote. The theme overrides are also rendered with MiniJinja, Zensical's template engine.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.publish.packaged import DEFAULT_DOCS, DEFAULT_MKDOCS, THEME_DIR, lay_hand_written

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "tests" / "data" / "falco-samples" / "alerts"
#: A few real alerts of different sources: enough for every page kind, quick to build.
SAMPLE_NAMES = [
    "falcosecurity_plugins__01.json",
    "falcosecurity_plugins__03.json",
    "falcosecurity_falco-website__02.json",
    "inno-devops-labs_F25-DevSecOps-Intro__01.json",
]


class Tool:
    """The ``falco-archive`` command of the venv, run with a clean environment."""

    def __init__(self, venv_dir: Path, wheel: Path) -> None:
        self.venv = venv_dir
        self.wheel = wheel
        self.python = venv_dir / "bin" / "python"
        self.exe = venv_dir / "bin" / "falco-archive"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not key.startswith("GIT_")
        }
        self.env.update(
            PATH=f"{venv_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            GIT_AUTHOR_NAME="t",
            GIT_AUTHOR_EMAIL="t@example.invalid",
            GIT_COMMITTER_NAME="t",
            GIT_COMMITTER_EMAIL="t@example.invalid",
            GIT_CONFIG_NOSYSTEM="1",
            HOME=str(venv_dir.parent),  # no global git configuration of the machine
        )

    def __call__(self, *args: str, cwd: Path, expect: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.exe), *args], cwd=cwd, env=self.env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == expect, (
            f"falco-archive {' '.join(args)} exited {done.returncode}, expected {expect}\n"
            f"stdout: {done.stdout}\nstderr: {done.stderr}"
        )
        return done

    def git(self, *args: str, cwd: Path) -> str:
        return subprocess.run(
            ["git", *args], cwd=cwd, env=self.env, capture_output=True, text=True, check=True
        ).stdout


@pytest.fixture(scope="module")
def tool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tool]:
    """The wheel of this checkout installed into a fresh venv (about 15 s)."""
    root = tmp_path_factory.mktemp("install")
    wheels = root / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        cwd=root,
    )
    (wheel,) = wheels.glob("falco_archive-*.whl")
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(root / "venv")
    tool = Tool(root / "venv", wheel)
    subprocess.run(
        [
            str(tool.python),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        env=tool.env,
        cwd=root,
    )
    yield tool


def alerts(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_NAMES:
        shutil.copy(SAMPLES / name, folder / name)
    return folder


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def assert_site(site: Path) -> None:
    """A whole site built with the package's theme overrides and hand-written pages."""
    home = (site / "index.html").read_text("utf-8")
    assert 'rel="alternate feed"' in home, "the package's theme overrides (main.html) were not used"
    assert "fa-header-search" in home, "the package's header override was not used"
    assert (site / "about" / "index.html").is_file() and (site / "search" / "index.html").is_file()
    assert (site / "assets" / "falco-archive.css").is_file()
    assert (site / "assets" / "javascripts" / "fa-search.js").is_file()
    pages = list((site / "alerts").rglob("index.html"))
    assert len(pages) == len(SAMPLE_NAMES), pages
    assert (site / "pagefind").is_dir()


# -- the wheel ----------------------------------------------------------------------------------


@pytest.mark.wheel
def test_the_wheel_carries_what_a_build_needs_and_the_changelog(tool: Tool, tmp_path: Path) -> None:
    with zipfile.ZipFile(tool.wheel) as wheel:
        names = set(wheel.namelist())
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = wheel.read(metadata).decode()
    for needed in (
        "generator/publish/theme/main.html",
        "generator/publish/theme/partials/header.html",
        "generator/publish/theme/assets/javascripts/fa-search.js",
        "generator/publish/defaults/mkdocs.yml",
        "generator/publish/defaults/docs/about.md",
        "generator/publish/defaults/docs/search.md",
        "generator/publish/defaults/docs/assets/falco-archive.css",
        "generator/publish/defaults/project/github-workflow.yml",
        "generator/pages/templates/alert.md.j2",
    ):
        assert needed in names, f"{needed} is not in the wheel"
    assert "# Changelog" in meta and "## [Unreleased]" in meta, "the CHANGELOG is not in the metadata"
    assert "Requires-Dist: ghp-import" in meta

    where = subprocess.run(
        [
            str(tool.python),
            "-c",
            "import generator, importlib.metadata as m; print(generator.__file__); "
            "print(m.version('falco-archive'))",
        ],
        cwd=tmp_path,
        env=tool.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Path(where[0]).is_relative_to(tool.venv), f"generator imported from {where[0]}, not the wheel"
    version = tool("--version", cwd=tmp_path).stdout
    assert version.strip() == f"falco-archive, version {where[1]}"


# -- init, then build ---------------------------------------------------------------------------


@pytest.mark.wheel
def test_init_scaffolds_a_project_that_builds(tool: Tool, tmp_path: Path) -> None:
    done = tool("init", "mysite", "--site-url", "https://alerts.example.com/archive/", cwd=tmp_path)
    project = tmp_path / "mysite"
    assert listing(project) == [
        ".github",
        ".github/workflows",
        ".github/workflows/falco-archive.yml",
        ".gitignore",
        "alerts",
        "alerts/README.md",
        "falco-archive.toml",
        "mkdocs.yml",
        "site_src",
        "site_src/about.md",
        "site_src/assets",
        "site_src/assets/falco-archive.css",
        "site_src/search.md",
    ], done.stderr
    assert 'site_url: "https://alerts.example.com/archive/"' in (project / "mkdocs.yml").read_text()
    workflow = (project / ".github/workflows/falco-archive.yml").read_text()
    assert "falco-archive build alerts/" in workflow and "site_src/alerts" in workflow
    assert "site_src/about.md" not in workflow, "CI must not cache (and restore over) the pages you edit"
    ignored = (project / ".gitignore").read_text().split()
    assert {"/site/", "/.falco-archive/", "/site_src/alerts/", "/site_src/index.md"} <= set(ignored)
    assert "/site_src/about.md" not in ignored

    # Edit a hand-written page; the build keeps it.
    about = project / "site_src" / "about.md"
    about.write_text("# About our archive\n\nRun by the on-call team.\n")
    alerts(project / "alerts")
    done = tool("build", "alerts", cwd=project)
    assert "TODO" not in done.stderr
    assert_site(project / "site")
    assert "Run by the on-call team." in (project / "site" / "about" / "index.html").read_text()
    assert about.read_text() == "# About our archive\n\nRun by the on-call team.\n"
    feed = (project / "site" / "feed.xml").read_text()
    assert "https://alerts.example.com/archive/alerts/" in feed, "site_url of mkdocs.yml is not used"

    # A second init refuses, changing nothing; --force overwrites.
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    done = tool("init", "mysite", cwd=tmp_path, expect=1)
    assert "mkdocs.yml" in done.stderr and "--force" in done.stderr
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before
    tool("init", "mysite", "--force", "--ci", "gitlab", cwd=tmp_path)
    assert about.read_bytes() == (DEFAULT_DOCS / "about.md").read_bytes()
    assert "falco-archive build alerts/" in (project / ".gitlab-ci.yml").read_text()


@pytest.mark.wheel
def test_a_site_url_left_as_todo_is_warned_about_once(tool: Tool, tmp_path: Path) -> None:
    tool("init", cwd=tmp_path)
    assert "TODO(falco-archive)" in (tmp_path / "mkdocs.yml").read_text()
    alerts(tmp_path / "alerts")
    done = tool("build", cwd=tmp_path)
    assert done.stderr.count("site_url is still a TODO") == 1, done.stderr
    assert_site(tmp_path / "site")


# -- builds anywhere ----------------------------------------------------------------------------


@pytest.mark.wheel
def test_an_empty_folder_builds_with_the_packaged_defaults(tool: Tool, tmp_path: Path) -> None:
    source = alerts(tmp_path / "in")
    work = tmp_path / "work"
    work.mkdir()
    tool("build", str(source), "--site-dir", "out", cwd=work)
    assert_site(work / "out")
    assert sorted(p.name for p in work.iterdir()) == [".falco-archive", "out", "site_src"]
    assert (work / "site_src" / "about.md").read_bytes() == (DEFAULT_DOCS / "about.md").read_bytes()


@pytest.mark.wheel
def test_docs_dir_may_be_a_new_folder_anywhere(tool: Tool, tmp_path: Path) -> None:
    source = alerts(tmp_path / "in")
    work = tmp_path / "work"
    work.mkdir()
    docs = tmp_path / "elsewhere" / "deep" / "docs"
    tool("build", str(source), "--docs-dir", str(docs), cwd=work)  # strict MkDocs: no warnings
    assert_site(work / "site")
    assert (docs / "about.md").is_file() and (docs / "search.md").is_file()
    assert not docs.with_name("docs.views").exists()


@pytest.mark.wheel
@pytest.mark.parametrize("how", ["broken mkdocs.yml", "unwritable site folder"])
def test_a_failed_build_leaves_the_folder_as_it_was(tool: Tool, tmp_path: Path, how: str) -> None:
    source = alerts(tmp_path / "in")
    work = tmp_path / "work"
    work.mkdir()
    if how == "broken mkdocs.yml":
        (work / "mkdocs.yml").write_text("site_name: x\ntheme: [\n")
        args: list[str] = []
        why = "mkdocs.yml"
    else:
        (work / "blocker").write_text("a file where the site's folder should go\n")
        args = ["--site-dir", "blocker/site"]
        why = "Not a directory"
    before = listing(work)
    done = tool("build", str(source), *args, cwd=work, expect=1)
    assert why in done.stderr, done.stderr
    assert listing(work) == before, "a failed build left files behind"
    assert "Traceback" not in done.stderr


# -- deploy -------------------------------------------------------------------------------------


@pytest.mark.wheel
def test_deploy_publishes_the_site_to_a_gh_pages_branch(tool: Tool, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    tool.git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    project = tmp_path / "project"
    tool("init", str(project), "--site-url", "https://example.github.io/alerts/", cwd=tmp_path)
    tool.git("init", "-q", cwd=project)
    tool.git("remote", "add", "origin", str(remote), cwd=project)

    done = tool("deploy", cwd=project, expect=1)
    assert "no built site" in done.stderr and "falco-archive build" in done.stderr

    alerts(project / "alerts")
    tool("build", cwd=project)
    done = tool("deploy", cwd=project)
    assert "origin/gh-pages" in done.stderr
    files = tool.git("ls-tree", "-r", "--name-only", "gh-pages", cwd=remote).split()
    assert "index.html" in files and ".nojekyll" in files and "about/index.html" in files
    site_files = {
        p.relative_to(project / "site").as_posix() for p in (project / "site").rglob("*") if p.is_file()
    }
    assert set(files) == site_files | {".nojekyll"}, "gh-pages must hold the site and nothing else"
    published = tool.git("show", "gh-pages:index.html", cwd=remote)
    assert published == (project / "site" / "index.html").read_text("utf-8")
    assert "Deployed with falco-archive" in tool.git("log", "-1", "--format=%s", "gh-pages", cwd=remote)

    # Outside a git repository: a clear error, not a traceback.
    elsewhere = tmp_path / "not-a-repo"
    shutil.copytree(project / "site", elsewhere / "site")
    done = tool("deploy", cwd=elsewhere, expect=1)
    assert "not inside a git repository" in done.stderr and "Traceback" not in done.stderr


# -- hand-written pages and the theme (in-process, fast) --------------------------------------


def test_packaged_pages_follow_the_package_but_edited_pages_are_kept(tmp_path: Path) -> None:
    docs, record = tmp_path / "docs", tmp_path / "state" / "hand-written.json"
    assert sorted(lay_hand_written(docs, record)) == ["about.md", "assets/falco-archive.css", "search.md"]
    assert lay_hand_written(docs, record) == [], "unchanged pages must keep their modification time"

    (docs / "search.md").write_text("my own search page\n")
    # A page falco-archive laid last time (its digest is recorded) follows the package.
    laid = json.loads(record.read_text())
    (docs / "about.md").write_text("an older packaged about page\n")
    import hashlib

    laid["about.md"] = hashlib.sha256(b"an older packaged about page\n").hexdigest()
    record.write_text(json.dumps(laid))
    assert lay_hand_written(docs, record) == ["about.md"]
    assert (docs / "about.md").read_bytes() == (DEFAULT_DOCS / "about.md").read_bytes()
    assert (docs / "search.md").read_text() == "my own search page\n", "the user's page was overwritten"


def _render_theme(engine: str, template: str, url: str) -> str:
    """One theme override rendered by Jinja2 (MkDocs) or MiniJinja (Zensical) over a stub base."""
    base = (
        "{% block extrahead %}{% endblock %}|{% block content %}CONTENT{% endblock %}"
        "|{% block scripts %}{% endblock %}"
    )

    class Lang:
        def t(self, key: str) -> str:
            return key

    context = {
        "page": {"url": url, "title": "T", "meta": {}},
        "config": {
            "site_name": "S",
            "extra": {},
            "repo_url": None,
            "theme": {"features": [], "icon": {}, "palette": [{"scheme": "default"}]},
        },
        "features": [],
        "nav": {"homepage": {"url": ""}},
        "lang": Lang(),
    }

    def load(name: str) -> str:
        path = THEME_DIR / name
        if path.is_file():
            return path.read_text("utf-8")
        return base if name == "base.html" else f"[{name}]"

    def url_filter(value: str) -> str:
        return "/" + value

    if engine == "minijinja":
        import minijinja

        env = minijinja.Environment(loader=load, filters={"url": url_filter})
        env.pycompat = False  # Zensical has no Python string methods (str.startswith, ...)
        return str(env.render_template(template, **context))
    import jinja2

    jenv = jinja2.Environment(loader=jinja2.FunctionLoader(load), autoescape=True)
    jenv.filters["url"] = url_filter
    return jenv.get_template(template).render(**context)


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(THEME_DIR).as_posix() for p in THEME_DIR.rglob("*.html"))
)
@pytest.mark.parametrize("url", ["alerts/2026/11/21/0123456789abcdef/", "rules/", "search/", ""])
def test_theme_overrides_render_the_same_in_zensicals_template_engine(template: str, url: str) -> None:
    pytest.importorskip("minijinja")
    jinja = _render_theme("jinja2", template, url)
    mini = _render_theme("minijinja", template, url)
    # Same HTML; MiniJinja escapes "/" as "&#x2f;" where Jinja2 leaves it.
    assert html.unescape(mini).split() == html.unescape(jinja).split()
    if template == "main.html":
        assert ("data-pagefind-body" in jinja) == (url in ("rules/", "")), "which pages are indexed changed"


def test_the_checkouts_own_mkdocs_yml_is_the_packaged_default() -> None:
    """The repository is itself a site project (top-level ``mkdocs.yml``, ``site_src/``, ``alerts/``):
    its configuration is the one a wheel uses, so a checkout and an install build the same site."""
    assert (REPO / "mkdocs.yml").read_bytes() == DEFAULT_MKDOCS.read_bytes()
