"""Median and spread of repeated bench/runner.py runs, and their plot (prints figures).

    .venv/bin/python bench/plot.py bench/results/*.json --png docs/performance-runner.png

Each JSON is one run (bench/runner.py --json). Runs of the same configuration (database,
runner processes, searches) are grouped: each figure is printed as the median and the
spread (min–max) over the runs. The PNG draws, per configuration, the lag of the oldest due
key and the search-checks per second over the window (one line per run).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

FIGURES = (
    ("checks_per_s", "search-checks/s", "{:.0f}"),
    ("demand_checks_per_s", "demand checks/s", "{:.0f}"),
    ("lag_claimed_p50", "due lag p50 s", "{:.2f}"),
    ("lag_claimed_p99", "due lag p99 s", "{:.2f}"),
    ("lag_oldest_p99", "oldest-due lag p99 s", "{:.2f}"),
    ("fetches_per_check", "fetches/check", "{:.5f}"),
    ("coalescing_ratio", "× fewer fetches", "{:.0f}"),
    ("alert_rows_p50_ms", "alert rows p50 ms", "{:.0f}"),
    ("alert_rows_p99_ms", "alert rows p99 ms", "{:.0f}"),
    ("alert_rows_first_p50_ms", "first alert row p50 ms", "{:.0f}"),
    ("alert_rows_first_p99_ms", "first alert row p99 ms", "{:.0f}"),
    ("new_share", "new share of pages", "{:.4f}"),
    ("runner_cpu", "runner CPU s", "{:.1f}"),
    ("postgres_cpu_s", "Postgres CPU s", "{:.1f}"),
    ("peak_rss", "peak RSS MiB", "{:.0f}"),
    ("searches_checked_twice", "checked twice", "{:.0f}"),
)


def value(run: dict, name: str) -> float | None:
    if name == "runner_cpu":
        return float(sum(run["runner_cpu_s"]))
    if name == "peak_rss":
        return float(max(run["peak_rss_mb"]))
    found = run.get(name)
    return None if found is None else float(found)


def label(run: dict) -> str:
    return f"{run['db']}, {run['processes']} runner(s), {run['searches']:,} searches"


def summary(runs: list[dict]) -> None:
    print(f"\n== {label(runs[0])}: {len(runs)} run(s)")
    for name, title, fmt in FIGURES:
        values = [v for r in runs if (v := value(r, name)) is not None]
        if not values:
            continue
        spread = (
            f"  ({fmt.format(min(values))}–{fmt.format(max(values))})" if len(values) > 1 else ""
        )
        print(f"  {title:22s} {fmt.format(statistics.median(values))}{spread}")
    tiers: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        for tier, t in run["lag_by_tier"].items():
            tiers[tier].append(t["p99"])
    for tier, p99s in tiers.items():
        print(f"  lag p99 {tier:14s} {statistics.median(p99s):.2f}")


def plot(groups: dict[str, list[dict]], path: str) -> None:
    fig, (lag_ax, rate_ax) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for n, (name, runs) in enumerate(groups.items()):
        colour = colours[n % len(colours)]
        for i, run in enumerate(runs):
            lags = run["timeline_lag"]
            lag_ax.plot(range(len(lags)), lags, color=colour, alpha=0.8,
                        label=name if i == 0 else None)  # fmt: skip
            done = run["timeline_checks"]
            rate = [b - a for a, b in zip([0.0, *done[:-1]], done, strict=True)]
            rate_ax.plot(range(len(rate)), rate, color=colour, alpha=0.6,
                         label=name if i == 0 else None)  # fmt: skip
        demand = runs[0]["demand_checks_per_s"]
        rate_ax.axhline(demand, color=colour, linestyle="--", linewidth=1)
    lag_ax.set_ylabel("oldest due key waited (s)")
    lag_ax.legend(fontsize=8)
    rate_ax.set_ylabel("search-checks per second")
    rate_ax.set_xlabel("seconds into the steady window (dashed: demand)")
    rate_ax.legend(fontsize=8)
    fig.suptitle("bench/runner.py: due lag and throughput per configuration")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f"\nplot: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--png")
    args = parser.parse_args()
    groups: dict[str, list[dict]] = defaultdict(list)
    for path in args.runs:
        run = json.loads(Path(path).read_text())
        groups[label(run)].append(run)
    for runs in groups.values():
        summary(runs)
    if args.png:
        plot(groups, args.png)


if __name__ == "__main__":
    main()
