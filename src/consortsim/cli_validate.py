"""The ``validate`` command: run the pattern suite and print the validation table.

Exit status: 0 when every pattern holds, 1 when one fails, 2 on bad input. Patterns marked
as known structural gaps are shown (``GAP``) but fail the run only with ``--strict``.
Sources: ``consortsim.validation`` (patterns, bands, measures).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consortsim.cli import UsageError
from consortsim.cli_core import parse_sets
from consortsim.cli_core import positive_int as _positive

if TYPE_CHECKING:
    from consortsim import validation

FULL_REPLICATES = 400  # docs/validation.md: S1d needs about 400 to settle
CI_REPLICATES = FULL_REPLICATES  # CI runs the full suite (about 50 s on two cores)




def _select(only: str | None) -> tuple[validation.Pattern, ...]:
    """The patterns named by ``--only`` (all when None)."""
    from consortsim import validation

    if not only:
        return validation.PATTERNS
    known = {p.id: p for p in validation.PATTERNS}
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    missing = [w for w in wanted if w not in known]
    if missing:
        raise UsageError(f"--only: expected pattern ids among {', '.join(known)}, "
                         f"found {', '.join(missing)}")
    return tuple(known[w] for w in wanted)


def _check_overrides(overrides: dict[str, Any]) -> None:
    """Fail early (exit 2) when a --set does not apply to the validation scenarios."""
    from consortsim import validation

    for arm in validation.pattern_arms(validation.PATTERNS)[:1]:
        validation.build_scenario(arm, validation.freeze(overrides))


def _progress(done: int, total: int) -> None:
    print(f"  {done}/{total} runs", file=sys.stderr, flush=True)


def write_outputs(results: list[validation.PatternResult], out: Path,
                  meta: dict[str, Any]) -> list[Path]:
    """Write validation.json, validation.csv and validation.md into ``out``."""
    import pandas as pd

    from consortsim import validation

    out.mkdir(parents=True, exist_ok=True)
    rows = [r.to_dict() for r in results]
    files = [out / "validation.json", out / "validation.csv", out / "validation.md"]
    files[0].write_text(json.dumps({**meta, "patterns": rows}, indent=2, default=str) + "\n")
    pd.DataFrame(rows).to_csv(files[1], index=False)
    files[2].write_text(validation.markdown(results))
    return files


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the pattern suite; print the table; write the results."""
    from consortsim import validation
    from consortsim.run import environment

    patterns = _select(args.only)
    seed = validation.ROOT_SEED if args.seed is None else args.seed
    overrides = parse_sets(args.set)
    _check_overrides(overrides)
    workers = args.workers or max(1, os.cpu_count() or 1)
    start = time.perf_counter()
    results = validation.validate(args.replicates, workers, seed, overrides, patterns,
                                  _progress if args.progress else None)
    elapsed = time.perf_counter() - start
    print(validation.table(results))
    print(f"{elapsed:.0f} s on {workers} worker(s); root seed {seed}.")
    meta = {"replicates": args.replicates, "root_seed": seed, "workers": workers,
            "overrides": overrides, "seconds": round(elapsed, 1), "versions": environment()}
    files = write_outputs(results, Path(args.out), meta)
    print(f"Wrote {', '.join(str(f) for f in files)}")
    return 0 if validation.all_hold(results, strict=args.strict) else 1


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``validate``."""
    p = sub.add_parser(
        "validate", help="check the model against the evidence patterns (P1-P9, seed 001)",
        description="Run the pattern suite over ensembles and print each pattern, its "
                    "source, the target band, the simulated figure with a 95% interval "
                    "and pass or fail. Exits 1 when a pattern fails.")
    p.add_argument("--replicates", type=_positive, default=FULL_REPLICATES,
                   help=f"replicates per ensemble (default {FULL_REPLICATES}; CI uses "
                        f"{CI_REPLICATES})")
    p.add_argument("--workers", type=_positive, default=None,
                   help="worker processes (default: all cores)")
    p.add_argument("--out", default="out/validation", help="output folder")
    p.add_argument("--seed", type=_positive, default=None,
                   help="root seed of the replicate seeds (default: the suite's fixed seed)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a parameter in every ensemble, e.g. "
                        "--set coordination.trust_gain=0.1")
    p.add_argument("--only", metavar="IDS", help="comma-separated pattern ids, e.g. P1a,P3a")
    p.add_argument("--strict", action="store_true",
                   help="known structural gaps fail the run too")
    p.add_argument("--progress", action="store_true", help="print progress to stderr")
    p.set_defaults(func=cmd_validate)
