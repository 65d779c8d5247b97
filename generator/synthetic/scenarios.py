"""The synthetic generator's data files (``data/``): their schema, loading and cross-checks.

Why data files: the rules, workloads, scenarios and value pools are facts about Falco and about
a plausible cluster, not logic, and people edit them without reading the generator. As Python
literals a misspelt keyword was a ``TypeError`` at best and a silently used default at worst;
here every file is validated by a pydantic model with ``extra="forbid"`` when it is loaded, and
a problem is a ``ScenarioDataError`` that names the file and the entry, e.g.
``scenarios.yaml: scenarios[12].cmds[0].cmd: field required``.

Order is data too: the generator is deterministic and picks entries by index, so the loaders keep
every sequence and mapping in file order, and the committed demo alerts depend on it.

Files (each starts with a comment that documents it):

* ``rules_summary.tsv``: the Falco rules, with each rule's real ``output`` format;
* ``falco_output.yaml``: what the simulated ``falco.yaml`` adds to the output;
* ``scenarios.yaml``: syscall activity each rule plausibly fires on;
* ``workloads.tsv``: the containers the nodes run;
* ``executables.yaml``, ``values.yaml``: executable paths and value pools;
* ``k8s_audit.yaml``, ``cloudtrail.yaml``: values of the two plugin sources.
"""

from __future__ import annotations

import collections
import functools
import json
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from generator.read.models import Priority

DATA_DIR = Path(__file__).with_name("data")

#: Falco's own spellings, most to least severe (the package's Priority is the source).
PRIORITIES: tuple[str, ...] = tuple(p.label for p in Priority)
_PRIORITY_SPELLING = {p.upper(): p for p in PRIORITIES} | {"INFO": "Informational"}

Source = Literal["syscall", "k8s_audit", "aws_cloudtrail"]
#: How a scenario's process was started (``AlertGenerator._syscall_base`` knows each).
Parent = Literal["exec", "shell", "app", "ssh", "npm", "cron", "systemd", "runtime"]
#: The connection that fills ``fd.name`` (``AlertGenerator._connection`` knows each).
Net = Literal["attacker", "public", "k8sapi", "imds", "udp", "ssh", "packet"]
#: ``{placeholder}`` names a scenario template may use (``AlertGenerator.sub_value`` draws each).
PLACEHOLDERS = frozenset(
    re.findall(r"\S+", "ip port sshport rand tool pid n b64 long wallet key doc user host entry ns pod")
)
#: The scenario of every syscall rule that no scenario lists.
GENERIC_SCENARIO = "generic"

_FIELD_RE = re.compile(r"%([A-Za-z_][A-Za-z0-9_.]*(?:\[[^\]]*\])?)")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_M = TypeVar("_M", bound=BaseModel)


class ScenarioDataError(ValueError):
    """A data file of the synthetic generator is missing, malformed or breaks its schema.

    The message starts with the file's name and then says where (``line 7``, ``scenarios[12].cmd``)
    and what is wrong; ``path`` is the full path of the file.
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path.name}: {problem}")


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------


class _Schema(BaseModel):
    """Strict about keys (a typo is an error, not a default), immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Command(_Schema):
    """One command line of a scenario, with the file it touches and a second path (both optional)."""

    cmd: str = Field(min_length=1)
    file: str | None = None
    path2: str | None = None

    @field_validator("cmd", "file", "path2")
    @classmethod
    def _known_placeholders(cls, value: str | None) -> str | None:
        """A template typo (``{prot}``) must fail here, not as a KeyError mid-benchmark."""
        if value is None:
            return value
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as exc:  # a lone { or }
            raise ValueError(f"not a str.format template ({exc}); double literal braces: {{{{ }}}}") from None
        if unknown := sorted(names - PLACEHOLDERS):
            raise ValueError(f"unknown placeholder(s) {unknown}; known: {sorted(PLACEHOLDERS)}")
        return value


