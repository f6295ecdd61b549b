"""ConsortiumModel: the wiring. ``step()`` is one month, MODEL.md's processes in order."""

from __future__ import annotations

import mesa
import numpy as np

from consortsim import mechanisms
from consortsim.agents import Agency
from consortsim.config import Scenario
from consortsim.consortium import Consortium
from consortsim.events import KINDS, NO_AGENCY, Event, EventBuffer
from consortsim.kernel_params import kernel_params
from consortsim.mechanisms import EVENT_TEXT, grants, referrals, turnover
from consortsim.metrics import Recorder
from consortsim.params import NEEDS, SECTORS
from consortsim.rng import SeedLike, as_seed_sequence, make_streams
from consortsim.state import MEMBER, build_state


class ConsortiumModel(mesa.Model):
    """A consortium of agencies living through turnover, grant cycles and referrals.

    Args:
        config: a validated scenario (``load_scenario``).
        seed: an int or a ``SeedSequence``; defaults to the scenario's seed.
        months: the horizon to record; defaults to the scenario's.
    """

    def __init__(self, config: Scenario, seed: SeedLike | None = None,
                 months: int | None = None) -> None:
        self.seed_sequence = as_seed_sequence(config.seed if seed is None else seed)
        self.streams = make_streams(self.seed_sequence)
        super().__init__(rng=self.streams["mesa"])
        self.config = config
        self.months = config.months if months is None else months
        self.state, self.lead = build_state(config, self.streams["init"])
        self.sector_turnover = np.array([config.sector_value(s, "leader_turnover")
                                         for s in SECTORS])
        self.sector_hazard = turnover.sector_hazards(self)
        self._wire_referrals()
        self.critical = self._critical_sectors()
        self.consortium = Consortium(coordinator_present=config.consortium.coordinator,
                                     position_open=True)
        if not config.consortium.coordinator:
            self.consortium.coordinator_vacancy_left = round(
                config.turnover.coordinator_vacancy_months)
        self.events: list[Event] = []
        self.event_buffer = EventBuffer(rows=6 * self.state.n + 64)
        self.params = kernel_params(config)
        self.grant_table = grants.grant_table(self)
        self.initial_grants_end = max((g.start + g.months for g in config.grants), default=0)
        self.agencies = [Agency(self, i) for i in range(self.state.n)]
        self.totals = np.zeros(13)  # scratch for metrics.measure
        self.recorder = Recorder(self.months)
        self.recorder.record(self, 0)

    def _wire_referrals(self) -> None:
        s = self.state
        self.senders = np.flatnonzero(s.entry_rate > 0)
        self.receivers = [np.flatnonzero(s.offers[:, k]) for k in range(len(NEEDS))]
        sizes = [r.size for r in self.receivers]
        self.recv_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.recv_idx = np.concatenate(self.receivers).astype(np.int64)
        p = self.config.referrals
        self.base_linkage = referrals.base_linkage(self)
        self.arrival_cumulative = np.cumsum(referrals.arrival_rates(self).ravel())
        self.mat_in = np.zeros(s.n)  # scratch: MAT referrals completed this month
        self.expected_referrals = float(s.entry_rate.sum() * p.demand_scale
                                        * self.base_linkage)

    def _critical_sectors(self) -> np.ndarray:
        named = self.config.consortium.critical_sectors
        critical = np.zeros(len(SECTORS), dtype=bool)
        if named:
            critical[[SECTORS.index(s) for s in named]] = True
        else:
            critical[np.unique(self.state.sector[self.state.status == MEMBER])] = True
        return critical

    @property
    def month(self) -> int:
        """The month being simulated (1 = the first); 0 before the first step."""
        return self.steps

    @property
    def grants(self) -> list[grants.Grant]:
        """The funding plan so far: the scenario's grants, streams, awards and bridges."""
        return grants.grants_of(self)

    def log(self, month: int, kind: str, agency: str, text: str, value: float = 0.0) -> None:
        """Record an event."""
        self.events.append(Event(month, kind, agency, text, float(value)))

    def flush_events(self) -> None:
        """Turn the rows compiled code emitted into ``Event`` records, in emitted order."""
        c = self.consortium.record[0]
        count = int(c["event_count"])
        if not count:
            return
        names = self.state.names
        rows = self.event_buffer.ints[:count].tolist()
        numbers = self.event_buffer.numbers[:count].tolist()
        for (month, kind, agency), (value, a, b) in zip(rows, numbers, strict=True):
            text = EVENT_TEXT[kind](self, agency, value, a, b)
            self.events.append(Event(month, KINDS[kind], "" if agency == NO_AGENCY
                                     else names[agency], text, value))
        c["event_count"] = 0

    def step(self) -> None:
        """One month: the processes of MODEL.md in order, then the month's measurements."""
        for mechanism in mechanisms.SCHEDULE:
            mechanism.step(self)
        if self.month <= self.months:
            self.recorder.record(self, self.month)

    def leader_leaves(self, index: int | str) -> None:
        """Make an agency's leader (or the coordinator, ``"coordinator"``) leave now.

        The vacancy length is the scenario's mean, so a workshop's departure costs the same
        months in every panel it is compared in.
        """
        p = self.config.turnover
        if index == "coordinator":
            turnover.coordinator_departs(self, round(p.coordinator_vacancy_months), self.month,
                                         manual=True)
            return
        i = index if isinstance(index, int) else self.state.names.index(index)
        turnover.depart(self, i, round(p.vacancy_months), self.month, manual=True)
