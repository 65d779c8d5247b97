"""Response playbooks: what to do about an alert, filled with that alert's own values.

An alert page is only useful if it tells the reader what the alert means and what to run next.
Playbooks are hand-written YAML files, one per Falco rule (format: see docs/user-playbooks.md),
shipped in `generator/playbooks/` and optionally extended or overridden by a user folder.
`guidance_for()` turns the playbook for an alert's rule into plain strings ready to render, with
`<<field>>` placeholders replaced by the alert's values. When no playbook exists it builds
clearly-marked generic guidance from the rule's ATT&CK tags, scope tags and event source.

Alert values are attacker-controlled (a process name, file path or pod name can be anything),
and the commands we print are meant to be pasted into a root shell. So every value is quoted
with `shlex.quote` for commands and `json.dumps` for config snippets, never interpolated raw,
and playbooks are validated so that placeholders can only appear where that quoting is
sufficient (not inside quotes, no heredocs, one line per command).
"""

from __future__ import annotations

import json
import logging
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from generator.knowledge import mitre
from generator.knowledge.mitre import Tactic, Technique
from generator.knowledge.rules import RuleInfo

__all__ = [
    "ConfigSnippet",
    "Guidance",
    "GuidanceStep",
    "Link",
    "Playbook",
    "PlaybookError",
    "PlaybookStep",
    "Reference",
    "fill_command",
    "fill_config",
    "guidance_for",
    "load_playbook_file",
    "load_playbooks",
    "placeholders",
    "playbook_slug",
]

log = logging.getLogger(__name__)

Source = Literal["syscall", "k8s_audit", "aws_cloudtrail", "gcp_auditlog", "okta", "github"]
Where = Literal["host", "container", "kubectl", "cloud", "falco"]

# Field names as Falco prints them: `proc.name`, `proc.aname[2]`, `ka.uri.param[command]`,
# `json.value[/resource/labels/policy_name]`, plus the top-level keys `rule`, `hostname`, ...
PLACEHOLDER = re.compile(r"<<([A-Za-z0-9_.\-\[\]/:@]+)>>")
_MITRE_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
_MISSING_STRINGS = frozenset({"", "<NA>"})
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loader (libyaml when available: ~10x faster); a bare `=` stays a string."""


_Loader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)


class PlaybookError(ValueError):
    """A playbook file that cannot be used; the message names the file and every problem."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


# --- the file format ------------------------------------------------------------------------

NonEmpty = Annotated[str, Field(min_length=1)]


def _no_placeholders(value: str | None, what: str) -> str | None:
    if value is not None and "<<" in value:
        raise ValueError(f"{what} must not contain '<<' (placeholders only work in run/config)")
    return value


# What ends the current quoting state (or matters inside it), per state.
_SHELL_SCAN = {
    "plain": re.compile(r"\\.|\$'|'|\"|<<", re.DOTALL),
    "single": re.compile(r"'|<<"),
    "double": re.compile(r"\\.|\"|<<", re.DOTALL),
    "ansi": re.compile(r"\\.|'|<<", re.DOTALL),
}
_SHELL_NEXT = {("plain", "$'"): "ansi", ("plain", "'"): "single", ("plain", '"'): "double"}
# An output redirection (`>`, `>>`, `>|`, `&>`) right before a placeholder.
_REDIRECT_BEFORE = re.compile(r">[>|]?\s*$")


def _check_shell_placeholders(run: str) -> None:
    """Reject a `run` line where quoting a filled value would not be enough.

    Walks the line with bash's quoting rules (single, double, $'...' quotes and backslash
    escapes): a placeholder is only allowed in unquoted context, and `<<` may not appear for
    any other purpose (heredocs would swallow following lines).
    """
    state, pos = "plain", 0
    while (found := _SHELL_SCAN[state].search(run, pos)) is not None:
        token, pos = found.group(), found.end()
        if token == "<<":
            match = PLACEHOLDER.match(run, found.start())
            if match is None:
                raise ValueError(
                    "'<<' is only allowed as a <<field>> placeholder (no heredocs or here-strings)"
                )
            if state != "plain":
                raise ValueError(
                    f"placeholder <<{match.group(1)}>> is inside quotes; write it bare, "
                    "it is shell-quoted when filled"
                )
            if _REDIRECT_BEFORE.search(PLACEHOLDER.sub("x", run[: found.start()])):
                raise ValueError(
                    f"placeholder <<{match.group(1)}>> is a redirection target; commands must "
                    "not write to a path taken from the alert"
                )
            pos = match.end()
        elif token.startswith("\\"):
            continue
        elif state == "plain":
            state = _SHELL_NEXT[(state, token)]
        else:
            state = "plain"  # the closing quote of the current state
    if state != "plain":
        raise ValueError("unterminated quote in run")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigSnippet(_Strict):
    """A configuration example (YAML/JSON/text) shown next to or instead of a command."""

    lang: Literal["yaml", "json", "text"]
    body: NonEmpty

    @field_validator("body")
    @classmethod
    def _placeholders_unquoted(cls, body: str) -> str:
        index = body.find("<<")
        while index != -1:
            match = PLACEHOLDER.match(body, index)
            if match is None:
                raise ValueError("'<<' is only allowed as a <<field>> placeholder")
            before = body[index - 1] if index else ""
            after = body[match.end()] if match.end() < len(body) else ""
            if before in ("'", '"') or after in ("'", '"'):
                raise ValueError(
                    f"placeholder <<{match.group(1)}>> must not be wrapped in quotes; "
                    "it is JSON-quoted when filled"
                )
            index = body.find("<<", match.end())
        return body


