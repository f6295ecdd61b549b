"""The rural demo against its reviewed baseline (tests/baseline/rural_rcorp_seed1.json).

Any change to what the model computes for scenarios/rural_rcorp.yaml, seed 1, 120 months
shows up here. When the change is on purpose, regenerate the file with
``tests/baseline/regenerate.py``, review the diff and commit it with the change.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest

BASELINE_DIR = Path(__file__).with_name("baseline")
TOLERANCE = 1e-9
HOW_TO_REGENERATE = (
    "If the model, a parameter default or scenarios/rural_rcorp.yaml changed on purpose, "
    "regenerate the baseline and review what moved:\n"
    "    .venv/bin/python tests/baseline/regenerate.py\n"
    "    git diff tests/baseline/rural_rcorp_seed1.json")


def _load_regenerate() -> Any:
    spec = importlib.util.spec_from_file_location("baseline_regenerate",
                                                  BASELINE_DIR / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _close(stored: Any, current: Any) -> bool:
    if stored is None or current is None:
        return stored is current
    if isinstance(stored, int | float) and isinstance(current, int | float):
        return math.isclose(stored, current, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return stored == current


def differences(stored: dict[str, Any], current: dict[str, Any], where: str = "") -> list[str]:
    """Readable lines for every value that differs beyond the tolerance."""
    lines = []
    for key in sorted(set(stored) | set(current)):
        path = f"{where}.{key}" if where else key
        a, b = stored.get(key, "<missing>"), current.get(key, "<missing>")
        if isinstance(a, dict) and isinstance(b, dict):
            lines += differences(a, b, path)
        elif not _close(a, b):
            lines.append(f"  {path}: baseline {a!r}, now {b!r}")
    return lines


def test_rural_demo_matches_the_reviewed_baseline():
    regenerate = _load_regenerate()
    stored = json.loads(regenerate.BASELINE.read_text(encoding="utf-8"))
    stored.pop("generated_with", None)  # for the record only
    current = regenerate.compute()
    found = differences(stored, current)
    if found:
        hint = ("The resolved scenario itself changed (config_hash): a parameter default or "
                "the scenario file.\n" if stored["config_hash"] != current["config_hash"]
                else "")
        pytest.fail(f"The rural demo no longer matches its baseline ({len(found)} values "
                    f"differ beyond {TOLERANCE}):\n" + "\n".join(found[:40])
                    + ("\n  ..." if len(found) > 40 else "") + f"\n{hint}{HOW_TO_REGENERATE}",
                    pytrace=False)


def test_the_baseline_comparison_catches_a_change():
    stored = {"outcomes": {"sustained": 1.0, "grant_end_month": None, "people_linked": 900.0}}
    same = {"outcomes": {"sustained": 1.0, "grant_end_month": None,
                         "people_linked": 900.0 + 1e-12}}
    moved = {"outcomes": {"sustained": 0.0, "grant_end_month": 49.0, "people_linked": 900.0}}
    assert differences(stored, same) == []
    assert differences(stored, moved) == [
        "  outcomes.grant_end_month: baseline None, now 49.0",
        "  outcomes.sustained: baseline 1.0, now 0.0"]
    assert differences(stored, {}) == ["  outcomes: baseline {'sustained': 1.0, "
                                       "'grant_end_month': None, 'people_linked': 900.0}, "
                                       "now '<missing>'"]
