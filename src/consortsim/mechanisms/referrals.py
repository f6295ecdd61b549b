"""Referral flows (MODEL.md process 4).

Rule: each month people arrive at entry points (emergency departments after an overdose,
law-enforcement contacts, jail releases, primary-care screening, harm-reduction contacts;
seed 002) at each agency's ``entry_rate``, and need MAT, detox/counselling or recovery
support. Each is referred to an agency offering the need, chosen in proportion to
``cold_weight`` plus the effective trust on the tie (seed 004: knowing "the impact person";
cold calls otherwise). A referral completes (the person is linked within 30 days) with
probability ``linkage(handoff)`` x (``trust_floor`` + (1 - ``trust_floor``) x trust)
(D'Onofrio 2015: 37% referral only, 50% facilitated, 74-78% ED-initiated buprenorphine),
and fails when the receiver has no free capacity left this month. People whose need no
agency offers link at the community rate (6-17% nationally, domain-evidence P6).
People are referred to members and non-members alike: what membership buys is trust on
the tie, not exclusivity (seed 004: before the partnership, staff "would call agencies
just at random").
A completed referral raises personal trust both ways by ``trust_gain``; a failed one lowers
it by ``loss_ratio`` times as much (Zhu 2023: negative events weigh more). Linked people
with a MAT need start MAT where slots are free; people on MAT stop at ``mat_monthly_exit``
(about 30% retained at 180 days). Completed services and people on MAT earn billing revenue
at each agency's billable share (seed 000).
Referrals are decided person by person in arrival order (``kernels.refer``), so a receiver
that fills up turns later people away, and trust moves with each outcome.
Draws: the month's number of arrivals is one Poisson draw at the sum of every entry
agency's rate; each person then has three uniforms: which entry agency and need (in
proportion to their rates, which together make independent Poisson arrivals per agency
and need), which receiver, and linkage. A person with no provider links at the community
rate on that same linkage uniform. The draws depend on arrivals alone, not on trust or
capacity: strategies compared on one seed see the same people arrive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from consortsim import kernels
from consortsim.params import NEEDS

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel

MAT_NEED = NEEDS.index("mat")


def base_linkage(model: ConsortiumModel) -> float:
    """Linkage at full trust and free capacity for the scenario's handoff type."""
    p = model.config.referrals
    return float(getattr(p, f"linkage_{p.handoff}"))


def need_shares(model: ConsortiumModel) -> np.ndarray:
    """Share of arrivals with each need, in NEEDS order."""
    p = model.config.referrals
    mat, beh = p.mat_need_share, p.behavioral_need_share
    return np.array([mat, beh, max(0.0, 1.0 - mat - beh)])


@njit(cache=True)
def _settle(capacity: np.ndarray, mat_ratio: np.ndarray, on_mat: np.ndarray,
            mat_in: np.ndarray, billing: np.ndarray, completed_in: np.ndarray,
            billing_revenue: np.ndarray, mat_exit: float, uptake: float,
            revenue_per_service: float, mat_revenue: float) -> float:
    """People on MAT leave and start; billing revenue is earned. Returns MAT starts."""
    started = 0.0
    for i in range(on_mat.size):
        on_mat[i] *= 1.0 - mat_exit
        free_slots = max(capacity[i] * mat_ratio[i] - on_mat[i], 0.0)
        starts = min(uptake * mat_in[i], free_slots)
        on_mat[i] += starts
        started += starts
        billing_revenue[i] = billing[i] * (revenue_per_service * completed_in[i]
                                           + mat_revenue * on_mat[i])
    return started


def arrival_rates(model: ConsortiumModel) -> np.ndarray:
    """Expected arrivals a month by need (rows) and entry agency (columns)."""
    rates = model.state.entry_rate[model.senders] * model.config.referrals.demand_scale
    return np.outer(need_shares(model), rates)


def step(model: ConsortiumModel) -> None:
    """Arrivals, routing, linkage, trust from referrals, MAT and billing revenue."""
    s, c, p = model.state, model.consortium, model.config.referrals
    rng = model.streams["referrals"]
    u = rng.random((rng.poisson(model.arrival_cumulative[-1]), 3))
    made, completed, community = kernels.refer(
        u, model.arrival_cumulative, model.senders, model.recv_ptr, model.recv_idx,
        s.personal.raw, s.personal.scale, s.institutional.raw, s.institutional.scale,
        s.capacity, s.base_load, p.cold_weight, model.base_linkage, p.trust_floor,
        p.trust_gain, min(1.0, p.trust_gain * p.loss_ratio), p.community_linkage,
        s.referrals_in, s.completed_in, s.completed_out, model.mat_in, MAT_NEED,
        s.completed_pairs)
    c.mat_starts = _settle(s.capacity, s.mat_ratio, s.on_mat, model.mat_in, s.billing,
                           s.completed_in, s.billing_revenue, p.mat_monthly_exit,
                           p.mat_uptake, p.revenue_per_service, p.mat_monthly_revenue)
    c.referrals_made, c.referrals_completed = made, completed
    c.people_linked += completed + community
    c.track_record += 0.05 * (min(1.0, completed / max(model.expected_referrals, 1e-9))
                              - c.track_record)
