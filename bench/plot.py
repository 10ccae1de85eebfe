"""Median and spread of repeated bench/runner.py runs, and their plot (prints figures).

    .venv/bin/python bench/plot.py bench/results/*.json --png docs/performance-runner.png

Each JSON is one run (bench/runner.py --json). Runs of the same configuration (database,
runner processes, searches) are grouped: each figure is printed as the median and the
spread (min–max) over the runs. The PNG draws, per configuration, the lag of the oldest due
key and the search-checks per second (averaged over 10 s) over the window, one line per run.
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
    ("key_checks", "key checks", "{:.0f}"),
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
    ("cores", "runner + Postgres cores", "{:.2f}"),
    ("peak_rss", "peak RSS MiB", "{:.0f}"),
    ("searches_checked_twice", "checked twice", "{:.0f}"),
)


def value(run: dict, name: str) -> float | None:
    if name == "runner_cpu":
        return float(sum(run["runner_cpu_s"]))
    if name == "cores":  # CPU seconds of both over the window, per second of it
        pg = run.get("postgres_cpu_s") or 0.0
        return float(sum(run["runner_cpu_s"]) + pg) / float(run["window_s"])
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


SMOOTH_S = 10  # a key check counts all its searches in one second: rates are spiky


def smoothed_rate(done: list[float]) -> list[float]:
    """Search-checks per second over the last SMOOTH_S seconds, from cumulative counts."""
    return [
        (done[i] - (done[i - SMOOTH_S] if i >= SMOOTH_S else 0.0)) / min(i + 1, SMOOTH_S)
        for i in range(len(done))
    ]


def markdown(groups: dict[str, list[dict]]) -> None:
    """The figures as one markdown table, a column per configuration: median (min–max)."""
    names = list(groups)
    print("\n| | " + " | ".join(f"{n} ({len(groups[n])} runs)" for n in names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for name, title, fmt in FIGURES:
        cells = []
        for runs in groups.values():
            values = [v for r in runs if (v := value(r, name)) is not None]
            if not values:
                cells.append("–")
                continue
            cell = fmt.format(statistics.median(values))
            if len(values) > 1:
                cell += f" ({fmt.format(min(values))}–{fmt.format(max(values))})"
            cells.append(cell)
        print(f"| {title} | " + " | ".join(cells) + " |")


def plot(groups: dict[str, list[dict]], path: str) -> None:
    """One column per configuration: the oldest due key's lag above, the throughput
    below, one line per run, the demand dashed."""
    fig, axes = plt.subplots(
        2, len(groups), figsize=(4.2 * len(groups), 6.5), sharex="col", squeeze=False
    )
    for column, (name, runs) in enumerate(groups.items()):
        lag_ax, rate_ax = axes[0][column], axes[1][column]
        for i, run in enumerate(runs):
            lags = run["timeline_lag"]
            lag_ax.plot(range(len(lags)), lags, alpha=0.8, label=f"run {i + 1}")
            rate = smoothed_rate(run["timeline_checks"])
            rate_ax.plot(range(len(rate)), rate, alpha=0.8, label=f"run {i + 1}")
        rate_ax.axhline(runs[0]["demand_checks_per_s"], color="black", linestyle="--",
                        linewidth=1, label="demand")  # fmt: skip
        lag_ax.set_title(name, fontsize=9)
        lag_ax.set_yscale("symlog", linthresh=1.0)  # seconds near 0 and minutes, both legible
        worst = max((max(r["timeline_lag"], default=0.0) for r in runs), default=0.0)
        lag_ax.set_ylim(0, max(10.0, worst * 1.5))
        lag_ax.axhline(5.0, color="grey", linestyle=":", linewidth=1)
        rate_ax.set_xlabel("seconds into the window")
        rate_ax.set_ylim(bottom=0)
        lag_ax.legend(fontsize=7)
        rate_ax.legend(fontsize=7)
    axes[0][0].set_ylabel("oldest due key waited (s)\n(dotted: 5 s)")
    axes[1][0].set_ylabel(f"search-checks per second\n({SMOOTH_S} s average)")
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
    parser.add_argument("--markdown", action="store_true", help="also print one table")
    args = parser.parse_args()
    groups: dict[str, list[dict]] = defaultdict(list)
    for path in args.runs:
        run = json.loads(Path(path).read_text())
        groups[label(run)].append(run)
    for runs in groups.values():
        summary(runs)
    if args.markdown:
        markdown(groups)
    if args.png:
        plot(groups, args.png)


if __name__ == "__main__":
    main()
