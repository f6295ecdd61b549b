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

from consortsim.events import NO_AGENCY, Kind, emit
from consortsim.rng import monthly_uniforms
from consortsim.state import MEMBER, FlagField, FloatField, IntField

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel

GRANT_KINDS: tuple[str, ...] = ("grant", "award", "bridge", "stream")
GRANT, AWARD, BRIDGE, STREAM = range(len(GRANT_KINDS))
# One row per grant on the funding plan, in the order grants were added. ``number`` is the
# scenario's grant index for a planned grant, else the award's or stream's number.
GRANT_DTYPE = np.dtype([("start", np.int64), ("end", np.int64),
                        ("amount_per_year", np.float64), ("to_members", np.float64),
                        ("ramp", np.bool_), ("kind", np.int64), ("number", np.int64)])
ROOM_FOR_NEW_GRANTS = 512  # awards and a bridge, at most one per application


@njit(cache=True)
def spend_fraction(start: int, ramp: bool, month: int, ramp_months: int) -> float:
    """Share of the full monthly amount spent in ``month``: a smoothstep ramp."""
    if not ramp:
        return 1.0
    x = min(1.0, (month - start) / ramp_months)
    return x * x * (3.0 - 2.0 * x)


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
        return spend_fraction(self.start, self.ramp, month, ramp_months)


def grant_table(model: ConsortiumModel) -> np.ndarray:
    """The scenario's grants, plus diversified streams when the scenario has them, with
    room for the awards and bridge the run may add."""
    cfg = model.config
    rows = [(g.start, g.start + g.months, g.amount_per_year, g.to_members, g.ramp, GRANT, k)
            for k, g in enumerate(cfg.grants)]
    k = cfg.grant_cycle.diversified_streams
    if k and rows:
        first = cfg.grants[0]
        start = min(first.start + first.months, first.start + 12)
        for j in range(k):
            rows.append((start, start + 12,
                         first.amount_per_year * cfg.grant_cycle.stream_amount_share,
                         first.to_members, False, STREAM, j + 1))
    table = np.zeros(len(rows) + ROOM_FOR_NEW_GRANTS, dtype=GRANT_DTYPE)
    for r, row in enumerate(rows):
        table[r] = row
    model.consortium.grant_count = len(rows)
    return table


def grant_name(model: ConsortiumModel, row: int) -> str:
    """A grant's name for people."""
    g = model.grant_table[row]
    kind, number = int(g["kind"]), int(g["number"])
    if kind == GRANT:
        return model.config.grants[number].name
    if kind == AWARD:
        return f"Successor award {number}"
    if kind == STREAM:
        return f"Local funding stream {number}"
    return "Bridge funding"


def grants_of(model: ConsortiumModel) -> list[Grant]:
    """The funding plan so far, as ``Grant`` records (a snapshot)."""
    table = model.grant_table[:model.consortium.grant_count]
    return [Grant(grant_name(model, r), int(g["start"]), int(g["end"]),
                  float(g["amount_per_year"]), float(g["to_members"]), bool(g["ramp"]),
                  GRANT_KINDS[int(g["kind"])]) for r, g in enumerate(table)]


@njit(cache=True)
def _award_odds(floats: np.ndarray, ints: np.ndarray, flags: np.ndarray,
                consortium: np.ndarray, params: np.ndarray, lead: int) -> float:
    c, p = consortium[0], params[0]
    leadership = np.sqrt(floats[FloatField.EXPERIENCE, lead] * floats[FloatField.COMMITMENT, lead])
    readiness = ((0.4 + 0.6 * floats[FloatField.INFRASTRUCTURE, lead])
                 * (0.5 + 0.5 * c.track_record))
    odds = (p.grant_cycle_success_min
            + (p.grant_cycle_success_max - p.grant_cycle_success_min) * leadership * readiness)
    ramping = ints[IntField.TENURE, lead] < p.turnover_ramp_up_months
    if not flags[FlagField.LEADER_PRESENT, lead] or ramping or not c.coordinator_present:
        odds *= p.grant_cycle_vacancy_penalty
    return odds


def award_odds(model: ConsortiumModel) -> float:
    """Odds that one application succeeds this month.

    Leadership (the geometric mean of the lead leader's experience and commitment) and
    readiness (infrastructure and track record) multiply: a weak leader is not rescued by a
    strong track record, which is what lets leadership move survival (HCAP 48% to 84%,
    domain-evidence P3; seed 001's weakly led site).
    """
    s = model.state
    return float(_award_odds(s.floats, s.ints, s.flags, model.consortium.record, model.params,
                             model.lead))


