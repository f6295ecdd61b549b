"""Grant cycle (mechanisms/grants.py): ramps, schedules, applications, awards and the cliff."""

from __future__ import annotations

import numpy as np
import pytest

from consortsim.mechanisms import grants
from consortsim.mechanisms.grants import Grant, award_odds
from consortsim.metrics import outcomes
from consortsim.state import MEMBER

# The small scenario's grant: 240,000 a year from month 0 for 24 months.
FULL_MONTHLY = 240_000.0 / 12
NO_AWARDS = {"grant_cycle.success_min": 0.0, "grant_cycle.success_max": 0.0}
# A backbone pays the coordinator, so the grant's spending is its programme ramp alone.
BACKBONE = {"coordination.external_backbone": True}
SURE_AWARD = {"grant_cycle.success_min": 1.0, "grant_cycle.success_max": 1.0}
# The cycle's timing, stated so that recalibrated defaults do not move these tests.
TIMING = {"grant_cycle.spend_ramp_months": 12, "grant_cycle.apply_lead_months": 9,
          "grant_cycle.application_interval_months": 6, "grant_cycle.successor_months": 24,
          "grant_cycle.bridge_months": 0, "coordination.unfunded_grace_months": 3,
          "sustain.dissolve_after_months": 6}


@pytest.fixture
def grant_model(small_model):
    """The small model with the grant cycle's timing pinned."""

    def make(overrides=None, **kwargs):
        return small_model({**TIMING, **(overrides or {})}, **kwargs)

    return make


def smoothstep(x: float) -> float:
    x = min(1.0, x)
    return x * x * (3.0 - 2.0 * x)


def months_of(model, kind: str) -> list[int]:
    return [e.month for e in model.events if e.kind == kind]


def test_spend_fraction_is_a_smooth_ramp_to_full_spending():
    g = Grant("g", start=10, end=46, amount_per_year=1.0, to_members=0.5, ramp=True)
    fractions = [g.spend_fraction(m, 12) for m in range(11, 23)]
    assert 0 < fractions[0] < 0.05
    assert np.all(np.diff(fractions) > 0)
    assert g.spend_fraction(16, 12) == pytest.approx(0.5)
    assert [g.spend_fraction(m, 12) for m in (22, 30, 46)] == [1.0, 1.0, 1.0]
    flat = Grant("g", start=10, end=46, amount_per_year=1.0, to_members=0.5, ramp=False)
    assert flat.spend_fraction(11, 12) == 1.0


def test_grant_pays_in_months_after_start_up_to_end():
    g = Grant("g", start=12, end=48, amount_per_year=1.0, to_members=0.5, ramp=True)
    assert [m for m in range(0, 60) if g.active(m)] == list(range(13, 49))


def test_spending_ramps_up_and_ends_on_schedule(grant_model):
    model = grant_model({**BACKBONE, **NO_AWARDS})
    model.run_for(36)
    spend = model.recorder.column("revenue_grant")
    expected = [FULL_MONTHLY * smoothstep(m / 12) for m in range(1, 25)]
    np.testing.assert_allclose(spend[1:25], expected, rtol=1e-12)
    assert spend[0] == 0.0
    assert np.all(spend[25:] == 0.0)


def test_funding_cliff_fires_once_when_the_last_grant_ends_without_successor(grant_model):
    model = grant_model(NO_AWARDS)
    model.run_for(36)
    assert months_of(model, "grant_started") == [1]
    assert months_of(model, "grant_ended") == [25]
    assert months_of(model, "funding_cliff") == [25]
    assert model.consortium.grant_end_month == 25
    assert outcomes(model)["grant_end_month"] == 25.0


def test_no_cliff_while_another_grant_still_pays(grant_model, small_data):
    small_data["grants"] = [
        {"name": "Planning", "start": 0, "months": 12, "amount_per_year": 100_000.0},
        {"name": "Implementation", "start": 12, "months": 24, "amount_per_year": 300_000.0},
    ]
    model = grant_model(NO_AWARDS, data=small_data, months=48)
    model.run_for(48)
    assert months_of(model, "grant_ended") == [13, 37]
    assert months_of(model, "funding_cliff") == [37]
    spend = model.recorder.column("revenue_grant")
    assert np.all(spend[1:37] > 0) and np.all(spend[37:] == 0)


def test_coordinator_is_paid_first_and_members_share_by_capacity_and_engagement(
        grant_model, small_data, partial_month):
    for agency, capacity, engagement in zip(small_data["agencies"], (10.0, 20.0, 30.0, 40.0),
                                            (0.9, 0.5, 0.8, 0.3), strict=True):
        agency.update(capacity=capacity, engagement=engagement)
    model = grant_model(data=small_data)
    partial_month(model, grants)
    s, c = model.state, model.consortium
    coordinator = model.config.coordination.coordinator_monthly_cost
    programme = (FULL_MONTHLY - coordinator) * smoothstep(1 / 12)
    assert c.coordinator_paid_by_grant == pytest.approx(coordinator)
    assert c.grant_spend == pytest.approx(coordinator + programme)
    weights = s.capacity0 * s.engagement * (s.status == MEMBER)
    to_members = programme * 0.5 * weights / weights.sum()
    others = np.arange(s.n) != model.lead
    np.testing.assert_allclose(s.grant_revenue[others], to_members[others], rtol=1e-12)
    assert s.grant_revenue.sum() + c.coordinator_paid_by_grant == pytest.approx(c.grant_spend)


