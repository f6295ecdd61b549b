"""Leadership turnover (MODEL.md process 2).

Rule: each agency's leader leaves with a monthly hazard converted from the sector's yearly
rate (domain-evidence 2.2: hospital CEOs 13-20%, SUD supervisors 23%, police chiefs 17-25%,
local health departments 10%), scaled by ``hazard_scale`` and raised by burnout when staff
are stretched past 90% utilisation (Murphy 2022; Lombardi 2025) and by funding stress when
reserves cover less than a month of costs (capability trap, domain-evidence 2.15). The seat
stays vacant for a Poisson number of months around ``vacancy_months``. Personal trust on
every tie of the agency falls to ``personal_retained`` of its value; institutional trust
is untouched (seed 004: "the partnership... that's still there"). The new leader's
commitment and experience are drawn anew, and grant-getting waits ``ramp_up_months``.
The coordinator at the lead agency leaves with ``coordinator_rate`` a year; while the seat
is vacant no meetings are held and nobody is recruited, and the lead's personal ties lose
``coordinator_trust_loss`` of their trust (seed 001: the site "rebuilding" after turnover).
Draws: every month four uniforms per agency (departure, vacancy length by inverse
transform, the new leader's commitment and experience) and two for the coordinator,
whatever the state, so every number stays paired across strategies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from consortsim import kernels
from consortsim.params import SECTORS, annual_to_monthly
from consortsim.state import LEFT, utilisation

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel

WEAK_TIE = 0.3  # effective trust below which a referral pathway counts as broken


def sector_hazards(model: ConsortiumModel) -> np.ndarray:
    """Each sector's monthly base hazard: its yearly rate x ``hazard_scale``, per month."""
    p = model.config.turnover
    return annual_to_monthly(np.minimum(model.sector_turnover * p.hazard_scale, 0.99))


@njit(cache=True)
def _hazard(base: np.ndarray, sector: np.ndarray, base_load: np.ndarray,
            completed_in: np.ndarray, capacity: np.ndarray, reserves: np.ndarray,
            slot_cost: float, burnout_gain: float, stress_gain: float) -> np.ndarray:
    stretched = np.maximum(0.0, utilisation(base_load, completed_in, capacity) - 0.9)
    stressed = reserves < capacity * slot_cost
    return np.minimum(1.0, base[sector] * (1.0 + burnout_gain * stretched)
                      * (1.0 + stress_gain * stressed))


def monthly_hazard(model: ConsortiumModel) -> np.ndarray:
    """Each agency's chance that its leader leaves this month."""
    s, p = model.state, model.config.turnover
    return _hazard(model.sector_hazard, s.sector, s.base_load, s.completed_in, s.capacity,
                   s.reserves, model.config.funding.slot_cost, p.burnout_gain,
                   p.funding_stress_gain)


@njit(cache=True)
def _seats(status: np.ndarray, leader_present: np.ndarray, vacancy_left: np.ndarray,
           tenure: np.ndarray, commitment: np.ndarray, experience: np.ndarray,
           u_commit: np.ndarray, u_exp: np.ndarray, commitment_mean: float,
           commitment_spread: float, experience_mean: float) -> np.ndarray:
    """Tenure grows, vacancies count down, new leaders arrive; returns the arrivals."""
    arrived = np.empty(status.size, dtype=np.int64)
    k = 0
    for i in range(status.size):
        if leader_present[i]:
            tenure[i] += 1
            continue
        vacancy_left[i] -= 1
        if vacancy_left[i] <= 0:
            leader_present[i] = True
            commitment[i] = min(max(commitment_mean
                                    + commitment_spread * (2 * u_commit[i] - 1), 0.0), 1.0)
            experience[i] = min(max(experience_mean + 0.2 * (2 * u_exp[i] - 1), 0.0), 1.0)
            arrived[k] = i
            k += 1
    return arrived[:k]


@njit(cache=True)
def _vacate(i: int, vacancy: int, praw: np.ndarray, pscale: float, iraw: np.ndarray,
            iscale: float, pairs: np.ndarray, retained: float, leader_present: np.ndarray,
            vacancy_left: np.ndarray, tenure: np.ndarray) -> tuple[int, int]:
    """Agency ``i``'s seat falls vacant and its ties keep ``retained`` of their personal
    trust. Returns (ties weakened by a fifth or more, working pathways fallen below
    ``WEAK_TIE``)."""
    weakened = broken = 0
    for j in range(praw.shape[0]):
        if j == i:
            continue
        p = praw[i, j] * pscale
        q = iraw[i, j] * iscale
        before = p + q - p * q
        praw[i, j] *= retained
        praw[j, i] *= retained
        p = praw[i, j] * pscale
        after = p + q - p * q
        if before > 0.2 and after < 0.8 * before:
            weakened += 1
        if pairs[i, j] > 0 and before >= WEAK_TIE and after < WEAK_TIE:
            broken += 1
    praw[i, i] = 0.0
    leader_present[i] = False
    vacancy_left[i] = max(1, vacancy)
    tenure[i] = 0
    return weakened, broken