class Scenario(_Schema):
    """A family of syscall activity; see the comment at the top of ``scenarios.yaml``."""

    name: str = Field(min_length=1)
    cmds: tuple[Command, ...] = Field(min_length=1)
    evt: tuple[str, ...] = Field(default=("execve",), min_length=1)
    parents: tuple[Parent, ...] = Field(default=("exec",), min_length=1)
    where: Literal["container", "host", "any"] = "any"
    role: str | None = None
    net: Net | None = None
    rules: tuple[str, ...] = ()


class ScenarioFile(_Schema):
    """``scenarios.yaml``: the scenarios in the order the file lists them."""

    scenarios: tuple[Scenario, ...] = Field(min_length=1)


class Workload(_Schema):
    """One row of ``workloads.tsv``: a container image and how it runs."""

    kind: Literal["deploy", "sts", "ds", "docker"]
    namespace: str | None
    name: str = Field(min_length=1)
    container: str = Field(min_length=1)
    image: str = Field(min_length=1)
    tags: tuple[str, ...] = Field(min_length=1)
    user: str = Field(min_length=1)
    uid: int = Field(ge=0)
    role: str = Field(min_length=1)
    exe: str = Field(pattern=r"^/")
    entry: str = Field(min_length=1)

    @field_validator("namespace", mode="before")
    @classmethod
    def _dash_is_none(cls, value: object) -> object:
        """``-`` marks "no namespace" (a plain Docker container): an empty cell is easy to miss."""
        return None if value == "-" else value

    @field_validator("tags", mode="before")
    @classmethod
    def _split_tags(cls, value: object) -> object:
        """Image tags are one comma-separated cell."""
        return tuple(value.split(",")) if isinstance(value, str) else value

    @property
    def alpine(self) -> bool:
        """A busybox userland: most tools resolve to ``/bin/busybox`` (``alpine`` anywhere in the
        image or a tag, e.g. ``redis:7.4.1-alpine``)."""
        return "alpine" in self.image or any("alpine" in tag for tag in self.tags)


class Executables(_Schema):
    """``executables.yaml``: where a command's binary lives."""

    paths: dict[str, str]
    busybox: tuple[str, ...]


class Values(_Schema):
    """``values.yaml``: value pools for scenario templates and a few fields."""

    attacker_ips: tuple[str, ...] = Field(min_length=1)
    attacker_ports: tuple[int, ...] = Field(min_length=1)
    tools: tuple[str, ...] = Field(min_length=1)
    documents: tuple[str, ...] = Field(min_length=1)
    capabilities: tuple[str, ...] = Field(min_length=1)


class K8sAudit(_Schema):
    """``k8s_audit.yaml``: values of the Kubernetes audit source."""

    plurals: dict[str, str]
    cluster_scoped: tuple[str, ...]
    api_groups: dict[str, str]
    rbac_reason: str
    anonymous_reason: str
    user_agents: tuple[str, ...] = Field(min_length=1)
    binding_subjects: tuple[list[dict[str, Any]], ...] = Field(min_length=2)
    role_rules: tuple[list[dict[str, Any]], ...] = Field(min_length=1)
    volumes: tuple[list[dict[str, Any]], ...] = Field(min_length=1)


class CloudTrail(_Schema):
    """``cloudtrail.yaml``: values of the AWS CloudTrail source."""

    events: dict[str, str]
    console_user_agent: str
    user_agents: tuple[str, ...] = Field(min_length=1)
    buckets: tuple[str, ...] = Field(min_length=1)


class FalcoOutput(_Schema):
    """``falco_output.yaml``: what the simulated Falco's configuration adds to every alert."""

    syscall_suffix: str
    extra_fields: dict[Source, tuple[str, ...]]


