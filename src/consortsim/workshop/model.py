"""The workshop model: one consortium run twice on the same seed, for a room to compare.

``WorkshopModel`` is what Mesa's SolaraViz steps, and re-creates on Reset from the controls.
Its keyword arguments are the handful of knobs a workshop turns (``KNOBS``); it turns them
into a scenario with ``consortsim.config.with_overrides`` and owns two ``ConsortiumModel``
runs on the same seed:

- ``actual`` ("as it happens") receives the departures the trainer triggers;
- ``baseline`` is the same consortium without those departures or, when the trainer picks a
  strategy to compare with, the same consortium plus that strategy, receiving the same
  departures.

Every mechanism draws from its own named random stream of the run seed (``consortsim.rng``),
so the two runs share every draw and differ only by what the trainer did (common random
numbers). Slider ranges, defaults and units come from the parameter declarations
(``consortsim.params``); a knob left at its default leaves the scenario exactly as written.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from consortsim import kernels
from consortsim.config import ConfigError, Scenario, load_scenario, with_overrides
from consortsim.model import ConsortiumModel
from consortsim.params import SECTORS, lookup
from consortsim.state import MEMBER
from consortsim.strategies import STRATEGIES

#: Environment variable naming the scenario file the page opens (set by ``consortsim workshop``).
SCENARIO_ENV = "CONSORTSIM_WORKSHOP_SCENARIO"
DEFAULT_SCENARIO = Path("scenarios") / "rural_rcorp.yaml"
COORDINATOR = "coordinator"
#: The comparison that shows what the trainer's departures alone caused.
WITHOUT_DEPARTURES = "Without the departures you trigger"
#: Grant lengths a workshop compares, in years: STR 2, RCORP-I 3, DFC and RCORP-RCOE 5
#: (domain-evidence 2.7). The scenario schema itself allows 1-600 months.
GRANT_YEARS_RANGE = (1, 6)
DEPARTURE_KINDS = ("leader_left", "coordinator_left", "manual_departure")


@dataclass(frozen=True)
class Knob:
    """One workshop control, bound to a declared parameter or a named strategy.

    Attributes:
        name: keyword argument of ``WorkshopModel``.
        target: a dotted parameter path, ``strategy:<name>`` or ``grant_years``.
        title: the words on screen; the unit is added from the declaration.
        step: slider step (floats only).
    """

    name: str
    target: str
    title: str
    step: float = 0.05


KNOBS: tuple[Knob, ...] = (
    Knob("turnover_scale", "turnover.hazard_scale", "Leader turnover"),
    Knob("succession_planning", "strategy:succession_planning", ""),
    Knob("formalised_relationships", "strategy:formalised_relationships", ""),
    Knob("meetings_per_year", "coordination.meetings_per_year", "Meetings"),
    Knob("billing_capacity", "funding.billing_ceiling", "Billing capacity built", 0.05),
    Knob("grant_years", "grant_years", "Main grant length"),
)
_KNOB = {k.name: k for k in KNOBS}


def default_scenario_path() -> Path:
    """The scenario the page opens: ``$CONSORTSIM_WORKSHOP_SCENARIO`` or the rural demo."""
    named = os.environ.get(SCENARIO_ENV)
    if named:
        return Path(named)
    here = Path.cwd() / DEFAULT_SCENARIO
    if here.is_file():
        return here
    return Path(__file__).resolve().parents[3] / DEFAULT_SCENARIO  # a source checkout


def compare_options() -> list[str]:
    """What the right-hand panel can show: no trainer departures, or one strategy added."""
    return [WITHOUT_DEPARTURES] + [f"With {s.title.lower()}" for s in STRATEGIES.values()]


def _strategy_of(option: str) -> str | None:
    for name, s in STRATEGIES.items():
        if option == f"With {s.title.lower()}":
            return name
    return None


def _unit_words(unit: str) -> str:
    return {"multiplier": "x sector rates", "/year": "a year", "fraction": "share"}.get(unit, unit)


def knob_value(scenario: Scenario, knob: Knob) -> Any:
    """The value a knob shows for a scenario as written."""
    if knob.target.startswith("strategy:"):
        return knob.target.split(":", 1)[1] in scenario.strategies
    if knob.target == "grant_years":
        return max(1, round(scenario.grants[-1].months / 12)) if scenario.grants else 0
    section, name = knob.target.split(".")
    return getattr(getattr(scenario, section), name)


def _knob_control(scenario: Scenario, knob: Knob) -> dict[str, Any] | None:
    value = knob_value(scenario, knob)
    if knob.target.startswith("strategy:"):
        title = STRATEGIES[knob.target.split(":", 1)[1]].title
        return {"type": "Checkbox", "value": value, "label": title}
    if knob.target == "grant_years":
        if not scenario.grants:
            return None
        low, high = GRANT_YEARS_RANGE
        return {"type": "SliderInt", "value": value, "min": min(low, value),
                "max": max(high, value), "step": 1, "label": f"{knob.title} (years)"}
    p = lookup(knob.target)
    label = f"{knob.title} ({_unit_words(p.unit)})"
    if getattr(p, "integer", False):
        return {"type": "SliderInt", "value": int(value), "min": int(p.low), "max": int(p.high),
                "step": 1, "label": label}
    return {"type": "SliderFloat", "value": float(value), "min": float(p.low),
            "max": float(p.high), "step": knob.step, "label": label}


def model_params(scenario_file: str | Path | None = None) -> dict[str, Any]:
    """SolaraViz ``model_params``: the knobs with the scenario's values, a seed box, a compare
    menu, and the scenario file as a fixed parameter."""
    path = Path(scenario_file) if scenario_file else default_scenario_path()
    scenario = load_scenario(path)
    params: dict[str, Any] = {"scenario_file": str(path)}
    params["seed"] = {"type": "InputText", "value": str(scenario.seed),
                      "label": "Seed (same seed, same story)"}
    for knob in KNOBS:
        control = _knob_control(scenario, knob)
        if control is not None:
            params[knob.name] = control
    params["compare"] = {"type": "Select", "value": WITHOUT_DEPARTURES,
                         "values": compare_options(), "label": "Right-hand panel"}
    return params


def knob_overrides(scenario: Scenario, values: dict[str, Any]) -> dict[str, Any]:
    """``with_overrides`` arguments for the knobs that differ from the scenario as written."""
    overrides: dict[str, Any] = {}
    strategies = [k.target.split(":", 1)[1] for name, v in values.items()
                  if v and (k := _KNOB[name]).target.startswith("strategy:")]
    if strategies:
        overrides["strategies"] = strategies
    for name, value in values.items():
        knob = _KNOB[name]
        if value is None or knob.target.startswith("strategy:"):
            continue
        current = knob_value(scenario, knob)
        if isinstance(current, float) and math.isclose(float(value), current, abs_tol=1e-9):
            continue
        if current == value:
            continue
        if knob.target == "grant_years":
            overrides["grants"] = _with_grant_years(scenario, int(value))
        else:
            kind = int if getattr(lookup(knob.target), "integer", False) else float
            overrides[knob.target] = kind(value)
    return overrides


def _with_grant_years(scenario: Scenario, years: int) -> list[dict[str, Any]]:
    """The scenario's grants with the last (main) one lasting ``years``."""
    grants = [g.model_dump(mode="json") for g in scenario.grants]
    if grants:
        grants[-1]["months"] = int(years) * 12
    return grants


