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
from consortsim.kernel_params import handoff_linkage
from consortsim.params import NEEDS
from consortsim.rng import BLOCK_MONTHS
from consortsim.state import FloatField

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel

MAT_NEED = NEEDS.index("mat")


def base_linkage(model: ConsortiumModel) -> float:
    """Linkage at full trust and free capacity for the scenario's handoff type."""
    return handoff_linkage(model.config.referrals)


def need_shares(model: ConsortiumModel) -> np.ndarray:
    """Share of arrivals with each need, in NEEDS order."""
    p = model.config.referrals
    mat, beh = p.mat_need_share, p.behavioral_need_share
    return np.array([mat, beh, max(0.0, 1.0 - mat - beh)])


@njit(cache=True)
def _settle(floats: np.ndarray, mat_in: np.ndarray, params: np.ndarray) -> float:
    """People on MAT leave and start; billing revenue is earned. Returns MAT starts."""
    p = params[0]
    capacity, mat_ratio = floats[FloatField.CAPACITY], floats[FloatField.MAT_RATIO]
    on_mat, billing = floats[FloatField.ON_MAT], floats[FloatField.BILLING]
    completed_in = floats[FloatField.COMPLETED_IN]
    billing_revenue = floats[FloatField.BILLING_REVENUE]
    started = 0.0
    for i in range(on_mat.size):
        on_mat[i] *= 1.0 - p.referrals_mat_monthly_exit
        free_slots = max(capacity[i] * mat_ratio[i] - on_mat[i], 0.0)
        starts = min(p.referrals_mat_uptake * mat_in[i], free_slots)
        on_mat[i] += starts
        started += starts
        billing_revenue[i] = billing[i] * (p.referrals_revenue_per_service * completed_in[i]
                                           + p.referrals_mat_monthly_revenue * on_mat[i])
    return started


def arrival_rates(model: ConsortiumModel) -> np.ndarray:
    """Expected arrivals a month by need (rows) and entry agency (columns)."""
    rates = model.state.entry_rate[model.senders] * model.config.referrals.demand_scale
    return np.outer(need_shares(model), rates)


DRAWS_PER_PERSON = 3  # entry agency and need, receiver, linkage


@njit(cache=True)
def month_step(u: np.ndarray, floats: np.ndarray, praw: np.ndarray, iraw: np.ndarray,
               scales: np.ndarray, pairs: np.ndarray, consortium: np.ndarray,
               params: np.ndarray, senders: np.ndarray, recv_ptr: np.ndarray,
               recv_idx: np.ndarray, cumulative: np.ndarray, mat_in: np.ndarray,
               expected_referrals: float) -> None:
    """Arrivals, routing, linkage, trust from referrals, MAT and billing revenue.

    ``u`` holds three uniforms per person arriving this month (see ``kernels.refer``).
    """
    c, p = consortium[0], params[0]
    made, completed, community = kernels.refer(
        u, cumulative, senders, recv_ptr, recv_idx, praw, scales[0], iraw, scales[1],
        floats[FloatField.CAPACITY], floats[FloatField.BASE_LOAD], p.referrals_cold_weight,
        p.referrals_base_linkage, p.referrals_trust_floor, p.referrals_trust_gain,
        min(1.0, p.referrals_trust_gain * p.referrals_loss_ratio), p.referrals_community_linkage,
        floats[FloatField.REFERRALS_IN], floats[FloatField.COMPLETED_IN],
        floats[FloatField.COMPLETED_OUT], mat_in, MAT_NEED, pairs)
    c.mat_starts = _settle(floats, mat_in, params)
    c.referrals_made, c.referrals_completed = made, completed
    c.people_linked += completed + community
    c.track_record += 0.05 * (min(1.0, completed / max(expected_referrals, 1e-9))
                              - c.track_record)


def draw_year(rng: np.random.Generator,
              model: ConsortiumModel) -> tuple[np.ndarray, np.ndarray]:
    """A year of arrivals: each month a Poisson number of people, three uniforms each.

    Returns (one row per person, where each month's people start): month k's people are
    rows ``starts[k]:starts[k + 1]``.
    """
    people = rng.poisson(model.arrival_cumulative[-1], BLOCK_MONTHS)
    u = rng.random((int(people.sum()), DRAWS_PER_PERSON))
    starts = np.concatenate(([0], np.cumsum(people))).astype(np.int64)
    return u, starts


def step(model: ConsortiumModel) -> None:
    """Arrivals, routing, linkage, trust from referrals, MAT and billing revenue."""
    s = model.state
    month_step(model.draws(draw_year), s.floats, s.praw, s.iraw, s.scales, s.completed_pairs,
               model.consortium.record, model.params, model.senders, model.recv_ptr,
               model.recv_idx, model.arrival_cumulative, model.mat_in,
               model.expected_referrals)
