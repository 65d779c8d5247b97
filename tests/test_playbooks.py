"""Playbooks: loading, validation, safe filling with hostile alert values, and coverage.

Every `run` of every shipped playbook (whoever wrote it) is filled with hostile values and
checked with `bash -n` and `shellcheck`; the filled argv must carry each value as one intact
argument. Config snippets must keep their structure whatever the values contain.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

import generator
from generator.knowledge import mitre
from generator.knowledge import playbooks as playbooks_module
from generator.knowledge.generic import generic_data, load_generic_file
from generator.knowledge.playbooks import (
    Guidance,
    Playbook,
    PlaybookError,
    Reference,
    fill_command,
    fill_config,
    guidance_for,
    load_playbook_file,
    load_playbooks,
    placeholders,
    playbook_slug,
)
from generator.knowledge.rules import RuleInfo, load_rule_files

PLAYBOOK_DIR = Path(generator.__file__).parent / "knowledge" / "data" / "playbooks"
PLAYBOOK_FILES = sorted(PLAYBOOK_DIR.glob("*.yaml"))
# Upstream rule files and real sample alerts (tests/data/README.md).
DATA = Path(__file__).resolve().parent / "data"
RULES_DIR = DATA / "falco-rules"
SAMPLES = DATA / "falco-samples" / "alerts"

HOSTILE = {
    "semicolon": "; rm -rf /",
    "subst": "$(id)",
    "backticks": "`id`",
    "quotes": 'it\'s "quoted"',
    "newline": "line1\nline2; reboot",
    "option": "--help",
    "unicode": "ünïcødé ✓ 😀 ‮",
    "yamlish": "a: b #c, [d] {e}",
    "empty": "",
}


def _upstream_rule_files() -> list[Path]:
    return [
        RULES_DIR / "falco_rules.yaml",
        RULES_DIR / "falco-incubating_rules.yaml",
        RULES_DIR / "falco-sandbox_rules.yaml",
        *sorted((RULES_DIR / "plugins").glob("*.yaml")),
        *sorted((RULES_DIR / "archive").glob("*.yaml")),
    ]


@pytest.fixture(scope="module")
def all_rules() -> dict[str, RuleInfo]:
    return load_rule_files(_upstream_rule_files())


@pytest.fixture(scope="module")
def shipped() -> dict[str, Playbook]:
    return load_playbooks()


@functools.cache
def _load(path: Path) -> Playbook:
    """Parse each shipped file once for the many per-file tests."""
    return load_playbook_file(path)


def _values_for(playbook: Playbook, value: str) -> dict[str, object]:
    names: set[str] = set()
    for step in playbook.steps():
        names.update(placeholders(step.run))
        if step.config:
            names.update(placeholders(step.config.body))
    return dict.fromkeys(names, value)


def _runs(playbook: Playbook) -> Iterator[tuple[str, str]]:
    for phase in ("investigate", "contain", "prevent"):
        for index, step in enumerate(getattr(playbook, phase)):
            if step.run:
                yield f"{phase}[{index}]", step.run


# --- shell safety of every command in every playbook -----------------------------------------


# `bash -n` sees every hostile value above plus one combining all their ingredients;
# shellcheck (about 3 ms per command) sees only the combined one: shlex.quote yields either a
# bare word or a single-quoted string (with '"'"' for inner quotes), and the combined value
# exercises the latter with quotes, newline, substitutions and non-ASCII at once.
COMBINED = '; rm -rf / $(id) `id` it\'s "q"\nline2 ünïcødé 😀 ‮ --help'
SHELL_VARIANTS = {**HOSTILE, "combined": COMBINED}


def _script(playbook: Playbook, variants: dict[str, str]) -> str:
    lines = ["#!/usr/bin/env bash", ""]
    for where, run in _runs(playbook):
        for label, value in variants.items():
            command, _ = fill_command(run, _values_for(playbook, value))
            func = f"{where.replace('[', '_').replace(']', '')}_{label}"
            lines += [f"{func}() {{", command, "}", ""]
    return "\n".join(lines)


def _shell_problems(files: list[Path], folder: Path) -> dict[str, list[str]]:
    """Fill every command of every playbook into one script per playbook (a function per
    command and value), run `bash -n` on each and shellcheck over all of them in two
    parallel batches; returns the problems found per playbook file."""
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is required (Debian package 'shellcheck')")
    problems: dict[str, list[str]] = {p.name: [] for p in files}
    syntax: dict[str, subprocess.Popen[str]] = {}
    checked: dict[str, str] = {}
    for path in files:
        try:
            playbook = _load(path)
        except PlaybookError as exc:
            problems[path.name].append(f"does not load: {exc}")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        every = folder / f"{path.stem}.all.sh"
        every.write_text(_script(playbook, SHELL_VARIANTS), encoding="utf-8")
        syntax[path.name] = subprocess.Popen(["bash", "-n", str(every)], stderr=subprocess.PIPE, text=True)
        hostile = folder / f"{path.stem}.sh"
        hostile.write_text(_script(playbook, {"combined": COMBINED}), "utf-8")
        checked[str(hostile)] = path.name
    batches = [list(checked)[i::2] for i in range(2)]
    checks = [
        subprocess.Popen(
            ["shellcheck", "-s", "bash", "-S", "error", "-f", "json1", *batch],
            stdout=subprocess.PIPE,
            text=True,
        )
        for batch in batches
        if batch
    ]
    for name, proc in syntax.items():
        _, err = proc.communicate()
        if proc.returncode != 0:
            problems[name].append(f"bash -n: {err.strip()}")
    for proc in checks:
        out, _ = proc.communicate()
        for comment in json.loads(out or "{}").get("comments", []):
            script_path = comment["file"]
            text = Path(script_path).read_text(encoding="utf-8").splitlines()
            line = comment["line"]
            source = text[line - 1] if 0 < line <= len(text) else "(end of script: an unclosed quote?)"
            problems[checked[script_path]].append(
                f"SC{comment['code']} line {line}: {comment['message']} :: {source}"
            )
    return problems


@pytest.fixture(scope="module")
def shell_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    return _shell_problems(PLAYBOOK_FILES, tmp_path_factory.mktemp("filled"))


@pytest.mark.parametrize("path", PLAYBOOK_FILES, ids=lambda p: p.stem)
def test_playbook_is_safe_with_hostile_values(path: Path, shell_reports: dict[str, list[str]]) -> None:
    """For one shipped playbook: every command passes `bash -n` and shellcheck once filled,
    each hostile value stays one intact argument, and configs keep their structure."""
    assert shell_reports[path.name] == []
    playbook = _load(path)
    problems = _argv_problems(playbook) + _config_problems(playbook)
    assert problems == []


def _argv_problems(playbook: Playbook) -> list[str]:
    problems = []
    for where, run in _runs(playbook):
        names = placeholders(run)
        for label, value in HOSTILE.items():
            command, missing = fill_command(run, _values_for(playbook, value))
            argv = shlex.split(command)
            if not names:
                if missing:
                    problems.append(f"{where}: flagged missing without placeholders")
            elif label == "empty":
                if not missing:
                    problems.append(f"{where}: empty values must be flagged")
                for name in names:
                    if not any(f"<{name}>" in arg for arg in argv):
                        problems.append(f"{where}: '<{name}>' not shown: {argv!r}")
            elif missing or sum(arg.count(value) for arg in argv) != len(names):
                problems.append(f"{where} {label}: value not kept intact: {argv!r}")
    return problems


def _config_problems(playbook: Playbook) -> list[str]:
    def shape(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {key: shape(value) for key, value in obj.items()}
        if isinstance(obj, list):
            return [shape(item) for item in obj]
        return type(obj).__name__

    def parse(lang: str, body: str) -> Any:
        if lang == "json":
            return json.loads(body)
        return list(yaml.safe_load_all(body))

    problems = []
    for step in playbook.steps():
        if step.config is None or step.config.lang == "text":
            continue
        benign, _ = fill_config(step.config.body, _values_for(playbook, "benign"))
        expected = shape(parse(step.config.lang, benign))
        for label, value in HOSTILE.items():
            filled, _ = fill_config(step.config.body, _values_for(playbook, value))
            try:
                if shape(parse(step.config.lang, filled)) != expected:
                    problems.append(f"{step.title!r} {label}: structure changed")
            except (ValueError, yaml.YAMLError) as exc:
                problems.append(f"{step.title!r} {label}: does not parse: {exc}")
    return problems


def test_shell_check_harness_catches_broken_commands(tmp_path: Path) -> None:
    """The batch check above must be able to fail: a syntax error and a shellcheck error."""
    syntax_error = {"title": "Unbalanced", "run": "echo <<proc.name>> )"}
    lint_error = {"title": "Bad test", "run": "[ <<proc.name>> = a]"}
    good = _write(tmp_path / "pb", "good.yaml", MINIMAL)
    bad = _write(tmp_path / "pb", "bad.yaml", dict(MINIMAL, contain=[syntax_error]))
    lint = _write(tmp_path / "pb", "lint.yaml", dict(MINIMAL, contain=[lint_error]))
    problems = _shell_problems([good, bad, lint], tmp_path / "out")
    assert problems["good.yaml"] == []
    assert any(p.startswith("bash -n") for p in problems["bad.yaml"])
    assert any(p.startswith("SC1020") for p in problems["lint.yaml"])


# --- the shipped collection -----------------------------------------------------------------


def test_shipped_playbooks_load_and_are_named_by_slug(shipped: dict[str, Playbook]) -> None:
    assert len(shipped) == len(PLAYBOOK_FILES)
    for rule, playbook in shipped.items():
        assert playbook.path is not None
        assert playbook.path.name == f"{playbook_slug(rule)}.yaml"


def test_every_playbook_rule_exists_upstream_with_the_same_source(
    shipped: dict[str, Playbook], all_rules: dict[str, RuleInfo]
) -> None:
    unknown = sorted(rule for rule in shipped if rule not in all_rules)
    assert unknown == []
    wrong_source = {
        rule: (pb.source, all_rules[rule].source)
        for rule, pb in shipped.items()
        if pb.source != all_rules[rule].source
    }
    assert wrong_source == {}


def test_every_mitre_id_in_playbooks_is_in_the_data_file(shipped: dict[str, Playbook]) -> None:
    unknown = {
        f"{pb.path.name if pb.path else rule}: {tid}"
        for rule, pb in shipped.items()
        for tid in pb.mitre
        if mitre.technique(tid) is None
    }
    assert unknown == set()


# A containment step titled as an action on something (stop the container, isolate the pod, delete
# the binding) must give that action as a command: "Stop the task" with only prose left the reader
# to work out `aws ecs stop-task` during an incident. Steps that point outside the machine and the
# cluster (revoke in the identity provider, block at the WAF) may stay prose.
_ACTION_TITLE = re.compile(
    r"^(Stop|Freeze|Kill|Isolate|Pause|End|Delete|Cordon|Drain|Throttle|Scale|Terminate|Lock|Shut|"
    r"Replace|Deactivate)\b"
)


def test_containment_actions_come_with_their_command(shipped: dict[str, Playbook]) -> None:
    missing = [
        f"{pb.path.name if pb.path else rule}: {step.title!r}"
        for rule, pb in shipped.items()
        for step in pb.contain
        if _ACTION_TITLE.match(step.title) and step.run is None and step.config is None
    ]
    assert missing == []


def _unset_variables(run: str) -> set[str]:
    """Shell variables a command uses without setting them (jq/awk `$x` in single quotes aside)."""
    shell = re.sub(r"'[^']*'", "''", run)
    assigned = set(re.findall(r"(?:^|[\s;&|(])([A-Za-z_]\w*)=", shell))
    assigned |= set(re.findall(r"\bfor\s+([A-Za-z_]\w*)\s+in\b", shell))
    assigned |= set(re.findall(r"\$\{([A-Za-z_]\w*):\?", shell))  # `${NAME:?why}` refuses to run unset
    return set(re.findall(r"\$\{?([A-Za-z_]\w*)", shell)) - assigned


def test_values_from_earlier_steps_are_never_stand_ins(shipped: dict[str, Playbook]) -> None:
    """A value the reader takes from an earlier step is `${NAME:?why}`: an unset `$ACCOUNT` made
    `usermod` fail and an unset `$USER_FROM_AUDIT` made `kubectl auth can-i --as=` list the
    reader's own rights; an example ARN or `ACCESS_KEY_ID` ran against an object that is not there."""
    problems = []
    for rule, pb in shipped.items():
        for step in pb.steps():
            if step.run is None:
                continue
            name = pb.path.name if pb.path else rule
            if unset := _unset_variables(step.run):
                problems.append(f"{name}: {step.title!r} uses unset {sorted(unset)}")
            if re.search(r"EXAMPLE|REGION:ACCOUNT|ACCESS_KEY_ID", step.run):
                problems.append(f"{name}: {step.title!r} has an example value instead of a variable")
    assert problems == []
    assert _unset_variables('kubectl auth can-i --list --as="$USER_FROM_AUDIT"') == {"USER_FROM_AUDIT"}
    assert _unset_variables("jq --arg u x '$u' f; P=$(pgrep x) && ps -p \"$P\"") == set()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://falco.org/docs/", "url must be an https:// link, not 'http://falco.org/docs/'"),
        ("javascript:alert(1)", "url must be an https:// link, not 'javascript:alert(1)'"),
        ("HTTPS://falco.org/", "url must be an https:// link"),
        ("https://falco.org/a(b)", "has characters links may not contain"),
        ("https://falco.org/\nx", "has characters links may not contain"),
    ],
)
def test_reference_urls_must_be_plain_https(url: str, message: str) -> None:
    """Every shipped, user and generic link passes this validator; the shipped ones load above."""
    with pytest.raises(ValidationError) as info:
        Reference(title="Docs", url=url)
    assert message in str(info.value)
    assert Reference(title="Docs", url="https://falco.org/docs/rules/#a-b").url.startswith("https://")


