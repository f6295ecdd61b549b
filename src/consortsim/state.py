"""The arrays a month works on: one row per agency, one cell per pair of agencies.

Every mechanism reads and writes these arrays with a few vectorised lines; the Mesa
agents in ``agents.py`` are readable views onto one row. Trust is symmetric: a pair's
personal trust is what its people hold together, its institutional trust what their
agreements hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from consortsim.config import AgencySpec, Leader, Scenario
from consortsim.params import NEEDS, SECTORS

PROSPECT, MEMBER, LEFT = 0, 1, 2


class TrustLayer:
    """A symmetric n x n trust matrix with O(1) uniform decay.

    The true value is ``raw * scale``: decaying every pair multiplies ``scale`` alone, so a
    month's decay costs nothing however many agencies there are. Writes divide by
    ``scale``; ``raw`` is renormalised before ``scale`` gets small.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.raw = np.array(values, dtype=np.float64)
        self.scale = 1.0

    def decay(self, rate: float) -> None:
        """Every pair loses ``rate`` of its trust."""
        self.scale *= 1.0 - rate
        if self.scale < 1e-3:
            self.raw *= self.scale
            self.scale = 1.0

    def full(self) -> np.ndarray:
        """All true values (a new array)."""
        return self.raw * self.scale

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """True values of the rows x cols block (a new array)."""
        return self.raw[np.ix_(rows, cols)] * self.scale

    def set_block(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        """Write true values into a block."""
        self.raw[np.ix_(rows, cols)] = values / self.scale if self.scale != 1.0 else values

    def row(self, i: int) -> np.ndarray:
        """True values of one agency's ties (a new array)."""
        return self.raw[i] * self.scale

    def scale_agency(self, i: int, factor: float) -> None:
        """Multiply every tie of agency ``i`` by ``factor`` (both directions)."""
        self.raw[i, :] *= factor
        self.raw[:, i] *= factor
        self.raw[i, i] = 0.0


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


@dataclass
class State:
    """Per-agency arrays and per-pair trust. Index ``i`` is one agency throughout."""

    names: list[str]
    sector: np.ndarray            # int index into SECTORS
    status: np.ndarray            # PROSPECT, MEMBER or LEFT
    engagement: np.ndarray
    low_months: np.ndarray        # months below the exit threshold
    capacity: np.ndarray          # service slots a month
    capacity0: np.ndarray
    base_load: np.ndarray         # existing caseload (slots), fixed
    mat_ratio: np.ndarray         # MAT slots per service slot
    on_mat: np.ndarray            # people on MAT
    reserves: np.ndarray          # USD
    other_revenue: np.ndarray     # USD a month from the agency's core budget
    revenue_smooth: np.ndarray    # USD a month, smoothed
    billing: np.ndarray           # billable share
    billing_cap: np.ndarray       # ceiling for billing growth
    entry_rate: np.ndarray        # arrivals a month
    belief: np.ndarray            # belief distance
    infrastructure: np.ndarray
    offers: np.ndarray            # bool [n, len(NEEDS)]
    leader_present: np.ndarray
    vacancy_left: np.ndarray      # months until a new leader arrives
    tenure: np.ndarray            # months in post
    commitment: np.ndarray
    experience: np.ndarray
    table: np.ndarray             # meeting group
    personal: TrustLayer
    institutional: TrustLayer
    completed_pairs: np.ndarray   # completed referrals between each pair, both ways
    # Filled each month by the mechanisms and read by later ones in the same month.
    grant_revenue: np.ndarray = field(default_factory=lambda: np.zeros(0))
    billing_revenue: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pooled_paid: np.ndarray = field(default_factory=lambda: np.zeros(0))
    costs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    referrals_in: np.ndarray = field(default_factory=lambda: np.zeros(0))
    completed_in: np.ndarray = field(default_factory=lambda: np.zeros(0))
    completed_out: np.ndarray = field(default_factory=lambda: np.zeros(0))
    attended: np.ndarray = field(default_factory=lambda: np.zeros(0))
    visited: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        n = len(self.names)
        for name in ("grant_revenue", "billing_revenue", "pooled_paid", "costs",
                     "referrals_in", "completed_in", "completed_out", "attended"):
            setattr(self, name, np.zeros(n))
        self.visited = np.zeros(n, dtype=bool)

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


def _synthetic_specs(scenario: Scenario, rng: np.random.Generator) -> list[AgencySpec]:
    syn = scenario.synthetic
    assert syn is not None
    mix = {s: w for s, w in syn.sector_mix.items() if w > 0} or {s: 1.0 for s in SECTORS}
    sectors = list(mix)
    weights = np.array([mix[s] for s in sectors], dtype=float)
    picks = rng.choice(len(sectors), size=syn.agencies, p=weights / weights.sum())
    member = rng.random(syn.agencies) < syn.member_share
    member[0] = True
    cap = rng.gamma(4.0, syn.capacity_mean / 4.0, syn.agencies)
    commit = np.clip(rng.normal(syn.commitment_mean, 0.15, syn.agencies), 0, 1)
    exper = np.clip(rng.normal(syn.experience_mean, 0.2, syn.agencies), 0, 1)
    infra = np.clip(rng.normal(syn.infrastructure_mean, 0.15, syn.agencies), 0, 1)
    tenure = rng.integers(0, 96, syn.agencies)
    counts: dict[str, int] = {}
    specs = []
    for i in range(syn.agencies):
        sector = sectors[picks[i]]
        counts[sector] = counts.get(sector, 0) + 1
        specs.append(AgencySpec(
            name=f"{sector.replace('_', ' ').title()} {counts[sector]}", sector=sector,
            member=bool(member[i]), capacity=float(round(cap[i], 1)),
            infrastructure=float(infra[i]),
            leader=Leader(commitment=float(commit[i]), experience=float(exper[i]),
                          tenure_months=int(tenure[i])),
        ))
    return specs


def agency_specs(scenario: Scenario, rng: np.random.Generator) -> list[AgencySpec]:
    """The scenario's agencies, generated from the seed for a synthetic scenario."""
    if scenario.synthetic is None:
        return list(scenario.agencies)
    return _synthetic_specs(scenario, rng)


def lead_index(scenario: Scenario, specs: list[AgencySpec]) -> int:
    """The lead agency: named in the scenario, else the first member."""
    lead = scenario.consortium.lead
    if lead is not None:
        return next(i for i, a in enumerate(specs) if a.name == lead)
    return next(i for i, a in enumerate(specs) if a.member)


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


def build_state(scenario: Scenario, rng: np.random.Generator) -> tuple[State, int]:
    """Initial arrays of a scenario, and the lead agency's index."""
    specs = agency_specs(scenario, rng)
    n = len(specs)
    f = scenario.funding
    sector_ix = np.array([SECTORS.index(a.sector) for a in specs])

    def col(column: str, attr: str | None = None) -> np.ndarray:
        return np.array([
            (getattr(a, attr) if attr and getattr(a, attr) is not None
             else scenario.sector_value(a.sector, column)) for a in specs], dtype=float)

    capacity = np.array([a.capacity for a in specs], dtype=float)
    mat_ratio = col("mat_slot_ratio")
    explicit = np.array([a.mat_slots is not None for a in specs])
    if explicit.any():
        given = np.array([a.mat_slots or 0.0 for a in specs])
        mat_ratio = np.where(explicit, given / np.maximum(capacity, 1e-9), mat_ratio)
    offers = np.column_stack([col(f"offers_{need}") > 0.5 for need in NEEDS])
    member = np.array([a.member for a in specs])
    lead = lead_index(scenario, specs)
    cost0 = capacity * f.slot_cost
    billing = col("billing", "billing")
    perm = rng.permutation(n)
    table = np.empty(n, dtype=np.int64)
    table[perm] = np.arange(n) // scenario.coordination.table_size
    trust = _initial_trust(scenario, member, rng, lead)
    state = State(
        names=[a.name for a in specs], sector=sector_ix,
        status=np.where(member, MEMBER, PROSPECT).astype(np.int8),
        engagement=np.where(member, [a.engagement for a in specs], 0.0),
        low_months=np.zeros(n, dtype=np.int64),
        capacity=capacity.copy(), capacity0=capacity.copy(),
        base_load=capacity * f.caseload_share, mat_ratio=mat_ratio,
        on_mat=np.zeros(n),
        reserves=np.array([a.reserves_months for a in specs]) * cost0,
        other_revenue=cost0 * f.other_revenue_share, revenue_smooth=cost0.copy(),
        billing=billing, billing_cap=np.minimum(1.0, billing + f.billing_ceiling),
        entry_rate=col("entry_rate", "entry_rate"), belief=col("belief_distance",
                                                              "belief_distance"),
        infrastructure=np.array([a.infrastructure for a in specs]), offers=offers,
        leader_present=np.array([a.leader.present for a in specs]),
        vacancy_left=np.where([a.leader.present for a in specs], 0,
                              round(scenario.turnover.vacancy_months)).astype(np.int64),
        tenure=np.array([a.leader.tenure_months for a in specs], dtype=np.int64),
        commitment=np.array([a.leader.commitment for a in specs]),
        experience=np.array([a.leader.experience for a in specs]),
        table=table, personal=TrustLayer(trust),
        institutional=TrustLayer(np.where(trust >= scenario.consortium.prior_trust,
                                          0.5 * trust, 0.0)),
        completed_pairs=np.zeros((n, n), dtype=np.float32),
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
    link = getattr(r, f"linkage_{r.handoff}") * (r.trust_floor + (1 - r.trust_floor) * trust)
    starts = state.entry_rate.sum() * r.demand_scale * r.mat_need_share * link * r.mat_uptake
    share = slots / slots.sum()
    return np.minimum(slots, starts * share / max(r.mat_monthly_exit, 1e-9))
