"""The experiment engine: many runs of one base scenario, in parallel, streamed to disk.

A run is a (point, replicate) pair. A *point* is a mapping of dotted-path overrides applied
to the base scenario with ``config.with_overrides`` (``{"strategies": [...]}`` adds named
strategies); a *replicate* is a seed. Replicate ``r`` gets child ``r`` of
``SeedSequence(root_seed).spawn(replicates)`` whatever the point, so every point meets the
same random futures (common random numbers) and differences between points are paired.
Seeds depend only on the root seed and the replicate index, never on the executor, the
number of workers or the order in which chunks finish, so results are identical whatever
runs them.

Runs are grouped into chunks (25-1,000 runs); a chunk is one task for an executor. The
worker rebuilds the base scenario once per chunk and resolves each point once (cached),
runs its runs through ``execute_run`` (the one place a run is executed), and writes one
Parquet file of per-run outcomes (and optional monthly series) to the store. A run that
raises is recorded as ``failed`` with its error; the other runs go on.

Design generation (designs.py: strategies, grids, Latin hypercubes, sample matrices) is
separate from execution, so any list of points can be run, e.g. a SALib sample matrix.

The results folder records its plan (``manifest.json``: base scenario hash, design hash,
root seed, replicates, chunk size) and is locked while a sweep runs (``lock.py``).
``resume`` continues the recorded plan; more replicates extend it (the first replicates'
seeds do not depend on how many there are); a changed scenario, design or seed is refused.
Damaged or foreign chunk files are moved to ``damaged/`` and their runs run again.

Sources: EMA Workbench (a run is a function, replications are seeds); NumPy
``SeedSequence.spawn`` for independent streams; Law, *Simulation Modeling and Analysis*,
ch. 11 (common random numbers); ecosystem-notes.md (chunked tasks, Parquet chunks).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from consortsim.config import Scenario, with_overrides
from consortsim.experiments import store
from consortsim.experiments.executors import cpu_count, make_executor
from consortsim.experiments.lock import locked
from consortsim.experiments.progress import Progress
from consortsim.metrics import METRIC_NAMES, OUTCOME_NAMES
from consortsim.rng import spawn_replicates
from consortsim.run import environment, simulate

MIN_CHUNK, MAX_CHUNK = 25, 1000
CHUNKS_PER_SLOT = 8  # enough chunks per worker that the last ones balance the load
MAX_REPLICATES = 1_000_000  # per point, on the command line and in files alike
MAX_RUNS = 10_000_000  # points x replicates: about 25 hours on two cores at 100 agencies
# One 120-month run of 100 agencies takes about 9 ms on one core, and time grows a little
# faster than the number of agencies (README "Speed": 3.5 ms at 25, 54 ms at 400, 0.8 s at
# 1,600); used only to say roughly how long a refused plan would have taken.
SECONDS_PER_RUN_100 = 0.009


class Interrupted(KeyboardInterrupt):
    """A sweep stopped by Ctrl-C (or SIGTERM): the runs on disk are kept.

    Attributes:
        out: the results folder; done, planned: runs on disk and runs planned.
    """

    def __init__(self, out: Path, done: int, planned: int) -> None:
        super().__init__(f"{out}: {done:,} of {planned:,} runs are kept")
        self.out, self.done, self.planned = out, done, planned


class WriteFailed(store.ExperimentError):
    """The results folder cannot be written (a full disk, no permission): the runs
    already on disk are kept. Attributes as ``Interrupted``, and ``reason``."""

    def __init__(self, out: Path, reason: str, done: int, planned: int) -> None:
        super().__init__(f"{out}: cannot write results ({reason}); {done:,} of "
                         f"{planned:,} runs are kept")
        self.out, self.reason, self.done, self.planned = out, reason, done, planned


def estimate_seconds(base: Scenario, runs: int, workers: int | None = None) -> float:
    """Rough wall time of ``runs`` runs of ``base`` on ``workers`` cores (all when None)."""
    agencies = len(base.agencies) or (base.synthetic.agencies if base.synthetic else 100)
    per_run = SECONDS_PER_RUN_100 * (base.months / 120) * (agencies / 100) ** 1.3
    return runs * per_run / max(1, workers or cpu_count())


def check_size(base: Scenario, points: int, replicates: int, workers: int | None = None,
               ) -> None:
    """Refuse a plan above the caps before anything is allocated.

    Raises:
        ValueError: naming the run count and a rough time.
    """
    from consortsim.experiments.progress import duration

    runs = points * replicates
    if replicates <= MAX_REPLICATES and runs <= MAX_RUNS:
        return
    what = (f"at most {MAX_REPLICATES:,} replicates" if replicates > MAX_REPLICATES
            else f"at most {MAX_RUNS:,} runs")
    raise ValueError(f"expected {what}, found {points:,} points x {replicates:,} replicates "
                     f"= {runs:,} runs (about "
                     f"{duration(estimate_seconds(base, runs, workers))} on "
                     f"{workers or cpu_count()} cores)")


@dataclass(frozen=True)
class RunTask:
    """One planned run: its id, design point, replicate and seed."""

    run_id: str
    point: int
    replicate: int
    entropy: int
    spawn_key: tuple[int, ...]


@dataclass(frozen=True)
class Chunk:
    """A batch of runs for one worker, with what it needs to run and store them."""

    name: str
    base: dict[str, Any]
    base_hash: str
    points: dict[int, dict[str, Any]]
    labels: dict[int, str]
    tasks: tuple[RunTask, ...]
    outcomes: tuple[str, ...]
    series: tuple[str, ...]
    out_dir: str


@dataclass(frozen=True)
class ChunkReport:
    """What a worker sends back: where the chunk went, how many runs, how many failed."""

    name: str
    runs: int
    failed: int
    seconds: float
    path: str


# ---------------------------------------------------------------- points, seeds, run ids


def plain(value: Any) -> Any:
    """A value as plain Python (NumPy scalars unwrapped, tuples as lists), for validation
    (strict integers reject ``numpy.int64``) and for stable hashing."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    return value


