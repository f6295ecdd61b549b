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
from consortsim.events import Kind, emit
from consortsim.rng import monthly_uniforms
from consortsim.state import MEMBER, PROSPECT, FloatField, IntField

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel


@njit(cache=True)
def _uncovered(floats: np.ndarray, ints: np.ndarray, critical: np.ndarray,
               params: np.ndarray) -> np.ndarray:
    status, sector = ints[IntField.STATUS], ints[IntField.SECTOR]
    engagement = floats[FloatField.ENGAGEMENT]
    covered = np.zeros(critical.size, dtype=np.bool_)
    for i in range(status.size):
        if status[i] == MEMBER and engagement[i] >= params[0].engagement_engaged_threshold:
            covered[sector[i]] = True
    out = np.empty(status.size, dtype=np.bool_)
    for i in range(status.size):
        out[i] = critical[sector[i]] and not covered[sector[i]]
    return out


DRAWS_PER_AGENCY = 2  # reached, accepts


def draw_year(rng: np.random.Generator, model: ConsortiumModel) -> np.ndarray:
    """A year of this mechanism's uniforms, one row per month."""
    return monthly_uniforms(rng, DRAWS_PER_AGENCY * model.state.n)


@njit(cache=True)
def month_step(month: int, u: np.ndarray, floats: np.ndarray, ints: np.ndarray,
               praw: np.ndarray, iraw: np.ndarray, scales: np.ndarray, consortium: np.ndarray,
               params: np.ndarray, critical: np.ndarray, ev_ints: np.ndarray,
               ev_numbers: np.ndarray) -> None:
    """Approach every prospect and let some join.

    ``u`` holds two uniforms per agency: reached (n), then accepts (n).
    """
    c, p = consortium[0], params[0]
    if c.dissolved or not c.coordinator_present:
        return
    n = floats.shape[1]
    u_reach, u_accept = u[:n], u[n:]
    status, engagement = ints[IntField.STATUS], floats[FloatField.ENGAGEMENT]
    prospects = np.flatnonzero(status == PROSPECT)
    members = np.flatnonzero(status == MEMBER)
    known = kernels.strongest_tie(praw, scales[0], iraw, scales[1], prospects, members)
    uncovered = _uncovered(floats, ints, critical, params)
    event = (month * p.recruitment_events_per_year) // 12 > (
        (month - 1) * p.recruitment_events_per_year) // 12
    reach = p.recruitment_event_reach if event else 0.0
    reputation = 0.5 + 0.5 * engagement[members].mean() if members.size else 0.5
    joins = np.empty(prospects.size, dtype=np.int64)
    k = 0
    for a in range(prospects.size):
        i = prospects[a]
        miss = ((1.0 - p.recruitment_network_rate * known[a])
                * (1.0 - p.recruitment_cold_rate * uncovered[i]) * (1.0 - reach))
        accept = p.recruitment_acceptance * min(
            max(1.0 - p.recruitment_belief_penalty * floats[FloatField.BELIEF, i], 0.0), 1.0)
        if u_reach[i] < 1.0 - miss and u_accept[i] < accept * reputation:
            joins[k] = i
            k += 1
    for a in range(k):
        i = joins[a]
        status[i] = MEMBER
        engagement[i] = p.recruitment_join_engagement
        ints[IntField.LOW_MONTHS, i] = 0
        emit(ev_ints, ev_numbers, consortium, month, Kind.MEMBER_JOINED, i)


def uncovered_critical(model: ConsortiumModel) -> np.ndarray:
    """Boolean per agency: its sector is critical and has no engaged member."""
    s = model.state
    return _uncovered(s.floats, s.ints, model.critical, model.params)


EVENT_TEXT = {
    Kind.MEMBER_JOINED: lambda w, i, v, a, b: f"{w.names[i]} joined the consortium.",
}


def step(model: ConsortiumModel) -> None:
    """Approach prospects and let some of them join."""
    s, buffer = model.state, model.event_buffer
    month_step(model.month, model.draws(draw_year), s.floats, s.ints, s.praw, s.iraw, s.scales,
               model.consortium.record, model.params, model.critical, buffer.ints,
               buffer.numbers)
    model.flush_events()
