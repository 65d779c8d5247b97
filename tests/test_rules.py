"""Falco rule-file loading: stock files, Falco's override semantics, and clear errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from generator.knowledge.rules import RuleFileError, RuleInfo, load_rule_files, referenced_names

# Upstream rule files, laid out as in falcosecurity/rules (tests/data/README.md).
RULES_DIR = Path(__file__).resolve().parent / "data" / "falco-rules"


def _stock_files() -> list[Path]:
    return [
        RULES_DIR / "falco_rules.yaml",
        RULES_DIR / "falco-incubating_rules.yaml",
        RULES_DIR / "falco-sandbox_rules.yaml",
        *sorted((RULES_DIR / "plugins").glob("*.yaml")),
        *sorted((RULES_DIR / "archive").glob("*.yaml")),
    ]


@pytest.fixture(scope="module")
def stock() -> dict[str, RuleInfo]:
    return load_rule_files(_stock_files())


def _summary_rows() -> list[dict[str, str]]:
    lines = (RULES_DIR / "rules_summary.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def test_every_stock_file_loads_and_matches_the_summary(stock: dict[str, RuleInfo]) -> None:
    rows = _summary_rows()
    assert len(stock) == len(rows) == 242
    for row in rows:
        info = stock[row["rule"]]
        assert info.file == Path(row["file"]).name
        assert info.priority == row["priority"]
        assert info.source == row["source"]
        assert info.enabled == (row["enabled"] == "True")
        assert ",".join(info.tags) == row["tags"]


def test_each_file_loads_on_its_own() -> None:
    for path in _stock_files():
        rules = load_rule_files([path])
        assert all(info.file == path.name for info in rules.values())


def test_rule_details(stock: dict[str, RuleInfo]) -> None:
    info = stock["Create Symlink Over Sensitive Files"]
    assert info.maturity == "stable"
    assert info.source == "syscall"
    assert info.priority == "WARNING"
    assert info.description.startswith("Detect symlinks created over")
    assert info.output.startswith("Symlinks created over sensitive files |")
    assert info.macros == {"create_symlink": "(evt.type in (symlink, symlinkat))"}
    assert info.lists["sensitive_file_names"] == (
        "/etc/shadow",
        "/etc/sudoers",
        "/etc/pam.conf",
        "/etc/security/pwquality.conf",
    )
    assert set(info.lists) == {"sensitive_file_names", "sensitive_directory_names"}
    assert stock["GCP Bucket deleted"].source == "gcp_auditlog"
    assert stock["Attach/Exec Pod"].source == "k8s_audit"
    assert stock["Container Drift Detected (chmod)"].enabled is False
    assert stock["Container Drift Detected (chmod)"].maturity == "sandbox"


def test_macros_and_lists_are_resolved_transitively(stock: dict[str, RuleInfo]) -> None:
    info = stock["Run shell untrusted"]
    # condition -> protected_shell_spawner -> parent_java_running_kafka
    assert "protected_shell_spawner" in info.macros
    assert "parent_java_running_kafka" in info.macros
    # list inside a list: protected_shell_spawning_binaries -> http_server_binaries
    assert "http_server_binaries" in info.lists
    assert "nginx" in info.lists["http_server_binaries"]
    # package_mgmt_binaries -> rpm_binaries, via macro run_by_package_mgmt_binaries
    assert "rpm_binaries" in info.lists
    # `container` is a macro, but `container.id` in a condition is a field, not a use of it
    assert "container" not in stock["Clear Log Activities"].macros
    assert "container" in stock["Terminal shell in container"].macros


def test_referenced_names_distinguishes_values_from_macros() -> None:
    macros, lists = referenced_names(
        "spawned_process and proc.name in (shell_binaries, bash) and proc.pname=node "
        "and not fd.name startswith shady and val(fd.other) = x and not (inner_macro) "
        'and proc.cmdline contains "quoted_macro"'
    )
    assert {"spawned_process", "inner_macro"} <= macros
    assert not {"node", "shady", "quoted_macro", "bash"} & macros
    assert {"shell_binaries", "bash"} <= lists


# --- override semantics --------------------------------------------------------------------

BASE = """
- required_engine_version: 0.57.0
- list: bins
  items: [cat, less]
- macro: reads
  condition: (evt.type = open and proc.name in (bins))
- rule: Demo
  desc: A demo rule
  condition: reads and fd.name = /etc/shadow
  output: demo file=%fd.name
  priority: WARNING
  tags: [maturity_stable, host, mitre_credential_access, T1555]
"""


def _load(tmp_path: Path, *texts: str) -> dict[str, RuleInfo]:
    paths = []
    for index, text in enumerate(texts):
        path = tmp_path / f"{index:02d}_rules.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return load_rule_files(paths)


def test_later_files_override_like_falco(tmp_path: Path) -> None:
    local = """
- list: bins
  items: [vim]
  override:
    items: append
- macro: reads
  condition: or proc.name = head
  append: true
- rule: Demo
  condition: and user.name != root
  output: user=%user.name
  tags: [custom]
  override:
    condition: append
    output: append
    tags: append
- rule: Demo
  priority: critical
  enabled: false
  override:
    priority: replace
    enabled: replace
