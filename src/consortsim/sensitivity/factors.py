"""Factors of a sensitivity analysis: what is varied, over which range, and how.

A factor is a dotted key path of the scenario (``turnover.vacancy_months``), a per-sector
column (``sectors.faith.leader_turnover``), any other scenario field that ``with_overrides``
accepts (``consortium.initial_trust``), or a strategy switch (``strategy:succession_planning``).
Each factor becomes one input of the SALib problem; a row of a design matrix becomes one
override mapping for ``consortsim.config.with_overrides`` (the same function the CLI, sweeps
and the workshop use).

Conventions, so that every design is a valid scenario:
- bounds must lie inside the parameter's declared range (``consortsim.params``);
- integer parameters take each whole value in [low, high] with equal weight: the design
  variable is cut into ``high - low + 1`` equal bins (rounding would give the end values
  half weight);
- switches (strategies, boolean parameters) are design variables on [0, 1], on at >= 0.5.

Distributions: the bounded ones SALib's samplers support, ``unif`` (default), ``triang``
(``peak`` as a share of the range), ``truncnorm`` (``mean``, ``sd``) and ``logunif``.
Sources: SALib ``util.scale_samples``; Saltelli et al. (2008) *Global Sensitivity Analysis:
The Primer*, ch. 1 (factor ranges and distributions).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from consortsim.config import ConfigError, Scenario, with_overrides
from consortsim.params import SECTIONS, assumption_paths, lookup

STRATEGY_PREFIX = "strategy:"
DISTRIBUTIONS: tuple[str, ...] = ("unif", "triang", "truncnorm", "logunif")
_DIST_KEYS: dict[str, tuple[str, ...]] = {
    "unif": (), "triang": ("peak",), "truncnorm": ("mean", "sd"), "logunif": (),
}


@dataclass(frozen=True)
class Factor:
    """One varied input.

    Attributes:
        name: the dotted key path, or ``strategy:NAME`` for a strategy switch.
        low: lower bound of the design variable.
        high: upper bound of the design variable.
        dist: SALib distribution name (``unif``, ``triang``, ``truncnorm``, ``logunif``).
        dist_args: extra distribution arguments (``peak``; ``mean`` and ``sd``).
        kind: ``float``, ``int`` or ``switch``.
        unit: unit of the parameter, for tables and plots.
        origin: where the range came from (the file, or the assumptions rule).
    """

    name: str
    low: float
    high: float
    dist: str = "unif"
    dist_args: dict[str, float] = field(default_factory=dict)
    kind: str = "float"
    unit: str = ""
    origin: str = "file"

    @property
    def salib_bounds(self) -> list[float]:
        """Bounds in SALib's format for this factor's distribution."""
        if self.dist == "triang":
            return [self.low, self.high, self.dist_args["peak"]]
        if self.dist == "truncnorm":
            return [self.low, self.high, self.dist_args["mean"], self.dist_args["sd"]]
        return [self.low, self.high]

    def value(self, x: float) -> Any:
        """The scenario value for design value ``x``."""
        if self.kind == "switch":
            return bool(x >= 0.5)
        if self.kind == "int":
            # Equal-width bins give every whole value the same share of the range.
            span = self.high - self.low
            share = 0.0 if span <= 0 else (x - self.low) / span
            whole = int(self.low) + math.floor(share * (self.high - self.low + 1))
            return int(min(max(whole, self.low), self.high))
        return float(x)


def problem(factors: list[Factor]) -> dict[str, Any]:
    """The SALib problem dictionary for these factors."""
    out: dict[str, Any] = {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [f.salib_bounds for f in factors],
    }
    if any(f.dist != "unif" for f in factors):
        out["dists"] = [f.dist for f in factors]
    return out


def overrides(factors: list[Factor], row: Iterable[float]) -> dict[str, Any]:
    """One design row -> the override mapping ``with_overrides`` takes."""
    out: dict[str, Any] = {}
    strategies: list[str] = []
    for f, x in zip(factors, row, strict=True):
        value = f.value(float(x))
        if f.name.startswith(STRATEGY_PREFIX):
            if value:
                strategies.append(f.name.removeprefix(STRATEGY_PREFIX))
        else:
            out[f.name] = value
    if strategies:
        out["strategies"] = strategies
    return out


def design_points(factors: list[Factor], matrix: np.ndarray) -> list[dict[str, Any]]:
    """Every design row as an override mapping."""
    return [overrides(factors, row) for row in matrix]


# ---------------------------------------------------------------- parsing and validation


def _number(file: str, path: str, value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(file, path, what, repr(value))
    return float(value)


def _spec_mapping(file: str, path: str, spec: Any) -> dict[str, Any]:
    """Accept ``[low, high]``, ``switch`` or ``{low:, high:, dist:, ...}``."""
    if spec == "switch":
        return {"switch": True}
    if isinstance(spec, list | tuple):
        if len(spec) != 2:
            raise ConfigError(file, path, "bounds as [low, high]", repr(list(spec)))
        return {"low": spec[0], "high": spec[1]}
    if isinstance(spec, dict):
        return dict(spec)
    raise ConfigError(file, path, "[low, high], a mapping with low and high, or switch",
                      repr(spec))


def _declared(file: str, path: str, name: str) -> Any:
    """The declaration of a section or sector parameter, with a suggestion if unknown."""
    try:
        return lookup(name)
    except KeyError:
        known = [p for s, params in SECTIONS.items() for p in (f"{s}.{k}" for k in params)]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(file, path, f"a declared parameter{hint}; see `consortsim params`",
                          f"unknown key path {name!r}") from None


def _distribution(file: str, path: str, spec: dict[str, Any]) -> tuple[str, dict[str, float]]:
    dist = spec.pop("dist", "unif")
    if dist not in DISTRIBUTIONS:
        raise ConfigError(file, f"{path}.dist", f"one of {', '.join(DISTRIBUTIONS)} "
                          "(bounded SALib distributions)", repr(dist))
    args = {}
    for key in _DIST_KEYS[dist]:
        if key not in spec:
            raise ConfigError(file, f"{path}.{key}", f"a number ({dist} needs {key})",
                              "nothing")
        args[key] = _number(file, f"{path}.{key}", spec.pop(key), "a number")
    return dist, args


def _check_dist(file: str, path: str, low: float, high: float, dist: str,
                args: dict[str, float]) -> None:
    if dist == "triang" and not 0.0 <= args["peak"] < 1.0:
        raise ConfigError(file, f"{path}.peak", "a share of the range in [0, 1)",
                          repr(args["peak"]))
    if dist == "truncnorm" and args["sd"] <= 0:
        raise ConfigError(file, f"{path}.sd", "a positive standard deviation", repr(args["sd"]))
    if dist == "logunif" and low <= 0:
        raise ConfigError(file, f"{path}.low", "a positive lower bound (logunif)", repr(low))


def _bounds(file: str, path: str, spec: dict[str, Any]) -> tuple[float, float]:
    for key in ("low", "high"):
        if key not in spec:
            raise ConfigError(file, f"{path}.{key}", "a number (factor bound)", "nothing")
    low = _number(file, f"{path}.low", spec.pop("low"), "a number")
    high = _number(file, f"{path}.high", spec.pop("high"), "a number")
    if not low < high:
        raise ConfigError(file, path, "low < high", f"low {low:g}, high {high:g}"
                          + (" (bounds reversed)" if low > high else ""))
    return low, high


def _declared_factor(file: str, path: str, name: str, spec: Any) -> Factor:
    decl = _declared(file, path, name)
    kind = getattr(decl, "kind", float)
    if getattr(decl, "choices", ()):
        raise ConfigError(file, path, "a numeric or on/off parameter",
                          f"{name}, which takes one of {', '.join(decl.choices)}")
    if kind is bool:
        if spec != "switch":
            raise ConfigError(file, path, f"switch ({name} is on/off)", repr(spec))
        return Factor(name, 0.0, 1.0, kind="switch", unit="on/off")
    fields = _spec_mapping(file, path, spec)
    if fields.pop("switch", False):
        raise ConfigError(file, path, f"[low, high] ({name} is a number)", "switch")
    low, high = _bounds(file, path, fields)
    dist, args = _distribution(file, path, fields)
    _no_extra(file, path, fields)
    if low < decl.low or high > decl.high:
        raise ConfigError(file, path, f"bounds within the declared range of {name}, "
                          f"{decl.low:g} to {decl.high:g} {decl.unit}",
                          f"[{low:g}, {high:g}]")
    integer = getattr(decl, "integer", False)
    if integer and not (low.is_integer() and high.is_integer()):
        raise ConfigError(file, path, f"whole-number bounds ({name} is a count)",
                          f"[{low:g}, {high:g}]")
    _check_dist(file, path, low, high, dist, args)
    return Factor(name, low, high, dist, args, "int" if integer else "float", decl.unit)


def _no_extra(file: str, path: str, fields: dict[str, Any]) -> None:
    if fields:
        key = next(iter(fields))
        raise ConfigError(file, f"{path}.{key}", "one of low, high, dist, peak, mean, sd",
                          f"unknown key {key!r}")


def _strategy_factor(file: str, path: str, name: str, spec: Any, base: Scenario) -> Factor:
    from consortsim.strategies import STRATEGIES

    strategy = name.removeprefix(STRATEGY_PREFIX)
    if strategy not in STRATEGIES:
        close = difflib.get_close_matches(strategy, list(STRATEGIES), n=1)
        hint = f" (did you mean {STRATEGY_PREFIX}{close[0]}?)" if close else ""
        raise ConfigError(file, path, f"a strategy from `consortsim strategies`{hint}",
                          repr(strategy))
    if spec != "switch":
        raise ConfigError(file, path, "switch (a strategy is on or off)", repr(spec))
    if strategy in base.strategies:
        raise ConfigError(file, path, "a strategy the base scenario does not already apply",
                          f"{strategy!r} in the scenario's strategies")
    return Factor(name, 0.0, 1.0, kind="switch", unit="on/off")


def _current(base: Scenario, name: str) -> Any:
    """The base scenario's value at a dotted path (agencies addressed by name)."""
    node: Any = base.to_dict()
    keys = name.split(".")
    i = 0
    while i < len(keys) and node is not None:
        key = keys[i]
        if key == "agencies" and isinstance(node.get(key), list) and i + 1 < len(keys):
            node = next((a for a in node[key] if a.get("name") == keys[i + 1]), None)
            i += 2
            continue
        node = node.get(key) if isinstance(node, dict) else None
        i += 1
    return node


