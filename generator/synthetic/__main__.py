"""Command line: ``python -m generator.synthetic`` writes synthetic alerts into a folder.

Usage::

    python -m generator.synthetic --count 100000 --seed 1 --out benchmarks/out/100k --layout mixed
    python -m generator.synthetic --demo --out alerts   # regenerates the bundled synthetic input

The same arguments always write the same bytes, so benchmark inputs need not be committed.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from generator.synthetic.scenarios import ScenarioDataError

PROG = "python -m generator.synthetic"


def _parse_start(text: str) -> datetime:
    """An ISO time with a zone (``Z`` accepted): a naive time would shift with the machine's zone."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"start time needs a timezone (e.g. a trailing Z): {text}")
    return value.astimezone(UTC)


def main(argv: list[str] | None = None) -> int:
    """Generate alerts into a folder and report the rate (or write the demo input)."""
    try:
        # Imported here so that a broken data file is one clear line, not an import traceback.
        from generator.synthetic.generate import DEFAULT_START, generate
        from generator.synthetic.write import LAYOUTS, write_alerts, write_demo
    except ScenarioDataError as exc:
        sys.stderr.write(f"{PROG}: invalid data file: {exc}\n")
        return 2
    parser = argparse.ArgumentParser(
        prog=PROG, description="Write deterministic, realistic synthetic Falco alerts into a folder."
    )
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--start", type=_parse_start, default=DEFAULT_START)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--layout", choices=LAYOUTS, default="jsonl")
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--demo", action="store_true", help="write the bundled demo input (ignores the rest)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    if args.demo:
        files = write_demo(args.out)
        sys.stdout.write(f"wrote demo input: {len(files)} files under {args.out}\n")
        return 0
    alerts = generate(args.count, args.seed, args.start, args.days, args.hosts)
    files = write_alerts(alerts, args.out, args.layout, args.seed)
    took = time.perf_counter() - began
    rate = args.count / took if took > 0 else float("inf")
    sys.stdout.write(
        f"wrote {args.count:,} alerts to {len(files):,} files under {args.out} "
        f"in {took:.2f} s ({rate:,.0f} alerts/s including writing)\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
