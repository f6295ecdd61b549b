"""Scenario files: YAML in, a validated and frozen ``Scenario`` out.

A scenario states its story and what differs from the declared defaults (``params.py``).
Loading goes YAML (safe loader) -> ``extends`` merged -> strategies applied -> pydantic
validation. Every problem becomes a ``ConfigError`` naming the file, the dotted key path,
what was expected and what was found. ``with_overrides`` is the one way to change a loaded
scenario (CLI ``--set``, sweep rows, workshop sliders); it validates again.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    ValidationError,
    create_model,
    model_validator,
)

from consortsim.params import SECTIONS, SECTOR_COLUMNS, SECTORS, Param

Sector = Literal[SECTORS]  # type: ignore[valid-type]


class ConfigError(ValueError):
    """A scenario or experiment file that cannot be used, with where and why."""

    def __init__(self, file: str | Path | None, path: str, expected: str, found: str) -> None:
        self.file = str(file) if file is not None else "<scenario>"
        self.path = path
        self.expected = expected
        self.found = found
        where = f"{self.file}: {path}" if path else self.file
        super().__init__(f"{where}: expected {expected}, found {found}")


_FROZEN = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Frozen(BaseModel):
    model_config = _FROZEN


def _section_model(section: str, params: dict[str, Param]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, p in params.items():
        kind: Any
        if p.choices:
            kind = Literal[p.choices]  # type: ignore[valid-type]
        elif p.kind is bool:
            kind = StrictBool
        elif p.kind is int:
            kind = StrictInt
        else:
            kind = float
        fields[name] = (kind, Field(p.default, ge=p.low, le=p.high, description=p.description))
    title = "".join(w.title() for w in section.split("_")) + "Params"
    return create_model(title, __config__=_FROZEN, **fields)


SECTION_MODELS: dict[str, type[BaseModel]] = {s: _section_model(s, p) for s, p in SECTIONS.items()}
GrantCycleParams: Any = SECTION_MODELS["grant_cycle"]
TurnoverParams: Any = SECTION_MODELS["turnover"]
CoordinationParams: Any = SECTION_MODELS["coordination"]
ReferralsParams: Any = SECTION_MODELS["referrals"]
FundingParams: Any = SECTION_MODELS["funding"]
EngagementParams: Any = SECTION_MODELS["engagement"]
RecruitmentParams: Any = SECTION_MODELS["recruitment"]
SustainParams: Any = SECTION_MODELS["sustain"]

_sector_fields: dict[str, Any] = {
    name: (float | None, Field(None, ge=c.low, le=c.high, description=c.description))
    for name, c in SECTOR_COLUMNS.items()
}
SectorOverride = create_model("SectorOverride", __config__=_FROZEN, **_sector_fields)


class Leader(_Frozen):
    """The person who speaks for an agency in the consortium."""

    present: StrictBool = True
    commitment: float = Field(0.7, ge=0, le=1, description="commitment to the mission, 0-1")
    experience: float = Field(0.5, ge=0, le=1, description="community experience, 0-1")
    tenure_months: StrictInt = Field(24, ge=0, le=600)


class AgencySpec(_Frozen):
    """One agency named in a scenario."""

    name: str = Field(min_length=1)
    sector: Sector
    member: StrictBool = True
    capacity: float = Field(10.0, ge=0, le=100_000, description="service slots a month")
    mat_slots: float | None = Field(None, ge=0, le=100_000)
    reserves_months: float = Field(3.0, ge=0, le=120, description="reserves in months of cost")
    billing: float | None = Field(None, ge=0, le=1)
    entry_rate: float | None = Field(None, ge=0, le=10_000)
    belief_distance: float | None = Field(None, ge=0, le=1)
    infrastructure: float = Field(0.5, ge=0, le=1)
    engagement: float = Field(0.6, ge=0, le=1)
    leader: Leader = Leader()


class SyntheticSpec(_Frozen):
    """A consortium generated from the seed, by size and sector mix.

    By default each run generates its own network from its seed (a replicate is another
    network); ``network_seed`` holds one network fixed across runs and replicates.
    """

    agencies: StrictInt = Field(ge=4, le=20_000)
    member_share: float = Field(0.7, ge=0.05, le=1)
    sector_mix: dict[Sector, float] = Field(default_factory=dict)
    capacity_mean: float = Field(12.0, gt=0, le=10_000)
    commitment_mean: float = Field(0.65, ge=0, le=1)
    experience_mean: float = Field(0.5, ge=0, le=1)
    infrastructure_mean: float = Field(0.5, ge=0, le=1)
    network_seed: StrictInt | None = Field(
        None, ge=0, description="generate the agencies and their first ties from this seed "
        "instead of each run's, so every run and replicate shares one network")


class GrantSpec(_Frozen):
    """A grant on the consortium's funding plan."""

    name: str = Field(min_length=1)
    start: StrictInt = Field(0, ge=0, le=600, description="month the grant starts")
    months: StrictInt = Field(ge=1, le=600)
    amount_per_year: float = Field(ge=0, le=1e9, description="USD a year at full spending")
    to_members: float = Field(0.6, ge=0, le=1, description="share passed to member agencies")
    ramp: StrictBool = Field(True, description="spending ramps up (new programme)")


