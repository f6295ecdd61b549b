"""The result store: a folder of Parquet chunks that survives interruption.

Layout of a results folder::

    manifest.json     what was asked for (experiment, base scenario hash, seeds, versions)
    points.json       the design points exactly (dotted-path overrides), with labels
    points.csv        the same as a table, one row per point
    plan.parquet      every planned run: run_id, point, replicate, seed
    runs/part-*.parquet     one file per chunk of runs: per-run outcomes and status
    series/part-*.parquet   optional monthly series of selected metrics, same chunk names

A chunk is written under a temporary name and moved into place with ``os.replace``, which
is atomic on one file system: a chunk file either holds all its rows or does not exist, so
a hard kill loses at most the chunks in flight. A run's id hashes its configuration and
seed, so resuming compares ids with what is on disk and runs only what is missing. A
series file counts only when its outcomes chunk exists (the outcomes file is written last).

Sources: ecosystem-notes "Storing results" (Parquet per chunk of ~1,000 runs, temp name
then ``os.replace`` survived a hard kill; resume by skipping existing chunks).
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

RUNS_DIR = "runs"
SERIES_DIR = "series"
MANIFEST = "manifest.json"
POINTS = "points.json"
PLAN = "plan.parquet"
TEMP_PREFIX = ".tmp-"
ID_COLUMNS = ("run_id", "point", "label", "replicate", "seed_entropy", "seed_spawn_key",
              "config_hash", "status", "error", "seconds")


class ExperimentError(Exception):
    """A sweep that cannot start or continue (folder in use, scheduler unreachable...)."""


@dataclass(frozen=True)
class Status:
    """How far a results folder has got."""

    planned: int
    done: int
    failed: int
    missing: int
    chunks: int

    def line(self) -> str:
        """One line for people: ``1,200 runs planned: 1,150 done, 2 failed, 48 missing``."""
        return (f"{self.planned:,} runs planned: {self.done:,} done, {self.failed:,} failed, "
                f"{self.missing:,} missing ({self.chunks:,} chunk files)")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _json(value: Any, indent: int) -> str:
    """Strict JSON (no bare NaN: a number that is not finite is written as null)."""
    return json.dumps(_finite(value), indent=indent, default=str, allow_nan=False) + "\n"


def _temporary(path: Path) -> Path:
    return path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{path.name}")


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = _temporary(path)
    try:
        frame.to_parquet(tmp, index=False, compression="zstd")
        os.replace(tmp, path)
    except BaseException:  # a full disk, a kill: no half-written file is left behind
        tmp.unlink(missing_ok=True)
        raise


def _atomic_text(text: str, path: Path) -> None:
    tmp = _temporary(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write a text file atomically: the old file or the new one, never a part of it."""
    _atomic_text(text, Path(path))


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a table as CSV atomically (see ``write_text``)."""
    _atomic_text(frame.to_csv(index=False), Path(path))


def write_chunk(out_dir: str | Path, name: str, rows: pd.DataFrame,
                series: pd.DataFrame | None = None) -> Path:
    """Write one chunk: its series first, then its outcome rows (the commit)."""
    out = Path(out_dir)
    if series is not None and len(series):
        (out / SERIES_DIR).mkdir(parents=True, exist_ok=True)
        _atomic_parquet(series, out / SERIES_DIR / f"{name}.parquet")
    (out / RUNS_DIR).mkdir(parents=True, exist_ok=True)
    path = out / RUNS_DIR / f"{name}.parquet"
    _atomic_parquet(rows, path)
    return path


def chunk_files(out_dir: str | Path, kind: str = RUNS_DIR) -> list[Path]:
    """Committed chunk files, by name (temporary files are never listed)."""
    folder = Path(out_dir) / kind
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("part-*.parquet"))


def clean_temporary(out_dir: str | Path) -> int:
    """Delete files left half-written by an interrupted sweep; returns how many."""
    count = 0
    out = Path(out_dir)
    for folder in (out, out / RUNS_DIR, out / SERIES_DIR):
        for tmp in folder.glob(f"{TEMP_PREFIX}*") if folder.is_dir() else ():
            tmp.unlink(missing_ok=True)
            count += 1
    return count


def _read_tables(files: Iterable[Path], columns: list[str] | None) -> pd.DataFrame:
    tables = []
    for path in files:
        try:
            tables.append(pq.read_table(path, columns=columns))
        except (OSError, pa.ArrowException) as exc:  # damaged: ``repair`` moves it aside
            warnings.warn(f"{path}: skipped an unreadable chunk ({_reason(exc)}); "
                          "`consortsim status` moves it aside", stacklevel=3)
    if not tables:
        return pd.DataFrame(columns=columns or list(ID_COLUMNS))
    return pa.concat_tables(tables, promote_options="default").to_pandas()


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


# ---------------------------------------------------------------- damaged and foreign files

DAMAGED_DIR = "damaged"
_NEEDED = {RUNS_DIR: ("run_id", "status"), SERIES_DIR: ("run_id", "month")}


def _problem(path: Path, kind: str) -> str:
    """Why a file in ``runs/`` or ``series/`` cannot be a chunk, or an empty string."""
    if not path.is_file() or path.is_symlink():
        return "not a regular file"
    if not (path.name.startswith("part-") and path.suffix == ".parquet"):
        return "not a chunk file (part-*.parquet)"
    try:
        schema = pq.read_schema(path)
        if kind == RUNS_DIR:  # small: read it all, so damage inside the file is found too
            pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        return _reason(exc)
    absent = [c for c in _NEEDED[kind] if c not in schema.names]
    if absent:
        return f"no {absent[0]!r} column: not written by consortsim"
    return ""


def repair(out_dir: str | Path) -> list[str]:
    """Move damaged or foreign files out of ``runs/`` and ``series/`` into ``damaged/``.

    Files are moved, never deleted; their runs count as missing, so ``--resume`` runs them
    again. Half-written temporary files are deleted (they never held a whole chunk).
    Call it while holding the folder's lock.

    Returns:
        One line per file moved: ``runs/part-x.parquet: <why>``.
    """
    out = Path(out_dir)
    clean_temporary(out)
    moved = []
    for kind in (RUNS_DIR, SERIES_DIR):
        folder = out / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith(TEMP_PREFIX):
                continue
            why = _problem(path, kind)
            if not why:
                continue
            target = out / DAMAGED_DIR / kind / path.name
            n = 1
            while target.exists():
                target = out / DAMAGED_DIR / kind / f"{path.name}.{n}"
                n += 1
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            moved.append(f"{kind}/{path.name}: {why}")
    return moved


def read_runs(out_dir: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Every recorded run, one row per run id.

    When a run id was recorded twice (a retried failure, or a chunk finished by a worker of
    an interrupted sweep after the resume started) an ``ok`` row wins over a ``failed`` one;
    runs are deterministic, so two ``ok`` rows of one id hold the same outcomes.
    """
    if columns is not None:
        columns = list(dict.fromkeys(["run_id", "status", *columns]))
    frame = _read_tables(chunk_files(out_dir), columns)
    if frame.empty:
        return frame
    frame["_rank"] = (frame["status"] != "ok").astype(int)
    frame = frame.sort_values(["run_id", "_rank"], kind="stable")
    return frame.drop_duplicates("run_id").drop(columns="_rank").reset_index(drop=True)


