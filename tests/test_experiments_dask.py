"""Dask distributed gives the same results as the local pool: a LocalCluster, and a
scheduler and worker started as separate processes on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from consortsim.config import load_scenario, with_overrides
from consortsim.experiments.engine import run_points

pytest.importorskip("distributed")
pytestmark = [pytest.mark.dask, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parent.parent
OUTCOMES = ["sustained", "people_linked", "departures", "trust_personal_final"]
RESULT = ["run_id", "point", "replicate", "seed_entropy", "seed_spawn_key", "config_hash",
          "status", *OUTCOMES]
POINTS = [{}, {"strategies": ["workforce_retention"]}, {"coordination.meetings_per_year": 6}]


@pytest.fixture(scope="module")
def base():
    return with_overrides(load_scenario(ROOT / "scenarios" / "rural_rcorp.yaml"),
                          {"months": 18})


@pytest.fixture(scope="module")
def reference(base, tmp_path_factory) -> pd.DataFrame:
    return run_points(base, POINTS, 3, 23, tmp_path_factory.mktemp("ref"), workers=1,
                      outcomes=OUTCOMES, progress=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_scheduler(tmp_path) -> Iterator[str]:
    """``dask scheduler`` and ``dask worker`` as separate processes (own process groups)."""
    port = _free_port()
    dask = str(Path(sys.executable).parent / "dask")
    log = (tmp_path / "dask.log").open("w")
    commands = [
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        [dask, "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1", "--nworkers", "1",
         "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(tmp_path / "w")],
    ]
    procs = [subprocess.Popen(c, stdout=log, stderr=log, start_new_session=True)
             for c in commands]
    try:
        yield f"tcp://127.0.0.1:{port}"
    finally:
        for proc in reversed(procs):  # the worker (and its nanny's child), then the scheduler
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_local_cluster_equals_the_local_pool(base, reference, tmp_path) -> None:
    frame = run_points(base, POINTS, 3, 23, tmp_path, scheduler="local:2", chunk_size=2,
                       outcomes=OUTCOMES, progress=False)
    pd.testing.assert_frame_equal(frame[RESULT], reference[RESULT])


def test_separate_scheduler_and_worker_equal_the_local_pool(base, reference, tmp_path,
                                                            dask_scheduler) -> None:
    started = time.monotonic()
    frame = run_points(base, POINTS, 3, 23, tmp_path / "out", scheduler=dask_scheduler,
                       chunk_size=2, outcomes=OUTCOMES, progress=False)
    assert time.monotonic() - started < 240
    pd.testing.assert_frame_equal(frame[RESULT], reference[RESULT])
    assert frame.attrs["lost_chunks"] == []
