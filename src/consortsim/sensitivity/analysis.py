"""From a results table to sensitivity indices, seed noise and convergence.

The pipeline is the same whatever produced the results (the consortium model or a test
function such as Ishigami): a design matrix X (one row per design point) and a long table of
runs (``point``, ``replicate``, one column per output) go in; tables come out.

Randomness is handled in three steps:
1. replicates share seeds across design points (common random numbers), so the replicate
   statistic is a smooth function of the factors rather than a fresh draw at every point;
2. indices are computed on a statistic of the replicates: the mean (for a 0/1 outcome such as
   ``sustained``, the probability), or the std, median, min, max or a quantile ``qNN``;
3. the share of variance that is seed noise is estimated from the replicate spread at each
   point, and indices that cannot be told apart from noise are flagged.

Sources: SALib 1.6 ``analyze`` (sobol, morris, pawn); Saltelli et al. (2010);
Campolongo et al. (2007) mu*; Pianosi & Wagener (2015, 2018) PAWN;
Marrel et al. (2012) and Jaxa-Rozen & Kwakkel (2018) on sensitivity analysis of stochastic
models (replicate means and noise); Khorashadi Zadeh et al. (2017) on dummy-factor
thresholds.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from consortsim.sensitivity.sampling import Design, analysis_seed


class AnalysisError(Exception):
    """An analysis that cannot start (folder in use: status 2) or finish (runs failed or
    missing, nothing analysable: status 1)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


STATISTICS = ("mean", "std", "median", "min", "max")
_QUANTILE = re.compile(r"^q(\d{1,2})$")
_SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))


def valid_statistic(name: str) -> bool:
    """``mean``, ``std``, ``median``, ``min``, ``max`` or a quantile ``q05`` ... ``q95``."""
    return name in STATISTICS or bool(_QUANTILE.match(name))


