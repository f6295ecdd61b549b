"""Run a sensitivity experiment end to end: design, runs, analysis, tables, plots, report.

Runs go through the experiments engine (``consortsim.experiments.engine.run_points``):
parallel on local processes or a Dask cluster, streamed to Parquet chunks in the analysis
folder, resumable. The design is regenerated from the recorded seed on ``--resume`` and
checked against ``analysis.json``, so a resumed analysis runs only what is missing and
ends with exactly the results of an uninterrupted one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from consortsim.config import Scenario, with_overrides
from consortsim.sensitivity import report
from consortsim.sensitivity.analysis import AnalysisError
from consortsim.sensitivity.factors import STRATEGY_PREFIX, design_points
from consortsim.sensitivity.pipeline import Results, analyse
from consortsim.sensitivity.sampling import Design, make_design
from consortsim.sensitivity.spec import AnalysisSpec
from consortsim.sensitivity.testfunctions import TestFunctionEvaluator

FINGERPRINT = "analysis.json"

# points (label + overrides), replicates, root seed, folder, resume -> runs table
Evaluator = Callable[[list[dict[str, Any]], int, int, Path, bool], pd.DataFrame]


@dataclass
class Outcome:
    """What ``run_analysis`` produced."""

    results: Results
    files: list[Path]
    runs: int
    seconds: float


def base_scenario(spec: AnalysisSpec) -> Scenario:
    """The base scenario with the experiment's horizon."""
    assert spec.base is not None
    if spec.months is None or spec.months == spec.base.months:
        return spec.base
    return with_overrides(spec.base, {"months": spec.months}, source=spec.file)


def model_evaluator(spec: AnalysisSpec, workers: int | None, scheduler: str | None,
                    progress: bool | None) -> Evaluator:
    """Runs design points through the experiments engine on the spec's base scenario."""
    from consortsim.experiments.engine import run_points

    base = base_scenario(spec)

    def evaluate(points: list[dict[str, Any]], replicates: int, root_seed: int, out: Path,
                 resume: bool) -> pd.DataFrame:
        return run_points(base, [p["overrides"] for p in points], replicates, root_seed, out,
                          workers=workers, scheduler=scheduler, resume=resume,
                          labels=[p["label"] for p in points], progress=progress,
                          retry_failed=resume, info={"analysis": Path(spec.file).name})
    return evaluate


def fingerprint(spec: AnalysisSpec) -> dict[str, Any]:
    """What fixes the runs of an analysis (outputs and statistics can change on resume)."""
    base = None if spec.base is None else base_scenario(spec).config_hash()
    return {"method": spec.method, "samples": spec.samples, "second_order": spec.second_order,
            "levels": spec.levels, "replicates": spec.replicates, "seed": spec.seed,
            "base_config_hash": base, "test_function": {k: v for k, v in
                                                        spec.test_function.items()
                                                        if k in ("name", "noise_sd", "common_sd")},
            "factors": [[f.name, f.low, f.high, f.dist, f.dist_args, f.kind]
                        for f in spec.factors]}


def _open_folder(out: Path, spec: AnalysisSpec, resume: bool) -> None:
    path = out / FINGERPRINT
    current = fingerprint(spec)
    if path.exists():
        if not resume:
            raise AnalysisError(f"{out}: expected a new analysis folder, found an earlier "
                                "analysis; continue it with --resume or choose another --out")
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        changed = [k for k in current if stored.get(k) != json.loads(json.dumps(current[k]))]
        if changed:
            raise AnalysisError(f"{out}: expected the analysis recorded there, found a "
                                f"different one (changed: {', '.join(changed)}); choose "
                                "another --out")
    elif resume and out.exists() and any(out.iterdir()):
        raise AnalysisError(f"{out}: expected an analysis folder to resume, found no "
                            f"{FINGERPRINT}")
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")


def _design_table(spec: AnalysisSpec, design: Design) -> pd.DataFrame:
    table = pd.DataFrame(design.matrix, columns=[f.name for f in spec.factors])
    table.insert(0, "point", np.arange(design.points))
    return table


def _completed(runs: pd.DataFrame, out: Path) -> pd.DataFrame:
    """The runs table, or a clear error when runs failed or are missing."""
    failed = runs[runs["status"] == "failed"] if "status" in runs else runs.iloc[:0]
    missing = runs[runs["status"] == "missing"] if "status" in runs else runs.iloc[:0]
    if len(failed):
        raise AnalysisError(f"{len(failed):,} runs failed (first: {failed['error'].iloc[0]}); "
                            f"results are kept in {out}; fix the cause and rerun with --resume",
                            status=1)
    if len(missing):
        raise AnalysisError(f"{len(missing):,} runs are missing (a worker was lost); rerun "
                            "with --resume to finish them", status=1)
    return runs


