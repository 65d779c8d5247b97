"""Deterministic generator of realistic synthetic Falco alerts.

Why this exists: public Falco alerts are few and hand-edited, yet the archive has to be measured on
10^5-10^6 alerts and the demo build needs enough variety that every aggregate page has several
entries. So we synthesise alerts the way Falco itself writes them: each rule's *real* ``output``
format (from falcosecurity/rules, trimmed into ``data/rules_summary.tsv``) is rendered with
exactly the values that land in ``output_fields``, so the message and the fields always agree.

Realism choices, each because the archive's grouping, sorting and escaping depend on it:

* rules and hosts are Zipf-distributed: a few noisy rules/hosts dominate, most form a long tail;
* alerts come in incidents (bursts of seconds to minutes), and inside a burst some alerts repeat
  exactly (same rule, host and command line), which is what deduplication has to collapse;
* values have Falco's types: 19-digit nanosecond ints (> 2^53, so a float parser corrupts them),
  ``null`` for absent values (rendered ``<NA>`` in the message), ``ka.response.code`` as a string;
* command lines are attacker-shaped: pipes, quotes, ``$(...)``, ``{{7*7}}``, ``<script>``.

What the alerts are made of (rules, scenarios, workloads, value pools) is data in ``data/``,
loaded and validated by ``scenarios.py``; this module is only the logic that combines it.

Determinism: one ``random.Random(seed)`` drives everything, no set or hash order is ever iterated,
and every table keeps its file order; the same arguments give the same alerts.
"""

from __future__ import annotations

import base64
import bisect
import operator
import random
import time as _time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from generator.synthetic.draw import (
    B58_ALPHABET,
    RS_ALPHABET,
    UPPER32_ALPHABET,
    between,
    hex_digits,
    pick,
    token,
    uuid4,
    zipf_cum,
)
from generator.synthetic.fields import (
    CT_ALWAYS,
    CT_SPECIAL,
    K8S_ALWAYS,
    K8S_SPECIAL,
    SYSCALL_SPECIAL,
    SYSCALL_STANDARD,
    app_of,
    check_coverage,
)
from generator.synthetic.scenarios import GENERIC_SCENARIO, Rule, Scenario, default_tables

Alert = dict[str, Any]

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
_NS = 1_000_000_000

# The shipped data, bound to module names once: the hot loop reads them millions of times.
_TABLES = default_tables()
RULES: tuple[Rule, ...] = _TABLES.rules
_SCENARIOS = _TABLES.scenarios
_RULE_SCENARIO = _TABLES.rule_scenario
_WORKLOADS = _TABLES.workloads
_EXEPATHS = _TABLES.executables.paths
_BUSYBOX = frozenset(_TABLES.executables.busybox)
_ATTACKER_IPS = _TABLES.values.attacker_ips
_ATTACKER_PORTS = _TABLES.values.attacker_ports
_TOOLS = _TABLES.values.tools
_DOCUMENTS = _TABLES.values.documents
_K8S_PLURALS = _TABLES.k8s.plurals
_K8S_CLUSTER_SCOPED = frozenset(_TABLES.k8s.cluster_scoped)
_K8S_GROUPS = _TABLES.k8s.api_groups
_RBAC_REASON = _TABLES.k8s.rbac_reason
_ANON_REASON = _TABLES.k8s.anonymous_reason
_K8S_AGENTS = _TABLES.k8s.user_agents
_CT_EVENT = _TABLES.cloudtrail.events
_CONSOLE_AGENT = _TABLES.cloudtrail.console_user_agent
_CT_AGENTS = _TABLES.cloudtrail.user_agents
_BUCKETS = _TABLES.cloudtrail.buckets

check_coverage(RULES)  # fail at import, not halfway through a million alerts


# --------------------------------------------------------------------------------------------
# The world: hosts, workloads, accounts
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Container:
    """One running workload on a node: a ``workloads.tsv`` row with its pod, ids and address."""

    ns: str | None
    pod: str | None
    cid: str
    cid64: str
    cname: str
    repo: str
    tag: str
    entry: str
    exe: str
    user: str
    uid: int
    role: str
    ip: str
    age_ns: int  # how long before an alert the container started
    alpine: bool = False  # busybox userland: most tools resolve to /bin/busybox


@dataclass(slots=True)
class Host:
    """A node (or a plugin's Falco pod) that alerts come from, with the containers it runs."""

    name: str
    iso: bool  # time_format_iso_8601 in this host's falco.yaml
    ip: str
    workloads: list[Container] = field(default_factory=list)


