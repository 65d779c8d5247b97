"""Screenshots of the built bundled site for the README and docs (issue 13).

Builds the repository's bundled alerts into a temporary folder (packaged defaults, no
``site_url``), serves it on 127.0.0.1 and photographs the home page, an alert page, a rule
page, a host page and the search page at 1366 px and 390 px wide with headless Chromium, into
``docs/images/<page>-<width>.png``; the desktop alert page is also ``docs/images/alert-page.png``
(shown in the README). Run from the repository root::

    python -m benchmarks.screenshots
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"desktop": (1366, 768), "phone": (390, 844)}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _pages(site: Path) -> dict[str, str]:
    catalog = pd.read_csv(site / "exports" / "alerts.csv")
    syscall = catalog[catalog["source"] == "syscall"].sort_values("time_ns")
    alert = str(syscall["page"].iloc[-1]).removesuffix(".md") + "/"
    rule = catalog["rule"].value_counts().index[0]
    host = catalog["host"].value_counts().index[0]

    def find(tree: str, name: str) -> str:
        for folder in sorted((site / tree).iterdir()):
            index = folder / "index.html"
            if index.is_file() and f">{name}</h1>" in index.read_text("utf-8"):
                return f"{tree}/{folder.name}/"
        raise SystemExit(f"no {tree} page for {name!r}")

    return {
        "home": "",
        "alert": alert,
        "rule": find("rules", rule),
        "host": find("hosts", host),
        "search": "search/?q=shell",
    }


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(REPO / "alerts", work / "alerts")
        subprocess.run(
            [shutil.which("falco-archive") or "falco-archive", "build", "alerts", "-q"], cwd=work, check=True
        )
        site = work / "site"
        handler = functools.partial(_Quiet, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        OUT.mkdir(parents=True, exist_ok=True)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for width, (w, h) in WIDTHS.items():
                    context = browser.new_context(viewport={"width": w, "height": h}, color_scheme="light")
                    page = context.new_page()
                    for name, rel in _pages(site).items():
                        page.goto(base + rel)
                        page.wait_for_load_state("networkidle")
                        target = OUT / f"{name}-{width}.png"
                        page.screenshot(path=str(target))
                        print(target.relative_to(REPO))
                        if name == "alert" and width == "desktop":
                            shutil.copyfile(target, OUT / "alert-page.png")
                    context.close()
                browser.close()
        finally:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    main()
