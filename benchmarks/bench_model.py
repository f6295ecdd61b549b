"""Benchmark: time of one run (data collection included) by consortium size.

Prints the median wall time of one 120-month run of a synthetic consortium at 25, 100,
400 and 1,600 agencies, and the peak memory of one run. With ``--json`` prints one JSON
object per line (agencies, months, runs, median_s, min_s, peak_mib).

Targets on a 2-core machine: at most 10 ms per run at 100 agencies and 1 s at 1,600, with
cost growing no faster than the number of agency pairs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tracemalloc
from pathlib import Path

from consortsim.config import load_scenario, with_overrides
from consortsim.run import simulate

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "rural_synthetic_100.yaml"


def scenario_of(size: int):  # noqa: ANN201
    """The bundled synthetic rural network resized to ``size`` agencies."""
    base = load_scenario(SCENARIO)
    table = max(20, size // 10)  # large networks meet in workgroups
    return with_overrides(base, {"synthetic.agencies": size,
                                 "coordination.table_size": min(table, 200)})


def bench(size: int, months: int, runs: int) -> dict[str, float]:
    """Median and best time of ``runs`` runs, and the peak traced memory of one."""
    scenario = scenario_of(size)
    simulate(scenario, seed=0, months=months)  # warm up imports and caches
    times = []
    for seed in range(runs):
        start = time.perf_counter()
        simulate(scenario, seed=seed + 1, months=months)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    simulate(scenario, seed=99, months=months)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"agencies": size, "months": months, "runs": runs,
            "median_s": statistics.median(times), "min_s": min(times),
            "peak_mib": peak / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25, 100, 400, 1600])
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--runs", type=int, default=0,
                        help="runs per size (default: more for small sizes)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args()
    if not args.json:
        print(f"{'agencies':>8} {'months':>6} {'runs':>4} {'median ms':>10} {'best ms':>9} "
              f"{'peak MiB':>9}")
    for size in args.sizes:
        runs = args.runs or (20 if size <= 100 else 5 if size <= 400 else 3)
        row = bench(size, args.months, runs)
        if args.json:
            print(json.dumps(row))
        else:
            print(f"{row['agencies']:>8} {row['months']:>6} {row['runs']:>4} "
                  f"{1000 * row['median_s']:>10.1f} {1000 * row['min_s']:>9.1f} "
                  f"{row['peak_mib']:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
