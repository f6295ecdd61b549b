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
from consortsim.events import Kind, Wording, emit
from consortsim.params import annual_to_monthly
from consortsim.rng import monthly_uniforms
from consortsim.state import LEFT, FlagField, FloatField, IntField, utilisation

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel

WEAK_TIE = 0.3  # effective trust below which a referral pathway counts as broken
COORDINATOR = -1  # ``depart``'s index for the coordinator


def sector_hazards(model: ConsortiumModel) -> np.ndarray:
    """Each sector's monthly base hazard: its yearly rate x ``hazard_scale``, per month."""
    p = model.config.turnover
    return annual_to_monthly(np.minimum(model.sector_turnover * p.hazard_scale, 0.99))


@njit(cache=True)
def _hazard(floats: np.ndarray, ints: np.ndarray, params: np.ndarray,
            sector_hazard: np.ndarray) -> np.ndarray:
    p = params[0]
    capacity = floats[FloatField.CAPACITY]
    util = utilisation(floats[FloatField.BASE_LOAD], floats[FloatField.COMPLETED_IN], capacity)
    stretched = np.maximum(0.0, util - 0.9)
    stressed = floats[FloatField.RESERVES] < capacity * p.funding_slot_cost
    return np.minimum(1.0, sector_hazard[ints[IntField.SECTOR]]
                      * (1.0 + p.turnover_burnout_gain * stretched)
                      * (1.0 + p.turnover_funding_stress_gain * stressed))


def monthly_hazard(model: ConsortiumModel) -> np.ndarray:
    """Each agency's chance that its leader leaves this month."""
    s = model.state
    return _hazard(s.floats, s.ints, model.params, model.sector_hazard)


@njit(cache=True)
def _seats(month: int, u_commit: np.ndarray, u_exp: np.ndarray, floats: np.ndarray,
           ints: np.ndarray, flags: np.ndarray, consortium: np.ndarray, params: np.ndarray,
           ev_ints: np.ndarray, ev_numbers: np.ndarray) -> None:
    """Tenure grows, vacancies count down, new leaders arrive."""
    p = params[0]
    present = flags[FlagField.LEADER_PRESENT]
    tenure, vacancy_left = ints[IntField.TENURE], ints[IntField.VACANCY_LEFT]
    commitment, experience = floats[FloatField.COMMITMENT], floats[FloatField.EXPERIENCE]
    for i in range(present.size):
        if present[i]:
            tenure[i] += 1
            continue
        vacancy_left[i] -= 1
        if vacancy_left[i] <= 0:
            present[i] = True
            commitment[i] = min(max(p.turnover_new_commitment_mean
                                    + p.turnover_new_commitment_spread * (2 * u_commit[i] - 1),
                                    0.0), 1.0)
            experience[i] = min(max(p.turnover_new_experience_mean + 0.2 * (2 * u_exp[i] - 1),
                                    0.0), 1.0)
            if ints[IntField.STATUS, i] != LEFT:
                emit(ev_ints, ev_numbers, consortium, month, Kind.LEADER_ARRIVED, i,
                     commitment[i])


@njit(cache=True)
def _vacate(i: int, vacancy: int, ints: np.ndarray, flags: np.ndarray, praw: np.ndarray,
            iraw: np.ndarray, scales: np.ndarray, pairs: np.ndarray,
            retained: float) -> tuple[int, int]:
    """Agency ``i``'s seat falls vacant and its ties keep ``retained`` of their personal
    trust. Returns (ties weakened by a fifth or more, working pathways fallen below
    ``WEAK_TIE``)."""
    pscale, iscale = scales[0], scales[1]
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
    flags[FlagField.LEADER_PRESENT, i] = False
    ints[IntField.VACANCY_LEFT, i] = max(1, vacancy)
    ints[IntField.TENURE, i] = 0
    return weakened, broken


@njit(cache=True)
def _leader_departs(month: int, i: int, vacancy: int, manual: bool, ints: np.ndarray,
                    flags: np.ndarray, praw: np.ndarray, iraw: np.ndarray, scales: np.ndarray,
                    pairs: np.ndarray, consortium: np.ndarray, params: np.ndarray,
                    ev_ints: np.ndarray, ev_numbers: np.ndarray) -> None:
    if not flags[FlagField.LEADER_PRESENT, i]:
        return
    weakened, broken = _vacate(i, vacancy, ints, flags, praw, iraw, scales, pairs,
                               params[0].turnover_personal_retained)
    emit(ev_ints, ev_numbers, consortium, month,
         Kind.MANUAL_DEPARTURE if manual else Kind.LEADER_LEFT, i, weakened, broken)
    if broken:
        emit(ev_ints, ev_numbers, consortium, month, Kind.PATHWAYS_BROKEN, i, broken)


@njit(cache=True)
def _coordinator_departs(month: int, vacancy: int, manual: bool, praw: np.ndarray,
                         consortium: np.ndarray, params: np.ndarray, lead: int,
                         ev_ints: np.ndarray, ev_numbers: np.ndarray) -> None:
    c = consortium[0]
    if not c.coordinator_present:
        return
    c.coordinator_present = False
    c.coordinator_vacancy_left = max(1, vacancy)
    keep = 1.0 - params[0].turnover_coordinator_trust_loss
    praw[lead, :] *= keep
    praw[:, lead] *= keep
    praw[lead, lead] = 0.0
    emit(ev_ints, ev_numbers, consortium, month,
         Kind.MANUAL_DEPARTURE if manual else Kind.COORDINATOR_LEFT, lead, 0.0, 0.0, 1.0)


