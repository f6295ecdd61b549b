"""Core commands: ``run``, ``check`` and ``params``."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from consortsim import paramdoc
from consortsim.config import ConfigError, Scenario, load_scenario, parse_value, with_overrides


def parse_sets(items: list[str] | None, source: str = "--set") -> dict[str, Any]:
    """``["a.b=1", "c.d=true"]`` -> ``{"a.b": 1, "c.d": True}``."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(source, item, "KEY.PATH=VALUE, e.g. turnover.vacancy_months=2",
                              repr(item))
        out[key.strip()] = parse_value(value)
    return out


def load_with_sets(path: str, sets: list[str] | None, strategies: list[str] | None = None,
                   ) -> Scenario:
    """Load a scenario file and apply ``--set`` overrides and ``--strategy`` names."""
    scenario = load_scenario(path)
    overrides = parse_sets(sets, source=f"{path} (--set)")
    if strategies:
        overrides["strategies"] = list(strategies)
    return with_overrides(scenario, overrides, source=f"{path} (--set)") if overrides else scenario


def write_run(result: Any, out: Path) -> dict[str, Path]:
    """Write a run's time series, events, metadata and dashboard into ``out``."""
    from consortsim.report import dashboard
    from consortsim.run import environment

    out.mkdir(parents=True, exist_ok=True)
    files = {
        "timeseries_parquet": out / "timeseries.parquet",
        "timeseries_csv": out / "timeseries.csv",
        "events": out / "events.csv",
        "run": out / "run.json",
        "dashboard": out / "dashboard.png",
    }
    result.timeseries.to_parquet(files["timeseries_parquet"], index=False)
    result.timeseries.to_csv(files["timeseries_csv"], index=False)
    result.events.to_csv(files["events"], index=False)
    meta = {
        "scenario": result.scenario.name,
        "config_hash": result.scenario.config_hash(),
        "seed": result.seed,
        "months": result.months,
        "outcomes": result.outcomes,
        "versions": environment(),
        "config": result.scenario.to_dict(),
    }
    files["run"].write_text(json.dumps(_finite(meta), indent=2, default=str,
                                       allow_nan=False) + "\n")
    dashboard(result, files["dashboard"])
    return files


def _finite(value: Any) -> Any:
    """Strict JSON: NaN and infinities become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def cmd_run(args: argparse.Namespace) -> int:
    from consortsim.report import summary_text
    from consortsim.run import simulate

    scenario = load_with_sets(args.scenario, args.set, args.strategy)
    seed = scenario.seed if args.seed is None else args.seed
    result = simulate(scenario, seed=seed, months=args.months)
    out = Path(args.out) if args.out else Path("out") / f"{Path(args.scenario).stem}-seed{seed}"
    files = write_run(result, out)
    print(summary_text(result))
    print(f"  Wrote {out}/: " + ", ".join(p.name for p in files.values()))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ConfigError as exc:
            print(f"consortsim: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        size = (len(scenario.agencies) if scenario.synthetic is None
                else scenario.synthetic.agencies)
        print(f"ok: {path} ({scenario.name}; {size} agencies, {scenario.months} months)")
    return 2 if failed else 0


def cmd_params(args: argparse.Namespace) -> int:
    print(paramdoc.markdown() if args.format == "markdown" else paramdoc.text())
    return 0


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, found {value}")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (workers, replicates, ports...)."""
    value = _nonneg_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, found {value}")
    return value


def _months(text: str) -> int:
    value = _nonneg_int(text)
    if not 1 <= value <= 600:
        raise argparse.ArgumentTypeError(f"expected 1 to 600 months, found {value}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    """Add run, check and params."""
    p = sub.add_parser("run", help="run one scenario and write its results")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--seed", type=_nonneg_int, help="random seed (default: the scenario's)")
    p.add_argument("--months", type=_months, help="horizon in months (1-600)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a parameter, e.g. --set turnover.vacancy_months=2")
    p.add_argument("--strategy", action="append", metavar="NAME",
                   help="apply a named strategy (see `consortsim strategies`)")
    p.add_argument("--out", help="output folder (default: out/<scenario>-seed<N>)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("check", help="validate scenario files")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("params", help="print the parameter table (from the declarations)")
    p.add_argument("--format", choices=["text", "markdown"], default="text")
    p.set_defaults(func=cmd_params)
    p = sub.add_parser("strategies", help="list the named strategies")
    p.set_defaults(func=cmd_strategies)


def cmd_strategies(args: argparse.Namespace) -> int:
    from consortsim.strategies import STRATEGIES

    for s in STRATEGIES.values():
        changes = ", ".join(f"{k}={v}" for k, v in s.overrides.items())
        print(f"{s.name}: {s.title}. {s.how}\n    changes: {changes}\n    source: {s.source}")
    return 0
