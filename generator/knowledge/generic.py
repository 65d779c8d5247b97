"""Generic guidance: what an alert page says when its rule has no playbook.

Custom rules and new upstream rules have no hand-written playbook, yet their pages must still
say something correct and concrete. The words, commands, configs and links for that live in
`data/generic.yaml`, a data file reviewers can read like a playbook; this module only decides
which of its steps apply to an alert and fills them.

The data is held to the playbook rules: steps are `PlaybookStep`s (same placeholder and
shell-quoting checks on `run`, same JSON-quoting checks on configs), links are `Reference`s, and
everything else is a strict pydantic model. It is validated once, on first use; a mistake raises
`PlaybookError` naming the file and the key (`sources.syscall.investigate[3].run: ...`), so a
broken edit fails the first test or build instead of silently dropping advice.

Which steps apply is data too (a step's `when`: fields present or absent, field values, scope
tags, ATT&CK tactics, named contexts such as "inside a container"). What stays in Python is what
the data cannot say simply: telling event sources apart, building a Falco exception for the
fields the alert has, and assembling summary and impact.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field, ValidationError, model_validator

from generator.errors import PlaybookError
from generator.knowledge import mitre
from generator.knowledge.mitre import Tactic, Technique
from generator.knowledge.playbooks import (
    ConfigSnippet,
    Guidance,
    GuidanceStep,
    Link,
    NonEmpty,
    PlaybookStep,
    Reference,
    _format_validation_error,
    _no_placeholders,
    _normalise,
    _render_step,
    _Strict,
    _text,
    load_yaml_model,
    placeholders,
)
from generator.knowledge.rules import RuleInfo

__all__ = ["GenericData", "generic_data", "generic_guidance", "load_generic_file", "source_kind"]

Kind = Literal["syscall", "k8s_audit", "cloud", "internal", "unknown"]
Phase = Literal["investigate", "contain", "prevent"]
PHASES: tuple[Phase, ...] = ("investigate", "contain", "prevent")
_Test = Callable[["_Facts"], bool]

# Field names as in placeholders (see playbooks.PLACEHOLDER).
FieldName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-\[\]/:@]+$")]
TacticId = Annotated[str, Field(pattern=r"^TA\d{4}$")]
# Names the data gives its own contexts, links and scope tags.
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


def _prose(value: str) -> str:
    """Prose is rendered as trusted Markdown: it must never be able to carry alert values."""
    _no_placeholders(value, "prose")
    return value


Prose = Annotated[NonEmpty, AfterValidator(_prose)]


def _template(*markers: str) -> AfterValidator:
    """A prose template that must contain each of `markers` (filled in by this module)."""

    def check(value: str) -> str:
        missing = [m for m in markers if m not in value]
        if missing:
            raise ValueError(f"must contain {', '.join(missing)}")
        return value

    return AfterValidator(check)


# --- the data file's schema -----------------------------------------------------------------


class Condition(_Strict):
    """When a step applies; every key given must hold (see the head of generic.yaml)."""

    present: list[FieldName] = Field(default_factory=list)
    absent: list[FieldName] = Field(default_factory=list)
    not_equal: dict[FieldName, str] = Field(default_factory=dict)
    equal_ignoring_case: dict[FieldName, str] = Field(default_factory=dict)
    starts_with: dict[FieldName, NonEmpty] = Field(default_factory=dict)
    scope: list[Name] = Field(default_factory=list)
    tactics: list[TacticId] = Field(default_factory=list)
    context: list[Name] = Field(default_factory=list)
    not_context: list[Name] = Field(default_factory=list)

    def compile(self) -> _Test:
        """This condition as one function of an alert's facts.

        Built once per step when the data is loaded: choosing steps runs for every alert
        page, and only the keys a condition actually uses are tested.
        """
        tests: list[_Test] = []
        tests += [partial(_present, name) for name in self.present]
        tests += [partial(_absent, name) for name in self.absent]
        tests += [partial(_not_equal, name, text) for name, text in self.not_equal.items()]
        tests += [partial(_equal_ignoring_case, n, t.lower()) for n, t in self.equal_ignoring_case.items()]
        tests += [partial(_starts_with, name, text) for name, text in self.starts_with.items()]
        if self.scope:
            tests.append(partial(_has_scope, frozenset(self.scope)))
        if self.tactics:
            tests.append(partial(_any_tactic, frozenset(self.tactics)))
        tests += [partial(_in_context, name) for name in self.context]
        tests += [partial(_not_in_context, name) for name in self.not_context]
        if len(tests) == 1:
            return tests[0]
        return partial(_all, tuple(tests))


# The tests a condition compiles to; each takes its arguments from the data, then the facts.


def _present(name: str, facts: _Facts) -> bool:
    return facts.value(name) is not None


def _absent(name: str, facts: _Facts) -> bool:
    return facts.value(name) is None


def _not_equal(name: str, text: str, facts: _Facts) -> bool:
    return facts.value(name) != text


def _equal_ignoring_case(name: str, lowered: str, facts: _Facts) -> bool:
    return (facts.value(name) or "").lower() == lowered


def _starts_with(name: str, prefix: str, facts: _Facts) -> bool:
    return (facts.value(name) or "").startswith(prefix)


def _has_scope(tags: frozenset[str], facts: _Facts) -> bool:
    return tags <= facts.scope


def _any_tactic(tactic_ids: frozenset[str], facts: _Facts) -> bool:
    return not tactic_ids.isdisjoint(facts.tactic_ids)


def _in_context(name: str, facts: _Facts) -> bool:
    return facts.context(name)


def _not_in_context(name: str, facts: _Facts) -> bool:
    return not facts.context(name)


def _all(tests: tuple[_Test, ...], facts: _Facts) -> bool:
    return all(test(facts) for test in tests)  # an empty condition always holds


class RuleException(_Strict):
    """A step whose config is a Falco exception for the alert's values of these fields."""

    fields: Annotated[list[FieldName], Field(min_length=1)]
    # Used when the alert has none of `fields`; without it the step is then left out.
    fallback: Annotated[list[FieldName], Field(min_length=1)] | None = None

    def fields_for(self, facts: _Facts) -> list[str]:
        """The fields to except on for this alert (empty: leave the step out)."""
        return [f for f in self.fields if facts.value(f) is not None] or list(self.fallback or ())


