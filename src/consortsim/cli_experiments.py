"""Experiment commands: ``compare``, ``sweep`` and ``status``.

``compare`` runs a strategies experiment and writes the planner's table, figures and
report; ``sweep`` runs any experiment (strategies, grid, Latin hypercube) into a resumable
Parquet dataset; ``status`` says how far a results folder has got and the command that
finishes it.

Ctrl-C, SIGTERM and SIGHUP stop a sweep within about a second: queued work is cancelled,
workers are stopped, and the message gives the command that continues the folder.
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

INTERRUPTED = 130  # the shell's status for a process ended by SIGINT


def replicates_arg(text: str) -> int:
    """``--replicates``: a whole number from 1 to the engine's cap."""
    from consortsim.experiments.engine import MAX_REPLICATES

    n = _positive(text)
    if n > MAX_REPLICATES:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_REPLICATES:,} replicates, "
                                         f"found {n:,}")
    return n


def _scheduler(text: str) -> str:
    from consortsim.experiments.executors import check_scheduler

    try:
        return check_scheduler(text)
    except ValueError as exc:
        expected, _, found = str(exc).partition("|")
        raise argparse.ArgumentTypeError(f"expected {expected}, found {found}") from None


def _out(args: argparse.Namespace) -> Path:
    return Path(args.out) if args.out else Path("out") / Path(args.experiment).stem


def _load(args: argparse.Namespace) -> Any:
    """The experiment file, with ``--replicates``; a resume keeps the folder's plan."""
    from dataclasses import replace

    from consortsim.experiments import store
    from consortsim.experiments.spec import load_experiment

    exp = load_experiment(args.experiment)
    replicates = args.replicates
    if replicates is None and args.resume and (_out(args) / store.MANIFEST).exists():
        try:
            replicates = store.read_manifest(_out(args)).get("replicates")
        except store.ExperimentError as exc:
            raise UsageError(str(exc)) from None
    if replicates and replicates != exp.replicates:
        exp = replace(exp, replicates=int(replicates))
    return exp


def resume_command(verb: str, file: str, out: Path | str) -> str:
    """The command that continues a results folder."""
    return f"consortsim {verb} {shlex.quote(str(file))} --resume --out {shlex.quote(str(out))}"


def stopped_message(exc: BaseException, command: str) -> str:
    """One line for an interrupted sweep or one that cannot write: what is kept, and how
    to go on."""
    from consortsim.experiments.engine import Interrupted

    if isinstance(exc, Interrupted):
        return (f"consortsim: interrupted; {exc.done:,} of {exc.planned:,} runs are kept in "
                f"{exc.out}; continue with: {command}")
    return f"consortsim: error: {exc}; free space or fix the folder, then continue with: " \
           f"{command}"


def _run(exp: Any, args: argparse.Namespace, outcomes: tuple[str, ...],
         verb: str) -> tuple[Path, pd.DataFrame]:
    """Run an experiment's design through the engine with the command-line options."""
    from consortsim.experiments.engine import Interrupted, WriteFailed, run_points
    from consortsim.experiments.executors import stop_on_signals
    from consortsim.experiments.store import ExperimentError

    out = _out(args)
    info = {**exp.info(), "command": verb}
    try:
        with stop_on_signals():
            frame = run_points(
                exp.base, exp.design.points, exp.replicates, exp.root_seed, out,
                workers=args.workers or exp.workers, scheduler=args.scheduler or exp.scheduler,
                resume=args.resume, keep_series=exp.series, outcomes=outcomes,
                chunk_size=args.chunk_size or exp.chunk_size, labels=exp.design.labels,
                retry_failed=args.retry_failed, info=info)
    except (Interrupted, WriteFailed) as exc:
        print(stopped_message(exc, resume_command(verb, args.experiment, out)),
              file=sys.stderr)
        raise SystemExit(INTERRUPTED if isinstance(exc, Interrupted) else 1) from None
    except ValueError as exc:  # a plan above the caps
        raise UsageError(f"{args.experiment}: {exc}") from None
    except ExperimentError as exc:
        raise UsageError(str(exc)) from None
    return out, frame