@pytest.mark.parametrize(
    "rule_file",
    [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
        "plugins/k8s_audit_rules.yaml",
    ],
)
def test_every_rule_has_a_playbook(rule_file: str, shipped: dict[str, Playbook]) -> None:
    rules = load_rule_files([RULES_DIR / rule_file])
    missing = sorted(rule for rule in rules if rule not in shipped)
    assert missing == []


# --- filling ---------------------------------------------------------------------------------


def test_fill_command_quotes_and_flags_missing() -> None:
    command, missing = fill_command(
        "ls -l -- <<fd.name>> <<proc.name>>", {"fd.name": "/tmp/a b", "proc.name": "<NA>"}
    )
    assert command == "ls -l -- '/tmp/a b' '<proc.name>'"
    assert missing
    command, missing = fill_command("kill -STOP <<proc.pid>>", {"proc.pid": 4242})
    assert (command, missing) == ("kill -STOP 4242", False)
    assert fill_command("echo <<x>>", {"x": None}) == ("echo '<x>'", True)
    assert fill_command("echo <<x>>", {}) == ("echo '<x>'", True)


def test_fill_command_finds_keys_with_stray_spaces_and_types() -> None:
    values = {"gcp.userAgent ": "curl/8", "flag": True, "obj": {"a": 1}, "big": 1762968136124905687}
    assert fill_command("echo <<gcp.userAgent>>", values)[0] == "echo curl/8"
    assert fill_command("echo <<flag>>", values)[0] == "echo true"
    assert fill_command("echo <<obj>>", values)[0] == "echo '{\"a\":1}'"
    assert fill_command("echo <<big>>", values)[0] == "echo 1762968136124905687"
    assert fill_command("echo <<x>>", {"x": "a\x00b\ud800"})[0] == "echo 'ab\ufffd'"