def reduce(values: np.ndarray, statistic: str) -> np.ndarray:
    """A statistic over the replicate axis (axis 1) of a points x replicates array."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN points become NaN
        if statistic == "mean":
            return np.nanmean(values, axis=1)
        if statistic == "std":
            return np.nanstd(values, axis=1, ddof=1) if values.shape[1] > 1 else \
                np.zeros(values.shape[0])
        if statistic in ("median", "min", "max"):
            return getattr(np, f"nan{statistic}")(values, axis=1)
        match = _QUANTILE.match(statistic)
        if match:
            return np.nanquantile(values, int(match.group(1)) / 100.0, axis=1)
    raise ValueError(f"unknown statistic {statistic!r}")


def replicate_matrix(runs: pd.DataFrame, output: str, points: int,
                     replicates: int) -> np.ndarray:
    """One output as a points x replicates array.

    Raises:
        AnalysisError: when a (point, replicate) run is missing: the analysis needs all.
    """
    table = runs.pivot_table(index="point", columns="replicate", values=output,
                             aggfunc="first", dropna=False)
    table = table.reindex(index=range(points), columns=range(replicates))
    present = runs.groupby(["point", "replicate"]).size().reindex(
        pd.MultiIndex.from_product([range(points), range(replicates)]), fill_value=0)
    missing = int((present == 0).sum())
    if missing:
        raise AnalysisError(f"{missing} of {points * replicates} runs are missing from the "
                            "results; run again with --resume to finish them", status=1)
    return table.to_numpy(dtype=float)


# ---------------------------------------------------------------- seed noise


@dataclass(frozen=True)
class Noise:
    """How much of the variation is seed noise, for one output and statistic.

    With common random numbers a run's seed noise has two parts: a part common to every
    design point (replicate r is luckier everywhere; it shifts every point's statistic
    alike and cancels out of the indices) and a point-by-seed interaction (the luck of
    replicate r differs between points; it blurs the indices). A two-way decomposition of
    the points x replicates table separates them.

    Attributes:
        total_var: variance of single-run outputs over all points and replicates.
        within_var: mean over points of the variance across replicates (all seed noise
            in one run).
        common_var: variance of the seed effect shared by every point (cancels out).
        interaction_var: variance of the point-by-seed interaction (does not cancel).
        run_share: (common_var + interaction_var) over those plus the variance of the
            point effects: the share of one run's variance that is luck.
        statistic_var: variance of the analysed statistic across design points.
        statistic_noise_var: seed-noise variance of the statistic at a point, common part
            removed (interaction_var / R for the mean).
        share: statistic_noise_var / statistic_var: the share of the variance the indices
            decompose that is seed noise. Indices below it are not resolved.
    """

    total_var: float
    within_var: float
    common_var: float
    interaction_var: float
    run_share: float
    statistic_var: float
    statistic_noise_var: float
    share: float


def two_way(values: np.ndarray) -> tuple[float, float]:
    """Common seed variance and point-by-seed interaction variance of a points x replicates
    table (two-way ANOVA without replication, NaN rows dropped)."""
    values = values[~np.isnan(values).any(axis=1)]
    points, reps = values.shape
    if points < 2 or reps < 2:
        return float("nan"), float("nan")
    resid = values - values.mean(axis=1, keepdims=True) - values.mean(axis=0) + values.mean()
    interaction = float((resid**2).sum() / ((points - 1) * (reps - 1)))
    common = float(np.var(values.mean(axis=0), ddof=1)) - interaction / points
    return max(common, 0.0), interaction


def noise(values: np.ndarray, statistic: str, seed: int, resamples: int = 100) -> Noise:
    """Seed noise of one output (points x replicates) and of a statistic of it.

    For the mean the statistic's noise variance is interaction_var / R. For other
    statistics it is estimated by resampling replicates, the same resample at every point
    (so that the pairing of common random numbers is kept), with the shift common to all
    points removed.
    """
    reps = values.shape[1]
    total = float(np.nanvar(values, ddof=1)) if values.size > 1 else 0.0
    within = float(np.nanmean(np.nanvar(values, axis=1, ddof=1))) if reps > 1 else float("nan")
    common, interaction = two_way(values)
    stat_var = float(np.nanvar(reduce(values, statistic), ddof=1))
    if reps < 2:
        stat_noise = float("nan")
    elif statistic == "mean":
        stat_noise = interaction / reps
    else:
        stat_noise = _bootstrap_noise(values, statistic, seed, resamples)
    # Both shares are estimates; with few replicates or a rare 0/1 outcome they can exceed
    # 1 by chance, and a share above 1 means "all noise".
    return Noise(total, within, common, interaction, _run_share(values, common, interaction),
                 stat_var, stat_noise, min(_ratio(stat_noise, stat_var), 1.0))


def _run_share(values: np.ndarray, common: float, interaction: float) -> float:
    """Share of a single run's variance that is luck, from the two-way decomposition:
    (common + interaction) / (point effect + common + interaction)."""
    if not np.isfinite(interaction):
        return float("nan")
    reps = values.shape[1]
    point = max(float(np.nanvar(np.nanmean(values, axis=1), ddof=1)) - interaction / reps, 0.0)
    return min(_ratio(common + interaction, point + common + interaction), 1.0)


def _ratio(a: float, b: float) -> float:
    if not np.isfinite(a):
        return float("nan")
    return float(a / b) if b > 0 else (0.0 if a == 0 else 1.0)


def _bootstrap_noise(values: np.ndarray, statistic: str, seed: int, resamples: int) -> float:
    rng = np.random.default_rng(analysis_seed(seed, 11))
    reps = values.shape[1]
    base = reduce(values, statistic)
    spread = np.empty(resamples)
    for b in range(resamples):
        cols = rng.integers(0, reps, size=reps)
        shift = reduce(values[:, cols], statistic) - base
        spread[b] = np.nanvar(shift - np.nanmean(shift))
    return float(np.mean(spread))


# ---------------------------------------------------------------- indices per method


@dataclass(frozen=True)
class Settings:
    """Analysis settings shared by every method."""

    bootstrap: int = 200
    confidence: float = 0.95
    seed: int = 0


def _with_bounds(df: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Add ``X_low`` / ``X_high`` interval columns from ``X`` and its half-width ``X_conf``."""
    for name in names:
        df[f"{name}_low"] = df[name] - df[f"{name}_conf"]
        df[f"{name}_high"] = df[name] + df[f"{name}_conf"]
    return df


