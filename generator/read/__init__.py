"""Stage 1, read: files on disk -> validated, redacted alert records.

Owns the input formats (``readers``: JSON, JSON lines, Falco logs, gzip, falcosidekick and
object-storage layouts), the alert model and IDs (``models``) and secret redaction (``redact``).
A bad record is reported with its file and line, never raised.

May import: ``generator.errors``, ``generator.patterns``. Nothing from later stages.
"""