class RuleRow(_Schema):
    """One row of ``rules_summary.tsv`` as written (the priority in Falco's rule-file spelling)."""

    file: str = Field(min_length=1)
    rule: str = Field(min_length=1)
    priority: str
    source: Source
    tags: str
    output: str = Field(min_length=1)

    @field_validator("priority")
    @classmethod
    def _known_priority(cls, value: str) -> str:
        """Rule files spell priorities in capitals and use ``INFO``; anything else is a typo."""
        if value.upper() not in _PRIORITY_SPELLING:
            raise ValueError(f"unknown priority {value!r}; expected one of {sorted(_PRIORITY_SPELLING)}")
        return value


@dataclass(frozen=True, slots=True)
class Rule:
    """One Falco rule as the generator needs it: metadata plus a compiled output format."""

    name: str
    priority: str
    source: str
    tags: tuple[str, ...]
    file: str
    #: printf-style format with ``%(field)s`` placeholders (literal ``%`` doubled).
    fmt: str
    #: ``output_fields`` keys in the sorted order Falco writes them.
    keys: tuple[str, ...]
    #: ``fmt`` with positional ``%s`` placeholders, and the field behind each one, in order.
    fmt_pos: str = ""
    fmt_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Tables:
    """Everything in ``data/``, validated and cross-checked, in file order."""

    rules: tuple[Rule, ...]
    scenarios: dict[str, Scenario]
    #: Syscall rule name -> scenario name (rules no scenario lists use ``GENERIC_SCENARIO``).
    rule_scenario: dict[str, str]
    workloads: tuple[Workload, ...]
    executables: Executables
    values: Values
    k8s: K8sAudit
    cloudtrail: CloudTrail
    output: FalcoOutput


# --------------------------------------------------------------------------------------------
# Reading and error reporting
# --------------------------------------------------------------------------------------------


def _loc(parts: Iterable[int | str]) -> str:
    """``('scenarios', 12, 'cmd')`` -> ``scenarios[12].cmd``; odd keys are quoted."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out or "top level"


def _problems(error: ValidationError, prefix: str = "") -> str:
    """Pydantic's errors as ``where: what`` pairs, in the wording of the rest of the tool."""
    parts = []
    for err in error.errors(include_url=False):
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "field required"
        elif err["type"] == "extra_forbidden":
            msg = "unknown key (not in the schema)"
        parts.append(f"{prefix}{_loc(err['loc'])}: {msg}")
    return "; ".join(parts)


def _validate(model: type[_M], data: object, path: Path, prefix: str = "") -> _M:
    """``model`` from ``data``, or a ``ScenarioDataError`` naming ``path`` and every bad entry."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ScenarioDataError(path, _problems(exc, prefix)) from None


def _read_text(path: Path) -> str:
    """The file as text; a missing or undecodable file is a ``ScenarioDataError`` too."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioDataError(path, f"cannot read: {exc}") from exc


