"""Experiment files and designs: bundled files load, bad files get one clear line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from consortsim.cli import main
from consortsim.config import ConfigError
from consortsim.experiments import designs
from consortsim.experiments.spec import load_experiment
from consortsim.strategies import STRATEGIES

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "rural_rcorp.yaml"


def write(tmp_path: Path, **fields: object) -> Path:
    """An experiment file with sensible defaults, changed by ``fields`` (None removes)."""
    data: dict[str, object] = {"name": "t", "scenario": str(SCENARIO), "seed": 3,
                               "replicates": 2, "design": {"strategies": ["baseline"]}}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_bundled_experiments_load() -> None:
    strategies = load_experiment(ROOT / "experiments" / "rural_strategies.yaml")
    assert strategies.design.kind == "strategies"
    assert strategies.design.labels[strategies.design.baseline] == "baseline"
    assert strategies.base.name == "Rural RCORP consortium"
    lhs = load_experiment(ROOT / "experiments" / "rural_lhs.yaml")
    assert lhs.design.kind == "lhs" and len(lhs.design) >= 100


def test_strategy_comparison_covers_the_whole_library() -> None:
    exp = load_experiment(ROOT / "experiments" / "rural_strategies.yaml")
    single = {p["strategies"][0] for p in exp.design.points
              if len(p.get("strategies", [])) == 1}
    assert single == set(STRATEGIES)


def test_strategies_all_and_custom_arms(tmp_path: Path) -> None:
    exp = load_experiment(write(tmp_path, design={"strategies": "all"}))
    assert exp.design.labels == ["baseline", *STRATEGIES]
    custom = {"strategies": [
        "billing_capacity",
        {"name": "fast_hires", "title": "Fast hiring", "set": {"turnover.vacancy_months": 2}},
        {"name": "both", "strategies": ["billing_capacity", "succession_planning"]}]}
    exp = load_experiment(write(tmp_path, design=custom))
    # the baseline is added first when the list does not name it
    assert exp.design.labels == ["baseline", "billing_capacity", "fast_hires", "both"]
    assert exp.design.points[2] == {"turnover.vacancy_months": 2}
    assert exp.design.titles[2] == "Fast hiring"


def test_months_and_overrides_change_the_base(tmp_path: Path) -> None:
    exp = load_experiment(write(tmp_path, months=30,
                                overrides={"turnover.vacancy_months": 3.0}))
    assert exp.base.months == 30 and exp.base.turnover.vacancy_months == 3.0


def test_grid_is_the_full_factorial(tmp_path: Path) -> None:
    grid = {"grid": {"turnover.vacancy_months": [2.0, 6.0, 10.0],
                     "strategies": [[], ["billing_capacity"]]}}
    exp = load_experiment(write(tmp_path, design=grid))
    assert len(exp.design) == 6
    assert exp.design.points[1] == {"turnover.vacancy_months": 2.0,
                                    "strategies": ["billing_capacity"]}


def test_lhs_is_seeded_stratified_and_respects_integers() -> None:
    bounds = {"turnover.vacancy_months": designs.Bounds(1.0, 11.0),
              "sustain.dissolve_after_months": designs.Bounds(3, 12, integer=True)}
    a = designs.lhs_design(bounds, 40, seed=5)
    assert a.points == designs.lhs_design(bounds, 40, seed=5).points
    assert a.points != designs.lhs_design(bounds, 40, seed=6).points
    values = np.array([p["turnover.vacancy_months"] for p in a.points])
    # one sample in each of the 40 equal strata: the Latin property
    strata = np.floor((values - 1.0) / 10.0 * 40).astype(int)
    assert sorted(strata) == list(range(40))
    ints = [p["sustain.dissolve_after_months"] for p in a.points]
    assert all(isinstance(v, int) and 3 <= v <= 12 for v in ints)
    assert set(ints) == set(range(3, 13))


def test_matrix_points_round_declared_integers() -> None:
    names = ["turnover.vacancy_months", "coordination.meetings_per_year"]
    points = designs.matrix_points(names, np.array([[2.4, 11.6], [7.0, 3.2]]))
    assert points == [{"turnover.vacancy_months": 2.4, "coordination.meetings_per_year": 12},
                      {"turnover.vacancy_months": 7.0, "coordination.meetings_per_year": 3}]
    assert isinstance(points[0]["turnover.vacancy_months"], float)


BAD = [
    ({"replicates": 0}, "replicates: expected greater than or equal to 1, found 0"),
    ({"replicates": None}, "replicates: expected this required key, found nothing"),
    ({"replicats": 3}, "replicats: expected a known key: one of"),
    ({"scenario": "nowhere.yaml"}, "scenario: expected a scenario file"),
    ({"outcomes": ["sustaned"]}, "outcomes[0]: expected one of"),
    ({"series": ["trust"]}, "series[0]: expected one of"),
    ({"overrides": {"turnover.vacancy_months": -1}},
     "overrides.turnover.vacancy_months: expected greater than or equal to 1"),
    ({"design": {}}, "design: expected exactly one of strategies, grid, lhs, found none"),
    ({"design": {"strategies": ["baseline"], "grid": {"a.b": [1]}}},
     "design: expected exactly one of strategies, grid, lhs, found strategies, grid"),
    ({"design": {"strategy": ["baseline"]}}, "design.strategy: expected a known key"),
    ({"design": {"strategies": ["succession_planing"]}},
     "design.strategies[0]: expected baseline or a strategy name"),
    ({"design": {"strategies": [{"name": "x", "strategies": ["nope"]}]}},
     "design.strategies[0].strategies[0]: expected one of"),
    ({"design": {"strategies": [{"name": "x", "set": {"turnover.vacancy_months": 99}}]}},
     "design.strategies[0].set.turnover.vacancy_months: expected less than or equal to 18"),
    ({"design": {"strategies": ["baseline", "baseline"]}},
     "design.strategies[1]: expected a name used once"),
    ({"design": {"strategies": ["billing_capacity"], "baseline": "billing"}},
     "design.baseline: expected the name of an arm"),
    ({"design": {"grid": {"turnover.vacancy_months": []}}},
     "design.grid.turnover.vacancy_months: expected a non-empty list of values"),
    ({"design": {"grid": {"turnover.vacancy_month": [1.0]}}},
     "design.grid.turnover.vacancy_month[0]: expected a known key"),
    ({"design": {"lhs": {"samples": 10, "parameters": {"turnover.vacancy_months": [0, 4]}}}},
     "design.lhs.parameters.turnover.vacancy_months: expected bounds within the declared "
     "range 1-18, found 0-4"),
    ({"design": {"lhs": {"samples": 10, "parameters": {"turnover.vacancy_months": [5, 4]}}}},
     "expected low below high, found low 5, high 4"),
    ({"design": {"lhs": {"samples": 1, "parameters": {"turnover.vacancy_months": [2, 4]}}}},
     "design.lhs.samples: expected a whole number from 2"),
    ({"design": {"lhs": {"samples": 5, "parameters": {
        "sustain.dissolve_after_months": [2.5, 6]}}}}, "expected whole-number bounds"),
    ({"execution": {"scheduler": "localhost:8786"}},
     "execution.scheduler: expected a Dask scheduler address"),
    ({"execution": {"workers": 0}}, "execution.workers: expected greater than or equal to 1"),
]


@pytest.mark.parametrize(("fields", "message"), BAD)
def test_bad_experiment_files_get_clear_errors(tmp_path: Path, fields: dict, message: str,
                                               ) -> None:
    path = write(tmp_path, **fields)
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_cli_reports_a_bad_file_in_one_line_with_status_2(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, design={"grid": {"turnover.vacancy_months": [2.0, 40.0]}})
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert "design.grid.turnover.vacancy_months[1]: expected less than or equal to 18" in err
    assert not (tmp_path / "out").exists()


def test_cli_compare_refuses_a_grid(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, design={"grid": {"turnover.vacancy_months": [2.0]}})
    assert main(["compare", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "expected strategies for compare, found grid" in capsys.readouterr().err


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="valid YAML"):
        load_experiment(broken)
    with pytest.raises(ConfigError, match="no such file"):
        load_experiment(tmp_path / "absent.yaml")


@pytest.mark.parametrize("name", ["rural_strategies.yaml", "rural_lhs.yaml"])
def test_bundled_experiments_smoke_run(name: str, tmp_path: Path) -> None:
    """Every arm of the comparison, and the first LHS points, run on a short horizon."""
    from consortsim.config import with_overrides
    from consortsim.experiments.engine import run_points

    exp = load_experiment(ROOT / "experiments" / name)
    base = with_overrides(exp.base, {"months": 6})
    points = exp.design.points[:20]
    frame = run_points(base, points, 1, exp.root_seed, tmp_path, workers=1,
                       outcomes=exp.outcomes, keep_series=exp.series, progress=False)
    assert (frame["status"] == "ok").all(), frame["error"].unique()
    assert len(frame) == len(points)