class ConsortiumSpec(_Frozen):
    """The consortium as a whole: lead agency, coordinator, needs assessment."""

    lead: str | None = None
    coordinator: StrictBool = True
    coordinator_skill: float = Field(0.7, ge=0, le=1)
    critical_sectors: tuple[Sector, ...] = Field((), strict=False)
    initial_trust: float = Field(0.15, ge=0, le=1, description="personal trust between members")
    prior_ties: float = Field(0.2, ge=0, le=1, description="share of pairs with past work")
    prior_trust: float = Field(0.4, ge=0, le=1, description="trust on pairs with past work")
    shared_measures: StrictBool = False


class Scenario(_Frozen):
    """A validated, frozen scenario. Build with ``load_scenario`` or ``Scenario.from_dict``."""

    name: str = Field(min_length=1)
    description: str = ""
    seed: StrictInt = Field(0, ge=0)
    months: StrictInt = Field(120, ge=1, le=600)
    strategies: tuple[str, ...] = Field((), strict=False)
    consortium: ConsortiumSpec = ConsortiumSpec()
    agencies: tuple[AgencySpec, ...] = Field((), strict=False)
    synthetic: SyntheticSpec | None = None
    grants: tuple[GrantSpec, ...] = Field((), strict=False)
    sectors: dict[Sector, SectorOverride] = Field(default_factory=dict)  # type: ignore[valid-type]
    grant_cycle: GrantCycleParams = GrantCycleParams()
    turnover: TurnoverParams = TurnoverParams()
    coordination: CoordinationParams = CoordinationParams()
    referrals: ReferralsParams = ReferralsParams()
    funding: FundingParams = FundingParams()
    engagement: EngagementParams = EngagementParams()
    recruitment: RecruitmentParams = RecruitmentParams()
    sustain: SustainParams = SustainParams()
    # per-sector parameter columns, kept with the sectors they were computed from
    _sector_columns: tuple[Any, dict[str, np.ndarray]] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if not self.agencies and self.synthetic is None:
            raise ValueError("agencies: a list of agencies, or a synthetic: section")
        if self.agencies and self.synthetic is not None:
            raise ValueError("agencies: either agencies or synthetic, not both")
        seen: set[str] = set()
        for i, a in enumerate(self.agencies):
            if a.name in seen:
                raise ValueError(f"agencies[{i}].name: a unique agency name|duplicate {a.name!r}")
            seen.add(a.name)
        lead = self.consortium.lead
        if lead is not None and self.agencies and lead not in seen:
            raise ValueError(f"consortium.lead: the name of a listed agency|{lead!r}")
        if lead is not None and self.synthetic is not None:
            raise ValueError("consortium.lead: no lead name for a synthetic consortium|"
                             f"{lead!r}")
        if self.agencies and not any(a.member for a in self.agencies):
            raise ValueError("agencies: at least one member agency|only prospects")
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any], file: str | Path | None = None) -> Scenario:
        """Validate a plain mapping (strategies applied) into a Scenario."""
        return _validate(data, file)

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready mapping that ``from_dict`` turns back into this scenario."""
        return self.model_dump(mode="json")

    def config_hash(self) -> str:
        """A short hash of the resolved scenario: equal configs, equal hashes."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def sector_column(self, column: str) -> np.ndarray:
        """A per-sector parameter for every sector, in SECTORS order (read-only)."""
        cached = self._sector_columns
        if cached is None or cached[0] is not self.sectors:  # a copy with other sectors
            cached = (self.sectors, {})
            self._sector_columns = cached
        values = cached[1].get(column)
        if values is None:
            values = np.array([self.sector_value(sector, column) for sector in SECTORS])
            values.flags.writeable = False
            cached[1][column] = values
        return values

    def sector_value(self, sector: str, column: str) -> float:
        """A per-sector parameter, with the scenario's override if it has one."""
        from consortsim.params import SECTOR_DEFAULTS

        override = self.sectors.get(sector)  # type: ignore[call-overload]
        value = getattr(override, column, None) if override is not None else None
        return SECTOR_DEFAULTS[sector][column] if value is None else value


