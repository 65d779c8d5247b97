"""What a build did, for the terminal, the Build report page and ``build-report.json``.

Its counts always satisfy records read = alerts published + duplicates + quarantined: nothing
is silently lost, and the report says where every record went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from generator.read.readers import Problem

if TYPE_CHECKING:
    from generator.archive.ingest import IngestResult
    from generator.archive.plan import Inputs, Merge
    from generator.read.redact import Redactor


@dataclass
class BuildReport:
    """What a build did; its counts always satisfy records = published + duplicates + quarantined."""

    mode: str = "full"
    files: int = 0
    files_read: int = 0
    records: int = 0
    published: int = 0
    duplicates: int = 0
    quarantined: int = 0
    skipped_lines: int = 0
    archived: int = 0
    pages_written: int = 0
    mkdocs_runs: int = 0
    problems: list[Problem] = field(default_factory=list)
    passed_over: list[Problem] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    redactions: list[tuple[str, int]] = field(default_factory=list)
    #: What the build worked around instead of stopping: a damaged state file rebuilt, two
    #: names whose slugs collided placed apart (each note names the file or the names).
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: Quarantined records past the listed ones' caps (``limits``), per file: counted, not listed.
    problems_not_listed: dict[str, int] = field(default_factory=dict)
    #: Strings cut at ``limits.max_field_chars``: how many, in which records, at what length.
    cut: dict[str, Any] = field(default_factory=dict)

    def count(self, inputs: Inputs, result: IngestResult, merged: Merge, redactor: Redactor) -> None:
        """Take the counts of the read and merge steps."""
        self.files, self.files_read = len(inputs.files), len(inputs.to_read)
        self.records = result.records
        self.published = len(merged.new)
        self.duplicates = result.duplicates + merged.already_archived
        self.quarantined = result.quarantined
        self.skipped_lines = result.skipped_lines
        self.problems = result.problems
        self.passed_over = inputs.passed_over + result.passed_over
        self.removed = sorted(merged.removed_ids)
        self.archived = len(merged.catalog)
        self.redactions = sorted(redactor.counts.items())
        self._note_limits(result)

    def set_aside(self, problems: list[Problem], notes: list[str], merged: Merge) -> None:
        """Alerts whose page could not be rendered: quarantined, so the counts still add up."""
        self.published = len(merged.new)
        self.quarantined += len(problems)
        self.problems.extend(problems)
        self.archived = len(merged.catalog)
        self.notes += notes

    def _note_limits(self, result: IngestResult) -> None:
        """Say what the input limits cut (issue 12.4: a cut is reported, never silent)."""
        limits = result.limits
        self.problems_not_listed = dict(sorted(result.problems_not_listed.items()))
        if self.problems_not_listed:
            total = sum(self.problems_not_listed.values())
            where = ", ".join(f"{name} ({n:,})" for name, n in list(self.problems_not_listed.items())[:20])
            self.notes.append(
                f"{total:,} more quarantined records are counted but not listed (limits: "
                f"{limits.max_quarantine_entries:,} entries, {limits.max_quarantine_bytes:,} bytes): {where}"
            )
        if result.fields_cut:
            self.cut = {
                "fields": result.fields_cut,
                "records": result.records_cut,
                "max_field_chars": limits.max_field_chars,
            }
            self.notes.append(
                f"{result.fields_cut:,} values longer than {limits.max_field_chars:,} characters "
                f"(limits.max_field_chars) were cut, in {len(result.records_cut):,} records "
                "(listed in build-report.json)"
            )

    def summary_line(self) -> str:
        return (
            f"Done ({self.mode}): {self.files:,} files ({self.files_read:,} read), "
            f"{self.records:,} records -> {self.published:,} new alerts, {self.duplicates:,} duplicates, "
            f"{self.quarantined:,} quarantined; {self.skipped_lines:,} non-JSON lines skipped; "
            f"archive holds {self.archived:,} alerts"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "files": self.files,
            "files_read": self.files_read,
            "records": self.records,
            "published": self.published,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "skipped_lines": self.skipped_lines,
            "archived": self.archived,
            "problems": [{"file": p.path, "line": p.line, "reason": p.reason} for p in self.problems],
            "passed_over": [{"file": p.path, "reason": p.reason} for p in self.passed_over],
            "removed": self.removed,
            "redactions": dict(self.redactions),
            "notes": self.notes,
            "problems_not_listed": self.problems_not_listed,
            "cut": self.cut,
        }
