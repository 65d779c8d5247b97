"""Load Falco rule files into read-only rule knowledge.

The archive explains each alert with the rule that produced it: its description, priority, tags
and the macros and lists its condition depends on. Falco assembles a rule set from several files
in order (stock rules first, local overrides last), so a rule's final shape is only known after
every `append:` and `override:` item of every later file has been applied. This module replays
that assembly the way Falco's own rule loader does, without compiling the filter expressions:
we only need to know *what* a rule is, not to evaluate it.

Semantics followed (Falco rule loader, engine 0.x):

* A file may hold several YAML documents; each non-empty one must be a sequence of mappings.
  Empty (null) items are skipped; an item of an unknown kind is skipped with a warning.
* Defining an item again with the same name replaces the earlier definition.
* Legacy `append: true` appends list `items`, a macro `condition`, or a rule `condition` /
  `exceptions`, to an item that must already exist.
* `override: {key: append|replace}` appends to or replaces individual keys; every overridable
  key present in the item must be named in `override` and vice versa; `append` and `override`
  cannot be combined.
* A rule item with none of `condition`/`output`/`desc`/`priority` only toggles `enabled`.

A file that Falco itself would refuse to load raises `RuleFileError` naming the file, the item
and the reason, because silently guessing would attach the wrong rule text to alerts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.errors import RuleFileError

__all__ = ["RuleFileError", "RuleInfo", "load_rule_files", "referenced_names"]

log = logging.getLogger(__name__)

# Priority names Falco accepts, compared case-insensitively ("INFO" is an accepted alias).
_PRIORITIES = frozenset(
    {
        "emergency",
        "alert",
        "critical",
        "error",
        "warning",
        "notice",
        "informational",
        "info",
        "debug",
    }
)
# Same grammar as the Falco loader: macro names are identifiers, list names bare strings.
_MACRO_NAME = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*")
_LIST_NAME = re.compile(r"[^()\"'\s=,]+")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loader (libyaml when available, much faster on the large stock files).

    YAML 1.1 resolves a bare `=` to the obscure `value` tag, which PyYAML cannot construct;
    Falco (yaml-cpp) reads it as the string "=", as in `comps: [=, in]` of rule exceptions.
    """


_Loader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)

_RULE_APPENDABLE = frozenset({"condition", "output", "desc", "tags", "exceptions"})
_RULE_REPLACEABLE = frozenset(
    {
        "condition",
        "output",
        "desc",
        "priority",
        "tags",
        "exceptions",
        "enabled",
        "warn_evttypes",
        "skip-if-unknown-filter",
    }
)
_RULE_DEFINING_KEYS = ("condition", "output", "desc", "priority")


@dataclass(frozen=True)
class RuleInfo:
    """The final, fully assembled view of one Falco rule, as a reader of an alert needs it.

    `priority` is spelled as in the file (`WARNING`, `INFO`, ...); `maturity` is the suffix of
    a `maturity_*` tag (`stable`, `incubating`, `sandbox`, `deprecated`) or None; `file` is the
    name of the file that defined the rule (not of files that only tuned it); `macros` and
    `lists` hold every macro and list the condition uses, directly or through other macros and
    lists, with their final text/items; `exceptions` names the rule's exception entries.
    """

    name: str
    description: str
    condition: str
    output: str
    priority: str
    source: str = "syscall"
    tags: tuple[str, ...] = ()
    enabled: bool = True
    maturity: str | None = None
    file: str = ""
    macros: dict[str, str] = field(default_factory=dict)
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exceptions: tuple[str, ...] = ()


@dataclass
class _Exception:
    name: str
    body: dict[str, Any]


@dataclass
class _Rule:
    name: str
    desc: str
    condition: str
    output: str
    priority: str
    source: str
    tags: list[str]
    enabled: bool
    exceptions: list[_Exception]
    file: str


@dataclass
class _State:
    macros: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    rules: dict[str, _Rule] = field(default_factory=dict)


class _ItemError(Exception):
    """Raised inside item processing; turned into RuleFileError with file and item context."""


