"""The validated shape of one Falco alert, and its permanent identity.

Falco's JSON changed across versions (no ``source``/``tags`` before 0.30, no ``hostname``
before 0.32), falcosidekick adds ``uuid``, and values arrive as ``null``, ``"<NA>"`` or ``""``
for "absent". The model accepts all of that (``extra="ignore"``: producers add keys over time)
and rejects what cannot be an alert, with a message in plain words.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from generator.patterns import UUID


class Priority(IntEnum):
    """Falco's eight priorities; the value orders them from most to least severe."""

    EMERGENCY = 0
    ALERT = 1
    CRITICAL = 2
    ERROR = 3
    WARNING = 4
    NOTICE = 5
    INFORMATIONAL = 6
    DEBUG = 7

    @property
    def label(self) -> str:
        """The spelling Falco uses in its output (``Informational``, ``Warning``...)."""
        return self.name.capitalize()

    @property
    def slug(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: object) -> Priority:
        if isinstance(value, str):
            key = value.strip().upper()
            key = {
                "INFO": "INFORMATIONAL",
                "WARN": "WARNING",
                "ERR": "ERROR",
                "CRIT": "CRITICAL",
                "EMERG": "EMERGENCY",
            }.get(key, key)
            if key in cls.__members__:
                return cls[key]
        expected = ", ".join(p.label for p in cls)
        raise ValueError(f"unknown priority {value!r}; expected one of {expected}")


#: Values Falco uses for "this field had no value".

_TIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(Z|z|[+-]\d{2}:?\d{2})"
)
#: pandas' datetime64[ns] range; the catalog stores times in it.
_MIN_NS, _MAX_NS = -(2**63) + 1, 2**63 - 1


def parse_time_ns(value: str) -> int:
    """RFC 3339 time with 0 to 9 fractional digits -> nanoseconds since the epoch, UTC, exact."""
    match = _TIME_RE.fullmatch(value.strip())
    if not match:
        raise ValueError(f"time {value!r} is not an RFC 3339 timestamp such as 2025-11-12T17:20:22.88Z")
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        base = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"time {value!r} is not a valid date: {exc}") from None
    offset = 0
    if zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:  # RFC 3339: time-numoffset is a valid hour and minute
            raise ValueError(f"time {value!r} has an impossible UTC offset {zone}")
        offset = sign * (hours * 3600 + minutes * 60)
    seconds = int(base.timestamp()) - offset
    ns = seconds * 1_000_000_000 + int((frac or "").ljust(9, "0") or 0)
    if not _MIN_NS <= ns <= _MAX_NS:
        raise ValueError(f"time {value!r} is outside the supported range (years 1678 to 2261)")
    return ns


def format_time_ns(ns: int) -> str:
    """Nanoseconds since the epoch -> ``2025-11-12T17:20:22.883786927Z`` (always 9 digits)."""
    seconds, frac = divmod(ns, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{frac:09d}Z"


def is_absent(value: object) -> bool:
    """Falco writes ``null``, ``"<NA>"`` or ``""`` for a field without a value."""
    return value is None or (isinstance(value, str) and value in ("", "<NA>"))


class FalcoAlert(BaseModel):
    """One alert as Falco (json_output, http_output) or falcosidekick publishes it."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    time_ns: int = Field(validation_alias="time")
    rule: str = Field(min_length=1)
    priority: Priority
    output: str = ""
    output_fields: dict[str, Any] = Field(default_factory=dict)
    source: str = "syscall"
    tags: tuple[str, ...] = ()
    hostname: str | None = None
    uuid: str | None = None

    @field_validator("time_ns", mode="before")
    @classmethod
    def _time(cls, value: object) -> int:
        if not isinstance(value, str):
            raise ValueError(f"time must be an RFC 3339 string, not {type(value).__name__}")
        return parse_time_ns(value)

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, value: object) -> Priority:
        return Priority.parse(value)

    @field_validator("source", mode="before")
    @classmethod
    def _source(cls, value: object) -> object:
        if is_absent(value):
            return "syscall"
        return "syscall" if value == "syscalls" else value

    @field_validator("output", mode="before")
    @classmethod
    def _output(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("output_fields", mode="before")
    @classmethod
    def _fields(cls, value: object) -> object:
        return {} if value is None else value

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: object) -> object:
        if value is None:
            return ()
        return tuple(value) if isinstance(value, list) else value

    @field_validator("hostname", "uuid", mode="before")
    @classmethod
    def _optional_text(cls, value: object) -> object:
        return None if is_absent(value) else value

    @property
    def time_iso(self) -> str:
        return format_time_ns(self.time_ns)

    @property
    def host(self) -> str:
        """The hostname, or ``unknown`` for alerts from Falco versions before 0.32."""
        return self.hostname if self.hostname is not None else "unknown"

    def field(self, key: str) -> Any:
        """An output field's value, or None when absent (``null``, ``<NA>``, ``""``)."""
        value = self.output_fields.get(key)
        return None if is_absent(value) else value


def describe_validation_error(error: ValidationError) -> str:
    """A pydantic error in plain words: ``field 'priority': unknown priority 'loud'; ...``."""
    parts = []
    for err in error.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "alert"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            parts.append(f"required field {loc!r} is missing")
        else:
            parts.append(f"field {loc!r}: {msg}")
    return "; ".join(parts)


def canonical_json(obj: Any) -> str:
    """One spelling per JSON value (sorted keys, no spaces): the basis of content identity."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def alert_id(raw: dict[str, Any], key: bytes | None = None) -> str:
    """The permanent ID: falcosidekick's ``uuid`` when it is a real UUID, else a content hash.

    A non-UUID ``uuid`` is hashed too, so whatever it holds can never shape a path or a URL.
    The hash covers the alert as read, before redaction, so a published alert stays where it is.

    ``key`` is given for an alert that redaction changed: a plain hash of what was read would
    let anyone holding the published (redacted) JSON test guesses of the secret offline, so
    such an alert's ID is an HMAC-SHA256 under the site's secret key instead
    (:meth:`generator.archive.state.State.id_key`). Alerts redaction did not change keep the
    plain hash, which reveals nothing the published JSON does not already show.
    """
    uuid = raw.get("uuid")
    if isinstance(uuid, str) and UUID.fullmatch(uuid):
        return uuid.lower()
    if isinstance(uuid, str) and uuid:
        return "u" + _digest(uuid.encode("utf-8", "surrogatepass"), key)
    return _digest(canonical_json(raw).encode("utf-8", "surrogatepass"), key)


def _digest(data: bytes, key: bytes | None) -> str:
    if key is None:
        return hashlib.sha256(data).hexdigest()[:16]
    return hmac.new(key, b"falco-archive alert id\0" + data, hashlib.sha256).hexdigest()[:16]
