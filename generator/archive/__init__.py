"""Stage 2, archive: what the archive holds and what this run must do about it.

Owns the state folder (``state.State``: the catalog by month, inputs read, links, build
history), turning records into catalog rows (``ingest``), the plan of a run (``plan``: which
inputs are new, the merged catalog, retention, which pages to render), the aggregates every
page is computed from (``aggregate``) and each build's record of what was new (``news``).

May import: ``generator.read``, ``generator.files``, ``generator.urls``, ``generator.patterns``,
``generator.errors``. Never ``pages`` or ``publish``.
"""
