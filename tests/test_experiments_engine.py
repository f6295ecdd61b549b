"""The engine: common random numbers, identical results across executors, failures, resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from consortsim.config import load_scenario, with_overrides
from consortsim.experiments import engine, store
from consortsim.experiments.engine import load_results, plan_runs, run_points
from consortsim.run import simulate

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "rural_rcorp.yaml"
OUTCOMES = ["sustained", "dissolved", "people_linked", "mat_capacity_change", "departures",
            "trust_personal_final"]
RESULT = ["run_id", "point", "label", "replicate", "seed_entropy", "seed_spawn_key",
          "config_hash", "status", "error", *OUTCOMES]
POINTS = [{}, {"strategies": ["succession_planning"]}, {"turnover.vacancy_months": 3.0}]


@pytest.fixture(scope="module")
def base():
    return with_overrides(load_scenario(SCENARIO), {"months": 24})


@pytest.fixture(scope="module")
def serial_folder(base, tmp_path_factory) -> Path:
    """The reference sweep: every run in this process, one chunk at a time."""
    out = tmp_path_factory.mktemp("serial")
    run_points(base, POINTS, 4, 11, out, workers=1, chunk_size=3, outcomes=OUTCOMES,
               keep_series=["functioning", "engaged"], progress=False)
    return out


@pytest.fixture(scope="module")
def serial(serial_folder) -> pd.DataFrame:
    return load_results(serial_folder)


def test_seeds_come_from_the_root_by_spawn_and_are_shared_by_every_point(serial) -> None:
    children = np.random.SeedSequence(11).spawn(4)
    assert (serial["status"] == "ok").all()
    for _, row in serial.iterrows():
        child = children[row["replicate"]]
        assert row["seed_entropy"] == str(child.entropy)
        assert json.loads(row["seed_spawn_key"]) == list(child.spawn_key)
    # common random numbers: each replicate has one seed, whatever the point
    per_replicate = serial.groupby("replicate")["seed_spawn_key"].nunique()
    assert (per_replicate == 1).all()


def test_a_run_equals_a_bare_model_run_on_the_same_seed(serial, base) -> None:
    row = serial[(serial["point"] == 1) & (serial["replicate"] == 2)].iloc[0]
    scenario = with_overrides(base, POINTS[1])
    bare = simulate(scenario, seed=np.random.SeedSequence(11).spawn(4)[2])
    assert row["config_hash"] == scenario.config_hash()
    for name in OUTCOMES:
        assert row[name] == pytest.approx(bare.outcomes[name], nan_ok=True)


def test_pairs_share_their_randomness(base, tmp_path) -> None:
    """A point that restates a default value is the baseline run for run: every paired
    difference is exactly zero, which holds only when replicates share their seeds."""
    same = {"turnover.vacancy_months": base.turnover.vacancy_months}
    frame = run_points(base, [{}, same], 3, 5, tmp_path, workers=1, outcomes=OUTCOMES,
                       progress=False)
    a, b = frame[frame["point"] == 0], frame[frame["point"] == 1]
    assert not set(a["run_id"]) & set(b["run_id"])
    np.testing.assert_array_equal(a[OUTCOMES].to_numpy(), b[OUTCOMES].to_numpy())
    # and different replicates do differ
    assert a["trust_personal_final"].nunique() > 1


def test_run_ids_hash_config_and_seed(base) -> None:
    first = plan_runs(base, POINTS, 3, 11)
    again = plan_runs(base, [dict(p) for p in POINTS], 3, 11)
    assert [t.run_id for t in first] == [t.run_id for t in again]
    assert len({t.run_id for t in first}) == len(first)
    other_seed = plan_runs(base, POINTS, 3, 12)
    other_base = plan_runs(with_overrides(base, {"months": 25}), POINTS, 3, 11)
    assert not {t.run_id for t in first} & {t.run_id for t in other_seed}
    assert not {t.run_id for t in first} & {t.run_id for t in other_base}
    # more replicates keep the first ones: a sweep can be extended with --resume
    assert [t.run_id for t in plan_runs(base, POINTS[:1], 5, 11)][:3] == \
        [t.run_id for t in first[:3]]


def test_two_local_workers_give_identical_results(base, serial, tmp_path) -> None:
    pooled = run_points(base, POINTS, 4, 11, tmp_path, workers=2, chunk_size=2,
                        outcomes=OUTCOMES, progress=False)
    pd.testing.assert_frame_equal(pooled[RESULT], serial[RESULT])


def test_results_stream_to_parquet_chunks_with_series(serial, serial_folder) -> None:
    folder = serial_folder
    chunks = store.chunk_files(folder)
    assert len(chunks) == 4  # 12 runs in chunks of 3
    rows = pd.concat(pd.read_parquet(c) for c in chunks)
    assert len(rows) == 12 and set(rows.columns) >= {"run_id", "status", "point", "seed_entropy"}
    series = store.read_series(folder)
    assert list(series.columns) == ["run_id", "month", "functioning", "engaged"]
    assert len(series) == 12 * 25  # months 0..24 of each run
    assert store.status(folder) == store.Status(12, 12, 0, 0, 4)
    pd.testing.assert_frame_equal(load_results(folder)[RESULT], serial[RESULT])


def test_a_failing_run_is_recorded_and_the_rest_complete(base, tmp_path, monkeypatch) -> None:
    real = engine.simulate

    def flaky(scenario, seed=None, **kw):
        if tuple(seed.spawn_key) == (1,) and scenario.strategies:
            raise RuntimeError("deliberate failure")
        return real(scenario, seed=seed, **kw)

    monkeypatch.setattr(engine, "simulate", flaky)
    points = [*POINTS, {"turnover.vacancy_months": -2.0}]  # a point that cannot validate
    frame = run_points(base, points, 3, 11, tmp_path, workers=1, chunk_size=4,
                       outcomes=OUTCOMES, progress=False)
    failed = frame[frame["status"] == "failed"]
    assert set(zip(failed["point"], failed["replicate"], strict=True)) == {
        (1, 1), (3, 0), (3, 1), (3, 2)}
    assert failed.loc[failed["point"] == 1, "error"].iloc[0].startswith(
        "RuntimeError: deliberate failure (at ")
    assert "turnover.vacancy_months: expected greater than or equal to 1" in \
        failed.loc[failed["point"] == 3, "error"].iloc[0]
    assert failed[OUTCOMES].isna().all().all()
    ok = frame[frame["status"] == "ok"]
    assert len(ok) == 8 and ok[OUTCOMES].notna().all().all()
    assert store.status(tmp_path) == store.Status(12, 8, 4, 0, 3)
    # a resume leaves failures alone; --retry-failed runs them again
    monkeypatch.setattr(engine, "simulate", real)
    again = run_points(base, points, 3, 11, tmp_path, workers=1, resume=True,
                       outcomes=OUTCOMES, progress=False)
    assert (again["status"] == "failed").sum() == 4
    retried = run_points(base, points, 3, 11, tmp_path, workers=1, resume=True,
                         retry_failed=True, outcomes=OUTCOMES, progress=False)
    assert list(retried["status"]).count("failed") == 3  # the invalid point stays failed


def test_resume_runs_only_what_is_missing(base, serial, tmp_path) -> None:
    run_points(base, POINTS, 4, 11, tmp_path, workers=1, chunk_size=3, outcomes=OUTCOMES,
               progress=False)
    chunks = store.chunk_files(tmp_path)
    kept = {c.name: c.stat().st_mtime_ns for c in chunks[:2]}
    for lost in chunks[2:]:
        lost.unlink()
    (tmp_path / "runs" / ".tmp-999-part-half-written.parquet").write_bytes(b"PAR1")
    assert store.status(tmp_path).missing == 6
    with pytest.raises(store.ExperimentError, match="resume them"):
        run_points(base, POINTS, 4, 11, tmp_path, workers=1, outcomes=OUTCOMES,
                   progress=False)
    resumed = run_points(base, POINTS, 4, 11, tmp_path, workers=1, chunk_size=3,
                         outcomes=OUTCOMES, resume=True, progress=False)
    assert {c.name: c.stat().st_mtime_ns for c in store.chunk_files(tmp_path)
            if c.name in kept} == kept
    assert not list((tmp_path / "runs").glob(".tmp-*"))
    pd.testing.assert_frame_equal(resumed[RESULT], serial[RESULT])


def _sweep_file(tmp_path: Path) -> Path:
    exp = {"name": "interrupt me", "scenario": str(SCENARIO), "seed": 99, "replicates": 6,
           "months": 24, "outcomes": OUTCOMES,
           "design": {"strategies": ["baseline", "succession_planning", "billing_capacity",
                                     "funded_backbone"]}}
    path = tmp_path / "interrupt.yaml"
    path.write_text(yaml.safe_dump(exp))
    return path


def test_a_killed_sweep_resumes_to_exactly_the_uninterrupted_result(tmp_path) -> None:
    from consortsim.cli import main

    exp = _sweep_file(tmp_path)
    out = tmp_path / "killed"
    cli = Path(sys.executable).parent / "consortsim"
    proc = subprocess.Popen([str(cli), "sweep", str(exp), "--out", str(out), "--workers", "2",
                             "--chunk-size", "1"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(store.chunk_files(out)) < 3 and time.monotonic() < deadline:
            assert proc.poll() is None, "the sweep finished before it could be killed"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep, its fork server and workers
        proc.wait()
    written = len(store.chunk_files(out))
    assert 3 <= written < 24
    assert store.status(out).missing == 24 - written
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--resume"]) == 0
    whole = tmp_path / "whole"
    assert main(["sweep", str(exp), "--out", str(whole), "--workers", "1"]) == 0
    resumed, reference = load_results(out), load_results(whole)
    pd.testing.assert_frame_equal(resumed[RESULT], reference[RESULT])
    rows = pd.concat(pd.read_parquet(c) for c in store.chunk_files(out))
    assert len(rows) >= 24 and rows["run_id"].nunique() == 24
    shutil.rmtree(whole)


@pytest.mark.slow
def test_a_30000_run_sweep_keeps_memory_bounded(tmp_path) -> None:
    """30,000 runs with every monthly series kept: the driver's memory peak stays far below
    the series it wrote (workers write them chunk by chunk), and every run is on disk."""
    import tracemalloc

    from consortsim.metrics import METRIC_NAMES

    base = with_overrides(load_scenario(SCENARIO), {"months": 24})
    points = [{"turnover.vacancy_months": float(v)} for v in np.linspace(1, 18, 300)]
    tracemalloc.start()
    try:
        frame = run_points(base, points, 100, 3, tmp_path, workers=2, outcomes=OUTCOMES,
                           keep_series=list(METRIC_NAMES), progress=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(frame) == 30_000 and (frame["status"] == "ok").all()
    chunks = len(store.chunk_files(tmp_path))
    assert store.status(tmp_path) == store.Status(30_000, 30_000, 0, 0, chunks)
    assert 25 <= 30_000 / chunks <= 1000
    series_bytes = 30_000 * 25 * len(METRIC_NAMES) * 8
    assert peak < 0.3 * series_bytes
    assert len(store.read_series(tmp_path, run_ids=frame["run_id"][:10])) == 10 * 25
