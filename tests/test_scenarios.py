"""Every bundled scenario (scenarios/**/*.yaml) checks and runs through the command line.

A new scenario file is picked up automatically. Runs are short (24 months): this is a
smoke test of the files and of what ``consortsim run`` writes, not of the results.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from consortsim.cli import main
from consortsim.config import load_scenario
from consortsim.events import KINDS
from consortsim.metrics import METRIC_NAMES, OUTCOME_NAMES

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.yaml"))
MONTHS = 24
OUTPUTS = ("timeseries.parquet", "timeseries.csv", "events.csv", "run.json", "dashboard.png")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def scenario_id(path: Path) -> str:
    return str(path.relative_to(ROOT / "scenarios"))


def consortsim_command() -> list[str]:
    script = shutil.which("consortsim", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "consortsim.cli"]


def test_scenarios_are_bundled():
    assert (ROOT / "scenarios" / "rural_rcorp.yaml") in SCENARIOS


def test_every_bundled_scenario_checks():
    result = subprocess.run([*consortsim_command(), "check", *map(str, SCENARIOS)],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(SCENARIOS)
    for path, line in zip(SCENARIOS, lines, strict=True):
        assert line.startswith(f"ok: {path} ("), line


@pytest.mark.parametrize("path", SCENARIOS, ids=scenario_id)
def test_every_bundled_scenario_runs_through_the_cli(path, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(path), "--months", str(MONTHS), "--out", str(out)]) == 0
    summary = capsys.readouterr().out
    assert f"Wrote {out}/" in summary
    for name in OUTPUTS:
        assert (out / name).stat().st_size > 0, name
    check_outputs(out, load_scenario(path))


def check_outputs(out: Path, scenario) -> None:
    """What ``consortsim run`` writes: tables, events, metadata and the dashboard."""
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == ["month", *METRIC_NAMES]
    assert list(ts["month"]) == list(range(MONTHS + 1))
    pd.testing.assert_frame_equal(pd.read_csv(out / "timeseries.csv"), ts, check_dtype=False,
                                  rtol=1e-12)
    events = pd.read_csv(out / "events.csv")
    assert list(events.columns) == ["month", "kind", "agency", "text", "value"]
    assert set(events["kind"]) <= set(KINDS)
    assert events["month"].between(1, MONTHS).all()
    meta = json.loads((out / "run.json").read_text())
    assert meta["config"] == scenario.to_dict()  # the resolved scenario, strategies applied
    assert meta["config_hash"] == scenario.config_hash()
    assert meta["seed"] == {"entropy": str(scenario.seed), "spawn_key": []}
    assert meta["months"] == MONTHS and meta["scenario"] == scenario.name
    assert list(meta["outcomes"]) == list(OUTCOME_NAMES)
    assert {"python", "consortsim", "mesa", "numpy", "pandas"} <= set(meta["versions"])
    assert (out / "dashboard.png").read_bytes()[:8] == PNG_MAGIC


def test_the_installed_command_runs_the_demo_scenario(tmp_path):
    path = ROOT / "scenarios" / "rural_rcorp.yaml"
    result = subprocess.run([*consortsim_command(), "run", str(path), "--months", str(MONTHS),
                             "--out", str(tmp_path / "out")], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    check_outputs(tmp_path / "out", load_scenario(path))


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def test_run_json_is_strict_json(tmp_path):
    out = tmp_path / "out"
    path = ROOT / "scenarios" / "rural_rcorp.yaml"
    assert main(["run", str(path), "--months", str(MONTHS), "--out", str(out)]) == 0
    meta = json.loads((out / "run.json").read_text(), parse_constant=_no_constants)
    assert meta["outcomes"]["grant_end_month"] is None or not math.isnan(
        meta["outcomes"]["grant_end_month"])
