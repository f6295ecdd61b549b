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
A completed referral raises personal trust both ways by ``trust_gain``; a failed one lowers
it by ``loss_ratio`` times as much (Zhu 2023: negative events weigh more). Linked people
with a MAT need start MAT where slots are free; people on MAT stop at ``mat_monthly_exit``
(about 30% retained at 180 days). Completed services and people on MAT earn billing revenue
at each agency's billable share (seed 000).
Draws: arrivals are Poisson for every entry agency and need each month; routing and
completion are multinomial and binomial draws on this stream only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from consortsim.params import NEEDS
from consortsim.state import effective_trust

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


def _fit_capacity(done: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Cut each receiver's completions to its free capacity (largest senders keep most)."""
    totals = done.sum(axis=0)
    over = totals > free
    if not over.any():
        return done
    cols = np.flatnonzero(over)
    scaled = np.floor(done[:, cols] * (free[cols] / totals[cols]))
    done = done.copy()
    done[:, cols] = scaled
    return done


def _route(model: ConsortiumModel, rng: np.random.Generator, need: int, arrivals: np.ndarray,
           free: np.ndarray, link: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts sent and completed on the senders x receivers block of one need."""
    s, p = model.state, model.config.referrals
    senders, receivers = model.senders, model.receivers[need]
    trust = effective_trust(s.personal.block(senders, receivers),
                            s.institutional.block(senders, receivers))
    weight = (p.cold_weight + trust) * (s.capacity[receivers] > 0)
    weight[senders[:, None] == receivers[None, :]] = 0.0  # nobody refers to itself
    rows = weight.sum(axis=1, keepdims=True)
    probs = np.divide(weight, rows, out=np.zeros_like(weight), where=rows > 0)
    sendable = np.where(rows[:, 0] > 0, arrivals, 0)
    sent = rng.multinomial(sendable, probs) if sendable.any() else np.zeros(weight.shape, int)
    p_done = link * (p.trust_floor + (1.0 - p.trust_floor) * trust)
    done = np.zeros_like(sent)
    hit = sent > 0
    done[hit] = rng.binomial(sent[hit], p_done[hit])
    done = _fit_capacity(done, free[receivers])
    return sent, done, arrivals - sendable


def _update_trust(model: ConsortiumModel, done: np.ndarray, failed: np.ndarray) -> None:
    s, p = model.state, model.config.referrals
    union = model.referral_union
    pos = model.union_pos
    grid_done = np.zeros((union.size, union.size))
    grid_fail = np.zeros((union.size, union.size))
    for need, receivers in enumerate(model.receivers):
        rows, cols = pos[model.senders][:, None], pos[receivers][None, :]
        grid_done[rows, cols] += done[need]
        grid_fail[rows, cols] += failed[need]
    grid_done += grid_done.T
    grid_fail += grid_fail.T
    touched = (grid_done + grid_fail) > 0
    if not touched.any():
        return
    block = s.personal.block(union, union)
    gain, loss = p.trust_gain, min(1.0, p.trust_gain * p.loss_ratio)
    updated = 1.0 - (1.0 - block) * (1.0 - gain) ** grid_done
    updated *= (1.0 - loss) ** grid_fail
    np.fill_diagonal(updated, 0.0)
    s.personal.set_block(union, union, np.where(touched, updated, block))
    s.completed_pairs[np.ix_(union, union)] += grid_done.astype(np.float32)


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
    link = base_linkage(model)
    free = np.maximum(s.capacity - s.base_load, 0.0)
    s.referrals_in[:] = 0.0
    s.completed_in[:] = 0.0
    s.completed_out[:] = 0.0
    mat_done_in = np.zeros(s.n)
    done_all, failed_all = [], []
    made = completed = unserved = 0
    for need in range(len(NEEDS)):
        receivers = model.receivers[need]
        if receivers.size == 0:
            unserved += int(arrivals[need].sum())
            done_all.append(np.zeros((model.senders.size, 0)))
            failed_all.append(np.zeros((model.senders.size, 0)))
            continue
        sent, done, left = _route(model, rng, need, arrivals[need], free, link)
        unserved += int(left.sum())
        free[receivers] -= done.sum(axis=0)
        s.referrals_in[receivers] += sent.sum(axis=0)
        s.completed_in[receivers] += done.sum(axis=0)
        s.completed_out[model.senders] += done.sum(axis=1)
        if NEEDS[need] == "mat":
            mat_done_in[receivers] += done.sum(axis=0)
        made += int(sent.sum())
        completed += int(done.sum())
        done_all.append(done)
        failed_all.append(sent - done)
    community = int(rng.binomial(unserved, p.community_linkage)) if unserved else 0
    _update_trust(model, done_all, failed_all)
    _mat(model, mat_done_in)
    s.billing_revenue[:] = s.billing * (p.revenue_per_service * s.completed_in
                                        + p.mat_monthly_revenue * s.on_mat)
    c.referrals_made, c.referrals_completed = made, completed
    c.people_linked += completed + community
    c.track_record += 0.05 * (min(1.0, completed / max(model.expected_referrals, 1e-9))
                              - c.track_record)
