"""The field-value policy: a value that fails its field's type never reaches a command.

`kill -STOP -1` signals every process the user may signal; `kill -STOP 0` the process group,
`kill -STOP 1` init. An alert carries whatever the attacker made it carry, so every playbook and
the generic guidance are rendered with boundary values in each typed field, and no step whose
command uses that field may print a command (it says why and shows the value instead).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from generator.knowledge import values as policy
from generator.knowledge.generic import generic_data
from generator.knowledge.playbooks import (
    EXEC_FORMS,
    Guidance,
    GuidanceStep,
    PlaybookStep,
    guidance_for,
    load_playbooks,
    placeholders,
)

BOUNDARY: list[object] = [
    -1,
    0,
    1,
    2**63,
    4_194_305,
    "",
    "abc",
    "host",
    "-1",
    "1 2",
    "../etc/x",
    "--help",
    "1e3",
]
GOOD: dict[str, object] = {
    "proc.pid": 4242,
    "proc.ppid": 4241,
    "fd.rport": 4444,
    "fd.lport": 8080,
    "fd.sport": 8080,
    "fd.rip": "203.0.113.7",
    "fd.sip": "10.0.0.5",
    "fd.lip": "10.0.0.6",
    "user.loginuid": 1000,
    "user.uid": 1000,
    "container.id": "646b87798247",
    "k8s.ns.name": "payments",
    "ka.target.namespace": "payments",
    "k8s.pod.name": "api-7d9f-x2",
    "user.name": "alice",
    "ct.region": "eu-west-1",
    "aws.region": "eu-west-1",
    "hostname": "node-1",
}


def good(name: str) -> object:
    kind = policy.field_type(name)
    if name in GOOD:
        return GOOD[name]
    if kind in (policy.PATH, policy.FD_NAME):
        return "/etc/shadow"
    if kind is policy.PID:
        return 4242
    return "value"


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("proc.pid", "4242", True),
        ("proc.pid", "2", True),
        ("proc.pid", "1", False),
        ("proc.pid", "0", False),
        ("proc.pid", "-1", False),
        ("proc.pid", "", False),
        ("proc.pid", "12a", False),
        ("proc.pid", "99999999999", False),
        ("proc.apid[2]", "-1", False),
        ("fd.rport", "65535", True),
        ("fd.rport", "65536", False),
        ("fd.lport", "0", False),
        ("fd.name", "/etc/shadow", True),
        ("fd.name", "etc/shadow", False),
        ("fd.name", "10.0.0.1:443->10.0.0.2:5555", True),  # a connection's fd.name
        ("fd.name", "pipe:[123]", False),
        ("container.id", "646b87798247", True),
        ("container.id", "a" * 64, True),
        ("container.id", "host", False),
        ("container.id", "646B87798247", False),
        ("container.id", "--privileged", False),
        ("k8s.ns.name", "kube-system", True),
        ("k8s.ns.name", "-n", False),
        ("k8s.ns.name", "a" * 64, False),
        ("k8s.pod.name", "api-7d9f.x2", True),
        ("k8s.pod.name", "Api", False),
        ("user.name", "alice", True),
        ("user.name", "-alice", False),
        ("fd.rip", "2001:db8::1", True),
        ("fd.rip", "10.0.0.300", False),
        ("user.loginuid", "0", True),
        ("user.loginuid", "-1", False),
        ("hostname", "node-01.example", True),
        ("hostname", "--kubeconfig=/tmp/x", False),
        ("proc.name", "-anything goes-", True),  # untyped: only quoted
    ],
)
def test_field_types(field: str, value: str, ok: bool) -> None:
    assert (policy.check(field, value) is None) is ok


def _typed_fields(run: str | None) -> set[str]:
    return {name for name in placeholders(run) if policy.field_type(name) is not None}


def _steps(guidance: Guidance) -> Iterator[GuidanceStep]:
    yield from (*guidance.investigate, *guidance.contain, *guidance.prevent)


def _cases() -> Iterator[tuple[str, str, set[str]]]:
    """(rule, source, typed fields in its commands) for every playbook and generic source."""
    for rule, playbook in sorted(load_playbooks().items()):
        fields = set().union(set(), *(_typed_fields(s.run) for s in playbook.steps()))
        if fields:
            yield rule, playbook.source, fields
    data = generic_data()
    fields = {f for f in data.fields() if policy.field_type(f) is not None}
    fields.update(f for form in EXEC_FORMS for f in placeholders(form))
    for source in ("syscall", "k8s_audit", "aws_cloudtrail"):
        yield f"No playbook ({source})", source, fields


class _Markers(dict[str, str]):
    """Fill text per field that names the field, so a command shows which values it holds."""

    def __missing__(self, name: str) -> str:
        return f"@{name}@"


@pytest.mark.parametrize("value", BOUNDARY, ids=repr)
def test_no_command_receives_a_value_that_fails_its_type(value: object) -> None:
    """Every playbook and the generic guidance, each typed field set to a boundary value (the
    others valid): decisions are taken on the real values, the filled text names the field, so
    a command holding the bad value is seen whatever it looks like."""
    playbooks = load_playbooks()
    tags = ("container", "network", "process", "users", "mitre_execution", "mitre_credential_access")
    commands = withheld = 0
    for rule, source, fields in _cases():
        for field in sorted(fields):
            values: dict[str, object] = {name: good(name) for name in fields}
            values.update({"rule": rule, "source": source, "ka.verb": "create", field: value})
            missing = str(value).strip() == ""  # then the command shows '<field>' to fill in
            if not missing and policy.check(field, str(value)) is None:
                continue
            guidance = guidance_for(rule, source, tags, values, playbooks, None, _Markers())
            for step in _steps(guidance):
                for command in filter(None, (step.command, *step.inside)):
                    commands += 1
                    assert f"@{field}@" not in command, f"{rule}: {field}={value!r} reached: {command}"
                    if missing and f"<<{field}>>" in (step.command or ""):
                        raise AssertionError(command)  # pragma: no cover
                if any(name == field for name, _, _ in step.withheld):
                    withheld += 1
                    assert step.command is None and not step.inside
    assert commands > 500, commands
    assert withheld > 50 or value == "", withheld


@pytest.mark.parametrize("pid", [-1, 0, 1, "-1", "1", "", "abc", 2**40])
def test_kill_never_gets_a_process_group_init_or_every_process(pid: object) -> None:
    """The red-team reproduction of issue 12: `kill -STOP -1` on an outbound-connection rule."""
    playbooks = load_playbooks()
    fields = {"proc.pid": pid, "proc.name": "nc", "container.id": "host", "fd.rport": 4444}
    for rule in [*playbooks, "Custom outbound rule"]:
        guidance = guidance_for(rule, "syscall", ("network", "process"), fields, playbooks)
        for step in _steps(guidance):
            for command in filter(None, (step.command, *step.inside)):
                assert not re.search(r"\bkill\s+-\w+\s+'?(-1|0|1)'?(\s|$)", command), (rule, command)


def test_exec_forms_only_with_valid_ids() -> None:
    """`where: container` steps get `docker exec CID ...` etc. only for IDs that pass."""
    step = PlaybookStep(title="t", run="stat -- <<fd.name>>", where="container")
    from generator.knowledge.playbooks import _render_step

    full = _render_step(
        step,
        {
            "fd.name": "/etc/shadow",
            "container.id": "646b87798247",
            "k8s.ns.name": "ns",
            "k8s.pod.name": "p",
            "proc.pid": 77,
        },
    )
    assert full.inside == (
        "docker exec 646b87798247 stat -- /etc/shadow",
        "crictl exec 646b87798247 stat -- /etc/shadow",
        "kubectl exec --namespace=ns p -- stat -- /etc/shadow",
        "nsenter --target 77 --mount --pid -- stat -- /etc/shadow",
    )
    assert len(EXEC_FORMS) == 4
    host = _render_step(step, {"fd.name": "/etc/shadow", "container.id": "host", "proc.pid": 1})
    assert host.command == "stat -- /etc/shadow" and host.inside == ()
    relative = _render_step(step, {"fd.name": "etc/shadow", "container.id": "646b87798247"})
    assert relative.command is None and relative.inside == ()
    assert relative.withheld[0][:2] == ("fd.name", "etc/shadow")


def test_container_steps_must_be_simple_commands() -> None:
    with pytest.raises(ValueError, match="simple command"):
        PlaybookStep(title="t", run="ls -l -- <<fd.name>> | head", where="container")
    with pytest.raises(ValueError, match="simple command"):
        PlaybookStep(title="t", run="test -L <<fd.name>> && unlink -- <<fd.name>>", where="container")
    PlaybookStep(title="t", run="find /tmp -type l -exec ls -l {} \\;", where="container")
