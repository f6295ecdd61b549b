"""Capacity and funding (MODEL.md process 5).

Rule: each agency's revenue is its grant money (this month's pass-through), billing
revenue (completed services and people on MAT at its billable share, seed 000) and its core
budget (``other_revenue_share`` of its month-0 costs). Costs are capacity times
``slot_cost``. Members with a surplus pay ``pooled_share`` of it into a pooled fund
(seed 002). Reserves change by revenue minus costs minus pool payments: nothing else moves
money, which the property tests check. Capacity follows what revenue supports: it grows
toward smoothed revenue with a ``hiring_lag_months`` time constant (vacancies take months
to fill, Knudsen 2011) and, in deficit, shrinks toward revenue plus a share of reserves
(spent down over ``reserve_runway_months``) with a ``cut_lag_months`` time constant: the
capacity cliff after a grant ends. MAT slots are a fixed ratio of capacity at agencies that
offer MAT, so MAT capacity grows with grant-funded capacity while people on MAT follow
referral flows (domain-evidence P7). Billing ability grows toward its ceiling at
``billing_growth`` a month when the scenario builds billing capacity (RCORP-I).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from consortsim.state import MEMBER

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel

SMOOTHING = 1.0 / 3.0  # revenue is smoothed over about a quarter


def step(model: ConsortiumModel) -> None:
    """Revenue in, costs out, reserves move, capacity follows."""
    s, c, f = model.state, model.consortium, model.config.funding
    revenue = s.grant_revenue + s.billing_revenue + s.other_revenue
    s.costs = s.capacity * f.slot_cost
    surplus = revenue - s.costs
    pooled = np.where((s.status == MEMBER) & (surplus > 0), f.pooled_share * surplus, 0.0)
    s.pooled_paid = pooled
    c.pooled_fund += float(pooled.sum())
    s.reserves += surplus - pooled
    s.revenue_smooth += SMOOTHING * (revenue - s.revenue_smooth)
    supported = s.revenue_smooth / f.slot_cost
    deficit_target = (s.revenue_smooth + np.maximum(s.reserves, 0.0)
                      / f.reserve_runway_months) / f.slot_cost
    grow = supported > s.capacity
    target = np.where(grow, supported, np.minimum(deficit_target, s.capacity))
    lag = np.where(grow, f.hiring_lag_months, f.cut_lag_months)
    s.capacity += (target - s.capacity) / lag
    np.maximum(s.capacity, 0.0, out=s.capacity)
    if f.billing_ceiling > 0:
        members = s.status == MEMBER
        s.billing[members] += f.billing_growth * (s.billing_cap[members] - s.billing[members])
