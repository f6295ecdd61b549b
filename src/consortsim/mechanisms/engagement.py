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

from consortsim.state import LEFT, MEMBER

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel


def benefit(model: ConsortiumModel) -> np.ndarray:
    """Each agency's perceived benefit of membership this month, 0 to about 1."""
    s, c, e = model.state, model.consortium, model.config.engagement
    referrals = np.minimum(1.0, (s.completed_in + s.completed_out) / e.referral_norm)
    funds = np.minimum(1.0, 4.0 * s.grant_revenue / np.maximum(s.costs, 1e-9))
    alignment = (1.0 - s.belief) * (0.5 + 0.5 * c.agenda)
    appreciation = np.minimum(1.0, s.attended + s.visited)
    return (e.referral_weight * referrals + e.funds_weight * funds
            + e.alignment_weight * alignment + e.appreciation_weight * appreciation)


def cost(model: ConsortiumModel) -> np.ndarray:
    """Each agency's cost of taking part: meeting time when its staff are stretched."""
    s, c = model.state, model.consortium
    over = np.clip((s.utilisation() - model.config.engagement.stretched_utilisation) / 0.2, 0, 2)
    return model.config.coordination.meeting_hours_cost * c.meetings * over


def _exits(model: ConsortiumModel, month: int) -> None:
    s, e = model.state, model.config.engagement
    members = s.status == MEMBER
    low = members & (s.engagement < e.exit_threshold)
    s.low_months = np.where(low, s.low_months + 1, 0)
    leaving = low & (s.low_months >= e.exit_months)
    leaving[model.lead] = False
    for i in np.flatnonzero(leaving):
        s.status[i] = LEFT
        model.log(month, "member_left", s.names[i],
                  f"{s.names[i]} left the consortium: membership no longer paid off.")


def _functioning(model: ConsortiumModel, month: int) -> None:
    s, c, cfg = model.state, model.consortium, model.config
    engaged = int(np.sum((s.status == MEMBER) & (s.engagement >= cfg.engagement.engaged_threshold)))
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
    members = s.status == MEMBER
    target = np.clip(benefit(model) - cost(model), 0.0, 1.0)
    s.engagement = np.where(members, s.engagement + e.adjust_rate * (target - s.engagement),
                            s.engagement)
    _exits(model, model.month)
    _functioning(model, model.month)
