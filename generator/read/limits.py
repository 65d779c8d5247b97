"""Limits that keep a build bounded whatever an input file holds (the ``[limits]`` config table).

Alert files are attacker-controlled and gzip turns a few kilobytes into gigabytes: a 6 KB file
held one JSON array of 3,000,000 numbers, each became a quarantined record kept in memory and
in ``build-report.json`` (4 GB of RSS). Every quantity a hostile file can inflate has a cap
here; what a cap cuts is reported (file, line, what was cut), never silently dropped, and the
counts still add up (records = published + duplicates + quarantined).

With the defaults, a build's peak memory stays under 1 GB for any input file under 1 MB:
such a file can expand to at most ``max_expansion_ratio`` MB (100 MB), a line or array yields at
most ``max_items_per_line`` records, no kept string is longer than ``max_field_chars`` and the
quarantine list kept in memory and in the report is at most ``max_quarantine_entries`` entries
and ``max_quarantine_bytes`` bytes. ``tests/test_resource_bombs.py`` measures it.

Times: an alert dated more than ``future_skew_minutes`` after the build started, or before
:data:`EARLIEST_TIME_NS` (Falco's first release was in 2016), is quarantined: such times pinned
the "latest" lists and the feed, and made one search shard per month.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field

#: 2016-01-01T00:00:00Z: no Falco alert can be older.
EARLIEST_TIME_NS = 1_451_606_400 * 1_000_000_000
#: A file may always expand to this many bytes, whatever its compressed size.
EXPANSION_FLOOR_BYTES = 64 * 1024 * 1024
#: A problem's reason is cut to this many characters (a reason may quote a 100 MB value).
MAX_REASON_CHARS = 500


class InputLimits(BaseModel):
    """The ``[limits]`` table of ``falco-archive.toml``; see the module docstring for why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    future_skew_minutes: int = Field(default=60, ge=0)
    max_items_per_line: int = Field(default=10_000, ge=1)
    max_field_chars: int = Field(default=1_048_576, ge=1024)
    max_expansion_ratio: int = Field(default=100, ge=1)
    max_quarantine_entries: int = Field(default=1_000, ge=1)
    max_quarantine_bytes: int = Field(default=1_048_576, ge=1024)

    def expansion_budget(self, stored_bytes: int) -> int:
        """How many decompressed bytes a file of ``stored_bytes`` on disk may yield."""
        return max(EXPANSION_FLOOR_BYTES, stored_bytes * self.max_expansion_ratio)


DEFAULT_LIMITS = InputLimits()


def now_ns() -> int:
    """The build's clock: alerts later than this (plus the skew) are quarantined, and it is the
    ``received`` time of the alerts the build archives. One function, so tests can move it."""
    return time.time_ns()


def shorten_reason(reason: str) -> str:
    """A problem's reason, cut so a quoted hostile value cannot inflate the report."""
    if len(reason) <= MAX_REASON_CHARS:
        return reason
    return reason[:MAX_REASON_CHARS] + f"… [reason cut from {len(reason):,} characters]"
