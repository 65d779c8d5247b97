"""One error hierarchy for the whole tool, rooted in click so the CLI shows it cleanly.

Stage modules raise these; only ``cli.py`` decides what reaches the terminal and the exit code
(mkdocs ``exceptions.py`` and copier ``errors.py`` work the same way).
"""

from __future__ import annotations

import click


class FalcoArchiveError(click.ClickException):
    """Base class: a problem the user can act on, shown without a traceback."""

    exit_code = 1


class ConfigError(FalcoArchiveError):
    """The project configuration (``falco-archive.toml`` or options) is not usable."""


class InputError(FalcoArchiveError):
    """The alerts folder itself cannot be read (a single bad file is quarantined, not raised)."""


class PathEscapeError(FalcoArchiveError):
    """A generated path would leave the output folder: a bug or hostile input, never written."""

    def __init__(self, *, root: object, relative: str) -> None:
        super().__init__(f"Refusing to write {relative!r}: it resolves outside {root}")


class DuplicateOutputError(FalcoArchiveError):
    """Two pages of one build were about to be written to the same file."""

    def __init__(self, *, path: object) -> None:
        super().__init__(f"Two pages of this build map to the same file {path}; refusing to overwrite")


class SiteBuildError(FalcoArchiveError):
    """The static-site engine (MkDocs) failed."""


class StrictModeError(FalcoArchiveError):
    """``--strict`` was given and records were quarantined."""