def load_rule_files(paths: Iterable[Path]) -> dict[str, RuleInfo]:
    """Load rule files in the given order (later files override earlier ones).

    Returns the rules keyed by exact name, in definition order. Disabled rules are included
    (with `enabled=False`) because old alerts may still carry their name.
    """
    state = _State()
    for path in paths:
        _load_file(Path(path), state)
    return {name: _finish(rule, state) for name, rule in state.rules.items()}


def _load_file(path: Path, state: _State) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(path, f"cannot read rule file: {exc}") from exc

    loader = _Loader(text)
    try:
        doc_index = 0
        while loader.check_node():
            node = loader.get_node()
            doc_index += 1
            data = loader.construct_document(node)
            if data is None:
                continue
            if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
                raise RuleFileError(
                    path,
                    f"document {doc_index} is not a YAML sequence of rule items "
                    f"(found {type(data).__name__})",
                )
            for child, item in zip(node.value, data, strict=True):
                if item is None:
                    continue
                line = child.start_mark.line + 1
                try:
                    _read_item(item, path.name, state)
                except _ItemError as exc:
                    raise RuleFileError(path, f"line {line}: {_describe(item)}: {exc}") from None
    except yaml.YAMLError as exc:
        raise RuleFileError(path, f"invalid YAML: {exc}") from exc
    finally:
        loader.dispose()


def _describe(item: object) -> str:
    if isinstance(item, dict):
        for kind in ("rule", "macro", "list"):
            if kind in item:
                return f"{kind} {item[kind]!r}"
        if "required_engine_version" in item:
            return "required_engine_version"
        if "required_plugin_versions" in item:
            return "required_plugin_versions"
    return "item"


def _read_item(item: object, file_name: str, state: _State) -> None:
    if not isinstance(item, dict):
        raise _ItemError(f"expected a mapping, found {type(item).__name__}")
    if "required_engine_version" in item:
        _check_engine_version(item["required_engine_version"])
    elif "required_plugin_versions" in item:
        _check_plugin_versions(item["required_plugin_versions"])
    elif "list" in item:
        _read_list(item, state)
    elif "macro" in item:
        _read_macro(item, state)
    elif "rule" in item:
        _read_rule(item, file_name, state)
    else:
        log.warning("%s: skipping unknown top-level item with keys %s", file_name, sorted(map(str, item)))


def _scalar(item: Mapping[str, Any], key: str) -> str:
    """A required non-empty scalar, as text (Falco decodes every scalar from its text form)."""
    if key not in item:
        raise _ItemError(f"missing required key {key!r}")
    value = item[key]
    if value is None:
        raise _ItemError(f"key {key!r} is empty")
    if isinstance(value, (dict, list)):
        raise _ItemError(f"key {key!r} must be a scalar, not a {type(value).__name__}")
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if not text.strip():
        raise _ItemError(f"key {key!r} must not be empty")
    return text


def _bool(item: Mapping[str, Any], key: str) -> bool:
    value = item[key]
    if not isinstance(value, bool):
        raise _ItemError(f"key {key!r} must be true or false, not {value!r}")
    return value


def _seq(item: Mapping[str, Any], key: str) -> list[str]:
    value = item[key]
    if not isinstance(value, list):
        raise _ItemError(f"key {key!r} must be a sequence")
    out: list[str] = []
    for element in value:
        if element is None or isinstance(element, (dict, list)):
            raise _ItemError(f"key {key!r} holds a non-scalar element {element!r}")
        out.append(("true" if element else "false") if isinstance(element, bool) else str(element))
    return out


def _check_engine_version(value: object) -> None:
    if isinstance(value, bool) or value is None:
        raise _ItemError("required_engine_version must be an integer or an x.y.z version")
    if isinstance(value, int):
        return
    if not re.fullmatch(r"\d+\.\d+\.\d+\S*", str(value).strip()):
        raise _ItemError(f"required_engine_version {value!r} is not an integer or x.y.z version")


def _check_plugin_versions(value: object) -> None:
    if not isinstance(value, list):
        raise _ItemError("required_plugin_versions must be a sequence")
    for entry in value:
        checked = _plugin_version(entry, "each required plugin version must be a mapping")
        alternatives = checked.get("alternatives")
        if alternatives is not None:
            if not isinstance(alternatives, list):
                raise _ItemError("plugin version alternatives must be a sequence")
            for alt in alternatives:
                _plugin_version(alt, "each plugin version alternative must be a mapping")