def test_fill_config_is_json_quoted_and_valid_yaml() -> None:
    body = "- rule: <<rule>>\n  items: [<<proc.name>>]\n"
    filled, missing = fill_config(body, {"rule": 'x" - evil: 1', "proc.name": "a\x85b\u2028c😀"})
    assert not missing
    doc = yaml.safe_load(filled)
    assert doc == [{"rule": 'x" - evil: 1', "items": ["a\x85b\u2028c😀"]}]
    filled, missing = fill_config(body, {})
    assert missing
    assert yaml.safe_load(filled) == [{"rule": "<rule>", "items": ["<proc.name>"]}]


# --- loading and validation ------------------------------------------------------------------

MINIMAL = {
    "rule": "My Custom Rule",
    "source": "syscall",
    "summary": "Something happened.",
    "impact": "It matters.",
    "investigate": [
        {"title": "Look at the file", "run": "ls -l -- <<fd.name>>", "where": "host"},
        {"title": "Think", "text": "About it."},
    ],
    "contain": [{"title": "Stop it", "run": "kill -STOP <<proc.pid>>", "where": "host"}],
    "prevent": [{"title": "Harden", "config": {"lang": "yaml", "body": "a: <<proc.name>>\n"}}],
    "false_positives": [],
    "references": [{"title": "Falco", "url": "https://falco.org/docs/"}],
    "mitre": ["T1059.004"],
}


