"""Events are data: small frozen records logged by mechanisms, read by tests and views.

Compiled mechanisms cannot build text, so they ``emit`` a row of numbers into the model's
event buffer (month, kind, agency and up to three numbers). After each compiled call (a
month, or up to a year of months in a batch run) the model keeps the rows as arrays; they
become ``Event`` records, each with a plain-language sentence written by the mechanism
that emitted it (its ``EVENT_TEXT``), when someone reads them. A sweep that only needs
outcomes never words an event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import IntEnum
from typing import Any

import numpy as np
from numba import njit


class Kind(IntEnum):
    """Event kinds; ``KINDS`` holds their names."""

    GRANT_STARTED = 0
    GRANT_ENDED = 1
    AWARD = 2
    APPLICATION_FAILED = 3
    STREAM_LOST = 4
    FUNDING_CLIFF = 5
    BRIDGE_FUNDING = 6
    LEADER_LEFT = 7
    LEADER_ARRIVED = 8
    COORDINATOR_LEFT = 9
    COORDINATOR_HIRED = 10
    COORDINATOR_POSITION_ENDED = 11
    MEMBER_JOINED = 12
    MEMBER_LEFT = 13
    DISSOLVED = 14
    MANUAL_DEPARTURE = 15
    PATHWAYS_BROKEN = 16
    COORDINATOR_ABSORBED = 17


KINDS: tuple[str, ...] = tuple(kind.name.lower() for kind in Kind)
NO_AGENCY = -1


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


@dataclass(frozen=True)
class Wording:
    """What event sentences name: agencies, their roles, and the grants on the plan."""

    names: list[str]
    roles: list[str]
    grant_names: list[str]


Row = tuple[int, int, int, float, float, float]  # month, kind, agency, value, a, b
Chunk = tuple[np.ndarray, np.ndarray]  # copies of an EventBuffer's rows: ints, numbers
TextRule = Callable[[Wording, int, float, float, float], str]


def word(rows: list[Row], wording: Wording, texts: dict[int, TextRule]) -> list[Event]:
    """Emitted rows as ``Event`` records, each with its sentence."""
    names = wording.names
    return [Event(month, KINDS[kind], "" if agency == NO_AGENCY else names[agency],
                  texts[kind](wording, agency, value, a, b), value)
            for month, kind, agency, value, a, b in rows]


def rows_of(chunks: list[Chunk]) -> list[Row]:
    """Kept chunks of emitted rows as rows, in the order they were emitted."""
    return [(*i, *x) for ints, numbers in chunks
            for i, x in zip(ints.tolist(), numbers.tolist(), strict=True)]


class EventBuffer:
    """Rows emitted by compiled code, waiting to become ``Event`` records."""

    def __init__(self, rows: int) -> None:
        self.ints = np.zeros((rows, 3), dtype=np.int64)   # month, kind, agency
        self.numbers = np.zeros((rows, 3))                # value, a, b


@njit(cache=True)
def emit(ints: np.ndarray, numbers: np.ndarray, consortium: np.ndarray, month: int, kind: int,
         agency: int, value: float = 0.0, a: float = 0.0, b: float = 0.0) -> None:
    """Append one event row; ``consortium[0].event_count`` counts the rows in use."""
    c = consortium[0]
    k = c.event_count
    if k >= ints.shape[0]:
        raise RuntimeError("event buffer full")
    ints[k, 0], ints[k, 1], ints[k, 2] = month, kind, agency
    numbers[k, 0], numbers[k, 1], numbers[k, 2] = value, a, b
    c.event_count = k + 1
