"""What is measured: the monthly METRICS table, the recorder, and per-run OUTCOMES.

``measure_into`` (compiled) computes every monthly metric in one pass, in the order of
``METRICS``, straight into the recorder's preallocated row; the compiled month calls it
last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numba import njit

from consortsim import kernels
from consortsim.state import MEMBER, FlagField, FloatField, IntField

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
def measure_into(row: np.ndarray, floats: np.ndarray, ints: np.ndarray, flags: np.ndarray,
                 praw: np.ndarray, iraw: np.ndarray, scales: np.ndarray,
                 consortium: np.ndarray, params: np.ndarray, critical: np.ndarray) -> None:
    """Every monthly metric, in METRICS order, into ``row``."""
    c = consortium[0]
    status, sector = ints[IntField.STATUS], ints[IntField.SECTOR]
    engagement = floats[FloatField.ENGAGEMENT]
    leader_present = flags[FlagField.LEADER_PRESENT]
    members = np.flatnonzero(status == MEMBER)
    covered = np.zeros(critical.size, dtype=np.bool_)
    engaged = vacant = 0
    for i in members:
        if engagement[i] >= params[0].engagement_engaged_threshold:
            engaged += 1
            covered[sector[i]] = True
        if not leader_present[i]:
            vacant += 1
    trust_p, trust_i, density = kernels.pair_stats(praw, scales[0], iraw, scales[1], members)
    capacity = floats[FloatField.CAPACITY]
    grant = c.grant_spend
    billing = floats[FloatField.BILLING_REVENUE].sum()
    other = floats[FloatField.OTHER_REVENUE].sum()
    total = grant + billing + other
    row[0] = members.size
    row[1] = engaged
    row[2] = (critical & covered).sum() / max(critical.sum(), 1)
    row[3], row[4], row[5] = trust_p, trust_i, density
    row[6], row[7] = c.referrals_made, c.referrals_completed
    row[8] = (capacity * floats[FloatField.MAT_RATIO]).sum()
    row[9] = floats[FloatField.ON_MAT].sum()
    row[10], row[11], row[12] = grant, billing, other
    row[13] = grant / total if total > 0 else 0.0
    row[14] = c.grant_sources + (billing > 0) + (c.pooled_fund > 0)
    row[15] = vacant
    row[16] = c.coordinator_present
    row[17] = c.meetings
    row[18] = capacity.sum()
    row[19] = floats[FloatField.RESERVES].sum()
    row[20] = c.pooled_fund
    row[21] = c.people_linked
    row[22] = not c.dissolved
    row[23] = c.agenda


class Recorder:
    """Monthly metrics in a preallocated (months + 1) x metrics array."""

    def __init__(self, months: int) -> None:
        self.data = np.full((months + 1, len(METRICS)), np.nan)

    def record(self, model: ConsortiumModel, month: int) -> None:
        """Write this month's row."""
        s = model.state
        measure_into(self.data[month], s.floats, s.ints, s.flags, s.praw, s.iraw, s.scales,
                     model.consortium.record, model.params, model.critical)

    def column(self, name: str) -> np.ndarray:
        """One metric over months 0..horizon."""
        return self.data[:, _INDEX[name]]

    def frame(self) -> pd.DataFrame:
        """The time series as a table with a ``month`` column."""
        return series_frame(self.data)


def series_frame(data: np.ndarray) -> pd.DataFrame:
    """Recorded months (rows) x metrics as a table with a ``month`` column first."""
    df = pd.DataFrame(data, columns=list(METRIC_NAMES))
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
    departures = model.count_events("leader_left", "coordinator_left", "manual_departure")
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