def sobol(problem: dict, y: np.ndarray, design: Design, settings: Settings,
          rows: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """First- and total-order (and second-order) Sobol indices with bootstrap intervals.

    Args:
        problem: SALib problem.
        y: the statistic at every design point, in design order.
        design: the Sobol design (for its block layout).
        settings: bootstrap resamples, confidence level and seed.
        rows: analyse only the first ``rows`` points (a nested sub-design).
    """
    from SALib.analyze import sobol as sobol_analyze

    y = y[: rows or len(y)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sobol_analyze.analyze(
            problem, y, calc_second_order=design.second_order,
            num_resamples=settings.bootstrap, conf_level=settings.confidence,
            seed=analysis_seed(settings.seed, len(y)))
    names = problem["names"]
    first = pd.DataFrame({"factor": names, "S1": res["S1"], "S1_conf": res["S1_conf"],
                          "ST": res["ST"], "ST_conf": res["ST_conf"]})
    second = pd.DataFrame(columns=["factor", "factor_2", "S2", "S2_conf"])
    if design.second_order:
        pairs = [(names[i], names[j], res["S2"][i, j], res["S2_conf"][i, j])
                 for i in range(len(names)) for j in range(i + 1, len(names))]
        second = pd.DataFrame(pairs, columns=["factor", "factor_2", "S2", "S2_conf"])
    return _with_bounds(first, ["S1", "ST"]), second


def morris(problem: dict, x: np.ndarray, y: np.ndarray, design: Design, settings: Settings,
           rows: int | None = None) -> pd.DataFrame:
    """Morris mu, mu* (with bootstrap interval) and sigma of the elementary effects."""
    from SALib.analyze import morris as morris_analyze

    n = rows or len(y)
    res = morris_analyze.analyze(
        problem, x[:n], y[:n], num_resamples=settings.bootstrap,
        conf_level=settings.confidence, num_levels=design.levels,
        seed=analysis_seed(settings.seed, n))
    df = pd.DataFrame({"factor": problem["names"], "mu": np.asarray(res["mu"]),
                       "mu_star": np.asarray(res["mu_star"]),
                       "mu_star_conf": np.asarray(res["mu_star_conf"]),
                       "sigma": np.asarray(res["sigma"])})
    top = df["mu_star"].max()
    df["mu_star_norm"] = df["mu_star"] / top if top > 0 else 0.0
    return _with_bounds(df, ["mu_star"])


def elementary_effects(x: np.ndarray, y: np.ndarray, levels: int) -> np.ndarray:
    """Elementary effects per trajectory and factor (trajectories x factors).

    Consecutive rows of a Morris trajectory differ in one factor by +/- delta on the unit
    grid; the effect is the output change divided by that signed step.
    """
    d = x.shape[1]
    step = levels / (2.0 * (levels - 1))
    xs = x.reshape(-1, d + 1, d)
    ys = y.reshape(-1, d + 1)
    dx = np.diff(xs, axis=1)  # trajectories x d x factors
    dy = np.diff(ys, axis=1)  # trajectories x d
    moved = np.argmax(np.abs(dx), axis=2)
    sign = np.sign(np.take_along_axis(dx, moved[..., None], axis=2)[..., 0])
    ee = np.full((xs.shape[0], d), np.nan)
    rows = np.arange(xs.shape[0])[:, None]
    ee[rows, moved] = dy * sign / step
    return ee


def morris_noise_floor(x: np.ndarray, values: np.ndarray, levels: int) -> np.ndarray:
    """mu* that seed noise alone would give each factor, from the replicate spread of the
    elementary effects (common random numbers included): sqrt(2/pi) x mean standard error.
    """
    reps = values.shape[1]
    if reps < 2:
        return np.full(x.shape[1], np.nan)
    per_rep = np.stack([elementary_effects(x, values[:, r], levels) for r in range(reps)])
    se = np.nanstd(per_rep, axis=0, ddof=1) / np.sqrt(reps)
    return _SQRT_2_OVER_PI * np.nanmean(se, axis=0)


def with_dummy(problem: dict, x: np.ndarray, seed: int) -> tuple[dict, np.ndarray]:
    """Add an uninfluential uniform ``(dummy)`` column: its index is the estimator's floor."""
    rng = np.random.default_rng(analysis_seed(seed, 29))
    prob = {"num_vars": problem["num_vars"] + 1, "names": [*problem["names"], DUMMY],
            "bounds": [*problem["bounds"], [0.0, 1.0]]}
    if "dists" in problem:
        prob["dists"] = [*problem["dists"], "unif"]
    return prob, np.column_stack([x, rng.random(x.shape[0])])


DUMMY = "(dummy)"


def pawn(problem: dict, x: np.ndarray, y: np.ndarray, settings: Settings,
         rows: int | None = None, slides: int = 10) -> pd.DataFrame:
    """PAWN: the median over conditioning slides of the Kolmogorov-Smirnov distance between
    the output's conditional and unconditional distributions, with a bootstrap interval and
    a dummy factor. Same estimator as ``SALib.analyze.pawn`` (checked in the tests), written
    with sorted arrays so that the bootstrap is affordable.
    """
    n = rows or len(y)
    prob, xd = with_dummy(problem, x[:n], settings.seed)
    xd, yn = _finite(xd, y[:n])
    stats = pawn_statistics(xd, yn, slides)
    rng = np.random.default_rng(analysis_seed(settings.seed, 31, n))
    boots = np.empty((settings.bootstrap, prob["num_vars"]))
    for b in range(settings.bootstrap):
        idx = rng.integers(0, len(yn), size=len(yn))
        boots[b] = np.nanmedian(_pawn_ks(xd[idx], yn[idx], slides), axis=0)
    z = _z(settings.confidence)
    df = pd.DataFrame({"factor": prob["names"], "pawn": stats["median"],
                       "pawn_conf": z * boots.std(axis=0, ddof=1), "pawn_mean": stats["mean"],
                       "pawn_max": stats["max"], "pawn_cv": stats["cv"]})
    return _with_bounds(df, ["pawn"])


def pawn_statistics(x: np.ndarray, y: np.ndarray, slides: int = 10) -> dict[str, np.ndarray]:
    """PAWN summary statistics (median, mean, max and CV over slides) per factor."""
    ks = _pawn_ks(x, y, slides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(ks, axis=0)
        return {"median": np.nanmedian(ks, axis=0), "mean": mean,
                "max": np.nanmax(ks, axis=0), "cv": np.nanstd(ks, axis=0) / mean}


def _pawn_ks(x: np.ndarray, y: np.ndarray, slides: int) -> np.ndarray:
    """KS distance of each slide (rows) for each factor (columns). Slides are quantile
    intervals [q_s, q_s+1) of the factor, as in SALib."""
    y_sorted = np.sort(y)
    out = np.full((slides, x.shape[1]), np.nan)
    edges = np.linspace(0.0, 1.0, slides + 1)
    for j in range(x.shape[1]):
        q = np.nanquantile(x[:, j], edges)
        for s in range(slides):
            sel = y[(x[:, j] >= q[s]) & (x[:, j] < q[s + 1])]
            if sel.size:
                out[s, j] = _ks(np.sort(sel), y_sorted)
    return out


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic of two sorted samples."""
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / a.size
    fb = np.searchsorted(b, grid, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def _finite(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows with a defined output (given-data methods can drop the others)."""
    keep = np.isfinite(y)
    return x[keep], y[keep]


def _z(confidence: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2.0))
