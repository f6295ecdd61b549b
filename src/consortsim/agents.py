"""Agencies as Mesa agents: readable views onto one row of the model's arrays.

The monthly mechanisms work on whole arrays for speed; an ``Agency`` reads and writes the
same numbers one agency at a time, for people, the workshop view and tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from consortsim.params import SECTORS
from consortsim.state import LEFT, MEMBER, PROSPECT

if TYPE_CHECKING:
    from consortsim.model import ConsortiumModel

STATUS_NAMES = {PROSPECT: "prospect", MEMBER: "member", LEFT: "left"}


class Agency(mesa.Agent):
    """One agency: a hospital, MAT clinic, police department, church..."""

    model: ConsortiumModel

    def __init__(self, model: ConsortiumModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def name(self) -> str:
        """The agency's name."""
        return self.model.state.names[self.index]

    @property
    def sector(self) -> str:
        """The agency's sector."""
        return SECTORS[int(self.model.state.sector[self.index])]

    @property
    def status(self) -> str:
        """prospect, member or left."""
        return STATUS_NAMES[int(self.model.state.status[self.index])]

    @property
    def is_lead(self) -> bool:
        """Whether this is the lead (backbone) agency."""
        return self.index == self.model.lead

    @property
    def engagement(self) -> float:
        """Engagement in the consortium, 0-1."""
        return float(self.model.state.engagement[self.index])

    @property
    def capacity(self) -> float:
        """Service slots a month."""
        return float(self.model.state.capacity[self.index])

    @property
    def reserves(self) -> float:
        """Reserves in USD."""
        return float(self.model.state.reserves[self.index])

    @property
    def leader_present(self) -> bool:
        """Whether the leader's seat is filled."""
        return bool(self.model.state.leader_present[self.index])

    @property
    def commitment(self) -> float:
        """The current leader's commitment, 0-1."""
        return float(self.model.state.commitment[self.index])

    def leader_leaves(self) -> None:
        """Make this agency's leader leave now (the workshop's button)."""
        self.model.leader_leaves(self.index)

    def __repr__(self) -> str:
        return f"Agency({self.name!r}, {self.sector}, {self.status})"
