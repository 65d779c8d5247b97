"""Stage 3, pages: the archive and the knowledge -> the Markdown and data files of the docs folder.

Owns every page kind (alert pages in ``alert_pages``/``render``, rule/host/priority/group pages
in ``aggregates``, ``news``, ``attack``, the dashboard), charts (``charts``, ``chart_cache``),
the feed and exports (``outputs``, ``feed``, ``exports``), ticket ``snippets``, the guidance
section (``guidance``) and the escaping every attacker-controlled value goes through
(``escape``). ``docs.write_docs`` writes one run's docs folder.

May import: ``generator.read``, ``generator.archive``, ``generator.knowledge`` and the shared
modules (``urls``, ``files``, ``patterns``, ``errors``). Never ``publish``.
"""