def read_series(out_dir: str | Path, run_ids: Iterable[str] | None = None,
                metrics: list[str] | None = None) -> pd.DataFrame:
    """Monthly series kept by the sweep (``run_id``, ``month`` and metric columns).

    Only chunks whose outcome file exists count; ``run_ids`` selects runs as it reads,
    so memory holds only what was asked for.
    """
    committed = {p.name for p in chunk_files(out_dir)}
    columns = None if metrics is None else ["run_id", "month", *metrics]
    wanted = None if run_ids is None else set(run_ids)
    parts = []
    for path in chunk_files(out_dir, SERIES_DIR):
        if path.name not in committed:
            continue
        try:
            part = pq.read_table(path, columns=columns).to_pandas()
        except (OSError, pa.ArrowException) as exc:
            warnings.warn(f"{path}: skipped an unreadable series chunk ({_reason(exc)})",
                          stacklevel=2)
            continue
        parts.append(part if wanted is None else part[part["run_id"].isin(wanted)])
    if not parts:
        return pd.DataFrame(columns=columns or ["run_id", "month"])
    return (pd.concat(parts, ignore_index=True).drop_duplicates(["run_id", "month"])
            .sort_values(["run_id", "month"]).reset_index(drop=True))


def recorded_ids(out_dir: str | Path, include_failed: bool = True) -> set[str]:
    """Run ids already on disk (all, or only those that succeeded)."""
    frame = read_runs(out_dir, columns=[])
    if frame.empty:
        return set()
    if not include_failed:
        frame = frame[frame["status"] == "ok"]
    return set(frame["run_id"])


