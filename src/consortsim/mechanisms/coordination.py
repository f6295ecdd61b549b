"""Coordination (MODEL.md process 3).

Rule: while a coordinator is present and the position is funded (by a grant, the pooled
fund or a backbone organisation), the consortium meets ``meetings_per_year`` times
(seed 000 and seed 003: monthly meetings). Large consortiums meet in tables of at most
``table_size`` members; the lead sits at every table. A member attends with probability
equal to its engagement, lowered when its staff are stretched (seed 000: "not everyone has
the time to commit"); a vacant leader seat sends nobody. Two members at the same meeting
gain ``trust_gain`` of the distance to full personal trust, scaled by the facilitator's
skill (seed 000: "a skilled facilitator"); calibrated so unacquainted members reach about
0.7 in 10-14 months (seed 000: "a solid year"). The common agenda follows attendance
(seed 003). One-to-one time goes to the least-engaged members (seed 000: "we have had to
spend time individually"). Working ties above ``formalisation_threshold`` are written
down at ``formalisation_rate`` a month, moving personal into institutional trust (seed 002
MOUs). Personal trust decays every month and institutional trust much more slowly (Burt
bridge decay as an upper bound, domain-evidence 2.3). An unfunded coordinator keeps going
for ``unfunded_grace_months``; then the position ends (domain-evidence 2.6: the
coordinator as a single point of failure). After the initial grants, while the post is
funded, the lead takes it into its own core budget with monthly probability
``absorb_rate`` x the lead leader's commitment x the lead's infrastructure, after which it
is paid as by a backbone: sustained coalitions move coordination into member or local
budgets (HCAP "discrete action steps"; CYDS: two-thirds kept a paid staff person).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from consortsim import kernels
from consortsim.state import MEMBER, utilisation

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel

MAX_MEETINGS_PER_MONTH = 2


def meetings_this_month(month: int, per_year: int) -> int:
    """How many meetings fall in ``month`` at ``per_year`` evenly spaced meetings."""
    return min(MAX_MEETINGS_PER_MONTH, (month * per_year) // 12 - ((month - 1) * per_year) // 12)


def _absorb(model: ConsortiumModel, month: int, u: float) -> None:
    """After the initial grants, a committed, well-run lead may take the post on for good."""
    c, s, p = model.consortium, model.state, model.config.coordination
    lead = model.lead
    if (c.lead_absorbed or c.dissolved or not c.position_open or not c.coordinator_funded
            or month <= model.initial_grants_end):
        return
    if u < p.absorb_rate * s.commitment[lead] * s.infrastructure[lead]:
        c.lead_absorbed = True
        model.log(month, "coordinator_absorbed", s.names[lead],
                  f"{s.names[lead]} took the coordinator post into its own budget.")


def _funding(model: ConsortiumModel, month: int) -> None:
    c, cfg = model.consortium, model.config
    cost = cfg.coordination.coordinator_monthly_cost
    paid = (cfg.coordination.external_backbone or c.lead_absorbed
            or c.coordinator_paid_by_grant >= cost - 1e-9)
    if not paid and c.position_open and c.pooled_fund >= cost:
        c.pooled_fund -= cost
        paid = True
    c.coordinator_funded = paid
    if c.dissolved:
        return
    if not paid and not c.position_open and c.grant_spend >= cost:
        paid = True  # a new grant re-opens the position; it pays from next month
    if paid:
        c.unfunded_months = 0
        if not c.position_open:
            c.position_open = True
            c.coordinator_vacancy_left = max(1, round(cfg.turnover.coordinator_vacancy_months))
        return
    c.unfunded_months += 1
    if c.position_open and c.unfunded_months > cfg.coordination.unfunded_grace_months:
        c.position_open = False
        c.coordinator_present = False
        model.log(month, "coordinator_position_ended", model.state.names[model.lead],
                  "With no funding left, the coordinator position ended.")


@njit(cache=True)
def _gather(meetings: int, u: np.ndarray, status: np.ndarray, leader_present: np.ndarray,
            engagement: np.ndarray, base_load: np.ndarray, completed_in: np.ndarray,
            capacity: np.ndarray, stretched: float, praw: np.ndarray, pscale: float,
            iraw: np.ndarray, iscale: float, table: np.ndarray, lead: int, gain: float,
            agenda: float, agenda_rate: float, attended: np.ndarray, visited: np.ndarray,
            one_on_one: int, one_on_one_gain: float, formalisation_rate: float,
            formalisation_threshold: float) -> float:
    """The month's meetings, one-to-one visits and formalisation; returns the agenda.

    Attendance: a member with a leader in post attends with probability engagement x
    stretch, where stretch falls from 1 to 0.2 as utilisation passes ``stretched``.
    """
    member = status == MEMBER
    util = utilisation(base_load, completed_in, capacity)
    stretch = np.minimum(np.maximum(2.0 - util / max(stretched, 1e-9), 0.2), 1.0)
    n_members = member.sum()
    for k in range(meetings):
        attend = member & leader_present & (u[k] < engagement * stretch)
        present = attend.copy()
        present[lead] = True  # the coordinator sits at every table
        kernels.meet(praw, pscale, present, table, lead, gain)
        attended += attend
        share = (attend & member).sum() / n_members if n_members else 0.0
        agenda += agenda_rate * (share - agenda)
    candidates = np.flatnonzero(member & leader_present)
    candidates = candidates[candidates != lead]
    if one_on_one > 0 and candidates.size:
        order = np.argsort(engagement[candidates], kind="mergesort")
        for i in candidates[order[:one_on_one]]:
            engagement[i] += one_on_one_gain * (1.0 - engagement[i])
            t = praw[lead, i] * pscale
            t += one_on_one_gain * (1.0 - t)
            praw[lead, i] = t / pscale
            praw[i, lead] = t / pscale
            visited[i] = True
    if formalisation_rate > 0:
        kernels.formalise(praw, pscale, iraw, iscale, np.flatnonzero(member), table, lead,
                          formalisation_rate, formalisation_threshold)
    return agenda


def step(model: ConsortiumModel) -> None:
    """Coordinator funding, meetings, one-to-one time, formalisation and trust decay."""
    s, c, p = model.state, model.consortium, model.config.coordination
    rng = model.streams["coordination"]
    month = model.month
    draws = rng.random(MAX_MEETINGS_PER_MONTH * s.n + 1)
    u, u_absorb = draws[:-1].reshape(MAX_MEETINGS_PER_MONTH, s.n), draws[-1]
    s.attended[:] = 0.0
    s.visited[:] = False
    _funding(model, month)
    _absorb(model, month, u_absorb)
    s.personal.decay(p.trust_decay)
    s.institutional.decay(p.institutional_decay)
    c.meetings = 0
    if c.dissolved or not (c.coordinator_present and c.coordinator_funded):
        c.agenda *= 1.0 - p.agenda_rate / 4  # the agenda fades without meetings
        return
    c.meetings = meetings_this_month(month, p.meetings_per_year)
    c.agenda = _gather(
        c.meetings, u, s.status, s.leader_present, s.engagement, s.base_load,
        s.completed_in, s.capacity, model.config.engagement.stretched_utilisation,
        s.personal.raw, s.personal.scale, s.institutional.raw, s.institutional.scale, s.table,
        model.lead, p.trust_gain * (0.5 + 0.5 * model.config.consortium.coordinator_skill),
        c.agenda, p.agenda_rate, s.attended, s.visited, p.one_on_one_members,
        p.one_on_one_gain, p.formalisation_rate, p.formalisation_threshold)
