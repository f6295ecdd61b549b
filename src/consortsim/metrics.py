"""What is measured: the monthly METRICS table, the recorder, and per-run OUTCOMES.

``measure`` computes every monthly metric in one pass (shared masks computed once), in
the order of ``METRICS``; the recorder writes them into a preallocated array, so recording
costs no allocation per month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numba import njit

from consortsim import kernels
from consortsim.state import MEMBER

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel


@dataclass(frozen=True)
class Metric:
    """A monthly or per-run measurement."""

    name: str
    unit: str
    description: str


METRICS: tuple[Metric, ...] = (
    Metric("members", "agencies", "member agencies"),
    Metric("engaged", "agencies", "members at or above the engaged threshold"),
    Metric("critical_coverage", "fraction", "critical sectors with an engaged member"),
    Metric("trust_personal", "0-1", "mean personal trust over member pairs"),
    Metric("trust_institutional", "0-1", "mean institutional trust over member pairs"),
    Metric("trusted_density", "fraction", "member pairs whose effective trust is above 0.5"),
    Metric("referrals_made", "people", "referrals made this month"),
    Metric("referrals_completed", "people", "referrals completed (linked within 30 days)"),
    Metric("mat_capacity", "people", "MAT slots across agencies"),
    Metric("on_mat", "people", "people on MAT"),
    Metric("revenue_grant", "USD", "grant money spent this month (incl. coordinator)"),
    Metric("revenue_billing", "USD", "billing revenue this month"),
    Metric("revenue_other", "USD", "core-budget revenue this month"),
    Metric("grant_dependency", "fraction", "grant money over all revenue"),
    Metric("funding_sources", "count", "active grants and streams, plus billing and pool"),
    Metric("vacant_leaders", "agencies", "member agencies whose leader seat is vacant"),
    Metric("coordinator_present", "0/1", "a coordinator is in post"),
    Metric("meetings", "count", "consortium meetings held this month"),
    Metric("capacity", "slots", "service slots across agencies"),
    Metric("reserves", "USD", "reserves across agencies"),
    Metric("pooled_fund", "USD", "money in the members' pooled fund"),
    Metric("people_linked", "people", "people linked to care so far (cumulative)"),
    Metric("functioning", "0/1", "the consortium has not dissolved"),
    Metric("agenda", "0-1", "strength of the common agenda"),
)
METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)
_INDEX = {name: i for i, name in enumerate(METRIC_NAMES)}

OUTCOMES: tuple[Metric, ...] = (
    Metric("sustained", "0/1", "at the horizon: not dissolved, a coordinator in post, the "
           "critical-sector share engaged and a non-negative pooled fund"),
    Metric("functioning_12m_after", "0/1", "still functioning 12 months after the initial "
           "grants ended (P1)"),
    Metric("grant_end_month", "month", "month of the funding cliff (NaN if it never came)"),
    Metric("months_after_grant", "months", "months from the funding cliff to dissolution, "
           "or to the horizon if it never dissolved (see dissolved)"),
    Metric("dissolved", "0/1", "the consortium dissolved before the horizon"),
    Metric("mat_capacity_change", "fraction", "MAT capacity at the horizon over month 0, "
           "minus 1"),
    Metric("mat_access_change", "fraction", "people on MAT at the horizon over month 0, "
           "minus 1"),
    Metric("mat_capacity_change_plan_end", "fraction", "MAT capacity change when the "
           "initial grants end"),
    Metric("mat_access_change_plan_end", "fraction", "people-on-MAT change when the "
           "initial grants end"),
    Metric("people_linked", "people", "people linked to care over the run"),
    Metric("linkage_rate", "fraction", "completed over made referrals over the run"),
    Metric("funding_sources_plan_end", "count", "funding sources when the initial grants end"),
    Metric("departures", "count", "leader and coordinator departures over the run"),
    Metric("trust_personal_final", "0-1", "mean personal trust at the horizon"),
    Metric("engaged_final", "agencies", "engaged members at the horizon"),
)
OUTCOME_NAMES: tuple[str, ...] = tuple(m.name for m in OUTCOMES)


@njit(cache=True)
def _agency_totals(status: np.ndarray, engagement: np.ndarray, sector: np.ndarray,
                   critical: np.ndarray, engaged_threshold: float, praw: np.ndarray,
                   pscale: float, iraw: np.ndarray, iscale: float, capacity: np.ndarray,
                   mat_ratio: np.ndarray, on_mat: np.ndarray, billing_revenue: np.ndarray,
                   other_revenue: np.ndarray, reserves: np.ndarray,
                   leader_present: np.ndarray, out: np.ndarray) -> None:
    """Per-agency sums of a month into ``out``: members, engaged, coverage, trust (3),
    MAT slots, on MAT, billing, other revenue, vacant seats, capacity, reserves."""
    members = np.flatnonzero(status == MEMBER)
    covered = np.zeros(critical.size, dtype=np.bool_)
    engaged = vacant = 0
    for i in members:
        if engagement[i] >= engaged_threshold:
            engaged += 1
            covered[sector[i]] = True
        if not leader_present[i]:
            vacant += 1
    n_critical = critical.sum()
    out[0] = members.size
    out[1] = engaged
    out[2] = (critical & covered).sum() / max(n_critical, 1)
    out[3], out[4], out[5] = kernels.pair_stats(praw, pscale, iraw, iscale, members)
    out[6] = (capacity * mat_ratio).sum()
    out[7] = on_mat.sum()
    out[8] = billing_revenue.sum()
    out[9] = other_revenue.sum()
    out[10] = vacant
    out[11] = capacity.sum()
    out[12] = reserves.sum()


def measure(model: ConsortiumModel) -> tuple[float, ...]:
    """Every monthly metric, in METRICS order."""
    s, c = model.state, model.consortium
    t = model.totals
    _agency_totals(s.status, s.engagement, s.sector, model.critical,
                   model.config.engagement.engaged_threshold, s.personal.raw, s.personal.scale,
                   s.institutional.raw, s.institutional.scale, s.capacity, s.mat_ratio,
                   s.on_mat, s.billing_revenue, s.other_revenue, s.reserves, s.leader_present,
                   t)
    grant = c.grant_spend
    billing, other = float(t[8]), float(t[9])
    total = grant + billing + other
    sources = c.grant_sources + (billing > 0) + (c.pooled_fund > 0)
    return (
        float(t[0]), float(t[1]), float(t[2]), float(t[3]), float(t[4]), float(t[5]),
        float(c.referrals_made), float(c.referrals_completed), float(t[6]), float(t[7]),
        grant, billing, other, grant / total if total > 0 else 0.0, float(sources),
        float(t[10]), float(c.coordinator_present), float(c.meetings), float(t[11]),
        float(t[12]), c.pooled_fund, float(c.people_linked), float(not c.dissolved), c.agenda,
    )


class Recorder:
    """Monthly metrics in a preallocated (months + 1) x metrics array."""

    def __init__(self, months: int) -> None:
        self.data = np.full((months + 1, len(METRICS)), np.nan)

    def record(self, model: ConsortiumModel, month: int) -> None:
        """Write this month's row."""
        self.data[month] = measure(model)

    def column(self, name: str) -> np.ndarray:
        """One metric over months 0..horizon."""
        return self.data[:, _INDEX[name]]

    def frame(self) -> pd.DataFrame:
        """The time series as a table with a ``month`` column."""
        df = pd.DataFrame(self.data, columns=list(METRIC_NAMES))
        df.insert(0, "month", np.arange(len(df)))
        return df