# ---------------------------------------------------------------- manifest and plan


def has_results(out_dir: str | Path) -> bool:
    """Whether a folder already holds runs (a plan alone has nothing to lose)."""
    return bool(chunk_files(out_dir))


def write_plan(out_dir: str | Path, manifest: dict[str, Any], points: list[dict[str, Any]],
               plan: pd.DataFrame) -> None:
    """Record what a sweep is asked to do, before any run starts."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    old = read_manifest(out) if (out / MANIFEST).exists() else {}
    manifest = {**manifest, "created": old.get("created", stamp), "updated": stamp}
    _atomic_text(_json(manifest, 2), out / MANIFEST)
    _atomic_text(_json(points, 1), out / POINTS)
    write_csv(_points_table(points), out / "points.csv")
    _atomic_parquet(plan, out / PLAN)


def _points_table(points: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for i, p in enumerate(points):
        row: dict[str, Any] = {"point": i, "label": p["label"]}
        for key, value in p["overrides"].items():
            row[key] = "+".join(value) if isinstance(value, list | tuple) else value
        rows.append(row)
    return pd.DataFrame(rows)


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The manifest of a results folder."""
    path = Path(out_dir) / MANIFEST
    if not path.exists():
        raise ExperimentError(f"{out_dir}: expected a results folder with {MANIFEST}, "
                              "found none (was a sweep started here?)")
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExperimentError(f"{path}: expected a results manifest (JSON), found an "
                              f"unreadable file ({_reason(exc)})") from None
    if not isinstance(found, dict):
        raise ExperimentError(f"{path}: expected a results manifest (a JSON object), "
                              f"found {type(found).__name__}")
    return found


def read_points(out_dir: str | Path) -> list[dict[str, Any]]:
    """The design points of a results folder (label and overrides each)."""
    return json.loads((Path(out_dir) / POINTS).read_text(encoding="utf-8"))


def read_plan(out_dir: str | Path) -> pd.DataFrame:
    """Every planned run of a results folder."""
    path = Path(out_dir) / PLAN
    if not path.exists():
        raise ExperimentError(f"{out_dir}: expected {PLAN}, found none")
    try:
        return pd.read_parquet(path)
    except (OSError, pa.ArrowException) as exc:
        raise ExperimentError(f"{path}: expected the plan of the results folder, found an "
                              f"unreadable file ({_reason(exc)}); start the folder again "
                              "with the same command (runs on disk are kept)") from None


def status(out_dir: str | Path) -> Status:
    """How many planned runs are done, failed and missing."""
    read_manifest(out_dir)
    plan = read_plan(out_dir)
    runs = read_runs(out_dir, columns=[])
    state = dict(zip(runs["run_id"], runs["status"], strict=True)) if len(runs) else {}
    found = plan["run_id"].map(state)
    return Status(planned=len(plan), done=int((found == "ok").sum()),
                  failed=int((found == "failed").sum()), missing=int(found.isna().sum()),
                  chunks=len(chunk_files(out_dir)))
