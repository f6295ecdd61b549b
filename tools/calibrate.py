"""Calibrate the assumption parameters against the validation patterns (re-runnable).

Pattern-oriented inverse calibration (Grimm et al. 2005; domain-evidence.md 6.2): a Latin
hypercube over the ranges in ``CALIBRATED`` (assumption-tagged parameters only), each
sample run through the whole pattern suite of ``consortsim.validation`` on a few replicates
(stage 1, a screen), then the best samples again on more replicates (stage 2, a check).
A sample is *accepted* when every pattern holds (known structural gaps aside). The
accepted ranges and the chosen set are written to ``OUT/summary.md``; copy what you adopt
into ``params.py`` and record it in ``docs/calibration.md``.

Usage (about 35 s per sample per 16 replicates on two cores):

    python tools/calibrate.py --samples 48 --replicates 16 --confirm 60 --top 6 \
        --workers 2 --out out/calibration

Re-run it whenever a mechanism changes. Samples stream to ``OUT/samples.csv``; ``--resume``
skips samples already there.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path
from typing import Any

from scipy.stats import qmc

from consortsim import validation
from consortsim.params import lookup

# (dotted path, low, high): the search ranges of round 3 (docs/calibration.md): narrower
# than the declared ranges where rounds 1 and 2 showed the patterns cannot hold outside.
CALIBRATED: tuple[tuple[str, float, float], ...] = (
    ("coordination.trust_gain", 0.40, 0.50),
    ("coordination.trust_decay", 0.004, 0.014),
    ("coordination.institutional_decay", 0.0, 0.002),
    ("turnover.personal_retained", 0.42, 0.55),
    ("referrals.trust_floor", 0.55, 0.65),
    ("referrals.cold_weight", 0.10, 0.50),
    ("referrals.trust_gain", 0.005, 0.03),
    ("referrals.loss_ratio", 1.2, 2.0),
    ("grant_cycle.success_min", 0.0, 0.03),
    ("grant_cycle.success_max", 0.45, 0.85),
    ("grant_cycle.application_interval_months", 6, 10),
    ("grant_cycle.vacancy_penalty", 0.3, 0.6),
    ("grant_cycle.stream_amount_share", 0.15, 0.25),
    ("grant_cycle.stream_renewal", 0.90, 0.98),
)


def check_declared() -> None:
    """Every calibrated path is a declared assumption and its range lies inside the
    declared bounds (a calibration must not step outside what the declaration allows)."""
    for path, low, high in CALIBRATED:
        p = lookup(path)
        if p.evidence != "assumption":
            raise SystemExit(f"{path}: calibrate only assumption parameters, found {p.evidence}")
        if (p.low is not None and low < p.low) or (p.high is not None and high > p.high):
            raise SystemExit(f"{path}: range {low}-{high} outside declared {p.low}-{p.high}")


def latin_hypercube(samples: int, seed: int) -> list[dict[str, Any]]:
    """``samples`` parameter sets spread over the ranges (integers rounded)."""
    unit = qmc.LatinHypercube(d=len(CALIBRATED), seed=seed).random(samples)
    points = []
    for row in unit:
        point: dict[str, Any] = {}
        for (path, low, high), u in zip(CALIBRATED, row, strict=True):
            value = low + u * (high - low)
            point[path] = int(round(value)) if lookup(path).integer else round(float(value), 4)
        points.append(point)
    return points


def distance(result: validation.PatternResult) -> float:
    """How far outside its band a pattern fell, in band widths (0 inside; 1 when NaN)."""
    p, v = result.pattern, result.value
    if not math.isfinite(v):
        return 1.0
    return max(0.0, p.low - v, v - p.high) / (p.high - p.low)


def score(point: dict[str, Any], replicates: int, workers: int,
          boot: int = 0) -> tuple[list[validation.PatternResult], float, bool]:
    """Run the suite for one parameter set: results, loss, accepted."""
    ens = validation.run_ensembles(validation.pattern_arms(validation.PATTERNS), replicates,
                                   workers, run_overrides=point)
    results = validation.evaluate(validation.PATTERNS, ens, boot=boot)
    checked = [r for r in results if not r.pattern.gap]
    loss = sum(distance(r) for r in checked)
    return results, loss, all(r.passed for r in checked)


def _row(stage: str, k: int, point: dict[str, Any], results: list[validation.PatternResult],
         loss: float, accepted: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"stage": stage, "sample": k, **point, "loss": round(loss, 4),
                           "passed": sum(r.passed for r in results), "accepted": accepted}
    row.update({r.pattern.id: round(r.value, 4) for r in results})
    return row


def _append(file: Path, row: dict[str, Any]) -> None:
    new = not file.exists()
    with file.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


def _done(file: Path, stage: str) -> dict[int, dict[str, str]]:
    if not file.exists():
        return {}
    with file.open() as fh:
        return {int(r["sample"]): r for r in csv.DictReader(fh) if r["stage"] == stage}


def stage(name: str, points: dict[int, dict[str, Any]], replicates: int, workers: int,
          file: Path, resume: bool) -> list[dict[str, Any]]:
    """Score every point (skipping finished ones when resuming); rows in sample order."""
    done = _done(file, name) if resume else {}
    rows = []
    for k, point in points.items():
        if k in done:
            rows.append({**done[k], "loss": float(done[k]["loss"]),
                         "accepted": done[k]["accepted"] == "True"})
            continue
        start = time.perf_counter()
        results, loss, ok = score(point, replicates, workers)
        row = _row(name, k, point, results, loss, ok)
        _append(file, row)
        rows.append(row)
        print(f"{name} sample {k}: {row['passed']}/{len(results)} patterns, loss {loss:.2f}"
              f"{' ACCEPTED' if ok else ''} ({time.perf_counter() - start:.0f} s)", flush=True)
    return rows


def summary(stage1: list[dict[str, Any]], stage2: list[dict[str, Any]],
            args: argparse.Namespace) -> str:
    """The calibration record in Markdown: ranges searched, accepted, chosen."""
    ok1 = [r for r in stage1 if r["accepted"]]
    ok2 = [r for r in stage2 if r["accepted"]]
    pool = ok2 or stage2 or stage1
    best = min(pool, key=lambda r: float(r["loss"]))
    lines = [f"Stage 1: {len(stage1)} Latin-hypercube samples x {args.replicates} replicates; "
             f"{len(ok1)} accepted (every pattern in its band).",
             f"Stage 2: the best {len(stage2)} again x {args.confirm} replicates; "
             f"{len(ok2)} accepted.", "",
             "| parameter | searched | accepted (stage 1) | chosen |", "|---|---|---|---|"]
    for path, low, high in CALIBRATED:
        vals = [float(r[path]) for r in ok1]
        acc = f"{min(vals):g} - {max(vals):g}" if vals else "none"
        lines.append(f"| `{path}` | {low:g} - {high:g} | {acc} | {float(best[path]):g} |")
    lines += ["", f"Chosen: stage-{best['stage']} sample {best['sample']} "
              f"(loss {float(best['loss']):.3f}, {best['passed']} patterns pass)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run both stages and write the record."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=48)
    ap.add_argument("--replicates", type=int, default=16, help="stage-1 replicates")
    ap.add_argument("--top", type=int, default=6, help="samples re-run in stage 2")
    ap.add_argument("--confirm", type=int, default=60, help="stage-2 replicates")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2005)
    ap.add_argument("--out", default="out/calibration")
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args(argv)
    check_declared()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    file = out / "samples.csv"
    if file.exists() and not args.resume:
        file.unlink()
    points = dict(enumerate(latin_hypercube(args.samples, args.seed)))
    stage1 = stage("1", points, args.replicates, args.workers, file, args.resume)
    ranked = sorted(stage1, key=lambda r: (not r["accepted"], float(r["loss"])))
    best = {int(r["sample"]): points[int(r["sample"])] for r in ranked[:args.top]}
    stage2 = stage("2", best, args.confirm, args.workers, file, args.resume)
    text = summary(stage1, stage2, args)
    (out / "summary.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
