"""Functions with known sensitivity indices, evaluated in place of the model.

An experiment file with ``test_function: {name: ishigami}`` goes through exactly the same
pipeline as a model analysis (factors -> design -> override points -> results table with
``point``, ``replicate`` and output columns -> replicate statistics -> indices, noise,
convergence, report); only the evaluator differs. With ``noise_sd`` each run adds seed
noise drawn from the replicate's seed and the point (a point-by-seed interaction), and with
``common_sd`` a shift drawn from the replicate's seed alone (luck shared by every point,
which common random numbers cancel), so the noise shares have known values too.

Ishigami: f = sin x1 + a sin^2 x2 + b x3^4 sin x1, x_i ~ U(-pi, pi), a = 7, b = 0.1.
Analytic variances (Ishigami & Homma 1990; Sobol' & Levitan 1999; SALib
``test_functions.Ishigami``): V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2,
V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V3 = 0, V13 = b^2 pi^8 (1/18 - 1/50).
Factors whose names are not x1, x2, x3 are inert (a check that screening finds nothing).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from consortsim.config import ConfigError
from consortsim.rng import spawn_replicates
from consortsim.sensitivity.factors import Factor, _bounds, _distribution, _no_extra, _spec_mapping

A, B = 7.0, 0.1
ISHIGAMI_INPUTS = ("x1", "x2", "x3")


def ishigami(x1: np.ndarray, x2: np.ndarray, x3: np.ndarray, a: float = A,
             b: float = B) -> np.ndarray:
    """The Ishigami function."""
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3 ** 4 * np.sin(x1)


def ishigami_analytic(a: float = A, b: float = B) -> dict[str, dict[str, float]]:
    """First-order (S1), total (ST) and second-order (S2) indices over U(-pi, pi)^3."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {
        "S1": {"x1": v1 / v, "x2": v2 / v, "x3": 0.0},
        "ST": {"x1": (v1 + v13) / v, "x2": v2 / v, "x3": v13 / v},
        "S2": {"x1,x2": 0.0, "x1,x3": v13 / v, "x2,x3": 0.0},
        "variance": {"V": v},
    }


def _parse_factor(file: str, name: str, spec: Any) -> Factor:
    path = f"factors.{name}"
    fields = _spec_mapping(file, path, spec)
    low, high = _bounds(file, path, fields)
    dist, args = _distribution(file, path, fields)
    _no_extra(file, path, fields)
    return Factor(str(name), low, high, dist, args)


def parse_test_function(file: str, spec: Any) -> dict[str, Any] | None:
    """``test_function: {name: ishigami, noise_sd: 0, common_sd: 0}`` -> settings, or None
    for the model."""
    if spec is None:
        return None
    if not isinstance(spec, dict) or spec.get("name") != "ishigami":
        raise ConfigError(file, "test_function", "{name: ishigami, noise_sd: S}", repr(spec))
    extra = set(spec) - {"name", "noise_sd", "common_sd"}
    if extra:
        raise ConfigError(file, f"test_function.{sorted(extra)[0]}",
                          "name, noise_sd or common_sd", "unknown key")
    sds = {}
    for key in ("noise_sd", "common_sd"):
        sd = spec.get(key, 0.0)
        if isinstance(sd, bool) or not isinstance(sd, int | float) or sd < 0:
            raise ConfigError(file, f"test_function.{key}", "a non-negative number", repr(sd))
        sds[key] = float(sd)
    return {"name": "ishigami", **sds, "outputs": ("y",), "parse_factor": _parse_factor}


class TestFunctionEvaluator:
    """Evaluates Ishigami at design points, one row per (point, replicate).

    Same contract as the model evaluator: override points in, a runs table out.
    """

    __test__ = False  # not a pytest class

    def __init__(self, noise_sd: float = 0.0, common_sd: float = 0.0) -> None:
        self.noise_sd = noise_sd
        self.common_sd = common_sd

    def __call__(self, points: list[dict[str, Any]], replicates: int, root_seed: int,
                 out_dir: Path | None = None, resume: bool = False) -> pd.DataFrame:
        """Evaluate every point under every replicate seed."""
        x = {k: np.array([float(p["overrides"].get(k, 0.0)) for p in points])
             for k in ISHIGAMI_INPUTS}
        y = ishigami(x["x1"], x["x2"], x["x3"])
        rows = []
        for r, seed in enumerate(spawn_replicates(root_seed, replicates)):
            # Noise depends on the replicate's seed and the point, like a model run's.
            rng = np.random.default_rng(seed)
            shared = rng.standard_normal() * self.common_sd
            eps = rng.standard_normal(len(points)) * self.noise_sd
            rows.append(pd.DataFrame({"point": np.arange(len(points)), "replicate": r,
                                      "status": "ok", "y": y + shared + eps}))
        return pd.concat(rows, ignore_index=True)
