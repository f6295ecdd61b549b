"""Grant cycle (MODEL.md process 1).

Rule: grants start and end on schedule. Spending ramps up over ``spend_ramp_months`` along
a smooth S-curve (a new programme spends slowly: a third of a two-year federal grant went
unspent, OIG STR report); unspent money is returned. Of each month's spending the
coordinator is paid first (unless a backbone organisation pays), ``to_members`` goes to
member agencies in proportion to their capacity and engagement, and the rest to the lead.
From ``apply_lead_months`` before the last grant ends the lead applies every
``application_interval_months``; an award is a draw whose odds rise with the lead leader's
experience and commitment (multiplied), the lead's infrastructure and the
consortium's track record (seed 001: "capacity for continued grant-getting"), and fall
while the lead's seat or the coordinator is vacant or the new leader is still ramping up.
When the last grant ends with no successor, the funding cliff hits (a bridge grant softens
it if the scenario has one).
Diversified streams renew yearly on their own draws (seed 002 pillar 7; HCAP 3.9 vs 3.0
funding sources).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from consortsim.state import MEMBER

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel


@dataclass
class Grant:
    """A grant on the funding plan, paying in months ``start`` + 1 to ``end``."""

    name: str
    start: int
    end: int
    amount_per_year: float
    to_members: float
    ramp: bool
    kind: str = "grant"  # grant, award, bridge or stream

    def active(self, month: int) -> bool:
        """Whether the grant pays in this month."""
        return self.start < month <= self.end

    def spend_fraction(self, month: int, ramp_months: int) -> float:
        """Share of the full monthly amount spent in ``month``: a smoothstep ramp."""
        if not self.ramp:
            return 1.0
        x = min(1.0, (month - self.start) / ramp_months)
        return x * x * (3.0 - 2.0 * x)


def grant_plan(model: ConsortiumModel) -> list[Grant]:
    """The scenario's grants, plus diversified streams when the scenario has them."""
    cfg = model.config
    plan = [Grant(g.name, g.start, g.start + g.months, g.amount_per_year, g.to_members, g.ramp)
            for g in cfg.grants]
    k = cfg.grant_cycle.diversified_streams
    if k and plan:
        first = plan[0]
        start = min(first.end, first.start + 12)
        for j in range(k):
            plan.append(Grant(f"Local funding stream {j + 1}", start, start + 12,
                              first.amount_per_year * cfg.grant_cycle.stream_amount_share,
                              first.to_members, False, kind="stream"))
    return plan


def award_odds(model: ConsortiumModel) -> float:
    """Odds that one application succeeds this month.

    Leadership (the geometric mean of the lead leader's experience and commitment) and
    readiness (infrastructure and track record) multiply: a weak leader is not rescued by a
    strong track record, which is what lets leadership move survival (HCAP 48% to 84%,
    domain-evidence P3; seed 001's weakly led site).
    """
    s, c, p = model.state, model.consortium, model.config.grant_cycle
    lead = model.lead
    leadership = float(np.sqrt(s.experience[lead] * s.commitment[lead]))
    readiness = (0.4 + 0.6 * s.infrastructure[lead]) * (0.5 + 0.5 * c.track_record)
    odds = p.success_min + (p.success_max - p.success_min) * leadership * readiness
    ramping = s.tenure[lead] < model.config.turnover.ramp_up_months
    if not s.leader_present[lead] or ramping or not c.coordinator_present:
        odds *= p.vacancy_penalty
    return odds


def _renew_streams(model: ConsortiumModel, month: int, draws: np.ndarray) -> None:
    p = model.config.grant_cycle
    for j, g in enumerate(g for g in model.grants if g.kind == "stream"):
        if g.end != month - 1:
            continue
        if draws[j % len(draws)] < p.stream_renewal and not model.consortium.dissolved:
            g.end += 12
        else:
            model.log(month, "stream_lost", "", f"{g.name} was not renewed.")