def point_key(point: Mapping[str, Any]) -> str:
    """Canonical JSON of a point's overrides: equal points, equal keys."""
    return json.dumps(plain(point), sort_keys=True, separators=(",", ":"))


def make_run_id(base_hash: str, key: str, seed: np.random.SeedSequence) -> str:
    """Hash of the resolved configuration (base scenario hash + the point's overrides) and
    the seed (entropy and spawn key): the same run has the same id in every sweep."""
    text = f"{base_hash}|{key}|{seed.entropy}|{list(seed.spawn_key)}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def plan_runs(base: Scenario, points: Sequence[Mapping[str, Any]], replicates: int,
              root_seed: int) -> list[RunTask]:
    """Every run of a design, ordered by (point, replicate), each point on the same seeds."""
    seeds = spawn_replicates(root_seed, replicates)
    base_hash = base.config_hash()
    tasks = []
    for i, point in enumerate(points):
        key = point_key(point)
        tasks.extend(RunTask(make_run_id(base_hash, key, s), i, r, int(s.entropy),
                             tuple(int(k) for k in s.spawn_key))
                     for r, s in enumerate(seeds))
    return tasks


def default_label(point: Mapping[str, Any], index: int) -> str:
    """A short label for a point: ``baseline``, its strategies, or ``key=value`` pairs."""
    if not point:
        return "baseline"
    parts = []
    for key, value in point.items():
        if key == "strategies":
            parts.append("+".join(value) if isinstance(value, list | tuple) else str(value))
        else:
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            parts.append(f"{key}={shown}")
    text = ", ".join(parts)
    return text if len(text) <= 80 else f"point {index}"


# ---------------------------------------------------------------- the worker side

_BASES: dict[str, Scenario] = {}
_RESOLVED: dict[tuple[str, str], tuple[Scenario, str] | Exception] = {}
_CACHE_LIMIT = 2048


