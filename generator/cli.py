"""Command line: a thin click layer over :func:`generator.build.build`.

Exit codes: 0 success, 1 strict failure or build error, 2 usage error (click's own).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from generator import __version__
from generator.errors import FalcoArchiveError, StrictModeError

log = logging.getLogger("generator")
CONTEXT = {"help_option_names": ["-h", "--help"]}


class _LimitFilter(logging.Filter):
    """Show the first few per-record warnings; 10,000 alerts can share one defect."""

    def __init__(self, limit: int = 20) -> None:
        super().__init__()
        self.limit = limit
        self.seen = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or record.name not in ("generator.archive.ingest",):
            return True
        self.seen += 1
        if self.seen == self.limit + 1:
            record.msg, record.args = "... more problems are listed in the build report", ()
            return True
        return self.seen <= self.limit


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handler.addFilter(_LimitFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # MkDocs' own INFO chatter ("Building documentation...") only with --verbose.
    logging.getLogger("mkdocs").setLevel(logging.INFO if verbose else logging.WARNING)
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def _progress_factory(enabled: bool, stack: ExitStack) -> Callable[[str, int], Callable[[int], None]]:
    """A rich progress bar per long stage, only on a terminal."""
    if not enabled:
        return lambda _label, _total: lambda _n: None
    from rich.progress import Progress

    bar = stack.enter_context(Progress(transient=True, console=None))

    def start(label: str, total: int) -> Callable[[int], None]:
        task = bar.add_task(label, total=total)
        return lambda n: bar.advance(task, n)

    return start


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="falco-archive")
def main() -> None:
    """Turn a folder of Falco alerts into a searchable static MkDocs Material site."""


@main.command()
@click.argument("alerts_dir", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--site-dir", type=click.Path(file_okay=False, path_type=Path), help="Where the HTML site goes [site]."
)
@click.option(
    "--docs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="MkDocs docs_dir for generated Markdown [site_src].",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Archive state kept between builds [.falco-archive].",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="falco-archive.toml to read [./falco-archive.toml if present].",
)
@click.option(
    "--mkdocs-config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="mkdocs.yml to build with [./mkdocs.yml if present, else the packaged default].",
)
@click.option(
    "--rules",
    "rules",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Falco rule file for rule knowledge (repeatable).",
)
@click.option(
    "--playbooks",
    "playbooks_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of your own playbooks (override or extend ours).",
)
@click.option("--site-url", help="Public URL of the site (enables absolute links in snippets).")
@click.option(
    "--keep-days", type=click.IntRange(min=1), help="Remove alerts older than N days (off by default)."
)
@click.option("--strict", is_flag=True, default=None, help="Exit 1 if any record was quarantined.")
@click.option("--full", is_flag=True, default=None, help="Ignore the saved state and rebuild everything.")
@click.option("--no-mkdocs", "no_mkdocs", is_flag=True, help="Write the Markdown only; do not run MkDocs.")
@click.option(
    "--no-redaction", is_flag=True, help="Publish secrets as they are (redaction is on by default)."
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging and tracebacks.")
def build(
    alerts_dir: Path | None,
    config_file: Path | None,
    no_mkdocs: bool,
    no_redaction: bool,
    quiet: bool,
    verbose: bool,
    **options: Any,
) -> None:
    """Build the site from a folder of alerts (default: alerts/ -> site/).

    Reads every .json, .jsonl, .ndjson, .log and .txt file below ALERTS_DIR (gzipped or not),
    publishes one page per unique alert plus rule, priority and host pages, and builds the
    MkDocs site. A nightly rerun with the same state folder only does the new work.

    \b
    Example:
        falco-archive build alerts/ --site-dir site --strict
    """
    from generator.build import build as run_build
    from generator.config import load_config

    _setup_logging(verbose, quiet)
    overrides: dict[str, Any] = {
        **options,
        "alerts_dir": alerts_dir,
        "run_mkdocs": False if no_mkdocs else None,
    }
    overrides["rules"] = list(options["rules"])
    config = load_config(config_file, **overrides)
    if no_redaction:
        config.redaction.enabled = False
    with ExitStack() as stack:
        progress = _progress_factory(sys.stderr.isatty() and not quiet, stack)
        try:
            report = run_build(config, progress)
        except FalcoArchiveError:
            raise
        except Exception as exc:  # a bug or an environment failure: say what, not a traceback
            if verbose:
                raise
            raise FalcoArchiveError(
                f"Build failed: {type(exc).__name__}: {exc} (rerun with -v for details)"
            ) from exc
    click.echo(report.summary_line(), err=True)
    if config.strict and report.quarantined:
        raise StrictModeError(
            f"{report.quarantined} records were quarantined (--strict); see the build report"
        )


@main.command()
@click.option(
    "--docs-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("site_src"),
    show_default=True,
)
@click.option(
    "--mkdocs-config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="mkdocs.yml [./mkdocs.yml if present, else the packaged default].",
)
@click.option("-a", "--dev-addr", help="Address to serve on [127.0.0.1:8000].")
def serve(docs_dir: Path, mkdocs_config: Path | None, dev_addr: str | None) -> None:
    """Preview the site built by the last `build` on a local web server.

    \b
    Example:
        falco-archive build && falco-archive serve
    """
    from generator.publish.packaged import mkdocs_config as resolve_mkdocs_config
    from generator.publish.site import serve as run_serve

    _setup_logging(False, False)
    run_serve(resolve_mkdocs_config(mkdocs_config), docs_dir, dev_addr)


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--site-url", help="Public URL of the site [left as a TODO in mkdocs.yml].")
@click.option(
    "--ci",
    type=click.Choice(["github", "gitlab", "none"]),
    default="github",
    show_default=True,
    help="Nightly CI job to add (GitHub Actions or GitLab CI).",
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(directory: Path | None, site_url: str | None, ci: str, force: bool) -> None:
    """Create a site project in DIRECTORY (default: here) to build, edit and commit.

    Writes mkdocs.yml, the hand-written pages in site_src/, falco-archive.toml, alerts/,
    a .gitignore for what builds regenerate, and a nightly CI job. Existing files are never
    overwritten without --force.

    \b
    Example:
        falco-archive init mysite --site-url https://alerts.example.com/
        cd mysite && falco-archive build
    """
    from generator.publish.scaffold import scaffold

    root = directory or Path(".")
    written = scaffold(site_url, [] if ci == "none" else [ci]).write(root, force=force)
    click.echo(f"Created {len(written)} files in {root}: {', '.join(written)}", err=True)
    if site_url is None:
        click.echo("Set site_url in mkdocs.yml (or pass --site-url to build) for absolute links.", err=True)
    click.echo(f"Next: put alerts in {root / 'alerts'} and run `falco-archive build`.", err=True)


@main.command()
@click.option(
    "--site-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("site"),
    show_default=True,
    help="The built site to publish.",
)
@click.option("-r", "--remote", default="origin", show_default=True, help="Git remote to push to.")
@click.option("-b", "--branch", default="gh-pages", show_default=True, help="Branch to commit the site to.")
@click.option("-m", "--message", help="Commit message [Deployed with falco-archive VERSION].")
@click.option("--cname", help="Write a CNAME file (a custom domain for GitHub Pages).")
@click.option("--no-push", is_flag=True, help="Commit to the branch but do not push it.")
def deploy(
    site_dir: Path, remote: str, branch: str, message: str | None, cname: str | None, no_push: bool
) -> None:
    """Publish the built site to a gh-pages branch (as `mkdocs gh-deploy` does, with ghp-import).

    Run it in the site project's git repository after `falco-archive build`. For S3 or any
    other static host, copy the site folder instead (see docs/nightly.md).

    \b
    Example:
        falco-archive build && falco-archive deploy
    """
    from generator.publish.deploy import deploy as run_deploy

    _setup_logging(False, False)
    run_deploy(site_dir, remote=remote, branch=branch, message=message, push=not no_push, cname=cname)
    where = f"{branch}" if no_push else f"{remote}/{branch}"
    click.echo(f"Published {site_dir} to {where}", err=True)


@main.command()
@click.argument(
    "alerts_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("alerts")
)
def validate(alerts_dir: Path) -> None:
    """Read and check every alert without writing anything; exit 1 if any record is bad.

    \b
    Example:
        falco-archive validate alerts/
    """
    from generator.archive.ingest import ingest
    from generator.read.readers import discover
    from generator.read.redact import Redactor

    _setup_logging(False, False)
    files, _passed_over = discover(alerts_dir)
    result = ingest(files, Redactor())
    click.echo(
        f"{len(files):,} files, {result.records:,} records: {result.published:,} alerts, "
        f"{result.duplicates:,} duplicates, {result.quarantined:,} quarantined, "
        f"{result.skipped_lines:,} non-JSON lines skipped",
        err=True,
    )
    if result.quarantined:
        raise StrictModeError(f"{result.quarantined} records are invalid")
