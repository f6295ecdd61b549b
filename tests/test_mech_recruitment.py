"""Recruitment (mechanisms/recruitment.py): networks, cold calls, events, belief distance."""

from __future__ import annotations

import numpy as np
import pytest

from consortsim.mechanisms import recruitment
from consortsim.params import SECTORS
from consortsim.state import MEMBER, PROSPECT, TrustLayer

# Every prospect is reached at a monthly event; no network or cold-call approaches.
EVENTS_ONLY = {"recruitment.events_per_year": 12, "recruitment.event_reach": 1.0,
               "recruitment.network_rate": 0.0, "recruitment.cold_rate": 0.0,
               "consortium.prior_ties": 0.0}
NO_EVENTS = {"recruitment.events_per_year": 0, "consortium.prior_ties": 0.0}


def county(prospects: dict[str, int]) -> dict:
    """A lead clinic and an ED as members, and ``count`` prospects of each sector."""
    agencies = [{"name": "Lead Clinic", "sector": "primary_care"},
                {"name": "County ED", "sector": "emergency_department"}]
    for sector, count in prospects.items():
        agencies += [{"name": f"{sector} {k}", "sector": sector, "member": False}
                     for k in range(count)]
    return {"name": "Recruiting county", "consortium": {"lead": "Lead Clinic"},
            "agencies": agencies,
            "sectors": {sector: {"leader_turnover": 0.0} for sector in SECTORS}}


def recruit_once(model) -> np.ndarray:
    """One month of recruitment alone; the indices of agencies that joined."""
    before = model.state.status.copy()
    model.steps += 1
    recruitment.step(model)
    return np.flatnonzero((before == PROSPECT) & (model.state.status == MEMBER))


def joined_share(model, joined: np.ndarray, sector: str) -> float:
    of_sector = np.array([SECTORS[k] == sector for k in model.state.sector])
    return np.isin(np.flatnonzero(of_sector), joined).mean()


def test_recruitment_favours_sectors_close_to_the_agenda(small_model):
    model = small_model({**EVENTS_ONLY, "sectors.mat_clinic.belief_distance": 0.05,
                         "sectors.law_enforcement.belief_distance": 0.6},
                        data=county({"mat_clinic": 200, "law_enforcement": 200}))
    joined = recruit_once(model)
    close, far = joined_share(model, joined, "mat_clinic"), joined_share(model, joined,
                                                                          "law_enforcement")
    r = model.config.recruitment
    reputation = 0.5 + 0.5 * 0.6  # members start at engagement 0.6
    accept = r.acceptance * reputation
    for share, belief in ((close, 0.05), (far, 0.6)):
        expected = accept * np.clip(1 - r.belief_penalty * belief, 0, 1)
        assert share == pytest.approx(expected, abs=0.12), belief
    assert close > far


def test_a_stronger_belief_penalty_keeps_distant_sectors_out(small_model):
    shares = []
    for penalty in (0.0, 1.0, 2.0):
        model = small_model({**EVENTS_ONLY, "recruitment.belief_penalty": penalty},
                            data=county({"law_enforcement": 80}))
        shares.append(joined_share(model, recruit_once(model), "law_enforcement"))
    assert shares[0] > shares[1] > shares[2] == 0.0


def test_members_networks_bring_in_the_prospects_they_know(small_model):
    model = small_model({**NO_EVENTS, "recruitment.network_rate": 1.0,
                         "recruitment.cold_rate": 0.0, "recruitment.acceptance": 1.0},
                        data=county({"social_services": 60}))
    n = model.state.n
    trust = np.zeros((n, n))
    known = np.arange(2, n, 2)  # every other prospect knows the ED well
    trust[1, known] = trust[known, 1] = 0.9
    model.state.personal = TrustLayer(trust)
    model.state.institutional = TrustLayer(np.zeros((n, n)))
    joined = recruit_once(model)
    assert joined.size > 0 and set(joined) <= set(known)


def test_cold_calls_reach_only_uncovered_critical_sectors(small_model):
    data = county({"law_enforcement": 60, "faith": 60})
    data["consortium"]["critical_sectors"] = ["law_enforcement"]
    model = small_model({**NO_EVENTS, "recruitment.network_rate": 0.0,
                         "recruitment.cold_rate": 1.0, "recruitment.acceptance": 1.0,
                         "recruitment.belief_penalty": 0.0}, data=data)
    assert recruitment.uncovered_critical(model).sum() == 60
    joined = recruit_once(model)
    sectors = {SECTORS[model.state.sector[i]] for i in joined}
    assert sectors == {"law_enforcement"}
    assert not recruitment.uncovered_critical(model).any()  # now covered: calls stop


def test_nobody_is_recruited_without_a_coordinator(small_model):
    model = small_model({**EVENTS_ONLY, "recruitment.acceptance": 1.0},
                        data=county({"mat_clinic": 20}))
    model.leader_leaves("coordinator")
    assert recruit_once(model).size == 0


def test_a_new_member_joins_with_the_join_engagement(small_model, events):
    model = small_model({**EVENTS_ONLY, "recruitment.acceptance": 1.0,
                         "recruitment.join_engagement": 0.45},
                        data=county({"mat_clinic": 10}))
    joined = recruit_once(model)
    assert joined.size > 0
    np.testing.assert_allclose(model.state.engagement[joined], 0.45)
    names = {model.state.names[i] for i in joined}
    assert {e.agency for e in events(model, "member_joined")} == names


def test_draws_do_not_depend_on_the_state(small_model):
    # Two uniforms per agency every month, whatever happens (common random numbers).
    settings = {**EVENTS_ONLY, "recruitment.acceptance": 1.0}
    busy = small_model(settings, data=county({"mat_clinic": 10}))
    idle = small_model(settings, data=county({"mat_clinic": 10}))
    idle.leader_leaves("coordinator")
    recruit_once(busy)
    recruit_once(idle)
    assert (busy.streams["recruitment"].bit_generator.state
            == idle.streams["recruitment"].bit_generator.state)