def _plugin_version(entry: object, not_a_mapping: str) -> Mapping[str, Any]:
    """One ``{name, version}`` entry of ``required_plugin_versions`` (or of its alternatives)."""
    if not isinstance(entry, dict):
        raise _ItemError(not_a_mapping)
    _scalar(entry, "name")
    _scalar(entry, "version")
    return entry


def _overrides(
    item: Mapping[str, Any], appendable: frozenset[str], replaceable: frozenset[str]
) -> tuple[set[str], set[str]]:
    """Parse `override:` into (keys to append, keys to replace), validating each operation."""
    raw = item.get("override")
    if raw is None:
        if "override" in item:
            raise _ItemError("'override' must be a mapping of key: append|replace")
        return set(), set()
    if not isinstance(raw, dict):
        raise _ItemError("'override' must be a mapping of key: append|replace")
    to_append: set[str] = set()
    to_replace: set[str] = set()
    for key, operation in raw.items():
        key = str(key)
        if operation == "append":
            if key not in appendable:
                raise _ItemError(f"key {key!r} cannot be appended to, use 'replace' instead")
            to_append.add(key)
        elif operation == "replace":
            if key not in replaceable:
                raise _ItemError(f"key {key!r} cannot be replaced")
            to_replace.add(key)
        else:
            raise _ItemError(
                f"invalid override operation {operation!r} for key {key!r} (expected 'append' or 'replace')"
            )
    both = to_append & to_replace
    if both:
        raise _ItemError(f"key(s) {sorted(both)} cannot be both appended and replaced")
    return to_append, to_replace


def _legacy_append(item: Mapping[str, Any]) -> bool:
    if "append" not in item:
        return False
    return _bool(item, "append")


def _appends(
    item: Mapping[str, Any], name: str, defined: Mapping[str, object], kind: str, key: frozenset[str]
) -> bool:
    """True when a list or macro item appends to an earlier definition; False when it (re)defines
    it (a plain definition and ``override: {key: replace}`` both do)."""
    append = _legacy_append(item)
    to_append, to_replace = _overrides(item, key, key)
    if append and (to_append or to_replace):
        raise _ItemError("'append' and 'override' cannot be used together")
    if not (append or to_append):
        return False
    if name not in defined:
        raise _ItemError(
            f"appends to {kind} {name!r}, which no earlier item or file defines "
            "(check the rule file load order)"
        )
    return True


def _read_list(item: Mapping[str, Any], state: _State) -> None:
    name = _scalar(item, "list")
    if not _LIST_NAME.fullmatch(name):
        raise _ItemError("list names must not contain spaces, quotes, parentheses, '=' or ','")
    if "items" not in item:
        raise _ItemError("missing required key 'items'")
    items = _seq(item, "items")
    if _appends(item, name, state.lists, "list", frozenset({"items"})):
        state.lists[name].extend(items)
    else:  # a plain definition and `override: {items: replace}` both (re)define the list
        state.lists[name] = items


def _read_macro(item: Mapping[str, Any], state: _State) -> None:
    name = _scalar(item, "macro")
    if not _MACRO_NAME.fullmatch(name):
        raise _ItemError("macro names must be identifiers (letters, then letters/digits/_)")
    condition = _scalar(item, "condition")
    if _appends(item, name, state.macros, "macro", frozenset({"condition"})):
        state.macros[name] = f"{state.macros[name]} {condition}"
    else:  # a plain definition and `override: {condition: replace}` both (re)define it
        state.macros[name] = condition


def _read_exceptions(item: Mapping[str, Any], *, partial: bool) -> list[_Exception]:
    """Validate `exceptions:`; `partial` (append/override) lets an entry omit `fields`."""
    raw = item.get("exceptions")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _ItemError("'exceptions' must be a sequence")
    out: list[_Exception] = []
    seen: set[str] = set()
    for entry in raw:
        if not isinstance(entry, dict):
            raise _ItemError("each exception must be a mapping")
        name = _scalar(entry, "name")
        if name in seen:
            raise _ItemError(f"exception name {name!r} is used twice in the same item")
        seen.add(name)
        if "fields" not in entry and not partial:
            raise _ItemError(f"exception {name!r} has no 'fields'")
        values = entry.get("values")
        if values is not None and not isinstance(values, list):
            raise _ItemError(f"exception {name!r}: 'values' must be a sequence")
        out.append(_Exception(name=name, body=dict(entry)))
    return out