@njit(cache=True)
def _coordinator(month: int, u: float, u_vacancy: float, praw: np.ndarray,
                 consortium: np.ndarray, params: np.ndarray, lead: int, ev_ints: np.ndarray,
                 ev_numbers: np.ndarray) -> None:
    c, p = consortium[0], params[0]
    if c.coordinator_present:
        if u < 1.0 - (1.0 - p.turnover_coordinator_rate) ** (1.0 / 12.0):
            vacancy = 1 + kernels.poisson_quantile(p.turnover_coordinator_vacancy_months - 1.0,
                                                   u_vacancy)
            _coordinator_departs(month, vacancy, False, praw, consortium, params, lead,
                                 ev_ints, ev_numbers)
        return
    if c.position_open and c.coordinator_funded:
        c.coordinator_vacancy_left -= 1
        if c.coordinator_vacancy_left <= 0:
            c.coordinator_present = True
            emit(ev_ints, ev_numbers, consortium, month, Kind.COORDINATOR_HIRED, lead)


DRAWS_PER_AGENCY = 4  # departure, vacancy length, new leader's commitment and experience
DRAWS_COORDINATOR = 2  # departure, vacancy length


def draw_year(rng: np.random.Generator, model: ConsortiumModel) -> np.ndarray:
    """A year of this mechanism's uniforms, one row per month."""
    return monthly_uniforms(rng, DRAWS_PER_AGENCY * model.state.n + DRAWS_COORDINATOR)


@njit(cache=True)
def month_step(month: int, u: np.ndarray, floats: np.ndarray, ints: np.ndarray,
               flags: np.ndarray, praw: np.ndarray, iraw: np.ndarray, scales: np.ndarray,
               pairs: np.ndarray, consortium: np.ndarray, params: np.ndarray,
               sector_hazard: np.ndarray, lead: int, ev_ints: np.ndarray,
               ev_numbers: np.ndarray) -> None:
    """Arrivals, departures in agency order, then the coordinator.

    ``u`` holds the month's uniforms: per agency, departure, vacancy length, commitment
    and experience (4 x n, in that order), then the coordinator's two.
    """
    n = floats.shape[1]
    u_leave, u_vacancy = u[:n], u[n:2 * n]
    _seats(month, u[2 * n:3 * n], u[3 * n:4 * n], floats, ints, flags, consortium, params,
           ev_ints, ev_numbers)
    hazard = _hazard(floats, ints, params, sector_hazard)
    status, present = ints[IntField.STATUS], flags[FlagField.LEADER_PRESENT]
    mean_vacancy = params[0].turnover_vacancy_months - 1.0
    for i in range(n):
        if present[i] and status[i] != LEFT and u_leave[i] < hazard[i]:
            vacancy = 1 + kernels.poisson_quantile(mean_vacancy, u_vacancy[i])
            _leader_departs(month, i, vacancy, False, ints, flags, praw, iraw, scales, pairs,
                            consortium, params, ev_ints, ev_numbers)
    _coordinator(month, u[4 * n], u[4 * n + 1], praw, consortium, params, lead, ev_ints,
                 ev_numbers)


def depart(model: ConsortiumModel, i: int, vacancy: int, month: int,
           manual: bool = False) -> None:
    """Agency ``i``'s leader (or the coordinator, ``COORDINATOR``) leaves now: vacancy,
    personal trust lost, event logged."""
    s, buffer = model.state, model.event_buffer
    if i == COORDINATOR:
        _coordinator_departs(month, vacancy, manual, s.praw, model.consortium.record,
                             model.params, model.lead, buffer.ints, buffer.numbers)
    else:
        _leader_departs(month, i, vacancy, manual, s.ints, s.flags, s.praw, s.iraw, s.scales,
                        s.completed_pairs, model.consortium.record, model.params, buffer.ints,
                        buffer.numbers)
    model.flush_events()


def coordinator_departs(model: ConsortiumModel, vacancy: int, month: int,
                        manual: bool = False) -> None:
    """The coordinator leaves now: meetings stop until someone is hired."""
    depart(model, COORDINATOR, vacancy, month, manual)


def _departure_text(w: Wording, i: int, weakened: float, broken: float, coordinator: float,
                    manual: bool) -> str:
    if coordinator:
        who = "In the workshop, the" if manual else "The"
        return f"{who} consortium coordinator left; meetings stop until a successor is hired."
    who = "In the workshop, the leader" if manual else "The leader"
    return (f"{who} at {w.names[i]} ({w.roles[i]}) left; {int(weakened)} ties weakened"
            + (f", {int(broken)} referral pathways broken." if broken else "."))


EVENT_TEXT = {
    Kind.LEADER_ARRIVED: lambda w, i, v, a, b: f"A new leader started at {w.names[i]}.",
    Kind.LEADER_LEFT: lambda w, i, v, a, b: _departure_text(w, i, v, a, b, manual=False),
    Kind.COORDINATOR_LEFT: lambda w, i, v, a, b: _departure_text(w, i, v, a, b, manual=False),
    Kind.MANUAL_DEPARTURE: lambda w, i, v, a, b: _departure_text(w, i, v, a, b, manual=True),
    Kind.PATHWAYS_BROKEN: lambda w, i, v, a, b: (f"{int(v)} referral pathways through "
                                                 f"{w.names[i]} fell below working "
                                                 "trust."),
    Kind.COORDINATOR_HIRED: lambda w, i, v, a, b: "A new consortium coordinator was hired.",
}


def step(model: ConsortiumModel) -> None:
    """Departures, vacancies and arrivals of agency leaders and the coordinator."""
    s, buffer = model.state, model.event_buffer
    month_step(model.month, model.draws(draw_year), s.floats, s.ints, s.flags, s.praw,
               s.iraw, s.scales,
               s.completed_pairs, model.consortium.record, model.params, model.sector_hazard,
               model.lead, buffer.ints, buffer.numbers)
    model.flush_events()