def _probe(file: str, path: str, name: str, values: tuple[Any, ...], base: Scenario) -> None:
    """Check that every value is a valid scenario, reporting against the experiment file."""
    for value in values:
        try:
            with_overrides(base, {name: value}, source=file)
        except ConfigError as exc:
            raise ConfigError(file, path, f"values {name} accepts: {exc.expected}",
                              f"{value!r} ({exc.found})" if exc.found else repr(value)
                              ) from None


def _scenario_factor(file: str, path: str, name: str, spec: Any, base: Scenario) -> Factor:
    """A factor on a scenario field that is not a declared parameter (agencies, consortium)."""
    current = _current(base, name)
    if isinstance(current, bool) or spec == "switch":
        if spec != "switch":
            raise ConfigError(file, path, f"switch ({name} is on/off)", repr(spec))
        _probe(file, path, name, (False, True), base)
        return Factor(name, 0.0, 1.0, kind="switch", unit="on/off")
    fields = _spec_mapping(file, path, spec)
    low, high = _bounds(file, path, fields)
    dist, args = _distribution(file, path, fields)
    _no_extra(file, path, fields)
    integer = isinstance(current, int)
    if integer and not (low.is_integer() and high.is_integer()):
        raise ConfigError(file, path, f"whole-number bounds ({name} is a count)",
                          f"[{low:g}, {high:g}]")
    _probe(file, path, name, (int(low), int(high)) if integer else (low, high), base)
    _check_dist(file, path, low, high, dist, args)
    return Factor(name, low, high, dist, args, "int" if integer else "float")


