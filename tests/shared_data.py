"""Data shared by test modules (import from here, not from conftest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from consortsim.params import SECTORS

ROOT = Path(__file__).resolve().parents[1]

SMALL: dict[str, Any] = {
    "name": "Small test consortium",
    "seed": 7,
    "months": 36,
    "consortium": {"lead": "Lead Clinic"},
    "grants": [{"name": "Main grant", "start": 0, "months": 24, "amount_per_year": 240_000.0,
                "to_members": 0.5}],
    "agencies": [
        {"name": "Lead Clinic", "sector": "primary_care", "capacity": 10.0},
        {"name": "County ED", "sector": "emergency_department", "capacity": 10.0},
        {"name": "MAT Clinic", "sector": "mat_clinic", "capacity": 10.0},
        {"name": "Peer Centre", "sector": "peer_recovery", "capacity": 10.0},
    ],
    # No random departures: tests that need one make it happen with leader_leaves().
    "sectors": {sector: {"leader_turnover": 0.0} for sector in SECTORS},
    "turnover": {"coordinator_rate": 0.0},
}
