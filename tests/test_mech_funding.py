"""Capacity and funding (mechanisms/funding.py): reserves, the pooled fund, capacity."""

from __future__ import annotations

import numpy as np
import pytest

from consortsim.mechanisms import funding, referrals
from consortsim.state import MEMBER, PROSPECT

NO_AWARDS = {"grant_cycle.success_min": 0.0, "grant_cycle.success_max": 0.0,
             "grant_cycle.bridge_months": 0, "coordination.external_backbone": True}
MAT = 2  # the small scenario's MAT clinic


def test_reserves_change_by_revenue_minus_costs_minus_pool_payments(small_model, small_data,
                                                                    partial_month):
    small_data["agencies"][3]["member"] = False
    small_data["agencies"][3]["billing"] = 0.5
    model = small_model({"funding.pooled_share": 0.2}, data=small_data)
    model.run_for(8)  # grant money, billing and core budgets all flowing
    s = model.state
    before = s.reserves.copy()
    partial_month(model, funding)
    revenue = s.grant_revenue + s.billing_revenue + s.other_revenue
    assert s.grant_revenue.sum() > 0 and s.billing_revenue.sum() > 0 and s.pooled_paid.sum() > 0
    np.testing.assert_allclose(s.reserves - before, revenue - s.costs - s.pooled_paid,
                               rtol=1e-12, atol=1e-6)


def test_members_with_a_surplus_pay_a_share_of_it_into_the_pool(small_model, small_data,
                                                                partial_month):
    small_data["agencies"][3]["member"] = False
    model = small_model({"funding.pooled_share": 0.25}, data=small_data)
    model.run_for(12)
    s = model.state
    s.grant_revenue[:] = 0.0
    pool_before = model.consortium.pooled_fund
    partial_month(model, funding)
    surplus = s.grant_revenue + s.billing_revenue + s.other_revenue - s.costs
    expected = np.where((s.status == MEMBER) & (surplus > 0), 0.25 * surplus, 0.0)
    np.testing.assert_allclose(s.pooled_paid, expected, rtol=1e-12)
    assert s.status[3] == PROSPECT and s.pooled_paid[3] == 0.0
    assert s.pooled_paid.sum() > 0
    assert model.consortium.pooled_fund == pytest.approx(pool_before + s.pooled_paid.sum())


def test_no_pool_without_a_pooled_share(small_model):
    model = small_model()
    model.run_for(24)
    assert model.consortium.pooled_fund == 0.0
    assert np.all(model.recorder.column("pooled_fund")[:25] == 0.0)


def test_capacity_grows_after_a_surplus_and_shrinks_after_the_grant_ends(small_model):
    model = small_model(NO_AWARDS, months=48)
    model.run_for(48)
    capacity = model.recorder.column("capacity")
    peak = int(np.argmax(capacity))
    assert capacity[12] > capacity[0] and capacity[24] > capacity[12]
    assert 20 <= peak <= 30  # it turns when the grant money stops (month 24)
    assert capacity[48] < capacity[36] < capacity[peak]


def test_a_longer_hiring_lag_grows_capacity_more_slowly(small_model):
    grown = []
    for lag in (2.0, 12.0):
        model = small_model({**NO_AWARDS, "funding.hiring_lag_months": lag})
        model.run_for(12)
        grown.append(model.recorder.column("capacity")[12])
    assert grown[0] > grown[1]


def test_a_deficit_spends_reserves_and_cuts_capacity(small_model, small_data):
    small_data["grants"] = []
    model = small_model({"funding.other_revenue_share": 0.5}, data=small_data)
    model.run_for(12)
    reserves = model.recorder.column("reserves")
    capacity = model.recorder.column("capacity")
    assert np.all(np.diff(reserves[:13]) < 0)
    assert np.all(np.diff(capacity[:13]) < 0)
    assert np.all(capacity[:13] > 0)


def test_core_budgets_alone_keep_capacity_steady(small_model, small_data):
    small_data["grants"] = []
    model = small_model({"referrals.demand_scale": 0.0, "funding.other_revenue_share": 1.0},
                        data=small_data)
    model.run_for(12)
    np.testing.assert_allclose(model.recorder.column("capacity")[:13], 40.0, rtol=1e-12)


def test_billing_grows_toward_its_ceiling_at_member_agencies(small_model, small_data):
    small_data["agencies"][3]["member"] = False
    model = small_model({"funding.billing_ceiling": 0.3, "funding.billing_growth": 0.1},
                        data=small_data)
    start = model.state.billing.copy()
    ceiling = np.minimum(1.0, start + 0.3)
    model.run_for(6)
    s = model.state
    members = s.status == MEMBER
    expected = ceiling - (ceiling - start) * 0.9 ** 6
    np.testing.assert_allclose(s.billing[members], expected[members], rtol=1e-12)
    assert s.billing[3] == start[3]


def test_mat_capacity_is_a_fixed_ratio_of_service_capacity(small_model):
    model = small_model(NO_AWARDS)
    ratio = model.state.mat_ratio.copy()
    model.run_for(24)
    s = model.state
    assert s.mat_slots()[MAT] == pytest.approx(ratio[MAT] * s.capacity[MAT])
    mat = model.recorder.column("mat_capacity")
    assert mat[24] > mat[0]  # grant-funded capacity brings MAT slots (pattern P7)
    assert model.recorder.column("on_mat")[24] <= mat[24]


def test_people_on_mat_bring_billing_revenue_every_month(small_model, small_data):
    small_data["agencies"][2]["billing"] = 1.0
    model = small_model({"referrals.demand_scale": 0.0}, data=small_data)
    on_mat = model.state.on_mat[MAT] = 20.0
    referrals.step(model)
    p = model.config.referrals
    expected = p.mat_monthly_revenue * on_mat * (1 - p.mat_monthly_exit)
    assert model.state.billing_revenue[MAT] == pytest.approx(expected)
