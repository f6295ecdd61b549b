"""Indices for every output and statistic, with seed noise and convergence, in one pass.

``analyse(spec, design, runs)`` is the one function between a results table and the report,
whatever produced the results (the model through the experiments engine, a test function,
or an earlier Latin-hypercube sweep).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from consortsim.sensitivity import analysis as an
from consortsim.sensitivity.factors import problem
from consortsim.sensitivity.sampling import Design, convergence_sizes
from consortsim.sensitivity.spec import AnalysisSpec

# The index each method ranks factors by, and its interval half-width column.
MAIN_INDEX: dict[str, tuple[str, str]] = {
    "sobol": ("ST", "ST_conf"), "morris": ("mu_star_norm", "mu_star_norm_conf"),
    "pawn": ("pawn", "pawn_conf"),
}


@dataclass
class Results:
    """Everything the report shows.

    Attributes:
        indices: one row per output, statistic and factor (method-specific columns).
        second_order: Sobol S2 per pair (empty otherwise).
        noise: one row per output and statistic (see ``analysis.Noise``).
        convergence: main index and interval per base size, output, statistic, factor.
        verdicts: one row per output and statistic: was the run large enough?
        notes: outputs skipped and why.
    """

    indices: pd.DataFrame
    second_order: pd.DataFrame
    noise: pd.DataFrame
    convergence: pd.DataFrame
    verdicts: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _method_indices(spec: AnalysisSpec, design: Design, y: np.ndarray,
                    rows: int | None, settings: an.Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    prob = problem(spec.factors)
    if spec.method == "sobol":
        return an.sobol(prob, y, design, settings, rows)
    if spec.method == "morris":
        df = an.morris(prob, design.matrix, y, design, settings, rows)
        top = df["mu_star"].max()
        df["mu_star_norm_conf"] = df["mu_star_conf"] / top if top > 0 else 0.0
        return df, pd.DataFrame()
    return an.pawn(prob, design.matrix, y, settings, rows), pd.DataFrame()


def _resolved(spec: AnalysisSpec, df: pd.DataFrame, noise: an.Noise, design: Design,
              values: np.ndarray) -> pd.DataFrame:
    """Flag indices that stand clear of seed noise (or, for given-data methods, of the
    dummy factor's index, which carries both seed noise and estimator noise)."""
    if spec.method == "sobol":
        df["noise_share"] = noise.share
        df["resolved"] = df["ST_low"] > np.nan_to_num(noise.share)
    elif spec.method == "morris":
        floor = an.morris_noise_floor(design.matrix, values, design.levels)
        df["noise_floor"] = floor
        df["resolved"] = df["mu_star_low"] > np.nan_to_num(floor)
    else:
        name = MAIN_INDEX[spec.method][0]
        dummy = df.loc[df["factor"] == an.DUMMY, f"{name}_high"].iloc[0]
        df["noise_floor"] = dummy
        df["resolved"] = (df[f"{name}_low"] > dummy) & (df["factor"] != an.DUMMY)
    return df


def _convergence(spec: AnalysisSpec, design: Design, y: np.ndarray,
                 settings: an.Settings) -> pd.DataFrame:
    name, conf = MAIN_INDEX[spec.method]
    parts = []
    for n in convergence_sizes(design.base, spec.method):
        df, _ = _method_indices(spec, design, y, design.rows_for(n), settings)
        parts.append(pd.DataFrame({"base": n, "runs": design.rows_for(n) * spec.replicates,
                                   "factor": df["factor"], "index": df[name],
                                   "conf": df[conf]}))
    return pd.concat(parts, ignore_index=True)


def verdict(conv: pd.DataFrame, tolerance: float, max_interval: float) -> dict[str, object]:
    """Large enough when the main index moves by at most ``tolerance`` from N/2 to N and
    the widest interval half-width at N is at most ``max_interval``."""
    conv = conv[conv["factor"] != an.DUMMY]
    sizes = sorted(conv["base"].unique())
    last = conv[conv["base"] == sizes[-1]].set_index("factor")
    change = float("nan")
    if len(sizes) > 1:
        prev = conv[conv["base"] == sizes[-2]].set_index("factor")
        change = float((last["index"] - prev["index"]).abs().max())
    width = float(last["conf"].max())
    ok = bool(np.isfinite(change) and change <= tolerance and width <= max_interval)
    return {"sizes": "/".join(str(s) for s in sizes), "max_change": change,
            "max_half_width": width, "large_enough": ok}


def _noise_row(output: str, statistic: str, n: an.Noise, replicates: int) -> dict:
    return {"output": output, "statistic": statistic, "replicates": replicates,
            "run_variance": n.total_var, "seed_variance": n.within_var,
            "common_seed_variance": n.common_var, "interaction_variance": n.interaction_var,
            "run_noise_share": n.run_share, "statistic_variance": n.statistic_var,
            "statistic_noise_variance": n.statistic_noise_var, "noise_share": n.share}


def analyse(spec: AnalysisSpec, design: Design, runs: pd.DataFrame) -> Results:
    """Indices, noise and convergence for every output x statistic of ``spec``.

    Args:
        spec: the validated experiment.
        design: the design the runs were made on (point i = design row i).
        runs: one row per run with ``point``, ``replicate`` and output columns.
    """
    settings = an.Settings(spec.bootstrap, spec.confidence, spec.seed)
    out = {"indices": [], "second": [], "noise": [], "conv": [], "verdicts": []}
    notes: list[str] = []
    for output in spec.outputs:
        values = an.replicate_matrix(runs, output, design.points, spec.replicates)
        for stat in spec.statistics:
            y = an.reduce(values, stat)
            problem_text = _unusable(y, output, stat, spec.method)
            if problem_text:
                notes.append(problem_text)
                continue
            _one(spec, design, values, y, output, stat, settings, out)
    if not out["indices"]:
        raise an.AnalysisError("no output could be analysed: " + "; ".join(notes), status=1)
    return Results(pd.concat(out["indices"], ignore_index=True),
                   pd.concat(out["second"], ignore_index=True) if out["second"]
                   else pd.DataFrame(), pd.DataFrame(out["noise"]),
                   pd.concat(out["conv"], ignore_index=True), pd.DataFrame(out["verdicts"]),
                   notes)


def _one(spec: AnalysisSpec, design: Design, values: np.ndarray, y: np.ndarray, output: str,
         stat: str, settings: an.Settings, out: dict[str, list]) -> None:
    """Analyse one output x statistic and append its tables to ``out``."""
    key = {"output": output, "statistic": stat}
    noise = an.noise(values, stat, spec.seed)
    df, s2 = _method_indices(spec, design, y, None, settings)
    df = _resolved(spec, df, noise, design, values)
    out["indices"].append(df.assign(**key)[["output", "statistic", *df.columns]])
    if len(s2):
        out["second"].append(s2.assign(**key)[["output", "statistic", *s2.columns]])
    out["noise"].append(_noise_row(output, stat, noise, spec.replicates))
    conv = _convergence(spec, design, y, settings)
    out["conv"].append(conv.assign(**key)[["output", "statistic", *conv.columns]])
    out["verdicts"].append({**key, **verdict(conv, spec.tolerance, spec.max_interval)})


def _unusable(y: np.ndarray, output: str, stat: str, method: str) -> str:
    """Why a statistic cannot be analysed (NaN, or no variation), or an empty string."""
    bad = int(np.isnan(y).sum())
    if bad and method in ("sobol", "morris"):
        return (f"{stat}({output}) skipped: undefined (NaN) at {bad} design points; "
                f"{method} needs a value at every point (choose another output or statistic)")
    finite = y[np.isfinite(y)]
    if finite.size < 2 or np.ptp(finite) == 0:
        return f"{stat}({output}) skipped: the same value at every design point"
    return ""
