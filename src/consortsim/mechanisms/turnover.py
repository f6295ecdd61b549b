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
Draws: every month one uniform and one vacancy length per agency, whatever the state, so
other mechanisms' numbers stay paired across strategies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from consortsim.params import SECTORS, annual_to_monthly
from consortsim.state import LEFT, effective_trust

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel

WEAK_TIE = 0.3  # effective trust below which a referral pathway counts as broken


def monthly_hazard(model: ConsortiumModel) -> np.ndarray:
    """Each agency's chance that its leader leaves this month."""
    s, p = model.state, model.config.turnover
    base = annual_to_monthly(np.minimum(model.sector_turnover[s.sector] * p.hazard_scale, 0.99))
    stretched = np.maximum(0.0, s.utilisation() - 0.9)
    stressed = s.reserves < s.capacity * model.config.funding.slot_cost
    return np.minimum(1.0, base * (1.0 + p.burnout_gain * stretched)
                      * (1.0 + p.funding_stress_gain * stressed))


def depart(model: ConsortiumModel, i: int, vacancy: int, month: int, manual: bool = False) -> None:
    """Agency ``i``'s leader leaves now: vacancy, personal trust lost, event logged."""
    s, p = model.state, model.config.turnover
    if not s.leader_present[i]:
        return
    before = effective_trust(s.personal.row(i), s.institutional.row(i))
    s.personal.scale_agency(i, p.personal_retained)
    after = effective_trust(s.personal.row(i), s.institutional.row(i))
    weakened = int(np.sum((before > 0.2) & (after < 0.8 * before)))
    pathways = s.completed_pairs[i] > 0
    broken = int(np.sum(pathways & (before >= WEAK_TIE) & (after < WEAK_TIE)))
    s.leader_present[i] = False
    s.vacancy_left[i] = max(1, vacancy)
    s.tenure[i] = 0
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


def _arrivals(model: ConsortiumModel, month: int, u_commit: np.ndarray,
              u_exp: np.ndarray) -> None:
    s, p = model.state, model.config.turnover
    waiting = ~s.leader_present
    s.vacancy_left[waiting] -= 1
    arrive = waiting & (s.vacancy_left <= 0)
    for i in np.flatnonzero(arrive):
        s.leader_present[i] = True
        s.commitment[i] = np.clip(p.new_commitment_mean
                                  + p.new_commitment_spread * (2 * u_commit[i] - 1), 0, 1)
        s.experience[i] = np.clip(p.new_experience_mean + 0.2 * (2 * u_exp[i] - 1), 0, 1)
        if s.status[i] != LEFT:
            model.log(month, "leader_arrived", s.names[i],
                      f"A new leader started at {s.names[i]}.", s.commitment[i])


def _coordinator(model: ConsortiumModel, month: int, u: float, vacancy: int) -> None:
    c, p = model.consortium, model.config.turnover
    if c.coordinator_present:
        if u < annual_to_monthly(p.coordinator_rate):
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
    u = rng.random(s.n)
    vacancy = rng.poisson(max(p.vacancy_months - 1.0, 0.0), s.n) + 1
    u_commit, u_exp = rng.random(s.n), rng.random(s.n)
    u_coord = rng.random()
    coord_vacancy = int(rng.poisson(max(p.coordinator_vacancy_months - 1.0, 0.0))) + 1
    s.tenure[s.leader_present] += 1
    _arrivals(model, month, u_commit, u_exp)
    leaving = s.leader_present & (s.status != LEFT) & (u < monthly_hazard(model))
    for i in np.flatnonzero(leaving):
        depart(model, int(i), int(vacancy[i]), month)
    _coordinator(model, month, u_coord, coord_vacancy)
