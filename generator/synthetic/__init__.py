"""synthetic: realistic Falco alerts for demos, tests and benchmarks (not a pipeline stage).

The archive has to be shown with enough variety that every page has content, tested against
input shaped exactly like Falco's, and measured at 10^5-10^6 alerts; public alerts are far too
few for any of that. This sub-package makes them, deterministically (a seed gives the same bytes):

* ``scenarios``: the data in ``data/`` (rules, scenarios, workloads, value pools), its schema and
  loading; a broken file is a ``ScenarioDataError`` naming the file and the entry;
* ``generate``: the generator, ``generate(count, seed, ...)`` yields alerts in time order;
* ``fields``: values of the output fields only some rules use;
* ``draw``: the seeded random primitives;
* ``write``: the file layouts the archive reads, and the bundled demo input under ``alerts/``;
* ``__main__``: ``python -m generator.synthetic --count N --out DIR`` (``--demo`` regenerates
  the committed demo input).

Boundary: the build never imports this package, and this package imports nothing of
``generator`` except ``generator.read.models`` (for Falco's priorities), so it can neither change
the archive nor be broken by a change inside a stage. Importing the package itself is cheap; the
data files are loaded, once, by the first import of ``generate``.
"""
