"""Coordination (mechanisms/coordination.py): meetings, trust from contact, formalisation."""

from __future__ import annotations

import numpy as np
import pytest

from consortsim.mechanisms import coordination
from consortsim.mechanisms.coordination import MAX_MEETINGS_PER_MONTH, meetings_this_month
from consortsim.state import PROSPECT, TrustLayer

# Only monthly meetings move trust: no one-to-one visits, no MOUs, nobody referred.
MEETINGS_ONLY = {"coordination.one_on_one_members": 0, "coordination.formalisation_rate": 0.0,
                 "referrals.demand_scale": 0.0, "coordination.meetings_per_year": 12}
MONTHLY = {"coordination.meetings_per_year": 12}
NO_CONTACT = {**MEETINGS_ONLY, "coordination.meetings_per_year": 0}


def set_trust(model, personal, institutional=0.0) -> None:
    """Set both trust layers from a scalar or an n x n matrix (diagonal zeroed)."""
    n = model.state.n
    off = 1.0 - np.eye(n)
    model.state.personal = TrustLayer(np.broadcast_to(personal, (n, n)) * off)
    model.state.institutional = TrustLayer(np.broadcast_to(institutional, (n, n)) * off)


def everyone_engaged(data: dict) -> dict:
    for agency in data["agencies"]:
        agency["engagement"] = 1.0  # attends every meeting
    return data


@pytest.mark.parametrize("per_year", range(0, 25))
def test_meetings_are_spread_evenly_over_the_year(per_year):
    months = [meetings_this_month(m, per_year) for m in range(1, 37)]
    assert sum(months[:12]) == sum(months[12:24]) == per_year
    assert max(months) <= MAX_MEETINGS_PER_MONTH


def test_attending_together_raises_personal_trust_by_the_gain(small_model, small_data,
                                                              partial_month):
    model = small_model({**MEETINGS_ONLY, "coordination.trust_gain": 0.2,
                         "consortium.coordinator_skill": 0.6}, data=everyone_engaged(small_data))
    set_trust(model, 0.2)
    agenda = model.consortium.agenda
    partial_month(model, coordination)
    decayed = 0.2 * (1 - model.config.coordination.trust_decay)
    gain = 0.2 * (0.5 + 0.5 * 0.6)  # a skilled facilitator gets more out of a meeting
    expected = (decayed + gain * (1 - decayed)) * (1 - np.eye(4))
    np.testing.assert_allclose(model.state.personal.full(), expected, rtol=1e-12)
    assert model.consortium.meetings == 1 and np.all(model.state.attended == 1)
    rate = model.config.coordination.agenda_rate
    assert model.consortium.agenda == pytest.approx(agenda + rate * (1 - agenda))


