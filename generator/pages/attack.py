"""The MITRE ATT&CK page: alerts aggregated by tactic and technique.

An alert's techniques and tactics come from its own tags, from its rule's tags in the loaded
rule files (old Falco versions sent no tags) and from its rule's playbook. Tags are decoded
once per distinct (rule, tags) pair, not once per alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from generator.archive.catalog import TAG_SEPARATOR
from generator.knowledge import mitre
from generator.knowledge.playbooks import Playbook
from generator.knowledge.rules import RuleInfo
from generator.pages.render import Renderer
from generator.urls import ATTACK, rule_page, url_link


def attack_table(
    df: pd.DataFrame, rules: Mapping[str, RuleInfo], playbooks: Mapping[str, Playbook]
) -> pd.DataFrame:
    """One row per (alert group of rule+tags, technique or tactic): ``kind, id, rule, alerts``."""
    if df.empty:
        return pd.DataFrame(columns=["kind", "id", "rule", "alerts"])
    pairs = df.groupby(["rule", "tags"], sort=True).size().reset_index(name="alerts")
    records: list[dict[str, Any]] = []
    for rule, tags, alerts in pairs.itertuples(index=False):
        all_tags = [*(tags.split(TAG_SEPARATOR) if tags else [])]
        info = rules.get(rule)
        if info is not None:
            all_tags += list(info.tags)
        techniques = {t.id: t for t in mitre.techniques_from_tags(all_tags)}
        playbook = playbooks.get(rule)
        for tid in playbook.mitre if playbook is not None else ():
            tech = mitre.technique(tid)
            if tech is not None:
                techniques.setdefault(tech.id, tech)
        tactics = {t.id for t in mitre.tactics_from_tags(all_tags)}
        for tech in techniques.values():
            tactics.update(tech.tactic_ids)
            records.append({"kind": "technique", "id": tech.id, "rule": rule, "alerts": int(alerts)})
        records += [{"kind": "tactic", "id": t, "rule": rule, "alerts": int(alerts)} for t in sorted(tactics)]
    return pd.DataFrame.from_records(records, columns=["kind", "id", "rule", "alerts"])


def attack_page(
    df: pd.DataFrame, rules: Mapping[str, RuleInfo], playbooks: Mapping[str, Playbook], renderer: Renderer
) -> str:
    table = attack_table(df, rules, playbooks)
    tactics = []
    order = {t.id: i for i, t in enumerate(mitre.all_tactics())}
    tac = table[table["kind"] == "tactic"] if len(table) else table
    tech = table[table["kind"] == "technique"] if len(table) else table
    for tid, rows in sorted(tac.groupby("id"), key=lambda item: order.get(item[0], 999)):
        tactic = mitre.tactic(tid)
        if tactic is None:
            continue
        members = tech[tech["rule"].isin(set(rows["rule"]))]
        techniques: list[dict[str, Any]] = []
        for tech_id, trows in members.groupby("id", sort=True):
            technique = mitre.technique(tech_id)
            if technique is None or tid not in technique.tactic_ids:
                continue
            by_rule = trows.groupby("rule")["alerts"].sum().sort_values(ascending=False)
            techniques.append(
                {
                    "technique": technique,
                    "alerts": int(by_rule.sum()),
                    "rules": [
                        {"name": r, "alerts": int(n), "href": url_link(ATTACK, rule_page(r))}
                        for r, n in by_rule.head(5).items()
                    ],
                }
            )
        techniques.sort(key=lambda t: (-t["alerts"], t["technique"].id))
        tactics.append({"tactic": tactic, "alerts": int(rows["alerts"].sum()), "techniques": techniques})
    return renderer.page("attack.md.j2", tactics=tactics, alerts=len(df))