def _read_yaml(path: Path) -> object:
    """Safe YAML (libyaml when available); a syntax error keeps the parser's line and column."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(_read_text(path), Loader=loader)
    except yaml.YAMLError as exc:
        raise ScenarioDataError(path, f"invalid YAML: {exc}") from None


def _load_yaml(model: type[_M], path: Path) -> _M:
    """A YAML data file validated as ``model``."""
    return _validate(model, _read_yaml(path), path)


def _read_tsv(path: Path, model: type[_M]) -> list[_M]:
    """Rows of a tab-separated file with a header line; ``#`` lines and blank lines are comments.

    Columns are matched by the header, so an unknown or missing column is reported per row by
    the model (``line 7: uid: field required``). Lines end at ``\\n`` only and cells are kept
    verbatim (no quoting, no stripping): an output format is text Falco prints as is.
    """
    lines = [
        (number, line)
        for number, line in enumerate(_read_text(path).split("\n"), start=1)
        if line.strip() and not line.startswith("#")
    ]
    if not lines:
        raise ScenarioDataError(path, "no header line")
    header = lines[0][1].split("\t")
    rows: list[_M] = []
    for number, line in lines[1:]:
        cells = line.split("\t")
        if len(cells) != len(header):
            raise ScenarioDataError(
                path, f"line {number}: {len(cells)} tab-separated columns, the header has {len(header)}"
            )
        rows.append(_validate(model, dict(zip(header, cells, strict=True)), path, f"line {number}: "))
    return rows


def _duplicates(names: Iterable[str]) -> list[str]:
    """The names that occur more than once, sorted (for a stable message)."""
    return sorted(name for name, n in collections.Counter(names).items() if n > 1)


# --------------------------------------------------------------------------------------------
# Loaders (each takes the file's path so a copy can be checked; defaults are the shipped files)
# --------------------------------------------------------------------------------------------


def load_scenarios(path: Path = DATA_DIR / "scenarios.yaml") -> tuple[Scenario, ...]:
    """Load and check ``scenarios.yaml``: unique names, each rule in one scenario, a ``generic``."""
    path = Path(path)
    scenarios = _validate(ScenarioFile, _read_yaml(path), path).scenarios
    seen_names: set[str] = set()
    rule_owner: dict[str, str] = {}
    for i, scen in enumerate(scenarios):
        if scen.name in seen_names:
            raise ScenarioDataError(path, f"scenarios[{i}].name: duplicate scenario {scen.name!r}")
        seen_names.add(scen.name)
        for j, rule in enumerate(scen.rules):
            if rule in rule_owner:
                raise ScenarioDataError(
                    path, f"scenarios[{i}].rules[{j}]: {rule!r} is already listed by {rule_owner[rule]!r}"
                )
            rule_owner[rule] = scen.name
    if GENERIC_SCENARIO not in seen_names:
        raise ScenarioDataError(path, f"scenarios: no {GENERIC_SCENARIO!r} scenario for unlisted rules")
    return scenarios


def load_workloads(path: Path = DATA_DIR / "workloads.tsv") -> tuple[Workload, ...]:
    """Load ``workloads.tsv`` (names must be unique: pods are named after them)."""
    path = Path(path)
    workloads = tuple(_read_tsv(path, Workload))
    if not workloads:
        raise ScenarioDataError(path, "no workloads")
    if dup := _duplicates(w.name for w in workloads):
        raise ScenarioDataError(path, f"name: duplicate workload(s) {dup}")
    return workloads


def load_executables(path: Path = DATA_DIR / "executables.yaml") -> Executables:
    """Load ``executables.yaml``."""
    return _load_yaml(Executables, Path(path))


def load_values(path: Path = DATA_DIR / "values.yaml") -> Values:
    """Load ``values.yaml``."""
    return _load_yaml(Values, Path(path))


def load_k8s_audit(path: Path = DATA_DIR / "k8s_audit.yaml") -> K8sAudit:
    """Load ``k8s_audit.yaml``."""
    return _load_yaml(K8sAudit, Path(path))


def load_cloudtrail(path: Path = DATA_DIR / "cloudtrail.yaml") -> CloudTrail:
    """Load ``cloudtrail.yaml``."""
    return _load_yaml(CloudTrail, Path(path))


def load_falco_output(path: Path = DATA_DIR / "falco_output.yaml") -> FalcoOutput:
    """Load ``falco_output.yaml``."""
    return _load_yaml(FalcoOutput, Path(path))


def compile_output(output: str, positional: bool = False) -> tuple[str, list[str]]:
    """Turn Falco's ``%field`` syntax into a ``%(field)s`` format and list the fields it uses.

    Falco field names never end with a dot, so ``%fd.name.`` means the field then a full stop.
    """
    parts: list[str] = []
    fields: list[str] = []
    pos = 0
    for m in _FIELD_RE.finditer(output):
        name, end = m.group(1), m.end()
        while name.endswith("."):
            name, end = name[:-1], end - 1
        parts.append(output[pos : m.start()].replace("%", "%%"))
        parts.append("%s" if positional else f"%({name})s")
        fields.append(name)
        pos = end
    parts.append(output[pos:].replace("%", "%%"))
    return "".join(parts), fields


def load_rules(
    path: Path = DATA_DIR / "rules_summary.tsv", output: FalcoOutput | None = None
) -> tuple[Rule, ...]:
    """Read the trimmed rules table into ``Rule`` objects with compiled output formats.

    ``output`` (default: the shipped ``falco_output.yaml``) supplies what Falco appends to the
    message and to ``output_fields``.
    """
    path = Path(path)
    output = output or load_falco_output()
    rows = _read_tsv(path, RuleRow)
    if dup := _duplicates(row.rule for row in rows):
        raise ScenarioDataError(path, f"rule: duplicate rule(s) {dup}")
    rules: list[Rule] = []
    for row in rows:
        text = row.output + (output.syscall_suffix if row.source == "syscall" else "")
        fmt, fields = compile_output(text)
        fmt_pos, _ = compile_output(text, positional=True)
        keys = tuple(sorted(set(fields) | set(output.extra_fields.get(row.source, ()))))
        rules.append(
            Rule(
                name=row.rule,
                priority=_PRIORITY_SPELLING[row.priority.upper()],
                source=row.source,
                tags=tuple(sorted(t for t in row.tags.split(",") if t)),
                file=row.file,
                fmt=fmt,
                keys=keys,
                fmt_pos=fmt_pos,
                fmt_fields=tuple(fields),
            )
        )
    return tuple(rules)


def load_tables(data_dir: Path = DATA_DIR) -> Tables:
    """Load every data file from ``data_dir`` and check that they agree with each other.

    Cross-file checks: a scenario's rules are syscall rules of the rules table, its role is
    some workload's role, and ``cloudtrail.yaml`` names only CloudTrail rules.
    """
    data_dir = Path(data_dir)
    output = load_falco_output(data_dir / "falco_output.yaml")
    rules = load_rules(data_dir / "rules_summary.tsv", output)
    scenarios = load_scenarios(data_dir / "scenarios.yaml")
    workloads = load_workloads(data_dir / "workloads.tsv")
    cloudtrail = load_cloudtrail(data_dir / "cloudtrail.yaml")
    source_of = {rule.name: rule.source for rule in rules}
    roles = {w.role for w in workloads}
    for i, scen in enumerate(scenarios):
        where = f"scenarios[{i}] ({scen.name})"
        for j, rule in enumerate(scen.rules):
            if source_of.get(rule) != "syscall":
                raise ScenarioDataError(
                    data_dir / "scenarios.yaml",
                    f"{where}.rules[{j}]: {rule!r} is not a syscall rule of rules_summary.tsv",
                )
        if scen.role is not None and scen.role not in roles:
            raise ScenarioDataError(
                data_dir / "scenarios.yaml",
                f"{where}.role: no workload in workloads.tsv has role {scen.role!r} ({sorted(roles)})",
            )
    for rule in cloudtrail.events:
        if source_of.get(rule) != "aws_cloudtrail":
            raise ScenarioDataError(
                data_dir / "cloudtrail.yaml",
                f"events[{rule!r}]: not an aws_cloudtrail rule of rules_summary.tsv",
            )
    return Tables(
        rules=rules,
        scenarios={scen.name: scen for scen in scenarios},
        rule_scenario={rule: scen.name for scen in scenarios for rule in scen.rules},
        workloads=workloads,
        executables=load_executables(data_dir / "executables.yaml"),
        values=load_values(data_dir / "values.yaml"),
        k8s=load_k8s_audit(data_dir / "k8s_audit.yaml"),
        cloudtrail=cloudtrail,
        output=output,
    )


@functools.cache
def default_tables() -> Tables:
    """The shipped data, loaded once per process (the generator's modules read it at import)."""
    return load_tables()


def compact_json(value: object) -> str:
    """A request object as the k8s audit plugin renders it: JSON without spaces, keys in order."""
    return json.dumps(value, separators=(",", ":"))