def run_analysis(spec: AnalysisSpec, out: str | Path, *, workers: int | None = None,
                 scheduler: str | None = None, resume: bool = False,
                 progress: bool | None = None, evaluator: Evaluator | None = None) -> Outcome:
    """Design, run, analyse and report one sensitivity experiment.

    Args:
        spec: the validated experiment (``spec.load_spec``).
        out: the analysis folder (runs, tables, plots and report).
        workers: local processes (all cores when None).
        scheduler: a Dask scheduler address, or ``local`` / ``local:N``.
        resume: continue an interrupted analysis in ``out``.
        progress: show progress on stderr (on when None).
        evaluator: evaluate points some other way (default: the model through the engine,
            or the experiment's test function).

    Raises:
        AnalysisError: the folder holds another analysis, or runs failed or are missing.
    """
    started = time.perf_counter()
    out = Path(out)
    if spec.given_data is not None:
        spec, design, runs = given_data(spec)
        out.mkdir(parents=True, exist_ok=True)
    else:
        _open_folder(out, spec, resume)
        design = make_design(spec.method, spec.factors, spec.samples, spec.seed,
                             spec.second_order, spec.levels)
        _design_table(spec, design).to_csv(out / "design.csv", index=False)
        points = [{"label": f"{spec.method} {i}", "overrides": o}
                  for i, o in enumerate(design_points(spec.factors, design.matrix))]
        if evaluator is None:
            evaluator = (TestFunctionEvaluator(spec.test_function["noise_sd"],
                                               spec.test_function["common_sd"])
                         if spec.test_function else
                         model_evaluator(spec, workers, scheduler, progress))
        runs = _completed(evaluator(points, spec.replicates, spec.seed, out, resume), out)
    results = analyse(spec, design, runs)
    seconds = time.perf_counter() - started
    files = report.write_tables(out, spec, results) + report.write_plots(out, spec, results)
    files.append(report.write_report(out, spec, results, len(runs), seconds))
    return Outcome(results, files, len(runs), seconds)


# ---------------------------------------------------------------- given data (PAWN)


def given_data(spec: AnalysisSpec) -> tuple[AnalysisSpec, Design, pd.DataFrame]:
    """A Latin-hypercube (or any) sweep's results as a design and runs table.

    Reads an experiments results folder (``points.json`` + run chunks) or one table
    (Parquet or CSV) with ``point``, ``replicate``, one column per factor and the outputs.
    """
    from consortsim.config import ConfigError

    path = spec.given_data
    assert path is not None
    runs, x = _read_given(spec, path)
    if np.isnan(x).any():
        col = spec.factors[int(np.where(np.isnan(x).any(axis=0))[0][0])].name
        raise ConfigError(spec.file, "given_data", f"a sweep that varied every factor "
                          f"(factor {col} has no value at some points)", str(path))
    reps = int(runs["replicate"].max()) + 1
    design = Design("pawn", x, x.shape[0], 1)
    return replace(spec, replicates=reps, samples=x.shape[0]), design, runs


def _read_given(spec: AnalysisSpec, path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    from consortsim.config import ConfigError

    names = [f.name for f in spec.factors]
    if path.is_dir():
        from consortsim.experiments import store
        from consortsim.experiments.engine import load_results

        points = store.read_points(path)
        runs = _completed(load_results(path), path)
        x = np.array([[_factor_value(p["overrides"], n) for n in names] for p in points])
        return runs, x
    table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    needed = ["point", "replicate", *names]
    absent = [c for c in needed if c not in table.columns]
    if absent:
        raise ConfigError(spec.file, "given_data", f"a table with columns {', '.join(needed)}",
                          f"no column {absent[0]!r} in {path.name}")
    first = table.sort_values("point").drop_duplicates("point")
    return table, first[names].to_numpy(dtype=float)


def _factor_value(overrides: dict[str, Any], name: str) -> float:
    if name.startswith(STRATEGY_PREFIX):
        return float(name.removeprefix(STRATEGY_PREFIX) in overrides.get("strategies", []))
    value = overrides.get(name)
    return float("nan") if value is None else float(value)

