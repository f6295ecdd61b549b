"""The workshop page: ``solara run consortsim.workshop.app`` (``consortsim workshop`` does it).

Mesa's SolaraViz drives a ``WorkshopModel``: its sidebar holds Step, Play and Reset and the
controls generated from the parameter declarations (``model.model_params``); the main area
holds the panels of ``components.py``. Every browser session gets its own model, so two
tabs (or two tests) never step each other's consortium.

SolaraViz places components two to a row at a fixed size. A room needs the network wide and
the month large, so this module gives SolaraViz the workshop's own initial grid (``LAYOUT``)
by replacing Mesa's ``make_initial_grid_layout`` for a page of exactly these panels; any
other page keeps Mesa's layout. Panels stay draggable and resizable.
"""

from __future__ import annotations

from typing import Any

import solara
from mesa.visualization import solara_viz
from mesa.visualization.solara_viz import SolaraViz
from solara.server import settings

from consortsim.run import warm_up
from consortsim.workshop.components import COMPONENTS, CSS
from consortsim.workshop.model import WorkshopModel, default_scenario_path, model_params

warm_up()  # the room's first Step must not wait for the compiler

#: Grid cells (12 columns, 30 px rows) for COMPONENTS, in order.
LAYOUT: tuple[dict[str, Any], ...] = (
    {"i": 0, "x": 0, "y": 0, "w": 12, "h": 8},    # month, "a leader leaves", difference
    {"i": 1, "x": 0, "y": 8, "w": 12, "h": 18},   # the two networks
    {"i": 2, "x": 0, "y": 26, "w": 6, "h": 13},   # trust
    {"i": 3, "x": 6, "y": 26, "w": 6, "h": 13},   # event feed
    {"i": 4, "x": 0, "y": 39, "w": 6, "h": 15},   # referrals and engagement
    {"i": 5, "x": 6, "y": 39, "w": 6, "h": 13},   # funding
)
PLAY_INTERVAL_MS = 500  # Mesa's slider maximum; rendering adds about as much again

_mesa_layout = solara_viz.make_initial_grid_layout


def workshop_layout(num_components: int) -> list[dict[str, Any]]:
    """The workshop grid for the workshop's panels; Mesa's two-column grid otherwise."""
    if num_components == len(LAYOUT):
        return [{**cell, "moved": False} for cell in LAYOUT]
    return _mesa_layout(num_components)


solara_viz.make_initial_grid_layout = workshop_layout
# Solara's "This website runs on Solara" corner banner sits on top of the bottom-right panel.
settings.theme.show_banner = False


def initial_values(params: dict[str, Any]) -> dict[str, Any]:
    """The model's first keyword arguments: each control's value, fixed values as given."""
    return {name: spec["value"] if isinstance(spec, dict) and "type" in spec else spec
            for name, spec in params.items()}


@solara.component
def Page() -> None:
    """One workshop session: its own model, the page style and Mesa's SolaraViz."""
    params = solara.use_memo(lambda: model_params(default_scenario_path()), [])
    model = solara.use_memo(lambda: WorkshopModel(**initial_values(params)), [])
    solara.Style(CSS)
    solara.Title("Consortium workshop")
    SolaraViz(model, components=list(COMPONENTS), model_params=params,
              name=f"Consortium workshop: {model.config.name}",
              play_interval=PLAY_INTERVAL_MS)


page = Page
