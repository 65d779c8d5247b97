"""Guidance that runs: every read-only command the alert pages print is executed for real.

`bash -n` and shellcheck prove that a command parses, not that it works: `ls --time-style` is
valid bash and still fails in a BusyBox container, `find -lname` is a usage error there. So the
investigation commands of every shipped playbook and of the generic fallback are filled with
values from real sample alerts (tests/data/falco-samples), synthetic alerts and hostile
values, and executed:

* in a throw-away sandbox: cwd and HOME are temporary folders, no network (`unshare -n`), a
  timeout per command;
* under the GNU userland of this machine (coreutils, findutils, procps), and, for steps meant
  inside a container, also under BusyBox (its applets symlinked into a temporary folder that is
  the whole PATH);
* cluster and cloud clients (kubectl, docker, crictl, aws, ...) are always stubs that record
  their arguments, checked for syntax afterwards; other host tools missing on this machine
  (auditd's ausearch, rpm, ...) are stubs too, recorded, and must be on a list of real tools.

A usage error (unknown option or predicate, missing applet, jq compile error, ...) fails the
test; "No such file" for the alert's own path does not. Commands that change state (contain and
prevent steps, and the exec wrappers) are never run: they get `bash -n`, shellcheck and a dry
check of their long options against the tool's `--help`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.knowledge.playbooks import Guidance, Playbook, guidance_for, load_playbooks
from generator.knowledge.rules import RuleInfo, load_rule_files
from generator.pages.guidance import alert_values
from generator.read.models import FalcoAlert
from generator.synthetic.generate import generate

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "data" / "falco-samples" / "alerts"
RULE_FILES = sorted((ROOT / "rules").rglob("*.yaml"))
BUSYBOX = shutil.which("busybox")

# Always stubbed: they need a cluster, a daemon or cloud credentials (and must never reach one).
CLIENTS = ("kubectl", "docker", "crictl", "ctr", "nerdctl", "podman", "aws", "gcloud", "az", "helm")
# Real host tools the playbooks may name that a test machine may lack; stubbed when missing.
# A command word outside this list and not installed is a usage error (a typo, or a tool that
# does not exist), not something to stub.
HOST_TOOLS = frozenset(
    [
        "ausearch",
        "auditctl",
        "aureport",
        "bpftool",
        "crontab",
        "dnf",
        "getcap",
        "iptables",
        "journalctl",
        "kubeadm",
        "last",
        "lastlog",
        "lsmod",
        "lsof",
        "modinfo",
        "mysql",
        "nft",
        "psql",
        "pstree",
        "rpm",
        "runc",
        "sshd",
        "ss",
        "sudo",
        "sudoedit",
        "tcpdump",
        "visudo",
        "xz",
        "yum",
        "zgrep",
        "file",
        "ldd",
        "lsblk",
        "findmnt",
        "ip",
        "ipcs",
        "w",
        "top",
        "nsenter",
        "ssh-keygen",
        "dpkg",
        "jq",
        "getent",
        "systemctl",
        "ausearch",
        "apt-cache",
        "apt",
        "debsums",
        "rkhunter",
        "chkconfig",
        "semodule",
        "sestatus",
        "aa-status",
        "conntrack",
        "ethtool",
        "bridge",
        "tc",
        "unshare",
        "setcap",
        "strings",
        "xxd",
        "openssl",
        "gpg",
        "curl",
        "wget",
    ]
)
USAGE = re.compile(
    r"unrecognized option|invalid option|unknown option|illegal option|unknown predicate|"
    r"invalid predicate|paths must precede|option requires an argument|requires an argument|"
    r"missing argument|unknown flag|unknown shorthand|unknown command|applet not found|"
    r"command not found|: not found|syntax error|compile error|\busage:|unsupported option|"
    r"unsupported SysV|garbage option|unknown user-defined format|bad (?:state|filter)|"
    r"Try '[^']*--help'|invalid argument [`‘']|extra operand|unknown column",
    re.IGNORECASE,
)


def _no_network() -> list[str]:
    """`unshare --net` as root, else in a user namespace; [] when neither works here."""
    for argv in (["unshare", "--net"], ["unshare", "--map-root-user", "--net"]):
        if shutil.which("unshare") and not subprocess.run([*argv, "true"], check=False).returncode:
            return argv
    return []


NO_NETWORK = _no_network()
READER_VALUE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*):\?")
TIMEOUT = 8  # seconds per command; a timeout is recorded, not a failure (find / can be slow)
# Hostile values: options, substitutions and quotes. `touch PWNED` runs in the sandbox's cwd if
# any of them is ever interpreted by the shell instead of passed as one argument.
HOSTILE = "--help -n $(touch PWNED) `touch PWNED`;touch PWNED '\"|&"
HOSTILE_PATH = "/tmp/ x$(touch PWNED)`touch PWNED`;touch PWNED '\"--help"


# --- value sets -----------------------------------------------------------------------------


@functools.cache
def sample_alerts() -> tuple[FalcoAlert, ...]:
    found = []
    for path in sorted(SAMPLES.glob("*.json")):
        try:
            found.append(FalcoAlert.model_validate(json.loads(path.read_text(encoding="utf-8"))))
        except ValueError:
            continue  # the samples include a deliberately invalid time
    return tuple(found)


@functools.cache
def synthetic_alerts() -> tuple[FalcoAlert, ...]:
    return tuple(FalcoAlert.model_validate(raw) for raw in generate(3000, seed=1))


# Realistic values for fields no sample or synthetic alert has; a PID that exists (this test).
EXTRA: dict[str, object] = {
    "proc.pid": os.getpid(),
    "proc.ppid": os.getppid(),
    "fd.rport": 4444,
    "fd.lport": 8080,
    "fd.rip": "203.0.113.7",
    "fd.sip": "10.0.0.5",
    "user.loginuid": 0,
    "proc.tty": 34817,
    "evt.arg.linkpath": "/tmp/etc_link",
    "evt.arg.target": "/etc",
}


@functools.cache
def typical() -> dict[str, object]:
    """One realistic value per field: the first seen in the samples, then the synthetic ones."""
    table: dict[str, object] = {}
    for alert in (*sample_alerts(), *synthetic_alerts()):
        for key, value in alert_values(alert).items():
            if value not in (None, "", "<NA>") and key.strip() not in table:
                table[key.strip()] = value
    table.update(EXTRA)
    table["container.id"] = "646b87798247"
    return table


def hostile() -> dict[str, object]:
    from generator.knowledge.values import FD_NAME, PATH, field_type

    table: dict[str, object] = {}
    for key in typical():
        table[key] = HOSTILE_PATH if field_type(key) in (PATH, FD_NAME) else HOSTILE
    for key, value in typical().items():  # the typed ones keep working values (else withheld)
        kind = field_type(key)
        if kind is not None and kind not in (PATH, FD_NAME):
            table[key] = value
    for key in ("time", "priority", "source"):  # written by the archive, not taken from the alert
        table[key] = typical()[key]
    return table


@dataclass(frozen=True)
class Case:
    label: str
    rule: str
    source: str
    tags: tuple[str, ...]
    values: Mapping[str, object]


def playbook_cases(playbooks: Mapping[str, Playbook]) -> Iterator[Case]:
    """Per shipped playbook: its real sample alerts, one synthetic alert, typical and hostile."""
    for rule, playbook in sorted(playbooks.items()):
        real = [a for a in sample_alerts() if a.rule == rule]
        synth = [a for a in synthetic_alerts() if a.rule == rule][:1]
        for alert in [*real, *synth]:
            yield Case(f"alert:{rule}", rule, alert.source, alert.tags, alert_values(alert))
        base = {**typical(), "rule": rule, "source": playbook.source}
        yield Case(f"typical:{rule}", rule, playbook.source, (), base)
        yield Case(f"hostile:{rule}", rule, playbook.source, (), {**hostile(), "rule": rule})


def generic_cases() -> Iterator[Case]:
    """Rules without a playbook, one per kind of event source and context."""
    container = ("container", "network", "process", "filesystem", "users", "mitre_execution")
    base = typical()
    host = {**base, "container.id": "host"}
    no_pid = {k: v for k, v in base.items() if k != "proc.pid"}
    for label, values in (("typical", base), ("host", host), ("no-pid", no_pid), ("hostile", hostile())):
        yield Case(f"generic-syscall-{label}", "Custom syscall rule", "syscall", container, values)
        yield Case(f"generic-k8s-{label}", "Custom audit rule", "k8s_audit", ("k8s",), values)
        yield Case(f"generic-cloud-{label}", "Custom cloud rule", "aws_cloudtrail", (), values)
        yield Case(f"generic-internal-{label}", "Falco internal: custom", "internal", (), values)
    for alert in sample_alerts():
        yield Case(
            f"generic-sample:{alert.rule}",
            "Custom: " + alert.rule,
            alert.source,
            alert.tags,
            alert_values(alert),
        )


# --- collecting commands --------------------------------------------------------------------


@dataclass
class Command:
    text: str
    where: str | None
    origins: list[str]


def _guidance(case: Case, playbooks: Mapping[str, Playbook], rules: Mapping[str, RuleInfo]) -> Guidance:
    return guidance_for(case.rule, case.source, case.tags, case.values, playbooks, rules.get(case.rule))


@functools.cache
def collected() -> tuple[dict[tuple[str, str | None], Command], dict[str, Command], set[str]]:
    """(investigation commands by (text, where), state-changing commands, rules covered)."""
    playbooks = load_playbooks()
    rules = load_rule_files(RULE_FILES)
    investigate: dict[tuple[str, str | None], Command] = {}
    changing: dict[str, Command] = {}
    covered: set[str] = set()
    for case in [*playbook_cases(playbooks), *generic_cases()]:
        guidance = _guidance(case, playbooks, rules)
        for index, step in enumerate(guidance.investigate):
            if step.command is None:
                continue
            origin = f"{case.label} investigate[{index}] {step.title!r}"
            command = investigate.setdefault(
                (step.command, step.where), Command(step.command, step.where, [])
            )
            command.origins.append(origin)
            covered.add(case.rule)
            for wrapped in step.inside:
                changing.setdefault(wrapped, Command(wrapped, "host", [])).origins.append(
                    origin + " (exec form)"
                )
        for phase in ("contain", "prevent"):
            for index, step in enumerate(getattr(guidance, phase)):
                for text in filter(None, (step.command, *step.inside)):
                    origin = f"{case.label} {phase}[{index}] {step.title!r}"
                    changing.setdefault(text, Command(text, step.where, [])).origins.append(origin)
    return investigate, changing, covered


# --- the sandbox ----------------------------------------------------------------------------

STUB = """#!/bin/sh
# records its arguments (NUL-separated, one record per line) and does nothing else
{ printf '%s\\0' "$(basename "$0")" "$@"; printf '\\n'; } >> "$STUB_LOG"
exit 0
"""


@dataclass
class Sandbox:
    root: Path
    gnu_path: str
    busybox_path: str
    stub_log: Path
    stubbed_tools: set[str]

    def env(self, path: str) -> dict[str, str]:
        return {
            "PATH": path,
            "HOME": str(self.root / "home"),
            "LC_ALL": "C",
            "TERM": "dumb",
            "STUB_LOG": str(self.stub_log),
        }

    def run(self, command: str, busybox: bool) -> subprocess.CompletedProcess[str]:
        shell = [BUSYBOX or "busybox", "sh", "-c"] if busybox else ["bash", "-c"]
        path = self.busybox_path if busybox else self.gnu_path
        argv = [*NO_NETWORK, "--", "timeout", "-k", "2", str(TIMEOUT), *shell, command]
        # `${NAME:?why}` is a value the reader takes from an earlier step's output (a binding or
        # key ID): give it one, so the rest of the command is run and checked too.
        reader_values = dict.fromkeys(READER_VALUE.findall(command), "reader-value")
        return subprocess.run(
            argv,
            cwd=self.root / "cwd",
            env={**self.env(path), **reader_values},
            capture_output=True,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
            check=False,
        )


def _words(commands: list[str]) -> set[str]:
    found: set[str] = set()
    for text in commands:
        found.update(re.findall(r"(?<![\w./$=-])[a-z][a-z0-9+_.-]*(?![\w/=])", text))
    return found


def make_sandbox(root: Path, commands: list[str]) -> Sandbox:
    for name in ("cwd", "home", "stubs", "clients", "busybox"):
        (root / name).mkdir()
    stub_log = root / "stub.log"
    stub_log.touch()
    stubbed: set[str] = set()

    def stub(folder: Path, name: str) -> None:
        target = folder / name
        target.write_text(STUB)
        target.chmod(0o755)

    for name in CLIENTS:
        stub(root / "clients", name)
    system_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    for word in sorted(_words(commands) & HOST_TOOLS):
        if shutil.which(word, path=system_path) is None:
            stub(root / "stubs", word)
            stubbed.add(word)
    if BUSYBOX is not None:
        applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout
        for applet in applets.split():
            (root / "busybox" / applet).symlink_to(BUSYBOX)
    gnu = f"{root / 'clients'}:{system_path}:{root / 'stubs'}"
    return Sandbox(root, gnu, f"{root / 'clients'}:{root / 'busybox'}", stub_log, stubbed)


def usage_error(result: subprocess.CompletedProcess[str]) -> str | None:
    """Why a finished command counts as a usage error, or None."""
    if result.returncode in (124, 137):
        return None  # timed out: recorded by the caller
    if result.returncode == 127:
        return f"exit 127 (a command does not exist): {result.stderr.strip()[:300]}"
    match = USAGE.search(result.stderr)
    if match and match.group().lower() == "usage:" and "No such file or directory" in result.stderr:
        return None  # lsof prints its usage after "can't stat(PATH)": a missing file, not a misuse
    if match:
        return f"exit {result.returncode}, stderr says {match.group()!r}: {result.stderr.strip()[:300]}"
    return None


# --- checking the stubs' arguments ----------------------------------------------------------

KUBECTL_VERBS = frozenset(
    [
        "get",
        "describe",
        "logs",
        "auth",
        "exec",
        "top",
        "events",
        "api-resources",
        "explain",
        "version",
        "config",
        "cluster-info",
        "rollout",
        "label",
        "annotate",
        "cordon",
        "drain",
        "delete",
        "scale",
        "patch",
        "apply",
        "create",
        "debug",
    ]
)
DOCKER_COMMANDS = frozenset(
    [
        "inspect",
        "logs",
        "top",
        "diff",
        "ps",
        "exec",
        "pause",
        "stop",
        "kill",
        "rm",
        "image",
        "images",
        "history",
        "cp",
        "port",
        "stats",
        "events",
        "network",
        "volume",
        "container",
        "export",
        "commit",
        "save",
    ]
)
CRICTL_COMMANDS = frozenset(
    [
        "inspect",
        "inspectp",
        "inspecti",
        "ps",
        "pods",
        "logs",
        "exec",
        "stop",
        "stopp",
        "rm",
        "rmp",
        "images",
        "stats",
        "info",
    ]
)
_WORD = re.compile(r"[a-z0-9][a-z0-9-]*")


def stub_problems(record: list[str]) -> str | None:
    """Syntax of one recorded client call: a known subcommand, well-formed options."""
    tool, args = record[0], record[1:]
    if "--" in args:  # operands after the end of options may look like anything
        args = args[: args.index("--")]
    for arg in args:
        if arg.startswith("--") and not re.fullmatch(r"--([a-z0-9][a-z0-9-]*(=.*)?)?", arg, re.DOTALL):
            return f"malformed option {arg!r}"
    words = [a for a in args if not a.startswith("-")]
    if tool == "kubectl":
        if not KUBECTL_VERBS.intersection(words):
            return "no kubectl verb"
    elif tool == "docker":
        if not args or args[0] not in DOCKER_COMMANDS:
            return f"unknown docker command {args[:1]}"
    elif tool == "crictl":
        first = next((a for a in args if not a.startswith("-")), "")
        if first not in CRICTL_COMMANDS:
            return f"unknown crictl command {first!r}"
    elif tool == "aws" and (len(words) < 2 or not all(_WORD.fullmatch(w) for w in words[:2])):
        return "aws needs a service and an operation"
    return None


def read_stub_log(path: Path) -> list[list[str]]:
    records = []
    for line in path.read_bytes().split(b"\0\n"):
        if line.strip(b"\n"):
            records.append([p.decode(errors="replace") for p in line.lstrip(b"\n").split(b"\0")])
    return records


# --- the tests ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    if not NO_NETWORK:
        pytest.fail("needs `unshare --net` (as root, or with user namespaces) to run without network")
    if BUSYBOX is None:
        pytest.fail("busybox is required (Debian package 'busybox'; .ci/run installs it)")
    investigate, changing, _ = collected()
    texts = [c.text for c in investigate.values()] + list(changing)
    return make_sandbox(tmp_path_factory.mktemp("guidance-sandbox"), texts)


def test_investigation_commands_run_without_usage_errors(sandbox: Sandbox) -> None:
    investigate, _, covered = collected()
    jobs: list[tuple[Command, bool]] = []
    for command in investigate.values():
        jobs.append((command, False))
        if command.where == "container":
            jobs.append((command, True))
    with ThreadPoolExecutor(max_workers=min(16, (os.cpu_count() or 2) * 2)) as pool:
        results = list(pool.map(lambda job: sandbox.run(job[0].text, job[1]), jobs))

    failures, timeouts = [], []
    for (command, busybox), result in zip(jobs, results, strict=True):
        userland = "BusyBox" if busybox else "GNU"
        why = usage_error(result)
        if why:
            failures.append(f"[{userland}] {command.text}\n    {why}\n    from {command.origins[0]}")
        elif result.returncode in (124, 137):
            timeouts.append(command.text)
    assert not failures, f"{len(failures)} usage errors:\n" + "\n".join(failures)
    assert not list(sandbox.root.rglob("PWNED")), "a hostile value was executed by the shell"

    problems = [
        f"{record}: {why}" for record in read_stub_log(sandbox.stub_log) if (why := stub_problems(record))
    ]
    assert not problems, "client calls with bad syntax:\n" + "\n".join(problems)
    assert len(timeouts) <= len(jobs) // 20, f"too many commands timed out: {timeouts}"
    print(
        f"\nran {len(jobs)} commands ({len(investigate)} distinct investigation commands); "
        f"{len(timeouts)} timed out; stubbed missing tools: {sorted(sandbox.stubbed_tools)}"
    )

    # The rule pages of every upstream rule file show commands that ran: each rule of each file
    # that has a playbook (all of them, see test_playbooks) had its investigation commands run.
    playbooks = load_playbooks()
    for path in RULE_FILES:
        names = set(load_rule_files([path])) & set(playbooks)
        assert names, path.name
        assert not names - covered, f"{path.name}: never ran {sorted(names - covered)[:5]}"


def test_state_changing_commands_are_checked_but_never_run(sandbox: Sandbox) -> None:
    """bash -n, shellcheck -S error and every long option against the tool's --help."""
    _, changing, _ = collected()
    texts = sorted(changing)
    script = "\n".join(f"f{i}() {{\n{text}\n}}" for i, text in enumerate(texts))
    syntax = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, check=False)
    assert syntax.returncode == 0, syntax.stderr
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is required (Debian package 'shellcheck')")
    check = subprocess.run(
        ["shellcheck", "-s", "bash", "-S", "error", "-"],
        input="#!/usr/bin/env bash\n" + script,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout[:4000]

    problems = []
    for text in texts:
        for tool, options in long_options(text):
            helptext = help_of(tool, sandbox)
            if helptext is None:
                continue
            for option in options:
                if option not in helptext:
                    problems.append(f"{tool} {option}: not in `{tool} --help` ({text[:160]})")
    assert not problems, "\n".join(sorted(set(problems)))


WRAPPERS = frozenset(("xargs", "timeout", "nsenter", "env", "nice", "nohup", "sudo", "setsid"))


def long_options(text: str) -> Iterator[tuple[str, list[str]]]:
    """(tool, its long options) for each simple command of a command line."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return
    segment: list[str] = []
    for token in [*tokens, ";"]:
        if set(token) <= set("();<>|&"):
            words = [w for w in segment if not re.fullmatch(r"[A-Za-z_]\w*=.*", w, re.DOTALL)]
            if words and re.fullmatch(r"[a-z][a-z0-9+_.-]*", words[0]):
                options = []
                for word in words[1:]:
                    if word == "--" or (words[0] in WRAPPERS and not word.startswith("-")):
                        break  # end of options, or the command a wrapper runs (its own options)
                    if re.fullmatch(r"--[a-z][a-z0-9-]*(=.*)?", word, re.DOTALL):
                        options.append(word.split("=", 1)[0])
                if options:
                    yield words[0], options
            segment = []
        else:
            segment.append(token)


@functools.cache
def _help(tool: str, path: str) -> str | None:
    found = shutil.which(tool, path=path)
    if found is None:
        return None
    try:
        result = subprocess.run(
            [*NO_NETWORK, "--", found, "--help"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            env={"PATH": path, "LC_ALL": "C", "HOME": "/nonexistent"},
        )
    except subprocess.TimeoutExpired:
        return None
    text = result.stdout + result.stderr
    return text if "--" in text else None  # no long options documented: nothing to compare


def help_of(tool: str, sandbox: Sandbox) -> str | None:
    """`tool --help` of a real installed tool (None for stubs and shell builtins)."""
    if tool in CLIENTS or tool in sandbox.stubbed_tools or tool in ("kill", "test", "echo", "printf"):
        return None
    return _help(tool, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")


def test_the_harness_detects_usage_errors(sandbox: Sandbox) -> None:
    """The checks above must be able to fail: the issue's own examples are caught."""
    assert usage_error(sandbox.run("ls -l --time-style=full-iso -- /etc/hostname", busybox=True))
    assert usage_error(sandbox.run("find /tmp -lname '/etc*'", busybox=True))
    assert usage_error(sandbox.run("findmnt -t cgroup", busybox=True))
    assert usage_error(sandbox.run("find /tmp -frobnicate", busybox=False))
    assert usage_error(sandbox.run("jq '.a |' /dev/null", busybox=False))
    assert usage_error(sandbox.run("sha256sun -- /etc/hostname", busybox=False))
    assert usage_error(sandbox.run("stat -- /no/such/file", busybox=False)) is None
    assert sandbox.run('test "${BINDING:?set BINDING}" = reader-value', busybox=True).returncode == 0
    assert usage_error(sandbox.run("ls -l -- /no/such/file", busybox=True)) is None
    assert stub_problems(["docker", "inspekt", "abc"])
    assert stub_problems(["kubectl", "-n", "x", "gte", "pod"])
    assert next(long_options("ls --time-style=full-iso -- --not-an-option | grep -F -- x")) == (
        "ls",
        ["--time-style"],
    )


# One alert per upstream rule file (stable, incubating, sandbox, plugins): real samples where the
# samples have one, a synthetic alert for the incubating file (no sample is from it).
PAGE_ALERTS = {
    "falco_rules.yaml": ("sample", "inno-devops-labs_F25-DevSecOps-Intro__16.json"),
    "falco-incubating_rules.yaml": ("synthetic", "Read ssh information"),
    "falco-sandbox_rules.yaml": ("sample", "falcosecurity_falcosidekick__01.json"),
    "k8s_audit_rules.yaml": ("sample", "falcosecurity_falco-website__03.json"),
}
_PAGE_STEP = re.compile(
    r"<li>\s*<p><strong>(?P<title>.*?)</strong>(?: <small>\((?P<where>\w+)\)</small>)?</p>"
    r"(?P<body>.*?)</li>",
    re.DOTALL,
)
_PAGE_COMMAND = re.compile(r'<pre class="fa-cmd"><code>(.*?)</code></pre>', re.DOTALL)


def _page_alert(kind: str, name: str) -> FalcoAlert:
    if kind == "sample":
        return FalcoAlert.model_validate(json.loads((SAMPLES / name).read_text(encoding="utf-8")))
    return next(a for a in synthetic_alerts() if a.rule == name)


def test_alert_page_of_a_rule_from_each_upstream_file_shows_commands_that_run(
    sandbox: Sandbox,
) -> None:
    """The issue's "done when": the guidance section exactly as a page shows it (the cached
    render every alert page gets), for a rule of each upstream rule file, has investigation
    commands, and each runs without a usage error under GNU and, inside a container, BusyBox."""
    import html

    from generator.pages.guidance import GuidanceProvider
    from generator.pages.render import Renderer

    provider = GuidanceProvider.load(RULE_FILES, None)
    renderer = Renderer()
    assert {p.name for p in RULE_FILES} >= set(PAGE_ALERTS)
    failures, ran_busybox = [], 0
    for file_name, (kind, name) in PAGE_ALERTS.items():
        alert = _page_alert(kind, name)
        assert alert.rule in load_rule_files([ROOT / "rules" / file_name]), file_name
        page = str(provider.markdown(alert, lambda g: renderer.guidance(g, "../../rules/x/")))
        assert "Generic guidance" not in page, alert.rule  # the rule's own playbook is shown
        section = page[page.index("## Investigate") : page.index("## Contain")]
        steps = list(_PAGE_STEP.finditer(section))
        commands = [
            (html.unescape(found.group(1)), step.group("where"))
            for step in steps
            if (found := _PAGE_COMMAND.search(step.group("body")))
        ]
        assert len(commands) >= 2, f"{file_name}: {alert.rule} shows {len(commands)} commands"
        for command, where in commands:
            for busybox in (False, True) if where == "container" else (False,):
                ran_busybox += busybox
                why = usage_error(sandbox.run(command, busybox))
                if why:
                    userland = "BusyBox" if busybox else "GNU"
                    failures.append(f"{file_name} {alert.rule!r} [{userland}] {command}\n    {why}")
    assert not failures, "\n".join(failures)
    assert ran_busybox >= 3
    assert not list(sandbox.root.rglob("PWNED"))
