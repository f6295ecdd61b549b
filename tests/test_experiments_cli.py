"""The compare, sweep and status commands end to end, and progress output."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
import yaml

from consortsim.cli import main
from consortsim.experiments import store
from consortsim.experiments.progress import Progress, duration

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "rural_rcorp.yaml"


def experiment(tmp_path: Path, design: dict, name: str = "exp.yaml", **extra: object) -> Path:
    data = {"name": "Small comparison", "scenario": str(SCENARIO), "seed": 17,
            "replicates": 4, "months": 60, "design": design, **extra}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_compare_writes_table_figures_and_report(tmp_path: Path, capsys) -> None:
    exp = experiment(tmp_path, {"strategies": ["succession_planning", "funded_backbone"]})
    out = tmp_path / "cmp"
    assert main(["compare", str(exp), "--out", str(out), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "Succession planning" in printed and "Sustained (95% CI)" in printed
    table = pd.read_csv(out / "strategies.csv")
    assert list(table["strategy"]) == ["baseline", "succession_planning", "funded_backbone"]
    assert (table["runs"] == 4).all()
    assert table.loc[0, ["diff_sustained", "diff_people_linked"]].tolist() == [0.0, 0.0]
    for name in ("effects.png", "survival.png", "distributions.png"):
        assert (out / name).stat().st_size > 10_000
    curves = pd.read_csv(out / "survival.csv")
    assert set(curves["strategy"]) == set(table["strategy"])
    assert curves["survival"].between(0, 1).all()
    report = (out / "report.md").read_text()
    assert "| Funded backbone coordinator |" in report and "![" in report
    assert "Reproduce: consortsim compare" in report
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and "<table>" in html
    # a second run needs --resume, which then runs nothing new
    chunks = store.chunk_files(out)
    assert main(["compare", str(exp), "--out", str(out)]) == 2
    assert "resume them (--resume)" in capsys.readouterr().err
    assert main(["compare", str(exp), "--out", str(out), "--resume"]) == 0
    assert store.chunk_files(out) == chunks


def test_sweep_and_status(tmp_path: Path, capsys) -> None:
    exp = experiment(tmp_path, {"grid": {"turnover.vacancy_months": [2.0, 9.0],
                                         "coordination.meetings_per_year": [6, 18]}},
                     replicates=2, months=24, series=["functioning"])
    out = tmp_path / "sweep"
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1"]) == 0
    assert "8 of 8 runs done" in capsys.readouterr().out
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 4 and (summary["ok"] == 2).all()
    assert {"turnover.vacancy_months", "mean_sustained"} <= set(summary.columns)
    assert len(store.read_series(out)) == 8 * 25
    assert main(["status", str(out)]) == 0
    assert "8 runs planned: 8 done, 0 failed, 0 missing" in capsys.readouterr().out
    next(iter(store.chunk_files(out))).unlink()
    assert main(["status", str(out)]) == 1
    assert "missing" in capsys.readouterr().out
    assert main(["status", str(tmp_path)]) == 2
    assert "expected a results folder" in capsys.readouterr().err


def test_cli_rejects_bad_options(tmp_path: Path, capsys) -> None:
    exp = experiment(tmp_path, {"strategies": ["baseline"]})
    with pytest.raises(SystemExit) as info:
        main(["sweep", str(exp), "--scheduler", "8786"])
    assert info.value.code == 2
    assert "expected a Dask scheduler address" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sweep", str(exp), "--workers", "0"])


def test_progress_prints_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    bar = Progress(100, done=20, stream=stream, interval=0)
    bar.update(30, failed=2)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue()
    assert lines[-1].startswith("consortsim: 50/100 runs (50%)")
    assert "runs/s" in lines[-1] and "ETA" in lines[-1] and "2 failed" in lines[-1]


def test_progress_draws_a_bar_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    bar = Progress(10, stream=stream)
    bar.last -= 1  # as if the last redraw was a second ago
    bar.update(5)
    bar.close()
    text = stream.getvalue()
    assert text.startswith("\rconsortsim [############............] 5/10 runs")
    assert text.endswith("\n") and duration(3725) == "1h02m" and duration(75) == "1m15s"
