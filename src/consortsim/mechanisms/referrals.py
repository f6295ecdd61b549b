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
Draws: arrivals are Poisson for every entry agency and need; then two uniforms per person
(route, linkage), so the number of draws depends on arrivals alone, not on trust or
capacity: strategies compared on one seed see the same people arrive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from consortsim import kernels
from consortsim.params import NEEDS

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel


def base_linkage(model: ConsortiumModel) -> float:
    """Linkage at full trust and free capacity for the scenario's handoff type."""
    p = model.config.referrals
    return float(getattr(p, f"linkage_{p.handoff}"))


def need_shares(model: ConsortiumModel) -> np.ndarray:
    """Share of arrivals with each need, in NEEDS order."""
    p = model.config.referrals
    mat, beh = p.mat_need_share, p.behavioral_need_share
    return np.array([mat, beh, max(0.0, 1.0 - mat - beh)])


def _mat(model: ConsortiumModel, mat_done_in: np.ndarray) -> None:
    s, p = model.state, model.config.referrals
    s.on_mat *= 1.0 - p.mat_monthly_exit
    free_slots = np.maximum(s.mat_slots() - s.on_mat, 0.0)
    starts = np.minimum(p.mat_uptake * mat_done_in, free_slots)
    s.on_mat += starts
    model.consortium.mat_starts = float(starts.sum())


def step(model: ConsortiumModel) -> None:
    """Arrivals, routing, linkage, trust from referrals, MAT and billing revenue."""
    s, c, p = model.state, model.consortium, model.config.referrals
    rng = model.streams["referrals"]
    rates = s.entry_rate[model.senders] * p.demand_scale
    arrivals = rng.poisson(np.outer(need_shares(model), rates))  # needs x senders
    people = int(arrivals.sum())
    u_route, u_done = rng.random(people), rng.random(people)
    free = np.maximum(s.capacity - s.base_load, 0.0)
    for name in ("referrals_in", "completed_in", "completed_out"):
        getattr(s, name)[:] = 0.0
    mat_in = np.zeros(s.n)
    loss = min(1.0, p.trust_gain * p.loss_ratio)
    made, completed, unserved = kernels.refer(
        arrivals, model.senders, model.recv_ptr, model.recv_idx, s.personal.raw,
        s.personal.scale, s.institutional.raw, s.institutional.scale, s.capacity, free,
        p.cold_weight, base_linkage(model), p.trust_floor, p.trust_gain, loss, u_route, u_done,
        s.referrals_in, s.completed_in, s.completed_out, mat_in, NEEDS.index("mat"),
        s.completed_pairs)
    community = int(rng.binomial(unserved, p.community_linkage)) if unserved else 0
    _mat(model, mat_in)
    s.billing_revenue[:] = s.billing * (p.revenue_per_service * s.completed_in
                                        + p.mat_monthly_revenue * s.on_mat)
    c.referrals_made, c.referrals_completed = made, completed
    c.people_linked += completed + community
    c.track_record += 0.05 * (min(1.0, completed / max(model.expected_referrals, 1e-9))
                              - c.track_record)