def parse_seed(text: str | int | None, fallback: int) -> tuple[int, str | None]:
    """A seed from the seed box: (seed, None) or (fallback, a notice for the room)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return fallback, None
    try:
        seed = int(str(text).strip().replace(",", "").replace("_", ""))
    except ValueError:
        seed = -1
    if seed < 0:
        return fallback, f"Seed {str(text)!r} is not a whole number of 0 or more; using {fallback}."
    return seed, None


class WorkshopModel(mesa.Model):
    """Two runs of one consortium on one seed: as it happens, and the comparison.

    Args:
        scenario_file: the scenario YAML (default: ``default_scenario_path()``).
        seed: the run seed, as typed in the seed box (default: the scenario's seed).
        turnover_scale: ``turnover.hazard_scale`` (None: as the scenario says).
        succession_planning: add the ``succession_planning`` strategy.
        formalised_relationships: add the ``formalised_relationships`` strategy.
        meetings_per_year: ``coordination.meetings_per_year``.
        billing_capacity: ``funding.billing_ceiling``.
        grant_years: length of the scenario's last (main) grant, in years.
        compare: the right-hand panel, one of ``compare_options()``.
        months: horizon (default: the scenario's).
    """

    def __init__(
        self,
        scenario_file: str = "",
        seed: str | int | None = None,
        turnover_scale: float | None = None,
        succession_planning: bool | None = None,
        formalised_relationships: bool | None = None,
        meetings_per_year: int | None = None,
        billing_capacity: float | None = None,
        grant_years: int | None = None,
        compare: str = WITHOUT_DEPARTURES,
        months: int | None = None,
    ) -> None:
        self.scenario_path = Path(scenario_file) if scenario_file else default_scenario_path()
        base = load_scenario(self.scenario_path)
        self.notices: list[str] = []
        run_seed, notice = parse_seed(seed, base.seed)
        if notice:
            self.notices.append(notice)
        super().__init__(rng=run_seed)
        self.run_seed = run_seed
        knobs = {"turnover_scale": turnover_scale, "succession_planning": succession_planning,
                 "formalised_relationships": formalised_relationships,
                 "meetings_per_year": meetings_per_year, "billing_capacity": billing_capacity,
                 "grant_years": grant_years}
        self.config = self._configure(base, knobs)
        self.knob_values = {k.name: knob_value(self.config, k) for k in KNOBS}
        self.compare = compare if compare in compare_options() else WITHOUT_DEPARTURES
        self.compare_strategy = _strategy_of(self.compare)
        self.actual = ConsortiumModel(self.config, seed=run_seed, months=months)
        self.baseline = ConsortiumModel(self._baseline_config(), seed=run_seed, months=months)
        self.horizon = self.actual.months
        self.triggered: list[tuple[int, str]] = []  # (month, who) of the trainer's departures
        self.revision = 0  # bumped on every change a figure must show
        self.running = True
        # Play steps in a worker thread while the button's click arrives on another one: a
        # departure must fall between two months, never inside one.
        self._lock = threading.Lock()

    def _configure(self, base: Scenario, knobs: dict[str, Any]) -> Scenario:
        for name, value in knobs.items():
            target = _KNOB[name].target
            if value is False and target.startswith("strategy:") and knob_value(base, _KNOB[name]):
                self.notices.append(f"{self.scenario_path.name} itself lists "
                                    f"{target.split(':', 1)[1]}: it stays on.")
        overrides = knob_overrides(base, knobs)
        if not overrides:
            return base
        try:
            return with_overrides(base, overrides, source=f"{self.scenario_path} (workshop)")
        except ConfigError as exc:  # a slider outside what this scenario accepts
            self.notices.append(f"{exc}; the scenario runs as written.")
            return base

    def _baseline_config(self) -> Scenario:
        if self.compare_strategy is None:
            return self.config
        if self.compare_strategy in self.config.strategies:
            self.notices.append(f"The left panel already has {self.compare.lower()[5:]}: "
                                "both panels run the same settings.")
        return with_overrides(self.config, {"strategies": [self.compare_strategy]})

    @property
    def month(self) -> int:
        """The month both panels have reached (0 before the first Step)."""
        return self.actual.month

    @property
    def compares_departures(self) -> bool:
        """True when the right-hand panel is the same run without the trainer's departures."""
        return self.compare_strategy is None

    @property
    def baseline_title(self) -> str:
        """The right-hand panel's heading."""
        return WITHOUT_DEPARTURES.replace("you trigger", "you triggered") \
            if self.compares_departures else f"As it happens, {self.compare.lower()}"

    def step(self) -> None:
        """One month in both panels; stops at the horizon."""
        with self._lock:
            if self.month >= self.horizon:
                self.running = False
                return
            self.actual.step()
            self.baseline.step()
            self.revision += 1
            self.running = self.month < self.horizon

    def leader_leaves(self, who: str) -> str:
        """Make an agency's leader (``who`` = its name) or the coordinator leave now.

        The departure goes to the "as it happens" panel, and to the comparison too when that
        panel compares a strategy. Returns the sentence for the event feed.

        Raises:
            ValueError: ``who`` is neither an agency of this consortium nor ``"coordinator"``.
        """
        with self._lock:
            return self._leader_leaves(who)

    def _leader_leaves(self, who: str) -> str:
        s = self.actual.state
        if who != COORDINATOR and who not in s.names:
            raise ValueError(f"no agency called {who!r} in {self.config.name}")
        if who == COORDINATOR and not self.actual.consortium.coordinator_present:
            return f"Month {self.month}: the coordinator's seat is already vacant."
        if who != COORDINATOR and not s.leader_present[s.names.index(who)]:
            return f"Month {self.month}: the leader's seat at {who} is already vacant."
        seen = len(self.actual.events)
        targets = [self.actual] if self.compares_departures else [self.actual, self.baseline]
        for model in targets:
            model.leader_leaves(who)
            # The departure happens at the end of this month: the month's row shows it now.
            model.recorder.record(model, model.month)
        self.triggered.append((self.month, who))
        self.revision += 1
        said = [e.text for e in self.actual.events[seen:] if e.kind == "manual_departure"]
        return f"Month {self.month}: " + " ".join(said or [f"{who} left."])

    def departure_choices(self) -> list[tuple[str, str]]:
        """(value, label) pairs for the "a leader leaves" menu: coordinator, then members."""
        s = self.actual.state
        choices = [(COORDINATOR, "The consortium coordinator")]
        for i in np.flatnonzero(s.status == MEMBER):
            role = SECTORS[int(s.sector[i])].replace("_", " ")
            choices.append((s.names[i], f"{s.names[i]} ({role})"))
        return choices


def panel_stats(model: ConsortiumModel) -> dict[str, float]:
    """What a panel's caption says about a run now."""
    s, c = model.state, model.consortium
    members = s.status == MEMBER
    engaged = members & (s.engagement >= model.config.engagement.engaged_threshold)
    personal, institutional, _ = kernels.pair_stats(
        s.personal.raw, s.personal.scale, s.institutional.raw, s.institutional.scale,
        np.flatnonzero(members))  # the same measure as the recorded trust metrics
    return {
        "month": float(model.month),
        "members": float(members.sum()),
        "engaged": float(engaged.sum()),
        "trust_personal": personal,
        "trust_institutional": institutional,
        "vacant": float((members & ~s.leader_present).sum()),
        "coordinator": float(c.coordinator_present),
        "people_linked": float(c.people_linked),
        "dissolved": float(c.dissolved),
    }


def difference(model: WorkshopModel) -> dict[str, float]:
    """As it happens minus the comparison, now: what the room's event (or strategy) changed."""
    a, b = panel_stats(model.actual), panel_stats(model.baseline)
    return {key: a[key] - b[key] for key in ("trust_personal", "trust_institutional",
                                             "engaged", "people_linked", "vacant")}


def departures(model: ConsortiumModel) -> list[tuple[int, str, bool]]:
    """(month, agency, triggered by the trainer) of every departure in a run."""
    return [(e.month, e.agency, e.kind == "manual_departure")
            for e in model.events if e.kind in DEPARTURE_KINDS]
