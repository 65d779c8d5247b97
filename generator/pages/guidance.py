"""The seam between alert pages and the knowledge base (rule files, playbooks, ATT&CK).

An alert page asks one question: "what should the reader know and do about this alert?".
:class:`GuidanceProvider` answers it from Falco rule files (``--rules``) and playbooks
(shipped + the user's folder), and fingerprints those inputs so that a change to any of them
re-renders every page.

Rendering the guidance section is the most expensive part of an alert page, yet it differs
between two alerts of one rule only in the values filled into commands. So it is rendered once
per rule (and per pattern of which placeholder fields the alert has), with every value replaced
by a sentinel; each alert then only substitutes its own, quoted and escaped, values. The result
is byte-identical to rendering the filled guidance directly.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.knowledge.generic import generic_data, value_test
from generator.knowledge.playbooks import (
    EXEC_FORMS,
    PLACEHOLDER,
    Guidance,
    Playbook,
    _text,
    guidance_for,
    load_playbooks,
)
from generator.knowledge.rules import RuleInfo, load_rule_files
from generator.knowledge.values import check
from generator.pages import escape
from generator.read.models import FalcoAlert

_SENTINEL = re.compile("(&#39;|&#34;)?\ue000(\\d+)\ue001(&#39;|&#34;)?")


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
        self._cache: dict[tuple[object, ...], str] = {}
        self._fields = self._placeholder_fields()
        self._value_tests = generic_data().value_tests()

    @classmethod
    def load(cls, rule_files: Sequence[Path], playbooks_dir: Path | None) -> GuidanceProvider:
        inputs: list[Path] = list(rule_files)
        if playbooks_dir is not None:
            inputs += sorted(playbooks_dir.glob("*.y*ml"))
        return cls(load_rule_files(rule_files), load_playbooks(playbooks_dir), inputs)

    def _placeholder_fields(self) -> tuple[str, ...]:
        """Every field name the guidance can fill in or test: the playbooks', the generic
        guidance's and the exec wrappers' (cached renders substitute exactly these)."""
        names: set[str] = generic_data().fields()
        for form in EXEC_FORMS:
            names.update(PLACEHOLDER.findall(form))
        for playbook in self.playbooks.values():
            for step in playbook.steps():
                names.update(PLACEHOLDER.findall(step.run or ""))
                if step.config is not None:
                    names.update(PLACEHOLDER.findall(step.config.body))
        return tuple(sorted(names))

    def fingerprint(self) -> str:
        """The rule and playbook files read (the package's own code is in the build's fingerprint)."""
        h = hashlib.sha256()
        for path in self._inputs:
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        return h.hexdigest()

    def for_alert(
        self,
        alert: FalcoAlert,
        values: Mapping[str, object] | None = None,
        fill: Mapping[str, str] | None = None,
    ) -> AlertGuidance:
        """The guidance with this alert's values filled in (plain strings, not yet escaped);
        with `fill`, decided on the values but filled with those texts (see markdown)."""
        values = alert_values(alert) if values is None else values
        info = self.rules.get(alert.rule)
        advice = guidance_for(alert.rule, alert.source, alert.tags, values, self.playbooks, info, fill)
        return AlertGuidance(rule=info, advice=advice)

    def markdown(self, alert: FalcoAlert, render: Callable[[AlertGuidance], str]) -> escape.Markup:
        """The rendered guidance section of one alert page (cached per rule, see module doc)."""
        values = alert_values(alert)
        table = {str(k).strip(): v for k, v in values.items()}
        table.update((str(k), v) for k, v in values.items())
        texts = [_text(table.get(name)) for name in self._fields]
        present = tuple(t is not None for t in texts)
        # Everything the rendering decides on besides the rule: which values are present, which
        # pass the value policy, and the outcome of the generic guidance's value conditions.
        valid = tuple(t is None or check(n, t) is None for n, t in zip(self._fields, texts, strict=True))
        tested = tuple(value_test(kind, text, _text(table.get(n))) for kind, n, text in self._value_tests)
        key = (alert.rule, alert.source, alert.tags, present, valid, tested)
        cached = self._cache.get(key)
        if cached is None:
            sentinels = {name: f"\ue000{i}\ue001" for i, name in enumerate(self._fields) if present[i]}
            cached = _html_sections(render(self.for_alert(alert, values, sentinels)))
            self._cache[key] = cached

        def fill(match: re.Match[str]) -> str:
            before, index, after = match.group(1), int(match.group(2)), match.group(3)
            text = texts[index] or ""
            if before == "&#39;" and after == "&#39;":
                return escape.md(shlex.quote(text))
            if before == "&#34;" and after == "&#34;":
                return escape.md(_json_quote(text))
            return (before or "") + escape.md(text) + (after or "")

        return escape.Markup(_SENTINEL.sub(fill, cached))


_HEADING = re.compile(r"^#{1,6} .*$", re.M)


def _html_sections(text: str) -> str:
    """Headings stay Markdown (MkDocs builds the page's table of contents from them); the body
    under each is converted to HTML here, once per rule, so MkDocs passes it through as raw
    HTML instead of parsing the same prose again on every alert page."""
    import markdown

    converter = markdown.Markdown(extensions=["admonition", "tables"])
    out: list[str] = []
    pos = 0
    for match in [*_HEADING.finditer(text), None]:
        end = match.start() if match else len(text)
        body = text[pos:end].strip("\n")
        if body.strip():
            converter.reset()
            out.append(converter.convert(body))
        if match:
            out.append(match.group())
            pos = match.end()
    return "\n\n".join(out) + "\n"


def alert_values(alert: FalcoAlert) -> dict[str, object]:
    """The placeholder values a playbook is filled with: the output fields plus the alert's own facts."""
    values: dict[str, object] = dict(alert.output_fields)
    values.update(
        rule=alert.rule,
        hostname=alert.host,
        priority=alert.priority.label,
        source=alert.source,
        time=alert.time_iso,
    )
    return values


def _json_quote(text: str) -> str:
    from generator.knowledge.playbooks import _json_quote as quote

    return quote(text)
