"""``falco-archive deploy``: the built site onto a ``gh-pages`` branch, as ``mkdocs gh-deploy`` does.

It uses ghp-import, the library ``mkdocs gh-deploy`` itself calls: the site folder becomes one
new commit on the branch (history kept), with a ``.nojekyll`` file so GitHub Pages serves
folders whose names start with ``_`` as they are, and the branch is pushed to the remote. It
publishes what the last build swapped in; it never builds. Other hosts (S3, any static file
server) take the site folder as it is: see docs/nightly.md.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ghp_import import GhpError, ghp_import

from generator import __version__
from generator.errors import DeployError


def _git_toplevel(where: Path) -> Path:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=where,
            capture_output=True,
            text=True,
            check=True,
        )
    except FileNotFoundError:
        raise DeployError("git is not installed: deploy publishes with git") from None
    except subprocess.CalledProcessError as exc:
        raise DeployError(f"{where.resolve()} is not inside a git repository: {exc.stderr.strip()}") from None
    return Path(out.stdout.strip())


def deploy(
    site_dir: Path,
    *,
    remote: str = "origin",
    branch: str = "gh-pages",
    message: str | None = None,
    push: bool = True,
    cname: str | None = None,
) -> str:
    """Commit ``site_dir`` to ``branch`` of the current git repository and push it to ``remote``.

    Returns the commit message. Raises DeployError when there is no built site, no repository,
    or git fails (a rejected push, an unknown remote), with git's own words.
    """
    if not (site_dir / "index.html").is_file():
        raise DeployError(f"{site_dir} holds no built site (no index.html): run `falco-archive build` first")
    repo = _git_toplevel(Path.cwd())
    mesg = message or f"Deployed with falco-archive {__version__}"
    try:
        ghp_import(
            str(site_dir.resolve()),
            mesg=mesg,
            remote=remote,
            branch=branch,
            push=push,
            nojekyll=True,
            cname=cname,
        )
    except GhpError as exc:
        raise DeployError(f"deploy to {remote}/{branch} from {repo} failed: {exc.message}") from None
    return mesg
