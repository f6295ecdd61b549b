"""Hypothesis strategies for valid scenario dicts, built from the parameter declarations.

``scenario_dicts()`` draws a small consortium: a few agencies of random sectors (or a small
synthetic one), random grants, per-sector overrides, named strategies, and for every
mechanism section a random subset of its parameters at values within the bounds declared
in ``params.SECTIONS``. Every dict it draws validates with ``Scenario.from_dict``; the
property tests rely on that, so a declaration whose bounds the schema rejects shows up
there first.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from consortsim.params import SECTIONS, SECTOR_COLUMNS, SECTORS, Param
from consortsim.strategies import STRATEGIES

unit = st.floats(0.0, 1.0, allow_nan=False)


def param_values(p: Param) -> st.SearchStrategy[Any]:
    """Values a declared parameter accepts: its choices, a bool, or a number in bounds."""
    if p.choices:
        return st.sampled_from(p.choices)
    if p.kind is bool:
        return st.booleans()
    if p.kind is int:
        return st.integers(int(p.low), int(p.high))
    return st.floats(float(p.low), float(p.high), allow_nan=False, allow_infinity=False)


def section_values(section: str) -> st.SearchStrategy[dict[str, Any]]:
    """A random subset of one section's parameters, each within its declared bounds."""
    return st.fixed_dictionaries(
        {}, optional={name: param_values(p) for name, p in SECTIONS[section].items()})


def sector_overrides() -> st.SearchStrategy[dict[str, dict[str, float]]]:
    """Per-sector parameter overrides for a few sectors."""
    columns = st.fixed_dictionaries(
        {}, optional={name: st.floats(c.low, c.high, allow_nan=False)
                      for name, c in SECTOR_COLUMNS.items()})
    return st.dictionaries(st.sampled_from(SECTORS), columns, max_size=3)


@st.composite
def leaders(draw: st.DrawFn) -> dict[str, Any]:
    """An agency's leader."""
    return {"present": draw(st.booleans()), "commitment": draw(unit),
            "experience": draw(unit), "tenure_months": draw(st.integers(0, 120))}


@st.composite
def agency(draw: st.DrawFn, index: int, member: bool | None = None) -> dict[str, Any]:
    """One listed agency; optional columns left to the sector defaults at random."""
    sector = draw(st.sampled_from(SECTORS))
    spec: dict[str, Any] = {
        "name": f"Agency {index} ({sector})", "sector": sector,
        "member": draw(st.booleans()) if member is None else member,
        "capacity": draw(st.floats(0.0, 60.0)), "reserves_months": draw(st.floats(0.0, 12.0)),
        "infrastructure": draw(unit), "engagement": draw(unit), "leader": draw(leaders()),
    }
    optional = {"billing": unit, "belief_distance": unit,
                "entry_rate": st.floats(0.0, 30.0), "mat_slots": st.floats(0.0, 80.0)}
    for key, values in optional.items():
        if draw(st.booleans()):
            spec[key] = draw(values)
    return spec


@st.composite
def agency_lists(draw: st.DrawFn, min_size: int = 2, max_size: int = 8) -> list[dict[str, Any]]:
    """A few agencies with unique names; the first is always a member."""
    n = draw(st.integers(min_size, max_size))
    return [draw(agency(i + 1, member=True if i == 0 else None)) for i in range(n)]


@st.composite
def grants(draw: st.DrawFn, max_size: int = 3) -> list[dict[str, Any]]:
    """Up to a few grants with random schedules, amounts and pass-through shares."""
    out = []
    for k in range(draw(st.integers(0, max_size))):
        out.append({"name": f"Grant {k + 1}", "start": draw(st.integers(0, 36)),
                    "months": draw(st.integers(1, 48)),
                    "amount_per_year": draw(st.floats(0.0, 2_000_000.0)),
                    "to_members": draw(unit), "ramp": draw(st.booleans())})
    return out


@st.composite
def synthetic(draw: st.DrawFn) -> dict[str, Any]:
    """A small synthetic consortium generated from the seed."""
    mix = draw(st.dictionaries(st.sampled_from(SECTORS), st.floats(0.0, 10.0), max_size=5))
    return {"agencies": draw(st.integers(4, 30)), "member_share": draw(st.floats(0.05, 1.0)),
            "sector_mix": mix, "capacity_mean": draw(st.floats(0.5, 40.0)),
            "commitment_mean": draw(unit), "experience_mean": draw(unit),
            "infrastructure_mean": draw(unit)}


@st.composite
def consortium(draw: st.DrawFn, names: list[str] | None) -> dict[str, Any]:
    """The consortium section: a lead (named or by default), coordinator, starting trust."""
    spec: dict[str, Any] = {
        "coordinator": draw(st.booleans()), "coordinator_skill": draw(unit),
        "critical_sectors": draw(st.lists(st.sampled_from(SECTORS), unique=True, max_size=6)),
        "initial_trust": draw(unit), "prior_ties": draw(unit), "prior_trust": draw(unit),
        "shared_measures": draw(st.booleans()),
    }
    if names and draw(st.booleans()):
        spec["lead"] = draw(st.sampled_from(names))
    return spec


@st.composite
def scenario_dicts(draw: st.DrawFn, months: tuple[int, int] = (24, 48),
                   busy: bool = False) -> dict[str, Any]:
    """A valid scenario dict.

    Args:
        months: smallest and largest horizon.
        busy: guarantee a steady flow of people (an emergency department referring to a
            MAT clinic, both members, at full demand), so that randomness always shows.
    """
    listed = busy or draw(st.integers(0, 4)) > 0  # one in five is synthetic
    data: dict[str, Any] = {"name": "Generated scenario", "seed": draw(st.integers(0, 2**32)),
                            "months": draw(st.integers(*months))}
    if listed:
        data["agencies"] = draw(agency_lists())
    else:
        data["synthetic"] = draw(synthetic())
    names = [a["name"] for a in data.get("agencies", [])]
    data["consortium"] = draw(consortium(names))
    data["grants"] = draw(grants())
    data["sectors"] = draw(sector_overrides())
    data["strategies"] = draw(st.lists(st.sampled_from(sorted(STRATEGIES)), unique=True,
                                       max_size=3))
    for section in SECTIONS:
        data[section] = draw(section_values(section))
    if busy:
        data["agencies"] += [
            {"name": "Busy ED", "sector": "emergency_department", "entry_rate": 20.0},
            {"name": "Busy MAT clinic", "sector": "mat_clinic", "capacity": 40.0}]
        data["referrals"].update(demand_scale=1.0, mat_need_share=0.5)
        data["sectors"].pop("mat_clinic", None)  # keep the clinic offering MAT
    return data