class StepVariant(PlaybookStep):
    """Another version of a step, used instead when its `when` holds; it sets only what differs."""

    title: NonEmpty | None = None  # type: ignore[assignment]  # optional here: kept from the step
    when: Condition
    exception: RuleException | None = None


class GenericStep(PlaybookStep):
    """A playbook step plus when it applies, its variants, its exception and its references."""

    when: Condition = Field(default_factory=Condition)
    variants: list[StepVariant] = Field(default_factory=list)
    exception: RuleException | None = None
    references: list[Name] = Field(default_factory=list)

    @model_validator(mode="after")
    def _variants_make_valid_steps(self) -> GenericStep:
        """Merge every variant now, so a bad combination fails when the file is loaded."""
        self.choices()
        return self

    def choices(self) -> list[tuple[Condition | None, PlaybookStep, RuleException | None]]:
        """(condition, complete step, exception) per variant, then the step as written."""
        keys = ("title", "text", "run", "where", "config", "exception")
        base = {key: getattr(self, key) for key in keys}
        found: list[tuple[Condition | None, PlaybookStep, RuleException | None]] = []
        as_written = self._split(dict(base), "")  # checked first: its problems are its own
        for index, variant in enumerate(self.variants):
            merged = {
                **base,
                **{key: getattr(variant, key) for key in variant.model_fields_set if key in keys},
            }
            found.append((variant.when, *self._split(merged, f"variants[{index}]")))
        found.append((None, *as_written))
        return found

    @staticmethod
    def _split(fields: dict[str, object], where: str) -> tuple[PlaybookStep, RuleException | None]:
        """The plain step and the exception of one merged version of a step."""
        prefix = f"{where}." if where else ""
        exception = fields.pop("exception")
        if exception is not None and fields["config"] is not None:
            raise ValueError(f"{prefix}config: a step has either a config or an exception, not both")
        try:
            step = PlaybookStep.model_validate(fields)
        except ValidationError as exc:  # e.g. a variant that sets `title: null`
            raise ValueError(prefix + _format_validation_error(exc, brackets=True)) from None
        return step, exception  # type: ignore[return-value]


