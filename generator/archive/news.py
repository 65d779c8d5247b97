"""What each build added to the archive: new alerts, first-seen rules and hosts, grown groups.

The record of every build is kept in the state folder (:meth:`State.news_history`) and survives
full rebuilds, so the "What's new" pages (:mod:`generator.pages.news`) are re-rendered from it
instead of being forgotten. Build numbers depend only on the sequence of inputs, never on the
wall clock; when a build ran is recorded once, with its novelties, so re-rendering a page
later gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class BuildNews:
    """The record of one build's novelties."""

    number: int
    newest_ns: int
    ids: list[str] = field(default_factory=list)
    new_rules: list[str] = field(default_factory=list)
    new_hosts: list[str] = field(default_factory=list)
    grown_groups: dict[str, int] = field(default_factory=dict)
    #: When the build ran (the build's clock, ns since the epoch; 0: recorded before this
    #: field existed). Recorded once, so re-rendering the page later gives the same bytes.
    built_ns: int = 0


def compute(number: int, new: pd.DataFrame, before: pd.DataFrame, built_ns: int = 0) -> BuildNews | None:
    """What ``new`` adds to the archive as it was ``before`` (None when nothing is new), by
    the build that ran at ``built_ns``."""
    if new.empty:
        return None
    known_groups = set(before["group"]) if len(before) else set()
    added = new["group"].value_counts()
    grown = {g: int(n) for g, n in sorted(added.items()) if g in known_groups}
    return BuildNews(
        number=number,
        newest_ns=int(new["time_ns"].max()),
        ids=sorted(new["id"]),
        new_rules=sorted(set(new["rule"]) - set(before["rule"] if len(before) else [])),
        new_hosts=sorted(set(new["host"]) - set(before["host"] if len(before) else [])),
        grown_groups=grown,
        built_ns=built_ns,
    )
