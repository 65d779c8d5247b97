"""ATT&CK data file and tag parsing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

import generator
from generator.knowledge import mitre

DATA = Path(generator.__file__).parent / "knowledge" / "data" / "mitre.json"
# Upstream rule files, laid out as in falcosecurity/rules (tests/data/README.md).
RULES_DIR = Path(__file__).resolve().parent / "data" / "falco-rules"
PLAYBOOK_DIR = Path(generator.__file__).parent / "knowledge" / "data" / "playbooks"

EXPECTED_TACTICS = {
    "TA0001": ("Initial Access", "mitre_initial_access"),
    "TA0002": ("Execution", "mitre_execution"),
    "TA0003": ("Persistence", "mitre_persistence"),
    "TA0004": ("Privilege Escalation", "mitre_privilege_escalation"),
    "TA0005": ("Defense Evasion", "mitre_defense_evasion"),
    "TA0006": ("Credential Access", "mitre_credential_access"),
    "TA0007": ("Discovery", "mitre_discovery"),
    "TA0008": ("Lateral Movement", "mitre_lateral_movement"),
    "TA0009": ("Collection", "mitre_collection"),
    "TA0010": ("Exfiltration", "mitre_exfiltration"),
    "TA0011": ("Command and Control", "mitre_command_and_control"),
    "TA0040": ("Impact", "mitre_impact"),
    "TA0042": ("Resource Development", "mitre_resource_development"),
    "TA0043": ("Reconnaissance", "mitre_reconnaissance"),
}


def _stock_tags() -> list[str]:
    tags: list[str] = []
    for path in sorted(RULES_DIR.rglob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if isinstance(item, dict) and "rule" in item:
                tags.extend(str(t) for t in item.get("tags") or [])
    return tags


def test_all_tactics_present() -> None:
    found = {t.id: (t.name, t.tag) for t in mitre.all_tactics()}
    assert found == EXPECTED_TACTICS
    assert mitre.all_tactics()[0].id == "TA0043"  # kill-chain order
    assert mitre.all_tactics()[-1].id == "TA0040"


def test_data_file_is_consistent() -> None:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    ids = [t["id"] for t in raw["techniques"]]
    assert len(ids) == len(set(ids))
    tactic_ids = set(EXPECTED_TACTICS)
    for tech in raw["techniques"]:
        assert re.fullmatch(r"T\d{4}(\.\d{3})?", tech["id"])
        assert tech["name"].strip() == tech["name"] and tech["name"]
        assert tech["tactics"] and set(tech["tactics"]) <= tactic_ids
        if "." in tech["id"]:
            parent = mitre.technique(tech["id"].split(".")[0])
            assert parent is not None, f"{tech['id']} needs its parent"
            assert set(tech["tactics"]) <= set(parent.tactic_ids)


def test_every_technique_tagged_in_stock_rules_is_known() -> None:
    unknown = set()
    for tag in _stock_tags():
        tid = mitre.parse_technique_id(tag)
        if tid and mitre.technique(tid) is None:
            unknown.add(tag)
    assert unknown == set()


def test_every_tactic_tag_in_stock_rules_is_known() -> None:
    unknown = {
        tag
        for tag in _stock_tags()
        if re.match(r"(?i)^(mitre_|TA\d)", tag)
        and mitre.tactic(tag) is None
        and not mitre.techniques_from_tags([tag])
    }
    assert unknown == set()


def test_every_playbook_technique_is_known() -> None:
    unknown = set()
    for path in sorted(PLAYBOOK_DIR.glob("*.yaml")):
        for tid in yaml.safe_load(path.read_text(encoding="utf-8")).get("mitre") or []:
            if mitre.technique(tid) is None:
                unknown.add(f"{path.name}: {tid}")
    assert unknown == set()


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("T1555", "T1555"),
        ("T1059.004", "T1059.004"),
        ("T1562-impair-defenses", "T1562"),
        ("T1567-exfiltration-to-Cloud-Storage", "T1567"),
        ("t1083", "T1083"),
        ("TA0005", None),
        ("mitre_execution", None),
        ("T12", None),
        ("cloud", None),
    ],
)
def test_parse_technique_id(tag: str, expected: str | None) -> None:
    assert mitre.parse_technique_id(tag) == expected


def test_technique_lookup_names_and_urls() -> None:
    shell = mitre.technique("T1059.004")
    assert shell is not None
    assert shell.name == "Unix Shell"
    assert shell.full_name == "Command and Scripting Interpreter: Unix Shell"
    assert shell.url == "https://attack.mitre.org/techniques/T1059/004/"
    assert shell.parent_id == "T1059"
    assert [t.name for t in shell.tactics] == ["Execution"]
    creds = mitre.technique("T1555")
    assert creds is not None and creds.name == "Credentials from Password Stores"
    assert creds.url == "https://attack.mitre.org/techniques/T1555/"
    assert creds.full_name == creds.name and creds.parent_id is None
    assert mitre.technique("T1562-impair-defenses") == mitre.technique("T1562")
    assert mitre.technique("T9999") is None
    assert mitre.technique("") is None and mitre.technique(None) is None


@pytest.mark.parametrize(
    "spelling",
    ["TA0006", "TA0006-credential-access", "mitre_credential_access", "Credential Access"],
)
def test_tactic_lookup_spellings(spelling: str) -> None:
    tactic = mitre.tactic(spelling)
    assert tactic is not None
    assert tactic.id == "TA0006"
    assert tactic.url == "https://attack.mitre.org/tactics/TA0006/"


def test_tactic_lookup_unknown() -> None:
    assert mitre.tactic("TA9999") is None
    assert mitre.tactic("mitre_data_destruction") is None
    assert mitre.tactic("") is None


def test_from_tags_in_order_without_duplicates() -> None:
    tags = [
        "maturity_stable",
        "T1562-impair-defenses",
        "TA0005-defense-evasion",
        "mitre_execution",
        "T1059.004",
        "T1562",
        "T9999",
        "mitre_data_destruction",
        "mitre_defense_evasion",
        "TA0003",
        42,
    ]
    assert [t.id for t in mitre.techniques_from_tags(tags)] == ["T1562", "T1059.004", "T1485"]
    assert [t.id for t in mitre.tactics_from_tags(tags)] == ["TA0005", "TA0002", "TA0003"]
    assert mitre.techniques_from_tags(None) == [] and mitre.tactics_from_tags([]) == []