@njit(cache=True)
def _add(grants: np.ndarray, consortium: np.ndarray, start: int, end: int, amount: float,
         to_members: float, kind: int, number: int) -> None:
    c = consortium[0]
    r = c.grant_count
    if r >= grants.size:
        raise RuntimeError("grant table full")
    g = grants[r]
    g.start, g.end, g.amount_per_year, g.to_members = start, end, amount, to_members
    g.ramp, g.kind, g.number = False, kind, number
    c.grant_count = r + 1


@njit(cache=True)
def _renew_streams(month: int, u: np.ndarray, grants: np.ndarray, consortium: np.ndarray,
                   params: np.ndarray, ev_ints: np.ndarray, ev_numbers: np.ndarray) -> None:
    c, p = consortium[0], params[0]
    j = 0
    for r in range(c.grant_count):
        g = grants[r]
        if g.kind != STREAM:
            continue
        if g.end == month - 1:
            if u[j % u.size] < p.grant_cycle_stream_renewal and not c.dissolved:
                g.end += 12
            else:
                emit(ev_ints, ev_numbers, consortium, month, Kind.STREAM_LOST, NO_AGENCY, 0.0, r)
        j += 1


@njit(cache=True)
def _apply(month: int, u: float, floats: np.ndarray, ints: np.ndarray, flags: np.ndarray,
           grants: np.ndarray, consortium: np.ndarray, params: np.ndarray, lead: int,
           ev_ints: np.ndarray, ev_numbers: np.ndarray) -> None:
    c, p = consortium[0], params[0]
    first = -1
    last_end = -1
    for r in range(c.grant_count):
        if grants[r].kind != STREAM:
            if first < 0:
                first = r
            last_end = max(last_end, grants[r].end)
    if first < 0 or c.dissolved:
        return
    due = month >= last_end - p.grant_cycle_apply_lead_months
    if not due or month - c.last_application < p.grant_cycle_application_interval_months:
        return
    c.last_application = month
    odds = _award_odds(floats, ints, flags, consortium, params, lead)
    if u < odds:
        start = max(month, last_end)
        g = grants[first]
        _add(grants, consortium, start, start + p.grant_cycle_successor_months,
             g.amount_per_year * p.grant_cycle_successor_amount_share, g.to_members, AWARD,
             c.awards + 1)
        c.awards += 1
        emit(ev_ints, ev_numbers, consortium, month, Kind.AWARD, NO_AGENCY, odds, start)
    else:
        emit(ev_ints, ev_numbers, consortium, month, Kind.APPLICATION_FAILED, NO_AGENCY, odds)


@njit(cache=True)
def _cliff(month: int, grants: np.ndarray, consortium: np.ndarray, params: np.ndarray,
           ev_ints: np.ndarray, ev_numbers: np.ndarray) -> None:
    c, p = consortium[0], params[0]
    last_ended = -1
    still_paying = False
    for r in range(c.grant_count):
        g = grants[r]
        if g.kind == STREAM:
            continue
        if g.end == month - 1:
            emit(ev_ints, ev_numbers, consortium, month, Kind.GRANT_ENDED, NO_AGENCY,
                 g.amount_per_year, r)
            last_ended = r
        if g.start < month <= g.end:
            still_paying = True
    if last_ended < 0 or still_paying:
        return
    if p.grant_cycle_bridge_months and not c.bridge_used:
        c.bridge_used = True
        last = grants[last_ended]
        _add(grants, consortium, month - 1, month - 1 + p.grant_cycle_bridge_months,
             last.amount_per_year * p.grant_cycle_bridge_share, last.to_members, BRIDGE, 1)
        emit(ev_ints, ev_numbers, consortium, month, Kind.BRIDGE_FUNDING, NO_AGENCY, 0.0,
             p.grant_cycle_bridge_months)
        return
    if c.grant_end_month < 0:
        c.grant_end_month = month
    emit(ev_ints, ev_numbers, consortium, month, Kind.FUNDING_CLIFF, NO_AGENCY)