class TacticAdvice(_Strict):
    """Why a tactic matters, and one investigate and one prevent step for it."""

    impact: Prose
    investigate: PlaybookStep
    prevent: PlaybookStep


class SourceGuidance(_Strict):
    """The guidance for one kind of event source."""

    label: Prose
    summary: Prose | None = None  # replaces the generic summary
    impact: Prose | None = None  # replaces the impact built from the tactics
    tactic_advice: bool = True
    steps_from: Kind | None = None  # use another source's steps and references
    references: list[Name] = Field(default_factory=list)
    investigate: list[GenericStep] = Field(default_factory=list)
    contain: list[GenericStep] = Field(default_factory=list)
    prevent: list[GenericStep] = Field(default_factory=list)


class Sources(_Strict):
    syscall: SourceGuidance
    k8s_audit: SourceGuidance
    cloud: SourceGuidance
    internal: SourceGuidance
    unknown: SourceGuidance

    def get(self, kind: Kind) -> SourceGuidance:
        section: SourceGuidance = getattr(self, kind)
        return section


class Basis(_Strict):
    """The parts of the summary's {basis}."""

    tactics: Annotated[Prose, _template("{tactics}")]
    scope: Annotated[Prose, _template("{scope}")]
    source: Annotated[Prose, _template("{source}")]


class GenericData(_Strict):
    """The whole of generic.yaml."""

    scope_tags: Annotated[list[Name], Field(min_length=1)]
    providers: dict[Annotated[str, Field(pattern=r"^[a-z0-9_]+$")], Prose]
    unnamed_provider: Prose
    contexts: dict[Name, Condition]
    summary: Annotated[Prose, _template("{basis}")]
    basis: Basis
    impact_without_tactics: Prose
    false_positives: Annotated[list[Prose], Field(min_length=1)]
    references: list[Name]
    links: dict[Name, Reference]
    exception_config: Annotated[NonEmpty, _template("{fields}", "{comps}", "{values}")]
    tactics: dict[TacticId, TacticAdvice]
    sources: Sources

    def exception_body(self, fields: list[str]) -> str:
        """The exception config for these fields, before its placeholders are filled."""
        return (
            self.exception_config.replace("{fields}", ", ".join(fields))
            .replace("{comps}", ", ".join('"="' for _ in fields))
            .replace("{values}", ", ".join(f"<<{f}>>" for f in fields))
        )

    def fields(self) -> set[str]:
        """Every field name the data reads: placeholders of its commands and configs (all
        variants and exceptions included) and the fields its conditions test."""
        names: set[str] = {"rule"} | set(placeholders(self.exception_config))
        conditions = list(self.contexts.values())
        steps: list[PlaybookStep] = []
        for tactic in self.tactics.values():
            steps += [tactic.investigate, tactic.prevent]
        for kind in get_args(Kind):
            section = self.sources.get(kind)
            for phase in PHASES:
                for step in getattr(section, phase):
                    conditions += [step.when, *(v.when for v in step.variants)]
                    for _, done, exception in step.choices():
                        steps.append(done)
                        if exception is not None:
                            names.update(exception.fields, exception.fallback or ())
        for step in steps:
            names.update(placeholders(step.run))
            if step.config is not None:
                names.update(placeholders(step.config.body))
        for cond in conditions:
            names.update(cond.present, cond.absent, cond.not_equal, cond.equal_ignoring_case)
            names.update(cond.starts_with)
        return names

    def value_tests(self) -> list[tuple[str, str, str]]:
        """(kind, field, text) of every condition that looks at a value, not just its presence:
        two alerts with the same presence pattern may still get different steps through these
        (the page cache keys on their outcome, see `value_test`)."""
        conditions = list(self.contexts.values())
        for kind in get_args(Kind):
            for phase in PHASES:
                for step in getattr(self.sources.get(kind), phase):
                    conditions += [step.when, *(v.when for v in step.variants)]
        tests: dict[tuple[str, str, str], None] = {}
        for cond in conditions:
            tests.update(dict.fromkeys(("not_equal", n, t) for n, t in cond.not_equal.items()))
            tests.update(
                dict.fromkeys(("equal_ignoring_case", n, t) for n, t in cond.equal_ignoring_case.items())
            )
            tests.update(dict.fromkeys(("starts_with", n, t) for n, t in cond.starts_with.items()))
        return sorted(tests)

    @functools.cached_property
    def plan(self) -> _Plan:
        """The data compiled for rendering (built on first use, kept with the data)."""
        return _compile(self)


