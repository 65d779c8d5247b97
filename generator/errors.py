"""One error hierarchy for the whole tool, rooted in click so the CLI shows it cleanly.

Stage modules raise these; only ``cli.py`` decides what reaches the terminal and the exit code
(mkdocs ``exceptions.py`` and copier ``errors.py`` work the same way). Every message names what
the user must look at: the file, and where it applies the line and the key. A bad *alert* is
never raised: it is quarantined with its file and line and the build goes on.

::

    FalcoArchiveError                 anything the user can act on (exit 1, no traceback)
    ├── ConfigError                   falco-archive.toml or an option
    ├── KnowledgeFileError            a rule file or playbook that cannot be used
    │   ├── RuleFileError
    │   └── PlaybookError
    ├── OutputError                   a page would be written where it must not
    │   ├── PathEscapeError
    │   └── DuplicateOutputError
    ├── StateLockedError              another build holds the state folder's lock
    ├── SiteBuildError                MkDocs failed
    ├── SearchIndexError              Pagefind failed
    └── StrictModeError               --strict and records were quarantined
"""

from __future__ import annotations

from pathlib import Path

import click


class FalcoArchiveError(click.ClickException):
    """Base class: a problem the user can act on, shown without a traceback."""

    exit_code = 1


class ConfigError(FalcoArchiveError):
    """The project configuration (``falco-archive.toml`` or options) is not usable."""


class KnowledgeFileError(FalcoArchiveError):
    """A rule or playbook file the build was given cannot be used.

    ``reason`` says where in the file (line, item, key) and what is wrong; the message starts
    with the file's path.
    """

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class RuleFileError(KnowledgeFileError):
    """A Falco rule file that Falco itself would refuse to load."""


class PlaybookError(KnowledgeFileError):
    """A playbook file (ours or the user's) that does not follow the playbook format."""


class OutputError(FalcoArchiveError):
    """A generated file would be written where it must not be: a bug or hostile input."""


class PathEscapeError(OutputError):
    """A generated path would leave the output folder; nothing is written."""

    def __init__(self, *, root: object, relative: str) -> None:
        super().__init__(f"Refusing to write {relative!r}: it resolves outside {root}")


class DuplicateOutputError(OutputError):
    """Two pages of one build were about to be written to the same file."""

    def __init__(self, *, path: object) -> None:
        super().__init__(f"Two pages of this build map to the same file {path}; refusing to overwrite")


class StateLockedError(FalcoArchiveError):
    """Another build is using the same state folder; running both would corrupt it."""

    def __init__(self, *, lock: object, pid: str) -> None:
        holder = f"process {pid}" if pid else "another process"
        super().__init__(
            f"Another build ({holder}) is using this state folder: {lock} is locked. "
            "Wait for it to finish, or give this build its own --state-dir."
        )


class SiteBuildError(FalcoArchiveError):
    """The static-site engine (MkDocs) failed."""


class SearchIndexError(FalcoArchiveError):
    """The search indexer (Pagefind) could not run or failed."""


class StrictModeError(FalcoArchiveError):
    """``--strict`` was given and records were quarantined."""


class ScaffoldError(FalcoArchiveError):
    """``falco-archive init`` would overwrite existing files (and ``--force`` was not given)."""


class DeployError(FalcoArchiveError):
    """Publishing the built site (``falco-archive deploy``) failed: no site, no git, a git error."""
