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

from consortsim.state import MEMBER, FloatField, IntField

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel

SMOOTHING = 1.0 / 3.0  # revenue is smoothed over about a quarter


@njit(cache=True)
def month_step(floats: np.ndarray, ints: np.ndarray, consortium: np.ndarray,
               params: np.ndarray) -> None:
    """Revenue in, costs out, reserves move, capacity follows; the pool receives its share."""
    p = params[0]
    status = ints[IntField.STATUS]
    grant_revenue, billing_revenue = (floats[FloatField.GRANT_REVENUE],
                                      floats[FloatField.BILLING_REVENUE])
    other_revenue, capacity = floats[FloatField.OTHER_REVENUE], floats[FloatField.CAPACITY]
    costs, pooled_paid = floats[FloatField.COSTS], floats[FloatField.POOLED_PAID]
    reserves, revenue_smooth = floats[FloatField.RESERVES], floats[FloatField.REVENUE_SMOOTH]
    billing, billing_cap = floats[FloatField.BILLING], floats[FloatField.BILLING_CAP]
    slot_cost = p.funding_slot_cost
    grow_billing = p.funding_billing_ceiling > 0
    pooled_total = 0.0
    for i in range(status.size):
        member = status[i] == MEMBER
        revenue = grant_revenue[i] + billing_revenue[i] + other_revenue[i]
        costs[i] = capacity[i] * slot_cost
        surplus = revenue - costs[i]
        pooled = p.funding_pooled_share * surplus if member and surplus > 0 else 0.0
        pooled_paid[i] = pooled
        pooled_total += pooled
        reserves[i] += surplus - pooled
        revenue_smooth[i] += SMOOTHING * (revenue - revenue_smooth[i])
        supported = revenue_smooth[i] / slot_cost
        if supported > capacity[i]:
            target, lag = supported, p.funding_hiring_lag_months
        else:
            runway = p.funding_reserve_runway_months
            deficit_target = (revenue_smooth[i] + max(reserves[i], 0.0) / runway) / slot_cost
            target, lag = min(deficit_target, capacity[i]), p.funding_cut_lag_months
        capacity[i] = max(capacity[i] + (target - capacity[i]) / lag, 0.0)
        if grow_billing and member:
            billing[i] += p.funding_billing_growth * (billing_cap[i] - billing[i])
    consortium[0].pooled_fund += pooled_total


def step(model: ConsortiumModel) -> None:
    """Revenue in, costs out, reserves move, capacity follows."""
    s = model.state
    month_step(s.floats, s.ints, model.consortium.record, model.params)
