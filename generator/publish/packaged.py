"""What a build needs besides alerts, shipped inside the package so it works from a wheel.

* ``theme/``: the falco-archive theme overrides (MkDocs ``custom_dir``). Every MkDocs run puts
  it on the theme's search path (:func:`generator.publish.site`), below a ``custom_dir`` of the
  user's own, so a project's ``mkdocs.yml`` never has to know where the package is installed.
* ``defaults/mkdocs.yml``: the MkDocs configuration used when the working folder has none.
* ``defaults/docs/``: the hand-written pages (about, search, stylesheet) laid into the docs
  folder by :func:`lay_hand_written`.

Resolution order of the MkDocs configuration (:func:`mkdocs_config`): an explicit
``--mkdocs-config`` (or ``mkdocs_config`` in ``falco-archive.toml``), else ``mkdocs.yml`` in the
working folder, else the packaged default.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from generator.files import atomic_write

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
#: The theme overrides shipped with the package.
THEME_DIR = _HERE / "theme"
#: The default MkDocs configuration and hand-written pages.
DEFAULTS_DIR = _HERE / "defaults"
DEFAULT_MKDOCS = DEFAULTS_DIR / "mkdocs.yml"
DEFAULT_DOCS = DEFAULTS_DIR / "docs"
#: The file name looked for in the working folder.
LOCAL_MKDOCS = Path("mkdocs.yml")


def mkdocs_config(explicit: Path | None) -> Path:
    """The MkDocs configuration a build uses (see the module docstring for the order)."""
    if explicit is not None:
        return explicit
    return LOCAL_MKDOCS if LOCAL_MKDOCS.is_file() else DEFAULT_MKDOCS


def default_pages() -> dict[str, bytes]:
    """The packaged hand-written docs files, by docs-relative path."""
    return {
        path.relative_to(DEFAULT_DOCS).as_posix(): path.read_bytes()
        for path in sorted(DEFAULT_DOCS.rglob("*"))
        if path.is_file()
    }


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def lay_hand_written(docs_dir: Path, record: Path) -> list[str]:
    """Put the packaged hand-written pages into ``docs_dir``; a page the user edited is kept.

    The same rule as a package manager's configuration files: a missing page is written; a page
    whose content is what falco-archive wrote last time (``record``, in the state folder) or the
    current packaged content is falco-archive's, and follows the package; any other content is
    the user's own and is never overwritten. Unchanged files are not rewritten, so their
    modification time (which MkDocs' dirty builds go by) stays. Returns the paths written.
    """
    try:
        laid: dict[str, str] = json.loads(record.read_text("utf-8"))
    except (OSError, ValueError):
        laid = {}
    written: list[str] = []
    new_record: dict[str, str] = {}
    for rel, data in default_pages().items():
        target = docs_dir / rel
        try:
            current: bytes | None = target.read_bytes()
        except FileNotFoundError:
            current = None
        if current is not None and current != data and _digest(current) != laid.get(rel):
            log.debug("%s is your own version of a packaged page: kept", target)
            continue
        if current != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, data)
            written.append(rel)
        new_record[rel] = _digest(data)
    if new_record != laid:
        record.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(record, (json.dumps(new_record, indent=1, sort_keys=True) + "\n").encode())
    return written