# --- loading --------------------------------------------------------------------------------


def _cross_check(data: GenericData) -> list[str]:
    """Problems pydantic cannot see: names used in one place and defined in another."""
    problems: list[str] = []

    def names(path: str, used: list[str], defined: Collection[str], what: str) -> None:
        for name in used:
            if name not in defined:
                problems.append(f"{path}: unknown {what} {name!r}")

    def condition(path: str, cond: Condition, contexts: Collection[str]) -> None:
        names(f"{path}.context", cond.context, contexts, "context")
        names(f"{path}.not_context", cond.not_context, contexts, "context")
        names(f"{path}.scope", cond.scope, data.scope_tags, "scope tag (see scope_tags)")
        for tid in cond.tactics:
            if mitre.tactic(tid) is None:
                problems.append(f"{path}.tactics: {tid} is not an ATT&CK tactic in the shipped data")

    defined: list[str] = []
    for name, cond in data.contexts.items():  # a context may only use the ones before it
        condition(f"contexts.{name}", cond, defined)
        defined.append(name)
    for tid in data.tactics:
        if mitre.tactic(tid) is None:
            problems.append(f"tactics.{tid}: not an ATT&CK tactic in the shipped data")
    names("references", data.references, data.links, "link")
    for kind in get_args(Kind):
        section = data.sources.get(kind)
        path = f"sources.{kind}"
        names(f"{path}.references", section.references, data.links, "link")
        if section.steps_from is not None:
            other = data.sources.get(section.steps_from)
            if other.steps_from is not None or section.steps_from == kind:
                problems.append(f"{path}.steps_from: must name a source with steps of its own")
            if section.references or section.investigate or section.contain or section.prevent:
                problems.append(f"{path}: has steps_from, so it must not list steps or references")
        for phase in PHASES:
            for index, step in enumerate(getattr(section, phase)):
                at = f"{path}.{phase}[{index}]"
                condition(f"{at}.when", step.when, data.contexts)
                names(f"{at}.references", step.references, data.links, "link")
                for number, variant in enumerate(step.variants):
                    condition(f"{at}.variants[{number}].when", variant.when, data.contexts)
                for _, _, exception in step.choices():
                    if exception is None:
                        continue
                    for fields in filter(None, (exception.fields, exception.fallback)):
                        try:
                            ConfigSnippet(lang="yaml", body=data.exception_body(fields))
                        except ValidationError as exc:
                            detail = _format_validation_error(exc, brackets=True)
                            problems.append(f"exception_config (filled for {at}): {detail}")
    return list(dict.fromkeys(problems))


def load_generic_file(path: Path) -> GenericData:
    """Parse and validate a generic guidance file; any problem raises PlaybookError naming it."""
    data = load_yaml_model(
        path, GenericData, what="generic guidance", shape="generic guidance", brackets=True
    )
    problems = _cross_check(data)
    if problems:
        raise PlaybookError(path, "; ".join(problems))
    return data


