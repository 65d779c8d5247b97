"""MITRE ATT&CK (Enterprise) lookups for Falco rule tags and playbooks.

Falco rules tag themselves with ATT&CK references in several spellings that grew over time:
`T1555`, `T1059.004`, `T1562-impair-defenses`, `TA0005-defense-evasion`, `TA0003` and
`mitre_execution`. Alerts carry those tags verbatim, so the archive must turn all of them into
the same tactic/technique objects to group alerts and link to attack.mitre.org.

The names come from a small data file we ship (`generator/data/mitre.json`) instead of the full
ATT&CK bundle (tens of megabytes, and the build must work offline). It holds every tactic and the
techniques referenced by the upstream Falco rules and by our playbooks; an ID that is not in the
file is reported as unknown rather than guessed.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "Tactic",
    "Technique",
    "all_tactics",
    "all_techniques",
    "parse_technique_id",
    "tactic",
    "tactics_from_tags",
    "technique",
    "techniques_from_tags",
]

log = logging.getLogger(__name__)

_ATTACK = "https://attack.mitre.org"
# `T1059`, `T1059.004`, `T1562-impair-defenses`, `t1555` (case-insensitive, optional suffix).
_TECHNIQUE_TAG = re.compile(r"(?i)^\s*(T\d{4})(?:\.(\d{3}))?(?:[-_ :].*)?$")
# `TA0005`, `TA0005-defense-evasion`.
_TACTIC_ID_TAG = re.compile(r"(?i)^\s*(TA\d{4})(?:[-_ :].*)?$")
# `mitre_execution`, `mitre-credential-access`, `MITRE_Defense_Evasion`.
_MITRE_NAME_TAG = re.compile(r"(?i)^\s*mitre[-_ ](.+?)\s*$")


@dataclass(frozen=True)
class Tactic:
    """One ATT&CK Enterprise tactic (the adversary's goal, e.g. Credential Access)."""

    id: str
    name: str
    tag: str

    @property
    def url(self) -> str:
        return f"{_ATTACK}/tactics/{self.id}/"


@dataclass(frozen=True)
class Technique:
    """One ATT&CK technique or sub-technique; `name` is ATT&CK's own (short) name."""

    id: str
    name: str
    tactic_ids: tuple[str, ...]

    @property
    def parent_id(self) -> str | None:
        """`T1059` for `T1059.004`; None for a top-level technique."""
        return self.id.split(".", 1)[0] if "." in self.id else None

    @property
    def is_subtechnique(self) -> bool:
        return "." in self.id

    @property
    def full_name(self) -> str:
        """`Command and Scripting Interpreter: Unix Shell`, as ATT&CK displays sub-techniques."""
        parent = technique(self.parent_id) if self.parent_id else None
        return f"{parent.name}: {self.name}" if parent else self.name

    @property
    def tactics(self) -> tuple[Tactic, ...]:
        return tuple(t for t in (tactic(tid) for tid in self.tactic_ids) if t is not None)

    @property
    def url(self) -> str:
        base, _, sub = self.id.partition(".")
        return f"{_ATTACK}/techniques/{base}/{sub}/" if sub else f"{_ATTACK}/techniques/{base}/"


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass(frozen=True)
class _Data:
    tactics: dict[str, Tactic]
    tactic_by_key: dict[str, Tactic]
    techniques: dict[str, Technique]
    technique_by_snake: dict[str, Technique]


@cache
def _data() -> _Data:
    data = resources.files("generator.knowledge").joinpath("data/mitre.json")
    raw = json.loads(data.read_text(encoding="utf-8"))
    tactics = {t["id"]: Tactic(id=t["id"], name=t["name"], tag=t["tag"]) for t in raw["tactics"]}
    by_key: dict[str, Tactic] = {}
    for t in tactics.values():
        by_key[t.id.lower()] = t
        by_key[t.tag.lower()] = t
        by_key[_snake(t.name)] = t
    techniques = {
        t["id"]: Technique(id=t["id"], name=t["name"], tactic_ids=tuple(t["tactics"]))
        for t in raw["techniques"]
    }
    # `mitre_data_destruction` style tags name a technique rather than a tactic.
    by_snake = {_snake(t.name): t for t in techniques.values() if not t.is_subtechnique}
    return _Data(tactics, by_key, techniques, by_snake)


def all_tactics() -> list[Tactic]:
    """Every Enterprise tactic, in kill-chain order (Reconnaissance ... Impact)."""
    return list(_data().tactics.values())


def all_techniques() -> list[Technique]:
    """Every technique in the shipped data file, sorted by ID."""
    return list(_data().techniques.values())


def parse_technique_id(tag: str) -> str | None:
    """Return the canonical technique ID a tag spells (`T1562-impair-defenses` -> `T1562`).

    A tag holding a control or invisible character spells nothing: ``benign\x1fT1190`` (the
    catalog's tag separator inside one tag) or ``\u200bT1190`` must not count under T1190.
    """
    text = str(tag)
    if not text.isprintable():
        return None
    match = _TECHNIQUE_TAG.match(text)
    if not match:
        return None
    base, sub = match.group(1).upper(), match.group(2)
    return f"{base}.{sub}" if sub else base


def technique(technique_id: str | None) -> Technique | None:
    """Look up a technique by ID in any tag spelling; None when unknown or malformed."""
    if not technique_id:
        return None
    canonical = parse_technique_id(technique_id)
    return _data().techniques.get(canonical) if canonical else None


def tactic(id_or_tag: str | None) -> Tactic | None:
    """Look up a tactic by `TA0006`, `TA0006-credential-access`, `mitre_credential_access`
    or its name (`Credential Access`); None when unknown."""
    if not id_or_tag:
        return None
    text = str(id_or_tag).strip()
    data = _data()
    match = _TACTIC_ID_TAG.match(text)
    if match:
        return data.tactics.get(match.group(1).upper())
    match = _MITRE_NAME_TAG.match(text)
    key = _snake(match.group(1)) if match else _snake(text)
    return data.tactic_by_key.get(key) or data.tactic_by_key.get(f"mitre_{key}")


def techniques_from_tags(tags: Iterable[object] | None) -> list[Technique]:
    """Techniques named by a rule's or alert's tags, in tag order, without duplicates.

    Unknown IDs are skipped (and logged at debug level): alert tags are attacker-reachable
    text, and an ID we cannot name is better left out than shown with an invented name.
    """
    found: dict[str, Technique] = {}
    for raw in tags or ():
        if not isinstance(raw, str) or not raw.isprintable():
            continue
        tech: Technique | None = None
        if parse_technique_id(raw):
            tech = technique(raw)
            if tech is None:
                log.debug("unknown ATT&CK technique tag %r", raw)
        else:
            match = _MITRE_NAME_TAG.match(raw)
            if match and tactic(raw) is None:
                tech = _data().technique_by_snake.get(_snake(match.group(1)))
        if tech is not None:
            found.setdefault(tech.id, tech)
    return list(found.values())


def tactics_from_tags(tags: Iterable[object] | None) -> list[Tactic]:
    """Tactics named by tags (`mitre_*` or `TA*` spellings), in tag order, without duplicates."""
    found: dict[str, Tactic] = {}
    for raw in tags or ():
        if not isinstance(raw, str) or not raw.isprintable():
            continue
        if not (_TACTIC_ID_TAG.match(raw) or _MITRE_NAME_TAG.match(raw)):
            continue
        found_tactic = tactic(raw)
        if found_tactic is not None:
            found.setdefault(found_tactic.id, found_tactic)
    return list(found.values())
