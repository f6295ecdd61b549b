"""Benchmark: wall time of the bundled Sobol analysis (experiments/sobol_rural.yaml).

Two parts, printed separately:

- ``analysis``: the analysis alone (indices with bootstrap intervals, noise, convergence at
  N/4, N/2, N, tables, plots, report) at the full benchmark size (12 factors, base sample
  1,024 with second order, 4 replicates, 2 outputs = 106,496 runs), on results made by a
  cheap stand-in function, so it takes seconds;
- ``runs``: the bundled experiment through the experiments engine on ``--workers`` local
  processes at base sample ``--samples`` (default the file's 1,024). With a smaller base
  sample the full size is extrapolated from the measured run rate (printed as such).

Target (issue "Global sensitivity analysis"): 12 factors, base sample 1,024, 4 replicates
of the 100-agency rural network over 120 months within 15 minutes on 2 cores. With
``--json`` each part is one JSON object per line. Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from consortsim.sensitivity import load_spec, run_analysis
from consortsim.sensitivity.spec import AnalysisSpec

EXPERIMENT = Path(__file__).resolve().parent.parent / "experiments" / "sobol_rural.yaml"


def stand_in(spec: AnalysisSpec):  # noqa: ANN201 - an Evaluator
    """A cheap evaluator with the model's outputs: smooth in the factors, noisy per seed."""
    def evaluate(points, replicates, root_seed, out, resume):  # noqa: ANN001, ANN202
        names = [f.name for f in spec.factors]
        x = np.array([[float(p["overrides"].get(n, 0.0)) for n in names] for p in points])
        z = (x - x.min(axis=0)) / np.ptp(x, axis=0)
        signal = np.sin(3 * z[:, 0]) + z[:, 1] * z[:, 2] + 0.2 * z[:, 3]
        rng = np.random.default_rng(root_seed)
        frames = []
        for r in range(replicates):
            noise = rng.standard_normal(len(points))
            frames.append(pd.DataFrame({
                "point": np.arange(len(points)), "replicate": r, "status": "ok",
                "sustained": (signal + 0.5 * noise > 1.0).astype(float),
                "people_linked": 4000 + 800 * signal + 150 * noise}))
        return pd.concat(frames, ignore_index=True)
    return evaluate


def bench_analysis(spec: AnalysisSpec) -> dict[str, float]:
    """Seconds for design + analysis + report at the file's size, runs excluded."""
    out = Path(tempfile.mkdtemp(prefix="bench-sens-"))
    try:
        started = time.perf_counter()
        outcome = run_analysis(spec, out, evaluator=stand_in(spec))
        return {"part": "analysis", "runs": outcome.runs,
                "seconds": time.perf_counter() - started}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def bench_runs(spec: AnalysisSpec, samples: int, workers: int) -> dict[str, float]:
    """Seconds for the bundled experiment at base sample ``samples`` through the engine."""
    small = replace(spec, samples=samples)
    out = Path(tempfile.mkdtemp(prefix="bench-sens-"))
    try:
        started = time.perf_counter()
        outcome = run_analysis(small, out, workers=workers, progress=False)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(out, ignore_errors=True)
    rate = outcome.runs / seconds
    return {"part": "runs", "samples": samples, "workers": workers, "runs": outcome.runs,
            "seconds": seconds, "runs_per_s": rate, "full_runs": spec.runs,
            "full_seconds_estimate": spec.runs / rate,
            "extrapolated": samples != spec.samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=None,
                        help="base sample of the timed run (a power of 2; default the file's)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-runs", action="store_true", help="time the analysis only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    spec = load_spec(EXPERIMENT)
    results = [bench_analysis(spec)]
    if not args.skip_runs:
        results.append(bench_runs(spec, args.samples or spec.samples, args.workers))
    for r in results:
        if args.json:
            print(json.dumps(r))
        elif r["part"] == "analysis":
            print(f"analysis of {r['runs']:,} runs (stand-in outputs): {r['seconds']:.1f} s")
        else:
            note = " (extrapolated)" if r["extrapolated"] else ""
            print(f"{r['runs']:,} runs at base sample {r['samples']} on {r['workers']} "
                  f"workers: {r['seconds']:.0f} s ({r['runs_per_s']:.1f} runs/s); full "
                  f"{r['full_runs']:,} runs: {r['full_seconds_estimate'] / 60:.1f} min{note}")


if __name__ == "__main__":
    main()