def _data_path() -> Path:
    return Path(str(resources.files("generator.knowledge").joinpath("data/generic.yaml")))


@functools.cache
def generic_data() -> GenericData:
    """The shipped generic guidance, validated on first use and then kept."""
    return load_generic_file(_data_path())


# --- choosing and filling -------------------------------------------------------------------


class _Facts:
    """What the conditions of the steps are tested against, for one alert."""

    def __init__(
        self, values: Mapping[str, object], scope: set[str], tactic_ids: set[str], plan: _Plan
    ) -> None:
        self.scope = scope
        self.tactic_ids = tactic_ids
        self._table = _normalise(values)
        self._plan = plan
        self._values: dict[str, str | None] = {}
        self._contexts: dict[str, bool] = {}

    def value(self, name: str) -> str | None:
        """The alert's value as text, None when it has none (exactly as the filling sees it)."""
        if name not in self._values:
            self._values[name] = _text(self._table.get(name))
        return self._values[name]

    def context(self, name: str) -> bool:
        """Whether the named context (generic.yaml `contexts`) holds for this alert."""
        if name not in self._contexts:
            self._contexts[name] = self._plan.contexts[name](self)
        return self._contexts[name]


@dataclass(frozen=True)
class _Choice:
    test: _Test | None  # None: the step as written, the last choice
    step: PlaybookStep
    exception: RuleException | None


@dataclass(frozen=True)
class _StepPlan:
    when: _Test
    choices: tuple[_Choice, ...]
    references: tuple[Link, ...]

    def choose(self, facts: _Facts) -> _Choice | None:
        """The version of this step for one alert, or None when the step does not apply."""
        if not self.when(facts):
            return None
        return next(c for c in self.choices if c.test is None or c.test(facts))


@dataclass(frozen=True)
class _Plan:
    """generic.yaml with conditions compiled to functions and links resolved."""

    contexts: dict[str, _Test]
    steps: dict[Kind, dict[Phase, tuple[_StepPlan, ...]]]
    references: dict[Kind, tuple[Link, ...]]  # the source's own, after its steps'
    always: tuple[Link, ...]


def _compile(data: GenericData) -> _Plan:
    links = {name: Link(ref.title, ref.url) for name, ref in data.links.items()}
    steps: dict[Kind, dict[Phase, tuple[_StepPlan, ...]]] = {}
    references: dict[Kind, tuple[Link, ...]] = {}
    for kind in get_args(Kind):
        section = data.sources.get(kind)
        own = data.sources.get(section.steps_from) if section.steps_from else section
        steps[kind] = {
            phase: tuple(
                _StepPlan(
                    when=step.when.compile(),
                    choices=tuple(
                        _Choice(None if cond is None else cond.compile(), done, exception)
                        for cond, done, exception in step.choices()
                    ),
                    references=tuple(links[name] for name in step.references),
                )
                for step in getattr(own, phase)
            )
            for phase in PHASES
        }
        references[kind] = tuple(links[name] for name in own.references)
    return _Plan(
        contexts={name: cond.compile() for name, cond in data.contexts.items()},
        steps=steps,
        references=references,
        always=tuple(links[name] for name in data.references),
    )


def source_kind(source: str | None, values: Mapping[str, object], info: RuleInfo | None) -> Kind:
    """syscall | k8s_audit | cloud | internal | unknown; old alerts have no `source` key."""
    raw = (source or (info.source if info else "") or "").strip().lower()
    if raw in ("syscall", "syscalls"):
        return "syscall"
    if raw.startswith(("k8s_audit", "k8saudit")):
        return "k8s_audit"
    if raw in generic_data().providers or raw.startswith(("aws", "gcp")):
        return "cloud"
    if raw == "internal":
        return "internal"
    if raw:
        return "unknown"
    keys = [str(k).strip() for k in values]
    if any(k.startswith("ka.") for k in keys):
        return "k8s_audit"
    if any(k.startswith(("ct.", "aws.", "gcp.", "okta.", "github.")) for k in keys):
        return "cloud"
    if any(k.startswith(("proc.", "fd.", "evt.", "container.", "user.")) for k in keys):
        return "syscall"
    return "unknown"