@njit(cache=True)
def _pay(month: int, floats: np.ndarray, ints: np.ndarray, grants: np.ndarray,
         consortium: np.ndarray, params: np.ndarray, lead: int, ev_ints: np.ndarray,
         ev_numbers: np.ndarray) -> None:
    c, p = consortium[0], params[0]
    coordinator_line = (0.0 if p.coordination_external_backbone or not c.position_open
                        else p.coordination_coordinator_monthly_cost)
    spend = member_share = coordinator_cost = 0.0
    sources = 0
    for r in range(c.grant_count):
        g = grants[r]
        if not g.start < month <= g.end:
            continue
        sources += 1
        if g.start == month - 1:
            emit(ev_ints, ev_numbers, consortium, month, Kind.GRANT_STARTED, NO_AGENCY,
                 g.amount_per_year, r)
        full = g.amount_per_year / 12.0
        # The coordinator is the first hire: paid in full from the start; the rest ramps.
        coord = min(full, coordinator_line - coordinator_cost)
        programme = (full - coord) * spend_fraction(g.start, g.ramp, month,
                                                    p.grant_cycle_spend_ramp_months)
        coordinator_cost += coord
        spend += coord + programme
        member_share += programme * g.to_members
    c.grant_spend = spend
    c.coordinator_paid_by_grant = coordinator_cost
    c.grant_sources = sources
    grant_revenue = floats[FloatField.GRANT_REVENUE]
    grant_revenue[:] = 0.0
    if spend <= 0:
        return
    weights = np.where(ints[IntField.STATUS] == MEMBER,
                       floats[FloatField.CAPACITY0] * floats[FloatField.ENGAGEMENT], 0.0)
    total = weights.sum()
    if total > 0:
        grant_revenue += member_share * weights / total
    else:
        member_share = 0.0
    grant_revenue[lead] += spend - member_share - coordinator_cost


@njit(cache=True)
def month_step(month: int, u: np.ndarray, floats: np.ndarray, ints: np.ndarray,
               flags: np.ndarray, grants: np.ndarray, consortium: np.ndarray,
               params: np.ndarray, lead: int, ev_ints: np.ndarray,
               ev_numbers: np.ndarray) -> None:
    """Grant schedules, applications, awards, the cliff, and this month's grant money.

    ``u`` holds the month's nine uniforms: the application's, then eight for streams.
    """
    _renew_streams(month, u[1:], grants, consortium, params, ev_ints, ev_numbers)
    _apply(month, u[0], floats, ints, flags, grants, consortium, params, lead, ev_ints,
           ev_numbers)
    _cliff(month, grants, consortium, params, ev_ints, ev_numbers)
    _pay(month, floats, ints, grants, consortium, params, lead, ev_ints, ev_numbers)


DRAWS = 9  # uniforms a month


def draw_year(rng: np.random.Generator, model: ConsortiumModel) -> np.ndarray:
    """A year of this mechanism's uniforms, one row per month."""
    return monthly_uniforms(rng, DRAWS)


def _pct(x: float) -> str:
    return f"{x:.0%}"


EVENT_TEXT = {
    Kind.STREAM_LOST: lambda w, i, v, a, b: f"{w.grant_names[int(a)]} was not renewed.",
    Kind.AWARD: lambda w, i, v, a, b: (f"A successor grant was awarded (odds {_pct(v)}); "
                                       f"it starts in month {int(a) + 1}."),
    Kind.APPLICATION_FAILED: lambda w, i, v, a, b: (f"A grant application failed (odds were "
                                                    f"{_pct(v)})."),
    Kind.GRANT_ENDED: lambda w, i, v, a, b: f"{w.grant_names[int(a)]} ended.",
    Kind.BRIDGE_FUNDING: lambda w, i, v, a, b: (f"Bridge funding for {int(a)} months softens "
                                                "the cliff."),
    Kind.FUNDING_CLIFF: lambda w, i, v, a, b: ("The last grant ended with no successor: the "
                                               "funding cliff."),
    Kind.GRANT_STARTED: lambda w, i, v, a, b: f"{w.grant_names[int(a)]} started.",
}


def step(model: ConsortiumModel) -> None:
    """Grant schedules, applications, awards, the cliff, and this month's grant money."""
    s = model.state
    month_step(model.month, model.draws(draw_year), s.floats, s.ints, s.flags,
               model.grant_table, model.consortium.record, model.params, model.lead,
               model.event_buffer.ints, model.event_buffer.numbers)
    model.flush_events()
