"""Sensitivity analysis of the model: factor checks, design points, engine runs, resume,
given-data PAWN, the CLI and the bundled experiment files."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from consortsim.cli import main
from consortsim.config import ConfigError, Scenario, load_scenario, with_overrides
from consortsim.params import assumption_paths
from consortsim.sensitivity import AnalysisError, load_spec, run_analysis
from consortsim.sensitivity.factors import Factor, design_points, parse_factor
from consortsim.sensitivity.runner import model_evaluator
from consortsim.sensitivity.sampling import make_design
from shared_data import ROOT, SMALL

EXPERIMENTS = ROOT / "experiments"


def small_scenario_file(tmp_path: Path, months: int = 12) -> Path:
    data = copy.deepcopy(SMALL)
    data["months"] = months
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def write_experiment(tmp_path: Path, **fields: Any) -> Path:
    small_scenario_file(tmp_path)
    data = {"name": "Small Sobol", "scenario": "small.yaml", "method": "sobol", "samples": 16,
            "replicates": 2, "seed": 5, "outputs": ["people_linked", "sustained"],
            "bootstrap": 50,
            "factors": {"referrals.trust_gain": [0.01, 0.1],
                        "turnover.ramp_up_months": [3, 12],
                        "strategy:structured_contact": "switch"}}
    data.update(fields)
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def rural() -> Scenario:
    return load_scenario(ROOT / "scenarios" / "rural_rcorp.yaml")


# ---------------------------------------------------------------- factor definitions


@pytest.mark.parametrize(("name", "spec", "expected", "found"), [
    ("turnover.vacancy_monthz", [2, 6], "did you mean 'turnover.vacancy_months'",
     "unknown key path 'turnover.vacancy_monthz'"),
    ("turnover.vacancy_months", [6, 2], "low < high", "(bounds reversed)"),
    ("turnover.vacancy_months", [0.5, 6], "declared range of turnover.vacancy_months, 1 to 18",
     "[0.5, 6]"),
    ("grant_cycle.success_max", {"low": 0.2, "high": 1.2}, "0 to 1 probability", "[0.2, 1.2]"),
    ("turnover.ramp_up_months", [2.5, 9], "whole-number bounds", "[2.5, 9]"),
    ("turnover.vacancy_months", {"low": 2, "high": 6, "dist": "cauchy"}, "unif, triang",
     "'cauchy'"),
    ("turnover.vacancy_months", {"low": 2, "high": 6, "dist": "triang"}, "triang needs peak",
     "nothing"),
    ("turnover.vacancy_months", {"low": 2, "hihg": 6}, "a number (factor bound)", "nothing"),
    ("strategy:succesion_planning", "switch", "did you mean strategy:succession_planning",
     "'succesion_planning'"),
    ("coordination.external_backbone", [0, 1], "switch", "[0, 1]"),
    ("referrals.handoff", [0, 1], "a numeric or on/off parameter", "takes one of"),
    ("agencies.Nowhere Clinic.capacity", [5, 20], "an agency name", "'Nowhere Clinic'"),
    ("consortium.initial_trust", [0.1, 1.5], "less than or equal to 1", "1.5"),
])
def test_bad_factor_gives_clear_error(rural: Scenario, name: str, spec: Any, expected: str,
                                      found: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_factor("exp.yaml", name, spec, rural)
    text = str(err.value)
    assert text.startswith(f"exp.yaml: factors.{name}")
    assert expected in text
    assert found in text


def test_strategy_switch_that_sets_a_varied_factor_is_refused(tmp_path: Path) -> None:
    path = write_experiment(tmp_path, factors={"turnover.vacancy_months": [2, 6],
                                               "strategy:succession_planning": "switch"})
    with pytest.raises(ConfigError, match="also sets turnover.vacancy_months"):
        load_spec(path)


@pytest.mark.parametrize(("fields", "where"), [
    ({"samples": 100}, "samples: expected a power of 2"),
    ({"method": "fast"}, "method: expected one of sobol, morris, pawn"),
    ({"outputs": ["sustainability"]}, "outputs[0]: expected outcome names"),
    ({"statistics": ["q150"]}, "statistics[0]"),
    ({"seed": None}, "seed"),
    ({"scenario": "missing.yaml"}, "scenario: expected an existing scenario file"),
    ({"factorz": {}}, "factorz: expected a known key"),
])
def test_bad_experiment_fields(tmp_path: Path, fields: dict[str, Any], where: str) -> None:
    path = write_experiment(tmp_path, **fields)
    if fields.get("seed", 0) is None:
        data = yaml.safe_load(path.read_text())
        del data["seed"]
        path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as err:
        load_spec(path)
    assert where in str(err.value)


def test_integer_factor_gives_each_whole_value_equal_weight() -> None:
    f = Factor("turnover.ramp_up_months", 3.0, 6.0, kind="int")
    values = [f.value(x) for x in np.linspace(3.0, 6.0, 4001)]
    counts = np.bincount(values)[3:]
    assert list(np.unique(values)) == [3, 4, 5, 6]
    assert counts.min() / counts.max() > 0.99
    assert all(isinstance(v, int) for v in values)


def test_design_points_are_valid_scenarios(rural: Scenario) -> None:
    factors = [parse_factor("e", "turnover.ramp_up_months", [3, 12], rural),
               parse_factor("e", "grant_cycle.success_max", {"low": 0.2, "high": 0.6,
                                                              "dist": "triang", "peak": 0.5},
                            rural),
               parse_factor("e", "strategy:billing_capacity", "switch", rural),
               parse_factor("e", "agencies.Ridgeview MAT Clinic.capacity", [6, 24], rural)]
    design = make_design("sobol", factors, 16, seed=3)
    points = design_points(factors, design.matrix)
    with_strategy = [p for p in points if "strategies" in p]
    assert 0 < len(with_strategy) < len(points)
    for point, row in zip(points, design.matrix, strict=True):
        scenario = with_overrides(rural, point)
        assert scenario.turnover.ramp_up_months == point["turnover.ramp_up_months"]
        assert 0.2 <= scenario.grant_cycle.success_max <= 0.6
        assert ("billing_capacity" in scenario.strategies) == (row[2] >= 0.5)


def test_assumptions_rule_covers_every_assumption_parameter(rural: Scenario) -> None:
    spec = load_spec(EXPERIMENTS / "morris_assumptions.yaml")
    names = {f.name for f in spec.factors}
    assert set(assumption_paths()) <= names
    for f in spec.factors:
        assert f.low < f.high


def test_bundled_sobol_experiment_is_the_benchmark_size() -> None:
    spec = load_spec(EXPERIMENTS / "sobol_rural.yaml")
    assert len(spec.factors) == 12
    assert spec.runs == 1024 * (2 * 12 + 2) * 4 == 106_496
    assert set(spec.outputs) == {"months_after_grant", "people_linked"}


# ---------------------------------------------------------------- runs through the engine


def test_model_analysis_through_the_engine(tmp_path: Path) -> None:
    spec = load_spec(write_experiment(tmp_path))
    outcome = run_analysis(spec, tmp_path / "out", workers=1, progress=False)
    out = tmp_path / "out"
    for name in ("indices.csv", "noise.csv", "convergence.csv", "verdicts.csv",
                 "factors.csv", "design.csv", "report.md", "manifest.json",
                 "indices_people_linked_mean.png", "convergence_people_linked_mean.png"):
        assert (out / name).exists(), name
    idx = pd.read_csv(out / "indices.csv")
    linked = idx[idx["output"] == "people_linked"]
    assert set(linked["factor"]) == {"referrals.trust_gain", "turnover.ramp_up_months",
                                     "strategy:structured_contact"}
    assert np.isfinite(linked["ST"]).all()
    noise = pd.read_csv(out / "noise.csv").set_index("output")
    assert 0 <= noise.loc["people_linked", "noise_share"] <= 1
    assert outcome.runs == 16 * 5 * 2
    assert "Seed noise" in (out / "report.md").read_text()


def test_interrupted_analysis_resumes_to_the_same_result(tmp_path: Path) -> None:
    spec = load_spec(write_experiment(tmp_path, outputs=["people_linked"],
                                      factors={"referrals.trust_gain": [0.01, 0.1],
                                               "turnover.ramp_up_months": [3, 12]}))
    run_analysis(spec, tmp_path / "whole", workers=1, progress=False)

    real = model_evaluator(spec, 1, None, False)

    def interrupted(points, replicates, seed, out, resume):  # noqa: ANN001, ANN202
        real(points, replicates, seed, out, resume)
        for chunk in sorted((out / "runs").glob("part-*.parquet"))[1:]:
            chunk.unlink()  # as if it stopped after its first chunk
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_analysis(spec, tmp_path / "cut", evaluator=interrupted)
    with pytest.raises(AnalysisError, match="--resume"):
        run_analysis(spec, tmp_path / "cut", workers=1, progress=False)
    run_analysis(spec, tmp_path / "cut", workers=2, resume=True, progress=False)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "whole" / "indices.csv"),
                                  pd.read_csv(tmp_path / "cut" / "indices.csv"))


def test_resume_refuses_a_changed_design(tmp_path: Path) -> None:
    spec = load_spec(write_experiment(tmp_path, samples=16, outputs=["people_linked"]))
    (tmp_path / "out").mkdir()
    from consortsim.sensitivity.runner import FINGERPRINT, fingerprint

    (tmp_path / "out" / FINGERPRINT).write_text(json.dumps({**fingerprint(spec), "samples": 32}))
    with pytest.raises(AnalysisError, match="changed: samples"):
        run_analysis(spec, tmp_path / "out", resume=True)


def test_pawn_reuses_a_latin_hypercube_sweep(tmp_path: Path) -> None:
    from consortsim.experiments.designs import Bounds, lhs_design
    from consortsim.experiments.engine import run_points

    base = load_scenario(small_scenario_file(tmp_path))
    design = lhs_design({"referrals.trust_gain": Bounds(0.01, 0.1),
                         "turnover.ramp_up_months": Bounds(3, 12, integer=True)}, 60, seed=2)
    run_points(base, design.points, 2, 9, tmp_path / "sweep", workers=1, progress=False)
    path = write_experiment(tmp_path, method="pawn", samples=60, bootstrap=20,
                            given_data="sweep", outputs=["people_linked"],
                            factors={"referrals.trust_gain": [0.01, 0.1],
                                     "turnover.ramp_up_months": [3, 12]})
    outcome = run_analysis(load_spec(path), tmp_path / "pawn")
    idx = pd.read_csv(tmp_path / "pawn" / "indices.csv")
    assert set(idx["factor"]) == {"referrals.trust_gain", "turnover.ramp_up_months", "(dummy)"}
    assert outcome.runs == 120
    assert (idx["pawn"].between(0, 1)).all()


# ---------------------------------------------------------------- command line


def test_cli_bad_factor_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture
                                              ) -> None:
    path = write_experiment(tmp_path, factors={"turnover.vacancy_months": [12, 2],
                                               "referrals.trust_gain": [0.01, 0.1]})
    assert main(["sensitivity", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "factors.turnover.vacancy_months: expected low < high" in err
    assert "Traceback" not in err


def test_cli_dry_run_and_folder_in_use(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write_experiment(tmp_path)
    assert main(["sensitivity", str(path), "--dry-run"]) == 0
    assert "160 runs" in capsys.readouterr().out
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "analysis.json").write_text("{}")
    assert main(["sensitivity", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["sensitivity", str(path), "--scheduler", "nowhere"]) == 2
    assert "--scheduler: expected" in capsys.readouterr().err


def test_a_synthetic_scenario_warns_that_replicates_are_its_networks(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # each replicate generates its own network, and every design point shares them
    path = write_experiment(tmp_path)
    assert main(["sensitivity", str(path), "--dry-run"]) == 0
    assert "network" not in capsys.readouterr().out  # named agencies: no warning
    for synthetic, warned in (({"agencies": 12}, True),
                              ({"agencies": 12, "network_seed": 3}, False)):
        (tmp_path / "small.yaml").write_text(yaml.safe_dump(
            {"name": "Synthetic", "months": 12, "synthetic": synthetic}))
        assert main(["sensitivity", str(path), "--dry-run"]) == 0
        out = capsys.readouterr().out
        assert ("covers 2 network(s), the same at every design point" in out) is warned


@pytest.mark.slow
def test_cli_interrupt_then_resume_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    path = write_experiment(tmp_path, samples=32, outputs=["people_linked"])
    cmd = [sys.executable, "-m", "consortsim.cli", "sensitivity", str(path), "--workers", "1",
           "--quiet"]
    assert main(["sensitivity", str(path), "--workers", "1", "--quiet", "--out",
                 str(tmp_path / "whole")]) == 0
    proc = subprocess.Popen([*cmd, "--out", str(tmp_path / "cut")], stderr=subprocess.PIPE,
                            text=True)
    runs = tmp_path / "cut" / "runs"
    deadline = time.monotonic() + 120
    while not (runs.is_dir() and any(runs.glob("part-*.parquet"))):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert "interrupted" in proc.stderr.read()
    done = subprocess.run([*cmd, "--out", str(tmp_path / "cut"), "--resume"], check=True)
    assert done.returncode == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "whole" / "indices.csv"),
                                  pd.read_csv(tmp_path / "cut" / "indices.csv"))