@pytest.fixture
def no_shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the shipped folder at an empty one, so only the user folder is validated."""
    empty = tmp_path / "shipped-empty"
    empty.mkdir()
    monkeypatch.setattr(playbooks_module, "_package_dir", lambda: empty)


def _write(folder: Path, name: str, data: dict[str, Any] | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def test_user_folder_overrides_and_extends(tmp_path: Path, shipped: dict[str, Playbook]) -> None:
    override = dict(MINIMAL, rule="Create Symlink Over Sensitive Files", summary="Our own words.")
    _write(tmp_path, "create-symlink-over-sensitive-files.yaml", override)
    _write(tmp_path, "my-custom-rule.yaml", MINIMAL)
    loaded = load_playbooks(tmp_path)
    assert loaded["Create Symlink Over Sensitive Files"].summary == "Our own words."
    assert loaded["Create Symlink Over Sensitive Files"].path == (
        tmp_path / "create-symlink-over-sensitive-files.yaml"
    )
    assert loaded["My Custom Rule"].investigate[0].run == "ls -l -- <<fd.name>>"
    assert set(loaded) == set(shipped) | {"My Custom Rule"}
    # the shipped collection itself is untouched
    assert load_playbooks()["Create Symlink Over Sensitive Files"].summary != "Our own words."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unexpected": 1}, "unexpected"),
        ({"summary": None}, "summary"),
        ({"source": "syscalls"}, "source"),
        ({"investigate": [MINIMAL["investigate"][0]]}, "investigate"),
        ({"mitre": ["1059"]}, "ATT&CK technique ID"),
        ({"references": [{"title": "x", "url": "http://insecure.example"}]}, "url"),
        ({"references": [{"title": "x", "url": "https://x.org/a(b)"}]}, "url"),
        ({"contain": [{"title": "Q", "run": "grep '<<proc.name>>' f"}]}, "inside quotes"),
        ({"contain": [{"title": "Q", "run": 'echo "<<proc.name>>"'}]}, "inside quotes"),
        ({"contain": [{"title": "Q", "run": "cat <<EOF"}]}, "placeholder"),
        ({"contain": [{"title": "Q", "run": "a\nb"}]}, "one command line"),
        ({"contain": [{"title": "Q", "run": "echo x >> <<fd.name>>"}]}, "redirection target"),
        ({"contain": [{"title": "Q", "run": "echo 'open"}]}, "unterminated"),
        ({"contain": [{"title": "Q", "text": "use <<proc.name>>"}]}, "placeholders only"),
        ({"contain": [{"title": "Q", "where": "laptop"}]}, "where"),
        (
            {"prevent": [{"title": "Q", "config": {"lang": "yaml", "body": "a: '<<x>>'"}}]},
            "wrapped in quotes",
        ),
        ({"prevent": [{"title": "Q", "config": {"lang": "toml", "body": "a"}}]}, "lang"),
    ],
)
def test_malformed_playbook_names_the_file(
    tmp_path: Path, change: dict[str, Any], message: str, no_shipped: None
) -> None:
    path = _write(tmp_path, "broken.yaml", {**MINIMAL, **change})
    with pytest.raises(PlaybookError) as info:
        load_playbooks(tmp_path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_invalid_yaml_and_duplicates_are_errors(tmp_path: Path, no_shipped: None) -> None:
    bad = _write(tmp_path / "a", "bad.yaml", "rule: [unclosed\n")
    with pytest.raises(PlaybookError, match="invalid YAML") as info:
        load_playbooks(tmp_path / "a")
    assert str(bad) in str(info.value)
    _write(tmp_path / "b", "one.yaml", MINIMAL)
    _write(tmp_path / "b", "two.yaml", MINIMAL)
    with pytest.raises(PlaybookError, match="already has a playbook"):
        load_playbooks(tmp_path / "b")
    _write(tmp_path / "c", "list.yaml", "- just\n- a list\n")
    with pytest.raises(PlaybookError, match="mapping"):
        load_playbooks(tmp_path / "c")
    with pytest.raises(PlaybookError, match="does not exist"):
        load_playbooks(tmp_path / "missing")


# --- guidance --------------------------------------------------------------------------------


def _alert_values(name: str) -> tuple[dict[str, Any], dict[str, object]]:
    alert = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    values: dict[str, object] = dict(alert.get("output_fields") or {})
    for key in ("rule", "hostname", "priority", "source", "time"):
        values[key] = alert.get(key)
    return alert, values


def _commands(guidance: Guidance) -> list[str]:
    steps = (*guidance.investigate, *guidance.contain, *guidance.prevent)
    return [s.command for s in steps if s.command]


def test_seed_symlink_alert_gets_specific_filled_steps(
    shipped: dict[str, Playbook], all_rules: dict[str, RuleInfo]
) -> None:
    alert, values = _alert_values("inno-devops-labs_F25-DevSecOps-Intro__16.json")
    rule = alert["rule"]
    guidance = guidance_for(rule, alert["source"], alert["tags"], values, shipped, all_rules[rule])
    assert not guidance.generic
    commands = "\n".join(_commands(guidance))
    linkpath = values["evt.arg.linkpath"]
    assert f"stat -- {linkpath}" in commands
    assert "stat -- /etc/shadow /etc/sudoers" in commands  # the files inside /etc, not /etc
    assert "find /tmp /var/tmp /dev/shm -xdev -type l -exec ls -l {} +" in commands
    assert "pgrep -a -x -- event-generator" in commands  # the parent, not the vanished `ln`
    assert "docker inspect -- 646b87798247" in commands
    assert f"find {linkpath} -maxdepth 0 -type l -exec rm -f {{}} \\;" in commands
    assert "sysctl --system" in commands
    first = guidance.investigate[0]
    assert first.inside[:2] == (
        f"docker exec 646b87798247 stat -- {linkpath}",
        f"crictl exec 646b87798247 stat -- {linkpath}",
    )
    assert not guidance.uses_missing_values
    assert [t.id for t in guidance.techniques] == ["T1555"]
    assert [t.name for t in guidance.tactics] == ["Credential Access"]
    assert all(isinstance(s.title, str) and s.title for s in guidance.investigate)
    assert any(s.config and s.config_lang == "yaml" for s in guidance.prevent)


def test_playbook_steps_flag_missing_values(shipped: dict[str, Playbook]) -> None:
    guidance = guidance_for(
        "Create Symlink Over Sensitive Files", "syscall", [], {"evt.arg.target": "/etc"}, shipped
    )
    first = guidance.investigate[0]
    assert first.command == "stat -- '<evt.arg.linkpath>'"
    assert first.uses_missing_values
    assert not guidance.investigate[1].uses_missing_values
    assert guidance.uses_missing_values


def test_unknown_syscall_rule_gets_generic_guidance_with_concrete_commands() -> None:
    values = {
        "rule": "My in-house rule",
        "proc.name": "xmrig",
        "proc.exepath": "/tmp/.x/xmrig",
        "proc.pid": 4242,
        "container.id": "abc123def456",
        "k8s.ns.name": "shop",
        "k8s.pod.name": "web-1",
        "fd.name": "/etc/shadow",
    }
    tags = ["container", "process", "filesystem", "mitre_execution", "T1059", "bogus", "T9999"]
    guidance = guidance_for("My in-house rule", "syscall", tags, values, {})
    assert guidance.generic
    assert "generic" in guidance.summary.lower()
    assert "Execution" in guidance.summary and "container" in guidance.summary
    commands = _commands(guidance)
    assert "ps -o pid,ppid,user,lstart,args -p 4242" in commands
    assert "sha256sum -- /tmp/.x/xmrig" in commands
    assert "docker inspect -- abc123def456" in commands
    assert "kubectl describe pod --namespace=shop -- web-1" in commands
    assert "docker pause -- abc123def456" in commands
    assert [t.id for t in guidance.techniques] == ["T1059"]
    assert [t.id for t in guidance.tactics] == ["TA0002"]
    assert guidance.contain and guidance.prevent and len(guidance.investigate) >= 2
    exception = next(s for s in guidance.prevent if s.config and "exceptions" in s.config)
    assert yaml.safe_load(exception.config or "")[0]["rule"] == "My in-house rule"


def test_generic_guidance_for_host_event_and_hostile_values() -> None:
    evil = "$(reboot)"
    values = {"proc.name": evil, "container.id": "host", "user.name": evil, "fd.name": "/x"}
    guidance = guidance_for("Custom", None, ["host", "users", "mitre_persistence"], values, {})
    assert guidance.generic
    commands = _commands(guidance)
    assert "pgrep -a -x -- '$(reboot)'" in commands
    # `$(reboot)` is no local user name: the value policy keeps it out of `last`, and says so
    assert not any(c.startswith("last ") for c in commands)
    withheld = [w for s in guidance.investigate for w in s.withheld]
    assert ("user.name", evil) in [w[:2] for w in withheld]
    assert not any("docker" in c for c in commands)
    for command in commands:
        assert evil in shlex.split(command) or "'$(reboot)'" not in command


@pytest.mark.parametrize("source", ["syscall", "k8s_audit", "aws_cloudtrail", "internal", None])
def test_generic_prose_never_contains_alert_values(source: str | None) -> None:
    """The renderer shows summary, impact, titles and texts as trusted Markdown."""
    evil = "<img src=x onerror=alert(1)>"
    keys = ["proc.name", "proc.exepath", "fd.name", "user.name", "container.id", "k8s.ns.name"]
    keys += ["k8s.pod.name", "ka.user.name", "ka.target.name", "ct.user", "hostname", "time"]
    values = {key: evil for key in keys}
    tags = ["container", "network", "users", "mitre_execution", "mitre_exfiltration", evil]
    guidance = guidance_for(evil, source, tags, values, {})
    steps = (*guidance.investigate, *guidance.contain, *guidance.prevent)
    prose = [guidance.summary, guidance.impact, *guidance.false_positives]
    prose += [s.title for s in steps] + [s.text or "" for s in steps]
    assert not [p for p in prose if "<img" in p]
    if source != "internal":  # Falco health events have no alert values to act on
        assert any(evil in (s.command or "") for s in steps)


def test_generic_guidance_for_k8s_audit_and_cloud_sources() -> None:
    alert, values = _alert_values("falcosecurity_falco-website__02.json")
    k8s = guidance_for("Unknown audit rule", "k8s_audit", alert["tags"], values, {})
    commands = _commands(k8s)
    assert "kubectl auth can-i --list --as=system:node:ip-192-168-34-135.ec2.internal" in commands
    assert not any("delete" in c for c in commands)  # only offered for create verbs? see below
    cloud = guidance_for(
        "Unknown trail rule",
        "aws_cloudtrail",
        ["cloud", "aws"],
        {"ct.user": "alice", "aws.region": "eu-west-1"},
        {},
    )
    assert (
        "aws cloudtrail lookup-events --region=eu-west-1 "
        "--lookup-attributes AttributeKey=Username,AttributeValue=alice"
    ) in _commands(cloud)
    assert "no ATT&CK tactic" in cloud.impact


def test_generic_guidance_for_internal_events() -> None:
    alert, values = _alert_values("falcosecurity_falco-website__14.json")
    guidance = guidance_for(alert["rule"], alert["source"], [], values, {})
    assert guidance.generic
    assert "Falco itself" in guidance.summary
    assert guidance.techniques == () and guidance.tactics == ()


def test_playbook_techniques_merge_with_rule_tags(
    shipped: dict[str, Playbook], all_rules: dict[str, RuleInfo]
) -> None:
    rule = "Terminal shell in container"
    guidance = guidance_for(rule, "syscall", None, {}, shipped, all_rules[rule])
    assert [t.id for t in guidance.techniques] == ["T1059", "T1609"]
    assert [t.id for t in guidance.tactics] == ["TA0002"]


def test_documented_example_playbook_works(tmp_path: Path) -> None:
    """docs/user-playbooks.md promises this example loads and fills as shown."""
    doc = (Path(generator.__file__).parent.parent / "docs" / "user-playbooks.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in doc.split("```yaml\n")[1:]]
    example = next(b for b in blocks if b.startswith('rule: "Write Binary Under UsrLocalBin"'))
    _write(tmp_path, "write-binary-under-usrlocalbin.yaml", example)
    loaded = load_playbooks(tmp_path)
    alert, values = _alert_values("inno-devops-labs_F25-DevSecOps-Intro__02.json")
    guidance = guidance_for(alert["rule"], alert["source"], alert["tags"], values, loaded)
    assert not guidance.generic
    commands = _commands(guidance)
    for line in doc.split("```bash\n")[2].split("```", 1)[0].splitlines():
        assert line in commands


# --- generic guidance data (generator/knowledge/data/generic.yaml) ---------------------------
#
# Rules without a playbook get generic guidance whose texts, commands and conditions live in a
# data file. It is held to the playbook rules, and a broken edit must name the file and the key.

GENERIC_FILE = Path(generator.__file__).parent / "knowledge" / "data" / "generic.yaml"


def _generic_copy(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The shipped generic.yaml with one change, written to tmp_path (anchors expanded)."""
    data = yaml.safe_load(GENERIC_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "generic.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _step(data: dict[str, Any], kind: str, phase: str, title: str) -> dict[str, Any]:
    return next(s for s in data["sources"][kind][phase] if s["title"] == title)


def test_shipped_generic_data_loads_once(tmp_path: Path) -> None:
    data = load_generic_file(GENERIC_FILE)
    assert generic_data() is generic_data()  # validated once, then cached
    assert generic_data().model_dump() == data.model_dump()
    assert set(data.tactics) == {t.id for t in mitre.all_tactics()}
    for kind in ("syscall", "k8s_audit", "cloud", "internal"):
        section = getattr(data.sources, kind)
        assert section.investigate and section.contain and section.prevent, kind
    assert data.sources.unknown.steps_from == "syscall"
    # the copy the tests below change is itself valid
    assert load_generic_file(_generic_copy(tmp_path, lambda d: None)) == data


def _rename(step: dict[str, Any], old: str, new: str) -> None:
    step[new] = step.pop(old)


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (
            lambda d: _rename(_step(d, "syscall", "investigate", "Inspect the process"), "when", "wehn"),
            "sources.syscall.investigate[1].wehn",
            "Extra inputs are not permitted",
        ),
        (
            lambda d: d["tactics"]["TA0002"]["investigate"].pop("title"),
            "tactics.TA0002.investigate.title",
            "Field required",
        ),
        (
            lambda d: _step(d, "k8s_audit", "contain", "Remove the object if it is not authorized")[
                "variants"
            ][0].pop("when"),
            "sources.k8s_audit.contain[1].variants[0].when",
            "Field required",
        ),
        (
            lambda d: _rename(d["sources"]["syscall"]["investigate"][4]["when"], "starts_with", "startswith"),
            "sources.syscall.investigate[4].when.startswith",
            "Extra inputs are not permitted",
        ),
        (lambda d: d.pop("exception_config"), "exception_config", "Field required"),
        (
            lambda d: _step(d, "syscall", "contain", "Freeze the container")["when"].update(context=["pods"]),
            "sources.syscall.contain[1].when.context",
            "unknown context 'pods'",
        ),
        (
            lambda d: _step(d, "syscall", "prevent", "Harden the workload's security context").update(
                references=["security_ctx"]
            ),
            "sources.syscall.prevent[1].references",
            "unknown link 'security_ctx'",
        ),
        (
            lambda d: d["links"]["rbac"].update(url="javascript:alert(1)"),
            "links.rbac.url",
            "url must be an https:// link",
        ),
        (lambda d: d.update(summary="No basis here."), "summary", "must contain {basis}"),
    ],
)
def test_broken_generic_data_names_the_file_and_the_key(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], key: str, message: str
) -> None:
    path = _generic_copy(tmp_path, change)
    with pytest.raises(PlaybookError) as info:
        load_generic_file(path)
    assert info.value.path == path
    assert str(info.value).startswith(f"{path}: ")
    assert f"{key}: " in info.value.reason
    assert message in info.value.reason


