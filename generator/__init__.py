"""falco-archive: a folder of Falco alerts becomes a published, searchable static site."""

__version__ = "0.1.0"
