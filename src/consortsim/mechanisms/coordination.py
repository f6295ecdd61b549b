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
from consortsim.events import Kind, emit
from consortsim.rng import monthly_uniforms
from consortsim.state import MEMBER, FlagField, FloatField, IntField, utilisation

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel

MAX_MEETINGS_PER_MONTH = 2
SMALLEST_SCALE = 1e-3  # a trust layer's common factor is folded into its matrix below this


@njit(cache=True)
def meetings_this_month(month: int, per_year: int) -> int:
    """How many meetings fall in ``month`` at ``per_year`` evenly spaced meetings."""
    return min(MAX_MEETINGS_PER_MONTH, (month * per_year) // 12 - ((month - 1) * per_year) // 12)


@njit(cache=True)
def _absorb(month: int, u: float, floats: np.ndarray, consortium: np.ndarray,
            params: np.ndarray, lead: int, initial_grants_end: int, ev_ints: np.ndarray,
            ev_numbers: np.ndarray) -> None:
    """After the initial grants, a committed, well-run lead may take the post on for good."""
    c, p = consortium[0], params[0]
    if (c.lead_absorbed or c.dissolved or not c.position_open or not c.coordinator_funded
            or month <= initial_grants_end):
        return
    odds = (p.coordination_absorb_rate * floats[FloatField.COMMITMENT, lead]
            * floats[FloatField.INFRASTRUCTURE, lead])
    if u < odds:
        c.lead_absorbed = True
        emit(ev_ints, ev_numbers, consortium, month, Kind.COORDINATOR_ABSORBED, lead)


@njit(cache=True)
def _funding(month: int, consortium: np.ndarray, params: np.ndarray, lead: int,
             ev_ints: np.ndarray, ev_numbers: np.ndarray) -> None:
    c, p = consortium[0], params[0]
    cost = p.coordination_coordinator_monthly_cost
    paid = (p.coordination_external_backbone or c.lead_absorbed
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
            c.coordinator_vacancy_left = max(1, round(p.turnover_coordinator_vacancy_months))
        return
    c.unfunded_months += 1
    if c.position_open and c.unfunded_months > p.coordination_unfunded_grace_months:
        c.position_open = False
        c.coordinator_present = False
        emit(ev_ints, ev_numbers, consortium, month, Kind.COORDINATOR_POSITION_ENDED, lead)


@njit(cache=True)
def _decay(raw: np.ndarray, scales: np.ndarray, k: int, rate: float) -> None:
    """Every pair of one trust layer loses ``rate`` of its trust (see ``TrustLayer``)."""
    scales[k] *= 1.0 - rate
    if scales[k] < SMALLEST_SCALE:
        raw *= scales[k]
        scales[k] = 1.0


@njit(cache=True)
def _gather(meetings: int, u: np.ndarray, floats: np.ndarray, ints: np.ndarray,
            flags: np.ndarray, praw: np.ndarray, iraw: np.ndarray, scales: np.ndarray,
            params: np.ndarray, lead: int, agenda: float) -> float:
    """The month's meetings, one-to-one visits and formalisation; returns the agenda.

    Attendance: a member with a leader in post attends with probability engagement x
    stretch, where stretch falls from 1 to 0.2 as utilisation passes
    ``stretched_utilisation``.
    """
    p = params[0]
    pscale, iscale = scales[0], scales[1]
    engagement, attended = floats[FloatField.ENGAGEMENT], floats[FloatField.ATTENDED]
    table, visited = ints[IntField.TABLE], flags[FlagField.VISITED]
    member = ints[IntField.STATUS] == MEMBER
    leader_present = flags[FlagField.LEADER_PRESENT]
    util = utilisation(floats[FloatField.BASE_LOAD], floats[FloatField.COMPLETED_IN],
                       floats[FloatField.CAPACITY])
    stretched = max(p.engagement_stretched_utilisation, 1e-9)
    stretch = np.minimum(np.maximum(2.0 - util / stretched, 0.2), 1.0)
    gain = p.coordination_trust_gain * (0.5 + 0.5 * p.consortium_coordinator_skill)
    n_members = member.sum()
    for k in range(meetings):
        attend = member & leader_present & (u[k] < engagement * stretch)
        present = attend.copy()
        present[lead] = True  # the coordinator sits at every table
        kernels.meet(praw, pscale, present, table, lead, gain)
        attended += attend
        share = (attend & member).sum() / n_members if n_members else 0.0
        agenda += p.coordination_agenda_rate * (share - agenda)
    candidates = np.flatnonzero(member & leader_present)
    candidates = candidates[candidates != lead]
    visits = p.coordination_one_on_one_members
    if visits > 0 and candidates.size:
        gain_1 = p.coordination_one_on_one_gain
        order = np.argsort(engagement[candidates], kind="mergesort")
        for i in candidates[order[:visits]]:
            engagement[i] += gain_1 * (1.0 - engagement[i])
            t = praw[lead, i] * pscale
            t += gain_1 * (1.0 - t)
            praw[lead, i] = t / pscale
            praw[i, lead] = t / pscale
            visited[i] = True
    if p.coordination_formalisation_rate > 0:
        kernels.formalise(praw, pscale, iraw, iscale, np.flatnonzero(member), table, lead,
                          p.coordination_formalisation_rate,
                          p.coordination_formalisation_threshold)
    return agenda


DRAWS_PER_AGENCY = MAX_MEETINGS_PER_MONTH  # attendance at each possible meeting
DRAWS_CONSORTIUM = 1  # the lead absorbing the post


def draw_year(rng: np.random.Generator, model: ConsortiumModel) -> np.ndarray:
    """A year of this mechanism's uniforms, one row per month."""
    return monthly_uniforms(rng, DRAWS_PER_AGENCY * model.state.n + DRAWS_CONSORTIUM)


@njit(cache=True)
def month_step(month: int, u: np.ndarray, floats: np.ndarray, ints: np.ndarray,
               flags: np.ndarray, praw: np.ndarray, iraw: np.ndarray, scales: np.ndarray,
               consortium: np.ndarray, params: np.ndarray, lead: int, initial_grants_end: int,
               ev_ints: np.ndarray, ev_numbers: np.ndarray) -> None:
    """Coordinator funding, meetings, one-to-one time, formalisation and trust decay.

    ``u`` holds the month's uniforms: attendance at each possible meeting (n each), then
    the one for the lead absorbing the post.
    """
    c, p = consortium[0], params[0]
    n = floats.shape[1]
    floats[FloatField.ATTENDED] = 0.0
    flags[FlagField.VISITED] = False
    _funding(month, consortium, params, lead, ev_ints, ev_numbers)
    _absorb(month, u[-1], floats, consortium, params, lead, initial_grants_end, ev_ints,
            ev_numbers)
    _decay(praw, scales, 0, p.coordination_trust_decay)
    _decay(iraw, scales, 1, p.coordination_institutional_decay)
    c.meetings = 0
    if c.dissolved or not (c.coordinator_present and c.coordinator_funded):
        c.agenda *= 1.0 - p.coordination_agenda_rate / 4  # the agenda fades without meetings
        return
    c.meetings = meetings_this_month(month, p.coordination_meetings_per_year)
    c.agenda = _gather(c.meetings, u[:-1].reshape(MAX_MEETINGS_PER_MONTH, n), floats, ints,
                       flags, praw, iraw, scales, params, lead, c.agenda)


EVENT_TEXT = {
    Kind.COORDINATOR_ABSORBED: lambda w, i, v, a, b: (f"{w.names[i]} took the coordinator "
                                                      "post into its own budget."),
    Kind.COORDINATOR_POSITION_ENDED: lambda w, i, v, a, b: ("With no funding left, the "
                                                            "coordinator position ended."),
}


def step(model: ConsortiumModel) -> None:
    """Coordinator funding, meetings, one-to-one time, formalisation and trust decay."""
    s, buffer = model.state, model.event_buffer
    month_step(model.month, model.draws(draw_year), s.floats, s.ints, s.flags, s.praw,
               s.iraw, s.scales,
               model.consortium.record, model.params, model.lead, model.initial_grants_end,
               buffer.ints, buffer.numbers)
    model.flush_events()
