"""The sensitivity pipeline checked against a function with known indices (Ishigami).

The experiment files below go through ``run_analysis``, the same path as a model analysis
(factors -> SALib design -> override points -> runs table -> replicate statistics ->
indices, noise, convergence, report); only the evaluator differs.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from consortsim.rng import spawn_replicates
from consortsim.sensitivity import load_spec, run_analysis
from consortsim.sensitivity.analysis import pawn_statistics
from consortsim.sensitivity.testfunctions import ishigami, ishigami_analytic

PI = math.pi
ANALYTIC = ishigami_analytic()
V = ANALYTIC["variance"]["V"]


def write_spec(tmp_path: Path, **fields: Any) -> Path:
    data = {"name": "Ishigami check", "seed": 11, "outputs": ["y"], "bootstrap": 100,
            "test_function": {"name": "ishigami", "noise_sd": fields.pop("noise_sd", 0.0),
                              "common_sd": fields.pop("common_sd", 0.0)},
            "factors": {f"x{i}": [-PI, PI] for i in (1, 2, 3)}, **fields}
    path = tmp_path / "ishigami.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def indices(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "indices.csv").set_index("factor")


def test_sobol_matches_analytic_indices(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, method="sobol", samples=1024, second_order=True,
                                replicates=1))
    outcome = run_analysis(spec, tmp_path / "out")
    got = indices(tmp_path / "out")
    for name in ("x1", "x2", "x3"):
        assert got.loc[name, "S1"] == pytest.approx(ANALYTIC["S1"][name], abs=0.05)
        assert got.loc[name, "ST"] == pytest.approx(ANALYTIC["ST"][name], abs=0.05)
        # The bootstrap interval covers the analytic value.
        assert got.loc[name, "ST_low"] - 0.01 <= ANALYTIC["ST"][name] <= \
            got.loc[name, "ST_high"] + 0.01
    s2 = pd.read_csv(tmp_path / "out" / "second_order.csv")
    x13 = s2[(s2["factor"] == "x1") & (s2["factor_2"] == "x3")]["S2"].iloc[0]
    assert x13 == pytest.approx(ANALYTIC["S2"]["x1,x3"], abs=0.1)
    assert outcome.runs == 1024 * 8
    assert (tmp_path / "out" / "indices_y_mean.png").stat().st_size > 10_000
    assert "large enough" in (tmp_path / "out" / "report.md").read_text()


def test_convergence_report_uses_nested_subsets(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, method="sobol", samples=256, replicates=1))
    run_analysis(spec, tmp_path / "out")
    conv = pd.read_csv(tmp_path / "out" / "convergence.csv")
    assert sorted(conv["base"].unique()) == [64, 128, 256]
    table = conv.pivot(index="factor", columns="base", values="index")
    widths = conv.pivot(index="factor", columns="base", values="conf")
    verdict = pd.read_csv(tmp_path / "out" / "verdicts.csv").iloc[0]
    change = (table[256] - table[128]).abs().max()
    assert verdict["max_change"] == pytest.approx(change)
    assert verdict["max_half_width"] == pytest.approx(widths[256].max())
    assert verdict["large_enough"] == (change <= 0.05 and widths[256].max() <= 0.1)
    # Intervals narrow as the base sample grows.
    assert (widths[256] < widths[64]).all()
    # The N = 64 analysis of the N = 256 design is the N = 64 design's own analysis.
    small = load_spec(write_spec(tmp_path, method="sobol", samples=64, replicates=1))
    run_analysis(small, tmp_path / "small")
    alone = pd.read_csv(tmp_path / "small" / "indices.csv").set_index("factor")["ST"]
    np.testing.assert_allclose(table[64].loc[alone.index], alone)


def test_too_small_a_run_is_reported_as_such(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, method="sobol", samples=16, replicates=2,
                                noise_sd=3.0))
    run_analysis(spec, tmp_path / "out")
    assert not pd.read_csv(tmp_path / "out" / "verdicts.csv").iloc[0]["large_enough"]
    assert "NOT large enough" in (tmp_path / "out" / "report.md").read_text()


def test_noise_share_matches_the_added_noise(tmp_path: Path) -> None:
    sd, common, reps = 2.0, 3.0, 4
    spec = load_spec(write_spec(tmp_path, method="sobol", samples=256, replicates=reps,
                                noise_sd=sd, common_sd=common,
                                factors={**{f"x{i}": [-PI, PI] for i in (1, 2, 3)},
                                         "inert": [0, 1]}))
    run_analysis(spec, tmp_path / "out")
    noise = pd.read_csv(tmp_path / "out" / "noise.csv").iloc[0]
    assert noise["interaction_variance"] == pytest.approx(sd**2, rel=0.05)
    # The shared shift of each replicate is luck in a single run ...
    shifts = [np.random.default_rng(s).standard_normal() * common
              for s in spawn_replicates(11, reps)]
    assert noise["common_seed_variance"] == pytest.approx(np.var(shifts, ddof=1), abs=0.2)
    assert noise["seed_variance"] == pytest.approx(sd**2 + np.var(shifts, ddof=1), rel=0.05)
    # ... but common random numbers cancel it from the indices: only sd counts there.
    assert noise["noise_share"] == pytest.approx(sd**2 / reps / (V + sd**2 / reps), abs=0.015)
    got = indices(tmp_path / "out")
    # Noise lands on the inert factor's ST; it is flagged as not clear of noise.
    assert not got.loc["inert", "resolved"]
    assert got.loc["x2", "resolved"]


def _morris_grid_mu_star(levels: int = 4) -> list[float]:
    """mu* as the exact expectation of |elementary effect| over the Morris grid."""
    grid = np.linspace(0, 1, levels)
    step = levels / (2 * (levels - 1))

    def f(u: np.ndarray) -> float:
        x = -PI + 2 * PI * u
        return float(ishigami(x[0], x[1], x[2]))

    out = []
    for i in range(3):
        effects = []
        for start in grid[grid + step <= 1 + 1e-12]:
            for others in itertools.product(grid, repeat=2):
                u = np.array(list(others[:i]) + [start] + list(others[i:]))
                v = u.copy()
                v[i] += step
                effects.append(abs(f(v) - f(u)) / step)
        out.append(float(np.mean(effects)))
    return out


def test_morris_matches_grid_expectation_and_ignores_inert_factor(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, method="morris", samples=500, replicates=1,
                                factors={**{f"x{i}": [-PI, PI] for i in (1, 2, 3)},
                                         "inert": [0, 1]}))
    run_analysis(spec, tmp_path / "out")
    got = indices(tmp_path / "out")
    for name, ref in zip(("x1", "x2", "x3"), _morris_grid_mu_star(), strict=True):
        # Within the sampling error of 500 trajectories (x3's effects are heavy-tailed:
        # its mu* has a standard error of about 6% here).
        assert got.loc[name, "mu_star"] == pytest.approx(ref, rel=0.15)
        assert abs(got.loc[name, "mu_star"] - ref) <= 2 * got.loc[name, "mu_star_conf"] + 1e-9
    assert got.loc["inert", "mu_star"] == 0.0
    assert (tmp_path / "out" / "indices_y_mean.png").exists()


def test_pawn_ranks_factors_and_flags_the_inert_one(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, method="pawn", samples=2000, replicates=2,
                                noise_sd=0.5, bootstrap=30,
                                factors={**{f"x{i}": [-PI, PI] for i in (1, 2, 3)},
                                         "inert": [0, 1]}))
    run_analysis(spec, tmp_path / "out")
    got = indices(tmp_path / "out")
    assert got.loc["x2", "pawn"] > got.loc["x1", "pawn"] > got.loc["x3", "pawn"]
    assert got.loc[["x1", "x2", "x3"], "resolved"].all()
    assert not got.loc["inert", "resolved"]
    assert "(dummy)" in got.index


def test_fast_pawn_equals_salib() -> None:
    from SALib.analyze import pawn

    rng = np.random.default_rng(5)
    x = rng.uniform(-PI, PI, size=(1500, 3))
    y = ishigami(x[:, 0], x[:, 1], x[:, 2])
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-PI, PI]] * 3}
    ref = pawn.analyze(problem, x, y, S=10)
    ours = pawn_statistics(x, y, 10)
    np.testing.assert_allclose(ours["median"], ref["median"])
    np.testing.assert_allclose(ours["max"], ref["maximum"])


def test_same_seed_same_indices(tmp_path: Path) -> None:
    path = write_spec(tmp_path, method="sobol", samples=64, replicates=2, noise_sd=1.0)
    run_analysis(load_spec(path), tmp_path / "a")
    run_analysis(load_spec(path), tmp_path / "b")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a" / "indices.csv"),
                                  pd.read_csv(tmp_path / "b" / "indices.csv"))
