"""Events are data: small frozen records logged by mechanisms, read by tests and views."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

KINDS: tuple[str, ...] = (
    "grant_started", "grant_ended", "award", "application_failed", "stream_lost",
    "funding_cliff", "bridge_funding", "leader_left", "leader_arrived", "coordinator_left",
    "coordinator_hired", "coordinator_position_ended", "member_joined", "member_left",
    "dissolved", "manual_departure", "pathways_broken", "coordinator_absorbed",
)


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened in one month.

    Attributes:
        month: the month it happened in (1 = first simulated month).
        kind: one of KINDS.
        agency: the agency's name, or "" for consortium-wide events.
        text: a plain-language sentence for people.
        value: a number that goes with it (ties weakened, amount, ...).
    """

    month: int
    kind: str
    agency: str
    text: str
    value: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A plain mapping for tables."""
        return asdict(self)