@pytest.mark.parametrize(
    ("where", "run"),
    [
        (("syscall", "investigate", "Inspect the process"), "ps -p '<<proc.pid>>'"),
        (
            ("k8s_audit", "investigate", "Check what this identity may do"),
            'kubectl auth can-i --as="<<ka.user.name>>"',
        ),
        (("cloud", "investigate", "List the identity's recent API calls"), "aws x $'<<ct.user>>'"),
    ],
)
def test_generic_command_with_placeholder_in_quotes_is_rejected(
    tmp_path: Path, where: tuple[str, str, str], run: str
) -> None:
    """The same shell-quoting check as playbook `run` steps, in steps, variants and tactics."""
    kind, phase, title = where
    path = _generic_copy(tmp_path, lambda d: _step(d, kind, phase, title).update(run=run))
    with pytest.raises(PlaybookError, match="is inside quotes; write it bare") as info:
        load_generic_file(path)
    index = [s["title"] for s in yaml.safe_load(path.read_text())["sources"][kind][phase]].index(title)
    assert f"sources.{kind}.{phase}[{index}].run: " in info.value.reason

    def in_variant(d: dict[str, Any]) -> None:
        _step(d, "syscall", "investigate", "Correlate with other Falco alerts")["variants"][1]["run"] = (
            'grep -F "<<proc.name>>" log'
        )

    with pytest.raises(PlaybookError, match=r"investigate\[\d+\]\.variants\[1\]\.run: .*inside quotes"):
        load_generic_file(_generic_copy(tmp_path, in_variant))
    with pytest.raises(PlaybookError, match=r"tactics\.TA0011\.prevent\.run: .*inside quotes"):
        load_generic_file(
            _generic_copy(
                tmp_path, lambda d: d["tactics"]["TA0011"]["prevent"].update(run="iptables '<<x>>'")
            )
        )
