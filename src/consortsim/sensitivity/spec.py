"""Sensitivity experiment files: YAML in, a validated ``AnalysisSpec`` out.

```yaml
name: Sobol analysis of turnover, trust and grant parameters
scenario: ../scenarios/rural_synthetic_100.yaml   # relative to this file
overrides: {grant_cycle.diversified_streams: 2}   # optional fixed changes to the base
method: sobol            # sobol | morris | pawn
samples: 1024            # Sobol base N (power of 2) | Morris trajectories | LHS rows
second_order: true       # Sobol only
replicates: 4            # seeds per design point, shared by every point
seed: 20240611
outputs: [sustained, people_linked]
statistics: [mean]       # of the replicates: mean, std, median, min, max, q05..q95
factors:
  turnover.vacancy_months: [2, 12]
  grant_cycle.success_max: {low: 0.2, high: 0.6, dist: triang, peak: 0.5}
  strategy:succession_planning: switch
```

Every problem is a ``ConfigError`` naming the file, the key path, what was expected and
what was found. Sources: SALib problem format; the experiment-file conventions of
``consortsim.config`` (dotted paths, ``with_overrides``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consortsim.config import ConfigError, Scenario, load_scenario, read_yaml, with_overrides
from consortsim.metrics import OUTCOME_NAMES
from consortsim.sensitivity.analysis import valid_statistic
from consortsim.sensitivity.factors import Factor, parse_factors
from consortsim.sensitivity.sampling import METHODS

KEYS: tuple[str, ...] = (
    "name", "description", "scenario", "overrides", "months", "method", "samples", "second_order",
    "levels", "replicates", "seed", "outputs", "statistics", "factors", "assumptions",
    "bootstrap", "confidence", "convergence", "given_data", "test_function",
)


@dataclass(frozen=True)
class AnalysisSpec:
    """A validated sensitivity experiment.

    Attributes:
        file: the experiment file (for messages and relative paths).
        name: title for the report.
        description: what the analysis asks.
        scenario_file: the base scenario file (None for a test function).
        base: the loaded base scenario with ``overrides`` applied (None for a test
            function).
        months: horizon override (None: the scenario's).
        method: sobol, morris or pawn.
        samples: base sample size.
        second_order: Sobol second-order indices.
        levels: Morris grid levels.
        replicates: seeds per design point (common to every point).
        seed: root seed of the design, the replicates and the bootstrap.
        outputs: outcome names analysed.
        statistics: statistics of the replicates analysed.
        factors: the varied factors, in order.
        bootstrap: resamples for confidence intervals.
        confidence: confidence level of the intervals.
        tolerance: largest index change from N/2 to N for the run to count as large enough.
        max_interval: largest interval half-width at N for the same verdict.
        given_data: PAWN on an existing sweep's results instead of a new design.
        test_function: a known function evaluated in place of the model (``ishigami``).
    """

    file: str
    name: str
    description: str
    scenario_file: Path | None
    base: Scenario | None
    months: int | None
    method: str
    samples: int
    second_order: bool
    levels: int
    replicates: int
    seed: int
    outputs: tuple[str, ...]
    statistics: tuple[str, ...]
    factors: list[Factor]
    bootstrap: int = 200
    confidence: float = 0.95
    tolerance: float = 0.05
    max_interval: float = 0.1
    given_data: Path | None = None
    test_function: dict[str, Any] = field(default_factory=dict)

    @property
    def runs(self) -> int:
        """Simulation runs the design needs (design points x replicates)."""
        from consortsim.sensitivity.sampling import runs_for

        return runs_for(self.method, len(self.factors), self.samples, self.replicates,
                        self.second_order)


def _int(file: str, data: dict, key: str, default: int | None, low: int,
         high: int | None = None) -> int | None:
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
            high is not None and value > high):
        rng = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ConfigError(file, key, f"a whole number {rng}", repr(value))
    return value


def _bool(file: str, data: dict, key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(file, key, "true or false", repr(value))
    return value


def _float(file: str, data: dict, key: str, default: float, low: float, high: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low < value < high:
        raise ConfigError(file, key, f"a number between {low:g} and {high:g}", repr(value))
    return float(value)


def _names(file: str, data: dict, key: str, default: list[str] | None, ok: Any,
           expected: str) -> tuple[str, ...]:
    value = data.get(key, default)
    if value is None:
        raise ConfigError(file, key, f"a list of {expected}", "nothing")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ConfigError(file, key, f"a non-empty list of {expected}", repr(value))
    for i, item in enumerate(value):
        if not isinstance(item, str) or not ok(item):
            raise ConfigError(file, f"{key}[{i}]", expected, repr(item))
    if len(set(value)) != len(value):
        raise ConfigError(file, key, "no repeated names", repr(value))
    return tuple(value)


def _method(file: str, data: dict) -> str:
    method = data.get("method")
    if method not in METHODS:
        raise ConfigError(file, "method", f"one of {', '.join(METHODS)}", repr(method))
    return method


def _samples(file: str, data: dict, method: str) -> int:
    smallest = {"sobol": 16, "morris": 4}.get(method, 50)
    samples = _int(file, data, "samples", None, smallest)
    if samples is None:
        raise ConfigError(file, "samples", f"a base sample size (at least {smallest})",
                          "nothing")
    if method == "sobol" and samples & (samples - 1):
        raise ConfigError(file, "samples", "a power of 2 for a Sobol' design "
                          "(e.g. 256, 512, 1024)", str(samples))
    return samples


def _base(file: str, data: dict) -> tuple[Path, Scenario]:
    rel = data.get("scenario")
    if not isinstance(rel, str) or not rel:
        raise ConfigError(file, "scenario", "a scenario file path (relative to this file)",
                          repr(rel))
    path = (Path(file).parent / rel).resolve()
    if not path.exists():
        raise ConfigError(file, "scenario", "an existing scenario file", f"no file {rel}")
    base = load_scenario(path)
    fixed = data.get("overrides", {})
    if not isinstance(fixed, dict):
        raise ConfigError(file, "overrides", "a mapping of dotted key paths to values",
                          repr(fixed))
    return path, with_overrides(base, fixed, source=file) if fixed else base


def _given_data(file: str, data: dict, method: str) -> Path | None:
    rel = data.get("given_data")
    if rel is None:
        return None
    if method != "pawn":
        raise ConfigError(file, "given_data", "method pawn (a given-data method)",
                          f"method {method}")
    path = (Path(file).parent / str(rel)).resolve()
    if not path.exists():
        raise ConfigError(file, "given_data", "a sweep's results (folder, .parquet or .csv)",
                          f"no such path {rel}")
    return path


def _spread(file: str, data: dict) -> float | None:
    value = data.get("assumptions")
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"spread"}:
        raise ConfigError(file, "assumptions", "a mapping {spread: S}", repr(value))
    return _float(file, value, "spread", 0.5, 0.0, 1.0 + 1e-12) if value else None


def _convergence(file: str, data: dict) -> tuple[float, float]:
    conv = data.get("convergence", {})
    if not isinstance(conv, dict) or set(conv) - {"tolerance", "max_interval"}:
        raise ConfigError(file, "convergence", "a mapping with tolerance and max_interval",
                          repr(conv))
    return (_float(file, conv, "tolerance", 0.05, 0.0, 1.0),
            _float(file, conv, "max_interval", 0.1, 0.0, 10.0))


def load_spec(file: str | Path) -> AnalysisSpec:
    """Read and validate a sensitivity experiment file.

    Raises:
        ConfigError: on any problem, naming the file and the key path.
    """
    file = str(file)
    data = read_yaml(file)
    unknown = [k for k in data if k not in KEYS]
    if unknown:
        raise ConfigError(file, str(unknown[0]), f"a known key: one of {', '.join(KEYS)}",
                          f"unknown key {unknown[0]!r}")
    return spec_from_dict(data, file)


def spec_from_dict(data: dict[str, Any], file: str) -> AnalysisSpec:
    """Validate an already-read experiment mapping (see ``load_spec``)."""
    from consortsim.sensitivity.testfunctions import parse_test_function

    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(file, "name", "a title for the analysis", repr(name))
    method = _method(file, data)
    test = parse_test_function(file, data.get("test_function"))
    scenario_file, base = (None, None) if test else _base(file, data)
    custom = test["parse_factor"] if test else None
    factors = parse_factors(file, data.get("factors", {}), base, _spread(file, data), custom)
    outputs_ok = (lambda o: o in test["outputs"]) if test else (lambda o: o in OUTCOME_NAMES)
    known = ", ".join(test["outputs"] if test else OUTCOME_NAMES)
    tolerance, max_interval = _convergence(file, data)
    return AnalysisSpec(
        file=file, name=name.strip(), description=str(data.get("description", "")).strip(),
        scenario_file=scenario_file, base=base,
        months=_int(file, data, "months", None, 1, 600), method=method,
        samples=_samples(file, data, method),
        second_order=_bool(file, data, "second_order", False) if method == "sobol" else False,
        levels=_levels(file, data),
        replicates=_int(file, data, "replicates", 4, 1, 10_000),
        seed=_int(file, data, "seed", None, 0) if "seed" in data else _no_seed(file),
        outputs=_names(file, data, "outputs", None, outputs_ok, f"outcome names: {known}"),
        statistics=_names(file, data, "statistics", ["mean"], valid_statistic,
                          "mean, std, median, min, max or a quantile q05..q95"),
        factors=factors, bootstrap=_int(file, data, "bootstrap", 200, 10, 100_000),
        confidence=_float(file, data, "confidence", 0.95, 0.5, 1.0),
        tolerance=tolerance, max_interval=max_interval,
        given_data=_given_data(file, data, method), test_function=test or {})


def _levels(file: str, data: dict) -> int:
    levels = _int(file, data, "levels", 4, 2, 100)
    if levels % 2:
        raise ConfigError(file, "levels", "an even number of Morris levels (e.g. 4)",
                          str(levels))
    return levels


def _no_seed(file: str) -> int:
    raise ConfigError(file, "seed", "a root seed (a non-negative whole number), so the "
                      "analysis can be reproduced", "nothing")
