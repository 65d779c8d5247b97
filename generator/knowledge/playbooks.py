"""Response playbooks: what to do about an alert, filled with that alert's own values.

An alert page is only useful if it tells the reader what the alert means and what to run next.
Playbooks are hand-written YAML files, one per Falco rule (format: see docs/user-playbooks.md),
shipped in `generator/knowledge/data/playbooks/` and optionally extended or overridden by a user
folder.
`guidance_for()` turns the playbook for an alert's rule into plain strings ready to render, with
`<<field>>` placeholders replaced by the alert's values. When no playbook exists it hands over
to `generic.py`, which builds clearly-marked generic guidance from the rule's ATT&CK tags, scope
tags and event source (its texts and commands live in `data/generic.yaml`).

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
from typing import Annotated, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from generator.errors import PlaybookError
from generator.knowledge import mitre
from generator.knowledge import values as field_values
from generator.knowledge.mitre import Tactic, Technique
from generator.knowledge.rules import RuleInfo
from generator.patterns import HTTPS_URL, LONE_SURROGATE

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


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loader (libyaml when available: ~10x faster); a bare `=` stays a string."""


_Loader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)


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

    @model_validator(mode="after")
    def _container_commands_are_simple(self) -> PlaybookStep:
        """A step meant inside the container is printed behind `docker exec CID`, `kubectl
        exec ... --` and so on, which only works for one simple command (no pipes, lists,
        redirections or substitutions: those would run on the host)."""
        if self.where == "container" and self.run is not None and not _simple_command(self.run):
            raise ValueError(
                "run: a `where: container` command must be one simple command (no |, &&, ;, "
                "redirections or $(...)): it is run behind `docker exec` / `kubectl exec --`"
            )
        return self