def resolve_point(base: Scenario, base_hash: str, point: Mapping[str, Any],
                  ) -> tuple[Scenario, str]:
    """The scenario of a point and its config hash, once per process per point.

    Raises:
        ConfigError: the overrides do not make a valid scenario (cached and re-raised).
    """
    key = (base_hash, point_key(point))
    if key not in _RESOLVED:
        if len(_RESOLVED) >= _CACHE_LIMIT:
            _RESOLVED.clear()  # bounded memory over a long sweep of distinct points
        try:
            scenario = with_overrides(base, dict(point), source="design point") if point \
                else base
            _RESOLVED[key] = (scenario, scenario.config_hash())
        except Exception as exc:
            _RESOLVED[key] = exc
    found = _RESOLVED[key]
    if isinstance(found, Exception):
        raise found
    return found


def execute_run(scenario: Scenario, seed: np.random.SeedSequence,
                series: Sequence[str] = ()) -> tuple[dict[str, float], pd.DataFrame | None]:
    """Run one scenario on one seed: THE place where the engine executes a run.

    Returns:
        The run's outcomes, and its monthly series of ``series`` metrics (``month`` first)
        when any were asked for.
    """
    result = simulate(scenario, seed=seed)
    frame = result.timeseries[["month", *series]] if series else None
    return result.outcomes, frame


