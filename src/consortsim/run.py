"""A run is a function: a scenario and a seed in, named outcomes and time series out."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pandas as pd

from consortsim.config import Scenario
from consortsim.events import Event, Row, Wording, word
from consortsim.mechanisms import EVENT_TEXT
from consortsim.metrics import outcomes
from consortsim.model import ConsortiumModel
from consortsim.rng import SeedLike, describe

EVENT_COLUMNS = ["month", "kind", "agency", "text", "value"]


@dataclass
class RunResult:
    """What one run produced.

    ``events`` is the event log as a table, worded the first time it is read (a sweep
    that needs only outcomes and series never pays for the sentences).
    """

    scenario: Scenario
    seed: dict[str, Any]
    months: int
    outcomes: dict[str, float]
    timeseries: pd.DataFrame
    event_log: tuple[list[Event], list[Row], Wording] = field(repr=False)
    model: ConsortiumModel | None = field(default=None, repr=False)
    _events: pd.DataFrame | None = field(default=None, init=False, repr=False)

    @property
    def events(self) -> pd.DataFrame:
        """One row per event: month, kind, agency, text, value."""
        if self._events is None:
            worded, rows, wording = self.event_log
            every = worded + word(rows, wording, EVENT_TEXT)
            self._events = pd.DataFrame(
                [(e.month, e.kind, e.agency, e.text, e.value) for e in every],
                columns=EVENT_COLUMNS)
        return self._events


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
    model.advance(model.months)
    return RunResult(scenario=scenario, seed=describe(model.seed_sequence), months=model.months,
                     outcomes=outcomes(model), timeseries=model.recorder.frame(),
                     event_log=model.detach_events(), model=model if keep_model else None)


def warm_up() -> None:
    """Compile every kernel, or load it from the on-disk cache, with a two-month run of a
    tiny consortium, so a process's first real month does not wait for the compiler (on a
    cold cache, tens of seconds on a small machine)."""
    simulate(Scenario.from_dict({"name": "warm-up", "months": 2,
                                 "synthetic": {"agencies": 6}}), seed=0)


def environment() -> dict[str, str]:
    """Versions that a result depends on, for run.json."""
    versions = {"python": platform.python_version()}
    for pkg in ("consortsim", "mesa", "numpy", "pandas", "pydantic", "pyyaml", "pyarrow"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    return versions