# ---------------------------------------------------------------- loading and errors


def _yaml_error(file: Path, exc: yaml.YAMLError) -> ConfigError:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the file"
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return ConfigError(file, "", "valid YAML", f"{problem} at {where}")


def read_yaml(file: str | Path) -> dict[str, Any]:
    """Read a YAML mapping safely (no object tags), with clear errors."""
    file = Path(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(file, "", "an existing file", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(file, "", "a readable UTF-8 text file", str(exc)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(file, exc) from None
    if data is None:
        raise ConfigError(file, "", "a YAML mapping of scenario keys", "an empty file")
    if not isinstance(data, dict):
        raise ConfigError(file, "", "a YAML mapping of keys", type(data).__name__)
    return data


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge mappings; lists and scalars in ``top`` replace those in ``base``."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve_extends(data: dict[str, Any], file: Path, depth: int = 0) -> dict[str, Any]:
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(file, "extends", "a path to another scenario file", repr(parent))
    if depth > 8:
        raise ConfigError(file, "extends", "at most 8 levels of extends", "a deeper chain")
    parent_file = (file.parent / parent).resolve()
    base = _resolve_extends(read_yaml(parent_file), parent_file, depth + 1)
    return _merge(base, data)


def load_scenario(file: str | Path) -> Scenario:
    """Load, merge (``extends``), apply strategies and validate a scenario file."""
    file = Path(file)
    data = _resolve_extends(read_yaml(file), file)
    return _validate(data, file)


def _apply_strategies(data: dict[str, Any], file: str | Path | None) -> dict[str, Any]:
    from consortsim.strategies import STRATEGIES, strategy_overrides

    names = data.get("strategies") or []
    if not isinstance(names, list | tuple):
        raise ConfigError(file, "strategies", "a list of strategy names", repr(names))
    overrides: dict[str, Any] = {}
    for i, name in enumerate(names):
        if name not in STRATEGIES:
            raise ConfigError(file, f"strategies[{i}]", _one_of(STRATEGIES, name), repr(name))
        overrides.update(strategy_overrides(name))
    out = dict(data)
    for path, value in overrides.items():
        _set_path(out, path.split("."), value, file, path, keep_explicit=True)
    return out


def _one_of(options: Any, found: Any) -> str:
    opts = sorted(str(o) for o in options)
    close = difflib.get_close_matches(str(found), opts, n=1)
    if not close:  # a mangled start of a long key: 'amout' for 'amount_per_year'
        heads = {o[:max(len(str(found)), 4)]: o for o in opts}
        close = [heads[h] for h in difflib.get_close_matches(str(found), list(heads), n=1)]
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    shown = ", ".join(opts) if len(opts) <= 16 else ", ".join(opts[:16]) + ", ..."
    return f"one of {shown}{hint}"


def _validate(data: dict[str, Any], file: str | Path | None) -> Scenario:
    data = _apply_strategies(data, file)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, file) from None
    except ValueError as exc:  # pragma: no cover - pydantic wraps validators
        raise ConfigError(file, "", "a consistent scenario", str(exc)) from None


def _loc_path(loc: tuple[Any, ...]) -> str:
    """pydantic's error location as a dotted key path: ``agencies[2].leader.commitment``."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int) and parts:
            parts[-1] = f"{parts[-1]}[{item}]"
        elif isinstance(item, int):
            parts.append(f"[{item}]")
        elif item != "[key]" and not str(item).startswith(("function", "union", "literal")):
            parts.append(str(item))
    return ".".join(parts)


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed where an unknown key was found, for "did you mean"."""
    model: Any = Scenario
    items = [i for i in loc[:-1] if not isinstance(i, int)]
    skip_next = False
    for item in items:
        if skip_next:  # the key of a mapping of models, e.g. a sector name
            skip_next = False
            continue
        field = getattr(model, "model_fields", {}).get(item)
        if field is None:
            return []
        ann = field.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        if getattr(ann, "__origin__", None) is dict:
            candidates = list(getattr(ann, "__args__", ()))[1:]
            skip_next = True
        model = next((c for c in candidates
                      if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return []
    return list(getattr(model, "model_fields", {}))


def _first_error(exc: ValidationError, file: str | Path | None) -> ConfigError:
    errors = exc.errors(include_url=False)
    # An unknown key explains the other errors (a typo of a required key), so it goes first.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(err["loc"])
    path = _loc_path(loc)
    kind = err["type"]
    found = err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc)
        expected = _one_of(allowed, loc[-1]) if allowed else "no such key"
        return ConfigError(file, path, f"a known key: {expected}", f"unknown key {loc[-1]!r}")
    if kind == "missing":
        return ConfigError(file, path, "this required key", "nothing")
    if kind == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
        where, _, rest = msg.partition(": ")
        expected, _, got = rest.partition("|")
        return ConfigError(file, where, expected, got or "something else")
    if kind == "literal_error":
        expected = str(err["msg"]).removeprefix("Input should be ")
        if f"'{SECTORS[0]}'" in expected:  # a sector name: list them with a suggestion
            expected = _one_of(SECTORS, found)
        return ConfigError(file, path, expected, repr(found))
    if kind == "string_too_short":
        return ConfigError(file, path, "a non-empty text", repr(found))
    expected = str(err["msg"]).removeprefix("Input should be ").removeprefix("Value error, ")
    return ConfigError(file, path, expected, f"{found!r}")


# ---------------------------------------------------------------- overrides


def _set_path(data: dict[str, Any], keys: list[str], value: Any, file: Any, path: str,
              keep_explicit: bool = False) -> None:
    node: Any = data
    for i, key in enumerate(keys[:-1]):
        if key == "agencies" and isinstance(node.get(key), list | tuple):
            name = keys[i + 1]
            agencies = [dict(a) for a in node[key]]
            node[key] = agencies
            match = [a for a in agencies if a.get("name") == name]
            if not match:
                names = [a.get("name") for a in agencies]
                raise ConfigError(file, path, f"an agency name: {_one_of(names, name)}",
                                  repr(name))
            _set_path(match[0], keys[i + 2:], value, file, path, keep_explicit)
            return
        child = node.get(key)
        child = dict(child) if isinstance(child, dict) else {}
        node[key] = child
        node = child
    if keep_explicit and keys[-1] in node:
        return  # a value the scenario states itself wins over a strategy's
    node[keys[-1]] = value


def parse_value(text: str) -> Any:
    """Parse a command-line value as YAML would (numbers, booleans, lists, strings)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def with_overrides(scenario: Scenario, overrides: dict[str, Any],
                   source: str | Path | None = None) -> Scenario:
    """A new scenario with values changed by dotted key path, validated again.

    Args:
        scenario: the scenario to start from (unchanged).
        overrides: ``{"turnover.vacancy_months": 2, "agencies.County Hospital.capacity": 30}``.
        source: where the overrides came from, for error messages.
    """
    from consortsim.strategies import STRATEGIES, strategy_overrides

    data = scenario.to_dict()
    data["strategies"] = []  # already applied to the values in data
    applied = list(scenario.strategies)
    for path, value in overrides.items():
        if path != "strategies":
            continue
        for i, name in enumerate(value if isinstance(value, list | tuple) else [value]):
            if name not in STRATEGIES:
                raise ConfigError(source, f"strategies[{i}]", _one_of(STRATEGIES, name),
                                  repr(name))
            if name not in applied:
                applied.append(name)
                for spath, svalue in strategy_overrides(name).items():
                    _set_path(data, spath.split("."), svalue, source, spath)
    for path, value in overrides.items():
        if path == "strategies":
            continue
        keys = path.split(".")
        if len(keys) < 2 and keys[0] not in Scenario.model_fields:
            raise ConfigError(source, path, "a dotted key path such as turnover.vacancy_months",
                              repr(path))
        _set_path(data, keys, value, source, path)
    out = _validate(data, source)
    return out.model_copy(update={"strategies": tuple(applied)}) if applied else out
