"""The ``sensitivity`` command: run a global sensitivity experiment file and report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from consortsim.cli_core import positive_int as _positive


def _plan_text(spec) -> str:  # noqa: ANN001 - AnalysisSpec, imported lazily
    lines = [f"{spec.name}: {spec.method}, {len(spec.factors)} factors, base sample "
             f"{spec.samples}, {spec.replicates} replicates -> {spec.runs:,} runs"]
    for f in spec.factors:
        rng = "on/off" if f.kind == "switch" else f"{f.low:g} to {f.high:g} {f.unit}".strip()
        dist = "" if f.dist == "unif" else f" ({f.dist})"
        lines.append(f"  {f.name}: {rng}{dist}")
    from consortsim.sensitivity.report import network_note

    if note := network_note(spec):
        lines.append(note)
    return "\n".join(lines)


def _summary(spec, outcome, out: Path) -> str:  # noqa: ANN001 - AnalysisSpec, runner.Outcome
    from consortsim.sensitivity.pipeline import MAIN_INDEX

    res = outcome.results
    from consortsim.sensitivity.report import label  # heavy: only when a command runs

    lines = [f"{outcome.runs:,} runs analysed in {outcome.seconds:,.0f} s"]
    for v in res.verdicts.itertuples():
        key = (res.indices["output"] == v.output) & (res.indices["statistic"] == v.statistic)
        df = res.indices[key & (res.indices["factor"] != "(dummy)")]
        name, conf = next(m for m in MAIN_INDEX.values() if m[0] in df.columns)
        noise = res.noise[(res.noise["output"] == v.output)
                          & (res.noise["statistic"] == v.statistic)]["noise_share"].iloc[0]
        verdict = "large enough" if v.large_enough else "NOT large enough"
        lines.append(f"{label(v.output, v.statistic)}: seed-noise share {noise:.1%}; "
                     f"run {verdict}")
        for r in df.sort_values(name, ascending=False).head(5).itertuples():
            flag = "" if r.resolved else "  (not clear of noise)"
            lines.append(f"  {r.factor}: {name} {getattr(r, name):.3f} "
                         f"+/- {getattr(r, conf):.3f}{flag}")
    for note in res.notes:
        lines.append(f"note: {note}")
    from consortsim.sensitivity.report import network_note

    if note := network_note(spec):
        lines.append(note)
    lines.append(f"Wrote {out}/: report.md, indices.csv, noise.csv, convergence.csv and plots")
    return "\n".join(lines)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from consortsim.cli import UsageError
    from consortsim.experiments.store import ExperimentError
    from consortsim.sensitivity import AnalysisError, load_spec, run_analysis

    spec = load_spec(args.experiment)
    if args.scheduler:
        from consortsim.experiments.executors import check_scheduler

        try:
            check_scheduler(args.scheduler)
        except ValueError as exc:
            expected, _, found = str(exc).partition("|")
            raise UsageError(f"--scheduler: expected {expected}, found {found}") from None
    if args.dry_run:
        print(_plan_text(spec))
        return 0
    out = Path(args.out) if args.out else Path("out") / "sensitivity" / Path(
        args.experiment).stem
    try:
        outcome = run_analysis(spec, out, workers=args.workers, scheduler=args.scheduler,
                               resume=args.resume, progress=not args.quiet)
    except AnalysisError as exc:
        if exc.status == 2:
            raise UsageError(str(exc)) from None
        print(f"consortsim: {exc}", file=sys.stderr)
        return exc.status
    except ExperimentError as exc:
        raise UsageError(str(exc)) from None
    print(_summary(spec, outcome, out))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sensitivity``."""
    p = sub.add_parser(
        "sensitivity", help="global sensitivity analysis (Sobol, Morris, PAWN) of a scenario",
        description="Run a sensitivity experiment file: design, runs (parallel, resumable), "
                    "indices with intervals, seed-noise share, convergence, plots and report.")
    p.add_argument("experiment", help="sensitivity experiment YAML file")
    p.add_argument("--workers", type=_positive, help="local worker processes (default: all "
                   "cores), or workers of --scheduler local")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler (tcp://host:port), or local / local:N")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted analysis in its folder")
    p.add_argument("--out", help="analysis folder (default: out/sensitivity/<experiment>)")
    p.add_argument("--dry-run", action="store_true",
                   help="validate the file and print the factors and run count only")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_sensitivity)