def parse_factor(file: str, name: Any, spec: Any, base: Scenario) -> Factor:
    """One ``factors:`` entry of an experiment file -> a validated Factor.

    Raises:
        ConfigError: naming ``factors.<name>`` for unknown paths, reversed bounds, bounds
            outside the declared range, unknown distributions or bad switches.
    """
    path = f"factors.{name}"
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(file, path, "a dotted key path or strategy:NAME", repr(name))
    if name.startswith(STRATEGY_PREFIX):
        return _strategy_factor(file, path, name, spec, base)
    head = name.split(".")[0]
    if head in SECTIONS or head == "sectors" or head not in Scenario.model_fields:
        return _declared_factor(file, path, name, spec)
    if head in ("strategies", "name", "description", "seed", "months", "synthetic"):
        raise ConfigError(file, path, "a model parameter (use strategy:NAME to switch a "
                          "strategy)", repr(name))
    return _scenario_factor(file, path, name, spec, base)


def assumption_factors(spread: float, skip: Iterable[str]) -> list[Factor]:
    """Every numeric parameter tagged ``assumption`` and not in ``skip``, over a range
    around its default: default x (1 +/- spread), clipped to the declared range; when the
    default is 0, [low, low + spread x (high - low)]. Integers are widened to whole values.
    """
    skipped = set(skip)
    out = []
    for name in assumption_paths():
        if name in skipped:
            continue
        decl = lookup(name)
        low, high = _rule_range(float(decl.default), decl.low, decl.high, spread)
        if decl.integer:
            low, high = float(math.floor(low)), float(math.ceil(high))
        if low < high:
            out.append(Factor(name, low, high, kind="int" if decl.integer else "float",
                              unit=decl.unit, origin=f"assumption rule, spread {spread:g}"))
    return out


