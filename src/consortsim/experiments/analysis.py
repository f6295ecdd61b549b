"""Analysis that respects randomness: intervals, paired differences, survival curves.

- Probabilities (the chance a consortium is sustained) get Wilson score intervals, which
  behave at 0% and 100% where the normal interval does not (Wilson 1927; Brown, Cai and
  DasGupta 2001).
- Means get Student t intervals over replicates.
- A strategy's effect is the paired difference from the baseline: per replicate, strategy
  minus baseline on the same seed (common random numbers), then a t interval over those
  differences (Law, *Simulation Modeling and Analysis*, ch. 10-11). For the binary
  ``sustained`` the discordant pairs are also counted (futures the strategy saved, futures
  it lost) with McNemar's exact p-value.
- Survival after the funding cliff is a Kaplan-Meier curve: time is months from the month
  the last grant ended to dissolution; runs still functioning at the horizon are censored
  there; runs that dissolved before the cliff count as dissolving at month 0; runs that
  never lost their grant funding are not at risk and are counted apart (``reached_cliff``).

Rows are always taken in (point, replicate) order, so results do not depend on how the
runs were executed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

Z95 = 1.959963984540054

# (outcome, column stem, how the level is summarised)
REPORTED: tuple[tuple[str, str], ...] = (
    ("sustained", "probability"),
    ("months_after_grant", "mean"),
    ("mat_capacity_change", "mean"),
    ("mat_access_change", "mean"),
    ("people_linked", "mean"),
)
NEEDED = ("sustained", "grant_end_month", "months_after_grant", "dissolved",
          "mat_capacity_change", "mat_access_change", "people_linked")


@dataclass(frozen=True)
class Interval:
    """An estimate with a 95% interval over ``n`` values."""

    estimate: float
    low: float
    high: float
    n: int


def wilson(successes: int, n: int, z: float = Z95) -> Interval:
    """Proportion with its Wilson score interval."""
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), n)


def t_interval(values: Sequence[float] | np.ndarray, level: float = 0.95) -> Interval:
    """Mean with its Student t interval (NaN values dropped; no interval below 2 values)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, 1)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Interval(mean, mean - half, mean + half, n)