def _merge_exceptions(existing: list[_Exception], extra: list[_Exception]) -> None:
    """Appending an exception with a known name adds its values; a new name adds the entry."""
    by_name = {ex.name: ex for ex in existing}
    for ex in extra:
        if ex.name in by_name:
            current = by_name[ex.name].body
            merged = list(current.get("values") or []) + list(ex.body.get("values") or [])
            current["values"] = merged
        else:
            existing.append(ex)
            by_name[ex.name] = ex


def _check_priority(text: str) -> str:
    if text.strip().lower() not in _PRIORITIES:
        raise _ItemError(
            f"invalid priority {text!r} (expected one of emergency, alert, critical, error, "
            "warning, notice, informational, debug)"
        )
    return text


def _read_rule(item: Mapping[str, Any], file_name: str, state: _State) -> None:
    name = _scalar(item, "rule")
    append = _legacy_append(item)
    to_append, to_replace = _overrides(item, _RULE_APPENDABLE, _RULE_REPLACEABLE)
    if append and (to_append or to_replace):
        raise _ItemError("'append' and 'override' cannot be used together")

    if to_append or to_replace:
        _override_rule(name, item, to_append, to_replace, state)
    elif append:
        existing = _existing_rule(name, state, "appends to")
        if "condition" in item:
            existing.condition = f"{existing.condition} {_scalar(item, 'condition')}"
        _merge_exceptions(existing.exceptions, _read_exceptions(item, partial=True))
    elif not any(key in item for key in _RULE_DEFINING_KEYS):
        if "enabled" not in item:
            raise _ItemError("a rule item without condition/output/desc/priority must set 'enabled'")
        _existing_rule(name, state, "enables/disables").enabled = _bool(item, "enabled")
    else:
        tags = _seq(item, "tags") if item.get("tags") is not None else []
        state.rules[name] = _Rule(
            name=name,
            desc=_scalar(item, "desc"),
            condition=_scalar(item, "condition"),
            output=_scalar(item, "output").strip(),
            priority=_check_priority(_scalar(item, "priority")),
            source=_scalar(item, "source") if "source" in item else "syscall",
            tags=list(dict.fromkeys(tags)),
            enabled=_bool(item, "enabled") if "enabled" in item else True,
            exceptions=_read_exceptions(item, partial=False),
            file=file_name,
        )


def _existing_rule(name: str, state: _State, verb: str) -> _Rule:
    try:
        return state.rules[name]
    except KeyError:
        raise _ItemError(
            f"{verb} rule {name!r}, which no earlier item or file defines (check the rule file load order)"
        ) from None


def _override_rule(
    name: str,
    item: Mapping[str, Any],
    to_append: set[str],
    to_replace: set[str],
    state: _State,
) -> None:
    existing = _existing_rule(name, state, "overrides")
    present = {key for key in _RULE_APPENDABLE | _RULE_REPLACEABLE if key in item}
    for key in sorted((to_append | to_replace) - present):
        kind = "append" if key in to_append else "replace"
        raise _ItemError(f"an {kind} override for {key!r} was given but {key!r} is not defined")
    for key in sorted(present - to_append - to_replace):
        raise _ItemError(f"unexpected key {key!r}: it is not named under 'override'")

    for key in sorted(to_append):
        if key == "tags":
            existing.tags = list(dict.fromkeys([*existing.tags, *_seq(item, "tags")]))
        elif key == "exceptions":
            _merge_exceptions(existing.exceptions, _read_exceptions(item, partial=True))
        else:
            setattr(existing, key, f"{getattr(existing, key)} {_scalar(item, key)}")
    for key in sorted(to_replace):
        if key == "tags":
            existing.tags = list(dict.fromkeys(_seq(item, "tags")))
        elif key == "exceptions":
            existing.exceptions = _read_exceptions(item, partial=True)
        elif key == "enabled":
            existing.enabled = _bool(item, "enabled")
        elif key == "priority":
            existing.priority = _check_priority(_scalar(item, "priority"))
        elif key in ("condition", "output", "desc"):
            text = _scalar(item, key)
            setattr(existing, key, text.strip() if key == "output" else text)
        else:
            _bool(item, key)  # warn_evttypes / skip-if-unknown-filter: validated, not kept


