"""Alerts dated in the future or before Falco cannot hide real ones (issue 12.5).

Before: 100 Critical alerts dated 2262 pinned the feed, the dashboard's "Latest alerts of
priority Error and above" and the Critical page's latest list, so a real Critical alert
(``cat /etc/shadow`` on ``db-1``) added the next night appeared in none of them. Now times after
the build (beyond ``limits.future_skew_minutes``) or before 2016 are quarantined and named, and
"latest" lists and the feed sort by the build that received an alert before its own time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

from generator.archive import aggregate
from generator.read import limits
from generator.read.models import parse_time_ns

if TYPE_CHECKING:
    from conftest import Project, RunBuild


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.mark.parametrize("zone", ["+99:99", "+24:00", "-12:60", "+0099"])
def test_impossible_utc_offsets_are_rejected(zone: str) -> None:
    with pytest.raises(ValueError, match="impossible UTC offset"):
        parse_time_ns(f"2025-11-12T17:20:22{zone}")


def test_real_offsets_still_parse() -> None:
    assert parse_time_ns("2025-11-12T17:20:22+05:45") == parse_time_ns("2025-11-12T11:35:22Z")
    assert parse_time_ns("2025-11-12T17:20:22-2359") == parse_time_ns("2025-11-13T17:19:22Z")


def test_latest_first_ranks_no_alert_newer_than_its_arrival() -> None:
    df = pd.DataFrame(
        {
            "id": ["dated-ahead", "tonight", "older", "legacy"],
            "time_ns": [9_000, 1_500, 500, 800],
            "received": [1_000, 2_000, 1_000, 0],  # 0: archived before the column existed
        }
    )
    assert list(aggregate.latest_first(df)["id"]) == ["tonight", "dated-ahead", "legacy", "older"]
    honest = df.assign(received=[10_000, 10_000, 10_000, 10_000])
    assert list(aggregate.latest_first(honest)["id"]) == list(aggregate.newest_first(honest)["id"])


def test_future_alerts_are_quarantined_and_a_real_one_next_night_is_in_every_latest_list(
    project: Project,
    run_build: RunBuild,
    make_alert: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = datetime.now(UTC)
    flood = [
        make_alert(
            time=f"2262-0{1 + n % 3}-01T00:00:{n % 60:02d}Z",
            rule="Terminal shell in container",
            priority="Critical",
            output=f"future shell {n}",
            hostname="web-1",
        )
        for n in range(100)
    ]
    ancient = [make_alert(time="2001-01-01T01:10:00Z", priority="Critical", output="test from 2001")]
    # Within the allowed clock skew (three days here): kept, and dated after tomorrow's real
    # alert. 120 of them outnumber every latest list (dashboard 20, priority page 100, feed 100);
    # they may not rank above alerts that arrive after them.
    (project.root / "falco-archive.toml").write_text("[limits]\nfuture_skew_minutes = 4320\n")
    skewed = [
        make_alert(
            time=_stamp(now + timedelta(days=2, seconds=n)),
            rule="Read sensitive file untrusted",
            priority="Critical",
            output=f"skewed clock {n}",
            hostname="web-2",
        )
        for n in range(120)
    ]
    project.write_jsonl("night-1.jsonl", flood + ancient + skewed)
    run_build(["alerts"])
    report = project.report()
    assert report["published"] == len(skewed)
    assert report["quarantined"] == len(flood) + len(ancient)
    reasons = {(p["file"], p["line"]): p["reason"] for p in report["problems"]}
    for line in range(1, len(flood) + 1):
        assert "after this build started" in reasons[("night-1.jsonl", line)]
    assert "before 2016" in reasons[("night-1.jsonl", len(flood) + 1)]

    # The next night: the build's clock is a day later; the real alert came in two hours ago.
    tomorrow = now + timedelta(days=1)
    monkeypatch.setattr(limits, "now_ns", lambda: int(tomorrow.timestamp()) * 1_000_000_000)
    real = make_alert(
        time=_stamp(tomorrow - timedelta(hours=2)),
        rule="Read sensitive file untrusted",
        priority="Critical",
        output="Sensitive file opened for reading (file=/etc/shadow command=cat /etc/shadow)",
        output_fields={"proc.name": "cat", "proc.cmdline": "cat /etc/shadow", "fd.name": "/etc/shadow"},
        hostname="db-1",
    )
    project.write_jsonl("night-2.jsonl", [real])
    run_build(["alerts"])
    assert project.report()["published"] == 1

    rows = list(csv.DictReader(io.StringIO((project.site / "exports" / "alerts.csv").read_text("utf-8"))))
    (page,) = [r["page"] for r in rows if r["cmdline"] == "cat /etc/shadow"]
    aid = page.removesuffix(".md").rsplit("/", 1)[-1]
    dashboard = (project.site / "index.html").read_text("utf-8")
    critical = (project.site / "priorities" / "critical" / "index.html").read_text("utf-8")
    feed = (project.site / "feed.xml").read_text("utf-8")
    assert aid in dashboard, "missing from the dashboard's latest Error-and-above list"
    assert aid in critical, "missing from the Critical page's latest list"
    assert aid in feed, "missing from the feed"
    # And it is the first entry of the feed (received last).
    first_entry = feed[feed.index("<entry>") : feed.index("</entry>")]
    assert aid in first_entry
