"""ConsortiumModel: the wiring. ``step()`` is one month, MODEL.md's processes in order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
from mesa.time import EventGenerator, Priority, Schedule
from numba import njit

from consortsim.agents import Agency
from consortsim.config import Scenario
from consortsim.consortium import Consortium
from consortsim.events import KINDS, Chunk, Event, EventBuffer, Wording, rows_of, word
from consortsim.kernel_params import kernel_params
from consortsim.mechanisms import (
    EVENT_TEXT,
    coordination,
    engagement,
    funding,
    grants,
    recruitment,
    referrals,
    turnover,
)
from consortsim.metrics import Recorder, measure_into
from consortsim.params import NEEDS, SECTORS
from consortsim.rng import BLOCK_MONTHS, SeedLike, as_seed_sequence, make_streams, stream
from consortsim.state import MEMBER, build_state

DrawYear = Callable[[np.random.Generator, "ConsortiumModel"], Any]
DRAWING = (grants, turnover, coordination, referrals, recruitment)  # mechanisms with draws


@njit(cache=True)
def _month(month: int, u_grants: np.ndarray, u_turnover: np.ndarray,
           u_coordination: np.ndarray, u_referrals: np.ndarray, u_recruitment: np.ndarray,
           floats: np.ndarray, ints: np.ndarray, flags: np.ndarray, praw: np.ndarray,
           iraw: np.ndarray, scales: np.ndarray, pairs: np.ndarray, consortium: np.ndarray,
           grant_table: np.ndarray, params: np.ndarray, sector_hazard: np.ndarray,
           critical: np.ndarray, senders: np.ndarray, recv_ptr: np.ndarray,
           recv_idx: np.ndarray, cumulative: np.ndarray, mat_in: np.ndarray, lead: int,
           initial_grants_end: int, expected_referrals: float, ev_ints: np.ndarray,
           ev_numbers: np.ndarray, row: np.ndarray) -> None:
    """One month of every mechanism in MODEL.md's order, then its measurements."""
    grants.month_step(month, u_grants, floats, ints, flags, grant_table, consortium, params,
                      lead, ev_ints, ev_numbers)
    turnover.month_step(month, u_turnover, floats, ints, flags, praw, iraw, scales, pairs,
                        consortium, params, sector_hazard, lead, ev_ints, ev_numbers)
    coordination.month_step(month, u_coordination, floats, ints, flags, praw, iraw, scales,
                            consortium, params, lead, initial_grants_end, ev_ints, ev_numbers)
    referrals.month_step(u_referrals, floats, praw, iraw, scales, pairs, consortium, params,
                         senders, recv_ptr, recv_idx, cumulative, mat_in, expected_referrals)
    funding.month_step(floats, ints, consortium, params)
    engagement.month_step(month, floats, ints, flags, consortium, params, lead, ev_ints,
                          ev_numbers)
    recruitment.month_step(month, u_recruitment, floats, ints, praw, iraw, scales, consortium,
                           params, critical, ev_ints, ev_numbers)
    measure_into(row, floats, ints, flags, praw, iraw, scales, consortium, params, critical)