class PlaybookStep(_Strict):
    """One thing to do: a title, optional explanation, optional command and/or config."""

    title: NonEmpty
    text: str | None = None
    run: str | None = None
    where: Where | None = None
    config: ConfigSnippet | None = None

    @field_validator("title", "text")
    @classmethod
    def _plain_text(cls, value: str | None) -> str | None:
        return _no_placeholders(value, "title/text")

    @field_validator("run")
    @classmethod
    def _one_safe_line(cls, run: str | None) -> str | None:
        if run is None:
            return None
        if not run.strip():
            raise ValueError("run must not be empty")
        if "\n" in run.strip() or "\r" in run:
            raise ValueError("run must be one command line (use a folded or plain scalar)")
        if run.rstrip().endswith("\\"):
            raise ValueError("run must not end with a line continuation")
        _check_shell_placeholders(run)
        return run.strip()


class Reference(_Strict):
    """A link for further reading."""

    title: NonEmpty
    # The same conservative shape the renderer accepts for external links.
    url: Annotated[str, Field(pattern=r"^https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~/%?=&#:+,@-]*)?$")]


class Playbook(_Strict):
    """A response playbook for exactly one Falco rule (see docs/user-playbooks.md)."""

    rule: NonEmpty
    source: Source
    summary: NonEmpty
    impact: NonEmpty
    investigate: Annotated[list[PlaybookStep], Field(min_length=2)]
    contain: Annotated[list[PlaybookStep], Field(min_length=1)]
    prevent: Annotated[list[PlaybookStep], Field(min_length=1)]
    false_positives: list[str]
    references: list[Reference]
    mitre: list[str] = Field(default_factory=list)

    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        """The file this playbook was loaded from (None when built in code)."""
        return self._path

    @field_validator("summary", "impact")
    @classmethod
    def _plain(cls, value: str) -> str:
        _no_placeholders(value, "summary/impact")
        return value

    @field_validator("mitre")
    @classmethod
    def _technique_ids(cls, ids: list[str]) -> list[str]:
        for tid in ids:
            if not _MITRE_ID.match(tid):
                raise ValueError(f"{tid!r} is not an ATT&CK technique ID like T1059 or T1059.004")
        return ids

    def steps(self) -> list[PlaybookStep]:
        return [*self.investigate, *self.contain, *self.prevent]


def playbook_slug(rule: str) -> str:
    """File stem for a rule's playbook: lower-case, runs of other characters become `-`."""
    return re.sub(r"[^a-z0-9]+", "-", rule.lower()).strip("-")


