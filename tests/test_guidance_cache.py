"""The cached guidance render (what every alert page gets) equals a direct render, byte for byte.

`GuidanceProvider.markdown` renders each rule's guidance once with sentinels for the alert's
values and fills them in per alert; `render(provider.for_alert(alert))` fills the values first.
The module doc of pages/guidance.py promises the two are identical. They were not for rules
without a playbook: the generic guidance's own fields (`ka.verb`, `ka.target.resource`,
`aws.region`, `rule`, ...) were never filled on the cached path, and its conditions were tested
against sentinels (so `container.id: host` looked like a container).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.knowledge.playbooks import load_playbooks
from generator.pages.guidance import AlertGuidance, GuidanceProvider, _html_sections
from generator.pages.render import Renderer
from generator.read.models import FalcoAlert
from generator.synthetic.generate import generate

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted((ROOT / "rules").rglob("*.yaml"))
SAMPLES = Path(__file__).resolve().parent / "data" / "falco-samples" / "alerts"
SYMLINK = SAMPLES / "inno-devops-labs_F25-DevSecOps-Intro__16.json"


@pytest.fixture(scope="module")
def provider() -> GuidanceProvider:
    return GuidanceProvider.load(RULE_FILES, None)


@pytest.fixture(scope="module")
def render() -> Callable[[AlertGuidance], str]:
    renderer = Renderer()
    return lambda guidance: renderer.guidance(guidance, "../../rules/x/")


def _both(
    provider: GuidanceProvider, render: Callable[[AlertGuidance], str], alert: FalcoAlert
) -> tuple[str, str]:
    cached = str(provider.markdown(alert, render))
    direct = _html_sections(render(provider.for_alert(alert)))
    return cached, direct


def _alert(rule: str, source: str, fields: dict[str, Any], **extra: Any) -> FalcoAlert:
    raw = {
        "time": "2025-11-12T17:22:16.124905687Z",
        "rule": rule,
        "priority": "Warning",
        "output": "x",
        "source": source,
        "hostname": "node-1",
        "output_fields": fields,
        **extra,
    }
    return FalcoAlert.model_validate(raw)


def test_shipped_unknown_k8s_and_unknown_cloud_rules_render_identically(
    provider: GuidanceProvider, render: Callable[[AlertGuidance], str]
) -> None:
    shipped = FalcoAlert.model_validate(json.loads(SYMLINK.read_text(encoding="utf-8")))
    k8s = _alert(
        "My custom audit rule",
        "k8s_audit",
        {
            "ka.verb": "create",
            "ka.user.name": "system:serviceaccount:ci:deployer",
            "ka.target.resource": "clusterrolebindings",
            "ka.target.name": "backdoor",
            "ka.target.namespace": "kube-system",
        },
    )
    cloud = _alert("My custom cloud rule", "aws_cloudtrail", {"ct.user": "alice", "aws.region": "eu-west-1"})
    for alert in (shipped, k8s, cloud):
        cached, direct = _both(provider, render, alert)
        assert cached == direct, alert.rule

    k8s_page, _ = _both(provider, render, k8s)
    assert "Inspect the object the request touched" in k8s_page
    assert "Remove the object if it is not authorized" in k8s_page
    assert "kubectl delete --namespace&#61;kube-system -- clusterrolebindings backdoor" in k8s_page
    assert "My custom audit rule" in k8s_page  # the exception's `- rule:` line
    assert "fill them in" not in k8s_page
    cloud_page, _ = _both(provider, render, cloud)
    assert "--region&#61;eu-west-1" in cloud_page


def test_host_process_gets_no_container_commands_on_the_cached_path(
    provider: GuidanceProvider, render: Callable[[AlertGuidance], str]
) -> None:
    """Falco's `container.id: host` is not a container: no `docker inspect -- host`."""
    fields = {"container.id": "host", "proc.name": "nc", "proc.pid": 4242, "fd.name": "/etc/shadow"}
    host = _alert("My custom host rule", "syscall", fields, tags=["container", "process"])
    in_container = _alert(
        "My custom host rule",
        "syscall",
        {**fields, "container.id": "646b87798247"},
        tags=["container", "process"],
    )
    for alert in (in_container, host, in_container):  # the cache must keep the two apart
        cached, direct = _both(provider, render, alert)
        assert cached == direct
    host_page, _ = _both(provider, render, host)
    assert "docker inspect" not in host_page and "docker pause" not in host_page
    assert "kill -STOP 4242" in host_page
    container_page, _ = _both(provider, render, in_container)
    assert "docker inspect -- 646b87798247" in container_page


BOUNDARY: list[object] = [-1, 0, 1, 2**40, "", "abc", "host", "../../etc/shadow", "-rf", "1e3", " 42"]
TYPED = [
    "proc.pid",
    "fd.rport",
    "fd.lport",
    "container.id",
    "k8s.ns.name",
    "k8s.pod.name",
    "fd.name",
    "user.name",
]


def _many_alerts() -> list[FalcoAlert]:
    """Samples, synthetic alerts, the same under made-up rule names (generic guidance) and with
    boundary values in typed fields: one provider renders them all, so the cache is shared."""
    rng = random.Random(14)
    alerts = [
        FalcoAlert.model_validate(json.loads(p.read_text()))
        for p in sorted(SAMPLES.glob("*.json"))
        if p.name != "falcosecurity_falco-website__13.json"
    ]
    alerts += [FalcoAlert.model_validate(raw) for raw in generate(300, seed=3)]
    variants = []
    for alert in alerts:
        fields = dict(alert.output_fields)
        for name in rng.sample(TYPED, 3):
            fields[name] = rng.choice(BOUNDARY)
        variants.append(alert.model_copy(update={"output_fields": fields}))
        if rng.random() < 0.4:
            variants.append(alert.model_copy(update={"rule": "Custom " + alert.rule}))
            variants.append(
                alert.model_copy(update={"rule": "Custom " + alert.rule, "output_fields": fields})
            )
    mixed = alerts + variants
    rng.shuffle(mixed)
    return mixed


def test_cached_render_equals_direct_render_over_many_alerts(
    provider: GuidanceProvider, render: Callable[[AlertGuidance], str]
) -> None:
    alerts = _many_alerts()
    assert len(alerts) > 600
    different = []
    for alert in alerts:
        cached, direct = _both(provider, render, alert)
        if cached != direct:
            different.append(f"{alert.rule}: {json.dumps(alert.output_fields, default=str)[:300]}")
    assert not different, f"{len(different)} of {len(alerts)} differ:\n" + "\n".join(different[:10])
    assert set(load_playbooks()) & {a.rule for a in alerts}  # shipped playbooks were exercised


def test_a_withheld_value_is_shown_escaped_on_both_paths(
    provider: GuidanceProvider, render: Callable[[AlertGuidance], str]
) -> None:
    """A value that fails its type is shown instead of the command, as inert text."""
    evil = "-1<script>alert(1)</script>`x`*y*"
    alert = _alert("My custom host rule", "syscall", {"container.id": "host", "proc.pid": evil})
    cached, direct = _both(provider, render, alert)
    assert cached == direct
    assert "<script>" not in cached and "kill -STOP" not in cached
    assert "No command is shown: this alert's <code>proc.pid</code> is <code>-1&#60;script&#62;" in cached
