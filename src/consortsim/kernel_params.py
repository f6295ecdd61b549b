"""A scenario's numeric parameters in one record, for the compiled mechanisms.

Every numeric or yes/no parameter declared in ``params.SECTIONS`` becomes a field named
``section_parameter`` (``turnover.vacancy_months`` is ``turnover_vacancy_months``); a few
values that depend on the scenario's choices are added under their own names. The record's
layout depends on the declarations only, never on the scenario, so the kernels are
compiled once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from consortsim.params import SECTIONS

if TYPE_CHECKING:
    from consortsim.config import Scenario

_KINDS = {bool: np.bool_, int: np.int64, float: np.float64}

DECLARED: tuple[tuple[str, str], ...] = tuple(
    (section, name) for section, params in SECTIONS.items()
    for name, p in params.items() if p.kind in _KINDS)
DERIVED: tuple[str, ...] = (
    "consortium_coordinator_skill",  # consortium.coordinator_skill
    "referrals_base_linkage",        # linkage_<handoff> for the scenario's handoff type
)
PARAMS_DTYPE = np.dtype(
    [(f"{section}_{name}", _KINDS[SECTIONS[section][name].kind]) for section, name in DECLARED]
    + [(name, np.float64) for name in DERIVED])


def handoff_linkage(referrals: Any) -> float:
    """Linkage at full trust and free capacity for the scenario's handoff type
    (``referrals.linkage_<handoff>``)."""
    return float(getattr(referrals, f"linkage_{referrals.handoff}"))


def kernel_params(scenario: Scenario) -> np.ndarray:
    """The scenario's parameters as a one-element array of ``PARAMS_DTYPE``."""
    record = np.zeros(1, dtype=PARAMS_DTYPE)
    values: dict[str, Any] = {
        f"{section}_{name}": getattr(getattr(scenario, section), name)
        for section, name in DECLARED}
    referrals = scenario.referrals
    values["consortium_coordinator_skill"] = scenario.consortium.coordinator_skill
    values["referrals_base_linkage"] = handoff_linkage(referrals)
    record[0] = tuple(values[field] for field in PARAMS_DTYPE.names)
    return record