class _Substitutions(dict[str, str]):
    """Template substitutions, drawn on first use and then fixed, so that the command line
    and the file path of one event agree (``{rand}`` is the same string in both)."""

    __slots__ = ("g", "inc")

    def __init__(self, g: AlertGenerator, inc: Incident) -> None:
        super().__init__()
        self.g = g
        self.inc = inc

    def __missing__(self, key: str) -> str:
        value = self.g.sub_value(key, self.inc)
        self[key] = value
        return value


@dataclass(slots=True)
class Incident:
    """What stays fixed during one burst of alerts."""

    rule: Rule
    host: Host
    wl: Container | None = None
    scen: Scenario | None = None
    base: dict[str, Any] = field(default_factory=dict)
    special: tuple[str, ...] = ()
    quantum: int = 1


_PRIORITY_RANK_BIAS = {
    "Emergency": 0.9,
    "Alert": 0.75,
    "Critical": 0.35,
    "Error": 0.2,
    "Warning": 0.1,
    "Notice": 0.0,
    "Informational": 0.0,
    "Debug": 0.3,
}


class AlertGenerator:
    """All generator state; one instance per ``generate`` call, driven by a single RNG."""

    # Declared here for ``fields``, whose value makers read them (and which this module imports).
    rng: random.Random
    account: str

    def __init__(self, seed: int, hosts: int) -> None:
        rng = self.rng = random.Random(seed)
        # Noisy rules tend to be low-severity; bias the Zipf ranking so Emergency stays rare.
        order = sorted(
            range(len(RULES)),
            key=lambda i: rng.random() + _PRIORITY_RANK_BIAS[RULES[i].priority],
        )
        self.rules = [RULES[i] for i in order]
        self.rule_cum = zipf_cum(len(self.rules), 1.1)
        self.nodes = [self._make_host(i + 1) for i in range(hosts)]
        self.host_cum = zipf_cum(hosts, 1.0)
        self.k8s_host = Host(
            f"falco-k8saudit-{token(rng, 10, RS_ALPHABET)}-{token(rng, 5, RS_ALPHABET)}",
            False,
            "10.0.200.11",
        )
        self.ct_host = Host(
            f"falco-cloudtrail-{token(rng, 10, RS_ALPHABET)}-{token(rng, 5, RS_ALPHABET)}",
            False,
            "10.0.200.12",
        )
        self.account = f"{rng.randrange(10**11, 10**12)}"
        self.k8s_users = (
            "kubernetes-admin",
            "alice@acme.example",
            "bob@acme.example",
            "system:serviceaccount:argocd:argocd-application-controller",
            "system:serviceaccount:ci:deployer",
            "oidc:mallory@contractor.example",
            "system:serviceaccount:kube-system:replicaset-controller",
            f"system:node:{self.nodes[0].name}",
        )
        self.k8s_user_cum = zipf_cum(len(self.k8s_users), 1.2)
        self.k8s_wls = [w for h in self.nodes[:4] for w in h.workloads if w.ns and w.pod]
        self.ct_users = ("alice", "ci-terraform", "svc-backup", "bob", "mallory-temp")
        self.sso_role = f"AWSReservedSSO_AdministratorAccess_{hex_digits(rng, 16)}"

    # -- world ---------------------------------------------------------------------------

    def _make_host(self, i: int) -> Host:
        """Node ``i``: a seeded sample of the workloads (in table order), each with pod name and ids."""
        rng = self.rng
        host = Host(f"node-{i:02d}", rng.random() < 0.6, f"10.0.{16 + i // 200}.{10 + i % 200}")
        picks = rng.sample(range(len(_WORKLOADS)), between(rng, 4, 9))
        for j, idx in enumerate(sorted(picks)):
            row = _WORKLOADS[idx]
            kind, name = row.kind, row.name
            if kind == "deploy":
                pod = f"{name}-{token(rng, 10, RS_ALPHABET)}-{token(rng, 5, RS_ALPHABET)}"
            elif kind == "sts":
                pod = f"{name}-{between(rng, 0, 2)}"
            elif kind == "ds":
                pod = f"{name}-{token(rng, 5, RS_ALPHABET)}"
            else:
                pod = None
            cid64 = hex_digits(rng, 64)
            host.workloads.append(
                Container(
                    ns=row.namespace,
                    pod=pod,
                    cid=cid64[:12],
                    cid64=cid64,
                    cname=row.container,
                    repo=row.image,
                    tag=pick(rng, row.tags),
                    entry=row.entry,
                    exe=row.exe,
                    user=row.user,
                    uid=row.uid,
                    role=row.role,
                    ip=f"10.244.{i}.{2 + j * 7 + between(rng, 0, 6)}",
                    age_ns=int(rng.expovariate(1 / 86400.0) * _NS) + 5 * _NS,
                    alpine=row.alpine,
                )
            )
        return host

    # -- template values -----------------------------------------------------------------

    def sub_value(self, key: str, inc: Incident) -> str:
        """One random value for a ``{placeholder}`` in a scenario template."""
        rng = self.rng
        if key == "ip":
            return pick(rng, _ATTACKER_IPS)
        if key == "sshport":
            return str(pick(rng, (2222, 22222, 2022)))
        if key == "port":
            return str(pick(rng, _ATTACKER_PORTS))
        if key == "rand":
            return token(rng, between(rng, 5, 10))
        if key == "tool":
            return pick(rng, _TOOLS)
        if key == "pid":
            return str(between(rng, 1200, 4_194_000))
        if key == "n":
            return str(between(rng, 1, 40))
        if key == "b64":
            raw = rng.getrandbits(8 * between(rng, 18, 180)).to_bytes(180, "little")
            return base64.b64encode(raw.rstrip(b"\0") or b"\x01").decode()
        if key == "long":
            return "A" * between(rng, 200, 340) + "\\"
        if key == "wallet":
            return "4" + token(rng, 94, B58_ALPHABET)
        if key == "key":
            return "AAAAC3NzaC1lZDI1NTE5AAAA" + token(rng, 44, B58_ALPHABET)
        if key == "doc":
            return pick(rng, _DOCUMENTS)
        if key == "user":
            return pick(rng, ("backup", "deploy", "ubuntu", "svc-ci"))
        if key == "host":
            return inc.host.name
        if key == "entry":
            return inc.wl.entry if inc.wl else "/sbin/init"
        if key in ("ns", "pod"):
            pods = [(w.ns, w.pod) for w in inc.host.workloads if w.pod and w.ns]
            ns, pod = pick(rng, pods) if pods else ("default", "web-0")
            return ns if key == "ns" else pod
        raise KeyError(key)

    # -- incidents -----------------------------------------------------------------------

    def pick_rule(self) -> Rule:
        """A rule by Zipf rank: a few noisy rules dominate, the rest form a long tail."""
        return self.rules[bisect.bisect(self.rule_cum, self.rng.random() * self.rule_cum[-1])]

    def incident(self, rule: Rule) -> Incident:
        """Start a burst of ``rule``: who, where and which scenario stay fixed for all its events."""
        if rule.source == "k8s_audit":
            inc = Incident(rule, self.k8s_host, quantum=1000)  # audit stamps are microseconds
            inc.special = tuple(k for k in rule.keys if k not in K8S_ALWAYS)
            inc.base = self._k8s_base(inc)
            return inc
        if rule.source == "aws_cloudtrail":
            inc = Incident(rule, self.ct_host, quantum=_NS)  # CloudTrail eventTime is seconds
            inc.special = tuple(k for k in rule.keys if k not in CT_ALWAYS)
            inc.base = self._ct_base(inc)
            return inc
        rng = self.rng
        host = self.nodes[bisect.bisect(self.host_cum, rng.random() * self.host_cum[-1])]
        scen = _SCENARIOS[_RULE_SCENARIO.get(rule.name, GENERIC_SCENARIO)]
        where = scen.where
        if "container" not in rule.tags:
            where = "host"
        elif "host" not in rule.tags:
            where = "container"
        if where == "any":
            where = "host" if rng.random() < 0.25 else "container"
        wl = None
        if where == "container" and host.workloads:
            pool = [w for w in host.workloads if scen.role and w.role == scen.role]
            wl = pick(rng, pool or host.workloads)
        inc = Incident(rule, host, wl, scen)
        inc.special = tuple(k for k in rule.keys if k not in SYSCALL_STANDARD)
        inc.base = self._syscall_base(inc)
        return inc

    def _syscall_base(self, inc: Incident) -> dict[str, Any]:
        """Container identity and process ancestry: fixed for the whole incident."""
        rng, wl = self.rng, inc.wl
        assert inc.scen is not None
        pexe: str | None = None
        mode = pick(rng, inc.scen.parents)
        if wl is not None and mode == "ssh":
            mode = "shell"  # no sshd in a container: the same activity from an exec'd shell
        tty = 34816 + between(rng, 0, 8)
        a4: str | None = None
        if wl is None:
            if mode in ("exec", "shell", "ssh", "npm", "app"):
                if rng.random() < 0.5:
                    pname, pcmd, a2, a3, a4 = "bash", "-bash", "sudo", "bash", "sshd"
                    user, uid = "root", 0
                else:
                    pname, pcmd, a2, a3, a4 = "bash", "-bash", "sshd", "sshd", "systemd"
                    user, uid = "ubuntu", 1000
                loginuid = 1000
            else:  # cron, systemd, runtime
                pname, pcmd, a2, a3 = ("cron", "/usr/sbin/cron -f -P", "systemd", None)
                if mode == "systemd":
                    pname, pcmd, a2 = "systemd", "/sbin/init", None
                user, uid, loginuid, tty = "root", 0, -1, 0
            base: dict[str, Any] = {
                "container.id": "host",
                "container.name": "host",
                "container.image.repository": None,
                "container.image.tag": None,
                "k8s.ns.name": None,
                "k8s.pod.name": None,
            }
        else:
            user, uid, loginuid = wl.user, wl.uid, -1
            shim = "containerd-shim"
            if mode == "exec":
                pname, a2, a3 = "runc", shim, "systemd"
                pcmd = (
                    f"runc --root /run/containerd/runc/k8s.io --log /run/containerd/io.containerd."
                    f"runtime.v2.task/k8s.io/{wl.cid64}/log.json --log-format json exec --process "
                    f"/tmp/runc-process{between(rng, 10**8, 10**9)} --detach {wl.cid64}"
                )
                if rng.random() < 0.7:
                    user, uid = "root", 0
            elif mode == "shell":
                pname, pcmd = pick(rng, (("bash", "bash"), ("sh", "/bin/sh"), ("sh", "sh -i")))
                a2, a3, a4 = "runc", shim, "systemd"
                if rng.random() < 0.7:
                    user, uid = "root", 0
            elif mode == "npm":
                pname, pcmd, a2, a3, a4 = (
                    "sh",
                    "sh -c node scripts/postinstall.js",
                    "npm install",
                    ("sh"),
                    "runc",
                )
                tty = 0
            elif mode == "runtime":
                pname, a2, a3 = shim, "systemd", None
                pcmd = (
                    f"/usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id {wl.cid64} "
                    "-address /run/containerd/containerd.sock"
                )
                tty = 0
            else:  # app, cron, ssh, systemd inside a container: the workload's own process
                pname = wl.entry.split(" ", 1)[0].rsplit("/", 1)[-1].strip(":")[:15]
                pexe = wl.exe
                pcmd, a2, a3, tty = wl.entry, shim, "systemd", 0
            if mode in ("exec", "shell") and rng.random() < 0.3:
                tty = 0  # kubectl exec without -t
            base = {
                "container.id": wl.cid,
                "container.name": wl.cname,
                "container.image.repository": wl.repo,
                "container.image.tag": wl.tag,
                "k8s.ns.name": wl.ns,
                "k8s.pod.name": wl.pod,
            }
        base.update(
            {
                "proc.pname": pname,
                "proc.pcmdline": pcmd,
                "_pexe": pexe or _EXEPATHS.get(pname, f"/usr/bin/{pname}"),
                "proc.aname[2]": a2,
                "proc.aname[3]": a3,
                "proc.aname[4]": a4,
                "proc.ppid": between(rng, 900, 4_190_000),
                "proc.tty": tty,
                "user.name": user,
                "user.uid": uid,
                "user.loginuid": loginuid,
            }
        )
        return base

    # -- per-event contexts --------------------------------------------------------------

    def ctx_maker(self, inc: Incident) -> Callable[[Incident, int], dict[str, Any]]:
        """The function that makes fresh field values for one event of the incident at ``t``."""
        source = inc.rule.source
        if source == "syscall":
            return self.syscall_ctx
        return self.k8s_ctx if source == "k8s_audit" else self.ct_ctx

    def syscall_ctx(self, inc: Incident, t: int) -> dict[str, Any]:
        """One process event for a syscall incident (a 'variation' within the burst)."""
        rng = self.rng
        scen = inc.scen
        assert scen is not None
        subs = _Substitutions(self, inc)
        command = pick(rng, scen.cmds)
        cmd_t, file_t, p2_t = command.cmd, command.file, command.path2
        cmd = cmd_t.format_map(subs)[:400]
        first = cmd.split(" ", 1)[0]
        name = first.rsplit("/", 1)[-1].strip("-:")[:15] or first[:15]
        if inc.wl is not None and cmd == inc.wl.entry:
            exe = inc.wl.exe
        elif inc.wl is not None and inc.wl.alpine and name in _BUSYBOX:
            exe = "/bin/busybox"
        elif first.startswith("/"):
            exe = first
        elif first.startswith("./"):
            exe = f"/tmp/{name}"
        else:
            exe = _EXEPATHS.get(name, f"/usr/bin/{name}")
        evt = pick(rng, scen.evt)
        file = file_t.format_map(subs) if file_t else None
        ctx = dict(inc.base)
        ctx["evt.time"] = t
        ctx["proc.name"] = name
        ctx["proc.cmdline"] = cmd
        ctx["proc.exepath"] = exe
        ctx["proc.pid"] = between(rng, 1200, 4_194_000)
        ctx["evt.type"] = evt
        ctx["_path2"] = p2_t.format_map(subs) if p2_t else file
        ctx["_subs"] = subs
        if scen.net:
            ctx.update(self._connection(scen.net, inc, subs))
        else:
            ctx["fd.name"] = None if evt == "execve" else file
        for key in inc.special:
            ctx[key] = SYSCALL_SPECIAL[key](self, ctx, inc)
        return ctx

    def _connection(self, kind: str, inc: Incident, subs: _Substitutions) -> dict[str, Any]:
        """The socket fields of a network scenario (``net`` in scenarios.yaml) for one event."""
        rng = self.rng
        lip = inc.wl.ip if inc.wl else inc.host.ip
        lport = between(rng, 32768, 60999)
        proto = "tcp"
        if kind == "k8sapi":
            rip, rport = "10.96.0.1", 443
        elif kind == "imds":
            rip, rport = "169.254.169.254", 80
        elif kind == "udp":
            rip, rport, proto = subs["ip"], pick(rng, (53, 123, 1900, 5353, 9999)), "udp"
        elif kind == "ssh":
            rip, rport = subs["ip"], int(subs["sshport"])
        elif kind == "packet":
            return {
                "fd.name": "",
                "fd.lport": None,
                "fd.rport": None,
                "fd.type": "<NA>",
                "fd.l4proto": "<NA>",
                "fd.sip": None,
                "_args": f"fd={between(rng, 3, 12)}(<o>) domain=17(AF_PACKET) type=3 proto=3",
            }
        else:  # attacker or public
            rip, rport = subs["ip"], int(subs["port"])
        return {
            "fd.name": f"{lip}:{lport}->{rip}:{rport}",
            "fd.lport": lport,
            "fd.rport": rport,
            "fd.type": "ipv4",
            "fd.l4proto": proto,
            "fd.sip": rip,
            "_args": f"fd={between(rng, 3, 40)}(<4t>{lip}:{lport}->{rip}:{rport}) res=0",
        }

    # -- Kubernetes audit ----------------------------------------------------------------

    def _k8s_base(self, inc: Incident) -> dict[str, Any]:
        """Who does what in a k8s audit incident: one actor, one verb on one kind of object."""
        rng, name = self.rng, inc.rule.name
        user = self.k8s_users[bisect.bisect(self.k8s_user_cum, rng.random() * self.k8s_user_cum[-1])]
        verb, resource, sub, code = "get", "pods", None, "200"
        ns: str | None = None
        if name.startswith("K8s ") or name == "Create Disallowed Namespace":
            words = name.split()
            verb = "delete" if "Deleted" in words else ("get" if "Get" in words else "create")
            code = "201" if verb == "create" else "200"
            noun = words[1].lower() if name.startswith("K8s ") else "namespace"
            resource = _K8S_PLURALS.get(noun, noun + "s")
            if "Unsuccessfully" in words:
                code = "403"
        elif "Pod" in name and name.startswith(("Create", "Pod Created")):
            verb, resource, code = "create", "pods", "201"
        elif name == "Create NodePort Service":
            verb, resource, code = "create", "services", "201"
        elif name.startswith("Create/Modify Configmap"):
            verb, resource = pick(rng, ("create", "update", "patch")), "configmaps"
        elif name == "Anonymous Request Allowed":
            user, resource = "system:anonymous", "namespaces"
        elif name == "Attach/Exec Pod":
            verb, sub, code = "create", pick(rng, ("exec", "exec", "attach")), "101"
        elif name == "port-forward":
            verb, sub, code = "create", "portforward", "101"
        elif name == "EphemeralContainers Created":
            verb, sub = "patch", "ephemeralcontainers"
        elif name == "Service Account Created in Kube Namespace":
            verb, resource, code = "create", "serviceaccounts", "201"
        elif name.startswith("System ClusterRole"):
            verb, resource = pick(rng, ("update", "patch", "delete")), "clusterroles"
        elif "cluster-admin" in name.lower():
            verb, resource, code = "create", "clusterrolebindings", "201"
        elif name.startswith("ClusterRole With"):
            verb, resource, code = "create", pick(rng, ("clusterroles", "roles")), "201"
        elif name == "Ingress Object without TLS Certificate Created":
            verb, resource, code = "create", "ingresses", "201"
        elif name.startswith("Untrusted Node"):
            verb, resource = "create", "nodes"
            code = "403" if "Unsuccessfully" in name else "201"
            user = f"system:node:ip-10-0-{between(rng, 1, 254)}-{between(rng, 1, 254)}.ec2.internal"
        else:  # Disallowed K8s User, Full K8s Administrative Access, All K8s Audit Events
            verb = pick(rng, ("get", "list", "patch", "update", "delete", "create"))
            resource = pick(rng, ("pods", "secrets", "deployments", "configmaps", "events"))
            code = pick(rng, ("200", "200", "200", "403", "404"))
        if name in ("Pod Created in Kube Namespace", "Service Account Created in Kube Namespace"):
            ns = "kube-system"
        allowed = code not in ("401", "403")
        return {
            "ka.user.name": user,
            "ka.verb": verb,
            "ka.target.resource": resource,
            "ka.target.subresource": sub,
            "ka.response.code": code,
            "ka.response.reason": None if allowed else "Forbidden",
            "ka.auth.decision": "allow" if allowed else "forbid",
            "ka.auth.reason": (_ANON_REASON if user == "system:anonymous" else _RBAC_REASON)
            if allowed
            else "",
            "ka.sourceips": f"(10.0.{between(rng, 0, 3)}.{between(rng, 2, 250)})",
            "ka.useragent": pick(rng, _K8S_AGENTS),
            "_ns": ns,
            "_cluster": resource in _K8S_CLUSTER_SCOPED,
        }

    def k8s_ctx(self, inc: Incident, t: int) -> dict[str, Any]:
        """One audit event of the incident: a (possibly new) target object and request id."""
        rng = self.rng
        ctx = dict(inc.base)
        ctx["evt.time"] = t
        wl = pick(rng, self.k8s_wls) if self.k8s_wls else None
        ns = ctx["_ns"] or (wl.ns if wl else "default")
        resource, verb, sub = ctx["ka.target.resource"], ctx["ka.verb"], ctx["ka.target.subresource"]
        tname: str | None
        if resource == "pods":
            # A created pod gets its name from generateName: only the response knows it.
            tname = None if verb == "create" and sub is None else (wl.pod if wl else "web-0")
        elif resource == "namespaces" and verb != "get":
            tname = pick(rng, ("tmp-" + token(rng, 5), "crypto", "attacker-ns", "qa-review"))
        elif resource == "namespaces":
            tname = ns
        else:
            tname = self._k8s_name(resource, wl)
        if inc.rule.name.startswith("System ClusterRole"):
            tname = pick(rng, ("system:controller:daemon-set-controller", "system:node"))
        cluster = ctx["_cluster"]
        uri = _K8S_GROUPS.get(resource, "/api/v1")
        uri += ("" if cluster else f"/namespaces/{ns}") + f"/{resource}"
        if verb != "create" or sub:
            uri += f"/{tname}"
        cmd = None
        if sub:
            uri += f"/{sub}"
            if sub == "exec":
                cmd = pick(rng, ("sh", "bash", "cat", "env"))
                cname = wl.cname if wl else "app"
                uri += f"?command={cmd}&container={cname}&stdin=true&stdout=true&tty=true"
        elif verb == "create" and rng.random() < 0.5:
            uri += "?fieldManager=kubectl-client-side-apply&fieldValidation=Strict"
        ctx["ka.auditid"] = uuid4(rng)
        ctx["ka.uri"] = uri
        ctx["ka.target.namespace"] = None if cluster else ns
        ctx["ka.target.name"] = tname
        ctx["ka.uri.param[command]"] = cmd
        ctx["_wl"] = wl
        for key in inc.special:
            ctx[key] = K8S_SPECIAL[key](self, ctx, inc)
        return ctx

    def _k8s_name(self, resource: str, wl: Container | None) -> str:
        """A plausible object name for ``resource``, derived from the app the pod belongs to."""
        rng = self.rng
        app = app_of(wl)
        if resource == "secrets":
            return pick(rng, (f"{app}-db-credentials", f"sh.helm.release.v1.{app}.v12", "regcred"))
        if resource == "configmaps":
            return pick(rng, (f"{app}-config", "kube-root-ca.crt", "aws-auth"))
        if resource == "serviceaccounts":
            return pick(rng, ("deployer", "default", f"{app}-sa"))
        if resource in ("deployments", "services", "ingresses"):
            return pick(rng, (app, f"{app}-canary", f"{app}-public"))
        if resource == "roles":
            return pick(rng, ("pod-exec", "ns-editor"))
        if resource == "clusterroles":
            return pick(rng, ("cluster-admin-lite", "pod-reader-all", "ci-deployer"))
        if resource == "rolebindings":
            return pick(rng, (f"{app}-editors", "pod-exec-binding"))
        if resource == "clusterrolebindings":
            return pick(rng, ("pwn-" + token(rng, 5), "ci-deployer-admin"))
        if resource == "nodes":
            return f"ip-10-0-{between(rng, 1, 254)}-{between(rng, 1, 254)}.ec2.internal"
        if resource == "events":
            return f"{app}.18051c0a8871{hex_digits(rng, 4)}"
        return app

    # -- CloudTrail ----------------------------------------------------------------------

    def _ct_base(self, inc: Incident) -> dict[str, Any]:
        """One identity, source address and region per CloudTrail incident."""
        rng, name = self.rng, inc.rule.name
        event = _CT_EVENT.get(name, "ConsoleLogin")
        if "root" in name.lower():
            identity, user = "Root", "root"
            arn, principal = f"arn:aws:iam::{self.account}:root", self.account
        elif "Assume Role" in name or rng.random() < 0.4:
            who = pick(rng, ("alice", "bob"))
            identity, user = "AssumedRole", f"{self.sso_role}/{who}@acme.example"
            arn = f"arn:aws:sts::{self.account}:assumed-role/{user}"
            principal = f"AROA{token(rng, 17, UPPER32_ALPHABET)}:{who}@acme.example"
        else:
            identity, user = "IAMUser", pick(rng, self.ct_users)
            arn = f"arn:aws:iam::{self.account}:user/{user}"
            principal = f"AIDA{token(rng, 17, UPPER32_ALPHABET)}"
        region = pick(rng, ("us-east-1", "us-east-1", "eu-west-1", "eu-central-1", "us-west-2"))
        if name == "Run Instances in Non-approved Region":
            region = pick(rng, ("ap-east-1", "me-south-1", "sa-east-1"))
        agent = _CONSOLE_AGENT if event == "ConsoleLogin" else pick(rng, _CT_AGENTS).replace("{event}", event)
        return {
            "ct.name": event,
            "ct.user": user,
            "ct.user.arn": arn,
            "ct.user.principalid": principal,
            "ct.user.accountid": self.account,
            "ct.user.identitytype": identity,
            "ct.srcip": pick(rng, (*_ATTACKER_IPS, "198.51.100.10", "198.51.100.10")),
            "ct.region": region,
            "ct.useragent": agent,
        }

    def ct_ctx(self, inc: Incident, t: int) -> dict[str, Any]:
        """One CloudTrail event of the incident: a new event id and request parameters."""
        ctx = dict(inc.base)
        ctx["evt.time"] = t
        ctx["ct.id"] = uuid4(self.rng)
        ctx["_bucket"] = pick(self.rng, _BUCKETS)
        for key in inc.special:
            ctx[key] = CT_SPECIAL[key](self, ctx, inc)
        return ctx


