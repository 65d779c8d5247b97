"""Search benchmark (issue 5): index time, peak RSS and bytes per query at 10k and 100k alerts.

What it does, per scale:

1. synthesise ``count`` alerts over ``days`` days (``generator.synthetic``), write them as JSONL;
2. ``falco-archive build --no-mkdocs`` (Markdown), then MkDocs (timed apart), then a *full*
   :func:`generator.publish.search.index_site` (time, peak RSS of the largest Pagefind run);
3. serve the site on 127.0.0.1 under a sub-path and, in headless Chromium with a cold cache
   per query, load the search page, then submit queries and count the bytes the server sent
   from submit to "results shown" (server-side, so worker and WebAssembly fetches count) and
   the time until results are on screen;
4. a *nightly* run: ``nightly`` more alerts after the last one, incremental build, MkDocs
   dirty build, incremental ``index_site``; its index time as a share of the full index.

Results go to ``benchmarks/out/search-<count>.json`` and a section of
``docs/search-benchmarks.md``. Usage::

    python -m benchmarks.bench_search --count 10000 --days 36
    python -m benchmarks.bench_search --count 100000 --days 365   # long: run in the background
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import logging
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from generator.archive.state import State
from generator.publish import search
from generator.synthetic.generate import generate
from generator.synthetic.write import write_alerts

log = logging.getLogger("bench_search")
REPO = Path(__file__).resolve().parents[1]
SUB = "archive"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
START = datetime(2025, 1, 1, tzinfo=UTC)


def sh(*args: str, cwd: Path, env: dict[str, str] | None = None) -> float:
    t = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t


def frozen_cli(work: Path) -> tuple[list[str], dict[str, str]]:
    """The build CLI from a private copy of the package: a long benchmark must not see the
    repository's code change under it (that changes the build fingerprint, so the "nightly"
    build would silently become a full rebuild)."""
    code = work / "code"
    shutil.copytree(REPO / "generator", code / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(code)}
    return [sys.executable, "-c", "import sys; from generator.cli import main; sys.exit(main())"], env


def skeleton(work: Path) -> None:
    """The packaged mkdocs.yml and hand-written pages (the theme overrides come from the package)."""
    from generator.publish.packaged import DEFAULT_DOCS, DEFAULT_MKDOCS

    work.mkdir(parents=True, exist_ok=True)
    shutil.copy2(DEFAULT_MKDOCS, work / "mkdocs.yml")
    shutil.copytree(DEFAULT_DOCS, work / "site_src", dirs_exist_ok=True)


def mkdocs(work: Path, dirty: bool) -> float:
    """MkDocs over every page (``dirty``: into the kept site, converting only newer Markdown)."""
    from generator.publish.site import build_site

    t = time.perf_counter()
    site = work / "serve" / SUB
    if not dirty:
        shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True, exist_ok=True)
    build_site(
        config_file=work / "mkdocs.yml",
        docs_dir=work / "site_src",
        site_dir=site,
        site_url=f"http://127.0.0.1/{SUB}/",
    )
    return time.perf_counter() - t


class _Counting(http.server.SimpleHTTPRequestHandler):
    sent: list[tuple[str, int]]
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def copyfile(self, source: Any, outputfile: Any) -> None:
        data = source.read()
        outputfile.write(data)
        with self.lock:
            self.sent.append((self.path, len(data)))


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, list[tuple[str, int]]]:
    sent: list[tuple[str, int]] = []
    handler = type("Handler", (_Counting,), {"sent": sent})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, sent


def pick_queries(work: Path) -> list[dict[str, str]]:
    """Representative queries, taken from the archive itself."""
    site = work / "serve" / SUB
    manifest = json.loads((site / "pagefind" / "shards.json").read_text())
    oldest_day = manifest["alerts"][-1]["first"].replace("-", "/")
    newest_day = manifest["alerts"][0]["last"].replace("-", "/")
    days = search.list_alert_pages(site)
    old_id = days[oldest_day][0]
    new_id = days[newest_day][-1]
    raw_old = json.loads((site / "alerts" / oldest_day / f"{old_id}.json").read_text())
    fields = raw_old.get("output_fields") or {}
    # evt.time (19 digits, nanoseconds) names one event: a term that only the oldest alert has.
    rare = str(fields.get("evt.time") or fields.get("proc.pid") or raw_old["rule"].split()[0])
    return [
        {"name": "common word", "q": "bash"},
        {"name": "common word + priority filter", "q": "bash", "priority": "Warning"},
        {"name": "word + host filter", "q": "root", "host": raw_old.get("hostname") or "unknown"},
        {"name": "rare term from the oldest alert (stops at the metadata budget)", "q": rare},
        {
            "name": "same token with the oldest alert's date range",
            "q": rare,
            "from": oldest_day.replace("/", "-"),
            "to": oldest_day.replace("/", "-"),
        },
        {"name": "pasted ID, newest alert", "q": new_id},
        {"name": "pasted ID, oldest alert", "q": old_id},
    ]


def measure_queries(work: Path, queries: list[dict[str, str]]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    server, sent = serve(work / "serve")
    base = f"http://127.0.0.1:{server.server_address[1]}/{SUB}/search/"
    out: dict[str, Any] = {"queries": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            for query in queries:
                context = browser.new_context()  # cold cache for every query
                page = context.new_page()
                sent.clear()
                page.goto(base)
                page.wait_for_load_state("networkidle")
                page_bytes = sum(n for _p, n in sent)
                sent.clear()
                page.fill("#fa-q", query["q"])
                if "priority" in query:
                    page.select_option("#fa-priority", query["priority"])
                if "host" in query:
                    page.fill("#fa-host", query["host"])
                for key in ("from", "to"):
                    if key in query:
                        page.fill(f"#fa-{key}", query[key])
                t = time.perf_counter()
                page.click("#fa-search-form button[type=submit]")
                page.wait_for_function(
                    "() => document.getElementById('fa-status').dataset.state === 'done'",
                    timeout=60_000,
                )
                elapsed = time.perf_counter() - t
                page.wait_for_load_state("networkidle")
                results = page.locator("#fa-results > li").count()
                status = page.inner_text("#fa-status")
                query_bytes = sum(n for _p, n in sent)
                files = len(sent)
                out["queries"].append(
                    {
                        **query,
                        "seconds_to_results": round(elapsed, 3),
                        "bytes": query_bytes,
                        "requests": files,
                        "results": results,
                        "status": status,
                        "search_page_bytes": page_bytes,
                    }
                )
                log.info("%s: %.2f s, %d bytes, %d results", query["name"], elapsed, query_bytes, results)
                context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return out


def bundle_stats(site: Path) -> dict[str, Any]:
    bundle = site / "pagefind"
    files = [p for p in bundle.rglob("*") if p.is_file()]
    metas = [p.stat().st_size for p in bundle.glob("*/*.pf_meta")]
    return {
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "meta_bytes_total": sum(metas),
        "meta_bytes_max": max(metas, default=0),
    }


def run(count: int, days: int, nightly: int, work: Path, cap: int, seed: int) -> dict[str, Any]:
    result: dict[str, Any] = {"count": count, "days": days, "cap": cap, "nightly": nightly}
    if work.exists():
        shutil.rmtree(work)
    skeleton(work)
    alerts = work / "alerts"
    t = time.perf_counter()
    write_alerts(generate(count, seed=seed, start=START, days=days), alerts / "base", "jsonl")
    result["synth_seconds"] = round(time.perf_counter() - t, 1)
    launcher, env = frozen_cli(work)
    cli = [*launcher, "build", "alerts", "--site-dir", f"serve/{SUB}", "--no-mkdocs"]
    result["markdown_seconds"] = round(sh(*cli, cwd=work, env=env), 1)
    result["mkdocs_seconds"] = round(mkdocs(work, dirty=False), 1)
    site = work / "serve" / SUB
    full = search.index_site(site, State(work / ".falco-archive").search_dir, full=True, cap=cap)
    result["full_index"] = full.as_json()
    result["bundle"] = bundle_stats(site)
    log.info("full index: %.1f s, peak RSS %.0f MB", full.seconds, full.peak_rss_bytes / 1e6)
    result.update(measure_queries(work, pick_queries(work)))

    # Nightly: alerts after the last one, as a cron job would find them.
    last = START + timedelta(days=days)
    write_alerts(generate(nightly, seed=seed + 1, start=last, days=1), alerts / "nightly", "jsonl")
    result["nightly_markdown_seconds"] = round(sh(*cli, cwd=work, env=env), 1)
    result["nightly_build_mode"] = json.loads((work / "site_src" / "build-report.json").read_text())["mode"]
    result["nightly_mkdocs_seconds"] = round(mkdocs(work, dirty=True), 1)
    inc = search.index_site(site, State(work / ".falco-archive").search_dir, full=False, cap=cap)
    result["nightly_index"] = inc.as_json()
    result["nightly_share_of_full"] = round(inc.seconds / full.seconds, 3) if full.seconds else None
    result.update(late_nightly(work, days, nightly, cap, seed, full.seconds))
    result["python_peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return result


def late_nightly(
    work: Path, days: int, count: int, cap: int, seed: int, full_seconds: float
) -> dict[str, Any]:
    """A second nightly run whose alerts belong to the archive's last (full) month: late alerts
    for the day before. They land in the month's last shard, which may have to be repacked:
    the expensive case for the incremental index."""
    cli, env = frozen_cli(work) if not (work / "code").exists() else _existing_cli(work)
    cli = [*cli, "build", "alerts", "--site-dir", f"serve/{SUB}", "--no-mkdocs"]
    day = START + timedelta(days=days - 1)
    write_alerts(generate(count, seed=seed + 2, start=day, days=1), work / "alerts" / "late", "jsonl")
    sh(*cli, cwd=work, env=env)
    mkdocs(work, dirty=True)
    search_dir = State(work / ".falco-archive").search_dir
    late = search.index_site(work / "serve" / SUB, search_dir, full=False, cap=cap)
    return {
        "late_index": late.as_json(),
        "late_share_of_full": round(late.seconds / full_seconds, 3) if full_seconds else None,
    }


def _existing_cli(work: Path) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "PYTHONPATH": str(work / "code")}
    return [sys.executable, "-c", "import sys; from generator.cli import main; sys.exit(main())"], env


def markdown_section(r: dict[str, Any]) -> str:
    full, inc = r["full_index"], r["nightly_index"]
    lines = [
        f"## {r['count']:,} alerts over {r['days']} days (shard cap {r['cap']:,} pages)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on this machine ({os.cpu_count()} CPUs, shared).",
        "",
        "| Step | Result |",
        "|---|---|",
        f"| Markdown (`falco-archive build --no-mkdocs`) | {r['markdown_seconds']} s |",
        f"| MkDocs | {r['mkdocs_seconds']} s |",
        f"| Full index: time | {full['seconds']:.1f} s ({full['shards']} shards, "
        f"{full['pages_indexed']:,} pages) |",
        f"| Full index: peak RSS (largest Pagefind run) | {full['peak_rss_bytes'] / 1e6:.0f} MB |",
        f"| Search bundle on disk | {r['bundle']['bytes'] / 1e6:.1f} MB in {r['bundle']['files']:,} files; "
        f"largest shard metadata {r['bundle']['meta_bytes_max'] / 1e3:.0f} KB |",
        f"| Nightly +{r['nightly']:,} alerts: index time | {inc['seconds']:.1f} s = "
        f"{100 * r['nightly_share_of_full']:.0f} % of the full index "
        f"({len(inc['indexed'])} shards, {inc['pages_indexed']:,} pages re-indexed) |",
        f"| Nightly: peak RSS | {inc['peak_rss_bytes'] / 1e6:.0f} MB |",
        f"| Nightly: where the index time went | {inc['timings']} |",
        f"| Nightly: Markdown / MkDocs (build mode {r.get('nightly_build_mode', '?')}) | "
        f"{r['nightly_markdown_seconds']} s / {r['nightly_mkdocs_seconds']} s |",
    ]
    late = r.get("late_index")
    if late:
        lines.append(
            f"| Second nightly, +{r['nightly']:,} late alerts into the last full month: index time | "
            f"{late['seconds']:.1f} s = {100 * r['late_share_of_full']:.0f} % of the full index "
            f"({len(late['indexed'])} shards, {late['pages_indexed']:,} pages re-indexed, "
            f"peak RSS {late['peak_rss_bytes'] / 1e6:.0f} MB) |"
        )
    lines += [
        "",
        "| Query | Time to results | Bytes transferred | Requests | Results |",
        "|---|--:|--:|--:|--:|",
    ]
    for q in r["queries"]:
        lines.append(
            f"| {q['name']} | {q['seconds_to_results']:.2f} s | {q['bytes'] / 1e3:.0f} KB | "
            f"{q['requests']} | {q['results']} |"
        )
    page = r["queries"][0]["search_page_bytes"] if r["queries"] else 0
    lines += [
        "",
        f"Loading the search page itself (cold cache, before any query): {page / 1e3:.0f} KB, mostly "
        "Material's own CSS and JavaScript, shared with every other page of the site.",
    ]
    if r.get("full_index_remeasured"):
        lines.append(
            f"Full index {r['full_index_remeasured']} (the same run while other jobs loaded the machine: "
            f"{r['full_index_loaded_machine']['seconds']:.0f} s); the nightly shares are against it."
        )
    if r.get("queries_remeasured"):
        lines.append(
            f"Queries re-measured {r['queries_remeasured']} on the same site with the current "
            "search page script and feed link (`--measure-only`)."
        )
    lines.append("")
    return "\n".join(lines)


def write_report(r: dict[str, Any]) -> None:
    out = REPO / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"search-{r['count']}.json").write_text(json.dumps(r, indent=1), "utf-8")
    doc = REPO / "docs" / "search-benchmarks.md"
    head = (
        "# Search benchmarks (issue 5)\n\nWritten by `benchmarks/bench_search.py`; one section per scale.\n\n"
    )
    text = doc.read_text("utf-8") if doc.exists() else head
    sections = text.split("\n## ")
    title = f"{r['count']:,} alerts"
    kept = [sections[0], *[s for s in sections[1:] if not s.startswith(title)]]
    body = "\n## ".join(kept).rstrip() + "\n\n" + markdown_section(r)
    doc.write_text(body, "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=36)
    parser.add_argument("--nightly", type=int, default=1_000)
    parser.add_argument("--cap", type=int, default=search.SHARD_CAP)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="re-run only the browser measurements on an existing work folder (after a JS fix)",
    )
    parser.add_argument(
        "--late-only", action="store_true", help="run only the late-alerts nightly on an existing work folder"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    random.seed(args.seed)
    work = args.work or Path(tempfile.gettempdir()) / f"falco-archive-search-{args.count}"
    saved = REPO / "benchmarks" / "out" / f"search-{args.count}.json"
    if args.measure_only:
        result = json.loads(saved.read_text())
        result.update(measure_queries(work, pick_queries(work)))
        result["queries_remeasured"] = datetime.now(UTC).isoformat(timespec="minutes")
    elif args.late_only:
        result = json.loads(saved.read_text())
        full_seconds = result["full_index"]["seconds"]
        result.update(
            late_nightly(work, result["days"], result["nightly"], result["cap"], args.seed, full_seconds)
        )
    else:
        result = run(args.count, args.days, args.nightly, work, args.cap, args.seed)
    write_report(result)
    print(markdown_section(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
