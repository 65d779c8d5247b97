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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import ValidationError

from generator.archive.catalog import SCHEMA, TAG_SEPARATOR
from generator.patterns import LONE_SURROGATE
from generator.read.models import FalcoAlert, alert_id, describe_validation_error, is_absent
from generator.read.readers import InputFile, Problem, Record, SkippedLine, read_file
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

    @property
    def quarantined(self) -> int:
        return len(self.problems)

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


def catalog_row(aid: str, alert: FalcoAlert, raw_text: str, origin: str) -> dict[str, Any]:
    """The compact columns the aggregates, listings and search filters need."""
    f = alert.output_fields
    image = _text(f.get("container.image.repository"))
    tag = _text(f.get("container.image.tag"))
    if image and tag:
        image = f"{image}:{tag}"
    proc_name, cmdline = _text(f.get("proc.name")), _text(f.get("proc.cmdline"))
    return {
        "id": aid,
        "time_ns": alert.time_ns,
        "rule": alert.rule,
        "priority": int(alert.priority),
        "host": alert.host,
        "source": alert.source,
        "tags": TAG_SEPARATOR.join(alert.tags),
        "proc_name": proc_name,
        "cmdline": cmdline,
        "image": image,
        "namespace": _text(f.get("k8s.ns.name")) or _text(f.get("ka.target.namespace")),
        "pod": _text(f.get("k8s.pod.name")),
        "container_id": _text(f.get("container.id")),
        "user": _text(f.get("user.name")) or _text(f.get("ka.user.name")) or _text(f.get("ct.user")),
        "page": alert_page(aid, alert.time_ns),
        "group": group_key(alert.rule, alert.host, proc_name, cmdline, image, alert.output),
        "origin": origin,
        "raw": raw_text,
    }


def file_digest(file: InputFile) -> str:
    h = hashlib.sha256()
    with file.path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ingest(
    files: Iterable[InputFile],
    redactor: Redactor,
    on_file: Callable[[InputFile], None] | None = None,
) -> IngestResult:
    """Stream every record of ``files`` into validated, redacted, de-duplicated rows."""
    result = IngestResult()
    seen: set[str] = set()
    for file in files:
        for event in read_file(file):
            if isinstance(event, SkippedLine):
                result.skipped_lines += 1
                continue
            if isinstance(event, Problem):
                log.warning("%s:%d: %s", event.path, event.line, event.reason)
                if event.line == 0:  # the file itself could not be opened: no record was read
                    result.passed_over.append(event)
                    continue
                result.records += 1
                result.problems.append(event)
                continue
            assert isinstance(event, Record)
            result.records += 1
            _accept(result, seen, event, redactor)
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


def _accept(result: IngestResult, seen: set[str], record: Record, redactor: Redactor) -> None:
    try:
        aid = alert_id(record.obj)
        redacted, raw_text = _without_surrogates(redactor.redact(record.obj))
        alert = FalcoAlert.model_validate(redacted)
    except ValidationError as exc:
        problem = Problem(record.path, record.line, describe_validation_error(exc))
        result.problems.append(problem)
        log.warning("%s:%d: %s", problem.path, problem.line, problem.reason)
        return
    if aid in seen:
        result.duplicates += 1
        return
    seen.add(aid)
    result.rows.append(catalog_row(aid, alert, raw_text, f"{record.path}:{record.line}"))


def rows_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    if not rows:
        return SCHEMA.empty_table().to_pandas()
    frame = pd.DataFrame.from_records(rows, columns=SCHEMA.names)
    frame["priority"] = frame["priority"].astype("int8")
    frame["time_ns"] = frame["time_ns"].astype("int64")
    return frame
