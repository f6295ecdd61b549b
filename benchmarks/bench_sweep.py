"""Benchmark: sweep throughput by executor, and the engine's overhead over a bare run.

Runs the same design (the 100-agency synthetic scenario; baseline and three strategies on
shared replicate seeds) four ways and prints runs per second:

- ``bare``: a plain loop of ``consortsim.run.simulate`` in this process (no engine);
- ``local-1``: the engine with one worker (in this process);
- ``local-2``: the engine on a local process pool of two workers;
- ``dask-2``: the engine on a Dask ``LocalCluster`` of two single-threaded workers.

Engine overhead is ``local-1`` time per run over ``bare`` time per run, minus one (wall
time, and CPU time of this process, which other work on the machine disturbs less), and,
least disturbed by other work, the engine's time outside the runs over the time inside
them within one sweep (``overhead_accounted``).
Parallel efficiency is throughput on two workers over twice the throughput of ``local-1``;
``busy`` is the share of the workers' time spent inside runs (the rest is the engine's and
the executor's: dispatch, writing chunks, waiting for the last chunk), which other work on
the machine does not change.
Each configuration runs ``--repeat`` times in interleaved rounds and the best time counts.
Pool and cluster start-up are timed apart (a warm-up sweep starts the fork server; the Dask
cluster is started once, before the rounds) and reported as ``startup_s``. With ``--json``
each result is one JSON object per line.

Targets (issue "Experiments"): parallel efficiency >= 90% on two workers; engine overhead
below 10% of a 100-agency run. Timings on a shared machine are noisy: run it idle (the
load average is printed with the results).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from consortsim.config import Scenario, load_scenario, with_overrides
from consortsim.experiments.engine import run_points
from consortsim.rng import spawn_replicates
from consortsim.run import simulate

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "rural_synthetic_100.yaml"
POINTS = [{}, {"strategies": ["succession_planning"]}, {"strategies": ["billing_capacity"]},
          {"strategies": ["funded_backbone"]}]


def bare(base: Scenario, replicates: int) -> tuple[float, float, float]:
    """Wall and CPU seconds for every run of the design in a plain loop, no engine."""
    scenarios = [with_overrides(base, p) if p else base for p in POINTS]
    seeds = spawn_replicates(7, replicates)
    wall, cpu = time.perf_counter(), time.process_time()
    for scenario in scenarios:
        for seed in seeds:
            simulate(scenario, seed=seed)
    wall = time.perf_counter() - wall
    return wall, time.process_time() - cpu, wall


def engine(base: Scenario, replicates: int, folder: Path, **options: Any,
           ) -> tuple[float, float, float]:
    """Wall and CPU seconds (of this process) for the same runs through ``run_points``, and
    the seconds spent inside the runs themselves (summed over runs, as the engine timed
    them)."""
    shutil.rmtree(folder, ignore_errors=True)
    wall, cpu = time.perf_counter(), time.process_time()
    frame = run_points(base, POINTS, replicates, 7, folder, progress=False, **options)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert (frame["status"] == "ok").all(), frame["error"].unique()
    return wall, cpu, float(frame["seconds"].sum())


def _row(name: str, workers: int, runs: int, wall: float, startup: float) -> dict[str, Any]:
    return {"executor": name, "workers": workers, "runs": runs, "seconds": round(wall, 3),
            "runs_per_s": round(runs / wall, 3), "ms_per_run": round(1000 * wall / runs, 2),
            "startup_s": round(startup, 2)}


def measure(base: Scenario, replicates: int, chunk: int, dask: bool,
            repeat: int) -> list[dict[str, Any]]:
    """Every figure, best of ``repeat`` interleaved rounds (the minimum is the least
    disturbed by other work on the machine)."""
    from contextlib import ExitStack

    runs = len(POINTS) * replicates
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    simulate(base, seed=0, months=12)  # warm imports and caches
    startup: dict[str, float] = {"bare": 0.0, "local-1": 0.0}
    clock = time.perf_counter()
    engine(base, 1, tmp / "warm", workers=2, chunk_size=1)  # starts the fork server
    startup["local-2"] = time.perf_counter() - clock
    best: dict[str, list[float]] = {}
    with ExitStack() as stack:
        configs: dict[str, Any] = {
            "bare": lambda: bare(base, replicates),
            "local-1": lambda: engine(base, replicates, tmp / "l1", workers=1,
                                      chunk_size=chunk),
            "local-2": lambda: engine(base, replicates, tmp / "l2", workers=2,
                                      chunk_size=chunk)}
        if dask:
            from distributed import LocalCluster

            clock = time.perf_counter()
            cluster = stack.enter_context(LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0"))
            startup["dask-2"] = time.perf_counter() - clock
            configs["dask-2"] = lambda: engine(base, replicates, tmp / "d2", chunk_size=chunk,
                                               scheduler=cluster.scheduler_address)
        for _ in range(repeat):
            for name, run in configs.items():
                wall, cpu, inside = run()
                old = best.get(name, [float("inf"), float("inf"), float("inf"), 0.0])
                workers = 2 if name.endswith("-2") else 1
                best[name] = [min(old[0], wall), min(old[1], cpu),
                              min(old[2], wall / inside - 1),
                              max(old[3], inside / (workers * wall))]
    shutil.rmtree(tmp, ignore_errors=True)
    rows = [_row(name, 2 if name.endswith("-2") else 1, runs, best[name][0], startup[name])
            for name in best]
    for r in rows[1:]:
        # share of the workers' wall time spent inside runs: what the engine and executor
        # leave idle, whatever else the machine is doing
        r["busy"] = round(best[r["executor"]][3], 3)
    one = rows[1]["runs_per_s"]
    for r in rows[1:]:
        r["efficiency"] = round(r["runs_per_s"] / (r["workers"] * one), 3)
    rows[0]["efficiency"] = None
    rows[1]["overhead"] = round(best["local-1"][0] / best["bare"][0] - 1, 4)
    rows[1]["overhead_cpu"] = round(best["local-1"][1] / best["bare"][1] - 1, 4)
    # the engine's time outside the runs over the time inside them, in one sweep: the
    # least noisy measure, as both halves see the same load
    rows[1]["overhead_accounted"] = round(best["local-1"][2], 4)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=100,
                        help="replicates per point (4 points; default 100: 400 runs, about "
                             "7 s of work at 15-20 ms a run)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved rounds; the best of each is reported")
    parser.add_argument("--months", type=int, default=None, help="horizon (default: 120)")
    parser.add_argument("--chunk-size", type=int, default=25,
                        help="runs per chunk (default 25: 16 chunks, 8 per worker)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args()
    base = load_scenario(SCENARIO)
    if args.months:
        base = with_overrides(base, {"months": args.months})
    rows = measure(base, args.replicates, args.chunk_size, not args.no_dask, args.repeat)
    load = round(os.getloadavg()[0], 2)
    if args.json:
        for r in rows:
            print(json.dumps({"scenario": base.name, "months": base.months,
                              "load_average": load, **r}))
        return
    print(f"{base.name}, {base.months} months, {rows[0]['runs']} runs per executor, best of "
          f"{args.repeat} (load average {load} on {os.cpu_count()} cores)")
    print(f"{'executor':<9} {'workers':>7} {'runs/s':>8} {'ms/run':>8} {'efficiency':>10} "
          f"{'busy':>6} {'start-up':>9}")
    for r in rows:
        eff = "-" if r["efficiency"] is None else f"{r['efficiency']:.0%}"
        busy = f"{r['busy']:.0%}" if "busy" in r else "-"
        print(f"{r['executor']:<9} {r['workers']:>7} {r['runs_per_s']:>8.2f} "
              f"{r['ms_per_run']:>8.1f} {eff:>10} {busy:>6} {r['startup_s']:>8.1f}s")
    one = rows[1]
    print(f"engine overhead over a bare run: {one['overhead']:+.1%} wall time, "
          f"{one['overhead_cpu']:+.1%} CPU time; time outside runs over time inside them "
          f"{one['overhead_accounted']:+.1%} (target < 10%)")
    for r in rows[2:]:
        verdict = "meets" if r["efficiency"] >= 0.9 else "misses"
        print(f"parallel efficiency {r['executor']}: {r['efficiency']:.0%} ({verdict} the "
              "90% target)")


if __name__ == "__main__":
    main()
