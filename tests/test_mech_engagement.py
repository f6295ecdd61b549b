"""Engagement and membership (mechanisms/engagement.py): benefit, cost, exits, dissolution."""

from __future__ import annotations

import numpy as np
import pytest

from consortsim.mechanisms import engagement, funding
from consortsim.state import LEFT, MEMBER

PEER = 3  # the small scenario's peer recovery centre
# Nothing to gain from membership but alignment and meetings: nobody referred, no money.
NO_BENEFITS = {"referrals.demand_scale": 0.0, "coordination.one_on_one_members": 0,
               "grants": [], "engagement.adjust_rate": 0.08}


def disengaged_peer_centre(data: dict) -> dict:
    """The peer centre disagrees with the agenda and never comes to meetings."""
    data["agencies"][PEER].update(engagement=0.0, belief_distance=1.0)
    return data


def test_engagement_moves_toward_benefit_minus_cost(small_model, partial_month):
    model = small_model({"engagement.adjust_rate": 0.25})
    model.run_for(5)
    partial_month(model, funding)
    s = model.state
    before = s.engagement.copy()
    target = np.clip(engagement.benefit(model) - engagement.cost(model), 0, 1)
    engagement.step(model)
    np.testing.assert_allclose(s.engagement, before + 0.25 * (target - before), rtol=1e-12)


def test_benefit_rises_with_referrals_funds_alignment_and_appreciation(small_model):
    model = small_model()
    s = model.state
    s.costs[:] = 10_000.0
    base = engagement.benefit(model).copy()
    changes = {"completed_in": 2.0, "grant_revenue": 1_000.0, "attended": 1.0}
    for name, value in changes.items():
        getattr(s, name)[PEER] = value
        raised = engagement.benefit(model)
        assert raised[PEER] > base[PEER], name
        base = raised.copy()
    s.belief[PEER] = 1.0
    assert engagement.benefit(model)[PEER] < base[PEER]


def test_meetings_cost_engagement_only_when_staff_are_stretched(small_model):
    model = small_model({"engagement.stretched_utilisation": 0.8,
                         "funding.caseload_share": 0.75})
    model.consortium.meetings = 1
    s = model.state
    assert np.all(engagement.cost(model) == 0.0)  # utilisation 0.75 at month 0
    s.base_load[PEER] = 0.9 * s.capacity[PEER]
    cost = engagement.cost(model)
    assert cost[PEER] > 0 and np.all(np.delete(cost, PEER) == 0)
    model.consortium.meetings = 2
    assert engagement.cost(model)[PEER] == pytest.approx(2 * cost[PEER])


def test_a_member_below_the_threshold_leaves_after_exit_months(small_model, small_data,
                                                               events):
    model = small_model({**NO_BENEFITS, "engagement.exit_threshold": 0.2,
                         "engagement.exit_months": 6}, data=disengaged_peer_centre(small_data))
    model.run_for(5)
    assert model.agencies[PEER].status == "member"
    model.run_for(1)
    [left] = events(model, "member_left")
    assert (left.month, left.agency) == (6, "Peer Centre")
    assert model.state.status[PEER] == LEFT
    assert list(model.recorder.column("members")[5:7]) == [4.0, 3.0]
    assert np.all(model.state.status[:PEER] == MEMBER)


def test_a_member_that_recovers_restarts_its_count(small_model, small_data):
    model = small_model({**NO_BENEFITS, "engagement.exit_months": 6},
                        data=disengaged_peer_centre(small_data))
    model.run_for(4)
    assert model.state.low_months[PEER] == 4
    model.state.engagement[PEER] = 0.9
    model.run_for(1)
    assert model.state.low_months[PEER] == 0
    model.run_for(5)
    assert model.agencies[PEER].status == "member"


def test_the_lead_agency_does_not_leave(small_model, small_data, events):
    small_data["agencies"][0].update(engagement=0.0, belief_distance=1.0)
    model = small_model({**NO_BENEFITS, "engagement.exit_months": 2}, data=small_data)
    model.run_for(12)
    assert model.agencies[model.lead].status == "member"
    assert "Lead Clinic" not in {e.agency for e in events(model, "member_left")}


def test_too_few_engaged_members_dissolve_the_consortium(small_model, events):
    model = small_model({"sustain.min_engaged": 5, "sustain.dissolve_after_months": 6})
    model.run_for(12)
    [dissolved] = events(model, "dissolved")
    assert dissolved.month == 6
    assert list(model.recorder.column("functioning")[4:8]) == [1.0, 1.0, 0.0, 0.0]
    assert np.all(model.recorder.column("meetings")[7:13] == 0)
    assert not model.consortium.coordinator_present


def test_the_consortium_dissolves_when_the_coordinator_cannot_be_paid(small_model, events):
    model = small_model({"grant_cycle.success_min": 0.0, "grant_cycle.success_max": 0.0,
                         "grant_cycle.bridge_months": 0, "sustain.dissolve_after_months": 6})
    model.run_for(36)
    # Unpaid from month 25 (the cliff): six months not functioning, months 25-30.
    assert [e.month for e in events(model, "dissolved")] == [30]
    backed = small_model({"grant_cycle.success_min": 0.0, "grant_cycle.success_max": 0.0,
                          "coordination.external_backbone": True})
    backed.run_for(36)
    assert events(backed, "dissolved") == []
