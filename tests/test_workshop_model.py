"""The workshop model behind the browser page (no browser needed).

Two runs on one seed must stay identical until the trainer acts, then differ only by what the
trainer did; the controls must map onto declared parameters and strategies; Mesa's SolaraViz
must be able to re-create the model from the controls' values on Reset.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mesa.visualization import solara_viz

from consortsim.config import load_scenario
from consortsim.model import ConsortiumModel
from consortsim.params import lookup
from consortsim.workshop import drawing
from consortsim.workshop.model import (
    COORDINATOR,
    KNOBS,
    WITHOUT_DEPARTURES,
    WorkshopModel,
    compare_options,
    model_params,
    panel_stats,
)

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "rural_rcorp.yaml"
ED = "Valley Regional Emergency Department"


def workshop(**kwargs: object) -> WorkshopModel:
    """A short workshop run of the bundled rural scenario."""
    return WorkshopModel(scenario_file=str(SCENARIO), months=kwargs.pop("months", 24), **kwargs)


def steps(model: WorkshopModel, n: int) -> None:
    for _ in range(n):
        model.step()


def frames(model: ConsortiumModel) -> pd.DataFrame:
    return model.recorder.frame().iloc[: model.month + 1]


def test_both_panels_are_identical_without_the_trainer() -> None:
    model = workshop()
    steps(model, 24)
    assert model.month == 24
    pd.testing.assert_frame_equal(frames(model.actual), frames(model.baseline))
    assert model.actual.events == model.baseline.events
    assert not model.running


def test_a_departure_changes_only_the_left_panel() -> None:
    model = workshop()
    steps(model, 6)
    before = panel_stats(model.actual)["trust_personal"]
    text = model.leader_leaves(ED)
    assert text.startswith("Month 6: ") and ED in text and "left" in text
    manual = [e for e in model.actual.events if e.kind == "manual_departure"]
    assert [(e.month, e.agency) for e in manual] == [(6, ED)]
    assert not any(e.kind == "manual_departure" for e in model.baseline.events)
    # The drop shows in month 6 at once, in the state and in the recorded row.
    assert panel_stats(model.actual)["trust_personal"] < before
    assert (model.actual.recorder.column("trust_personal")[6]
            < model.baseline.recorder.column("trust_personal")[6])
    steps(model, 12)
    assert not frames(model.actual).equals(frames(model.baseline))
    # The right panel is exactly the run nobody touched.
    untouched = ConsortiumModel(load_scenario(SCENARIO), seed=model.run_seed, months=24)
    untouched.run_for(18)
    pd.testing.assert_frame_equal(frames(model.baseline), frames(untouched))


def test_the_coordinator_can_leave_and_a_vacant_seat_cannot_empty_twice() -> None:
    model = workshop()
    steps(model, 2)
    model.leader_leaves(COORDINATOR)
    assert not model.actual.consortium.coordinator_present
    assert model.baseline.consortium.coordinator_present
    assert "already vacant" in model.leader_leaves(COORDINATOR)
    model.leader_leaves(ED)
    assert "already vacant" in model.leader_leaves(ED)
    manual = [e.agency for e in model.actual.events if e.kind == "manual_departure"]
    assert len(manual) == 2 and manual[1] == ED
    with pytest.raises(ValueError, match="no agency called"):
        model.leader_leaves("Nowhere Clinic")


def test_untouched_controls_leave_the_scenario_as_written() -> None:
    params = model_params(SCENARIO)
    values = {k: v["value"] if isinstance(v, dict) else v for k, v in params.items()}
    model = WorkshopModel(**values)
    assert model.config.config_hash() == load_scenario(SCENARIO).config_hash()
    assert model.run_seed == load_scenario(SCENARIO).seed
    assert model.notices == []


def test_controls_change_declared_parameters_and_strategies() -> None:
    model = workshop(turnover_scale=2.0, succession_planning=True, formalised_relationships=True,
                     meetings_per_year=6, billing_capacity=0.35, grant_years=5)
    cfg = model.config
    assert cfg.turnover.hazard_scale == 2.0
    assert cfg.coordination.meetings_per_year == 6
    assert cfg.funding.billing_ceiling == 0.35
    assert cfg.grants[-1].months == 60
    assert set(cfg.strategies) == {"succession_planning", "formalised_relationships"}
    assert cfg.turnover.vacancy_months == 2.0  # from the succession_planning strategy
    assert model.knob_values["grant_years"] == 5


def test_control_ranges_come_from_the_declarations() -> None:
    params = model_params(SCENARIO)
    for knob in KNOBS:
        if "." not in knob.target:
            continue
        declared = lookup(knob.target)
        assert params[knob.name]["min"] == declared.low
        assert params[knob.name]["max"] == declared.high
    assert params["compare"]["values"] == compare_options()
    assert params["compare"]["values"][0] == WITHOUT_DEPARTURES
    accepted = set(inspect.signature(WorkshopModel.__init__).parameters) - {"self"}
    assert set(params) <= accepted


def test_mesa_reset_passes_the_controls_to_the_model() -> None:
    """SolaraViz's Reset must not divert slider values into Mesa's own Scenario object."""
    model = workshop()
    chosen = {"scenario_file": str(SCENARIO), "seed": "7", "turnover_scale": 1.5,
              "meetings_per_year": 4, "compare": compare_options()[1]}
    kwargs = solara_viz._build_model_init_kwargs(
        model, chosen, add_scenario_when_empty=True, require_model_accepts_scenario=True)
    assert "scenario" not in kwargs
    again = type(model)(**kwargs)
    assert again.run_seed == 7
    assert again.config.turnover.hazard_scale == 1.5
    assert again.compare_strategy == "succession_planning"


def test_a_bad_seed_falls_back_with_a_notice() -> None:
    model = workshop(seed="twelve")
    assert model.run_seed == load_scenario(SCENARIO).seed
    assert any("twelve" in n for n in model.notices)
    assert workshop(seed=" 1,234 ").run_seed == 1234


def test_strategy_comparison_gives_the_departure_to_both_panels() -> None:
    model = workshop(compare="With succession planning")
    assert "succession_planning" in model.baseline.config.strategies
    assert "succession_planning" not in model.actual.config.strategies
    steps(model, 3)
    model.leader_leaves(ED)
    for run in (model.actual, model.baseline):
        assert [e.agency for e in run.events if e.kind == "manual_departure"] == [ED]
    assert model.baseline_title.endswith("with succession planning")


def test_layout_is_fixed_across_months_and_seeds() -> None:
    model = workshop()
    first = drawing.node_positions(model.actual)
    steps(model, 12)
    model.leader_leaves(ED)
    np.testing.assert_array_equal(first, drawing.node_positions(model.actual))
    np.testing.assert_array_equal(first, drawing.node_positions(workshop(seed=99).actual))
    assert np.allclose(np.hypot(*first.T), 1.0)
    top = int(np.argmax(first[:, 1]))
    assert top == model.actual.lead  # the lead agency sits at the top


def test_kept_figures_render_each_month() -> None:
    model = workshop()
    xy = drawing.node_positions(model.actual)
    net = drawing.NetworkFigure(xy)
    trust = drawing.TimeFigure("trust", model.horizon, model.actual.state.n, "without")
    first = drawing.png_bytes(trust.update(model.actual, model.baseline))
    steps(model, 3)
    model.leader_leaves(ED)
    later = drawing.png_bytes(trust.update(model.actual, model.baseline))
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and first != later
    png = drawing.png_bytes(net.update(model.actual))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    label = net.drawing.labels[model.actual.state.names.index(ED)]
    assert label.get_color() == drawing.VACANT  # the vacant seat is named in red


def test_the_page_layout_has_a_cell_per_panel() -> None:
    from consortsim.workshop import app
    from consortsim.workshop.components import COMPONENTS

    assert len(app.LAYOUT) == len(COMPONENTS)
    assert solara_viz.make_initial_grid_layout(len(COMPONENTS))[1]["w"] == 12
    assert solara_viz.make_initial_grid_layout(2) == app._mesa_layout(2)


def test_workshop_command_rejects_bad_input_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import socket

    from consortsim.cli import main

    assert main(["workshop", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["workshop", str(SCENARIO), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"--port {port}" in err and err.count("\n") == 1
