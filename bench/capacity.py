"""Capacity stepping for bench/runner.py (prints figures; not a test).

Runs bench/runner.py at each search count of --steps (smallest first) for one configuration
and stops at the first count whose due lag p99 (of the oldest due key, sampled every
second, and of every claimed key) reaches --max-lag seconds: the configuration's capacity
is the largest count below it. Each step is run --repeats times and judged by the median
of its runs' lag p99 (this machine is shared and noisy: one slow run is not a breaking
point). Each run's figures are written as JSON next to the others (bench/plot.py reads
them); a run whose JSON is already there is not run again, so a stepping interrupted by the
end of a session resumes where it stopped. The steps and the window are options: coarse
steps and a short window fit in a session; fine ones need a quiet machine.

    .venv/bin/python bench/capacity.py --db postgres --processes 1 \
        --steps 250000,500000,1000000 --seconds 90 -- --page-size 200 --queries 2000 \
        --reuse-setup
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

RUNNER = Path(__file__).with_name("runner.py")


def run_once(args: argparse.Namespace, searches: int, repeat: int) -> dict:
    """One bench/runner.py run (or the figures an earlier one left)."""
    path = Path(args.out) / f"{args.db}-{args.processes}-{searches}-r{repeat}.json"
    if not path.exists():
        cmd = [sys.executable, str(RUNNER), "--db", args.db, "--processes", str(args.processes),
               "--searches", str(searches), "--seconds", str(args.seconds),
               "--json", str(path), *args.rest]  # fmt: skip
        subprocess.run(cmd, check=True)
    found: dict = json.loads(path.read_text())
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--steps", default="100000,250000,500000,1000000")
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--max-lag", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=1, help="runs per step (median)")
    parser.add_argument("--out", default="bench/results/capacity")
    parser.add_argument("rest", nargs="*", help="more bench/runner.py options (after --)")
    args = parser.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    steps = sorted(int(s) for s in args.steps.split(","))
    held: int | None = None
    rows = []
    for searches in steps:
        lags, rates = [], []
        for repeat in range(1, args.repeats + 1):
            found = run_once(args, searches, repeat)
            lags.append(max(found["lag_oldest_p99"], found["lag_claimed_p99"]))
            rates.append(found["checks_per_s"])
            demand = found["demand_checks_per_s"]
        lag = statistics.median(lags)
        kept_up = lag < args.max_lag
        rows.append((searches, lag, statistics.median(rates), demand, kept_up))
        if not kept_up:
            break
        held = searches
    print(f"\n== capacity, {args.db}, {args.processes} runner(s), lag p99 < {args.max_lag:g} s")
    for searches, lag, rate, demand, kept_up in rows:
        verdict = "kept up" if kept_up else "fell behind"
        print(f"  {searches:>9,} searches: lag p99 {lag:6.2f} s, {rate:7.0f} checks/s "
              f"(demand {demand:.0f}): {verdict}")  # fmt: skip
    top = f"{held:,}" if held is not None else f"below {steps[0]:,}"
    more = "" if rows[-1][4] is False else " (the largest step tried; it may hold more)"
    print(f"  capacity: {top} searches{more}")


if __name__ == "__main__":
    main()
