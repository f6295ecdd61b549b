"""Validation: each pattern statistic on data with a known answer, the probes on small
real ensembles, reproducibility across worker counts, and the ``validate`` command's exit
status (0 when the patterns hold, 1 when a deliberately broken parameter breaks one)."""

from __future__ import annotations

import numpy as np
import pytest

from consortsim import validation as v
from consortsim.cli import main
from consortsim.config import load_scenario


def _run_row(functioning: list[int], plan_end: int = 2, **series: list[float]) -> dict:
    months = len(functioning)
    data = {name: np.zeros(months, dtype=np.float32) for name in v.SERIES}
    data["functioning"] = np.array(functioning, dtype=np.float32)
    for name, values in series.items():
        data[name] = np.array(values, dtype=np.float32)
    return {"outcomes": {"funding_sources_plan_end": 0.0}, "plan_end": plan_end,
            "series": data, "fresh_trust": np.zeros(months, dtype=np.float32)}


def _ens(rows: list[dict], arm: str = "a") -> v.Ensembles:
    return v.Ensembles({arm: rows})


def test_survival_and_yearly_loss_on_known_curves() -> None:
    # Funding ends at month 2; four consortiums; one dissolves at 10, one at 40.
    horizon = 80
    alive = [1] * (horizon + 1)
    rows = [_run_row(alive), _run_row(alive),
            _run_row([1] * 10 + [0] * (horizon - 9)), _run_row([1] * 40 + [0] * (horizon - 39))]
    ens = _ens(rows)
    assert v.survival(ens, "a", 12) == pytest.approx(0.75)
    # 3 alive at +12 (month 14), 2 at +60 (month 62): 4 years.
    assert v.yearly_loss(ens, "a") == pytest.approx(1 - (2 / 3) ** (1 / 4))


def test_sources_gap_compares_survivors_with_the_rest() -> None:
    rows = [_run_row([1] * 50), _run_row([1] * 50), _run_row([1] * 5 + [0] * 45)]
    for row, sources in zip(rows, (4.0, 3.0, 2.0), strict=True):
        row["outcomes"]["funding_sources_plan_end"] = sources
    assert v.sources_gap(_ens(rows, "population")) == pytest.approx(1.5)
    all_alive = [_run_row([1] * 50) for _ in range(2)]
    assert np.isnan(v.sources_gap(_ens(all_alive, "population")))


def test_first_crossing_and_milestone() -> None:
    assert v.first_crossing(np.array([0.1, 0.5, 0.69, 0.7, 0.9]), 0.7) == 3
    assert np.isnan(v.first_crossing(np.array([0.1, np.nan, 0.2]), 0.7))
    rows = [_run_row([1] * 6, trusted_density=[0, 0.2, 0.8, 0.9, 0.9, 0.9]),
            _run_row([1] * 6, trusted_density=[0, 0, 0, 0, 0, 0])]
    assert list(v.milestone(_ens(rows), "a", 0.7)) == [2.0, 6.0]  # never: the horizon + 1


def test_drift_among_survivors_only() -> None:
    dead = _run_row([1] * 3 + [0] * 40, engagement=[0.6] * 43)
    alive = _run_row([1] * 43, engagement=[0.6, 0.6, 0.6] + [0.3] * 40)
    assert v.drift(_ens([dead, alive]), "a", after=36) == pytest.approx(-0.5)


def test_linkage_and_trust_drop() -> None:
    ens = v.Ensembles({"l": [{"made": 100, "completed": 40}, {"made": 300, "completed": 110}],
                       "d": [{"before": 0.8, "after": 0.4}, {"before": 0.5, "after": 0.5},
                             {"before": float("nan"), "after": float("nan")}]})
    assert v.linkage(ens, "l") == pytest.approx(150 / 400)
    assert v.trust_drop(ens, "d") == pytest.approx(0.25)


def test_bootstrap_keeps_arms_paired() -> None:
    # Two identical arms: a paired resample draws the same replicates in both, so their
    # difference is exactly 0 in every resample; unpaired resampling would spread it.
    rows = [_run_row([1] * 20) if k % 2 else _run_row([1] * 3 + [0] * 17) for k in range(10)]
    pattern = v.Pattern("T", "test", "", -0.1, 0.1, "points", "", ("x", "y"),
                        lambda e: v.survival(e, "y") - v.survival(e, "x"))
    (result,) = v.evaluate([pattern], v.Ensembles({"x": rows, "y": list(rows)}), boot=50)
    assert result.value == 0.0 and result.low == 0.0 and result.high == 0.0
    assert result.passed and result.verdict() == "pass"
    single = v.Pattern("S", "test", "", 0.0, 1.0, "share", "", ("x",),
                       lambda e: v.survival(e, "x"))
    (spread,) = v.evaluate([single], v.Ensembles({"x": rows}), boot=200)
    assert spread.low < 0.5 < spread.high  # a real interval around the 50% survival