"""
    info = _load(tmp_path, BASE, local)["Demo"]
    assert info.condition == "reads and fd.name = /etc/shadow and user.name != root"
    assert info.output == "demo file=%fd.name user=%user.name"
    assert info.tags[-1] == "custom" and info.tags[0] == "maturity_stable"
    assert info.priority == "critical"
    assert info.enabled is False
    assert info.file == "00_rules.yaml"  # where it was defined, not where it was tuned
    assert info.lists["bins"] == ("cat", "less", "vim")
    assert info.macros["reads"] == "(evt.type = open and proc.name in (bins)) or proc.name = head"


def test_redefinition_replaces_and_enabled_toggle(tmp_path: Path) -> None:
    redefine = """
- rule: Demo
  desc: Replaced
  condition: evt.type = execve
  output: replaced
  priority: NOTICE
  source: syscall
- macro: reads
  condition: never_used
  override:
    condition: replace
- rule: Demo
  enabled: false
"""
    info = _load(tmp_path, BASE, redefine)["Demo"]
    assert (info.description, info.condition, info.priority) == (
        "Replaced",
        "evt.type = execve",
        "NOTICE",
    )
    assert info.tags == () and info.maturity is None
    assert info.enabled is False
    assert info.macros == {}  # the new condition no longer uses `reads`


def test_exceptions_are_read_and_merged(tmp_path: Path) -> None:
    text = """
- rule: Demo
  exceptions:
    - name: known_readers
      fields: [proc.name, fd.name]
      comps: [=, =]
      values:
        - [cat, /etc/shadow]
  override:
    exceptions: append
- rule: Demo
  exceptions:
    - name: known_readers
      values:
        - [less, /etc/shadow]
    - name: second
      fields: proc.name
      comps: in
      values: [bins]
  append: true
"""
    info = _load(tmp_path, BASE, text)["Demo"]
    assert info.exceptions == ("known_readers", "second")


def test_multiple_documents_and_null_items(tmp_path: Path) -> None:
    text = BASE + "\n-\n---\n- rule: Second\n  desc: d\n  condition: reads\n  output: o\n"
    text += "  priority: info\n---\n"
    rules = _load(tmp_path, text)
    assert set(rules) == {"Demo", "Second"}
    assert rules["Second"].macros == {"reads": "(evt.type = open and proc.name in (bins))"}


def test_unknown_item_kinds_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="generator.knowledge.rules"):
        rules = _load(tmp_path, BASE + "- exception: something\n  items: []\n")
    assert set(rules) == {"Demo"}
    assert "unknown top-level item" in caplog.text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("- rule: X\n  desc: [unclosed\n", "invalid YAML"),
        ("rule: X\n", "not a YAML sequence"),
        ("- just a string\n", "expected a mapping"),
        ("- rule: X\n  desc: d\n  output: o\n  priority: WARNING\n", "missing required key"),
        ("- rule: X\n  desc: d\n  condition: c\n  output: o\n  priority: LOUD\n", "priority"),
        ("- rule: Nope\n  condition: and x\n  append: true\n", "load order"),
        ("- list: nope\n  items: [a]\n  append: true\n", "load order"),
        ("- macro: nope\n  condition: x\n  override:\n    condition: append\n", "load order"),
        ("- macro: bad-name\n  condition: x\n", "identifiers"),
        ("- list: bins\n  items: cat\n", "sequence"),
        ("- rule: Demo\n  condition: x\n  override:\n    condition: merge\n", "invalid override"),
        ("- rule: Demo\n  priority: INFO\n  override:\n    priority: append\n", "cannot be appended"),
        ("- rule: Demo\n  override:\n    condition: append\n", "is not defined"),
        (
            "- rule: Demo\n  condition: x\n  output: y\n  override:\n    condition: append\n",
            "not named under 'override'",
        ),
        (
            "- rule: Demo\n  condition: x\n  append: true\n  override:\n    condition: append\n",
            "cannot be used together",
        ),
        ("- rule: Demo\n  tags: [x]\n", "must set 'enabled'"),
        ("- rule: Demo\n  enabled: maybe\n", "true or false"),
        ("- required_engine_version: banana\n", "required_engine_version"),
        ("- required_plugin_versions:\n    - name: container\n", "version"),
    ],
)
def test_malformed_files_raise_clear_errors(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(RuleFileError) as info:
        _load(tmp_path, BASE, text)
    assert info.value.path == tmp_path / "01_rules.yaml"
    assert reason in str(info.value)
    assert str(tmp_path / "01_rules.yaml") in str(info.value)


def test_error_names_the_line_and_item(tmp_path: Path) -> None:
    text = "- list: ok\n  items: [a]\n\n- rule: Broken\n  desc: d\n  condition: c\n  output: o\n"
    with pytest.raises(RuleFileError, match=r"line 4: rule 'Broken': missing required key"):
        _load(tmp_path, text)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="cannot read"):
        load_rule_files([tmp_path / "absent.yaml"])


def test_engine_version_forms_and_empty_files(tmp_path: Path) -> None:
    text = "- required_engine_version: 13\n- required_engine_version: '0.26.0'\n"
    assert _load(tmp_path, text, "", "# only a comment\n") == {}
