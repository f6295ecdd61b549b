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

from consortsim.events import NO_AGENCY, Kind, emit
from consortsim.state import LEFT, MEMBER, FlagField, FloatField, IntField, utilisation

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel


@njit(cache=True)
def _benefit(floats: np.ndarray, flags: np.ndarray, consortium: np.ndarray,
             params: np.ndarray) -> np.ndarray:
    p = params[0]
    completed = floats[FloatField.COMPLETED_IN] + floats[FloatField.COMPLETED_OUT]
    referrals = np.minimum(1.0, completed / p.engagement_referral_norm)
    funds = np.minimum(1.0, 4.0 * floats[FloatField.GRANT_REVENUE]
                       / np.maximum(floats[FloatField.COSTS], 1e-9))
    alignment = (1.0 - floats[FloatField.BELIEF]) * (0.5 + 0.5 * consortium[0].agenda)
    appreciation = np.minimum(1.0, floats[FloatField.ATTENDED] + flags[FlagField.VISITED])
    return (p.engagement_referral_weight * referrals + p.engagement_funds_weight * funds
            + p.engagement_alignment_weight * alignment
            + p.engagement_appreciation_weight * appreciation)


@njit(cache=True)
def _cost(floats: np.ndarray, consortium: np.ndarray, params: np.ndarray) -> np.ndarray:
    p = params[0]
    util = utilisation(floats[FloatField.BASE_LOAD], floats[FloatField.COMPLETED_IN],
                       floats[FloatField.CAPACITY])
    over = np.minimum(np.maximum((util - p.engagement_stretched_utilisation) / 0.2, 0.0), 2.0)
    return p.coordination_meeting_hours_cost * consortium[0].meetings * over


@njit(cache=True)
def _adjust(month: int, target: np.ndarray, floats: np.ndarray, ints: np.ndarray,
            consortium: np.ndarray, params: np.ndarray, lead: int, ev_ints: np.ndarray,
            ev_numbers: np.ndarray) -> int:
    """Move engagement, count low months, let members leave; returns engaged members."""
    p = params[0]
    status, low_months = ints[IntField.STATUS], ints[IntField.LOW_MONTHS]
    engagement = floats[FloatField.ENGAGEMENT]
    engaged = 0
    for i in range(status.size):
        if status[i] != MEMBER:
            low_months[i] = 0
            continue
        engagement[i] += p.engagement_adjust_rate * (min(max(target[i], 0.0), 1.0)
                                                     - engagement[i])
        if engagement[i] < p.engagement_exit_threshold:
            low_months[i] += 1
            if low_months[i] >= p.engagement_exit_months and i != lead:
                status[i] = LEFT
                emit(ev_ints, ev_numbers, consortium, month, Kind.MEMBER_LEFT, i)
                continue
        else:
            low_months[i] = 0
        if engagement[i] >= p.engagement_engaged_threshold:
            engaged += 1
    return engaged


@njit(cache=True)
def _functioning(month: int, engaged: int, consortium: np.ndarray, params: np.ndarray,
                 ev_ints: np.ndarray, ev_numbers: np.ndarray) -> None:
    c, p = consortium[0], params[0]
    c.engaged = engaged
    working = (c.meetings > 0 or (c.position_open and c.coordinator_funded)) and (
        engaged >= p.sustain_min_engaged)
    c.idle_months = 0 if working else c.idle_months + 1
    if not c.dissolved and c.idle_months >= p.sustain_dissolve_after_months:
        c.dissolved = True
        c.dissolved_month = month
        c.position_open = False
        c.coordinator_present = False
        emit(ev_ints, ev_numbers, consortium, month, Kind.DISSOLVED, NO_AGENCY)


@njit(cache=True)
def month_step(month: int, floats: np.ndarray, ints: np.ndarray, flags: np.ndarray,
               consortium: np.ndarray, params: np.ndarray, lead: int, ev_ints: np.ndarray,
               ev_numbers: np.ndarray) -> None:
    """Engagement follows benefit minus cost; disengaged members leave."""
    target = _benefit(floats, flags, consortium, params) - _cost(floats, consortium, params)
    engaged = _adjust(month, target, floats, ints, consortium, params, lead, ev_ints,
                      ev_numbers)
    _functioning(month, engaged, consortium, params, ev_ints, ev_numbers)


def benefit(model: ConsortiumModel) -> np.ndarray:
    """Each agency's perceived benefit of membership this month, 0 to about 1."""
    s = model.state
    return _benefit(s.floats, s.flags, model.consortium.record, model.params)


def cost(model: ConsortiumModel) -> np.ndarray:
    """Each agency's cost of taking part: meeting time when its staff are stretched."""
    return _cost(model.state.floats, model.consortium.record, model.params)


EVENT_TEXT = {
    Kind.MEMBER_LEFT: lambda w, i, v, a, b: (f"{w.names[i]} left the consortium: "
                                             "membership no longer paid off."),
    Kind.DISSOLVED: lambda w, i, v, a, b: "The consortium stopped functioning and dissolved.",
}


def step(model: ConsortiumModel) -> None:
    """Engagement follows benefit minus cost; disengaged members leave."""
    s, buffer = model.state, model.event_buffer
    month_step(model.month, s.floats, s.ints, s.flags, model.consortium.record, model.params,
               model.lead, buffer.ints, buffer.numbers)
    model.flush_events()