def test_pass_fail_and_known_gaps() -> None:
    def res(value: float, gap: str = "") -> v.PatternResult:
        p = v.Pattern("T", "t", "", 0.2, 0.4, "share", "", (), lambda e: value, gap=gap)
        return v.PatternResult(p, value, value, value, 1)

    assert res(0.2).passed and res(0.4).passed and not res(0.41).passed
    assert not res(float("nan")).passed
    assert res(0.9, gap="why").verdict() == "GAP"
    assert v.all_hold([res(0.3), res(0.9, gap="why")])
    assert not v.all_hold([res(0.3), res(0.9, gap="why")], strict=True)
    assert not v.all_hold([res(0.9)])


def test_population_is_fixed_and_in_range() -> None:
    first = [v.population_member(r) for r in range(20)]
    assert first == [v.population_member(r) for r in range(20)]
    for member in first:
        values = dict(member)
        for key, (lo, hi) in v.POPULATION.items():
            assert lo <= values[key] <= hi
        assert 0 <= values["grant_cycle.diversified_streams"] < v.POPULATION_STREAMS
    assert len({m for m in first}) == 20


def test_resize_keeps_the_lead_and_prospects() -> None:
    base = load_scenario(v.scenarios_dir() / v.RURAL)
    for size in (8, 40):
        resized = v._resize(base, size)
        members = [a for a in resized.agencies if a.member]
        assert len(members) == size
        assert resized.consortium.lead in {a.name for a in members}
        assert sum(not a.member for a in resized.agencies) == \
            sum(not a.member for a in base.agencies)


def test_every_pattern_names_arms_that_exist() -> None:
    names = {a.name for a in v.default_arms()}
    for p in v.PATTERNS:
        assert set(p.arms) <= names, p.id
        assert p.low < p.high, p.id
    assert len({p.id for p in v.PATTERNS}) == len(v.PATTERNS)


@pytest.fixture(scope="module")
def small() -> v.Ensembles:
    """Two replicates of every arm: enough to run every probe and statistic."""
    return v.run_ensembles(v.default_arms(), replicates=2, workers=1)


def test_every_statistic_runs_on_real_ensembles(small: v.Ensembles) -> None:
    results = v.evaluate(v.PATTERNS, small, boot=5)
    assert [r.pattern.id for r in results] == [p.id for p in v.PATTERNS]
    finite = {r.pattern.id for r in results if np.isfinite(r.value)}
    # Statistics over subgroups may be empty with two replicates; the rest must not be.
    assert {"P1a", "P3a", "P3b", "P5b", "P6a", "P6b", "P6c", "P7a", "P8a", "P8b",
            "S1a", "S1b", "S1c", "S1d"} <= finite


def test_probes_measure_what_they_say(small: v.Ensembles) -> None:
    assert v.linkage(small, "link_referral") < v.linkage(small, "link_facilitated") \
        < v.linkage(small, "link_ed_initiated")
    before = small.value("unformalised", "before")
    after = small.value("unformalised", "after")
    assert np.all(after < before)
    fresh = small.series("rural", "fresh_trust")
    assert fresh.shape[1] == small.series("rural", "functioning").shape[1]
    assert np.all(np.isfinite(fresh[:, 0]))


def test_results_do_not_depend_on_worker_count() -> None:
    arms = [a for a in v.default_arms() if a.name in ("site_e", "link_facilitated")]
    one = v.run_ensembles(arms, replicates=3, workers=1)
    two = v.run_ensembles(arms, replicates=3, workers=2)
    assert np.array_equal(one.series("site_e", "trusted_density"),
                          two.series("site_e", "trusted_density"))
    assert np.array_equal(one.value("link_facilitated", "completed"),
                          two.value("link_facilitated", "completed"))


def test_cli_passes_then_fails_with_a_broken_parameter(tmp_path, capsys) -> None:
    out = tmp_path / "v"
    args = ["validate", "--only", "P6a,P6c", "--replicates", "4", "--workers", "1",
            "--out", str(out)]
    assert main(args) == 0
    assert (out / "validation.json").exists() and (out / "validation.md").exists()
    # A referral-only handoff that links 90% of people cannot be the 37% of the trials.
    assert main([*args, "--set", "referrals.linkage_referral=0.9"]) == 1
    text = capsys.readouterr().out
    assert "FAIL" in text and "P6a" in text


def test_cli_bad_input_is_a_one_line_error(capsys) -> None:
    assert main(["validate", "--set", "referrals.no_such=1", "--replicates", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "referrals.no_such" in err[0]
    assert main(["validate", "--only", "P99", "--replicates", "2"]) == 2
