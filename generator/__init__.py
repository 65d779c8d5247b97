"""falco-archive: a folder of Falco alerts becomes a published, searchable static site.

The sub-packages are the pipeline, in the order the data goes through it::

    read/       files -> validated, redacted alert records
    archive/    records -> the archive (catalog, state, plan of the run, aggregates)
    knowledge/  rule files, playbooks, generic guidance, MITRE ATT&CK (independent of alerts)
    pages/      archive + knowledge -> Markdown pages and data files in the docs folder
    publish/    docs folder -> MkDocs site, search index, atomic swap of the live site

``build.build`` runs them in that order (its body is the table of contents of a run) and
``cli`` is the command line. Shared by all stages: ``urls`` (every page's path and URL),
``files`` (the guarded and atomic writers), ``patterns`` (regexes more than one stage must
agree on), ``errors`` (the one error hierarchy), ``config`` and ``report``. A stage imports
only earlier stages and the shared modules; ``synthetic/`` (realistic alerts for demos, tests
and benchmarks) is not a stage and nothing in the pipeline imports it.
"""

__version__ = "0.1.0"
