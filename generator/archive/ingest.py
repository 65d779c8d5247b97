"""Read, validate, identify, de-duplicate and redact: input files -> new catalog rows.

This is where "nothing is silently lost" is enforced: every record read ends up counted as a
new alert, a duplicate (of this batch or of the archive) or a quarantined record with its
file, line and reason.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import ValidationError

from generator.archive.catalog import SCHEMA, TAG_SEPARATOR
from generator.patterns import LONE_SURROGATE
from generator.read.limits import DEFAULT_LIMITS, EARLIEST_TIME_NS, InputLimits, shorten_reason
from generator.read.models import FalcoAlert, alert_id, describe_validation_error, format_time_ns, is_absent
from generator.read.readers import InputFile, Problem, Record, SkippedLine, open_regular, read_file
from generator.read.redact import Redactor
from generator.urls import alert_page

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    """What one build read, and what became of it."""

    records: int = 0
    skipped_lines: int = 0
    duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)
    passed_over: list[Problem] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    limits: InputLimits = DEFAULT_LIMITS
    #: Quarantined records past the kept list's caps: counted per file, not listed.
    problems_not_listed: Counter[str] = field(default_factory=Counter)
    #: Strings cut at ``max_field_chars``, and the records ("file:line") they were in.
    fields_cut: int = 0
    records_cut: list[str] = field(default_factory=list)
    _problem_bytes: int = 0
    _limit_problems: int = 0
    #: New ID -> the plain-hash ID it had before 0.2, for alerts redaction changed (in memory
    #: only: an old ID is published again only if it was published before, as a redirect).
    legacy_ids: dict[str, str] = field(default_factory=dict)

    @property
    def quarantined(self) -> int:
        return len(self.problems) + sum(self.problems_not_listed.values())

    def quarantine(self, problem: Problem) -> None:
        """Count a quarantined record; keep it listed while the list is within its caps.

        A hostile file can hold millions of bad records: the list kept in memory and in the
        build report stops at ``max_quarantine_entries`` entries or ``max_quarantine_bytes``,
        and the rest are counted per file (the counts stay exact).
        """
        reason = shorten_reason(problem.reason)
        size = len(problem.path) + len(reason) + 16
        limits = self.limits
        full = (
            len(self.problems) >= limits.max_quarantine_entries
            or self._problem_bytes + size > limits.max_quarantine_bytes
        )
        # Where a limit cut the input is always said (up to the same cap again).
        if full and not (problem.limit and self._limit_problems < limits.max_quarantine_entries):
            self.problems_not_listed[problem.path] += 1
            return
        self._limit_problems += problem.limit
        self._problem_bytes += size
        self.problems.append(Problem(problem.path, problem.line, reason, problem.limit))

    @property
    def published(self) -> int:
        return len(self.rows)


def _text(value: Any) -> str:
    return "" if is_absent(value) else str(value)


_LEADING_TIME = re.compile(
    r"^\s*(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?|\d{2}:\d{2}:\d{2}(?:\.\d+)?):\s*"
)


def group_key(rule: str, host: str, proc_name: str, cmdline: str, image: str, output: str) -> str:
    """Repeated alerts share a group: same rule, host, process, command line, image and output
    (without the timestamp Falco puts in front of it)."""
    parts = (rule, host, proc_name, cmdline, image, _LEADING_TIME.sub("", output, count=1))
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:16]


#: The cloud API call of an alert, by the field each plugin names it in.
_CLOUD_ACTIONS = ("ct.name", "gcp.methodName", "okta.evt.type", "github.type")
#: The cloud resource an API call touched: the first of these the alert has.
_CLOUD_TARGETS = (
    "ct.request.bucketname",
    "ct.request.username",
    "ct.request.groupname",
    "ct.request.rolename",
    "ct.request.policyname",
    "ct.request.functionname",
    "ct.request.cluster",
    "ct.request.servicename",
    "ct.request.name",
    "ct.resources",
    "gcp.storage.bucket",
    "gcp.resource.name",
    "github.repo",
)


def action_and_target(f: Mapping[str, Any]) -> tuple[str, str]:
    """What a k8s audit or cloud alert did and the object it touched, for listings and groups.

    k8s: ``verb resource/name`` (``create clusterrolebindings/admin``) and the object with its
    namespace (``clusterrolebindings/admin in kube-system``); cloud: the API call
    (``CreateUser``) and the first named resource. Syscall alerts have neither ("").
    """
    verb, resource = _text(f.get("ka.verb")), _text(f.get("ka.target.resource"))
    if verb or resource:
        obj = "/".join(
            p for p in (resource, _text(f.get("ka.target.name")), _text(f.get("ka.target.subresource"))) if p
        )
        ns = _text(f.get("ka.target.namespace"))
        return f"{verb} {obj}".strip(), f"{obj} in {ns}" if obj and ns else obj
    action = next((_text(f.get(k)) for k in _CLOUD_ACTIONS if _text(f.get(k))), "")
    target = next((_text(f.get(k)) for k in _CLOUD_TARGETS if _text(f.get(k))), "")
    return action, target


def _image(f: Mapping[str, Any]) -> str:
    image = _text(f.get("container.image.repository"))
    tag = _text(f.get("container.image.tag"))
    return f"{image}:{tag}" if image and tag else image


def group_of(alert: FalcoAlert) -> str:
    """The alert's repeat group (:func:`group_key` of its own fields): an alert page names its
    group without the catalog."""
    f = alert.output_fields
    return group_key(
        alert.rule,
        alert.host,
        _text(f.get("proc.name")),
        _text(f.get("proc.cmdline")),
        _image(f),
        alert.output,
    )


def catalog_row(aid: str, alert: FalcoAlert, raw_text: str, origin: str) -> dict[str, Any]:
    """The compact columns the aggregates, listings and search filters need."""
    f = alert.output_fields
    image = _image(f)
    proc_name, cmdline = _text(f.get("proc.name")), _text(f.get("proc.cmdline"))
    action, target = action_and_target(f)
    return {
        "id": aid,
        "time_ns": alert.time_ns,
        "rule": alert.rule,
        "priority": int(alert.priority),
        "host": alert.host,
        "source": alert.source,
        # A tag holding the separator would split into two (``benign\x1fT1190`` -> T1190).
        "tags": TAG_SEPARATOR.join(t.replace(TAG_SEPARATOR, "\\x1f") for t in alert.tags),
        "proc_name": proc_name,
        "cmdline": cmdline,
        "image": image,
        "namespace": _text(f.get("k8s.ns.name")) or _text(f.get("ka.target.namespace")),
        "pod": _text(f.get("k8s.pod.name")),
        "container_id": _text(f.get("container.id")),
        "user": _text(f.get("user.name")) or _text(f.get("ka.user.name")) or _text(f.get("ct.user")),
        "action": action,
        "target": target,
        "page": alert_page(aid, alert.time_ns),
        "group": group_key(alert.rule, alert.host, proc_name, cmdline, image, alert.output),
        "origin": origin,
        "raw": raw_text,
    }


def file_digest(file: InputFile) -> str:
    """SHA-256 of the file's bytes; refuses (OSError) anything but a regular file."""
    h = hashlib.sha256()
    with open_regular(file.path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ingest(
    files: Iterable[InputFile],
    redactor: Redactor,
    on_file: Callable[[InputFile], None] | None = None,
    id_key: bytes | None = None,
    limits: InputLimits = DEFAULT_LIMITS,
    now_ns: int | None = None,
    was_published: Callable[[str], bool] = lambda _id: False,
) -> IngestResult:
    """Stream every record of ``files`` into validated, redacted, de-duplicated rows.

    ``id_key`` (the site's secret) identifies alerts that redaction changed; without it they
    get the plain content hash (tests, tools outside a build). ``now_ns`` (default: now) is
    the build's start: alerts dated later than it plus ``limits.future_skew_minutes``, or
    before :data:`EARLIEST_TIME_NS`, are quarantined, unless ``was_published(id)`` (the
    archive already published them: their URL stays valid, e.g. the 2001 test event of an
    archive built before the time check existed).
    """
    result = IngestResult(limits=limits)
    now_ns = time.time_ns() if now_ns is None else now_ns
    window = (EARLIEST_TIME_NS, now_ns + limits.future_skew_minutes * 60 * 1_000_000_000)
    seen: set[str] = set()
    for file in files:
        for event in read_file(file, limits):
            if isinstance(event, SkippedLine):
                result.skipped_lines += 1
                continue
            if isinstance(event, Problem):
                log.warning("%s:%d: %s", event.path, event.line, shorten_reason(event.reason))
                if event.line == 0:  # the file itself could not be opened: no record was read
                    result.passed_over.append(event)
                    continue
                result.records += 1
                result.quarantine(event)
                continue
            assert isinstance(event, Record)
            result.records += 1
            if event.cut:
                result.fields_cut += event.cut
                if len(result.records_cut) < limits.max_quarantine_entries:
                    result.records_cut.append(f"{event.path}:{event.line}")
            _accept(result, seen, event, redactor, id_key, window, was_published)
        if on_file is not None:
            on_file(file)
    return result


def _without_surrogates(obj: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The alert and its JSON text, with lone surrogates (``"\\ud800"`` in the input, which no
    UTF-8 file or Parquet column can hold) replaced by their visible escape text."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if LONE_SURROGATE.search(text) is None:
        return obj, text
    text = LONE_SURROGATE.sub(lambda m: f"\\\\u{ord(m.group()):04x}", text)
    return json.loads(text), text


def _accept(
    result: IngestResult,
    seen: set[str],
    record: Record,
    redactor: Redactor,
    id_key: bytes | None,
    window: tuple[int, int] = (EARLIEST_TIME_NS, 2**63 - 1),
    was_published: Callable[[str], bool] = lambda _id: False,
) -> None:
    try:
        redacted_obj = redactor.redact(record.obj)
        aid = alert_id(record.obj)
        if id_key is not None and redacted_obj != record.obj:
            # The published JSON is redacted: a plain hash of the original would confirm a guess.
            legacy, aid = aid, alert_id(record.obj, id_key)
            if legacy != aid:
                result.legacy_ids[aid] = legacy
        redacted, raw_text = _without_surrogates(redacted_obj)
        alert = FalcoAlert.model_validate(redacted)
    except ValidationError as exc:
        _reject(result, record, describe_validation_error(exc))
        return
    except Exception as exc:  # the per-record boundary: a value no check expected is quarantined
        _reject(result, record, f"the record could not be processed ({type(exc).__name__}: {exc})")
        return
    out_of_time = _out_of_time(alert.time_ns, window)
    if out_of_time is not None and not was_published(aid):
        result.quarantine(Problem(record.path, record.line, out_of_time))
        log.warning("%s:%d: %s", record.path, record.line, out_of_time)
        return
    if aid in seen:
        result.duplicates += 1
        return
    try:
        row = catalog_row(aid, alert, raw_text, f"{record.path}:{record.line}")
    except Exception as exc:  # e.g. a page path the guarded resolver refuses: this record only
        _reject(result, record, f"the record cannot be placed in the archive ({type(exc).__name__}: {exc})")
        return
    seen.add(aid)
    result.rows.append(row)


def _reject(result: IngestResult, record: Record, reason: str) -> None:
    problem = Problem(record.path, record.line, reason)
    result.quarantine(problem)
    log.warning("%s:%d: %s", problem.path, problem.line, shorten_reason(problem.reason))


def _out_of_time(time_ns: int, window: tuple[int, int]) -> str | None:
    """Why an alert's time cannot be true, or None.

    A time after the build (beyond the allowed clock skew) or before Falco existed would pin
    the "latest" lists and the feed, or open one search shard per fake month.
    """
    earliest, latest = window
    if time_ns > latest:
        return (
            f"time {format_time_ns(time_ns)} is after this build started "
            f"(more than limits.future_skew_minutes ahead): a wrong clock or a forged alert"
        )
    if time_ns < earliest:
        return f"time {format_time_ns(time_ns)} is before 2016, when Falco did not exist yet"
    return None


def rows_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    if not rows:
        return SCHEMA.empty_table().to_pandas()
    frame = pd.DataFrame.from_records(rows, columns=SCHEMA.names)
    frame["priority"] = frame["priority"].astype("int8")
    frame["time_ns"] = frame["time_ns"].astype("int64")
    return frame
