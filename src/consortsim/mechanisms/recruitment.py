"""Recruitment (MODEL.md process 7).

Rule: while the consortium has a coordinator and has not dissolved, prospects are
approached three ways (seed 000 and seed 004): through members who know them, with odds
``network_rate`` times the strongest effective trust between the prospect and any member
(members' networks are "most productive", seed 000); by cold outreach at ``cold_rate`` when
the prospect's sector is critical and has no engaged member (the needs assessment); and at
``events_per_year`` community events reaching ``event_reach`` of prospects. An approached
prospect joins with probability ``acceptance`` x (1 - ``belief_penalty`` x belief distance)
x reputation, where reputation rises with members' mean engagement: law enforcement and
faith communities are harder to recruit (seed 000).
Draws: two uniforms per agency every month, whatever the state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from consortsim import kernels
from consortsim.state import MEMBER, PROSPECT

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel


@njit(cache=True)
def _uncovered(status: np.ndarray, engagement: np.ndarray, sector: np.ndarray,
               critical: np.ndarray, engaged_threshold: float) -> np.ndarray:
    covered = np.zeros(critical.size, dtype=np.bool_)
    for i in range(status.size):
        if status[i] == MEMBER and engagement[i] >= engaged_threshold:
            covered[sector[i]] = True
    out = np.empty(status.size, dtype=np.bool_)
    for i in range(status.size):
        out[i] = critical[sector[i]] and not covered[sector[i]]
    return out


@njit(cache=True)
def _joins(status: np.ndarray, engagement: np.ndarray, low_months: np.ndarray,
           sector: np.ndarray, belief: np.ndarray, critical: np.ndarray,
           praw: np.ndarray, pscale: float, iraw: np.ndarray, iscale: float,
           u_reach: np.ndarray, u_accept: np.ndarray, engaged_threshold: float,
           network_rate: float, cold_rate: float, event_reach: float, acceptance: float,
           belief_penalty: float, join_engagement: float) -> np.ndarray:
    """Approach every prospect and return those who join (already made members)."""
    prospects = np.flatnonzero(status == PROSPECT)
    members = np.flatnonzero(status == MEMBER)
    known = kernels.strongest_tie(praw, pscale, iraw, iscale, prospects, members)
    uncovered = _uncovered(status, engagement, sector, critical, engaged_threshold)
    reputation = 0.5 + 0.5 * engagement[members].mean() if members.size else 0.5
    joins = np.empty(prospects.size, dtype=np.int64)
    k = 0
    for a in range(prospects.size):
        i = prospects[a]
        miss = ((1.0 - network_rate * known[a]) * (1.0 - cold_rate * uncovered[i])
                * (1.0 - event_reach))
        accept = acceptance * min(max(1.0 - belief_penalty * belief[i], 0.0), 1.0)
        if u_reach[i] < 1.0 - miss and u_accept[i] < accept * reputation:
            joins[k] = i
            k += 1
    for a in range(k):
        i = joins[a]
        status[i] = MEMBER
        engagement[i] = join_engagement
        low_months[i] = 0
    return joins[:k]


def uncovered_critical(model: ConsortiumModel) -> np.ndarray:
    """Boolean per agency: its sector is critical and has no engaged member."""
    s = model.state
    return _uncovered(s.status, s.engagement, s.sector, model.critical,
                      model.config.engagement.engaged_threshold)


def step(model: ConsortiumModel) -> None:
    """Approach prospects and let some of them join."""
    s, c, r = model.state, model.consortium, model.config.recruitment
    rng = model.streams["recruitment"]
    u_reach, u_accept = rng.random((2, s.n))
    if c.dissolved or not c.coordinator_present:
        return
    month = model.month
    event = (month * r.events_per_year) // 12 > ((month - 1) * r.events_per_year) // 12
    joins = _joins(s.status, s.engagement, s.low_months, s.sector, s.belief, model.critical,
                   s.personal.raw, s.personal.scale, s.institutional.raw,
                   s.institutional.scale, u_reach, u_accept,
                   model.config.engagement.engaged_threshold, r.network_rate, r.cold_rate,
                   r.event_reach if event else 0.0, r.acceptance, r.belief_penalty,
                   r.join_engagement)
    for i in joins:
        model.log(month, "member_joined", s.names[i], f"{s.names[i]} joined the consortium.")