def wide(frame: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """One outcome of successful runs as replicates x labels (labels must be unique per
    replicate, as in a strategies design)."""
    ok = frame[frame["status"] == "ok"]
    return ok.pivot(index="replicate", columns="label", values=outcome)


def paired(frame: pd.DataFrame | None, outcome: str, label: str, baseline: str,
           table: pd.DataFrame | None = None) -> pd.Series:
    """Per-replicate differences ``label`` minus ``baseline`` (successful runs on both).

    Pass ``table`` (from ``wide``) to reuse one pivot for many labels.
    """
    table = wide(frame, outcome) if table is None else table
    if label not in table or baseline not in table:
        return pd.Series(dtype=float)
    return (table[label] - table[baseline]).dropna()


def discordant(diff: pd.Series) -> tuple[int, int, float]:
    """From paired differences of ``sustained``: replicates sustained only with the
    strategy, only without it, and McNemar's exact two-sided p-value."""
    wins, losses = int((diff > 0).sum()), int((diff < 0).sum())
    p = stats.binomtest(wins, wins + losses, 0.5).pvalue if wins + losses else 1.0
    return wins, losses, float(p)


# ---------------------------------------------------------------- survival


def survival_sample(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """Durations after the cliff, dissolution flags, and how many runs reached no cliff."""
    ok = frame[frame["status"] == "ok"]
    cliff = ok["grant_end_month"].notna().to_numpy()
    dissolved = ok["dissolved"].to_numpy() > 0.5
    at_risk = cliff | dissolved
    durations = np.where(cliff, ok["months_after_grant"].to_numpy(), 0.0)
    return durations[at_risk], dissolved[at_risk], int((~at_risk).sum())


def kaplan_meier(durations: Sequence[float] | np.ndarray,
                 events: Sequence[bool] | np.ndarray) -> pd.DataFrame:
    """The Kaplan-Meier survival curve: one row per distinct time (from 0).

    Returns:
        Columns ``time``, ``at_risk``, ``events``, ``censored``, ``survival`` (after the
        events at that time).
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    rows = []
    if not (t == 0).any():  # the curve starts at 1 unless runs end at time 0
        rows.append({"time": 0.0, "at_risk": t.size, "events": 0, "censored": 0,
                     "survival": 1.0})
    surv, at_risk = 1.0, t.size
    for time in np.unique(t):
        here = t == time
        d, c = int((here & e).sum()), int((here & ~e).sum())
        surv *= 1 - d / at_risk
        rows.append({"time": float(time), "at_risk": at_risk, "events": d, "censored": c,
                     "survival": surv})
        at_risk -= d + c
    return pd.DataFrame(rows)


def km_median(curve: pd.DataFrame) -> float:
    """First time survival falls to one half or below (NaN: not reached)."""
    below = curve[curve["survival"] <= 0.5]
    return float(below["time"].iloc[0]) if len(below) else math.nan


def survival_curves(frame: pd.DataFrame, labels: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Kaplan-Meier curve of each label."""
    curves = {}
    for label in labels:
        durations, events, _ = survival_sample(frame[frame["label"] == label])
        curves[label] = kaplan_meier(durations, events)
    return curves


# ---------------------------------------------------------------- the comparison table


def _level(ok: pd.DataFrame, outcome: str, kind: str) -> Interval:
    if kind == "probability":
        values = ok[outcome].dropna()
        return wilson(int((values > 0.5).sum()), int(values.size))
    return t_interval(ok[outcome].to_numpy())


def _row(frame: pd.DataFrame, label: str, title: str, baseline: str,
         wides: dict[str, pd.DataFrame]) -> dict[str, object]:
    runs = frame[frame["label"] == label]
    ok = runs[runs["status"] == "ok"]
    row: dict[str, object] = {"strategy": label, "title": title, "runs": len(ok),
                              "failed": int((runs["status"] == "failed").sum()),
                              "missing": int((runs["status"] == "missing").sum())}
    for outcome, kind in REPORTED:
        level = _level(ok, outcome, kind)
        row.update({outcome: level.estimate, f"{outcome}_low": level.low,
                    f"{outcome}_high": level.high})
    durations, events, _ = survival_sample(runs)
    row["reached_cliff"] = (len(durations) / len(ok)) if len(ok) else math.nan
    row["median_months_after_grant"] = km_median(kaplan_meier(durations, events))
    for outcome, _ in REPORTED:
        diffs = paired(None, outcome, label, baseline, wides[outcome])
        diff = t_interval(diffs.to_numpy())
        row.update({f"diff_{outcome}": diff.estimate, f"diff_{outcome}_low": diff.low,
                    f"diff_{outcome}_high": diff.high, f"diff_{outcome}_pairs": diff.n})
        if outcome == "sustained":
            row["saved"], row["lost"], row["mcnemar_p"] = discordant(diffs)
    return row


def compare_table(frame: pd.DataFrame, labels: Sequence[str], titles: Sequence[str],
                  baseline: str) -> pd.DataFrame:
    """One row per strategy: levels with 95% intervals and paired differences from the
    baseline (the baseline's own differences are zero by construction)."""
    frame = frame.sort_values(["point", "replicate"], kind="stable")
    missing = [c for c in NEEDED if c not in frame]
    if missing:
        raise ValueError(f"the runs lack outcomes needed for a comparison: {missing}")
    wides = {outcome: wide(frame, outcome) for outcome, _ in REPORTED}
    rows = [_row(frame, label, title, baseline, wides)
            for label, title in zip(labels, titles, strict=True)]
    return pd.DataFrame(rows)


def significant(row: pd.Series, outcome: str = "sustained") -> int:
    """+1 / -1 when the paired interval lies above / below zero, else 0."""
    low, high = row[f"diff_{outcome}_low"], row[f"diff_{outcome}_high"]
    if pd.isna(low) or pd.isna(high):
        return 0
    return 1 if low > 0 else (-1 if high < 0 else 0)
