"""What's new: a second build lists exactly its new alerts, first-seen rules and hosts."""

from __future__ import annotations

import json
from pathlib import Path

from bs4 import BeautifulSoup
from test_pipeline import alert, build, workdir  # noqa: F401  (fixture)


def _alert_links(html: Path) -> set[str]:
    soup = BeautifulSoup(html.read_text(), "html.parser")
    table = soup.find("h2", string="New alerts, most severe first").find_next("table")
    # The first cell links the alert (the rule and host cells link their pages).
    return {a["href"].rstrip("/").rsplit("/", 1)[-1] for a in table.select("tbody td.fa-time a")}


def test_second_build_lists_exactly_its_new_alerts(workdir: Path) -> None:  # noqa: F811
    inp = workdir / "in"
    inp.mkdir()
    first = [alert(i) for i in range(4)]
    (inp / "1.jsonl").write_text("".join(json.dumps(a) + "\n" for a in first))
    assert build("in", "--site-dir", "site").exit_code == 0

    second = [
        alert(10 + i, rule="Drop and execute new binary in container", hostname="node-9", priority="Critical")
        for i in range(3)
    ]
    second.append(alert(4))  # same rule and host as before: not a first-seen rule or host
    (inp / "2.jsonl").write_text("".join(json.dumps(a) + "\n" for a in second))
    result = build("in", "--site-dir", "site")
    assert result.exit_code == 0 and "incremental" in result.output

    site = workdir / "site"
    new_ids = {p.stem for p in Path("site_src/alerts").rglob("*.md")} - {
        p.stem
        for p in Path("site_src/alerts").rglob("*.md")
        if any(json.loads(p.with_suffix(".json").read_text())["time"] == a["time"] for a in first)
    }
    assert len(new_ids) == 4
    assert _alert_links(site / "news" / "2" / "index.html") == new_ids
    assert len(_alert_links(site / "news" / "1" / "index.html")) == 4
    page = BeautifulSoup((site / "news" / "2" / "index.html").read_text(), "html.parser")
    firsts = page.find("h2", string="Rules seen for the first time").find_next("ul").get_text()
    assert "Drop and execute new binary in container" in firsts
    hosts = page.find("h2", string="Hosts seen for the first time").find_next("ul").get_text()
    assert hosts.strip() == "node-9"
    dashboard = (site / "index.html").read_text()
    assert "Build 2" in dashboard
    # A rebuild without new input adds no news page.
    assert build("in", "--site-dir", "site").exit_code == 0
    assert not (site / "news" / "3").exists()