def test_applications_start_before_the_end_and_repeat_at_the_interval(grant_model):
    # A backbone keeps the consortium alive after the grant, so applications go on.
    model = grant_model({**BACKBONE, **NO_AWARDS, "grant_cycle.apply_lead_months": 9,
                         "grant_cycle.application_interval_months": 6})
    model.run_for(36)
    assert months_of(model, "application_failed") == [15, 21, 27, 33]
    assert months_of(model, "award") == []


def test_successor_award_keeps_money_flowing_after_the_first_grant(grant_model):
    model = grant_model({**BACKBONE, **SURE_AWARD, "grant_cycle.successor_amount_share": 0.5})
    model.run_for(36)
    assert months_of(model, "award") == [15]
    assert months_of(model, "funding_cliff") == []
    successor = [g for g in model.grants if g.kind == "award"]
    assert len(successor) == 1 and successor[0].start == 24
    spend = model.recorder.column("revenue_grant")
    np.testing.assert_allclose(spend[25:37], 0.5 * FULL_MONTHLY, rtol=1e-12)


def test_award_odds_fall_while_the_lead_seat_or_coordinator_is_vacant(grant_model):
    model = grant_model({"grant_cycle.vacancy_penalty": 0.4})
    present = award_odds(model)
    assert 0.0 < present < 1.0
    model.leader_leaves("Lead Clinic")
    assert award_odds(model) == pytest.approx(0.4 * present)
    other = grant_model({"grant_cycle.vacancy_penalty": 0.4})
    other.leader_leaves("coordinator")
    assert award_odds(other) == pytest.approx(0.4 * present)


def test_award_odds_fall_while_a_new_lead_leader_ramps_up(grant_model, small_data):
    small_data["agencies"][0]["leader"] = {"tenure_months": 2}
    ramping = grant_model({"turnover.ramp_up_months": 9}, data=small_data)
    settled = grant_model({"turnover.ramp_up_months": 9})
    penalty = ramping.config.grant_cycle.vacancy_penalty
    assert award_odds(ramping) == pytest.approx(penalty * award_odds(settled))


def test_award_odds_rise_with_the_lead_leaders_experience_and_commitment(grant_model,
                                                                          small_data):
    odds = []
    for level in (0.1, 0.5, 0.9):
        small_data["agencies"][0]["leader"] = {"experience": level, "commitment": level}
        odds.append(award_odds(grant_model(data=small_data)))
    assert odds[0] < odds[1] < odds[2]


def test_vacant_lead_seat_can_cost_the_successor_award(grant_model):
    settings = {**SURE_AWARD, "grant_cycle.vacancy_penalty": 0.0,
                "turnover.vacancy_months": 18.0}
    kept = grant_model(settings)
    kept.run_for(16)
    assert months_of(kept, "award") == [15]
    lost = grant_model(settings)
    lost.run_for(10)
    lost.leader_leaves("Lead Clinic")
    lost.run_for(6)
    assert months_of(lost, "award") == []
    failed = [e for e in lost.events if e.kind == "application_failed"]
    assert [(e.month, e.value) for e in failed] == [(15, 0.0)]


def test_bridge_funding_softens_then_delays_the_cliff(grant_model):
    model = grant_model({**BACKBONE, **NO_AWARDS, "grant_cycle.bridge_months": 6,
                         "grant_cycle.bridge_share": 0.5}, months=40)
    model.run_for(40)
    assert months_of(model, "bridge_funding") == [25]
    assert months_of(model, "funding_cliff") == [31]
    spend = model.recorder.column("revenue_grant")
    np.testing.assert_allclose(spend[25:31], 0.5 * FULL_MONTHLY, rtol=1e-12)
    assert np.all(spend[31:] == 0.0)


@pytest.mark.parametrize(("renewal", "lost_months"), [(0.0, [25, 25]), (1.0, [])])
def test_diversified_streams_renew_yearly_on_their_own_draws(grant_model, renewal,
                                                             lost_months):
    model = grant_model({**NO_AWARDS, "grant_cycle.diversified_streams": 2,
                         "grant_cycle.stream_renewal": renewal})
    model.run_for(36)
    streams = [g for g in model.grants if g.kind == "stream"]
    assert len(streams) == 2 and all(g.start == 12 for g in streams)
    assert months_of(model, "stream_lost") == lost_months
    spend = model.recorder.column("revenue_grant")
    assert (spend[30] > 0) == (renewal == 1.0)


def test_award_odds_multiply_leadership_by_readiness(grant_model, small_data):
    # A lead with no experience gets the floor however ready it is otherwise (P3, S1c).
    odds = {"grant_cycle.success_min": 0.1, "grant_cycle.success_max": 0.9}
    small_data["agencies"][0]["infrastructure"] = 1.0
    for experience, expected in ((0.0, 0.1), (1.0, 0.9)):
        small_data["agencies"][0]["leader"] = {"experience": experience, "commitment": 1.0}
        model = grant_model(odds, data=small_data)
        model.consortium.track_record = 1.0
        assert award_odds(model) == pytest.approx(expected)
