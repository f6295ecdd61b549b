"""A run is a function: a scenario and a seed in, named outcomes and time series out."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pandas as pd

from consortsim.config import Scenario
from consortsim.metrics import outcomes
from consortsim.model import ConsortiumModel
from consortsim.rng import SeedLike, describe


@dataclass
class RunResult:
    """What one run produced."""

    scenario: Scenario
    seed: dict[str, Any]
    months: int
    outcomes: dict[str, float]
    timeseries: pd.DataFrame
    events: pd.DataFrame
    model: ConsortiumModel | None = field(default=None, repr=False)


def simulate(scenario: Scenario, seed: SeedLike | None = None, months: int | None = None,
             keep_model: bool = False) -> RunResult:
    """Run one scenario to its horizon.

    Args:
        scenario: a validated scenario.
        seed: an int or a SeedSequence; the scenario's seed when None.
        months: horizon in months; the scenario's when None.
        keep_model: keep the model object on the result (for inspection and plots).
    """
    model = ConsortiumModel(scenario, seed=seed, months=months)
    model.run_for(model.months)
    events = pd.DataFrame([(e.month, e.kind, e.agency, e.text, e.value) for e in model.events],
                          columns=["month", "kind", "agency", "text", "value"])
    return RunResult(scenario=scenario, seed=describe(model.seed_sequence), months=model.months,
                     outcomes=outcomes(model), timeseries=model.recorder.frame(), events=events,
                     model=model if keep_model else None)


def environment() -> dict[str, str]:
    """Versions that a result depends on, for run.json."""
    versions = {"python": platform.python_version()}
    for pkg in ("consortsim", "mesa", "numpy", "pandas", "pydantic", "pyyaml", "pyarrow"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    return versions
