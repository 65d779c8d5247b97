"""Facet index benchmark (issue 13): bytes per month and time to show a filter-only listing.

Building a whole 100,000-alert site (100,000 alert pages through MkDocs and Pagefind) takes
far longer than this measurement needs, so this script does not: it synthesises the alerts
(``generator.synthetic``), turns them into catalog rows with the pipeline's own
``read.models.FalcoAlert`` and ``archive.ingest.catalog_row`` (no redaction: IDs are the plain
content hashes or uuids), and calls the build's own writers (:mod:`generator.pages.facets`)
for ``search/known.json`` and every ``search/facets/YYYY-MM.json``. The browser side is the
real ``fa-search.js`` on a page holding the real search form (``defaults/docs/search.md``),
served on 127.0.0.1 by a server that gzips JSON and JavaScript (as a production server would)
and counts the bytes it sends; headless Chromium with a cold cache per listing.

Usage::

    python -m benchmarks.bench_facets --count 100000 --days 365
    python -m benchmarks.bench_facets --count 100000 --days 30     # the whole archive in a month

Results go to ``benchmarks/out/facets-<count>-<days>d.json``.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import re
import shutil
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from generator.archive.ingest import catalog_row, rows_frame
from generator.pages import facets
from generator.publish.packaged import DEFAULT_DOCS
from generator.read.models import FalcoAlert, alert_id
from generator.synthetic.generate import generate

REPO = Path(__file__).resolve().parents[1]
JS = REPO / "generator" / "publish" / "theme" / "assets" / "javascripts" / "fa-search.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
START = datetime(2025, 1, 1, tzinfo=UTC)


def catalog(count: int, days: int, seed: int, hosts: int) -> pd.DataFrame:
    rows = []
    for raw in generate(count, seed=seed, start=START, days=days, hosts=hosts):
        rows.append(catalog_row(alert_id(raw), FalcoAlert.model_validate(raw), "", "bench"))
    return rows_frame(rows).drop_duplicates("id")


class _Gzipping(http.server.SimpleHTTPRequestHandler):
    """Serves files, gzipped (level 6) when the browser accepts it; counts bytes sent."""

    sent: list[tuple[str, int]]
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix in (".json", ".js", ".html") and "gzip" in self.headers.get("Accept-Encoding", ""):
            try:
                body = gzip.compress(path.read_bytes(), 6)
            except OSError:
                return super().send_head()
            self.send_response(200)
            kind = {".json": "application/json", ".js": "text/javascript", ".html": "text/html"}[path.suffix]
            self.send_header("Content-Type", kind)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self._count(len(body))
            return _Body(body)
        return super().send_head()

    def copyfile(self, source: Any, outputfile: Any) -> None:
        data = source.read()
        outputfile.write(data)
        if not isinstance(source, _Body):
            self._count(len(data))

    def _count(self, n: int) -> None:
        with self.lock:
            self.sent.append((self.path, n))


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data

    def close(self) -> None:
        pass


def search_page(root: Path) -> None:
    """``root/search/index.html``: the real search form and script, without the theme."""
    text = (DEFAULT_DOCS / "search.md").read_text("utf-8")
    body = text.split("# Search", 1)[1]
    body = re.sub(r"<script[^>]*></script>", "", body)
    (root / "search").mkdir(parents=True, exist_ok=True)
    (root / "assets" / "javascripts").mkdir(parents=True, exist_ok=True)
    shutil.copy2(JS, root / "assets" / "javascripts" / "fa-search.js")
    (root / "search" / "index.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Search</title></head><body>"
        f"{body}<script type='module' src='../assets/javascripts/fa-search.js'></script></body></html>",
        "utf-8",
    )


def write_facets(frame: pd.DataFrame, root: Path) -> dict[str, Any]:
    t = time.perf_counter()
    path, data = facets.known_file(frame)
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_bytes(data)
    months = sorted(facets.changed_months(frame))
    sizes: dict[str, dict[str, int]] = {}
    for rel, blob in facets.facet_files(frame, months):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(blob)
        month, _, chunk = rel.removeprefix("search/facets/").removesuffix(".json").partition("/")
        entry = sizes.setdefault(month, {"alerts": 0, "id_chunks": 0, "id_chunk_gzip6_max": 0})
        if not chunk:
            entry["alerts"] = json.loads(blob)["count"]
            entry.update(raw=len(blob), gzip6=len(gzip.compress(blob, 6)), gzip1=len(gzip.compress(blob, 1)))
        else:
            entry["id_chunks"] += 1
            gz = len(gzip.compress(blob, 6))
            entry["id_chunk_gzip6_max"] = max(entry["id_chunk_gzip6_max"], gz)
            entry["ids_raw"] = entry.get("ids_raw", 0) + len(blob)
            entry["ids_gzip6"] = entry.get("ids_gzip6", 0) + gz
    seconds = time.perf_counter() - t
    # One month rewritten, as a nightly build does for the month that got new alerts.
    last = months[-1]
    t = time.perf_counter()
    list(facets.facet_files(frame, [last]))
    facets.known_file(frame)
    nightly = time.perf_counter() - t
    known = (root / path).read_bytes()
    return {
        "write_all_seconds": round(seconds, 3),
        "rewrite_one_month_seconds": round(nightly, 3),
        "known_json": {"raw": len(known), "gzip6": len(gzip.compress(known, 6))},
        "months": sizes,
    }


def listings(frame: pd.DataFrame) -> list[dict[str, str]]:
    """Filter-only listings of the newest full month, as a reader would ask for them."""
    newest = frame["time_ns"].max()
    end = datetime.fromtimestamp(int(newest) // 1_000_000_000, tz=UTC).date()
    week = (end - timedelta(days=6)).isoformat()
    # The last whole month before the newest one (the newest if the archive spans one month).
    months = sorted(facets.changed_months(frame))
    month = months[-2] if len(months) > 1 else months[-1]
    month_start = datetime.fromisoformat(f"{month}-01").date()
    month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    critical = frame[frame["priority"] == 2]
    host = str((critical if len(critical) else frame)["host"].value_counts().index[0])
    rule = str(frame["rule"].value_counts().index[0])
    return [
        {
            "name": "Critical on the host with most Critical alerts, last week",
            "priority": "critical",
            "host": host.upper(),
            "from": week,
            "to": end.isoformat(),
        },
        {
            "name": "busiest rule, a whole month",
            "rule": rule.lower(),
            "from": month_start.isoformat(),
            "to": month_end.isoformat(),
        },
        {
            "name": "Warning, a whole month",
            "priority": "Warning",
            "from": month_start.isoformat(),
            "to": month_end.isoformat(),
        },
        {"name": "tag T1059, no date range (newest months until a page is full)", "tag": "t1059"},
    ]


def measure_browser(root: Path, queries: list[dict[str, str]], repeat: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    sent: list[tuple[str, int]] = []
    handler = type("Handler", (_Gzipping,), {"sent": sent})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/search/"
    out = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for query in queries:
                params = {k: v for k, v in query.items() if k != "name"}
                url = base + "?" + "&".join(f"{k}={v}" for k, v in params.items())
                times, transfers, status = [], [], ""
                for _ in range(repeat):
                    context = browser.new_context()  # cold cache
                    page = context.new_page()
                    sent.clear()
                    page.goto(url)
                    page.wait_for_function(
                        "() => document.getElementById('fa-status').dataset.state === 'done'"
                        " && document.getElementById('fa-status').textContent !== ''",
                        timeout=60_000,
                    )
                    # From navigation start to the listing on screen (page, script, JSON, filtering).
                    times.append(page.evaluate("performance.now()"))
                    status = page.inner_text("#fa-status")
                    transfers.append({path: n for path, n in sent})
                    context.close()
                last = transfers[-1]
                out.append(
                    {
                        **query,
                        "status": status,
                        "ms_median": round(statistics.median(times)),
                        "ms_all": [round(t) for t in times],
                        "facet_bytes_sent": sum(n for path, n in last.items() if "/search/facets/" in path),
                        "known_bytes_sent": sum(n for path, n in last.items() if "known.json" in path),
                        "all_bytes_sent": sum(last.values()),
                        "facet_files": sorted(path for path in last if "/search/facets/" in path),
                    }
                )
            browser.close()
    finally:
        server.shutdown()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    t = time.perf_counter()
    frame = catalog(args.count, args.days, args.seed, args.hosts)
    synth = time.perf_counter() - t
    with tempfile.TemporaryDirectory(prefix="bench-facets-") as tmp:
        root = Path(tmp)
        written = write_facets(frame, root)
        search_page(root)
        browser = measure_browser(root, listings(frame), args.repeat)
    result = {
        "count": len(frame),
        "days": args.days,
        "hosts": args.hosts,
        "synthesis_seconds": round(synth, 1),
        **written,
        "listings": browser,
    }
    out = REPO / "benchmarks" / "out" / f"facets-{args.count}-{args.days}d.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "months"}, indent=1))
    gz = [m["gzip6"] for m in written["months"].values()]
    raw = [m["raw"] for m in written["months"].values()]
    print(f"months: {len(gz)}; facet gzip6 max {max(gz)} median {statistics.median(gz)}; raw max {max(raw)}")


if __name__ == "__main__":
    main()