def _change(series: np.ndarray, month: int) -> float:
    base = series[0]
    return float(series[month] / base - 1.0) if base > 0 else float("nan")


def plan_end(model: ConsortiumModel) -> int:
    """The month the scenario's initial grants end (capped at the horizon)."""
    ends = [g.start + g.months for g in model.config.grants]
    return min(max(ends), model.months) if ends else model.months


def outcomes(model: ConsortiumModel) -> dict[str, float]:
    """Per-run outcomes, in OUTCOMES order."""
    rec, c, cfg = model.recorder, model.consortium, model.config
    horizon = model.months
    end = plan_end(model)
    critical_ok = rec.column("critical_coverage")[horizon] >= cfg.sustain.critical_share
    sustained = (not c.dissolved and c.coordinator_present and critical_ok
                 and c.pooled_fund >= 0)
    cliff = c.grant_end_month
    stop = c.dissolved_month if c.dissolved_month is not None else horizon
    after12 = min(end + 12, horizon)
    made = rec.column("referrals_made")[1:].sum()
    departures = sum(1 for e in model.events
                     if e.kind in ("leader_left", "coordinator_left", "manual_departure"))
    return {
        "sustained": float(sustained),
        "functioning_12m_after": float(rec.column("functioning")[after12]),
        "grant_end_month": float(cliff) if cliff is not None else float("nan"),
        "months_after_grant": float(max(0, stop - cliff)) if cliff is not None
        else float("nan"),
        "dissolved": float(c.dissolved),
        "mat_capacity_change": _change(rec.column("mat_capacity"), horizon),
        "mat_access_change": _change(rec.column("on_mat"), horizon),
        "mat_capacity_change_plan_end": _change(rec.column("mat_capacity"), end),
        "mat_access_change_plan_end": _change(rec.column("on_mat"), end),
        "people_linked": float(c.people_linked),
        "linkage_rate": float(rec.column("referrals_completed")[1:].sum() / made)
        if made > 0 else float("nan"),
        "funding_sources_plan_end": float(rec.column("funding_sources")[end]),
        "departures": float(departures),
        "trust_personal_final": float(rec.column("trust_personal")[horizon]),
        "engaged_final": float(rec.column("engaged")[horizon]),
    }