def _rule_range(default: float, lo: float, hi: float, spread: float) -> tuple[float, float]:
    if default == 0.0:
        return lo, lo + spread * (hi - lo)
    a, b = sorted((default * (1 - spread), default * (1 + spread)))
    return max(a, lo), min(b, hi)


def check_conflicts(file: str, factors: list[Factor]) -> None:
    """A strategy switch must not set a path that is varied as a factor of its own:
    the factor's value would always win and the switch would measure nothing there."""
    from consortsim.strategies import strategy_overrides

    varied = {f.name for f in factors}
    for f in factors:
        if not f.name.startswith(STRATEGY_PREFIX):
            continue
        touched = sorted(varied & set(strategy_overrides(f.name.removeprefix(STRATEGY_PREFIX))))
        if touched:
            raise ConfigError(file, f"factors.{f.name}", "a strategy that sets no varied "
                              "parameter (vary one or the other)",
                              f"it also sets {', '.join(touched)}")


def parse_factors(file: str, specs: Mapping[str, Any], base: Scenario,
                  spread: float | None = None,
                  custom: Callable[[str, str, Any], Factor] | None = None) -> list[Factor]:
    """The ``factors:`` mapping (plus the assumptions rule when ``spread`` is given).

    Args:
        file: the experiment file, for error messages.
        specs: factor name -> spec, in file order.
        base: the base scenario (for non-declared paths and strategy checks).
        spread: when set, add every assumption parameter not listed (``assumption_factors``).
        custom: a parser to use instead of the scenario's (test functions such as Ishigami).
    """
    if not isinstance(specs, Mapping) or not specs and spread is None:
        raise ConfigError(file, "factors", "a mapping of dotted key paths to bounds",
                          repr(specs))
    parse = custom or (lambda f, n, s: parse_factor(f, n, s, base))
    factors = [parse(file, name, spec) for name, spec in specs.items()]
    if spread is not None:
        factors += assumption_factors(spread, specs)
    check_conflicts(file, factors)
    if len(factors) < 2:
        raise ConfigError(file, "factors", "at least two factors", str(len(factors)))
    return factors
