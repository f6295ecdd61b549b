"""Experiment files: YAML in, a validated ``Experiment`` (base scenario + design) out.

An experiment file names a base scenario (a path relative to the file), optional changes
to it, a design, the outcomes to keep, a root seed and a number of replicates::

    name: Rural strategies
    scenario: ../scenarios/rural_rcorp.yaml
    seed: 20240501
    replicates: 50
    months: 120                      # optional: the horizon of every run
    overrides: {turnover.vacancy_months: 5}   # optional changes to the base
    outcomes: [sustained, people_linked]      # optional; all outcomes by default
    series: [functioning, engaged]            # optional monthly series to keep (sweep)
    design:                          # exactly one of strategies, grid, lhs
      strategies: [baseline, succession_planning, {name: both, strategies: [a, b]}]
      baseline: baseline
      # grid: {turnover.vacancy_months: [2, 4, 8], strategies: [[], [billing_capacity]]}
      # lhs: {samples: 64, seed: 7, parameters: {turnover.vacancy_months: [1, 12]}}
    execution: {workers: 4, scheduler: tcp://10.0.0.5:8786, chunk_size: 100}

Validation matches scenario files: every problem is a ``ConfigError`` naming the file, the
dotted key path, what was expected and what was found. Design values are checked against
the base scenario with ``with_overrides`` before any run starts.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from consortsim.config import ConfigError, Scenario, load_scenario, read_yaml, with_overrides
from consortsim.experiments import designs
from consortsim.experiments.designs import BASELINE, Arm, Bounds, Design
from consortsim.experiments.executors import check_scheduler
from consortsim.metrics import METRIC_NAMES, OUTCOME_NAMES
from consortsim.strategies import STRATEGIES

DESIGN_KINDS = ("strategies", "grid", "lhs")
MAX_POINTS = 1_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ExecutionSpec(_Strict):
    """Where and how the runs execute (command-line options win)."""

    workers: StrictInt | None = Field(None, ge=1, le=100_000)
    scheduler: str | None = None
    chunk_size: StrictInt | None = Field(None, ge=1, le=100_000)


class ExperimentSpec(_Strict):
    """The top level of an experiment file (the design is checked separately)."""

    name: str = Field(min_length=1)
    description: str = ""
    scenario: str = Field(min_length=1)
    seed: StrictInt = Field(ge=0)
    replicates: StrictInt = Field(ge=1, le=1_000_000)
    months: StrictInt | None = Field(None, ge=1, le=600)
    overrides: dict[str, Any] = Field(default_factory=dict)
    outcomes: list[str] | None = None
    series: list[str] = Field(default_factory=list)
    design: dict[str, Any]
    execution: ExecutionSpec = ExecutionSpec()


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: base scenario, design and how to run it."""

    file: Path
    name: str
    description: str
    scenario_file: Path
    base: Scenario
    root_seed: int
    replicates: int
    outcomes: tuple[str, ...]
    series: tuple[str, ...]
    design: Design
    workers: int | None = None
    scheduler: str | None = None
    chunk_size: int | None = None

    @property
    def runs(self) -> int:
        """Runs in all: points x replicates."""
        return len(self.design) * self.replicates

    def info(self) -> dict[str, Any]:
        """What the results folder's manifest records about the experiment."""
        return {"experiment": self.name, "experiment_file": str(self.file),
                "scenario_file": str(self.scenario_file), "design": self.design.kind,
                "baseline": None if self.design.baseline is None
                else self.design.labels[self.design.baseline],
                "description": self.description}


# ---------------------------------------------------------------- errors


