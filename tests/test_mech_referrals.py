"""Referral flows (mechanisms/referrals.py): routing, linkage, capacity, trust and billing.

Most tests here run one month of referral flows alone (``referrals.step``) on a county with
one busy emergency department and one or two MAT providers, with trust set by hand.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from consortsim.mechanisms import referrals
from consortsim.params import SECTORS
from consortsim.state import TrustLayer

ED, MAT, OTHER = 1, 2, 3
ARRIVALS = 3000  # a month's arrivals at the ED: linkage shares are known to about +-0.01

COUNTY = {
    "name": "Busy county",
    "consortium": {"lead": "Health Department"},
    "agencies": [
        {"name": "Health Department", "sector": "public_health", "entry_rate": 0.0},
        {"name": "County ED", "sector": "emergency_department", "entry_rate": ARRIVALS,
         "capacity": 10.0},
        {"name": "MAT Clinic", "sector": "mat_clinic", "capacity": 100_000.0, "billing": 0.7,
         "entry_rate": 0.0},
        {"name": "Free Clinic", "sector": "mat_clinic", "capacity": 100_000.0, "billing": 0.0,
         "entry_rate": 0.0},
    ],
    "sectors": {sector: {"leader_turnover": 0.0} for sector in SECTORS},
}
# Everyone arriving needs MAT; trust does not move within the month unless a test says so.
MAT_ONLY = {"referrals.mat_need_share": 1.0, "referrals.behavioral_need_share": 0.0,
            "referrals.trust_gain": 0.0}


def county(small_model, overrides=None, trust=None, drop_free_clinic=True, **agency_changes):
    """The busy county, with ``trust`` on every tie (a scalar or an n x n matrix)."""
    data = copy.deepcopy(COUNTY)
    if drop_free_clinic:
        data["agencies"].pop()
    for index, changes in agency_changes.items():
        data["agencies"][int(index.removeprefix("a"))].update(changes)
    model = small_model({**MAT_ONLY, **(overrides or {})}, data=data)
    if trust is not None:
        n = model.state.n
        model.state.personal = TrustLayer(np.broadcast_to(trust, (n, n)) * (1 - np.eye(n)))
        model.state.institutional = TrustLayer(np.zeros((n, n)))
    return model


def linkage_share(model) -> float:
    referrals.step(model)
    return model.consortium.referrals_completed / model.consortium.referrals_made


def expected_linkage(model, trust: float) -> float:
    p = model.config.referrals
    return referrals.base_linkage(model) * (p.trust_floor + (1 - p.trust_floor) * trust)


def test_linkage_rises_with_the_handoff_type(small_model):
    shares = []
    for handoff in ("referral", "facilitated", "ed_initiated"):
        model = county(small_model, {"referrals.handoff": handoff}, trust=0.5)
        share = linkage_share(model)
        assert share == pytest.approx(expected_linkage(model, 0.5), abs=0.04), handoff
        shares.append(share)
    assert shares[0] < shares[1] < shares[2]


def test_linkage_rises_with_trust(small_model):
    shares = []
    for trust in (0.0, 0.5, 1.0):
        model = county(small_model, {"referrals.handoff": "facilitated"}, trust=trust)
        share = linkage_share(model)
        assert share == pytest.approx(expected_linkage(model, trust), abs=0.04), trust
        shares.append(share)
    assert shares[0] < shares[1] < shares[2]


def test_referrals_fail_without_free_capacity_and_erode_trust(small_model):
    model = county(small_model, {"funding.caseload_share": 1.0,  # every slot already taken
                                 "referrals.trust_gain": 0.01, "referrals.loss_ratio": 2.0},
                   trust=0.5)
    referrals.step(model)
    made = model.consortium.referrals_made
    assert made > 0.9 * ARRIVALS and model.consortium.referrals_completed == 0
    personal = model.state.personal.full()
    assert personal[ED, MAT] == pytest.approx(0.5 * (1 - 0.02) ** made)
    assert personal[MAT, ED] == personal[ED, MAT]


def test_completions_stop_when_the_receiver_is_full(small_model):
    # Free capacity is capacity minus the existing caseload: 42 x (1 - 0.75) = 10.5 slots.
    model = county(small_model, {"funding.caseload_share": 0.75}, trust=1.0,
                   a2={"capacity": 42.0})
    referrals.step(model)
    assert model.consortium.referrals_completed == 10
    assert model.state.completed_in[MAT] == 10


def test_completed_referrals_raise_trust_both_ways(small_model):
    model = county(small_model, {"referrals.linkage_referral": 1.0, "referrals.trust_floor": 1.0,
                                 "referrals.trust_gain": 0.001}, trust=0.2)
    referrals.step(model)
    done = model.consortium.referrals_completed
    assert done == model.consortium.referrals_made > 0
    personal = model.state.personal.full()
    assert personal[ED, MAT] == pytest.approx(1 - 0.8 * (1 - 0.001) ** done)
    assert personal[MAT, ED] == personal[ED, MAT]
    assert model.state.completed_pairs[ED, MAT] == model.state.completed_pairs[MAT, ED] == done


def test_people_are_routed_in_proportion_to_trust(small_model):
    trust = np.zeros((4, 4))
    trust[ED, MAT] = trust[MAT, ED] = 0.9
    model = county(small_model, {"referrals.cold_weight": 0.05}, trust=trust,
                   drop_free_clinic=False)
    referrals.step(model)
    sent = model.state.referrals_in
    assert sent[MAT] / sent.sum() == pytest.approx(0.95 / 1.0, abs=0.02)
    assert sent[OTHER] > 0  # cold calls still reach an agency nobody knows


def test_nobody_refers_to_itself(small_model):
    # The ED offers detox and counselling itself; its arrivals with that need go elsewhere.
    model = county(small_model, {"referrals.mat_need_share": 0.0,
                                 "referrals.behavioral_need_share": 1.0}, trust=0.5)
    referrals.step(model)
    assert model.state.referrals_in[ED] == 0 and model.state.referrals_in[MAT] > 0


def test_people_with_no_provider_are_linked_at_the_community_rate_once(small_model):
    # Nobody in the county offers recovery support; at a community rate of 1 everyone who
    # arrives is linked, and nobody twice. Arrivals are Poisson(3000): 3000 +- 250 is 4.5 sd.
    model = county(small_model, {"referrals.mat_need_share": 0.0,
                                 "referrals.behavioral_need_share": 0.0,
                                 "referrals.community_linkage": 1.0}, trust=0.5)
    referrals.step(model)
    assert model.consortium.referrals_made == 0
    assert model.consortium.people_linked == pytest.approx(ARRIVALS, abs=250)


def test_people_with_no_provider_are_not_referred(small_model):
    model = county(small_model, {"referrals.mat_need_share": 0.0,
                                 "referrals.behavioral_need_share": 0.0,
                                 "referrals.community_linkage": 0.0}, trust=0.5)
    referrals.step(model)
    assert model.consortium.referrals_made == 0 and model.consortium.people_linked == 0
    assert model.state.referrals_in.sum() == 0


def test_completed_referrals_earn_billing_only_where_agencies_can_bill(small_model):
    model = county(small_model, trust=0.5, drop_free_clinic=False)
    referrals.step(model)
    s, p = model.state, model.config.referrals
    assert s.completed_in[MAT] > 0 and s.completed_in[OTHER] > 0
    assert s.billing_revenue[OTHER] == 0.0
    expected = 0.7 * (p.revenue_per_service * s.completed_in[MAT]
                      + p.mat_monthly_revenue * s.on_mat[MAT])
    assert s.billing_revenue[MAT] == pytest.approx(expected)
    assert s.billing_revenue[ED] == 0.0  # it received nobody


def test_linked_people_start_mat_where_slots_are_free(small_model):
    model = county(small_model, {"referrals.mat_uptake": 0.5,
                                 "referrals.mat_monthly_exit": 0.2}, trust=1.0)
    s = model.state
    before = s.on_mat.copy()
    referrals.step(model)
    starts = np.minimum(0.5 * s.completed_in, s.mat_slots() - 0.8 * before)
    np.testing.assert_allclose(s.on_mat, 0.8 * before + starts, rtol=1e-12)
    assert s.on_mat[MAT] <= s.mat_slots()[MAT]


def test_arrivals_do_not_depend_on_trust_or_capacity(small_model):
    # Common random numbers: the same seed brings the same people whatever else differs.
    trusting = county(small_model, trust=0.9)
    full = county(small_model, {"funding.caseload_share": 1.0}, trust=0.0)
    for model in (trusting, full):
        referrals.step(model)
    assert trusting.consortium.referrals_made == full.consortium.referrals_made
    assert (trusting.streams["referrals"].bit_generator.state
            == full.streams["referrals"].bit_generator.state)


def test_arrivals_fall_in_each_need_and_entry_agency_in_proportion_to_its_rate():
    from consortsim import kernels

    rates = np.array([[2.0, 0.0, 1.0], [0.5, 0.0, 4.5]])  # needs x entry agencies
    cumulative = np.cumsum(rates.ravel())
    u = np.random.default_rng(3).random(200_000)
    counts = kernels.arrivals(u, cumulative, 2)
    assert counts.shape == (2, 3) and counts.sum() == u.size
    assert counts[0, 1] == 0 and counts[1, 1] == 0  # a zero rate never receives anyone
    np.testing.assert_allclose(counts / u.size, rates / rates.sum(), atol=0.004)
    # The very top of the unit interval still lands in the last cell with a rate.
    assert kernels.arrivals(np.array([1 - 2**-53]), np.array([1.0, 3.0, 3.0]), 1)[0, 1] == 1


@settings(max_examples=200, deadline=None)
@given(rates=st.lists(st.sampled_from([0.0, 0.0, 1e-9, 0.1, 0.3, 1.0, 2.5, 7.0, 1e3]),
                      min_size=1, max_size=40),
       u=st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=1, max_size=60))
def test_arrivals_put_each_person_in_the_first_cell_whose_running_sum_passes_it(rates, u):
    # the bucket lookup gives exactly the binary search's cells, edges and zeros included
    from consortsim import kernels

    cumulative = np.cumsum(np.array(rates + rates))  # two needs
    assume(cumulative[-1] > 0)
    u = np.array(u + [k / (8 * len(rates)) for k in range(8 * len(rates))])  # bucket edges
    expected = np.zeros(cumulative.size, dtype=np.int64)
    for x in u:
        k = min(int(np.searchsorted(cumulative, x * cumulative[-1], side="right")),
                cumulative.size - 1)
        while k > 0 and cumulative[k] == cumulative[k - 1]:
            k -= 1
        expected[k] += 1
    np.testing.assert_array_equal(kernels.arrivals(u, cumulative, 2).ravel(), expected)
