"""The seam between alert pages and the knowledge base (rule files, playbooks, ATT&CK).

An alert page asks one question: "what should the reader know and do about this alert?".
:class:`GuidanceProvider` answers it from Falco rule files (``--rules``) and playbooks
(shipped + the user's folder), and fingerprints those inputs so that a change to any of them
re-renders every page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .models import FalcoAlert
from .playbooks import Guidance, Playbook, guidance_for, load_playbooks
from .rules import RuleInfo, load_rule_files


@dataclass(frozen=True)
class AlertGuidance:
    """What an alert page shows below the event: the rule's definition and the playbook."""

    rule: RuleInfo | None
    advice: Guidance


class GuidanceProvider:
    def __init__(
        self,
        rules: Mapping[str, RuleInfo],
        playbooks: Mapping[str, Playbook],
        inputs: Sequence[Path],
    ) -> None:
        self.rules = rules
        self.playbooks = playbooks
        self._inputs = inputs

    @classmethod
    def load(cls, rule_files: Sequence[Path], playbooks_dir: Path | None) -> GuidanceProvider:
        inputs: list[Path] = list(rule_files)
        package_dir = Path(__file__).with_name("playbooks")
        inputs += sorted(package_dir.glob("*.yaml"))
        if playbooks_dir is not None:
            inputs += sorted(playbooks_dir.glob("*.y*ml"))
        return cls(load_rule_files(rule_files), load_playbooks(playbooks_dir), inputs)

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for path in self._inputs:
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        h.update(Path(__file__).with_name("playbooks.py").read_bytes())
        return h.hexdigest()

    def for_alert(self, alert: FalcoAlert) -> AlertGuidance:
        values: dict[str, object] = dict(alert.output_fields)
        values.update(
            rule=alert.rule,
            hostname=alert.host,
            priority=alert.priority.label,
            source=alert.source,
            time=alert.time_iso,
        )
        info = self.rules.get(alert.rule)
        advice = guidance_for(alert.rule, alert.source, alert.tags, values, self.playbooks, info)
        return AlertGuidance(rule=info, advice=advice)
