"""The field-value policy: which alert values may go into a printed command, by field type.

Commands on alert pages are meant to be pasted into a root shell, and every value in them comes
from the alert, which the attacker controls. Quoting (``shlex.quote``) keeps a value one word,
but a well-quoted word can still do harm: ``kill -STOP -1`` signals every process the user may
signal, ``kill -STOP 0`` the caller's process group, ``kill -STOP 1`` init; a relative path
makes ``stat`` look at the reader's working directory instead of the file the alert names; a
container ID of ``host`` (Falco's value for events outside any container) makes
``docker inspect host`` look for a container called "host".

So every field that has a type is checked against it here, in one place, before its value is
filled into any command (playbooks and generic guidance alike). A value that fails is not put
into the command: the step says why and shows the raw value instead (see
``playbooks._render_step``). Config snippets are not commands and are not checked (their values
are JSON-quoted, and a Falco exception for a strange value is still an exception for it).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FieldType", "check", "field_type"]

# Linux PIDs are 1..2^22 (pid_max is at most 4194304); 1 is init, which is never the target.
_PID_MAX = 4_194_304
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_CONTAINER_ID = re.compile(r"[0-9a-f]{12}|[0-9a-f]{64}")
# POSIX portable user names (useradd's default NAME_REGEX, plus upper case and Samba's `$`).
_USER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?")
_HOSTNAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


def _integer(text: str, low: int, high: int) -> int | None:
    if not re.fullmatch(r"[0-9]{1,10}", text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def _pid(text: str) -> str | None:
    if _integer(text, 2, _PID_MAX) is None:
        return (
            "not a usable process ID (an integer from 2 to 4194304: in a command 0 means the "
            "process group, 1 init and -1 every process)"
        )
    return None


def _port(text: str) -> str | None:
    if _integer(text, 1, 65535) is None:
        return "not a port number (1 to 65535)"
    return None


def _uid(text: str) -> str | None:
    if _integer(text, 0, 4_294_967_294) is None:
        return "not a user ID (an integer from 0 to 4294967294; -1 means no login user)"
    return None


def _path(text: str) -> str | None:
    if not text.startswith("/"):
        return (
            "not an absolute path (a relative path would be resolved in your working directory, "
            "not the process's)"
        )
    if "\n" in text or len(text) > 4096:
        return "not a usable path (longer than PATH_MAX or containing a line break)"
    return None


_CONNECTION = re.compile(r"[0-9A-Fa-f:.\[\]]+:\d{1,5}->[0-9A-Fa-f:.\[\]]+:\d{1,5}")


def _fd_name(text: str) -> str | None:
    """`fd.name` is a path for files and `ip:port->ip:port` for connections."""
    if _CONNECTION.fullmatch(text):
        return None
    if _path(text) is not None:
        return "neither an absolute path nor a connection (ip:port->ip:port)"
    return None


def _container_id(text: str) -> str | None:
    if text == "host":
        return "`host`: the event happened on the host, outside any container"
    if not _CONTAINER_ID.fullmatch(text):
        return "not a container ID (12 or 64 hexadecimal digits)"
    return None


def _dns_label(text: str) -> str | None:
    if len(text) > 63 or not _DNS_LABEL.fullmatch(text):
        return "not a Kubernetes namespace name (a DNS-1123 label: a-z, 0-9 and -, at most 63)"
    return None


def _dns_subdomain(text: str) -> str | None:
    if len(text) > 253 or not _DNS_SUBDOMAIN.fullmatch(text):
        return "not a Kubernetes object name (a DNS-1123 subdomain: a-z, 0-9, - and ., at most 253)"
    return None


def _user(text: str) -> str | None:
    if not _USER.fullmatch(text):
        return "not a local user name (letters, digits, _ . -, not starting with -, at most 32)"
    return None


def _ip(text: str) -> str | None:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return "not an IP address"
    return None


def _hostname(text: str) -> str | None:
    if not _HOSTNAME.fullmatch(text):
        return "not a host or node name (letters, digits, _ . -, not starting with - or .)"
    return None


def _region(text: str) -> str | None:
    if not _REGION.fullmatch(text):
        return "not a cloud region name (like eu-west-1)"
    return None


@dataclass(frozen=True)
class FieldType:
    """A named type and its check (None when the value fits, else why it does not)."""

    name: str
    check: Callable[[str], str | None]


PID = FieldType("pid", _pid)
PORT = FieldType("port", _port)
UID = FieldType("uid", _uid)
PATH = FieldType("path", _path)
FD_NAME = FieldType("file descriptor name", _fd_name)
CONTAINER_ID = FieldType("container id", _container_id)
NAMESPACE = FieldType("namespace", _dns_label)
POD = FieldType("pod", _dns_subdomain)
USER = FieldType("user", _user)
IP = FieldType("ip", _ip)
REGION = FieldType("region", _region)
HOSTNAME = FieldType("hostname", _hostname)

#: Field name -> type. A field not listed here is only quoted (process names, command lines,
#: Kubernetes user names and object names of any kind may legitimately be almost anything).
FIELD_TYPES: dict[str, FieldType] = {
    **dict.fromkeys(("proc.pid", "proc.ppid", "proc.vpid", "thread.tid", "thread.vtid"), PID),
    **dict.fromkeys(("fd.rport", "fd.lport", "fd.sport", "fd.cport"), PORT),
    **dict.fromkeys(("user.loginuid", "user.uid"), UID),
    **dict.fromkeys(("fd.rip", "fd.lip", "fd.sip", "fd.cip"), IP),
    **dict.fromkeys(
        (
            "fd.directory",
            "proc.exepath",
            "proc.cwd",
            "evt.arg.filename",
            "evt.arg.name",
            "evt.arg.path",
            "evt.arg.pathname",
            "evt.arg.linkpath",
            "evt.arg.oldpath",
            "evt.arg.newpath",
            "fs.path.name",
            "fs.path.source",
            "fs.path.target",
        ),
        PATH,
    ),
    "fd.name": FD_NAME,
    "container.id": CONTAINER_ID,
    **dict.fromkeys(("k8s.ns.name", "ka.target.namespace"), NAMESPACE),
    "k8s.pod.name": POD,
    "user.name": USER,
    **dict.fromkeys(("ct.region", "aws.region"), REGION),
    "hostname": HOSTNAME,
}

_APID = re.compile(r"proc\.apid\[\d+\]")


def field_type(name: str) -> FieldType | None:
    """The type of a field, or None when it has none (then the value is only quoted)."""
    if _APID.fullmatch(name):
        return PID
    return FIELD_TYPES.get(name)


def check(name: str, text: str) -> str | None:
    """None when ``text`` may go into a command as field ``name``, else the reason it may not."""
    kind = field_type(name)
    return None if kind is None else kind.check(text)
