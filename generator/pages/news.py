"""What changed in each build: new alerts, first-seen rules and hosts, groups that grew.

Every build that publishes something gets a numbered page (``news/<n>/``), kept forever, and the
dashboard shows the latest. The record of each build lives in the state folder
(``news/<n>.json``) and survives full rebuilds, so a template change re-renders the history
instead of forgetting it. Build numbers and pages depend only on the sequence of inputs, never
on the wall clock, so the same input gives the same pages.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from generator.archive import aggregate
from generator.pages.render import Renderer, host_page, priority_page, rows, rule_page
from generator.read.models import Priority
from generator.urls import url_link

#: Alerts listed on one news page (the rest are counted, and browsable by priority).
LISTED = 200


@dataclass
class BuildNews:
    """The record of one build's novelties."""

    number: int
    newest_ns: int
    ids: list[str] = field(default_factory=list)
    new_rules: list[str] = field(default_factory=list)
    new_hosts: list[str] = field(default_factory=list)
    grown_groups: dict[str, int] = field(default_factory=dict)


def compute(number: int, new: pd.DataFrame, before: pd.DataFrame) -> BuildNews | None:
    """What ``new`` adds to the archive as it was ``before`` (None when nothing is new)."""
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
    )


def load_history(folder: Path) -> list[BuildNews]:
    history = []
    for path in sorted(folder.glob("*.json"), key=lambda p: int(p.stem) if p.stem.isdigit() else -1):
        try:
            history.append(BuildNews(**json.loads(path.read_text("utf-8"))))
        except (ValueError, TypeError):
            continue
    return history


def save(folder: Path, news: BuildNews) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{news.number}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(asdict(news), sort_keys=True), "utf-8")
    os.replace(tmp, path)


def news_page(number: int) -> str:
    return f"news/{number}.md"


def pages(history: list[BuildNews], catalog: pd.DataFrame, renderer: Renderer) -> Iterator[tuple[str, str]]:
    """The news index and one page per build."""
    index = "news/index.md"
    entries = []
    for news in reversed(history):
        present = catalog[catalog["id"].isin(news.ids)]
        entries.append(
            {
                "number": news.number,
                "href": url_link(index, news_page(news.number)),
                "alerts": len(present),
                "newest_ns": news.newest_ns,
                "by_priority": _by_priority(present, index),
                "new_rules": len(news.new_rules),
                "new_hosts": len(news.new_hosts),
            }
        )
        yield news_page(news.number), page_for(news, present, catalog, renderer)
    yield index, renderer.page("news_index.md.j2", entries=entries)


def _by_priority(df: pd.DataFrame, from_page: str) -> list[dict[str, Any]]:
    counts = df["priority"].value_counts()
    return [
        {"priority": int(p), "alerts": int(counts[int(p)]), "href": url_link(from_page, priority_page(p))}
        for p in Priority
        if int(p) in counts.index
    ]


def page_for(news: BuildNews, present: pd.DataFrame, catalog: pd.DataFrame, renderer: Renderer) -> str:
    page = news_page(news.number)
    rules, hosts = set(catalog["rule"]), set(catalog["host"])
    listed = present.sort_values(["priority", "time_ns", "id"], ascending=[True, False, False], kind="stable")
    return renderer.page(
        "news.md.j2",
        news=news,
        alerts=len(present),
        by_priority=_by_priority(present, page),
        listed=rows(listed.head(LISTED), page),
        more=max(0, len(present) - LISTED),
        # Retention may have removed every alert of a rule or host since: link only live pages.
        new_rules=[
            {"name": r, "href": url_link(page, rule_page(r)) if r in rules else None} for r in news.new_rules
        ],
        new_hosts=[
            {"name": h, "href": url_link(page, host_page(h)) if h in hosts else None} for h in news.new_hosts
        ],
        grown=_grown(news, catalog, page),
    )


def _grown(news: BuildNews, catalog: pd.DataFrame, page: str) -> list[dict[str, Any]]:
    if not news.grown_groups:
        return []
    table = aggregate.groups(catalog[catalog["group"].isin(news.grown_groups)])
    out = []
    for rec in table.to_dict("records"):
        out.append(
            {
                **rec,
                "added": news.grown_groups.get(rec["group"], 0),
                "href": url_link(page, f"groups/{rec['group']}/index.md"),
            }
        )
    return out
