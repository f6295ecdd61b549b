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

from consortsim import kernels
from consortsim.state import MEMBER, PROSPECT

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel


def uncovered_critical(model: ConsortiumModel) -> np.ndarray:
    """Boolean per agency: its sector is critical and has no engaged member."""
    s = model.state
    engaged = (s.status == MEMBER) & (s.engagement >= model.config.engagement.engaged_threshold)
    covered = np.zeros(model.critical.size, dtype=bool)
    covered[np.unique(s.sector[engaged])] = True
    return model.critical[s.sector] & ~covered[s.sector]


def step(model: ConsortiumModel) -> None:
    """Approach prospects and let some of them join."""
    s, c, r = model.state, model.consortium, model.config.recruitment
    rng = model.streams["recruitment"]
    u_reach, u_accept = rng.random(s.n), rng.random(s.n)
    prospects = np.flatnonzero(s.status == PROSPECT)
    if prospects.size == 0 or c.dissolved or not c.coordinator_present:
        return
    members = np.flatnonzero(s.status == MEMBER)
    known = kernels.strongest_tie(s.personal.raw, s.personal.scale, s.institutional.raw,
                                  s.institutional.scale, prospects, members)
    month = model.month
    event = (month * r.events_per_year) // 12 > ((month - 1) * r.events_per_year) // 12
    miss = ((1.0 - r.network_rate * known)
            * (1.0 - r.cold_rate * uncovered_critical(model)[prospects])
            * (1.0 - (r.event_reach if event else 0.0)))
    reputation = 0.5 + 0.5 * float(s.engagement[members].mean()) if members.size else 0.5
    accept = r.acceptance * np.clip(1.0 - r.belief_penalty * s.belief[prospects], 0, 1)
    joins = prospects[(u_reach[prospects] < 1.0 - miss)
                      & (u_accept[prospects] < accept * reputation)]
    for i in joins:
        s.status[i] = MEMBER
        s.engagement[i] = r.join_engagement
        s.low_months[i] = 0
        model.log(month, "member_joined", s.names[i], f"{s.names[i]} joined the consortium.")