def _write_failed(out: Path, exc: OSError, args: argparse.Namespace, verb: str) -> int:
    """A report or table that cannot be written: say so in one line (runs are kept)."""
    print(f"consortsim: error: {out}: cannot write {Path(exc.filename or '').name or 'a file'}"
          f" ({exc.strerror or exc}); the runs are kept; free space or fix the folder, then "
          f"continue with: {resume_command(verb, args.experiment, out)}", file=sys.stderr)
    return 1


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
        print(f"  {missing:,} runs missing: continue with --resume --out {shlex.quote(str(out))}",
              file=sys.stderr)
    return 1 if len(failed) or missing else 0


def cmd_compare(args: argparse.Namespace) -> int:
    exp = _load(args)
    if exp.design.kind != "strategies":
        raise UsageError(f"{args.experiment}: design: expected strategies for compare, found "
                         f"{exp.design.kind} (run it with `consortsim sweep`)")
    from consortsim.experiments import analysis, compare_report

    outcomes = tuple(dict.fromkeys([*exp.outcomes, *analysis.NEEDED]))
    out, frame = _run(exp, args, outcomes, "compare")
    baseline = exp.design.labels[exp.design.baseline]
    table = analysis.compare_table(frame, exp.design.labels, exp.design.titles, baseline)
    command = f"consortsim compare {shlex.quote(args.experiment)}" + (
        f" --replicates {exp.replicates}" if args.replicates or args.resume else "")
    try:
        files = compare_report.write_report(exp, frame, table, out, command)
    except OSError as exc:
        return _write_failed(out, exc, args, "compare")
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
    out, frame = _run(exp, args, exp.outcomes, "sweep")
    from consortsim.experiments.store import write_csv

    summary = point_summary(frame, out, exp.outcomes)
    try:
        write_csv(summary, out / "summary.csv")
    except OSError as exc:
        return _write_failed(out, exc, args, "sweep")
    ok = int((frame["status"] == "ok").sum())
    print(f"{exp.name}: {len(exp.design):,} points x {exp.replicates} replicates; "
          f"{ok:,} of {len(frame):,} runs done")
    print(f"Wrote {out}/: runs/ (Parquet, one row per run), points.csv, summary.csv"
          + (", series/" if exp.series else ""))
    return _problems(frame, out)


def _verb(manifest: dict[str, Any]) -> tuple[str, str]:
    """The command that made a folder, and the file to give it."""
    if manifest.get("analysis"):
        return "sensitivity", str(manifest.get("analysis_file") or manifest["analysis"])
    verb = manifest.get("command") or ("compare" if manifest.get("design") == "strategies"
                                       else "sweep")
    return str(verb), str(manifest.get("experiment_file") or "EXPERIMENT")


def cmd_status(args: argparse.Namespace) -> int:
    from consortsim.experiments import lock, store

    folder = Path(args.dir)
    try:
        manifest = store.read_manifest(folder)
        busy = lock.holder(folder)
        moved: list[str] = []
        if busy is None:
            with lock.locked(folder, "consortsim status"):
                moved = store.repair(folder)
        state = store.status(folder)
    except store.ExperimentError as exc:
        raise UsageError(str(exc)) from None
    name = manifest.get("experiment") or manifest.get("scenario", "")
    print(f"{args.dir}: {name}")
    if busy is not None:
        print(f"  in use by {lock.describe(busy)}: these counts are moving")
    for line in moved:
        print(f"  moved a damaged file to {store.DAMAGED_DIR}/: {line} (its runs count as "
              "missing)")
    print(f"  {state.line()}")
    if state.failed:
        runs = store.read_runs(folder, columns=["error"])
        errors = runs.loc[runs["status"] == "failed", "error"].value_counts().head(3)
        for error, count in errors.items():
            print(f"  failed x{count}: {error}")
    if state.missing and busy is None:
        verb, file = _verb(manifest)
        print(f"  continue with: {resume_command(verb, file, folder)}")
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
    p.add_argument("--replicates", type=replicates_arg, metavar="N",
                   help="replicates per point (default: the experiment file's; with "
                        "--resume, the folder's plan; more than the plan extends it)")
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
