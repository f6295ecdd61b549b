"""The arrays a month works on: one row per agency, one cell per pair of agencies.

Every mechanism's compiled ``month_step`` reads and writes these arrays; the Mesa agents
in ``agents.py`` are readable views onto one column. Trust is symmetric: a pair's
personal trust is what its people hold together, its institutional trust what their
agreements hold.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import numpy as np
from numba import njit

from consortsim.config import AgencySpec, Leader, Scenario
from consortsim.kernel_params import handoff_linkage
from consortsim.params import NEEDS, SECTORS

PROSPECT, MEMBER, LEFT = 0, 1, 2


class TrustLayer:
    """A symmetric n x n trust matrix with O(1) uniform decay.

    The true value is ``raw * scale``: decaying every pair multiplies ``scale`` alone
    (``coordination._decay``), so a month's decay costs nothing however many agencies
    there are. Writes divide by ``scale``; ``raw`` is renormalised before ``scale`` gets
    small. A layer of a ``State``
    shares its matrix and its scale (one cell of ``State.scales``) with the state, so
    compiled kernels and Python see the same numbers.
    """

    def __init__(self, values: np.ndarray, scales: np.ndarray | None = None,
                 index: int = 0) -> None:
        self.raw = values if scales is not None else np.array(values, dtype=np.float64)
        self._scales = scales if scales is not None else np.ones(1)
        self._index = index

    @property
    def scale(self) -> float:
        """The common factor of every pair's trust."""
        return float(self._scales[self._index])

    @scale.setter
    def scale(self, value: float) -> None:
        self._scales[self._index] = value

    def full(self) -> np.ndarray:
        """All true values (a new array)."""
        return self.raw * self.scale

    def set_block(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        """Write true values into a block."""
        self.raw[np.ix_(rows, cols)] = values / self.scale if self.scale != 1.0 else values

    def row(self, i: int) -> np.ndarray:
        """True values of one agency's ties (a new array)."""
        return self.raw[i] * self.scale


@njit(cache=True)
def utilisation(base_load: np.ndarray, completed_in: np.ndarray,
                capacity: np.ndarray) -> np.ndarray:
    """How stretched each agency's staff are: caseload and referrals over capacity."""
    return (base_load + completed_in) / np.maximum(capacity, 1e-9)


def effective_trust(personal: np.ndarray, institutional: np.ndarray) -> np.ndarray:
    """Trust a tie carries when either its people or its agreements carry it.

    ``1 - (1 - personal)(1 - institutional)``: institutional trust is a floor that a
    leader's departure does not remove (seed 004; domain-evidence P8).
    """
    return personal + institutional - personal * institutional


class FloatField(IntEnum):
    """Rows of ``State.floats``: one number per agency."""

    ENGAGEMENT = 0
    CAPACITY = 1          # service slots a month
    CAPACITY0 = 2
    BASE_LOAD = 3         # existing caseload (slots), fixed
    MAT_RATIO = 4         # MAT slots per service slot
    ON_MAT = 5            # people on MAT
    RESERVES = 6          # USD
    OTHER_REVENUE = 7     # USD a month from the agency's core budget
    REVENUE_SMOOTH = 8    # USD a month, smoothed
    BILLING = 9           # billable share
    BILLING_CAP = 10      # ceiling for billing growth
    ENTRY_RATE = 11       # arrivals a month
    BELIEF = 12           # belief distance
    INFRASTRUCTURE = 13
    COMMITMENT = 14
    EXPERIENCE = 15
    # Filled each month by the mechanisms and read by later ones in the same month.
    GRANT_REVENUE = 16
    BILLING_REVENUE = 17
    POOLED_PAID = 18
    COSTS = 19
    REFERRALS_IN = 20
    COMPLETED_IN = 21
    COMPLETED_OUT = 22
    ATTENDED = 23


class IntField(IntEnum):
    """Rows of ``State.ints``."""

    SECTOR = 0            # index into SECTORS
    STATUS = 1            # PROSPECT, MEMBER or LEFT
    LOW_MONTHS = 2        # months below the exit threshold
    VACANCY_LEFT = 3      # months until a new leader arrives
    TENURE = 4            # months in post
    TABLE = 5             # meeting group


class FlagField(IntEnum):
    """Rows of ``State.flags``."""

    LEADER_PRESENT = 0
    VISITED = 1


def _row_property(block: str, index: int) -> property:
    def get(self: State) -> np.ndarray:
        return getattr(self, block)[index]

    def put(self: State, value: np.ndarray) -> None:
        getattr(self, block)[index] = value

    return property(get, put, doc=f"One row of ``State.{block}`` (assigning copies in).")


class State:
    """Per-agency arrays and per-pair trust. Index ``i`` is one agency throughout.

    Per-agency numbers live in three 2-D blocks, ``floats``, ``ints`` and ``flags`` (rows
    named by ``FloatField``, ``IntField`` and ``FlagField``), so a compiled kernel takes a
    month's state in a few arguments; ``state.capacity`` and the like are views of one row,
    and assigning to them copies into the row. Trust is symmetric: a pair's personal trust
    is what its people hold together, its institutional trust what their agreements hold.
    """

    def __init__(self, names: list[str], offers: np.ndarray, personal: np.ndarray,
                 institutional: np.ndarray, **rows: np.ndarray) -> None:
        n = len(names)
        self.names = names
        self.offers = offers  # bool [n, len(NEEDS)]
        self.floats = np.zeros((len(FloatField), n))
        self.ints = np.zeros((len(IntField), n), dtype=np.int64)
        self.flags = np.zeros((len(FlagField), n), dtype=np.bool_)
        self.scales = np.ones(2)  # personal, institutional
        self.praw = np.array(personal, dtype=np.float64)
        self.iraw = np.array(institutional, dtype=np.float64)
        self.completed_pairs = np.zeros((n, n), dtype=np.float32)  # both ways
        for name, values in rows.items():
            setattr(self, name, values)

    @property
    def personal(self) -> TrustLayer:
        """Personal trust, held by the people in post."""
        return TrustLayer(self.praw, self.scales, 0)

    @personal.setter
    def personal(self, layer: TrustLayer) -> None:
        self.praw[:] = layer.raw
        self.scales[0] = layer.scale

    @property
    def institutional(self) -> TrustLayer:
        """Institutional trust, held by written agreements."""
        return TrustLayer(self.iraw, self.scales, 1)

    @institutional.setter
    def institutional(self, layer: TrustLayer) -> None:
        self.iraw[:] = layer.raw
        self.scales[1] = layer.scale

    @property
    def n(self) -> int:
        """Number of agencies, members or not."""
        return len(self.names)

    @property
    def members(self) -> np.ndarray:
        """Boolean mask of current members."""
        return self.status == MEMBER

    def mat_slots(self) -> np.ndarray:
        """MAT slots each agency can keep filled."""
        return self.capacity * self.mat_ratio

    def utilisation(self) -> np.ndarray:
        """How stretched each agency's staff are: caseload and referrals over capacity."""
        return utilisation(self.base_load, self.completed_in, self.capacity)


for _block, _fields in (("floats", FloatField), ("ints", IntField), ("flags", FlagField)):
    for _field in _fields:
        setattr(State, _field.name.lower(), _row_property(_block, int(_field)))


def _field_default(model: type, name: str) -> Any:
    return model.model_fields[name].default


def _columns_of(specs: list[AgencySpec]) -> dict[str, Any]:
    """Named agencies as columns; an unset per-agency value is NaN (its sector's default)."""
    def opt(values: list[float | None]) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    return {
        "name": [a.name for a in specs],
        "sector": np.array([SECTORS.index(a.sector) for a in specs], dtype=np.int64),
        "member": np.array([a.member for a in specs], dtype=bool),
        "capacity": np.array([a.capacity for a in specs], dtype=float),
        "mat_slots": opt([a.mat_slots for a in specs]),
        "reserves_months": np.array([a.reserves_months for a in specs], dtype=float),
        "billing": opt([a.billing for a in specs]),
        "entry_rate": opt([a.entry_rate for a in specs]),
        "belief_distance": opt([a.belief_distance for a in specs]),
        "infrastructure": np.array([a.infrastructure for a in specs], dtype=float),
        "engagement": np.array([a.engagement for a in specs], dtype=float),
        "leader_present": np.array([a.leader.present for a in specs], dtype=bool),
        "commitment": np.array([a.leader.commitment for a in specs], dtype=float),
        "experience": np.array([a.leader.experience for a in specs], dtype=float),
        "tenure": np.array([a.leader.tenure_months for a in specs], dtype=np.int64),
    }


def _synthetic_columns(scenario: Scenario, rng: np.random.Generator) -> dict[str, Any]:
    """A synthetic consortium's agencies, generated from the seed, as columns.

    Values not generated take the declared defaults of ``AgencySpec`` and ``Leader``.
    """
    syn = scenario.synthetic
    assert syn is not None
    n = syn.agencies
    mix = {s: w for s, w in syn.sector_mix.items() if w > 0} or {s: 1.0 for s in SECTORS}
    sectors = list(mix)
    weights = np.array([mix[s] for s in sectors], dtype=float)
    picks = rng.choice(len(sectors), size=n, p=weights / weights.sum())
    member = rng.random(n) < syn.member_share
    member[0] = True
    cap = rng.gamma(4.0, syn.capacity_mean / 4.0, n)
    commit = np.clip(rng.normal(syn.commitment_mean, 0.15, n), 0, 1)
    exper = np.clip(rng.normal(syn.experience_mean, 0.2, n), 0, 1)
    infra = np.clip(rng.normal(syn.infrastructure_mean, 0.15, n), 0, 1)
    tenure = rng.integers(0, 96, n)
    titles = [sector.replace("_", " ").title() for sector in sectors]
    counts = [0] * len(sectors)
    names = []
    for pick in picks.tolist():
        counts[pick] += 1
        names.append(f"{titles[pick]} {counts[pick]}")
    unset = np.full(n, np.nan)
    return {
        "name": names,
        "sector": np.array([SECTORS.index(sectors[k]) for k in range(len(sectors))],
                           dtype=np.int64)[picks],
        "member": member, "capacity": np.round(cap, 1), "mat_slots": unset,
        "reserves_months": np.full(n, float(_field_default(AgencySpec, "reserves_months"))),
        "billing": unset, "entry_rate": unset, "belief_distance": unset,
        "infrastructure": infra,
        "engagement": np.full(n, float(_field_default(AgencySpec, "engagement"))),
        "leader_present": np.full(n, bool(_field_default(Leader, "present"))),
        "commitment": commit, "experience": exper, "tenure": tenure.astype(np.int64),
    }


def agency_columns(scenario: Scenario, rng: np.random.Generator) -> dict[str, Any]:
    """The scenario's agencies as columns, generated from the seed for a synthetic one."""
    if scenario.synthetic is None:
        return _columns_of(list(scenario.agencies))
    return _synthetic_columns(scenario, rng)


def lead_index(scenario: Scenario, names: list[str], member: np.ndarray) -> int:
    """The lead agency: named in the scenario, else the first member."""
    lead = scenario.consortium.lead
    if lead is not None:
        return names.index(lead)
    return int(np.flatnonzero(member)[0])


def _initial_trust(scenario: Scenario, member: np.ndarray, rng: np.random.Generator,
                   lead: int) -> np.ndarray:
    n = len(member)
    c = scenario.consortium
    upper = np.triu(rng.random((n, n)) < c.prior_ties, 1)
    prior = upper | upper.T
    both = np.outer(member, member)
    trust = np.where(prior, c.prior_trust, np.where(both, c.initial_trust, 0.0))
    trust[lead, member] = np.maximum(trust[lead, member], c.prior_trust)
    trust[member, lead] = trust[lead, member]
    np.fill_diagonal(trust, 0.0)
    return trust


def _tables(scenario: Scenario, n: int, rng: np.random.Generator) -> np.ndarray:
    """Each agency's meeting table: groups of ``table_size``, drawn at random.

    Named agencies are shuffled into tables (their listing order may mean something). A
    synthetic consortium's agencies are already in random order, so consecutive blocks are
    random groups; keeping table-mates next to each other keeps their trust in one block of
    the trust matrices, which makes large networks' meetings much faster.
    """
    size = scenario.coordination.table_size
    if scenario.synthetic is not None:
        return np.arange(n, dtype=np.int64) // size
    table = np.empty(n, dtype=np.int64)
    table[rng.permutation(n)] = np.arange(n) // size
    return table


def build_state(scenario: Scenario, rng: np.random.Generator) -> tuple[State, int]:
    """Initial arrays of a scenario, and the lead agency's index."""
    a = agency_columns(scenario, rng)
    n = len(a["name"])
    f = scenario.funding
    sector_ix = a["sector"]

    def col(column: str, given: np.ndarray | None = None) -> np.ndarray:
        """A per-sector parameter for each agency, unless the agency sets its own."""
        values = scenario.sector_column(column)[sector_ix]
        return values if given is None else np.where(np.isnan(given), values, given)

    capacity = a["capacity"]
    mat_ratio = col("mat_slot_ratio")
    explicit = ~np.isnan(a["mat_slots"])
    if explicit.any():
        mat_ratio = np.where(explicit, np.nan_to_num(a["mat_slots"]) / np.maximum(capacity, 1e-9),
                             mat_ratio)
    offers = np.column_stack([col(f"offers_{need}") > 0.5 for need in NEEDS])
    member = a["member"]
    lead = lead_index(scenario, a["name"], member)
    cost0 = capacity * f.slot_cost
    billing = col("billing", a["billing"])
    table = _tables(scenario, n, rng)
    trust = _initial_trust(scenario, member, rng, lead)
    present = a["leader_present"]
    state = State(
        names=a["name"], sector=sector_ix,
        status=np.where(member, MEMBER, PROSPECT),
        engagement=np.where(member, a["engagement"], 0.0),
        capacity=capacity, capacity0=capacity,
        base_load=capacity * f.caseload_share, mat_ratio=mat_ratio,
        reserves=a["reserves_months"] * cost0,
        other_revenue=cost0 * f.other_revenue_share, revenue_smooth=cost0,
        billing=billing, billing_cap=np.minimum(1.0, billing + f.billing_ceiling),
        entry_rate=col("entry_rate", a["entry_rate"]),
        belief=col("belief_distance", a["belief_distance"]),
        infrastructure=a["infrastructure"], offers=offers,
        leader_present=present,
        vacancy_left=np.where(present, 0, round(scenario.turnover.vacancy_months)),
        tenure=a["tenure"], commitment=a["commitment"], experience=a["experience"],
        table=table, personal=trust,
        institutional=np.where(trust >= scenario.consortium.prior_trust, 0.5 * trust, 0.0),
    )
    state.on_mat = steady_mat_census(scenario, state)
    return state, lead


def steady_mat_census(scenario: Scenario, state: State) -> np.ndarray:
    """People on MAT at month 0: the census that month-0 referral flows would sustain.

    Expected MAT starts (arrivals with a MAT need x base linkage at the initial trust x
    uptake) are shared among MAT providers by their slots; each provider's census is
    starts / monthly exit, capped at its slots. Starting in steady state keeps month 0 a
    fair baseline for the capacity and access changes (domain-evidence P7).
    """
    r = scenario.referrals
    slots = state.mat_slots()
    if slots.sum() <= 0:
        return np.zeros(state.n)
    trust = scenario.consortium.initial_trust
    link = handoff_linkage(r) * (r.trust_floor + (1 - r.trust_floor) * trust)
    starts = state.entry_rate.sum() * r.demand_scale * r.mat_need_share * link * r.mat_uptake
    share = slots / slots.sum()
    return np.minimum(slots, starts * share / max(r.mat_monthly_exit, 1e-9))