def placeholders(text: str | None) -> list[str]:
    """Names of the `<<field>>` placeholders in a command or config body, in order."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text or "")]


def _format_validation_error(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "(top level)"
        problems.append(f"{loc}: {err['msg']}")
    return "; ".join(problems)


def load_playbook_file(path: Path) -> Playbook:
    """Parse and validate one playbook file; any problem raises PlaybookError naming it."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError(path, f"cannot read playbook: {exc}") from exc
    except yaml.YAMLError as exc:
        raise PlaybookError(path, f"invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PlaybookError(path, "a playbook must be a YAML mapping with rule, summary, ...")
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as exc:
        raise PlaybookError(path, _format_validation_error(exc)) from None
    playbook._path = path
    for tid in playbook.mitre:
        if mitre.technique(tid) is None:
            log.warning("%s: ATT&CK technique %s is not in the shipped data; ignored", path, tid)
    return playbook


def _load_dir(folder: Path) -> dict[str, Playbook]:
    found: dict[str, Playbook] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        if path.name.startswith("."):  # editor lock and backup files
            continue
        playbook = load_playbook_file(path)
        if playbook.rule in found:
            other = found[playbook.rule].path
            raise PlaybookError(path, f"rule {playbook.rule!r} already has a playbook in {other}")
        found[playbook.rule] = playbook
    return found


def _package_dir() -> Path:
    return Path(str(resources.files("generator.knowledge").joinpath("data/playbooks")))


def load_playbooks(user_dir: Path | None = None) -> dict[str, Playbook]:
    """Load the shipped playbooks, then the user's (same rule name: the user's file wins).

    Keys are exact rule names. A malformed file anywhere raises PlaybookError: a broken
    playbook would otherwise silently fall back to generic advice.
    """
    playbooks = _load_dir(_package_dir())
    if user_dir is not None:
        if not user_dir.is_dir():
            raise PlaybookError(user_dir, "user playbook folder does not exist or is not a folder")
        for rule, playbook in _load_dir(user_dir).items():
            if rule in playbooks:
                log.info("user playbook %s overrides the shipped one for %r", playbook.path, rule)
            playbooks[rule] = playbook
    return playbooks


# --- filling placeholders -------------------------------------------------------------------


def _normalise(values: Mapping[str, object]) -> dict[str, object]:
    """Exact keys win; keys with stray whitespace (seen in real alerts) are found stripped."""
    table: dict[str, object] = {}
    for key, value in values.items():
        table.setdefault(str(key).strip(), value)
    for key, value in values.items():
        table[str(key)] = value
    return table


def _text(value: object) -> str | None:
    """The alert value as text, or None when Falco had no value for it."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dict, list, tuple)):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    else:
        text = str(value)
    text = text.replace("\x00", "")  # NUL cannot travel in an argv or a config file
    text = _LONE_SURROGATE.sub("\ufffd", text)  # not encodable as UTF-8: the page write would fail
    if text.strip() in _MISSING_STRINGS:
        return None
    return text


def _fill(template: str, values: Mapping[str, object], quote: Callable[[str], str]) -> tuple[str, bool]:
    table = _normalise(values)
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        text = _text(table.get(name))
        if text is None:
            missing = True
            return quote(f"<{name}>")
        return quote(text)

    return PLACEHOLDER.sub(replace, template), missing


def _json_quote(text: str) -> str:
    """JSON string literal that is also a valid YAML double-quoted scalar.

    Non-ASCII text is kept readable, but C0/C1 controls and other non-printable code points
    are escaped (YAML refuses them raw) and astral characters stay literal (PyYAML does not
    join surrogate-pair escapes).
    """
    out = []
    for char in json.dumps(text, ensure_ascii=False):
        code = ord(char)
        if (
            code < 0x20
            or 0x7F <= code <= 0x9F
            or code in (0x2028, 0x2029, 0xFEFF)
            or (0xD800 <= code <= 0xDFFF)
        ):
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def fill_command(run: str, values: Mapping[str, object]) -> tuple[str, bool]:
    """Replace placeholders with shell-quoted values; returns (command, used_missing_values).

    A missing value becomes the quoted text `'<name>'` so the line stays valid bash and the
    reader sees what to substitute.
    """
    return _fill(run, values, shlex.quote)


def fill_config(body: str, values: Mapping[str, object]) -> tuple[str, bool]:
    """Replace placeholders in a config body with JSON string literals (valid YAML too)."""
    return _fill(body, values, _json_quote)


# --- rendered guidance ----------------------------------------------------------------------


@dataclass(frozen=True)
class GuidanceStep:
    """One rendered step; every string is plain text (escaping is the renderer's job)."""

    title: str
    text: str | None = None
    command: str | None = None
    where: str | None = None
    config_lang: str | None = None
    config: str | None = None
    uses_missing_values: bool = False


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Guidance:
    """What to tell the reader of one alert, ready to render."""

    rule: str
    generic: bool
    summary: str
    impact: str
    investigate: tuple[GuidanceStep, ...]
    contain: tuple[GuidanceStep, ...]
    prevent: tuple[GuidanceStep, ...]
    false_positives: tuple[str, ...]
    references: tuple[Link, ...]
    techniques: tuple[Technique, ...]
    tactics: tuple[Tactic, ...]

    @property
    def uses_missing_values(self) -> bool:
        """True when some command or config shows a `'<field>'` stand-in to fill by hand."""
        return any(s.uses_missing_values for s in (*self.investigate, *self.contain, *self.prevent))


def _render_step(step: PlaybookStep, values: Mapping[str, object]) -> GuidanceStep:
    command = config = None
    missing_cmd = missing_cfg = False
    if step.run is not None:
        command, missing_cmd = fill_command(step.run, values)
    if step.config is not None:
        config, missing_cfg = fill_config(step.config.body, values)
    return GuidanceStep(
        title=step.title.strip(),
        text=step.text.strip() if step.text else None,
        command=command,
        where=step.where,
        config_lang=step.config.lang if step.config else None,
        config=config,
        uses_missing_values=missing_cmd or missing_cfg,
    )


def _all_tags(tags: Sequence[str] | None, rule_info: RuleInfo | None) -> list[str]:
    merged: dict[str, None] = {}
    for tag in [*(rule_info.tags if rule_info else ()), *(tags or ())]:
        if isinstance(tag, str):
            merged.setdefault(tag, None)
    return list(merged)


def _attack(
    tags: list[str], extra_ids: Sequence[str] = ()
) -> tuple[tuple[Technique, ...], tuple[Tactic, ...]]:
    techniques: dict[str, Technique] = {}
    for tid in extra_ids:
        tech = mitre.technique(tid)
        if tech is not None:
            techniques.setdefault(tech.id, tech)
    for tech in mitre.techniques_from_tags(tags):
        techniques.setdefault(tech.id, tech)
    tactics = {t.id: t for t in mitre.tactics_from_tags(tags)}
    if not tactics:  # no tactic tag: fall back to what the techniques imply
        for tech in techniques.values():
            for tac in tech.tactics:
                tactics.setdefault(tac.id, tac)
    return tuple(techniques.values()), tuple(tactics.values())


def guidance_for(
    rule: str,
    source: str | None,
    tags: Sequence[str] | None,
    values: Mapping[str, object],
    playbooks: Mapping[str, Playbook],
    rule_info: RuleInfo | None = None,
) -> Guidance:
    """Guidance for one alert: its rule's playbook filled with its values, else generic advice.

    `values` holds the alert's output_fields plus the top-level keys rule, hostname, priority,
    source and time. `tags` are the alert's tags; the rule file's tags (from `rule_info`) are
    merged in because old alerts carry none.
    """
    all_tags = _all_tags(tags, rule_info)
    playbook = playbooks.get(rule)
    if playbook is None:
        techniques, tactics = _attack(all_tags)
        return _generic_guidance(rule, source, all_tags, values, rule_info, techniques, tactics)
    techniques, tactics = _attack(all_tags, playbook.mitre)
    return Guidance(
        rule=rule,
        generic=False,
        summary=playbook.summary.strip(),
        impact=playbook.impact.strip(),
        investigate=tuple(_render_step(s, values) for s in playbook.investigate),
        contain=tuple(_render_step(s, values) for s in playbook.contain),
        prevent=tuple(_render_step(s, values) for s in playbook.prevent),
        false_positives=tuple(fp.strip() for fp in playbook.false_positives),
        references=tuple(Link(r.title, r.url) for r in playbook.references),
        techniques=techniques,
        tactics=tactics,
    )


# --- generic guidance -----------------------------------------------------------------------
#
# Used when no playbook exists (custom rules, new upstream rules). It must still be correct
# and concrete: every command below only reads state or targets exactly the object named in
# the alert, and steps are only offered when the alert carries the values they need.

_CLOUD_SOURCES = {
    "aws_cloudtrail": "AWS CloudTrail",
    "gcp_auditlog": "GCP audit log",
    "auditlogs": "GCP audit log",
    "okta": "Okta",
    "github": "GitHub",
}

# Per tactic: why it matters, an extra investigation hint, and a hardening hint.
_TACTIC_ADVICE: dict[str, tuple[str, tuple[str, str], tuple[str, str]]] = {
    "TA0043": (
        "Someone is gathering information about your systems before acting on it.",
        (
            "Identify who is probing",
            "Note the source identity or address and look for the same source in other "
            "alerts and in edge or load-balancer logs around the same time.",
        ),
        (
            "Reduce what is exposed",
            "Remove unneeded public endpoints and banners, and rate-limit or block the source "
            "at the edge if it is not a known scanner you operate.",
        ),
    ),
    "TA0042": (
        "An attacker may be preparing infrastructure or accounts for a later attack.",
        (
            "Check what was created",
            "List the accounts, keys, repositories or resources the actor created and who approved them.",
        ),
        (
            "Restrict who can create resources",
            "Limit resource and account creation to reviewed roles and alert on creation "
            "outside change windows.",
        ),
    ),
    "TA0001": (
        "This may be the first foothold of an intrusion: everything after it depends on how "
        "quickly it is contained.",
        (
            "Find the entry point",
            "Trace the activity back to an exposed service, a stolen credential or a "
            "compromised dependency, and check whether the same entry point exists elsewhere.",
        ),
        (
            "Close the entry point",
            "Patch or remove the exposed component, require MFA for the identity involved and "
            "restrict network exposure to what the service needs.",
        ),
    ),
    "TA0002": (
        "Code the workload does not normally run was executed; if no operator did this, the "
        "attacker can already run commands here.",
        (
            "Trace the process lineage",
            "Walk the parent and grandparent processes shown in the alert up to the entry "
            "point: a web server or database, cron, an interactive SSH session or "
            "`kubectl exec`. An application process spawning tools points to an exploited "
            "application.",
        ),
        (
            "Remove tools the workload does not need",
            "Build minimal or distroless images without shells and network tools, and run "
            "containers with a read-only root filesystem so dropped tools cannot be added.",
        ),
    ),
    "TA0003": (
        "The change can survive restarts or redeployments and give the attacker a way back in "
        "even after the first foothold is closed.",
        (
            "Look for what was made persistent",
            "Check for new or modified files in binary directories, cron entries, systemd "
            "units, shell start-up files, SSH authorized_keys and container images pushed "
            "after the alert time.",
        ),
        (
            "Make the workload immutable",
            "Deploy from signed images, use a read-only root filesystem, and rebuild hosts "
            "from a known-good image instead of cleaning them in place.",
        ),
    ),
    "TA0004": (
        "A successful escalation gives the attacker more rights than the workload was granted, "
        "possibly root on the node and every container on it.",
        (
            "Check what the workload is allowed to do",
            "Review the container's privileged flag, added capabilities, hostPath mounts, "
            "hostPID/hostNetwork and the user it runs as: these decide whether an escalation "
            "inside the container reaches the node.",
        ),
        (
            "Drop privileges the workload does not need",
            "Run as non-root, disallow privilege escalation, drop all capabilities and avoid "
            "privileged containers and host mounts.",
        ),
    ),
    "TA0005": (
        "The activity hides evidence or weakens controls, so other alerts and logs from this "
        "system may be missing or altered: preserve what is left before changing anything.",
        (
            "Compare local evidence with off-host copies",
            "Treat logs stored on this host as possibly tampered with and compare them with "
            "copies shipped to central logging, the Kubernetes audit log or the cloud "
            "provider's audit trail.",
        ),
        (
            "Ship logs off the host",
            "Forward logs and Falco alerts to a store the workload cannot write to, and alert "
            "when a source stops sending.",
        ),
    ),
    "TA0006": (
        "Credentials read or searched for here can be reused to reach other systems or cloud "
        "accounts; treat every secret the process could read as exposed until shown otherwise.",
        (
            "List the credentials within reach",
            "Enumerate the secrets the process could read (mounted secrets, service-account "
            "token, cloud credential files, SSH keys, environment variables) and check the "
            "provider-side logs for their use after the alert time.",
        ),
        (
            "Limit and shorten credentials",
            "Mount only the secrets a workload needs, read-only, prefer short-lived workload "
            "identities over static keys, and keep credential files out of images.",
        ),
    ),
    "TA0007": (
        "Discovery usually precedes lateral movement: someone is mapping what this workload can "
        "see and reach.",
        (
            "Check what the discovered information allows",
            "Review the permissions of the workload's identity (for pods, the service account's "
            "RBAC) and which internal services are reachable from it.",
        ),
        (
            "Reduce what the workload can see",
            "Disable service-account token mounting where the API is not needed, apply least "
            "privilege RBAC and restrict egress with network policies.",
        ),
    ),
    "TA0008": (
        "The attacker may be moving from this system to others, widening the incident.",
        (
            "Identify the systems contacted",
            "List the remote hosts named in the alert and look for logins or alerts on them "
            "around the same time.",
        ),
        (
            "Segment the network",
            "Allow only the connections each workload needs and require separate credentials "
            "for administrative access to other systems.",
        ),
    ),
    "TA0009": (
        "Data is being gathered, which typically comes right before it is sent out.",
        (
            "Find what was collected",
            "Check which files or data stores the process read and whether archives or dumps "
            "were written to temporary directories.",
        ),
        (
            "Restrict access to sensitive data",
            "Limit which workloads can read sensitive files and data stores and log access to them.",
        ),
    ),
    "TA0011": (
        "The system may be talking to infrastructure the attacker controls and could receive "
        "further commands.",
        (
            "Identify the remote endpoint",
            "Note the remote address and port from the alert, check them against threat "
            "intelligence and egress or DNS logs, and look for the same endpoint on other hosts.",
        ),
        (
            "Restrict egress",
            "Default-deny outbound traffic and allow only the destinations each workload needs, "
            "ideally through an egress proxy that logs requests.",
        ),
    ),
    "TA0010": (
        "Data may be leaving your environment; the scope of the leak decides who must be notified.",
        (
            "Measure what left",
            "Use egress, proxy or cloud flow logs to find the destination and the volume of data "
            "sent, and which data the process had access to.",
        ),
        (
            "Restrict egress",
            "Default-deny outbound traffic and allow only the destinations each workload needs.",
        ),
    ),
    "TA0040": (
        "Data, availability or integrity may already be affected; check backups and snapshots "
        "before cleaning anything up.",
        (
            "Assess the damage",
            "Determine which data or services were affected and whether recent backups or "
            "snapshots are intact and restorable.",
        ),
        (
            "Protect recovery",
            "Keep backups immutable and outside the reach of the workload's credentials, and test restores.",
        ),
    ),
}

_REF_FALCO_RULES = Link(
    "Falco default rules reference", "https://falco.org/docs/reference/rules/default-rules/"
)
_REF_FALCO_OVERRIDE = Link(
    "Falco: overriding rules and exceptions", "https://falco.org/docs/concepts/rules/overriding/"
)
_REF_NETPOL = Link(
    "Kubernetes network policies",
    "https://kubernetes.io/docs/concepts/services-networking/network-policies/",
)
_REF_SECCTX = Link(
    "Kubernetes: configure a security context",
    "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
)
_REF_RBAC = Link(
    "Kubernetes RBAC authorization",
    "https://kubernetes.io/docs/reference/access-authn-authz/rbac/",
)
_REF_PSA = Link(
    "Kubernetes Pod Security Admission",
    "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
)
_REF_CLOUDTRAIL = Link(
    "AWS CLI: cloudtrail lookup-events",
    "https://docs.aws.amazon.com/cli/latest/reference/cloudtrail/lookup-events.html",
)

_SECURITY_CONTEXT = """securityContext:
  runAsNonRoot: true
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
"""

_QUARANTINE_POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: quarantine
  namespace: <<k8s.ns.name>>
spec:
  podSelector:
    matchLabels:
      quarantine: "true"
  policyTypes: ["Ingress", "Egress"]
"""

_EGRESS_POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-egress
  namespace: <<k8s.ns.name>>
spec:
  podSelector: {}
  policyTypes: ["Egress"]
"""


def _source_kind(source: str | None, values: Mapping[str, object], info: RuleInfo | None) -> str:
    """syscall | k8s_audit | cloud | internal | unknown; old alerts have no `source` key."""
    raw = (source or (info.source if info else "") or "").strip().lower()
    if raw in ("syscall", "syscalls"):
        return "syscall"
    if raw.startswith(("k8s_audit", "k8saudit")):
        return "k8s_audit"
    if raw in _CLOUD_SOURCES or raw.startswith(("aws", "gcp")):
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


class _Builder:
    """Collects generic steps, rendering each through the same validation and filling."""

    def __init__(self, values: Mapping[str, object]) -> None:
        self.values = values
        self.table = _normalise(values)
        self.steps: dict[str, list[GuidanceStep]] = {
            "investigate": [],
            "contain": [],
            "prevent": [],
        }

    def has(self, *names: str) -> bool:
        return all(_text(self.table.get(name)) is not None for name in names)

    def value(self, name: str) -> str | None:
        return _text(self.table.get(name))

    def add(
        self,
        phase: str,
        title: str,
        text: str | None = None,
        run: str | None = None,
        where: Where | None = None,
        config: str | None = None,
        lang: Literal["yaml", "json", "text"] = "yaml",
    ) -> None:
        step = PlaybookStep(
            title=title,
            text=text,
            run=run,
            where=where,
            config=ConfigSnippet(lang=lang, body=config) if config else None,
        )
        self.steps[phase].append(_render_step(step, self.values))


def _exception_snippet(fields: Sequence[str]) -> str:
    names = ", ".join(fields)
    comps = ", ".join('"="' for _ in fields)
    row = ", ".join(f"<<{f}>>" for f in fields)
    return (
        "- rule: <<rule>>\n"
        "  exceptions:\n"
        "    - name: expected_activity\n"
        f"      fields: [{names}]\n"
        f"      comps: [{comps}]\n"
        "      values:\n"
        f"        - [{row}]\n"
        "  override:\n"
        "    exceptions: append\n"
    )


def _syscall_steps(b: _Builder, scope: set[str], tactic_ids: set[str]) -> list[Link]:
    refs: list[Link] = []
    container_id = b.value("container.id")
    in_container = container_id is not None and container_id != "host"
    in_pod = in_container and b.has("k8s.ns.name", "k8s.pod.name")
    file_where: Where = "container" if in_container else "host"

    if b.has("proc.pid"):
        b.add(
            "investigate",
            "Inspect the process",
            "Shows whether the process is still running, its parent, owner and start time.",
            run="ps -o pid,ppid,user,lstart,args -p <<proc.pid>>",
            where="host",
        )
        b.add(
            "investigate",
            "List its open files and connections",
            "Reveals files it is writing and remote endpoints it talks to.",
            run="lsof -n -P -p <<proc.pid>>",
            where="host",
        )
    elif b.has("proc.name"):
        b.add(
            "investigate",
            "Look for the process on the host",
            "Falco's default output has no PID, so this lists running processes with the same "
            "name (processes in containers are visible from the host). No output means the "
            "process has already exited; rely on the command line and parent in the alert.",
            run="pgrep -a -x -- <<proc.name>>",
            where="host",
        )
    exepath = b.value("proc.exepath")
    if exepath and exepath.startswith("/"):
        b.add(
            "investigate",
            "Fingerprint the executable",
            "Hash the binary that ran and compare it with the copy in the original image or "
            "package and with threat-intelligence sources; a mismatch means it was replaced. "
            + (
                "Run it inside the container (`kubectl exec` or `docker exec`), where the path is valid."
                if in_container
                else "`dpkg -S` or `rpm -qf` on the same path tells which package owns it."
            ),
            run="sha256sum -- <<proc.exepath>>",
            where=file_where,
        )
    fd_name = b.value("fd.name")
    if fd_name and fd_name.startswith("/"):
        b.add(
            "investigate",
            "Check the file involved",
            "Owner, permissions and change times show whether the file was modified and when."
            + (" Run it inside the container." if in_container else ""),
            run="stat -- <<fd.name>>",
            where=file_where,
        )
    if in_container:
        b.add(
            "investigate",
            "Inspect the container",
            "Note the image and digest, mounts, privileged flag and added capabilities. On "
            "nodes running containerd or CRI-O, `crictl inspect` takes the same ID.",
            run="docker inspect -- <<container.id>>",
            where="host",
        )
    if in_pod:
        b.add(
            "investigate",
            "Review the pod and its owner",
            "Shows the controller that created the pod, its service account, image and recent "
            "events (restarts, exec sessions are in the API audit log).",
            run="kubectl describe pod --namespace=<<k8s.ns.name>> -- <<k8s.pod.name>>",
            where="kubectl",
        )
    if "network" in scope:
        if b.has("proc.pid"):
            b.add(
                "investigate",
                "List the connections of the process's network namespace",
                "Works for containers too, because it enters the namespace of the process.",
                run="nsenter --target <<proc.pid>> --net ss -tnp",
                where="host",
            )
        else:
            b.add(
                "investigate",
                "Check the connection in the alert",
                "The connection fields of the alert name the local and remote address and "
                "port; look the remote side up in egress, DNS or flow logs and check whether "
                "other hosts talk to it.",
            )
    if "users" in scope and b.has("user.name") and not in_container:
        b.add(
            "investigate",
            "Review the account's recent logins",
            "Lists login sessions of the user from the wtmp log, with full times.",
            run="last -F -- <<user.name>>",
            where="host",
        )
    b.add(
        "investigate",
        "Correlate with other Falco alerts",
        "Alerts from the same container or host shortly before and after usually show the "
        "whole sequence; check this archive's host page, or the Falco service log on the node.",
        run=(
            "journalctl -u 'falco*' --no-pager -o cat | grep -F -- <<container.id>>"
            if in_container
            else "journalctl -u 'falco*' --no-pager -o cat | grep -F -- <<proc.name>>"
        )
        if in_container or b.has("proc.name")
        else None,
        where="falco",
    )

    # contain
    if in_pod:
        b.add(
            "contain",
            "Cut the pod off the network, keep it for analysis",
            "Labels the pod so the quarantine policy below selects it. Unlike deleting the pod "
            "this keeps its processes and files for investigation; it needs a CNI that enforces "
            "NetworkPolicy.",
            run=(
                "kubectl label pod --overwrite --namespace=<<k8s.ns.name>> -- "
                "<<k8s.pod.name>> quarantine=true"
            ),
            where="kubectl",
            config=_QUARANTINE_POLICY,
        )
        refs.append(_REF_NETPOL)
    if in_container:
        b.add(
            "contain",
            "Freeze the container",
            "Pausing suspends every process in it without losing memory or files. Save "
            "`docker inspect` and `docker logs` output first; on containerd or CRI-O nodes, "
            "which have no pause, stop it with `crictl stop` once evidence is saved.",
            run="docker pause -- <<container.id>>",
            where="host",
        )
    elif b.has("proc.pid"):
        b.add(
            "contain",
            "Suspend the process",
            "SIGSTOP keeps the process and its memory for analysis (for example with `gcore`); "
            "resume it with `kill -CONT` or end it with `kill -KILL` once evidence is saved.",
            run="kill -STOP <<proc.pid>>",
            where="host",
        )
    else:
        b.add(
            "contain",
            "Stop the process if it is not expected",
            "Find its PID (for example with `pgrep -a -x NAME`), suspend it with `kill -STOP "
            "PID` to keep its memory for analysis, and isolate the host from the network if "
            "the activity continues.",
        )
    if tactic_ids & {"TA0006"}:
        b.add(
            "contain",
            "Rotate the credentials within reach",
            "Revoke and reissue the secrets, keys and tokens the process could read, starting "
            "with the most privileged ones.",
        )
    if tactic_ids & {"TA0011", "TA0010", "TA0008"}:
        b.add(
            "contain",
            "Block the remote endpoint",
            "Block the remote address from the alert at the firewall or egress proxy while the "
            "investigation runs.",
        )

    # prevent
    fields = ["proc.name", "container.image.repository" if in_container else "proc.pname"]
    fields = [f for f in fields if b.has(f)] or ["proc.name"]
    b.add(
        "prevent",
        "If the activity is legitimate, add a narrow exception",
        "Append an exception for exactly this program (and image) in a local rules file loaded "
        "after the stock rules, instead of disabling the rule.",
        config=_exception_snippet(fields),
    )
    refs.append(_REF_FALCO_OVERRIDE)
    if in_container and tactic_ids & {"TA0002", "TA0003", "TA0004"}:
        b.add(
            "prevent",
            "Harden the workload's security context",
            "Non-root, no privilege escalation, no capabilities and a read-only root "
            "filesystem block most ways this activity could be repeated or escalated.",
            config=_SECURITY_CONTEXT,
        )
        refs.append(_REF_SECCTX)
    if in_pod and tactic_ids & {"TA0011", "TA0010", "TA0008"}:
        b.add(
            "prevent",
            "Default-deny egress in the namespace",
            "Then allow only the destinations the workload needs with additional policies.",
            config=_EGRESS_POLICY,
        )
    return refs


def _k8s_steps(b: _Builder) -> list[Link]:
    if b.has("ka.user.name"):
        b.add(
            "investigate",
            "Check what this identity may do",
            "Lists the permissions of the user or service account that made the request.",
            run="kubectl auth can-i --list --as=<<ka.user.name>>",
            where="kubectl",
        )
        b.add(
            "investigate",
            "Find the bindings that grant its access",
            "Shows every role binding that names the identity directly.",
            run=(
                "kubectl get rolebindings,clusterrolebindings --all-namespaces --output=wide "
                "| grep -F -- <<ka.user.name>>"
            ),
            where="kubectl",
        )
    if b.has("ka.target.resource", "ka.target.name"):
        namespace = "--namespace=<<ka.target.namespace>> " if b.has("ka.target.namespace") else ""
        b.add(
            "investigate",
            "Inspect the object the request touched",
            "Save this output before changing anything: it is the evidence of what was created or changed.",
            run=(f"kubectl get {namespace}--output=yaml -- <<ka.target.resource>> <<ka.target.name>>"),
            where="kubectl",
        )
    b.add(
        "investigate",
        "Review the identity's other API requests",
        "Search the API server audit log for the same user and source IP around the alert time "
        "to see what else it did.",
    )
    b.add(
        "contain",
        "Revoke the access that was used",
        "If the request was not authorized, remove or narrow the binding found above; for a "
        "service account also delete and recreate its token, for a person revoke their "
        "credentials at the identity provider.",
    )
    created = (b.value("ka.verb") or "").lower() == "create"
    if created and b.has("ka.target.resource", "ka.target.name"):
        namespace = "--namespace=<<ka.target.namespace>> " if b.has("ka.target.namespace") else ""
        b.add(
            "contain",
            "Remove the object if it is not authorized",
            "The request created this object; this deletes exactly that object. Save its YAML "
            "first (see above).",
            run=f"kubectl delete {namespace}-- <<ka.target.resource>> <<ka.target.name>>",
            where="kubectl",
        )
    b.add(
        "prevent",
        "Apply least-privilege RBAC",
        "Grant identities only the verbs and resources they need, and avoid cluster-wide "
        "bindings for workloads and people.",
    )
    fields = [f for f in ("ka.user.name", "ka.target.namespace") if b.has(f)]
    if fields:
        b.add(
            "prevent",
            "If the request is legitimate, add a narrow exception",
            "Append an exception for exactly this identity (and namespace) instead of disabling the rule.",
            config=_exception_snippet(fields),
        )
    return [_REF_RBAC, _REF_PSA, _REF_FALCO_OVERRIDE]


def _cloud_steps(b: _Builder, source: str | None) -> list[Link]:
    refs: list[Link] = []
    provider = _CLOUD_SOURCES.get((source or "").strip().lower(), "the provider's audit log")
    if b.has("ct.user"):
        region = " --region=<<aws.region>>" if b.has("aws.region") else ""
        b.add(
            "investigate",
            "List the identity's recent API calls",
            "CloudTrail keeps 90 days of management events per region; look for other changes "
            "made by the same identity.",
            run=(
                "aws cloudtrail lookup-events"
                f"{region} --lookup-attributes AttributeKey=Username,AttributeValue=<<ct.user>>"
            ),
            where="cloud",
        )
        refs.append(_REF_CLOUDTRAIL)
    b.add(
        "investigate",
        "Confirm the change with its owner",
        f"Ask the person or team behind the identity in {provider} whether they made this "
        "change, and check the source IP address and user agent in the alert against their "
        "usual ones.",
    )
    b.add(
        "investigate",
        "Review the identity's other activity",
        f"Search {provider} for the same identity around the alert time to find related changes.",
    )
    b.add(
        "contain",
        "Suspend the identity if the change was not authorized",
        "Disable its keys or tokens and end its sessions at the identity provider, then revert "
        "the change itself.",
    )
    b.add(
        "prevent",
        "Restrict who can make this change",
        "Require MFA for the identity and limit this kind of change to a small reviewed role "
        "(for example with organization policies or permission boundaries).",
    )
    return refs


def _internal_steps(b: _Builder) -> list[Link]:
    b.add(
        "investigate",
        "Check Falco's own log",
        "Look for dropped events, plugin or driver errors and restarts around the alert time.",
        run="journalctl -u 'falco*' --no-pager -n 200",
        where="falco",
    )
    b.add(
        "investigate",
        "Review the reported counters",
        "For metrics snapshots, rising drop or error counters mean Falco may have missed "
        "events on this host.",
    )
    b.add(
        "contain",
        "Restore full visibility",
        "If events are being dropped, raise the driver buffer size or reduce noisy rules so "
        "detections are not silently lost.",
    )
    b.add(
        "prevent",
        "Alert on Falco health",
        "Send Falco's metrics to your monitoring and alert when drops or errors appear.",
    )
    return []


def _generic_guidance(
    rule: str,
    source: str | None,
    tags: list[str],
    values: Mapping[str, object],
    rule_info: RuleInfo | None,
    techniques: tuple[Technique, ...],
    tactics: tuple[Tactic, ...],
) -> Guidance:
    kind = _source_kind(source, values, rule_info)
    scope = {t for t in tags if t in _SCOPE_TAGS}
    tactic_ids = {t.id for t in tactics}
    b = _Builder(values)

    if kind != "internal":
        b.add(
            "investigate",
            "Read what matched",
            "Compare the alert fields with the rule's condition on this page: which process, "
            "user, file, object or identity made it fire, and is that expected here? Check for "
            "a change ticket or deployment at that time.",
        )
    if kind == "k8s_audit":
        refs = _k8s_steps(b)
    elif kind == "cloud":
        refs = _cloud_steps(b, source)
    elif kind == "internal":
        refs = _internal_steps(b)
    else:
        refs = _syscall_steps(b, scope, tactic_ids)

    for tac in tactics:
        advice = _TACTIC_ADVICE.get(tac.id)
        if advice is None or kind == "internal":
            continue
        _, (inv_title, inv_text), (prev_title, prev_text) = advice
        b.add("investigate", inv_title, inv_text)
        b.add("prevent", prev_title, prev_text)

    source_label = {
        "syscall": "system call",
        "k8s_audit": "Kubernetes audit",
        "cloud": _CLOUD_SOURCES.get((source or "").strip().lower(), "cloud audit"),
        "internal": "Falco internal",
    }.get(kind, "unrecognised")
    basis = []
    if tactics:
        basis.append("its ATT&CK tactics (" + ", ".join(t.name for t in tactics) + ")")
    if scope:
        basis.append("its scope tags (" + ", ".join(sorted(scope)) + ")")
    basis.append(f"the {source_label} event source")
    # Prose is rendered as trusted Markdown: it must never contain alert values (the rule
    # name included); those only go into commands and configs, which are shown verbatim.
    summary = (
        "Generic guidance: there is no playbook for this rule yet, so the steps below are "
        f"derived from {_join(basis)} and filled with this alert's values where it has them. "
        "Review each step before running it."
    )
    if kind == "internal":
        summary = (
            "Generic guidance: this is an event about Falco itself (health or statistics), "
            "not a detection of activity on the host."
        )
    impacts = [a[0] for a in (_TACTIC_ADVICE.get(t.id) for t in tactics) if a is not None]
    if kind == "internal":
        impact = "It matters only if it reports dropped events or errors: then other alerts may be missing."
    elif impacts:
        impact = " ".join(impacts)
    else:
        impact = (
            "The rule carries no ATT&CK tactic tag, so judge the impact from what the alert "
            "names: the privileges of the user or identity, and how sensitive the target is."
        )
    references = tuple(dict.fromkeys([_REF_FALCO_RULES, *refs]))
    return Guidance(
        rule=rule,
        generic=True,
        summary=summary,
        impact=impact,
        investigate=tuple(b.steps["investigate"]),
        contain=tuple(b.steps["contain"]),
        prevent=tuple(b.steps["prevent"]),
        false_positives=(
            "Administrators, deployment tooling or scheduled jobs doing this on purpose: confirm "
            "with the owner of the workload before escalating.",
        ),
        references=references,
        techniques=techniques,
        tactics=tactics,
    )


_SCOPE_TAGS = frozenset(
    {"container", "host", "k8s", "network", "filesystem", "process", "users", "software_mgmt"}
)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