# Fields whose values must be refreshed per event even in an exact repeat.
_EVENT_IDS = {"k8s_audit": "ka.auditid", "aws_cloudtrail": "ct.id"}
# Fields computed from evt.time, refreshed for repeats too.
_TIME_DERIVED = ("container.start_ts", "proc.exe_ino.ctime", "proc.exe_ino.mtime")


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def generate(
    count: int,
    seed: int = 0,
    start: datetime = DEFAULT_START,
    days: int = 7,
    hosts: int = 20,
) -> Iterator[Alert]:
    """Yield ``count`` Falco alerts (json_output shape) in increasing ``time`` order.

    The same arguments always produce the same alerts, so benchmark inputs need not be committed.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    if hosts < 1:
        raise ValueError(f"hosts must be >= 1, got {hosts}")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware (UTC)")
    start_ns = int(start.timestamp()) * _NS + start.microsecond * 1000
    return _run(AlertGenerator(seed, hosts), count, start_ns, days * 86400 * _NS)


def _run(g: AlertGenerator, count: int, start_ns: int, span_ns: int) -> Iterator[Alert]:
    """The hot loop: incidents in time order, each a burst of fresh or repeated events."""
    rng = g.rng
    rnd = rng.random
    sizes: list[int] = []
    total = 0
    while total < count:
        k = 1 if rnd() < 0.45 else min(60, 2 + int(rng.expovariate(0.22)))
        k = min(k, count - total)
        sizes.append(k)
        total += k
    n = len(sizes)
    offsets = sorted(rnd() for _ in range(n))
    last = start_ns - 1
    cur_s, iso, hms = -1, "", ""
    strftime, gmtime = _time.strftime, _time.gmtime
    for i, k in enumerate(sizes):
        t0 = start_ns + int(offsets[i] * span_ns)
        t_next = start_ns + int(offsets[i + 1] * span_ns) if i + 1 < n else start_ns + span_ns
        rule = g.pick_rule()
        inc = g.incident(rule)
        make = g.ctx_maker(inc)
        get_keys, get_shown = _getters(rule)
        keys, fmt_pos, q = rule.keys, rule.fmt_pos, inc.quantum
        prio, name, source, tags = rule.priority, rule.name, rule.source, rule.tags
        host, use_iso = inc.host.name, inc.host.iso
        id_key = _EVENT_IDS.get(source)
        time_derived = [key for key in _TIME_DERIVED if key in inc.special]
        # Burst timing: rapid-fire (event-generator), seconds, or a slow manual session.
        mean = pick(rng, (0.05, 1.5, 1.5, 12.0, 45.0)) * _NS
        gaps = [int(rng.expovariate(1.0) * mean) + 1 for _ in range(k - 1)]
        budget = int((t_next - t0) * 0.8)
        spent = sum(gaps)
        if spent > budget:  # squeeze the burst in before the next incident starts
            gaps = [max(1, gap * budget // spent) for gap in gaps]
        p_repeat = pick(rng, (0.0, 0.0, 0.2, 0.5))
        t = t0
        ctx: dict[str, Any] | None = None
        fields: dict[str, Any] = {}
        body = ""
        for j in range(k):
            if j:
                t += gaps[j - 1]
            if t <= last:
                t = last + 1
            if q != 1:
                t = -(-t // q) * q
            last = t
            if ctx is None or rnd() >= p_repeat:
                ctx = make(inc, t)
                fields = dict(zip(keys, get_keys(ctx), strict=True))
                shown = get_shown(ctx)
                if None in shown:
                    shown = tuple(["<NA>" if v is None else v for v in shown])
                body = fmt_pos % shown
            else:  # an exact repeat: same process/actor, only time and event ids move
                fields = dict(fields)
                fields["evt.time"] = t
                if id_key:
                    fields[id_key] = uuid4(rng)
                if time_derived:
                    timed = {**ctx, "evt.time": t}
                    for key in time_derived:
                        fields[key] = SYSCALL_SPECIAL[key](g, timed, inc)
            s, frac = divmod(t, _NS)
            if s != cur_s:
                cur_s = s
                iso = strftime("%Y-%m-%dT%H:%M:%S", gmtime(s))
                hms = iso[11:]
            stamp = f"{iso}.{frac:09d}"
            head = stamp + "+0000" if use_iso else f"{hms}.{frac:09d}"
            output = f"{head}: {prio} {body}"
            if rnd() < 0.3:
                # Forwarded by falcosidekick: its Go struct field order, with a uuid first.
                yield {
                    "uuid": uuid4(rng),
                    "output": output,
                    "priority": prio,
                    "rule": name,
                    "time": stamp + "Z",
                    "output_fields": fields,
                    "source": source,
                    "tags": list(tags),
                    "hostname": host,
                }
            else:  # Falco's own json_output: keys in alphabetical order
                yield {
                    "hostname": host,
                    "output": output,
                    "output_fields": fields,
                    "priority": prio,
                    "rule": name,
                    "source": source,
                    "tags": list(tags),
                    "time": stamp + "Z",
                }


_GETTERS: dict[str, tuple[Callable[[dict[str, Any]], tuple[Any, ...]], ...]] = {}


def _getters(rule: Rule) -> tuple[Callable[[dict[str, Any]], tuple[Any, ...]], ...]:
    """C-speed extractors for a rule's output_fields values and its message values."""
    got = _GETTERS.get(rule.name)
    if got is None:

        def getter(keys: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
            if len(keys) == 1:
                (only,) = keys
                return lambda ctx: (ctx[only],)
            return operator.itemgetter(*keys)

        got = _GETTERS[rule.name] = (getter(rule.keys), getter(rule.fmt_fields))
    return got