def _one_of(options: Any, found: Any) -> str:
    opts = [str(o) for o in options]
    close = difflib.get_close_matches(str(found), opts, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    shown = ", ".join(opts) if len(opts) <= 16 else ", ".join(opts[:16]) + ", ..."
    return f"one of {shown}{hint}"


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for item in loc:
        text += f"[{item}]" if isinstance(item, int) else (f".{item}" if text else str(item))
    return text


def _pydantic_error(exc: ValidationError, file: Path) -> ConfigError:
    err = exc.errors(include_url=False)[0]
    loc = tuple(err["loc"])
    path = _dotted(loc)
    if err["type"] == "extra_forbidden":
        model: Any = ExecutionSpec if loc[0] == "execution" else ExperimentSpec
        return ConfigError(file, path, f"a known key: {_one_of(model.model_fields, loc[-1])}",
                           f"unknown key {loc[-1]!r}")
    if err["type"] == "missing":
        return ConfigError(file, path, "this required key", "nothing")
    expected = str(err["msg"]).removeprefix("Input should be ")
    return ConfigError(file, path, expected, repr(err.get("input")))


def _within(file: Path, prefix: str, exc: ConfigError, append: bool = True) -> ConfigError:
    """A scenario error from a design value, re-placed at its key in the experiment."""
    path = f"{prefix}.{exc.path}" if append and exc.path else prefix
    return ConfigError(file, path, exc.expected, exc.found)


def _check(base: Scenario, point: dict[str, Any], file: Path, prefix: str,
           append: bool = False) -> None:
    """Apply a design value to the base scenario, as a run will, to fail before running."""
    try:
        with_overrides(base, point, source=file)
    except ConfigError as exc:
        raise _within(file, prefix, exc, append) from None


# ---------------------------------------------------------------- the design section


def _names(value: Any, file: Path, path: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ConfigError(file, path, "a list of strategy names", repr(value))
    for i, name in enumerate(items):
        if name not in STRATEGIES:
            raise ConfigError(file, f"{path}[{i}]", _one_of(STRATEGIES, name), repr(name))
    return tuple(items)


def _keys(raw: dict[str, Any], allowed: tuple[str, ...], file: Path, path: str) -> None:
    for key in raw:
        if key not in allowed:
            raise ConfigError(file, f"{path}.{key}" if path else key,
                              f"a known key: {_one_of(allowed, key)}", f"unknown key {key!r}")


def _arm(item: Any, file: Path, path: str) -> Arm:
    if isinstance(item, str):
        if item != BASELINE and item not in STRATEGIES:
            raise ConfigError(file, path, f"baseline or a strategy name: "
                              f"{_one_of([BASELINE, *STRATEGIES], item)}", repr(item))
        return designs.library_arm(item)
    if not isinstance(item, dict):
        raise ConfigError(file, path, "a strategy name or a mapping with name, strategies, "
                          "set", type(item).__name__)
    _keys(item, ("name", "title", "strategies", "set"), file, path)
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(file, f"{path}.name", "a name for this arm", repr(name))
    changes = item.get("set", {})
    if not isinstance(changes, dict):
        raise ConfigError(file, f"{path}.set", "a mapping of dotted key paths to values",
                          repr(changes))
    title = item.get("title", "")
    if not isinstance(title, str):
        raise ConfigError(file, f"{path}.title", "text", repr(title))
    strategies = _names(item.get("strategies", []), file, f"{path}.strategies")
    return Arm(name.strip(), strategies, dict(changes), title or name.strip())


def _strategies(raw: dict[str, Any], base: Scenario, file: Path) -> Design:
    _keys(raw, ("strategies", "baseline"), file, "design")
    items = raw["strategies"]
    if items == "all":
        items = [BASELINE, *STRATEGIES]
    if not isinstance(items, list) or not items:
        raise ConfigError(file, "design.strategies", "a list of strategies (or all)",
                          repr(items))
    arms = [_arm(item, file, f"design.strategies[{i}]") for i, item in enumerate(items)]
    seen: dict[str, int] = {}
    for i, arm in enumerate(arms):
        if arm.name in seen:
            raise ConfigError(file, f"design.strategies[{i}]", "a name used once",
                              f"{arm.name!r} again (first at [{seen[arm.name]}])")
        seen[arm.name] = i
        _check(base, arm.point(), file, f"design.strategies[{i}].set", append=True)
    baseline = raw.get("baseline", BASELINE)
    if baseline != BASELINE and baseline not in seen:
        raise ConfigError(file, "design.baseline", f"the name of an arm: {_one_of(seen, baseline)}",
                          repr(baseline))
    return designs.strategies_design(arms, baseline)


def _grid(raw: dict[str, Any], base: Scenario, file: Path) -> Design:
    _keys(raw, ("grid",), file, "design")
    grid = raw["grid"]
    if not isinstance(grid, dict) or not grid:
        raise ConfigError(file, "design.grid", "a mapping of dotted key paths to lists of "
                          "values", repr(grid))
    levels: dict[str, list[Any]] = {}
    for key, values in grid.items():
        path = f"design.grid.{key}"
        if not isinstance(values, list) or not values:
            raise ConfigError(file, path, "a non-empty list of values", repr(values))
        if key == "strategies":
            values = [list(_names(v, file, f"{path}[{j}]")) for j, v in enumerate(values)]
        for j, value in enumerate(values):
            _check(base, {key: value}, file, f"{path}[{j}]")
        levels[key] = values
    size = math.prod(len(v) for v in levels.values())
    if size > MAX_POINTS:
        raise ConfigError(file, "design.grid", f"at most {MAX_POINTS:,} combinations",
                          f"{size:,}")
    return designs.grid_design(levels)


def _number(value: Any, file: Path, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(file, path, "a number", repr(value))
    return float(value)


def _bounds(key: str, value: Any, base: Scenario, file: Path) -> Bounds:
    path = f"design.lhs.parameters.{key}"
    if isinstance(value, dict):
        _keys(value, ("low", "high"), file, path)
        pair = [value.get("low"), value.get("high")]
    elif isinstance(value, list) and len(value) == 2:
        pair = value
    else:
        raise ConfigError(file, path, "bounds [low, high] or {low: L, high: H}", repr(value))
    low, high = (_number(v, file, f"{path}.{n}") for v, n in zip(pair, ("low", "high"),
                                                               strict=True))
    if not low < high:
        raise ConfigError(file, path, "low below high", f"low {low:g}, high {high:g}")
    declared = designs.declared_bounds(key)
    if declared is not None and not declared.low <= low < high <= declared.high:
        raise ConfigError(file, path, f"bounds within the declared range "
                          f"{declared.low:g}-{declared.high:g}", f"{low:g}-{high:g}")
    integer = declared.integer if declared is not None else False
    if integer and not (low.is_integer() and high.is_integer()):
        raise ConfigError(file, path, "whole-number bounds (an integer parameter)",
                          f"{low:g}-{high:g}")
    for end, v in (("low", low), ("high", high)):
        _check(base, {key: int(v) if integer else v}, file, f"{path}.{end}")
    return Bounds(low, high, integer)


def _lhs(raw: dict[str, Any], base: Scenario, file: Path, root_seed: int) -> Design:
    _keys(raw, ("lhs",), file, "design")
    spec = raw["lhs"]
    if not isinstance(spec, dict):
        raise ConfigError(file, "design.lhs", "a mapping with samples, seed, parameters",
                          repr(spec))
    _keys(spec, ("samples", "seed", "parameters"), file, "design.lhs")
    samples, seed = spec.get("samples"), spec.get("seed", root_seed)
    if isinstance(samples, bool) or not isinstance(samples, int) or not 2 <= samples <= MAX_POINTS:
        raise ConfigError(file, "design.lhs.samples", f"a whole number from 2 to {MAX_POINTS:,}",
                          repr(samples))
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(file, "design.lhs.seed", "a non-negative whole number", repr(seed))
    params = spec.get("parameters")
    if not isinstance(params, dict) or not params:
        raise ConfigError(file, "design.lhs.parameters", "a mapping of dotted key paths to "
                          "[low, high]", repr(params))
    bounds = {key: _bounds(key, value, base, file) for key, value in params.items()}
    return designs.lhs_design(bounds, samples, seed)


def _design(raw: Any, base: Scenario, file: Path, root_seed: int) -> Design:
    kinds = [k for k in DESIGN_KINDS if k in raw]
    if len(kinds) != 1:
        for key in raw:
            if key not in (*DESIGN_KINDS, "baseline"):
                raise ConfigError(file, f"design.{key}",
                                  f"a known key: {_one_of(DESIGN_KINDS, key)}",
                                  f"unknown key {key!r}")
        raise ConfigError(file, "design", "exactly one of strategies, grid, lhs",
                          ", ".join(kinds) or "none")
    if kinds[0] == "strategies":
        return _strategies(raw, base, file)
    if kinds[0] == "grid":
        return _grid(raw, base, file)
    return _lhs(raw, base, file, root_seed)


# ---------------------------------------------------------------- the whole file


def _base(spec: ExperimentSpec, file: Path) -> tuple[Path, Scenario]:
    scenario_file = (file.parent / spec.scenario).resolve()
    if not scenario_file.is_file():
        raise ConfigError(file, "scenario", "a scenario file (path relative to this file)",
                          f"{spec.scenario!r}, which does not exist")
    base = load_scenario(scenario_file)
    changes = dict(spec.overrides)
    if spec.months is not None:
        changes["months"] = spec.months
    try:
        return scenario_file, with_overrides(base, changes, source=file) if changes else base
    except ConfigError as exc:
        raise _within(file, "overrides", exc) from None


def _listed(names: list[str], known: tuple[str, ...], file: Path, key: str) -> tuple[str, ...]:
    for i, name in enumerate(names):
        if name not in known:
            raise ConfigError(file, f"{key}[{i}]", _one_of(known, name), repr(name))
    return tuple(dict.fromkeys(names))


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file, its base scenario and its design.

    Raises:
        ConfigError: naming the file, the dotted key path, what was expected and found.
    """
    file = Path(path)
    raw = read_yaml(file)
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as exc:
        raise _pydantic_error(exc, file) from None
    scenario_file, base = _base(spec, file)
    outcomes = (OUTCOME_NAMES if spec.outcomes is None
                else _listed(spec.outcomes, OUTCOME_NAMES, file, "outcomes"))
    series = _listed(spec.series, METRIC_NAMES, file, "series")
    design = _design(spec.design, base, file, spec.seed)
    scheduler = spec.execution.scheduler
    if scheduler is not None:
        try:
            scheduler = check_scheduler(scheduler)
        except ValueError as exc:
            expected, _, found = str(exc).partition("|")
            raise ConfigError(file, "execution.scheduler", expected, found) from None
    return Experiment(file=file, name=spec.name, description=spec.description.strip(),
                      scenario_file=scenario_file, base=base, root_seed=spec.seed,
                      replicates=spec.replicates, outcomes=tuple(outcomes), series=series,
                      design=design, workers=spec.execution.workers, scheduler=scheduler,
                      chunk_size=spec.execution.chunk_size)
