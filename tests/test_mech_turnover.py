"""Leadership turnover (mechanisms/turnover.py): hazards, vacancies, trust lost and kept."""

from __future__ import annotations

import numpy as np
import pytest

from consortsim.mechanisms import turnover
from consortsim.params import annual_to_monthly
from consortsim.state import TrustLayer

ED = 1  # index of the small scenario's emergency department


def set_trust(model, personal: float, institutional: float) -> None:
    """Give every pair of agencies the same personal and institutional trust."""
    n = model.state.n
    off_diagonal = 1.0 - np.eye(n)
    model.state.personal = TrustLayer(personal * off_diagonal)
    model.state.institutional = TrustLayer(institutional * off_diagonal)


def test_hazard_is_the_sectors_yearly_rate_as_a_monthly_hazard(small_model):
    model = small_model({"sectors.emergency_department.leader_turnover": 0.2,
                         "turnover.hazard_scale": 1.5})
    hazard = turnover.monthly_hazard(model)
    assert hazard[ED] == pytest.approx(annual_to_monthly(0.3))
    assert np.all(np.delete(hazard, ED) == 0.0)


def test_burnout_and_funding_stress_raise_the_hazard(small_model):
    model = small_model({"sectors.emergency_department.leader_turnover": 0.2,
                         "turnover.burnout_gain": 2.0, "turnover.funding_stress_gain": 0.5})
    s = model.state
    base = turnover.monthly_hazard(model)[ED]
    s.base_load[ED] = 1.2 * s.capacity[ED]  # utilisation 1.2: 0.3 above the burnout line
    assert turnover.monthly_hazard(model)[ED] == pytest.approx(base * (1 + 2.0 * 0.3))
    s.reserves[ED] = 0.0  # less than a month of costs in reserve
    assert turnover.monthly_hazard(model)[ED] == pytest.approx(base * 1.6 * 1.5)


def test_departure_cuts_personal_trust_on_the_agencys_ties_only(small_model, events):
    model = small_model({"turnover.personal_retained": 0.3})
    set_trust(model, personal=0.6, institutional=0.25)
    model.leader_leaves("County ED")
    personal, institutional = model.state.personal.full(), model.state.institutional.full()
    others = [i for i in range(4) if i != ED]
    np.testing.assert_allclose(personal[ED, others], 0.6 * 0.3)
    np.testing.assert_allclose(personal[others, ED], 0.6 * 0.3)
    untouched = personal[np.ix_(others, others)]
    np.testing.assert_allclose(untouched[~np.eye(3, dtype=bool)], 0.6)
    np.testing.assert_allclose(institutional, 0.25 * (1.0 - np.eye(4)))
    [event] = events(model, "manual_departure")
    assert event.agency == "County ED" and event.value == 3.0  # three ties weakened


def test_institutional_trust_keeps_a_tie_when_its_people_leave(small_model):
    # Pattern P8: a tie held only by people drops sharply, a formalised one little.
    def effective_after(institutional: float) -> float:
        model = small_model({"turnover.personal_retained": 0.3})
        set_trust(model, personal=0.7, institutional=institutional)
        model.leader_leaves(ED)
        p, q = model.state.personal.full()[ED, 0], model.state.institutional.full()[ED, 0]
        return p + q - p * q

    assert effective_after(0.0) == pytest.approx(0.21)
    assert effective_after(0.6) > 0.6 > effective_after(0.0)


def test_vacancy_lasts_its_months_then_a_new_leader_arrives(small_model, events):
    model = small_model({"turnover.vacancy_months": 4.0, "turnover.new_commitment_mean": 0.5,
                         "turnover.new_commitment_spread": 0.1})
    model.run_for(3)
    model.leader_leaves("County ED")
    assert not model.agencies[ED].leader_present and model.state.tenure[ED] == 0
    model.run_for(3)
    assert not model.agencies[ED].leader_present
    assert list(model.recorder.column("vacant_leaders")[3:7]) == [0.0, 1.0, 1.0, 1.0]
    model.run_for(1)
    [arrived] = events(model, "leader_arrived")
    assert arrived.month == 7 and arrived.agency == "County ED"
    assert model.agencies[ED].leader_present
    assert 0.4 <= model.agencies[ED].commitment <= 0.6


