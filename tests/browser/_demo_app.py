"""Throwaway Mesa SolaraViz page used to prove offline serving works.

Served by ``solara run tests/browser/_demo_app.py``; not part of the model.
It exercises the same front-end assets a real workshop page needs: the
Vuetify app, the draggable grid layout, a matplotlib plot and an altair plot.
"""

from __future__ import annotations

import solara
from mesa import Agent, DataCollector, Model
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter


class Coin(Agent):
    """An agent holding some coins that gives one away each step."""

    def __init__(self, model: DemoModel) -> None:
        super().__init__(model)
        self.wealth = 1

    def step(self) -> None:
        """Give one coin to a random other agent."""
        if self.wealth > 0:
            other = self.random.choice(list(self.model.agents))
            other.wealth += 1
            self.wealth -= 1


class DemoModel(Model):
    """A tiny money-exchange model with explicit keyword parameters only."""

    def __init__(self, n_agents: int = 5, rng: int | None = 42) -> None:
        super().__init__(rng=rng)
        self.n_agents = n_agents
        Coin.create_agents(self, n_agents)
        self.datacollector = DataCollector(
            model_reporters={
                "Richest": lambda m: max(a.wealth for a in m.agents),
                "Broke": lambda m: sum(a.wealth == 0 for a in m.agents),
            }
        )
        self.datacollector.collect(self)

    def step(self) -> None:
        """Let every agent act once, then record the measures."""
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)


@solara.component
def StepCounter(model: DemoModel) -> None:
    """Custom component: a plain text line the browser test can read."""
    update_counter.get()  # re-render after every Step/Reset
    solara.Markdown(f"**Demo steps: {model.steps}** ({len(model.agents)} agents)")


model_params = {
    "n_agents": {
        "type": "SliderInt",
        "value": 5,
        "label": "Number of agents",
        "min": 2,
        "max": 20,
        "step": 1,
    },
}

model = DemoModel()

page = SolaraViz(
    model,
    components=[
        (StepCounter, 0),
        make_plot_component("Richest"),  # matplotlib
        make_plot_component("Broke", backend="altair"),
    ],
    model_params=model_params,
    name="Offline demo",
)