def value_test(kind: str, text: str, value: str | None) -> bool:
    """The outcome of one of `GenericData.value_tests()` for an alert's value (None: absent)."""
    if kind == "not_equal":
        return value != text
    if kind == "equal_ignoring_case":
        return (value or "").lower() == text.lower()
    return (value or "").startswith(text)


def _render(
    choice: _Choice,
    values: Mapping[str, object],
    facts: _Facts,
    data: GenericData,
    provider: str,
    fill: Mapping[str, str] | None,
) -> GuidanceStep | None:
    """Fill one chosen step; None when it is an exception for fields the alert does not have."""
    step = choice.step
    if choice.exception is not None:
        fields = choice.exception.fields_for(facts)
        if not fields:
            return None
        config = ConfigSnippet(lang="yaml", body=data.exception_body(fields))
        step = step.model_copy(update={"config": config})
    rendered = _render_step(step, values, fill)
    if rendered.text is not None and "{provider}" in rendered.text:
        rendered = dataclasses.replace(rendered, text=rendered.text.replace("{provider}", provider))
    return rendered


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def generic_guidance(
    rule: str,
    source: str | None,
    tags: list[str],
    values: Mapping[str, object],
    rule_info: RuleInfo | None,
    techniques: tuple[Technique, ...],
    tactics: tuple[Tactic, ...],
    fill: Mapping[str, str] | None = None,
) -> Guidance:
    """Generic guidance for an alert whose rule has no playbook.

    `tags` are the alert's and the rule's tags merged, `techniques` and `tactics` what they map
    to (see playbooks.guidance_for, the only caller). Conditions are decided on `values`;
    `fill` only replaces the text filled in (the page cache's sentinels, see playbooks._fill).
    """
    data = generic_data()
    plan = data.plan
    kind = source_kind(source, values, rule_info)
    section = data.sources.get(kind)
    alert_source = (source or "").strip().lower()
    provider = data.providers.get(alert_source, data.unnamed_provider)
    scope = {t for t in tags if t in data.scope_tags}
    facts = _Facts(values, scope, {t.id for t in tactics}, plan)

    rendered: dict[Phase, list[GuidanceStep]] = {phase: [] for phase in PHASES}
    references = list(plan.always)
    for phase in PHASES:
        for step in plan.steps[kind][phase]:
            choice = step.choose(facts)
            done = None if choice is None else _render(choice, values, facts, data, provider, fill)
            if done is not None:
                rendered[phase].append(done)
                references += step.references
    references += plan.references[kind]
    advice = [data.tactics[t.id] for t in tactics if t.id in data.tactics]
    if section.tactic_advice:
        for tactic in advice:
            rendered["investigate"].append(_render_step(tactic.investigate, values, fill))
            rendered["prevent"].append(_render_step(tactic.prevent, values, fill))

    label = data.providers.get(alert_source, section.label)
    basis = []
    if tactics:
        basis.append(data.basis.tactics.replace("{tactics}", ", ".join(t.name for t in tactics)))
    if scope:
        basis.append(data.basis.scope.replace("{scope}", ", ".join(sorted(scope))))
    basis.append(data.basis.source.replace("{source}", label))
    # Prose is rendered as trusted Markdown: it must never contain alert values (the rule
    # name included); those only go into commands and configs, which are shown verbatim.
    summary = section.summary or data.summary.replace("{basis}", _join(basis))
    impact = section.impact or " ".join(a.impact for a in advice) or data.impact_without_tactics
    return Guidance(
        rule=rule,
        generic=True,
        summary=summary,
        impact=impact,
        investigate=tuple(rendered["investigate"]),
        contain=tuple(rendered["contain"]),
        prevent=tuple(rendered["prevent"]),
        false_positives=tuple(data.false_positives),
        references=tuple(dict.fromkeys(references)),
        techniques=techniques,
        tactics=tactics,
    )
