"""Engagement and membership (MODEL.md process 6).

Rule: each member weighs benefit against cost. Benefit (weights in ``engagement``) is
completed referrals sent and received, up to ``referral_norm`` a month, counting
reciprocity (seed 004: "they refer to us and we refer to them"); funds passed through the
consortium relative to the member's costs (seed 000: funding that benefits "agencies aside
from the lead"); alignment with the common agenda, lower for sectors far from a treatment
agenda (seed 000: members "see themselves as part of the solution"; seed 003); and
appreciation: attending meetings or a one-to-one visit (seed 000: "show appreciation").
Cost is meeting time when staff are stretched past ``stretched_utilisation`` (seed 000).
Engagement moves ``adjust_rate`` of the way toward benefit minus cost each month
(domain-evidence 2.5); a member below ``exit_threshold`` for ``exit_months`` months leaves.
The lead agency does not leave. The consortium dissolves after ``dissolve_after_months``
months in which it is not functioning: no funded coordinator holding meetings, or fewer
than ``min_engaged`` engaged members (HCAP: at least three organisations still working
together, domain-evidence P1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from consortsim.state import LEFT, MEMBER, utilisation

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel


@njit(cache=True)
def _benefit(completed_in: np.ndarray, completed_out: np.ndarray, grant_revenue: np.ndarray,
             costs: np.ndarray, belief: np.ndarray, attended: np.ndarray, visited: np.ndarray,
             agenda: float, referral_norm: float, weights: np.ndarray) -> np.ndarray:
    referrals = np.minimum(1.0, (completed_in + completed_out) / referral_norm)
    funds = np.minimum(1.0, 4.0 * grant_revenue / np.maximum(costs, 1e-9))
    alignment = (1.0 - belief) * (0.5 + 0.5 * agenda)
    appreciation = np.minimum(1.0, attended + visited)
    return (weights[0] * referrals + weights[1] * funds + weights[2] * alignment
            + weights[3] * appreciation)


@njit(cache=True)
def _cost(base_load: np.ndarray, completed_in: np.ndarray, capacity: np.ndarray,
          stretched: float, hours_cost: float, meetings: int) -> np.ndarray:
    over = np.minimum(np.maximum(
        (utilisation(base_load, completed_in, capacity) - stretched) / 0.2, 0.0), 2.0)
    return hours_cost * meetings * over


@njit(cache=True)
def _adjust(status: np.ndarray, engagement: np.ndarray, low_months: np.ndarray,
            target: np.ndarray, rate: float, exit_threshold: float, exit_months: int,
            engaged_threshold: float, lead: int, leaving: np.ndarray) -> tuple[int, int]:
    """Move engagement, count low months, let members leave; (leavers, engaged members)."""
    gone = 0
    engaged = 0
    for i in range(status.size):
        if status[i] != MEMBER:
            low_months[i] = 0
            continue
        engagement[i] += rate * (min(max(target[i], 0.0), 1.0) - engagement[i])
        if engagement[i] < exit_threshold:
            low_months[i] += 1
            if low_months[i] >= exit_months and i != lead:
                status[i] = LEFT
                leaving[gone] = i
                gone += 1
                continue
        else:
            low_months[i] = 0
        if engagement[i] >= engaged_threshold:
            engaged += 1
    return gone, engaged


def _weights(model: ConsortiumModel) -> np.ndarray:
    e = model.config.engagement
    return np.array([e.referral_weight, e.funds_weight, e.alignment_weight,
                     e.appreciation_weight])


def benefit(model: ConsortiumModel) -> np.ndarray:
    """Each agency's perceived benefit of membership this month, 0 to about 1."""
    s, e = model.state, model.config.engagement
    return _benefit(s.completed_in, s.completed_out, s.grant_revenue, s.costs, s.belief,
                    s.attended, s.visited, model.consortium.agenda, e.referral_norm,
                    _weights(model))


def cost(model: ConsortiumModel) -> np.ndarray:
    """Each agency's cost of taking part: meeting time when its staff are stretched."""
    s = model.state
    return _cost(s.base_load, s.completed_in, s.capacity,
                 model.config.engagement.stretched_utilisation,
                 model.config.coordination.meeting_hours_cost, model.consortium.meetings)


def _functioning(model: ConsortiumModel, month: int, engaged: int) -> None:
    c, cfg = model.consortium, model.config
    c.engaged = engaged
    working = (c.meetings > 0 or (c.position_open and c.coordinator_funded)) and (
        engaged >= cfg.sustain.min_engaged)
    c.idle_months = 0 if working else c.idle_months + 1
    if not c.dissolved and c.idle_months >= cfg.sustain.dissolve_after_months:
        c.dissolved = True
        c.dissolved_month = month
        c.position_open = False
        c.coordinator_present = False
        model.log(month, "dissolved", "", "The consortium stopped functioning and dissolved.")


def step(model: ConsortiumModel) -> None:
    """Engagement follows benefit minus cost; disengaged members leave."""
    s, e = model.state, model.config.engagement
    month = model.month
    target = benefit(model) - cost(model)
    leaving = np.empty(s.n, dtype=np.int64)
    gone, engaged = _adjust(s.status, s.engagement, s.low_months, target, e.adjust_rate,
                            e.exit_threshold, e.exit_months, e.engaged_threshold, model.lead,
                            leaving)
    for i in leaving[:gone]:
        model.log(month, "member_left", s.names[i],
                  f"{s.names[i]} left the consortium: membership no longer paid off.")
    _functioning(model, month, engaged)