# --- condition analysis -------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<open>\()
    | (?P<close>\))
    | (?P<comma>,)
    | (?P<op>!=|==|<=|>=|=|<|>)
    | (?P<word>[^\s()",'=<>!]+)
    | (?P<other>\S)
    """,
    re.VERBOSE,
)
# Operators whose right-hand side is a value, never a macro.
_VALUE_OPERATORS = frozenset(
    {
        "contains",
        "icontains",
        "bcontains",
        "startswith",
        "bstartswith",
        "endswith",
        "glob",
        "iglob",
        "regex",
    }
)
# Operators followed by a parenthesised value list, where bare words may name Falco lists.
_LIST_OPERATORS = frozenset({"in", "intersects", "pmatch"})
_KEYWORDS = frozenset({"and", "or", "not", "exists"})


def referenced_names(condition: str) -> tuple[set[str], set[str]]:
    """Return (macro candidates, list candidates) named by a condition.

    Outside value lists a bare identifier can only be a macro; inside the parentheses after
    `in`/`intersects`/`pmatch` a bare word can only be a list. Right-hand sides of comparison
    operators are values. The caller intersects the candidates with known names.
    """
    macros: set[str] = set()
    lists: set[str] = set()
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(condition)]
    depth_stack: list[str] = []  # "values" or "group" per open parenthesis
    previous: tuple[str | None, str] = (None, "")
    for index, (kind, text) in enumerate(tokens):
        in_values = bool(depth_stack) and depth_stack[-1] == "values"
        if kind == "open":
            is_values = previous[0] == "word" and previous[1].lower() in _LIST_OPERATORS
            is_call = previous[0] == "word" and previous[1].lower() not in (
                _KEYWORDS | _LIST_OPERATORS | _VALUE_OPERATORS
            )
            depth_stack.append("values" if (is_values or in_values) else "call" if is_call else "group")
        elif kind == "close":
            if depth_stack:
                depth_stack.pop()
        elif kind == "word":
            nxt = tokens[index + 1][0] if index + 1 < len(tokens) else None
            lowered = text.lower()
            if in_values:
                lists.add(text)
            elif (
                lowered not in _KEYWORDS | _LIST_OPERATORS | _VALUE_OPERATORS
                and nxt != "open"
                and previous[0] != "op"
                and not (previous[0] == "word" and previous[1].lower() in _VALUE_OPERATORS)
                and not (depth_stack and depth_stack[-1] == "call")
            ):
                macros.add(text)
        previous = (kind, text)
    return macros, lists


def _finish(rule: _Rule, state: _State) -> RuleInfo:
    macros: dict[str, str] = {}
    lists: dict[str, tuple[str, ...]] = {}
    pending = [rule.condition]
    while pending:
        macro_names, list_names = referenced_names(pending.pop())
        for name in sorted(macro_names):
            if name in state.macros and name not in macros:
                macros[name] = state.macros[name]
                pending.append(state.macros[name])
        list_queue = sorted(list_names)
        while list_queue:
            name = list_queue.pop()
            if name in state.lists and name not in lists:
                items = tuple(state.lists[name])
                lists[name] = items
                list_queue.extend(item for item in items if item in state.lists)
    maturity = next((tag.removeprefix("maturity_") for tag in rule.tags if tag.startswith("maturity_")), None)
    return RuleInfo(
        name=rule.name,
        description=rule.desc.strip(),
        condition=rule.condition.strip(),
        output=rule.output,
        priority=rule.priority,
        source=rule.source,
        tags=tuple(rule.tags),
        enabled=rule.enabled,
        maturity=maturity,
        file=rule.file,
        macros=dict(sorted(macros.items())),
        lists=dict(sorted(lists.items())),
        exceptions=tuple(ex.name for ex in rule.exceptions),
    )