def _simple_command(run: str) -> bool:
    """True when `run` is one simple command: words only, no shell operators outside quotes."""
    words = re.sub(r"\\.", "x", PLACEHOLDER.sub("x", run))  # `\(` is a word, not an operator
    lexer = shlex.shlex(words, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return False
    return not any(set(t) <= set("();<>|&") or "$(" in t or "`" in t for t in tokens)


# The same conservative shape the renderer accepts for external links.


class Reference(_Strict):
    """A link for further reading."""

    title: NonEmpty
    url: str

    @field_validator("url")
    @classmethod
    def _https_only(cls, url: str) -> str:
        """Links are shown on every alert page: only plain https links, said in so many words."""
        if not url.startswith("https://"):
            raise ValueError(f"url must be an https:// link, not {url[:60]!r}")
        if not HTTPS_URL.fullmatch(url):
            raise ValueError(
                f"url {url[:60]!r} has characters links may not contain "
                "(allowed: a host name, then a path and query of letters, digits and ._~/%?=&#:+,@-)"
            )
        return url


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


def _key_path(loc: Sequence[int | str], *, brackets: bool = False) -> str:
    """`investigate.0.run`, or with `brackets` `investigate[0].run` (the generic data's style)."""
    path = ""
    for part in loc:
        if brackets and isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def _format_validation_error(exc: ValidationError, *, brackets: bool = False) -> str:
    """Every problem as `key.path: message`, so the user knows where to look in the file."""
    problems = []
    for err in exc.errors():
        problems.append(f"{_key_path(err['loc'], brackets=brackets)}: {err['msg']}")
    return "; ".join(problems)


_Model = TypeVar("_Model", bound=BaseModel)


def load_yaml_model(
    path: Path, model: type[_Model], *, what: str, shape: str, brackets: bool = False
) -> _Model:
    """Read a YAML mapping and validate it as ``model``; any problem raises PlaybookError naming
    the file and, for schema problems, the key path (``steps[3].run``)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError(path, f"cannot read {what}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise PlaybookError(path, f"invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PlaybookError(path, f"{shape} must be a YAML mapping")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PlaybookError(path, _format_validation_error(exc, brackets=brackets)) from None


def load_playbook_file(path: Path) -> Playbook:
    """Parse and validate one playbook file; any problem raises PlaybookError naming it."""
    playbook = load_yaml_model(path, Playbook, what="playbook", shape="a playbook")
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
    text = LONE_SURROGATE.sub("\ufffd", text)  # not encodable as UTF-8: the page write would fail
    if text.strip() in _MISSING_STRINGS:
        return None
    return text


def _fill(
    template: str,
    values: Mapping[str, object],
    quote: Callable[[str], str],
    fill: Mapping[str, str] | None = None,
) -> tuple[str, bool]:
    """Fill placeholders; `fill`, when given, supplies the text put in for each present value
    (the page cache passes sentinels) while presence is still decided by `values`."""
    table = _normalise(values)
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        text = _text(table.get(name))
        if text is None:
            missing = True
            return quote(f"<{name}>")
        return quote(text if fill is None else fill[name])

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


def fill_command(
    run: str, values: Mapping[str, object], fill: Mapping[str, str] | None = None
) -> tuple[str, bool]:
    """Replace placeholders with shell-quoted values; returns (command, used_missing_values).

    A missing value becomes the quoted text `'<name>'` so the line stays valid bash and the
    reader sees what to substitute. Values are not checked here: see `_render_step`.
    """
    return _fill(run, values, shlex.quote, fill)


def fill_config(
    body: str, values: Mapping[str, object], fill: Mapping[str, str] | None = None
) -> tuple[str, bool]:
    """Replace placeholders in a config body with JSON string literals (valid YAML too)."""
    return _fill(body, values, _json_quote, fill)


def withheld_values(run: str, values: Mapping[str, object]) -> list[tuple[str, str, str]]:
    """(field, value, reason) for each value of `run` that fails its type (see values.py)."""
    table = _normalise(values)
    found: dict[str, tuple[str, str, str]] = {}
    for name in placeholders(run):
        text = _text(table.get(name))
        if text is not None and name not in found:
            reason = field_values.check(name, text)
            if reason is not None:
                found[name] = (name, text, reason)
    return list(found.values())


# How to run a `where: container` command inside the alert's container: each form is offered
# when the alert has valid values for its fields (a host event's `container.id: host` has none).
EXEC_FORMS: tuple[str, ...] = (
    "docker exec <<container.id>> ",
    "crictl exec <<container.id>> ",
    "kubectl exec --namespace=<<k8s.ns.name>> <<k8s.pod.name>> -- ",
    "nsenter --target <<proc.pid>> --mount --pid -- ",
)


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
    # The command was not shown because these (field, value, reason) failed their type.
    withheld: tuple[tuple[str, str, str], ...] = ()
    # For a step meant inside the container: the command wrapped to run there, per runtime.
    inside: tuple[str, ...] = ()


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


def _render_step(
    step: PlaybookStep, values: Mapping[str, object], fill: Mapping[str, str] | None = None
) -> GuidanceStep:
    """One step filled for one alert. Decisions (missing values, the value policy, which exec
    forms apply) are taken on `values`; `fill` only changes the text put in (see `_fill`)."""
    command = config = None
    missing_cmd = missing_cfg = False
    withheld: list[tuple[str, str, str]] = []
    inside: list[str] = []
    if step.run is not None:
        withheld = withheld_values(step.run, values)
        if not withheld:
            command, missing_cmd = fill_command(step.run, values, fill)
            if step.where == "container":
                for form in EXEC_FORMS:
                    if not _missing_in(form, values) and not withheld_values(form, values):
                        inside.append(fill_command(form + step.run, values, fill)[0])
    if step.config is not None:
        config, missing_cfg = fill_config(step.config.body, values, fill)
    if withheld and fill is not None:  # the page cache: the shown value is filled in later
        withheld = [(name, fill[name], reason) for name, _, reason in withheld]
    return GuidanceStep(
        title=step.title.strip(),
        text=step.text.strip() if step.text else None,
        command=command,
        where=step.where,
        config_lang=step.config.lang if step.config else None,
        config=config,
        uses_missing_values=missing_cmd or missing_cfg,
        withheld=tuple(withheld),
        inside=tuple(inside),
    )


def _missing_in(template: str, values: Mapping[str, object]) -> bool:
    """Whether some placeholder of `template` has no value in the alert."""
    table = _normalise(values)
    return any(_text(table.get(name)) is None for name in placeholders(template))


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
    fill: Mapping[str, str] | None = None,
) -> Guidance:
    """Guidance for one alert: its rule's playbook filled with its values, else generic advice.

    `values` holds the alert's output_fields plus the top-level keys rule, hostname, priority,
    source and time. `tags` are the alert's tags; the rule file's tags (from `rule_info`) are
    merged in because old alerts carry none. Every decision (which steps apply, which values
    fail the value policy) is taken on `values`; `fill`, when given, is the text put in for
    each present value instead (the page cache renders with sentinels, see pages/guidance.py).
    """
    all_tags = _all_tags(tags, rule_info)
    playbook = playbooks.get(rule)
    if playbook is None:
        # Imported here: generic.py builds on this module's models and filling.
        from generator.knowledge.generic import generic_guidance

        techniques, tactics = _attack(all_tags)
        return generic_guidance(rule, source, all_tags, values, rule_info, techniques, tactics, fill)
    techniques, tactics = _attack(all_tags, playbook.mitre)
    return Guidance(
        rule=rule,
        generic=False,
        summary=playbook.summary.strip(),
        impact=playbook.impact.strip(),
        investigate=tuple(_render_step(s, values, fill) for s in playbook.investigate),
        contain=tuple(_render_step(s, values, fill) for s in playbook.contain),
        prevent=tuple(_render_step(s, values, fill) for s in playbook.prevent),
        false_positives=tuple(fp.strip() for fp in playbook.false_positives),
        references=tuple(Link(r.title, r.url) for r in playbook.references),
        techniques=techniques,
        tactics=tactics,
    )