@njit(cache=True)
def _departures(u: np.ndarray, hazard: np.ndarray, u_vacancy: np.ndarray,
                vacancy_months: float, status: np.ndarray, praw: np.ndarray, pscale: float,
                iraw: np.ndarray, iscale: float, pairs: np.ndarray, retained: float,
                leader_present: np.ndarray, vacancy_left: np.ndarray,
                tenure: np.ndarray) -> np.ndarray:
    """Every leader whose draw falls under the hazard leaves, in agency order.

    The seat stays vacant 1 + Poisson(``vacancy_months`` - 1) months. Returns one row per
    departure: agency, ties weakened, pathways broken.
    """
    leaving = np.flatnonzero(leader_present & (status != LEFT) & (u < hazard))
    out = np.empty((leaving.size, 3), dtype=np.int64)
    for a in range(leaving.size):
        i = leaving[a]
        vacancy = 1 + kernels.poisson_quantile(vacancy_months - 1.0, u_vacancy[i])
        weakened, broken = _vacate(i, vacancy, praw, pscale, iraw, iscale, pairs, retained,
                                   leader_present, vacancy_left, tenure)
        out[a, 0], out[a, 1], out[a, 2] = i, weakened, broken
    return out


def _log_departure(model: ConsortiumModel, i: int, weakened: int, broken: int, month: int,
                   manual: bool) -> None:
    s = model.state
    role = SECTORS[s.sector[i]].replace("_", " ")
    who = "The leader" if not manual else "In the workshop, the leader"
    text = (f"{who} at {s.names[i]} ({role}) left; {weakened} ties weakened"
            + (f", {broken} referral pathways broken." if broken else "."))
    model.log(month, "manual_departure" if manual else "leader_left", s.names[i], text,
              float(weakened))
    if broken:
        model.log(month, "pathways_broken", s.names[i],
                  f"{broken} referral pathways through {s.names[i]} fell below working trust.",
                  float(broken))


def depart(model: ConsortiumModel, i: int, vacancy: int, month: int, manual: bool = False) -> None:
    """Agency ``i``'s leader leaves now: vacancy, personal trust lost, event logged."""
    s = model.state
    if not s.leader_present[i]:
        return
    weakened, broken = _vacate(i, vacancy, s.personal.raw, s.personal.scale,
                               s.institutional.raw, s.institutional.scale, s.completed_pairs,
                               model.config.turnover.personal_retained, s.leader_present,
                               s.vacancy_left, s.tenure)
    _log_departure(model, i, weakened, broken, month, manual)


def coordinator_departs(model: ConsortiumModel, vacancy: int, month: int,
                        manual: bool = False) -> None:
    """The coordinator leaves now: meetings stop until someone is hired."""
    c, s, p = model.consortium, model.state, model.config.turnover
    if not c.coordinator_present:
        return
    c.coordinator_present = False
    c.coordinator_vacancy_left = max(1, vacancy)
    s.personal.scale_agency(model.lead, 1.0 - p.coordinator_trust_loss)
    who = "In the workshop, the" if manual else "The"
    model.log(month, "manual_departure" if manual else "coordinator_left", s.names[model.lead],
              f"{who} consortium coordinator left; meetings stop until a successor is hired.")


def _coordinator(model: ConsortiumModel, month: int, u: float, u_vacancy: float) -> None:
    c, p = model.consortium, model.config.turnover
    if c.coordinator_present:
        if u < annual_to_monthly(p.coordinator_rate):
            vacancy = 1 + kernels.poisson_quantile(p.coordinator_vacancy_months - 1.0,
                                                   u_vacancy)
            coordinator_departs(model, vacancy, month)
        return
    if c.position_open and c.coordinator_funded:
        c.coordinator_vacancy_left -= 1
        if c.coordinator_vacancy_left <= 0:
            c.coordinator_present = True
            model.log(month, "coordinator_hired", model.state.names[model.lead],
                      "A new consortium coordinator was hired.")


def step(model: ConsortiumModel) -> None:
    """Departures, vacancies and arrivals of agency leaders and the coordinator."""
    s, p = model.state, model.config.turnover
    rng = model.streams["turnover"]
    month = model.month
    u = rng.random(4 * s.n + 2)
    u_leave, u_vacancy, u_commit, u_exp = u[:4 * s.n].reshape(4, s.n)
    for i in _seats(s.status, s.leader_present, s.vacancy_left, s.tenure, s.commitment,
                    s.experience, u_commit, u_exp, p.new_commitment_mean,
                    p.new_commitment_spread, p.new_experience_mean):
        if s.status[i] != LEFT:
            model.log(month, "leader_arrived", s.names[i],
                      f"A new leader started at {s.names[i]}.", s.commitment[i])
    left = _departures(u_leave, monthly_hazard(model), u_vacancy, p.vacancy_months,
                       s.status, s.personal.raw, s.personal.scale, s.institutional.raw,
                       s.institutional.scale, s.completed_pairs, p.personal_retained,
                       s.leader_present, s.vacancy_left, s.tenure)
    for i, weakened, broken in left.tolist():
        _log_departure(model, i, weakened, broken, month, manual=False)
    _coordinator(model, month, u[-2], u[-1])
