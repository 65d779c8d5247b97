"""Stage 4, publish: the docs folder -> the live, searchable site.

Owns the only MkDocs call (``site``: swap the engine here alone), search indexing with
Pagefind (``search``), the atomic swap of the live site (``swap``) and the sequence of the
three for one run (``stage.publish_site``).

May import: the shared modules (``urls``, ``files``, ``patterns``, ``errors``). It knows
nothing of alerts: it publishes files.
"""