def describe_error(exc: BaseException) -> str:
    """``ValueError: message (at mechanisms/turnover.py:88)`` on one line."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" (at {'/'.join(Path(last.filename).parts[-2:])}:{last.lineno})"
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}"[:500] + where


def _run_task(chunk: Chunk, base: Scenario, task: RunTask,
              ) -> tuple[dict[str, Any], pd.DataFrame | None]:
    row: dict[str, Any] = {
        "run_id": task.run_id, "point": task.point, "label": chunk.labels[task.point],
        "replicate": task.replicate, "seed_entropy": str(task.entropy),
        "seed_spawn_key": json.dumps(list(task.spawn_key)), "config_hash": "",
        "status": "ok", "error": "", "seconds": math.nan}
    outcomes: dict[str, float] = {}
    frame = None
    started = time.perf_counter()
    try:
        scenario, row["config_hash"] = resolve_point(base, chunk.base_hash,
                                                     chunk.points[task.point])
        seed = np.random.SeedSequence(task.entropy, spawn_key=task.spawn_key)
        outcomes, frame = execute_run(scenario, seed, chunk.series)
    except Exception as exc:  # recorded; the sweep goes on
        row["status"], row["error"] = "failed", describe_error(exc)
    row["seconds"] = time.perf_counter() - started
    row.update({name: float(outcomes.get(name, math.nan)) for name in chunk.outcomes})
    if frame is not None:
        frame = frame.assign(run_id=task.run_id)
    return row, frame


def run_chunk(chunk: Chunk) -> ChunkReport:
    """Run a chunk and write it to the store; runs on a worker (any executor)."""
    started = time.perf_counter()
    if chunk.base_hash not in _BASES:
        _BASES.clear()
        _BASES[chunk.base_hash] = Scenario.from_dict(chunk.base, "base scenario")
    base = _BASES[chunk.base_hash]
    rows, frames = [], []
    for task in chunk.tasks:
        row, frame = _run_task(chunk, base, task)
        rows.append(row)
        if frame is not None:
            frames.append(frame)
    table = pd.DataFrame(rows, columns=[*store.ID_COLUMNS, *chunk.outcomes])
    series = pd.concat(frames, ignore_index=True) if frames else None
    if series is not None:
        series = series[["run_id", "month", *chunk.series]]
    path = store.write_chunk(chunk.out_dir, chunk.name, table, series)
    return ChunkReport(chunk.name, len(rows), int((table["status"] != "ok").sum()),
                       time.perf_counter() - started, str(path))


# ---------------------------------------------------------------- the driver side


def auto_chunk_size(runs: int, slots: int) -> int:
    """About eight chunks per worker, within 25-1,000 runs (fewer for tiny sweeps, so
    that every worker still gets some)."""
    if runs <= 0:
        return MIN_CHUNK
    size = math.ceil(runs / (CHUNKS_PER_SLOT * max(slots, 1)))
    floor = min(MIN_CHUNK, math.ceil(runs / max(slots, 1)))
    return max(floor, min(size, MAX_CHUNK))


def make_chunks(tasks: Sequence[RunTask], size: int, base: Scenario,
                points: Sequence[Mapping[str, Any]], labels: Sequence[str],
                outcomes: Sequence[str], series: Sequence[str], out_dir: Path) -> list[Chunk]:
    """Cut tasks (in point, replicate order) into chunks named by the runs they hold."""
    base_dict, base_hash = base.to_dict(), base.config_hash()
    chunks = []
    for start in range(0, len(tasks), size):
        part = tuple(tasks[start:start + size])
        digest = hashlib.sha256("\n".join(t.run_id for t in part).encode()).hexdigest()
        used = sorted({t.point for t in part})
        chunks.append(Chunk(
            name=f"part-{digest[:16]}", base=base_dict, base_hash=base_hash,
            points={i: dict(points[i]) for i in used}, labels={i: labels[i] for i in used},
            tasks=part, outcomes=tuple(outcomes), series=tuple(series), out_dir=str(out_dir)))
    return chunks


def _checked_names(names: Iterable[str] | None, known: Sequence[str], what: str,
                   ) -> tuple[str, ...]:
    names = tuple(known) if names is None else tuple(names)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r}; expected one of {', '.join(known)}")
    return names


def _plan_frame(tasks: Sequence[RunTask], labels: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "run_id": [t.run_id for t in tasks],
        "point": np.array([t.point for t in tasks], dtype=np.int64),
        "label": [labels[t.point] for t in tasks],
        "replicate": np.array([t.replicate for t in tasks], dtype=np.int64),
        "seed_entropy": [str(t.entropy) for t in tasks],
        "seed_spawn_key": [json.dumps(list(t.spawn_key)) for t in tasks],
    })


def design_hash(points: Sequence[Mapping[str, Any]]) -> str:
    """Hash of a design's points (their overrides, in order): equal designs, equal hash."""
    text = "\n".join(point_key(p) for p in points)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _changed_plan(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What a resume would change in a recorded plan, in words (empty: the same plan)."""
    names = {"base_config_hash": "the base scenario", "design_hash": "the design",
             "root_seed": "the root seed", "keep_series": "the series kept"}
    changed = [f"{label} ({old.get(key)} -> {new.get(key)})" for key, label in names.items()
               if key in old and old.get(key) != new.get(key)]
    if old.get("replicates", 0) > new["replicates"]:
        changed.append(f"fewer replicates ({old['replicates']} -> {new['replicates']})")
    lacking = [name for name in new["outcomes"] if name not in old.get("outcomes", [])]
    if lacking:
        changed.append(f"outcomes not kept before ({', '.join(lacking)})")
    return changed


def _open_store(out: Path, resume: bool, manifest: dict[str, Any],
                points: list[dict[str, Any]], plan: pd.DataFrame) -> None:
    """Check the folder against the plan, repair it, and record the plan (under the lock)."""
    if store.has_results(out) and not resume:
        raise store.ExperimentError(
            f"{out}: expected an empty or new results folder, found earlier results; "
            "resume them (--resume) or choose another folder (--out)")
    if resume and (out / store.MANIFEST).exists():
        old = store.read_manifest(out)
        changed = _changed_plan(old, manifest)
        if changed:
            raise store.ExperimentError(
                f"{out}: expected the plan recorded there, found a different one "
                f"(changed: {'; '.join(changed)}); resume with the same experiment, or "
                "choose another folder (--out)")
        if manifest["replicates"] > old.get("replicates", manifest["replicates"]):
            _note(f"{out}: extending the plan from {old['replicates']:,} to "
                  f"{manifest['replicates']:,} replicates per point (the runs on disk are "
                  "kept)")
    for line in store.repair(out):
        _note(f"{out}: moved a damaged file to {store.DAMAGED_DIR}/ ({line}); its runs "
              "will run again")
    store.write_plan(out, manifest, points, plan)


def _note(text: str) -> None:
    import sys

    print(f"consortsim: note: {text}", file=sys.stderr)


def _todo(tasks: Sequence[RunTask], out: Path, retry_failed: bool) -> list[RunTask]:
    """Planned runs not yet on disk, each run id once (equal points share their runs)."""
    done = store.recorded_ids(out, include_failed=not retry_failed)
    seen: set[str] = set()
    todo = []
    for task in tasks:
        if task.run_id not in done and task.run_id not in seen:
            seen.add(task.run_id)
            todo.append(task)
    return todo


class _CannotWrite(Exception):
    """A chunk could not be written: stop the sweep rather than lose every chunk."""


def _execute(chunks: Sequence[Chunk], executor: Any, bar: Progress) -> list[str]:
    """Run chunks; returns one line per chunk that was lost (its runs stay missing).

    Raises:
        _CannotWrite: a worker could not write its chunk (the disk is full, the folder is
            read-only): the sweep stops, with the chunks written so far kept.
    """
    lost = []
    for chunk, report in executor.run(run_chunk, chunks):
        if isinstance(report, OSError):
            raise _CannotWrite(report.strerror or str(report))
        if isinstance(report, BaseException):
            lost.append(f"{chunk.name} ({len(chunk.tasks)} runs): {describe_error(report)}")
            bar.update(0)
        else:
            bar.update(report.runs, report.failed)
    return lost


def run_points(base: Scenario, points: Sequence[Mapping[str, Any]], replicates: int,
               root_seed: int, out_dir: str | Path, *, workers: int | None = None,
               scheduler: str | None = None, resume: bool = False,
               keep_series: Sequence[str] | None = None, chunk_size: int | None = None,
               outcomes: Sequence[str] | None = None, labels: Sequence[str] | None = None,
               progress: bool | None = None, retry_failed: bool = False,
               info: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Run every design point on the same replicate seeds; results stream to ``out_dir``.

    Args:
        base: the validated base scenario (its ``months`` is the horizon of every run).
        points: one mapping of dotted-path overrides per design point, e.g.
            ``{"turnover.vacancy_months": 2.5, "strategies": ["billing_capacity"]}``;
            ``{}`` is the base scenario itself. Values may be NumPy scalars (a row of a
            SALib sample matrix); integer parameters need whole numbers (see
            ``designs.matrix_points``). A point that does not validate fails its runs
            (recorded with the error), it does not stop the sweep.
        replicates: runs per point; replicate ``r`` uses child ``r`` of
            ``SeedSequence(root_seed).spawn(replicates)`` at every point.
        root_seed: the experiment's root seed (a non-negative integer).
        out_dir: results folder (see ``store``); created if needed.
        workers: local processes (all cores when None; 1 runs in this process), or the
            number of workers of a ``scheduler="local"`` Dask cluster.
        scheduler: ``tcp://host:port`` of a Dask scheduler, ``"local"`` / ``"local:N"``
            for a Dask ``LocalCluster``, or None for the local process pool.
        resume: continue a folder that holds results: only runs whose id is not on disk
            run. Without it a folder with results is refused.
        keep_series: metrics (``metrics.METRIC_NAMES``) whose monthly series are written
            per chunk under ``out_dir/series`` (read with ``store.read_series``).
        chunk_size: runs per chunk (one task for a worker); about eight chunks per worker
            within 25-1,000 runs when None.
        outcomes: per-run outcomes to keep (``metrics.OUTCOME_NAMES``); all when None.
        labels: a label per point (default: its strategies or ``key=value`` pairs).
        progress: show progress on stderr (a bar on a terminal, lines otherwise);
            on when None.
        retry_failed: with ``resume``, run again the runs recorded as failed.
        info: extra entries for ``manifest.json`` (e.g. the experiment file's name).

    Returns:
        One row per planned run, sorted by (point, replicate): ``run_id``, ``point``,
        ``label``, ``replicate``, ``seed_entropy``, ``seed_spawn_key`` (JSON list),
        ``config_hash`` (of the resolved scenario), ``status`` (``ok``, ``failed``, or
        ``missing`` when a worker was lost: resume to fill in), ``error``, ``seconds`` (run
        time; the only column that varies between identical sweeps) and one column per
        outcome (NaN unless ``ok``).

    Raises:
        ValueError: bad arguments (no points, replicates < 1, unknown outcome or metric).
        store.ExperimentError: the folder holds results and ``resume`` is False, or the
            Dask scheduler cannot be reached.
    """
    points = [plain(dict(p)) for p in points]
    if not points or replicates < 1:
        raise ValueError(f"need at least one point and one replicate, found {len(points)} "
                         f"points and {replicates} replicates")
    check_size(base, len(points), replicates, workers)
    outcomes = _checked_names(outcomes, OUTCOME_NAMES, "outcome")
    series = _checked_names(keep_series or (), METRIC_NAMES, "metric")
    labels = list(labels) if labels is not None else [default_label(p, i)
                                                      for i, p in enumerate(points)]
    out = Path(out_dir).resolve()
    with locked(out, command=str((info or {}).get("command", "consortsim"))):
        old_size = None
        if resume and (out / store.MANIFEST).exists():
            old_size = store.read_manifest(out).get("chunk_size")
        chunk_size = chunk_size or old_size
        tasks = plan_runs(base, points, replicates, root_seed)
        manifest = {"format": 2, "scenario": base.name,
                    "base_config_hash": base.config_hash(), "design_hash": design_hash(points),
                    "root_seed": root_seed, "replicates": replicates, "points": len(points),
                    "runs": len(tasks), "chunk_size": chunk_size, "outcomes": list(outcomes),
                    "keep_series": list(series), "versions": environment(),
                    **dict(info or {})}
        _open_store(out, resume, manifest,
                    [{"label": lab, "overrides": p}
                     for lab, p in zip(labels, points, strict=True)],
                    _plan_frame(tasks, labels))
        todo = _todo(tasks, out, retry_failed)
        unique = len({t.run_id for t in tasks})
        bar = Progress(unique, done=unique - len(todo), enabled=progress)
        try:
            with make_executor(workers, scheduler, runs=len(todo)) as executor:
                size = chunk_size or auto_chunk_size(len(todo), executor.slots)
                chunks = make_chunks(todo, size, base, points, labels, outcomes, series, out)
                lost = _execute(chunks, executor, bar)
        except KeyboardInterrupt:
            bar.close()
            store.clean_temporary(out)
            state = store.status(out)
            raise Interrupted(out, state.done + state.failed, state.planned) from None
        except _CannotWrite as exc:
            bar.close()
            store.clean_temporary(out)
            state = store.status(out)
            raise WriteFailed(out, str(exc), state.done + state.failed,
                              state.planned) from None
        bar.close()
        frame = load_results(out, outcomes)
    frame.attrs["lost_chunks"] = lost
    return frame


def load_results(out_dir: str | Path, outcomes: Sequence[str] | None = None) -> pd.DataFrame:
    """The runs of a results folder: one row per planned run, sorted by (point, replicate).

    Planned runs with nothing on disk have status ``missing``. Columns as ``run_points``.
    """
    plan = store.read_plan(out_dir)
    if outcomes is None:
        outcomes = store.read_manifest(out_dir).get("outcomes", list(OUTCOME_NAMES))
    runs = store.read_runs(out_dir)
    wanted = ["run_id", "config_hash", "status", "error", "seconds", *outcomes]
    runs = runs.reindex(columns=wanted)
    frame = plan.merge(runs, on="run_id", how="left", validate="many_to_one")
    frame["status"] = frame["status"].fillna("missing")
    frame["error"] = frame["error"].fillna("")
    frame["config_hash"] = frame["config_hash"].fillna("")
    for name in outcomes:
        frame[name] = frame[name].astype(float)
    frame = frame.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
    return frame[[*store.ID_COLUMNS, *outcomes]]