def test_departures_happen_only_in_sectors_with_turnover(small_model, events):
    model = small_model({"sectors.emergency_department.leader_turnover": 1.0,
                         "turnover.hazard_scale": 3.0}, months=48)
    model.run_for(48)
    left = events(model, "leader_left")
    assert left, "a leader with a yearly turnover rate of 99% stayed four years"
    assert {e.agency for e in left} == {"County ED"}


def test_random_vacancies_average_vacancy_months(small_model, small_data, events):
    for sector in ("primary_care", "emergency_department", "mat_clinic", "peer_recovery"):
        small_data["sectors"][sector]["leader_turnover"] = 1.0
    model = small_model({"turnover.hazard_scale": 3.0, "turnover.vacancy_months": 5.0,
                         "engagement.exit_threshold": 0.0}, data=small_data, months=240)
    model.run_for(240)
    gaps = []
    for name in model.state.names:
        left = [e.month for e in events(model, "leader_left") if e.agency == name]
        arrived = [e.month for e in events(model, "leader_arrived") if e.agency == name]
        gaps += [a - d for d, a in zip(left, arrived, strict=False)]
    assert len(gaps) > 40 and min(gaps) >= 1
    assert np.mean(gaps) == pytest.approx(5.0, abs=1.0)


COORDINATOR_LEAVES = {"turnover.coordinator_rate": 1.0,  # a yearly rate of 1: gone in month 1
                      "turnover.coordinator_trust_loss": 0.5,
                      "turnover.coordinator_vacancy_months": 3.0}


def test_coordinator_departure_costs_the_lead_half_its_personal_trust(small_model, events,
                                                                      partial_month):
    model = small_model(COORDINATOR_LEAVES)
    set_trust(model, personal=0.6, institutional=0.2)
    partial_month(model, turnover)
    [left] = events(model, "coordinator_left")
    assert left.month == 1 and not model.consortium.coordinator_present
    personal = model.state.personal.full()
    np.testing.assert_allclose(personal[model.lead, 1:], 0.3)
    np.testing.assert_allclose(personal[1:, 1:][~np.eye(3, dtype=bool)], 0.6)
    np.testing.assert_allclose(model.state.institutional.full(), 0.2 * (1 - np.eye(4)))


def test_coordinator_seat_is_refilled_after_the_vacancy(small_model, events):
    model = small_model({**COORDINATOR_LEAVES, "turnover.coordinator_rate": 0.0})
    model.run_for(2)
    model.leader_leaves("coordinator")
    assert events(model, "manual_departure")[0].agency == "Lead Clinic"
    model.run_for(2)
    assert not model.consortium.coordinator_present
    model.run_for(1)
    assert [e.month for e in events(model, "coordinator_hired")] == [5]
    assert model.consortium.coordinator_present


def test_a_departure_logs_the_referral_pathways_it_breaks(small_model, events):
    # Only ties that carried referrals count, and only when they fall below working trust.
    model = small_model({"turnover.personal_retained": 0.3})
    set_trust(model, personal=0.5, institutional=0.0)
    model.state.completed_pairs[ED, [0, 2]] = 3.0  # two working referral pathways
    model.state.completed_pairs[[0, 2], ED] = 3.0
    model.leader_leaves("County ED")
    [broken] = events(model, "pathways_broken")
    assert broken.agency == "County ED" and broken.value == 2.0
    formalised = small_model({"turnover.personal_retained": 0.3})
    set_trust(formalised, personal=0.5, institutional=0.4)  # 0.15 personal + 0.4 held
    formalised.state.completed_pairs[ED, [0, 2]] = 3.0
    formalised.leader_leaves("County ED")
    assert events(formalised, "pathways_broken") == []


@pytest.mark.parametrize("mean", [0.0, 0.7, 4.0, 17.0])
def test_vacancy_lengths_are_poisson_by_inverse_transform(mean):
    # One uniform gives one Poisson draw: the value whose CDF interval holds the uniform.
    from scipy.stats import poisson

    from consortsim import kernels

    u = np.random.default_rng(7).random(20_000)
    draws = np.array([kernels.poisson_quantile(mean, x) for x in u])
    assert draws.mean() == pytest.approx(mean, abs=0.05 + 0.02 * mean)
    assert draws.var() == pytest.approx(mean, abs=0.1 + 0.05 * mean)
    for k in range(int(mean) + 3 if mean > 0 else 0):
        cdf = poisson.cdf(k, mean)
        assert kernels.poisson_quantile(mean, max(cdf - 1e-9, 0.0)) <= k
        assert kernels.poisson_quantile(mean, min(cdf + 1e-9, 1 - 1e-12)) > k