@njit(cache=True)
def _months(first: int, last: int, k0: int, u_grants: np.ndarray, u_turnover: np.ndarray,
            u_coordination: np.ndarray, u_people: np.ndarray, people_ptr: np.ndarray,
            u_recruitment: np.ndarray, floats: np.ndarray, ints: np.ndarray,
            flags: np.ndarray, praw: np.ndarray, iraw: np.ndarray, scales: np.ndarray,
            pairs: np.ndarray, consortium: np.ndarray, grant_table: np.ndarray,
            params: np.ndarray, sector_hazard: np.ndarray, critical: np.ndarray,
            senders: np.ndarray, recv_ptr: np.ndarray, recv_idx: np.ndarray,
            cumulative: np.ndarray, mat_in: np.ndarray, lead: int, initial_grants_end: int,
            expected_referrals: float, ev_ints: np.ndarray, ev_numbers: np.ndarray,
            month_room: int, data: np.ndarray, spare: np.ndarray) -> int:
    """Months ``first`` to ``last`` of one draw year (``first`` is month ``k0`` of it),
    each measured into its row of ``data``; a month past the horizon into ``spare``.

    Stops early, after a whole month, when the event buffer has less than ``month_room``
    rows left. Returns the last month run.
    """
    for month in range(first, last + 1):
        k = k0 + month - first
        row = data[month] if month < data.shape[0] else spare
        _month(month, u_grants[k], u_turnover[k], u_coordination[k],
               u_people[people_ptr[k]:people_ptr[k + 1]], u_recruitment[k], floats, ints,
               flags, praw, iraw, scales, pairs, consortium, grant_table, params,
               sector_hazard, critical, senders, recv_ptr, recv_idx, cumulative, mat_in,
               lead, initial_grants_end, expected_referrals, ev_ints, ev_numbers, row)
        if consortium[0].event_count > ev_ints.shape[0] - month_room:
            return month
    return last


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
        self._draw_blocks: dict[DrawYear, tuple[int, Any]] = {}
        super().__init__(rng=self.streams["mesa"])
        self.config = config
        self.months = config.months if months is None else months
        self.state, self.lead = build_state(config, self._init_stream())
        self.sector_turnover = config.sector_column("leader_turnover")
        self.sector_hazard = turnover.sector_hazards(self)
        self._wire_referrals()
        self.critical = self._critical_sectors()
        self.consortium = Consortium(coordinator_present=config.consortium.coordinator,
                                     position_open=True)
        if not config.consortium.coordinator:
            self.consortium.coordinator_vacancy_left = round(
                config.turnover.coordinator_vacancy_months)
        self._events: list[Event] = []
        self._event_chunks: list[Chunk] = []
        self.month_room = 6 * self.state.n + 64  # more event rows than a month can emit
        self.event_buffer = EventBuffer(rows=2 * self.month_room)
        self.params = kernel_params(config)
        self.grant_table = grants.grant_table(self)
        self.initial_grants_end = max((g.start + g.months for g in config.grants), default=0)
        self.agencies = [Agency(self, i) for i in range(self.state.n)]
        self.recorder = Recorder(self.months)
        self._spare_row = np.zeros(self.recorder.data.shape[1])  # months past the horizon
        self.recorder.record(self, 0)

    def _init_stream(self) -> np.random.Generator:
        """Where the agencies and their first ties come from: the run's ``init`` stream,
        or a synthetic scenario's ``network_seed`` (one network for every run)."""
        synthetic = self.config.synthetic
        if synthetic is None or synthetic.network_seed is None:
            return self.streams["init"]
        return stream(np.random.SeedSequence(synthetic.network_seed), "init")

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

    def _year_of_draws(self, draw_year: DrawYear, year: int) -> Any:
        """A mechanism's random numbers for a year (0 = the first), from its
        ``draw_year``, which draws them from the mechanism's own stream."""
        block = self._draw_blocks.get(draw_year)
        if block is None or block[0] != year:
            name = draw_year.__module__.rsplit(".", 1)[-1]
            block = (year, draw_year(self.streams[name], self))
            self._draw_blocks[draw_year] = block
        return block[1]

    def draws(self, draw_year: DrawYear) -> np.ndarray:
        """This month's random numbers for a mechanism: one row of its year of draws (for
        referrals, the rows of this month's people)."""
        year, k = divmod(self.month - 1, BLOCK_MONTHS)
        block = self._year_of_draws(draw_year, year)
        if isinstance(block, tuple):  # (one row per person, where each month's rows start)
            people, starts = block
            return people[starts[k]:starts[k + 1]]
        return block[k]

    @property
    def grants(self) -> list[grants.Grant]:
        """The funding plan so far: the scenario's grants, streams, awards and bridges."""
        return grants.grants_of(self)

    def log(self, month: int, kind: str, agency: str, text: str, value: float = 0.0) -> None:
        """Record an event written in Python (after every event emitted before it)."""
        self.events.append(Event(month, kind, agency, text, float(value)))

    def flush_events(self) -> None:
        """Keep the rows compiled code emitted since the last flush (worded when ``events``
        is read) and empty the buffer."""
        c = self.consortium.record[0]
        count = int(c["event_count"])
        if count:
            buffer = self.event_buffer
            self._event_chunks.append((buffer.ints[:count].copy(),
                                       buffer.numbers[:count].copy()))
            c["event_count"] = 0

    def wording(self) -> Wording:
        """What event sentences name: agencies, their roles and the grants so far."""
        return Wording(self.state.names,
                       [SECTORS[k].replace("_", " ") for k in self.state.sector.tolist()],
                       [grants.grant_name(self, r)
                        for r in range(self.consortium.grant_count)])

    @property
    def events(self) -> list[Event]:
        """Everything that happened so far, in order, with a sentence for people."""
        if self._event_chunks:
            self._events += word(rows_of(self._event_chunks), self.wording(), EVENT_TEXT)
            self._event_chunks = []
        return self._events

    def count_events(self, *kinds: str) -> int:
        """How many events of these kinds happened so far (without wording them)."""
        codes = [KINDS.index(k) for k in kinds]
        return (sum(1 for e in self._events if e.kind in kinds)
                + sum(int(np.count_nonzero(ints[:, 1] == code))
                      for ints, _ in self._event_chunks for code in codes))

    def detach_events(self) -> tuple[list[Event], list[Chunk], Wording]:
        """The events so far as (worded, chunks of rows not yet worded, wording): enough
        to word them later without keeping the model."""
        return list(self._events), list(self._event_chunks), self.wording()

    def step(self) -> None:
        """One month: the processes of MODEL.md in order, then the month's measurements.

        The month runs as one compiled call that calls each mechanism's ``month_step`` in
        ``mechanisms.SCHEDULE`` order, exactly as calling each module's ``step`` in turn
        would (``tests/test_model.py`` checks that they agree).
        """
        self._run(self.month, self.month)

    def advance(self, months: int) -> None:
        """Run ``months`` months, with the same result as Mesa's ``run_for(months)``.

        When nothing but the monthly step is on Mesa's clock (no other scheduled event, no
        simulator), the months run in compiled calls of up to a year each and the clock is
        then moved on once, which spares a batch run Mesa's per-step bookkeeping. Anything
        else scheduled falls back to ``run_for``.
        """
        if months <= 0:
            return
        clock = self._default_schedule
        if not (self._simulator is None and self._event_generators == {clock}
                and len(self._event_list) == 1
                and clock.next_scheduled_time == self.time + 1):
            self.run_for(months)
            return
        first = self.steps + 1
        self._run(first, first + months - 1)
        clock.stop()
        self.steps += months
        self.time += months
        self._default_schedule = EventGenerator(
            self, self._do_step, Schedule(interval=1.0, start=self.time + 1.0),
            priority=Priority.HIGH).start()

    def _run(self, first: int, last: int) -> None:
        """Months ``first`` to ``last``, a draw year per compiled call at most."""
        s, buffer = self.state, self.event_buffer
        month = first
        while month <= last:
            year, k = divmod(month - 1, BLOCK_MONTHS)
            end = min(last, (year + 1) * BLOCK_MONTHS)
            u_grants, u_turnover, u_coordination, (u_people, starts), u_recruitment = (
                self._year_of_draws(mechanism.draw_year, year) for mechanism in DRAWING)
            month = 1 + _months(
                month, end, k, u_grants, u_turnover, u_coordination, u_people, starts,
                u_recruitment, s.floats, s.ints, s.flags, s.praw, s.iraw, s.scales,
                s.completed_pairs, self.consortium.record, self.grant_table, self.params,
                self.sector_hazard, self.critical, self.senders, self.recv_ptr,
                self.recv_idx, self.arrival_cumulative, self.mat_in, self.lead,
                self.initial_grants_end, self.expected_referrals, buffer.ints,
                buffer.numbers, self.month_room, self.recorder.data, self._spare_row)
            self.flush_events()

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
