"""Scenario files and parameters (config.py, params.py, strategies.py): loading, validation,
overrides, strategies, and the one-line errors that name file, key path, expected and found.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pydantic
import pytest

from consortsim.config import (
    ConfigError,
    Scenario,
    load_scenario,
    parse_value,
    read_yaml,
    with_overrides,
)
from consortsim.params import (
    EVIDENCE_TAGS,
    SECTOR_COLUMNS,
    SECTOR_DEFAULTS,
    SECTORS,
    assumption_paths,
    iter_params,
    lookup,
)
from consortsim.strategies import STRATEGIES, strategy_overrides

ROOT = Path(__file__).resolve().parents[1]
RURAL = ROOT / "scenarios" / "rural_rcorp.yaml"
MINIMAL = {"name": "Minimal", "agencies": [{"name": "Lead Clinic", "sector": "primary_care"},
                                           {"name": "County ED",
                                            "sector": "emergency_department"}]}
NUMERIC = [(path, p) for path, p in iter_params() if p.kind in (int, float)]


def minimal(**changes) -> dict:
    return {**copy.deepcopy(MINIMAL), **changes}


def error_of(data: dict, file: str = "scenario.yaml") -> ConfigError:
    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(data, file)
    return info.value


def section_value(scenario: Scenario, path: str):
    section, name = path.split(".")
    return getattr(getattr(scenario, section), name)


# ---------------------------------------------------------------- parameter declarations


@pytest.mark.parametrize(("path", "p"), iter_params(), ids=[p for p, _ in iter_params()])
def test_every_parameter_is_fully_declared(path, p):
    assert p.unit and p.description and p.source, path
    assert p.evidence in EVIDENCE_TAGS
    if p.kind in (int, float):
        assert p.low <= p.default <= p.high
        assert isinstance(p.default, int if p.integer else float)
    elif p.choices:
        assert p.default in p.choices
    assert lookup(path) is p


def test_sector_table_covers_every_sector_and_column_within_bounds():
    assert set(SECTOR_DEFAULTS) == set(SECTORS)
    for sector, row in SECTOR_DEFAULTS.items():
        assert set(row) == set(SECTOR_COLUMNS)
        for column, value in row.items():
            c = SECTOR_COLUMNS[column]
            assert c.low <= value <= c.high, f"{sector}.{column}"
    assert lookup("sectors.law_enforcement.leader_turnover") is SECTOR_COLUMNS["leader_turnover"]


@pytest.mark.parametrize("path", ["turnover", "turnover.nope", "nope.vacancy_months",
                                  "sectors.hospitl.billing", "sectors.hospital.nope", ""])
def test_lookup_refuses_unknown_paths(path):
    with pytest.raises(KeyError):
        lookup(path)


def test_assumption_paths_are_the_numeric_assumptions():
    paths = assumption_paths()
    assert paths and len(paths) == len(set(paths))
    for path in paths:
        p = lookup(path)
        assert p.evidence == "assumption" and p.kind in (int, float)


def test_defaults_fill_every_section():
    scenario = Scenario.from_dict(minimal())
    for path, p in iter_params():
        assert section_value(scenario, path) == p.default, path


@pytest.mark.parametrize(("path", "p"), NUMERIC, ids=[p for p, _ in NUMERIC])
def test_declared_bounds_are_the_schema_bounds(path, p):
    section, name = path.split(".")
    for value in (p.low, p.high):
        value = int(value) if p.integer else float(value)
        assert section_value(Scenario.from_dict(minimal(**{section: {name: value}})),
                             path) == value
    step = 1 if p.integer else max(1e-6, 1e-6 * abs(p.high - p.low))
    for value, word in ((p.low - step, "greater than or equal"),
                        (p.high + step, "less than or equal")):
        value = int(value) if p.integer else float(value)
        err = error_of(minimal(**{section: {name: value}}))
        assert err.path == path and word in err.expected and err.found == repr(value)


# ---------------------------------------------------------------- loading


def test_the_demo_scenario_loads_frozen():
    scenario = load_scenario(RURAL)
    assert scenario.name == "Rural RCORP consortium" and len(scenario.agencies) == 16
    assert scenario.consortium.lead == "Tri-County Community Health Center"
    with pytest.raises(pydantic.ValidationError):
        scenario.months = 12


def test_a_scenario_round_trips_through_its_dict_with_the_same_hash():
    scenario = load_scenario(RURAL)
    again = Scenario.from_dict(scenario.to_dict())
    assert again == scenario and again.config_hash() == scenario.config_hash()
    changed = with_overrides(scenario, {"turnover.vacancy_months": 2.0})
    assert changed.config_hash() != scenario.config_hash()


def test_extends_merges_the_parent_and_resolves_relative_paths(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "parent.yaml").write_text(
        "name: Parent\nmonths: 60\nturnover: {vacancy_months: 4, hazard_scale: 2}\n"
        "agencies:\n  - {name: A, sector: hospital}\n  - {name: B, sector: mat_clinic}\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: base/parent.yaml\nname: Child\nturnover: {vacancy_months: 8}\n"
                     "agencies:\n  - {name: C, sector: faith}\n")
    scenario = load_scenario(child)
    assert scenario.name == "Child" and scenario.months == 60
    assert scenario.turnover.vacancy_months == 8 and scenario.turnover.hazard_scale == 2
    assert [a.name for a in scenario.agencies] == ["C"]  # lists replace, mappings merge


def test_a_cycle_of_extends_is_refused(tmp_path):
    loop = tmp_path / "loop.yaml"
    loop.write_text("extends: loop.yaml\nname: Loop\n")
    with pytest.raises(ConfigError) as info:
        load_scenario(loop)
    assert info.value.path == "extends" and "at most 8 levels" in info.value.expected


def test_read_yaml_refuses_object_tags_without_running_them(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.yaml"
    path.write_text(f'a: !!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(ConfigError) as info:
        read_yaml(path)
    assert info.value.expected == "valid YAML" and not marker.exists()


@pytest.mark.parametrize(("text", "expected"), [
    ("2", 2), ("2.5", 2.5), ("true", True), ("[a, b]", ["a", "b"]), ("County ED", "County ED"),
    ("facilitated", "facilitated"), ("{a: 1}", {"a": 1}), ("[unclosed", "[unclosed")])
def test_parse_value_reads_command_line_values_as_yaml(text, expected):
    assert parse_value(text) == expected


# ---------------------------------------------------------------- errors


def test_config_error_reads_file_path_expected_found():
    err = ConfigError("s.yaml", "turnover.vacancy_months", "a number", "'six'")
    assert str(err) == "s.yaml: turnover.vacancy_months: expected a number, found 'six'"
    assert str(ConfigError(None, "", "valid YAML", "a tab")) == (
        "<scenario>: expected valid YAML, found a tab")


@pytest.mark.parametrize(("data", "path", "expected", "found"), [
    (minimal(turnover={"vacancy_month": 3}), "turnover.vacancy_month",
     "did you mean 'vacancy_months'?", "unknown key 'vacancy_month'"),
    (minimal(months="twelve"), "months", "a valid integer", "'twelve'"),
    (minimal(months=12.0), "months", "a valid integer", "12.0"),
    (minimal(turnover={"vacancy_months": "6"}), "turnover.vacancy_months", "a valid number",
     "'6'"),
    (minimal(coordination={"external_backbone": "yes"}), "coordination.external_backbone",
     "a valid boolean", "'yes'"),
    (minimal(turnover={"vacancy_months": 40}), "turnover.vacancy_months",
     "less than or equal to 18", "40"),
    (minimal(turnover={"vacancy_months": float("nan")}), "turnover.vacancy_months",
     "less than or equal to 18", "nan"),
    (minimal(referrals={"handoff": "warm"}), "referrals.handoff", "'ed_initiated'", "'warm'"),
    (minimal(agencies=[{"name": "A", "sector": "hospital"}, {"name": "A", "sector": "faith"}]),
     "agencies[1].name", "a unique agency name", "duplicate 'A'"),
    (minimal(agencies=[{"name": "A", "sector": "hospitl"}]), "agencies[0].sector",
     "did you mean 'hospital'?", "'hospitl'"),
    (minimal(agencies=[{"name": "A", "sector": "hospital", "leader": {"commitment": 2}}]),
     "agencies[0].leader.commitment", "less than or equal to 1", "2"),
    (minimal(agencies=[{"name": "A"}]), "agencies[0].sector", "this required key", "nothing"),
    (minimal(agencies=[{"name": "A", "sector": "hospital", "member": False}]), "agencies",
     "at least one member agency", "only prospects"),
    (minimal(consortium={"lead": "Nobody"}), "consortium.lead",
     "the name of a listed agency", "'Nobody'"),
    (minimal(strategies=["sucession_planning"]), "strategies[0]",
     "did you mean 'succession_planning'?", "'sucession_planning'"),
    (minimal(strategies="succession_planning"), "strategies", "a list of strategy names",
     "'succession_planning'"),
    (minimal(synthetic={"agencies": 10}), "agencies", "either agencies or synthetic", ""),
    ({"name": "Nobody"}, "agencies", "a list of agencies, or a synthetic: section", ""),
    ({"name": "X", "synthetic": {"agencies": 10}, "consortium": {"lead": "A"}},
     "consortium.lead", "no lead name for a synthetic consortium", "'A'"),
    (minimal(sectors={"hospital": {"billing": 1.5}}), "sectors.hospital.billing",
     "less than or equal to 1", "1.5"),
    ({"name": "X", "synthetic": {"agencies": 10, "network_seed": -1}},
     "synthetic.network_seed", "greater than or equal to 0", "-1"),
    ({"name": "X", "synthetic": {"agencies": 10, "network_seed": "seven"}},
     "synthetic.network_seed", "a valid integer", "'seven'"),
], ids=lambda v: v if isinstance(v, str) and "." in v else None)
def test_validation_errors_name_the_key_path_expected_and_found(data, path, expected, found):
    err = error_of(data)
    assert err.file == "scenario.yaml" and err.path == path
    assert expected in err.expected and found in err.found
    assert "\n" not in str(err)


def test_an_unknown_sector_name_under_sectors_is_named_by_its_path():
    err = error_of(minimal(sectors={"hospitl": {"billing": 0.5}}))
    assert err.path == "sectors.hospitl" and "did you mean 'hospital'?" in err.expected


def test_an_unknown_sector_column_suggests_the_known_columns():
    err = error_of(minimal(sectors={"hospital": {"biling": 0.5}}))
    assert err.path == "sectors.hospital.biling"
    assert "did you mean 'billing'?" in err.expected


def test_a_misspelt_required_key_is_reported_as_unknown_with_a_suggestion():
    err = error_of(minimal(grants=[{"name": "g", "months": 12, "amout": 5.0}]))
    assert err.path == "grants[0].amout" and "did you mean 'amount_per_year'?" in err.expected


# ---------------------------------------------------------------- overrides and strategies


def test_with_overrides_changes_values_by_dotted_path_and_keeps_the_original():
    scenario = load_scenario(RURAL)
    changed = with_overrides(scenario, {
        "turnover.vacancy_months": 2.0, "agencies.County Jail.capacity": 5.0,
        "sectors.faith.belief_distance": 0.1, "consortium.coordinator_skill": 0.9,
        "months": 24})
    assert changed.turnover.vacancy_months == 2.0 and changed.months == 24
    assert next(a for a in changed.agencies if a.name == "County Jail").capacity == 5.0
    assert changed.sector_value("faith", "belief_distance") == 0.1
    assert changed.consortium.coordinator_skill == 0.9
    assert scenario == load_scenario(RURAL)


@pytest.mark.parametrize(("overrides", "path", "expected"), [
    ({"turnover.vacancy_months": 99.0}, "turnover.vacancy_months", "less than or equal"),
    ({"turnover.nope": 1}, "turnover.nope", "a known key"),
    ({"agencies.Nobody.capacity": 1.0}, "agencies.Nobody.capacity", "an agency name"),
    ({"vacancy_months": 1.0}, "vacancy_months", "a dotted key path"),
    ({"strategies": ["nope"]}, "strategies[0]", "one of"),
])
def test_with_overrides_validates_again(overrides, path, expected):
    with pytest.raises(ConfigError) as info:
        with_overrides(load_scenario(RURAL), overrides, source="sweep.csv row 3")
    assert info.value.file == "sweep.csv row 3" and info.value.path == path
    assert expected in info.value.expected


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_changes_declared_parameters_to_valid_values(name):
    overrides = strategy_overrides(name)
    assert overrides
    base = Scenario.from_dict(minimal())
    applied = Scenario.from_dict(minimal(strategies=[name]))
    assert applied.strategies == (name,)
    for path, value in overrides.items():
        lookup(path)  # declared
        assert section_value(applied, path) == value
        assert section_value(with_overrides(base, {"strategies": [name]}), path) == value


def test_a_value_the_scenario_states_wins_over_a_strategys():
    data = minimal(strategies=["succession_planning"], turnover={"vacancy_months": 9.0})
    scenario = Scenario.from_dict(data)
    assert scenario.turnover.vacancy_months == 9.0
    assert scenario.turnover.personal_retained == 0.6  # the strategy's other changes apply


def test_strategy_overrides_are_copies():
    strategy_overrides("pooled_fund")["funding.pooled_share"] = 0.3
    assert strategy_overrides("pooled_fund")["funding.pooled_share"] == 0.1


def test_overrides_keep_earlier_strategies_and_add_new_ones():
    scenario = Scenario.from_dict(minimal(strategies=["pooled_fund"]))
    both = with_overrides(scenario, {"strategies": ["warm_handoffs"]})
    assert both.strategies == ("pooled_fund", "warm_handoffs")
    assert both.funding.pooled_share == 0.1 and both.referrals.handoff == "facilitated"


# ---------------------------------------------------------------- synthetic consortiums


def test_a_synthetic_consortium_is_generated_from_the_seed():
    from consortsim.model import ConsortiumModel

    scenario = Scenario.from_dict({"name": "Synthetic", "synthetic": {
        "agencies": 40, "member_share": 0.5, "sector_mix": {"mat_clinic": 1, "faith": 1}}})
    first, again = ConsortiumModel(scenario, seed=3), ConsortiumModel(scenario, seed=3)
    other = ConsortiumModel(scenario, seed=4)
    assert first.state.n == 40 and len(set(first.state.names)) == 40
    assert {a.sector for a in first.agencies} == {"mat_clinic", "faith"}
    assert first.state.names == again.state.names
    assert (first.state.capacity == again.state.capacity).all()
    assert not (first.state.capacity == other.state.capacity).all()
    assert first.agencies[first.lead].status == "member"


def test_a_network_seed_holds_one_synthetic_network_across_runs():
    from consortsim.model import ConsortiumModel
    from consortsim.run import simulate

    scenario = Scenario.from_dict({"name": "Fixed", "synthetic": {
        "agencies": 30, "network_seed": 7}})
    first, other = ConsortiumModel(scenario, seed=3), ConsortiumModel(scenario, seed=4)
    assert first.state.names == other.state.names and first.lead == other.lead
    for block in ("floats", "ints", "flags", "praw", "iraw"):
        np.testing.assert_array_equal(getattr(first.state, block),
                                      getattr(other.state, block))
    # the same network lives different months on different seeds
    a, b = simulate(scenario, seed=3, months=36), simulate(scenario, seed=4, months=36)
    assert not a.timeseries.equals(b.timeseries)
    moved = Scenario.from_dict({"name": "Fixed", "synthetic": {
        "agencies": 30, "network_seed": 8}})
    assert not np.array_equal(ConsortiumModel(moved, seed=3).state.capacity,
                              first.state.capacity)


def test_sector_column_is_the_sector_values_in_sector_order_and_follows_the_sectors():
    from consortsim.params import SECTORS

    scenario = Scenario.from_dict({"name": "s", "synthetic": {"agencies": 10},
                                   "sectors": {"hospital": {"entry_rate": 9.0}}})
    column = scenario.sector_column("entry_rate")
    assert column.tolist() == [scenario.sector_value(s, "entry_rate") for s in SECTORS]
    assert column[SECTORS.index("hospital")] == 9.0
    assert not column.flags.writeable
    other = scenario.model_copy(update={"sectors": {}})  # a copy with other sectors
    assert other.sector_column("entry_rate")[SECTORS.index("hospital")] != 9.0
    assert scenario.sector_column("entry_rate")[SECTORS.index("hospital")] == 9.0
