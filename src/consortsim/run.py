"""A run is a function: a scenario and a seed in, named outcomes and time series out."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from consortsim.config import Scenario
from consortsim.events import Chunk, Event, Wording, rows_of, word
from consortsim.mechanisms import EVENT_TEXT
from consortsim.metrics import outcomes, series_frame
from consortsim.model import ConsortiumModel
from consortsim.rng import SeedLike, describe

EVENT_COLUMNS = ["month", "kind", "agency", "text", "value"]


@dataclass
class RunResult:
    """What one run produced.

    ``timeseries`` and ``events`` are built as tables the first time they are read, the
    events worded then (a sweep that needs only outcomes never pays for either).
    """

    scenario: Scenario
    seed: dict[str, Any]
    months: int
    outcomes: dict[str, float]
    series: np.ndarray = field(repr=False)  # months 0..horizon x metrics, METRICS order
    event_log: tuple[list[Event], list[Chunk], Wording] = field(repr=False)
    model: ConsortiumModel | None = field(default=None, repr=False)
    _timeseries: pd.DataFrame | None = field(default=None, init=False, repr=False)
    _events: pd.DataFrame | None = field(default=None, init=False, repr=False)

    @property
    def timeseries(self) -> pd.DataFrame:
        """One row per month (0 = the start): ``month`` and every metric."""
        if self._timeseries is None:
            self._timeseries = series_frame(self.series)
        return self._timeseries

    @property
    def events(self) -> pd.DataFrame:
        """One row per event: month, kind, agency, text, value."""
        if self._events is None:
            worded, chunks, wording = self.event_log
            every = worded + word(rows_of(chunks), wording, EVENT_TEXT)
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
                     outcomes=outcomes(model), series=model.recorder.data,
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
