"""Shared fixtures: a small hand-built consortium, and running part of a month.

The small consortium has four agencies (a primary-care lead, an emergency department that
refers people, a MAT clinic and a peer recovery centre), one two-year grant, and no random
leader or coordinator turnover, so a mechanism test changes only what it is about.
Tests change it by dotted key path (``with_overrides``) or by editing a copy of its dict.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from consortsim.config import Scenario, with_overrides
from consortsim.mechanisms import SCHEDULE
from consortsim.model import ConsortiumModel
from shared_data import ROOT, SMALL  # noqa: E402,F401  (re-exported for fixtures)


def _make_scenario(overrides: dict[str, Any] | None = None,
                   data: dict[str, Any] | None = None) -> Scenario:
    scenario = Scenario.from_dict(copy.deepcopy(data if data is not None else SMALL))
    return with_overrides(scenario, overrides) if overrides else scenario


@pytest.fixture
def small_data() -> dict[str, Any]:
    """A fresh copy of the small consortium's scenario dict, to edit freely."""
    return copy.deepcopy(SMALL)


@pytest.fixture
def small_scenario() -> Callable[..., Scenario]:
    """``make(overrides=None, data=None)``: the small scenario, changed by dotted paths."""
    return _make_scenario


@pytest.fixture
def small_model() -> Callable[..., ConsortiumModel]:
    """``make(overrides=None, data=None, seed=1, months=None)``: a model at month 0."""

    def make(overrides: dict[str, Any] | None = None, data: dict[str, Any] | None = None,
             seed: int = 1, months: int | None = None) -> ConsortiumModel:
        return ConsortiumModel(_make_scenario(overrides, data), seed=seed, months=months)

    return make


def run_processes(model: ConsortiumModel, last: ModuleType) -> None:
    """Start the next month and run its processes in order up to and including ``last``.

    The month is not recorded and the model must not be stepped normally afterwards; this
    is for inspecting the arrays between one process and the next.
    """
    model.steps += 1
    for mechanism in SCHEDULE:
        mechanism.step(model)
        if mechanism is last:
            return
    raise ValueError(f"{last.__name__} is not in the schedule")


@pytest.fixture
def partial_month() -> Callable[[ConsortiumModel, ModuleType], None]:
    """``run(model, mechanism)``: run the next month's processes up to ``mechanism``."""
    return run_processes


def events_of(model: ConsortiumModel, kind: str) -> list[Any]:
    """The model's events of one kind."""
    return [e for e in model.events if e.kind == kind]


@pytest.fixture
def events() -> Callable[[ConsortiumModel, str], list[Any]]:
    """``events(model, kind)``: the model's logged events of one kind."""
    return events_of
