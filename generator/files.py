"""Writing files safely: the one guarded writer for generated pages, the one atomic writer.

Two kinds of writes, two helpers:

* :class:`DocsWriter` writes the pages of the docs folder: only under its root (pelican's
  ``sanitised_join``), never twice in one build, and only when the bytes change (MkDocs
  converts a page only when its Markdown is newer than its HTML).
* :func:`atomic_write` replaces a state or site file as a whole: written beside, then renamed,
  so a killed run leaves the old file or the new one, never half of one, and a file hard-linked
  into the live site gets a new inode instead of being changed in place.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from generator.errors import DuplicateOutputError, PathEscapeError


def _first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet (None: it exists)."""
    path = path.absolute()
    if path.exists():
        return None
    while not path.parent.exists():
        path = path.parent
    return path


def new_folders(*folders: Path) -> list[Path]:
    """The outermost missing folder of each of ``folders``: what a run would create."""
    return [p for p in dict.fromkeys(_first_missing(f) for f in folders) if p is not None]


@contextmanager
def removed_on_failure(created: Sequence[Path]) -> Iterator[None]:
    """Remove ``created`` (from :func:`new_folders`, taken before the run) if the run fails.

    A failed run then leaves no half-made trees behind; folders that existed are never touched.
    """
    try:
        yield
    except BaseException:
        for path in created:
            shutil.rmtree(path, ignore_errors=True)
        raise


def atomic_write(path: Path, data: bytes | str, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically (parents created).

    ``mode`` (e.g. ``0o600`` for a secret) is set when the file is created, so the content is
    never readable with looser permissions, not even for a moment.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if mode is None:
        tmp.write_bytes(payload)
    else:
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
    os.replace(tmp, path)


class DocsWriter:
    """Writes generated pages under one root, only when their bytes change.

    Unchanged pages keep their modification time: MkDocs converts a page only when its
    Markdown is newer than its HTML (``site.py``). ``written`` is every page this build
    rendered, ``kept`` every page it left as an earlier build wrote it; anything else in a
    generated folder is stale.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.written: set[str] = set()
        self.kept: set[str] = set()
        self.changed: list[str] = []
        self._folders: dict[str, Path] = {}

    def keep(self, relative: str) -> None:
        """``relative`` is still part of the site, unchanged since an earlier build."""
        if relative in self.written or relative in self.kept:
            raise DuplicateOutputError(path=self.root / relative)
        self.kept.add(relative)

    def resolve(self, relative: str) -> Path:
        if "\x00" in relative or relative.startswith(("/", "\\")) or ".." in relative.split("/"):
            raise PathEscapeError(root=self.root, relative=relative)
        folder, _, name = relative.rpartition("/")
        parent = self._folders.get(folder)
        if parent is None:
            parent = (self.root / folder).resolve()
            if not parent.is_relative_to(self.root):
                raise PathEscapeError(root=self.root, relative=relative)
            self._folders[folder] = parent
        target = parent / name
        if target.is_symlink() and not target.resolve().is_relative_to(self.root):
            raise PathEscapeError(root=self.root, relative=relative)
        return target

    def remove(self, relative: str) -> None:
        """Delete a generated file that is no longer part of the site (checked like a write)."""
        self.resolve(relative).unlink(missing_ok=True)

    def write(self, relative: str, content: str | bytes) -> bool:
        """Write ``content`` to ``relative``; returns True when the file changed."""
        if relative in self.written or relative in self.kept:
            raise DuplicateOutputError(path=self.root / relative)
        self.written.add(relative)
        target = self.resolve(relative)
        data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
        try:
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                return False
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
        # Not atomic on purpose: a page cut short by a killed run differs from what the next
        # run renders, so that run rewrites it.
        target.write_bytes(data)
        self.changed.append(relative)
        return True
