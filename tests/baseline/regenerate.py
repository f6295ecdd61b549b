"""Regenerate the reviewed baseline of the rural demo scenario (seed 1, 120 months).

``tests/test_baseline.py`` compares a fresh run with ``rural_rcorp_seed1.json``. When the
model, a parameter default or ``scenarios/rural_rcorp.yaml`` changes on purpose, run from
the project root::

    .venv/bin/python tests/baseline/regenerate.py

then review what moved (``git diff tests/baseline/``) and commit the new file with the
change that caused it. The file stores the per-run outcomes, every monthly metric at a few
checkpoint months, and the number of events of each kind; NaN is stored as null.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from consortsim.config import load_scenario
from consortsim.metrics import METRIC_NAMES
from consortsim.run import environment, simulate

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "scenarios/rural_rcorp.yaml"
BASELINE = Path(__file__).with_name("rural_rcorp_seed1.json")
SEED = 1
MONTHS = 120
CHECKPOINTS = (0, 6, 12, 24, 36, 48, 60, 84, 120)


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def compute() -> dict[str, Any]:
    """The baseline's content from a fresh run of the current model."""
    scenario = load_scenario(ROOT / SCENARIO)
    result = simulate(scenario, seed=SEED, months=MONTHS)
    ts = result.timeseries.set_index("month")
    return {
        "scenario": SCENARIO,
        "seed": SEED,
        "months": MONTHS,
        "config_hash": scenario.config_hash(),
        "outcomes": {name: _number(v) for name, v in result.outcomes.items()},
        "checkpoints": {str(m): {name: _number(ts.at[m, name]) for name in METRIC_NAMES}
                        for m in CHECKPOINTS},
        "event_counts": dict(sorted(Counter(result.events["kind"]).items())),
    }


def main() -> None:
    """Write the baseline file (with the versions that produced it, for the record)."""
    content = {**compute(), "generated_with": environment()}
    BASELINE.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    where = BASELINE.relative_to(ROOT)
    print(f"Wrote {where}; review what moved with: git diff {where}")


if __name__ == "__main__":
    main()
