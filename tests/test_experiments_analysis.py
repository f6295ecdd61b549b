"""Analysis glue checked against known answers: Wilson, t, Kaplan-Meier, paired effects."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from consortsim.experiments import analysis


def test_wilson_matches_published_values() -> None:
    # Newcombe 1998, Table I: 81/263 -> 0.2553-0.3662; Brown, Cai, DasGupta: 8/10
    ci = analysis.wilson(81, 263)
    assert (ci.low, ci.high) == pytest.approx((0.2553, 0.3662), abs=5e-4)
    ci = analysis.wilson(8, 10)
    assert (ci.low, ci.high) == pytest.approx((0.4902, 0.9433), abs=5e-4)
    zero = analysis.wilson(0, 20)
    assert zero.low == 0 and 0 < zero.high < 0.2
    assert math.isnan(analysis.wilson(0, 0).estimate)


def test_t_interval_matches_scipy() -> None:
    x = np.array([3.1, 2.4, 5.0, 4.2, 3.3, np.nan])
    ci = analysis.t_interval(x)
    low, high = stats.t.interval(0.95, 4, loc=x[:5].mean(), scale=stats.sem(x[:5]))
    assert (ci.estimate, ci.low, ci.high, ci.n) == pytest.approx((x[:5].mean(), low, high, 5))
    one = analysis.t_interval([2.0])
    assert one.estimate == 2.0 and math.isnan(one.low)


def test_kaplan_meier_by_hand() -> None:
    # events at 1, 3; censored at 2, 4; tie at 2 (one event, one censored)
    curve = analysis.kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    assert list(curve["time"]) == [0, 1, 2, 3, 4]
    assert list(curve["survival"]) == pytest.approx([1, 0.8, 0.6, 0.3, 0.3])
    assert analysis.km_median(curve) == 3
    never = analysis.kaplan_meier([5, 6], [False, False])
    assert math.isnan(analysis.km_median(never))
    at_zero = analysis.kaplan_meier([0, 0, 4], [True, True, False])
    assert at_zero["survival"].iloc[0] == pytest.approx(1 / 3)


def _runs(rows: list[tuple]) -> pd.DataFrame:
    """(label, point, replicate, sustained, grant_end, months_after, dissolved, linked)."""
    frame = pd.DataFrame(rows, columns=["label", "point", "replicate", "sustained",
                                        "grant_end_month", "months_after_grant", "dissolved",
                                        "people_linked"])
    frame["status"] = "ok"
    frame["mat_capacity_change"] = 0.1
    frame["mat_access_change"] = 0.05
    return frame


def test_survival_sample_handles_no_cliff_and_early_dissolution() -> None:
    frame = _runs([
        ("a", 0, 0, 0, 48, 5, 1, 0),           # dissolved 5 months after the cliff
        ("a", 0, 1, 1, 48, 72, 0, 0),          # censored at the horizon
        ("a", 0, 2, 0, np.nan, np.nan, 1, 0),  # dissolved before any cliff: time 0
        ("a", 0, 3, 1, np.nan, np.nan, 0, 0),  # never lost its grants: not at risk
    ])
    durations, events, no_cliff = analysis.survival_sample(frame)
    assert list(durations) == [5, 72, 0] and list(events) == [True, False, True]
    assert no_cliff == 1


def test_paired_effects_and_order_independence() -> None:
    rows = []
    base = [0, 1, 0, 0, 1, 0, 0, 0, 1, 0]
    better = [1, 1, 1, 0, 1, 1, 0, 1, 1, 1]   # saves 5 futures, loses none
    for r in range(10):
        rows.append(("baseline", 0, r, base[r], 48, 5 + r, 1 - base[r], 100 + r))
        rows.append(("better", 1, r, better[r], 48, 9 + r, 1 - better[r], 103 + r))
    frame = _runs(rows)
    frame.loc[(frame["label"] == "better") & (frame["replicate"] == 3), "status"] = "failed"
    table = analysis.compare_table(frame, ["baseline", "better"], ["Base", "Better"],
                                   "baseline")
    row = table.set_index("strategy").loc["better"]
    assert row["runs"] == 9 and row["failed"] == 1
    assert row["diff_sustained_pairs"] == 9  # the failed replicate drops its pair
    assert row["diff_sustained"] == pytest.approx(5 / 9)
    assert row["diff_people_linked"] == pytest.approx(3.0)
    assert row["diff_people_linked_low"] == pytest.approx(3.0)  # no variance in the pairs
    assert (row["saved"], row["lost"]) == (5, 0)
    assert row["mcnemar_p"] == pytest.approx(2 * 0.5 ** 5)
    assert analysis.significant(row) == 1
    shuffled = frame.sample(frac=1.0, random_state=3)
    again = analysis.compare_table(shuffled, ["baseline", "better"], ["Base", "Better"],
                                   "baseline")
    pd.testing.assert_frame_equal(table, again)
