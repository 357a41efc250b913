"""Soak run: memory over the simulated days of a large run (issue 7).

Runs one scenario (default: 10^6 people, powerlaw_cluster of mean degree 10,
14 days of hourly ticks, a brand followed by 10% posting 3 times a day) and
records the resident memory (RSS) and the event log's size at the end of
every simulated day. Memory should stay flat but for the event log.

    python benchmarks/soak.py                 # 10^6 people
    python benchmarks/soak.py --people 100000 # quicker

Writes benchmarks/results/soak.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def rss_bytes() -> int:
    """Resident memory of this process now (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()

    from sim.model import SharingModel
    from sim.scenario import scenario_from_dict

    scenario = scenario_from_dict({
        "name": "soak", "seed": 1, "duration_days": args.days,
        "population": {"size": args.people},
        "network": {"generator": "powerlaw_cluster", "mean_degree": 10},
        "brands": [{"name": "Acme", "followers": 0.1, "campaign": {"posts_per_day": 3}}],
    })
    started = time.perf_counter()
    model = SharingModel(scenario)
    built = time.perf_counter() - started
    rows = [{"day": 0, "rss_mb": rss_bytes() / 2**20, "events": 0, "log_mb": 0.0}]
    ticks_per_day = int(24 / model.tick_hours)
    for day in range(1, args.days + 1):
        for _ in range(ticks_per_day):
            model.step()
        log_bytes = sum(model.log.column(c).nbytes for c in ("tick", "kind", "post", "brand", "person", "source"))
        rows.append({"day": day, "rss_mb": rss_bytes() / 2**20, "events": len(model.log),
                     "log_mb": log_bytes / 2**20})
        print(f"day {day:3d}  RSS {rows[-1]['rss_mb']:9.1f} MB  events {len(model.log):>11,}  "
              f"log {rows[-1]['log_mb']:7.1f} MB", flush=True)
    first, last = rows[1], rows[-1]
    growth = (last["rss_mb"] - first["rss_mb"]) - (last["log_mb"] - first["log_mb"])
    result = {"people": args.people, "days": args.days, "build_seconds": built,
              "run_seconds": time.perf_counter() - started - built, "days_rss": rows,
              "growth_beyond_log_mb": growth}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nbuilt in {built:.1f} s; RSS grew {growth:+.1f} MB from day 1 to day {args.days} "
          f"beyond the event log's growth")


if __name__ == "__main__":
    main()
