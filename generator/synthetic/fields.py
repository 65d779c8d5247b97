"""Values of the output fields that only some rules use, one small function per field.

Why a table of functions: a rule's output format names the fields it needs, and the generator
fills only those (``Incident.special``), so a rare rule costs nothing for the others. Each
function gets the generator (its RNG and account), the event's context so far and the incident,
and must consume the RNG exactly as before: the committed demo alerts depend on it.

``check_coverage`` runs when ``generate`` is imported: a rule in ``rules_summary.tsv`` that uses a
field nobody generates fails then, not halfway through a million alerts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeAlias

from generator.synthetic.draw import RS_ALPHABET, between, hex_digits, pick, token
from generator.synthetic.scenarios import DATA_DIR, Rule, ScenarioDataError, compact_json, default_tables

if TYPE_CHECKING:
    from generator.synthetic.generate import AlertGenerator, Container, Incident

#: A field's value maker: (generator, the event's context, the incident) -> value.
Special: TypeAlias = "Callable[[AlertGenerator, dict[str, Any], Incident], Any]"

_TABLES = default_tables()
_ATTACKER_IPS = _TABLES.values.attacker_ips
_CAPS = " ".join(_TABLES.values.capabilities)
_SUBJECTS = tuple(compact_json(s) for s in _TABLES.k8s.binding_subjects)
_ROLE_RULES = tuple(compact_json(r) for r in _TABLES.k8s.role_rules)
_VOLUMES = tuple(compact_json(v) for v in _TABLES.k8s.volumes)

# Fields every syscall context carries; anything else a rule uses comes from SYSCALL_SPECIAL.
SYSCALL_STANDARD = frozenset(
    re.findall(
        r"\S+",
        "container.id container.name container.image.repository container.image.tag k8s.ns.name "
        "k8s.pod.name proc.pname proc.pcmdline proc.aname[2] proc.aname[3] proc.aname[4] "
        "user.name user.uid user.loginuid proc.tty proc.ppid proc.name proc.cmdline proc.exepath "
        "proc.pid fd.name evt.type evt.time",
    )
)


def app_of(wl: Container | None) -> str:
    """The app owning a pod: ``web-7d9f4c8b5x-x2x9q`` -> ``web``, ``redis-0`` -> ``redis``."""
    if wl is None or not wl.pod:
        return "web"
    parts = wl.pod.split("-")
    if len(parts) > 2 and len(parts[-2]) == 10 and len(parts[-1]) == 5:
        return "-".join(parts[:-2])  # Deployment: <name>-<replicaset hash>-<suffix>
    return "-".join(parts[:-1])  # DaemonSet <name>-<suffix>, StatefulSet <name>-<ordinal>


# --------------------------------------------------------------------------------------------
# Kubernetes audit and CloudTrail
# --------------------------------------------------------------------------------------------


def _bucket_policy(g: AlertGenerator, ctx: dict[str, Any], inc: Incident) -> str:
    """A public-read bucket policy (what "Put Bucket Policy" is about) for the event's bucket."""
    statement = {
        "Sid": "PublicRead",
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{ctx['_bucket']}/*"],
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))


def _audit_obj(g: AlertGenerator, ctx: dict[str, Any], inc: Incident) -> str:
    """The whole audit event as JSON text, as ``%jevt.obj`` renders it."""
    event = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": ctx["ka.auditid"],
        "stage": "ResponseComplete",
        "requestURI": ctx["ka.uri"],
        "verb": ctx["ka.verb"],
        "user": {"username": ctx["ka.user.name"], "groups": ["system:authenticated"]},
        "sourceIPs": [ctx["ka.sourceips"][1:-1]],
        "userAgent": ctx["ka.useragent"],
        "objectRef": {
            "resource": ctx["ka.target.resource"],
            "namespace": ctx["ka.target.namespace"],
            "name": ctx["ka.target.name"],
        },
        "responseStatus": {"metadata": {}, "code": int(ctx["ka.response.code"])},
    }
    return json.dumps(event, separators=(",", ":"))


def _pod_images(g: AlertGenerator, ctx: dict[str, Any], inc: Incident) -> str:
    """The pod's images: a suspicious one for the disallowed/privileged rules, else the workload's."""
    if "Disallowed" in inc.rule.name or "Privileged" in inc.rule.name:
        return pick(g.rng, ("(docker.io/library/alpine:latest)", "(evil.example/miner:1.0)"))
    wl = ctx["_wl"]
    return f"({wl.repo}:{wl.tag})" if wl else "(nginx:latest)"


def _binding_subjects(g: AlertGenerator, ctx: dict[str, Any], inc: Incident) -> str:
    """Who a role is bound to; the anonymous-group rule needs the ``system:unauthenticated`` subject."""
    if inc.rule.name == "Cluster-admin Bound to Anonymous Group":
        return _SUBJECTS[1]
    return pick(g.rng, _SUBJECTS)


K8S_ALWAYS = frozenset(
    re.findall(
        r"\S+",
        "evt.time ka.auditid ka.user.name ka.verb ka.uri ka.target.resource ka.target.namespace "
        "ka.target.name ka.target.subresource ka.uri.param[command] ka.response.code "
        "ka.response.reason ka.auth.decision ka.auth.reason ka.sourceips ka.useragent",
    )
)
K8S_SPECIAL: dict[str, Special] = {
    "ka.resp.name": lambda g, c, i: (
        c["ka.target.name"]
        or f"{app_of(c['_wl'])}-{token(g.rng, 10, RS_ALPHABET)}-{token(g.rng, 5, RS_ALPHABET)}"
    ),
    "ka.req.pod.containers.image": _pod_images,
    "ka.req.pod.initContainers.image": lambda g, c, i: None,
    "ka.req.pod.ephemeralContainers.image": lambda g, c, i: None,
    "ka.req.service.ports": lambda g, c, i: (
        f'[{{"nodePort":{between(g.rng, 30000, 32767)},"port":80,"protocol":"TCP","targetPort":8080}}]'
    ),
    "ka.req.configmap.name": lambda g, c, i: c["ka.target.name"],
    "ka.req.role.rules": lambda g, c, i: pick(g.rng, _ROLE_RULES),
    "ka.req.binding.subjects": _binding_subjects,
    "ka.req.binding.role": lambda g, c, i: "cluster-admin",
    "jevt.value[/requestObject/spec/volumes]": lambda g, c, i: pick(g.rng, _VOLUMES),
    "jevt.value[/requestObject/ephemeralContainers/0/name]": lambda g, c, i: "debugger-" + token(g.rng, 5),
    "jevt.value[/requestObject/ephemeralContainers/0/image]": lambda g, c, i: pick(
        g.rng, ("busybox:1.36", "nicolaka/netshoot:v0.13", "docker.io/library/alpine:3.20")
    ),
    "jevt.obj": _audit_obj,
}
CT_ALWAYS = frozenset(
    re.findall(
        r"\S+",
        "evt.time ct.id ct.name ct.user ct.user.arn ct.user.principalid ct.user.accountid "
        "ct.user.identitytype ct.srcip ct.region ct.useragent",
    )
)
CT_SPECIAL: dict[str, Special] = {
    "ct.request.serialnumber": lambda g, c, i: f"arn:aws:iam::{g.account}:mfa/root-account-mfa-device",
    "ct.request.username": lambda g, c, i: pick(g.rng, ("backup-admin", "svc-" + token(g.rng, 6), "temp")),
    "ct.request.groupname": lambda g, c, i: pick(g.rng, ("Admins-2", "break-glass", "contractors")),
    "ct.request.cluster": lambda g, c, i: pick(g.rng, ("prod-ecs", "batch")),
    "ct.request.servicename": lambda g, c, i: pick(g.rng, ("api", "worker-" + token(g.rng, 4))),
    "ct.request.taskdefinition": lambda g, c, i: f"batch-worker:{between(g.rng, 3, 60)}",
    "ct.request.functionname": lambda g, c, i: pick(
        g.rng, ("thumbnailer", "billing-export", "slack-notifier")
    ),
    "ct.request.availabilityzone": lambda g, c, i: c["ct.region"] + pick(g.rng, "abc"),
    "ct.request.policy": _bucket_policy,
    "ct.request.name": lambda g, c, i: pick(
        g.rng,
        ("org-trail", f"arn:aws:cloudtrail:{c['ct.region']}:{g.account}:trail/management-events"),
    ),
    "ct.response.subnetid": lambda g, c, i: f"subnet-{hex_digits(g.rng, 17)}",
    "ct.response.reservationid": lambda g, c, i: f"r-{hex_digits(g.rng, 17)}",
    "json.value[/responseElements/instancesSet/items/0/instanceId]": lambda g, c, i: (
        "i-" + hex_digits(g.rng, 17)
    ),
    "s3.bucket": lambda g, c, i: c["_bucket"],
}


# --------------------------------------------------------------------------------------------
# Syscall fields that only some rules use
# --------------------------------------------------------------------------------------------


def _flags(g: AlertGenerator, ctx: dict[str, Any], inc: Incident) -> str:
    """``evt.arg.flags`` as Falco prints it for the event type (read rules open read-only)."""
    evt = ctx["evt.type"]
    if evt == "execve":
        return pick(
            g.rng, ("EXE_WRITABLE|EXE_LOWER_LAYER", "EXE_WRITABLE|EXE_UPPER_LAYER", "EXE_LOWER_LAYER")
        )
    if evt in ("open", "openat"):
        if "read" in inc.rule.name.lower():
            return "O_RDONLY|O_CLOEXEC"
        return "O_LARGEFILE|O_TRUNC|O_CREAT|O_WRONLY|O_F_CREATED|FD_UPPER_LAYER"
    return "0"


def _traversal(g: AlertGenerator, ctx: dict[str, Any], inc: Incident) -> str | None:
    """``fd.nameraw``: the path as the program asked for it, with ``..`` segments Falco resolved."""
    f = ctx.get("fd.name")
    if not f:
        return f
    head, _, tail = f.rpartition("/")
    return f"{head}/../{head.lstrip('/')}/../{head.lstrip('/')}/{tail}" if head else f


def _proc_args(g: AlertGenerator, ctx: dict[str, Any], inc: Incident) -> str:
    """``proc.args``: the command line without the program."""
    cmdline: str = ctx["proc.cmdline"]
    return cmdline.partition(" ")[2]


def _exe_ino(g: AlertGenerator, ctx: dict[str, Any], inc: Incident) -> int:
    """An executable's inode time shortly before the event (a freshly dropped binary)."""
    evt_time: int = ctx["evt.time"]
    return evt_time - between(g.rng, 1_000_000, 900_000_000)


SYSCALL_SPECIAL: dict[str, Special] = {
    "evt.arg.flags": _flags,
    "evt.res": lambda g, c, i: "SUCCESS",
    "evt.args": lambda g, c, i: (
        c.get("_args")
        or f"res=0 olddirfd=-100(AT_FDCWD) oldpath={c['fd.name']} newdirfd=-100(AT_FDCWD) "
        f"newpath={c['_path2']}"
    ),
    "evt.arg.target": lambda g, c, i: c["fd.name"],
    "evt.arg.oldpath": lambda g, c, i: c["fd.name"],
    "evt.arg.linkpath": lambda g, c, i: c["_path2"],
    "evt.arg.newpath": lambda g, c, i: c["_path2"],
    "evt.arg.name": lambda g, c, i: c["_path2"],
    "evt.arg.path": lambda g, c, i: c["_path2"],
    "evt.arg.filename": lambda g, c, i: c["_path2"],
    "evt.arg.fd": lambda g, c, i: between(g.rng, 3, 40),
    "evt.arg.mode": lambda g, c, i: "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID",
    "evt.arg.cmd": lambda g, c, i: pick(g.rng, ("BPF_PROG_LOAD", "BPF_MAP_CREATE")),
    "evt.arg.uid": lambda g, c, i: "0(<NA>)",
    "fd.nameraw": _traversal,
    "fd.lport": lambda g, c, i: c.get("fd.lport"),
    "fd.rport": lambda g, c, i: c.get("fd.rport"),
    "fd.type": lambda g, c, i: c.get("fd.type", "<NA>"),
    "fd.l4proto": lambda g, c, i: c.get("fd.l4proto", "<NA>"),
    "fd.sip": lambda g, c, i: c.get("fd.sip"),
    "fd.sip.name": lambda g, c, i: None,
    "fd.rip.name": lambda g, c, i: None,
    "fd.lip.name": lambda g, c, i: None,
    "fd.cip.name": lambda g, c, i: None,
    "proc.aname[5]": lambda g, c, i: None,
    "proc.aname[6]": lambda g, c, i: None,
    "proc.aname[7]": lambda g, c, i: None,
    "proc.aexepath[2]": lambda g, c, i: c["proc.aname[2]"] and f"/usr/bin/{c['proc.aname[2]']}",
    "proc.pexe": lambda g, c, i: c["_pexe"],
    "proc.pexepath": lambda g, c, i: c["_pexe"],
    "proc.sname": lambda g, c, i: c["proc.aname[2]"] or c["proc.pname"],
    "proc.exe": lambda g, c, i: c["proc.cmdline"].split(" ", 1)[0],
    "proc.args": _proc_args,
    "proc.cwd": lambda g, c, i: pick(g.rng, ("/", "/app", "/root", "/tmp", "/var/www/html")),
    "proc.env": lambda g, c, i: (
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME="
        f"{c['k8s.pod.name'] or i.host.name} HOME=/root HTTP_PROXY=http://{pick(g.rng, _ATTACKER_IPS)}"
        ":3128 LD_PRELOAD=/tmp/.l/libx.so KUBERNETES_SERVICE_HOST=10.96.0.1"
    ),
    "proc.exe_ino.ctime": _exe_ino,
    "proc.exe_ino.mtime": _exe_ino,
    "proc.exe_ino.ctime_duration_proc_start": lambda g, c, i: between(g.rng, 200_000, 5_000_000),
    "container.start_ts": lambda g, c, i: c["evt.time"] - i.wl.age_ns if i.wl else None,
    "container.mounts": lambda g, c, i: (
        "/var/run/docker.sock:/var/run/docker.sock::true:rprivate,"
        "/etc:/host/etc::true:rprivate,/proc:/host/proc:ro:false:rprivate"
    ),
    "thread.cap_effective": lambda g, c, i: _CAPS,
    "thread.cap_permitted": lambda g, c, i: _CAPS,
    "group.gid": lambda g, c, i: c["user.uid"] if c["user.uid"] < 1000 else 1000,
    "group.name": lambda g, c, i: c["user.name"],
    "user.loginname": lambda g, c, i: "ubuntu" if c["user.loginuid"] == 1000 else "<NA>",
}


def check_coverage(rules: Iterable[Rule]) -> None:
    """Fail now if a rule uses a field that neither the base contexts nor the tables above make."""
    covered = {
        "syscall": SYSCALL_STANDARD | set(SYSCALL_SPECIAL),
        "k8s_audit": K8S_ALWAYS | set(K8S_SPECIAL),
        "aws_cloudtrail": CT_ALWAYS | set(CT_SPECIAL),
    }
    missing = sorted({f"{r.source}:{k}" for r in rules for k in r.keys if k not in covered[r.source]})
    if missing:
        raise ScenarioDataError(
            DATA_DIR / "rules_summary.tsv",
            f"no value generator for fields {missing} (add one to generator/synthetic/fields.py)",
        )