def test_absent_members_and_vacant_seats_gain_nothing(small_model, small_data, partial_month):
    small_data = everyone_engaged(small_data)
    small_data["agencies"][3]["engagement"] = 0.0  # the peer centre never comes
    model = small_model(MEETINGS_ONLY, data=small_data)
    model.leader_leaves("MAT Clinic")  # nobody to send
    set_trust(model, 0.2)
    partial_month(model, coordination)
    personal = model.state.personal.full()
    decayed = 0.2 * (1 - model.config.coordination.trust_decay)
    assert list(model.state.attended) == [1.0, 1.0, 0.0, 0.0]
    assert personal[0, 1] > decayed
    for i, j in [(0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]:
        assert personal[i, j] == pytest.approx(decayed)


def test_trust_decays_without_contact(small_model):
    model = small_model(NO_CONTACT)
    set_trust(model, 0.5, 0.4)
    model.run_for(12)
    p = model.config.coordination
    off = 1 - np.eye(4)
    np.testing.assert_allclose(model.state.personal.full(),
                               0.5 * (1 - p.trust_decay) ** 12 * off, rtol=1e-12)
    np.testing.assert_allclose(model.state.institutional.full(),
                               0.4 * (1 - p.institutional_decay) ** 12 * off, rtol=1e-12)
    assert model.recorder.column("meetings")[1:13].sum() == 0


def test_meetings_build_trust_that_decays_when_they_stop(small_model, small_data):
    # Pattern P5: structured contact builds trust over months; without it trust drifts down.
    pace = {"coordination.trust_gain": 0.22, "consortium.coordinator_skill": 0.7,
            "coordination.trust_decay": 0.02}
    met = small_model({**MEETINGS_ONLY, **pace}, data=everyone_engaged(small_data), months=24)
    alone = small_model({**NO_CONTACT, **pace}, data=everyone_engaged(small_data), months=24)
    for model in (met, alone):
        set_trust(model, 0.1)
        model.run_for(12)
    assert met.recorder.column("trust_personal")[12] > 0.6
    assert alone.recorder.column("trust_personal")[12] < 0.1


def test_coordinator_vacancy_stops_meetings_until_a_successor_is_hired(small_model):
    model = small_model({**MONTHLY, "turnover.coordinator_vacancy_months": 3.0})
    model.run_for(2)
    model.leader_leaves("coordinator")
    model.run_for(4)
    meetings = model.recorder.column("meetings")
    assert list(meetings[1:7]) == [1.0, 1.0, 0.0, 0.0, 1.0, 1.0]
    assert list(model.recorder.column("coordinator_present")[1:7]) == [1, 1, 0, 0, 1, 1]


def test_formalisation_moves_working_ties_into_the_institutional_layer(small_model,
                                                                       partial_month):
    model = small_model({**NO_CONTACT, "coordination.formalisation_rate": 0.1,
                         "coordination.formalisation_threshold": 0.4,
                         "coordination.trust_decay": 0.0,
                         "coordination.institutional_decay": 0.0})
    personal = np.array([[0, .8, .8, .5], [.8, 0, .3, .5], [.8, .3, 0, .5], [.5, .5, .5, 0]])
    set_trust(model, personal, 0.0)
    partial_month(model, coordination)
    working = personal >= 0.4
    np.testing.assert_allclose(model.state.institutional.full(),
                               np.where(working, 0.1 * personal, 0.0), rtol=1e-12)
    np.testing.assert_allclose(model.state.personal.full(), personal)


def test_formalised_ties_approach_but_never_exceed_personal_trust(small_model):
    model = small_model({**NO_CONTACT, "coordination.formalisation_rate": 0.2,
                         "coordination.trust_decay": 0.0,
                         "coordination.institutional_decay": 0.0}, months=60)
    set_trust(model, 0.6, 0.0)
    model.run_for(60)
    institutional = model.state.institutional.full()[~np.eye(4, dtype=bool)]
    assert np.all(institutional <= 0.6 + 1e-12) and np.all(institutional > 0.59)


def test_prospects_ties_are_not_formalised(small_model, small_data, partial_month):
    small_data["agencies"][3]["member"] = False
    model = small_model({**NO_CONTACT, "coordination.formalisation_rate": 0.1},
                        data=small_data)
    set_trust(model, 0.8, 0.0)
    partial_month(model, coordination)
    assert model.state.status[3] == PROSPECT
    institutional = model.state.institutional.full()
    assert np.all(institutional[3] == 0.0) and institutional[0, 1] > 0.0


def test_large_consortiums_meet_in_tables_and_the_lead_sits_at_every_one(small_model,
                                                                        small_data,
                                                                        partial_month):
    small_data["agencies"] += [{"name": f"Extra {k}", "sector": "social_services"}
                               for k in range(4)]
    model = small_model({**MEETINGS_ONLY, "coordination.table_size": 4},
                        data=everyone_engaged(small_data))
    set_trust(model, 0.0)
    partial_month(model, coordination)
    personal, table = model.state.personal.full(), model.state.table
    assert len(set(table)) == 2
    for i in range(8):
        for j in range(8):
            if i == j:
                continue
            shared = table[i] == table[j] or model.lead in (i, j)
            assert (personal[i, j] > 0) == shared, (i, j)


def test_one_to_one_time_goes_to_the_least_engaged_members(small_model, small_data,
                                                           partial_month):
    for agency, engagement in zip(small_data["agencies"], (0.9, 0.2, 0.9, 0.5), strict=True):
        agency["engagement"] = engagement
    model = small_model({"coordination.one_on_one_members": 2,
                         "coordination.one_on_one_gain": 0.1,
                         "coordination.meetings_per_year": 0}, data=small_data)
    set_trust(model, 0.3)
    partial_month(model, coordination)
    s = model.state
    assert list(s.visited) == [False, True, False, True]
    assert s.engagement[1] == pytest.approx(0.2 + 0.1 * 0.8)
    assert s.engagement[2] == 0.9
    personal = s.personal.full()
    assert personal[0, 1] > personal[0, 2] and personal[0, 1] == personal[1, 0]


def test_an_unfunded_coordinator_position_ends_after_the_grace_months(small_model, events):
    settings = {**MONTHLY, "grant_cycle.success_min": 0.0, "grant_cycle.success_max": 0.0,
                "grant_cycle.bridge_months": 0, "coordination.unfunded_grace_months": 3}
    model = small_model(settings)
    model.run_for(36)
    [ended] = events(model, "coordinator_position_ended")
    assert ended.month == 24 + 4
    assert np.all(model.recorder.column("meetings")[28:] == 0)
    backed = small_model({**settings, "coordination.external_backbone": True})
    backed.run_for(36)
    assert events(backed, "coordinator_position_ended") == []
    assert np.all(backed.recorder.column("meetings")[1:] == 1)


def test_a_pooled_fund_pays_the_coordinator_after_the_grant(small_model, events):
    model = small_model({**MONTHLY, "grant_cycle.success_min": 0.0,
                         "grant_cycle.success_max": 0.0, "grant_cycle.bridge_months": 0})
    model.run_for(24)
    cost = model.config.coordination.coordinator_monthly_cost
    model.consortium.pooled_fund = 10 * cost
    model.run_for(12)
    assert events(model, "coordinator_position_ended") == []
    assert model.consortium.pooled_fund == pytest.approx(0.0, abs=1e-6)
    assert np.all(model.recorder.column("meetings")[25:35] == 1)


def test_a_committed_lead_absorbs_the_funded_coordinator_after_the_grants(small_model,
                                                                          small_data, events):
    small_data["agencies"][0]["infrastructure"] = 1.0
    small_data["agencies"][0]["leader"] = {"commitment": 1.0}
    settings = {**MONTHLY, "grant_cycle.success_min": 0.0, "grant_cycle.success_max": 0.0,
                "grant_cycle.bridge_months": 0, "coordination.absorb_rate": 0.5}
    model = small_model(settings, data=small_data)
    model.run_for(24)
    assert events(model, "coordinator_absorbed") == []  # never while the grant runs
    model.consortium.pooled_fund = 3 * model.config.coordination.coordinator_monthly_cost
    model.run_for(24)
    [absorbed] = events(model, "coordinator_absorbed")
    assert 24 < absorbed.month <= 27  # while the pool still pays the post
    assert events(model, "coordinator_position_ended") == []
    assert np.all(model.recorder.column("meetings")[25:] == 1)
    never = small_model({**settings, "coordination.absorb_rate": 0.0}, data=small_data)
    never.run_for(24)
    never.consortium.pooled_fund = 3 * never.config.coordination.coordinator_monthly_cost
    never.run_for(24)
    assert events(never, "coordinator_absorbed") == []
    assert len(events(never, "coordinator_position_ended")) == 1


def _pairs(matrix: np.ndarray) -> set[tuple[int, int]]:
    rows, cols = np.nonzero(np.triu(matrix))
    return set(zip(rows.tolist(), cols.tolist(), strict=True))


def test_meetings_and_formalisation_reach_the_pairs_at_one_table_or_with_the_lead():
    from consortsim import kernels

    rng = np.random.default_rng(5)
    for _ in range(30):
        n = int(rng.integers(2, 40))
        table = rng.integers(0, 4, n)
        if rng.random() < 0.3:
            table = np.sort(table)  # already grouped, as a synthetic consortium's
        present = rng.random(n) < 0.7
        agencies = np.flatnonzero(present)
        lead = int(rng.integers(0, n))
        expected = {(int(i), int(j)) for a, i in enumerate(agencies) for j in agencies[a + 1:]
                    if table[i] == table[j] or lead in (i, j)}
        met = np.zeros((n, n))
        kernels.meet(met, 1.0, present, table, lead, 0.5)
        assert np.array_equal(met, met.T)
        assert _pairs(met) == expected
        assert set(np.unique(met)) <= {0.0, 0.5}  # each pair met once
        personal, institutional = np.full((n, n), 0.8), np.zeros((n, n))
        kernels.formalise(personal, 1.0, institutional, 1.0, agencies, table, lead, 0.25, 0.5)
        assert _pairs(institutional) == expected
        assert set(np.unique(institutional)) <= {0.0, 0.2}
