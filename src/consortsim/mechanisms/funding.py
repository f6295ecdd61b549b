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
from numba import njit

from consortsim.state import MEMBER

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel

SMOOTHING = 1.0 / 3.0  # revenue is smoothed over about a quarter


@njit(cache=True)
def _flows(status: np.ndarray, grant_revenue: np.ndarray, billing_revenue: np.ndarray,
           other_revenue: np.ndarray, capacity: np.ndarray, costs: np.ndarray,
           pooled_paid: np.ndarray, reserves: np.ndarray, revenue_smooth: np.ndarray,
           billing: np.ndarray, billing_cap: np.ndarray, slot_cost: float,
           pooled_share: float, runway: float, hiring_lag: float, cut_lag: float,
           billing_growth: float, grow_billing: bool) -> float:
    """The month's money and capacity, agency by agency; returns what the pool received."""
    pooled_total = 0.0
    for i in range(status.size):
        member = status[i] == MEMBER
        revenue = grant_revenue[i] + billing_revenue[i] + other_revenue[i]
        costs[i] = capacity[i] * slot_cost
        surplus = revenue - costs[i]
        pooled = pooled_share * surplus if member and surplus > 0 else 0.0
        pooled_paid[i] = pooled
        pooled_total += pooled
        reserves[i] += surplus - pooled
        revenue_smooth[i] += SMOOTHING * (revenue - revenue_smooth[i])
        supported = revenue_smooth[i] / slot_cost
        if supported > capacity[i]:
            target, lag = supported, hiring_lag
        else:
            deficit_target = (revenue_smooth[i] + max(reserves[i], 0.0) / runway) / slot_cost
            target, lag = min(deficit_target, capacity[i]), cut_lag
        capacity[i] = max(capacity[i] + (target - capacity[i]) / lag, 0.0)
        if grow_billing and member:
            billing[i] += billing_growth * (billing_cap[i] - billing[i])
    return pooled_total


def step(model: ConsortiumModel) -> None:
    """Revenue in, costs out, reserves move, capacity follows."""
    s, f = model.state, model.config.funding
    model.consortium.pooled_fund += _flows(
        s.status, s.grant_revenue, s.billing_revenue, s.other_revenue, s.capacity, s.costs,
        s.pooled_paid, s.reserves, s.revenue_smooth, s.billing, s.billing_cap, f.slot_cost,
        f.pooled_share, f.reserve_runway_months, f.hiring_lag_months, f.cut_lag_months,
        f.billing_growth, f.billing_ceiling > 0)
