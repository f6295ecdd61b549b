"""Experiment commands: ``compare``, ``sweep`` and ``status``.

``compare`` runs a strategies experiment and writes the planner's table, figures and
report; ``sweep`` runs any experiment (strategies, grid, Latin hypercube) into a resumable
Parquet dataset; ``status`` says how far a results folder has got.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consortsim.cli import UsageError
from consortsim.cli_core import positive_int as _positive

if TYPE_CHECKING:
    import pandas as pd




def _scheduler(text: str) -> str:
    from consortsim.experiments.executors import check_scheduler

    try:
        return check_scheduler(text)
    except ValueError as exc:
        expected, _, found = str(exc).partition("|")
        raise argparse.ArgumentTypeError(f"expected {expected}, found {found}") from None


def _load(args: argparse.Namespace) -> Any:
    from consortsim.experiments.spec import load_experiment

    exp = load_experiment(args.experiment)
    if args.replicates:
        from dataclasses import replace

        exp = replace(exp, replicates=args.replicates)
    return exp


def _run(exp: Any, args: argparse.Namespace, outcomes: tuple[str, ...]) -> tuple[Path,
                                                                                pd.DataFrame]:
    """Run an experiment's design through the engine with the command-line options."""
    from consortsim.experiments.engine import run_points
    from consortsim.experiments.store import ExperimentError

    out = Path(args.out) if args.out else Path("out") / Path(args.experiment).stem
    try:
        frame = run_points(
            exp.base, exp.design.points, exp.replicates, exp.root_seed, out,
            workers=args.workers or exp.workers, scheduler=args.scheduler or exp.scheduler,
            resume=args.resume, keep_series=exp.series, outcomes=outcomes,
            chunk_size=args.chunk_size or exp.chunk_size, labels=exp.design.labels,
            retry_failed=args.retry_failed, info=exp.info())
    except ExperimentError as exc:
        raise UsageError(str(exc)) from None
    return out, frame


def _problems(frame: pd.DataFrame, out: Path) -> int:
    """Print failed and missing runs; 1 when there are any."""
    failed = frame[frame["status"] == "failed"]
    missing = int((frame["status"] == "missing").sum())
    for line in frame.attrs.get("lost_chunks", []):
        print(f"  lost chunk {line}", file=sys.stderr)
    if len(failed):
        first = failed.iloc[0]
        print(f"  {len(failed):,} runs failed (first: point {first['point']} "
              f"'{first['label']}', replicate {first['replicate']}: {first['error']})",
              file=sys.stderr)
    if missing:
        print(f"  {missing:,} runs missing: continue with --resume --out {out}",
              file=sys.stderr)
    return 1 if len(failed) or missing else 0


def cmd_compare(args: argparse.Namespace) -> int:
    exp = _load(args)
    if exp.design.kind != "strategies":
        raise UsageError(f"{args.experiment}: design: expected strategies for compare, found "
                         f"{exp.design.kind} (run it with `consortsim sweep`)")
    from consortsim.experiments import analysis, compare_report

    outcomes = tuple(dict.fromkeys([*exp.outcomes, *analysis.NEEDED]))
    out, frame = _run(exp, args, outcomes)
    baseline = exp.design.labels[exp.design.baseline]
    table = analysis.compare_table(frame, exp.design.labels, exp.design.titles, baseline)
    command = f"consortsim compare {shlex.quote(args.experiment)}" + (
        f" --replicates {args.replicates}" if args.replicates else "")
    files = compare_report.write_report(exp, frame, table, out, command)
    print(f"{exp.name}: {len(exp.design)} options x {exp.replicates} replicates, "
          f"{exp.base.months} months\n")
    print(compare_report.text_table(table, baseline))
    print("\n" + "\n".join(compare_report.headline(table, baseline, exp.base.months)))
    print(f"\nWrote {out}/: " + ", ".join(p.name for p in files.values()))
    return _problems(frame, out)


def point_summary(frame: pd.DataFrame, out: Path, outcomes: tuple[str, ...]) -> pd.DataFrame:
    """Per design point: its values, runs done and failed, and the mean of each outcome."""
    import pandas as pd

    points = pd.read_csv(out / "points.csv")
    ok = frame[frame["status"] == "ok"]
    means = ok.groupby("point")[list(outcomes)].mean()
    counts = frame.pivot_table(index="point", columns="status", values="run_id",
                               aggfunc="count", fill_value=0)
    counts = counts.reindex(columns=["ok", "failed", "missing"], fill_value=0)
    summary = points.set_index("point").join(counts).join(means.add_prefix("mean_"))
    return summary.reset_index()


def cmd_sweep(args: argparse.Namespace) -> int:
    exp = _load(args)
    out, frame = _run(exp, args, exp.outcomes)
    summary = point_summary(frame, out, exp.outcomes)
    summary.to_csv(out / "summary.csv", index=False)
    ok = int((frame["status"] == "ok").sum())
    print(f"{exp.name}: {len(exp.design):,} points x {exp.replicates} replicates; "
          f"{ok:,} of {len(frame):,} runs done")
    print(f"Wrote {out}/: runs/ (Parquet, one row per run), points.csv, summary.csv"
          + (", series/" if exp.series else ""))
    return _problems(frame, out)


def cmd_status(args: argparse.Namespace) -> int:
    from consortsim.experiments import store

    try:
        manifest = store.read_manifest(args.dir)
        state = store.status(args.dir)
    except store.ExperimentError as exc:
        raise UsageError(str(exc)) from None
    name = manifest.get("experiment") or manifest.get("scenario", "")
    print(f"{args.dir}: {name}")
    print(f"  {state.line()}")
    if state.failed:
        runs = store.read_runs(args.dir, columns=["error"])
        errors = runs.loc[runs["status"] == "failed", "error"].value_counts().head(3)
        for error, count in errors.items():
            print(f"  failed x{count}: {error}")
    if state.missing:
        file = manifest.get("experiment_file", "EXPERIMENT")
        print(f"  continue with: consortsim sweep {shlex.quote(file)} --resume --out "
              f"{shlex.quote(str(args.dir))}")
    return 0 if state.done == state.planned else 1


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("experiment", help="experiment YAML file (see docs/experiments.md)")
    p.add_argument("--workers", type=_positive, metavar="N",
                   help="local worker processes (default: all cores; 1: in this process)")
    p.add_argument("--scheduler", type=_scheduler, metavar="ADDRESS",
                   help="run on a Dask cluster: tcp://host:port, or local[:N] for a Dask "
                        "cluster on this machine")
    p.add_argument("--out", metavar="DIR", help="results folder (default: out/<experiment>)")
    p.add_argument("--resume", action="store_true",
                   help="continue a results folder: run only what is missing")
    p.add_argument("--retry-failed", action="store_true",
                   help="with --resume, run failed runs again too")
    p.add_argument("--replicates", type=_positive, metavar="N",
                   help="replicates per point (default: the experiment file's)")
    p.add_argument("--chunk-size", type=_positive, metavar="N",
                   help="runs per task and per Parquet file (default: automatic, 25-1000)")


def register(sub: argparse._SubParsersAction) -> None:
    """Add compare, sweep and status."""
    p = sub.add_parser("compare", help="compare strategies on common random numbers and "
                       "write a table, figures and a one-page report")
    _common(p)
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("sweep", help="run an experiment's design (strategies, grid, Latin "
                       "hypercube) into a resumable Parquet dataset")
    _common(p)
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser("status", help="how many runs of a results folder are done, failed "
                       "and missing")
    p.add_argument("dir", help="results folder of a sweep or comparison")
    p.set_defaults(func=cmd_status)
