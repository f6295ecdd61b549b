"""Design points: which parameter values to run, as lists of dotted-path overrides.

A design is generated here and executed by ``engine.run_points``; the two never mix, so
any list of points can be run (a SALib sample matrix through ``matrix_points``).

- ``strategies_design``: named arms, each a set of library strategies and/or explicit
  overrides, one of them the baseline that the others are compared with.
- ``grid_design``: the full factorial of listed levels (first key varies slowest).
- ``lhs_design``: a Latin hypercube over bounded parameters, from a seeded sampler
  (``scipy.stats.qmc.LatinHypercube``), so the same seed gives the same points.

Sources: McKay, Beckman and Conover 1979 (Latin hypercube sampling); scipy.stats.qmc;
EMA Workbench (designs as lists of parameter mappings).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import qmc

from consortsim.params import lookup
from consortsim.strategies import STRATEGIES

BASELINE = "baseline"


@dataclass(frozen=True)
class Design:
    """Points to run, with a label each (and a title for people)."""

    kind: str
    points: list[dict[str, Any]]
    labels: list[str]
    titles: list[str]
    baseline: int | None = None
    parameters: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class Arm:
    """One arm of a strategy comparison: library strategies plus explicit changes."""

    name: str
    strategies: tuple[str, ...] = ()
    overrides: dict[str, Any] = field(default_factory=dict)
    title: str = ""

    def point(self) -> dict[str, Any]:
        """The arm as design-point overrides."""
        point: dict[str, Any] = {"strategies": list(self.strategies)} if self.strategies else {}
        point.update(self.overrides)
        return point


@dataclass(frozen=True)
class Bounds:
    """A parameter's sampling range; integer parameters take whole values."""

    low: float
    high: float
    integer: bool = False

    def scale(self, u: np.ndarray) -> list[float] | list[int]:
        """Map unit-interval samples onto the range (each integer equally likely)."""
        if self.integer:
            lo, hi = int(self.low), int(self.high)
            return [min(hi, lo + int(math.floor(x * (hi - lo + 1)))) for x in u]
        return [float(self.low + x * (self.high - self.low)) for x in u]


def library_arm(name: str) -> Arm:
    """The baseline, or a library strategy as an arm of its own."""
    if name == BASELINE:
        return Arm(BASELINE, title="Baseline (no added strategy)")
    return Arm(name, (name,), title=STRATEGIES[name].title)


def strategies_design(arms: Sequence[Arm], baseline: str = BASELINE) -> Design:
    """Compare arms; the baseline arm is added first when not listed.

    Raises:
        ValueError: two arms share a name.
    """
    arms = list(arms)
    names = [a.name for a in arms]
    if len(set(names)) != len(names):
        raise ValueError(f"arm names must be unique, found {names}")
    if baseline not in names:
        arms.insert(0, library_arm(BASELINE) if baseline == BASELINE else Arm(baseline))
    return Design("strategies", [a.point() for a in arms], [a.name for a in arms],
                  [a.title or a.name for a in arms],
                  baseline=[a.name for a in arms].index(baseline))


def _level_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "+".join(str(v) for v in value) or "none"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def grid_design(levels: Mapping[str, Sequence[Any]]) -> Design:
    """Every combination of the listed levels (full factorial)."""
    keys = list(levels)
    points, labels = [], []
    for combo in itertools.product(*(levels[k] for k in keys)):
        points.append(dict(zip(keys, combo, strict=True)))
        labels.append(", ".join(f"{k}={_level_text(v)}" for k, v in zip(keys, combo,
                                                                        strict=True)))
    return Design("grid", points, labels, labels, parameters=tuple(keys))


def lhs_design(bounds: Mapping[str, Bounds], samples: int, seed: int) -> Design:
    """A Latin hypercube of ``samples`` points over ``bounds`` (one stratum per sample and
    parameter), reproducible from ``seed``."""
    keys = list(bounds)
    sampler = qmc.LatinHypercube(d=len(keys), rng=np.random.default_rng(seed))
    unit = sampler.random(samples)
    columns = {k: bounds[k].scale(unit[:, j]) for j, k in enumerate(keys)}
    points = [{k: columns[k][i] for k in keys} for i in range(samples)]
    labels = [f"lhs {i}" for i in range(samples)]
    return Design("lhs", points, labels, labels, parameters=tuple(keys))


def declared_bounds(path: str) -> Bounds | None:
    """The declared range of a numeric parameter, or None for undeclared paths
    (e.g. ``agencies.<name>.capacity``) and non-numeric parameters."""
    try:
        param = lookup(path)
    except KeyError:
        return None
    low, high = getattr(param, "low", None), getattr(param, "high", None)
    if low is None or high is None or getattr(param, "choices", ()) or \
            isinstance(getattr(param, "default", 0.0), bool):
        return None
    return Bounds(float(low), float(high), bool(getattr(param, "integer", False)))


def matrix_points(names: Sequence[str], matrix: np.ndarray,
                  integer: Sequence[bool] | None = None) -> list[dict[str, Any]]:
    """Rows of a sample matrix (e.g. SALib's) as design points.

    Args:
        names: the dotted path of each column.
        matrix: samples x parameters.
        integer: which columns must be whole numbers; by default those declared integer
            in ``params.py``. Their values are rounded to the nearest whole number.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[1] != len(names):
        raise ValueError(f"expected a matrix with {len(names)} columns, found shape "
                         f"{matrix.shape}")
    if integer is None:
        integer = [bool(b and b.integer) for b in (declared_bounds(n) for n in names)]
    cols = [[int(round(v)) for v in matrix[:, j]] if integer[j] else
            [float(v) for v in matrix[:, j]] for j in range(len(names))]
    return [{n: cols[j][i] for j, n in enumerate(names)} for i in range(matrix.shape[0])]