def _apply(model: ConsortiumModel, month: int, u: float) -> None:
    c, p = model.consortium, model.config.grant_cycle
    major = [g for g in model.grants if g.kind != "stream"]
    if not major or c.dissolved:
        return
    last_end = max(g.end for g in major)
    due = month >= last_end - p.apply_lead_months
    if not due or month - c.last_application < p.application_interval_months:
        return
    c.last_application = month
    odds = award_odds(model)
    if u < odds:
        start = max(month, last_end)
        first = major[0]
        model.grants.append(Grant(
            f"Successor award {c.awards + 1}", start, start + p.successor_months,
            first.amount_per_year * p.successor_amount_share, first.to_members, False, "award"))
        c.awards += 1
        model.log(month, "award", "", f"A successor grant was awarded (odds {odds:.0%}); "
                  f"it starts in month {start + 1}.", odds)
    else:
        model.log(month, "application_failed", "",
                  f"A grant application failed (odds were {odds:.0%}).", odds)


def _cliff(model: ConsortiumModel, month: int) -> None:
    c, p = model.consortium, model.config.grant_cycle
    major = [g for g in model.grants if g.kind != "stream"]
    ended = [g for g in major if g.end == month - 1]
    for g in ended:
        model.log(month, "grant_ended", "", f"{g.name} ended.", g.amount_per_year)
    if not ended or any(g.active(month) for g in major):
        return
    if p.bridge_months and not c.bridge_used:
        c.bridge_used = True
        last = ended[-1]
        model.grants.append(Grant("Bridge funding", month - 1, month - 1 + p.bridge_months,
                                  last.amount_per_year * p.bridge_share, last.to_members,
                                  False, "bridge"))
        model.log(month, "bridge_funding", "",
                  f"Bridge funding for {p.bridge_months} months softens the cliff.")
        return
    if c.grant_end_month is None:
        c.grant_end_month = month
    model.log(month, "funding_cliff", "", "The last grant ended with no successor: "
              "the funding cliff.")


def _pay(model: ConsortiumModel, month: int) -> None:
    s, c, cfg = model.state, model.consortium, model.config
    ramp = cfg.grant_cycle.spend_ramp_months
    coordinator_line = 0.0 if cfg.coordination.external_backbone or not c.position_open \
        else cfg.coordination.coordinator_monthly_cost
    spend = member_share = coordinator_cost = 0.0
    for g in model.grants:
        if not g.active(month):
            continue
        if g.start == month - 1:
            model.log(month, "grant_started", "", f"{g.name} started.", g.amount_per_year)
        full = g.amount_per_year / 12.0
        # The coordinator is the first hire: paid in full from the start; the rest ramps.
        coord = min(full, coordinator_line - coordinator_cost)
        programme = (full - coord) * g.spend_fraction(month, ramp)
        coordinator_cost += coord
        spend += coord + programme
        member_share += programme * g.to_members
    c.grant_spend = spend
    c.coordinator_paid_by_grant = coordinator_cost
    c.grant_sources = sum(1 for g in model.grants if g.active(month))
    _share(s.status, s.capacity0, s.engagement, s.grant_revenue, spend, member_share,
           coordinator_cost, model.lead)


@njit(cache=True)
def _share(status: np.ndarray, capacity0: np.ndarray, engagement: np.ndarray,
           grant_revenue: np.ndarray, spend: float, member_share: float,
           coordinator_cost: float, lead: int) -> None:
    """Members' share by capacity x engagement; the lead keeps the rest bar the coordinator."""
    grant_revenue[:] = 0.0
    if spend <= 0:
        return
    weights = np.where(status == MEMBER, capacity0 * engagement, 0.0)
    total = weights.sum()
    if total > 0:
        grant_revenue += member_share * weights / total
    else:
        member_share = 0.0
    grant_revenue[lead] += spend - member_share - coordinator_cost


def step(model: ConsortiumModel) -> None:
    """Grant schedules, applications, awards, the cliff, and this month's grant money."""
    month = model.month
    rng = model.streams["grants"]
    draws = rng.random(9)
    _renew_streams(model, month, draws[1:])
    _apply(model, month, draws[0])
    _cliff(model, month)
    _pay(model, month)
