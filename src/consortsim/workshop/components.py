"""The workshop page's panels: Solara components that SolaraViz lays out and refreshes.

Each component takes the ``WorkshopModel`` and reads Mesa's ``update_counter`` (SolaraViz
wraps plain functions so that every Step, Play tick and Reset redraws them). Figures are
re-rendered only when the model's ``revision`` changes (a month passed or a leader left),
not when the trainer merely opens a menu.

Everything is sized for a projector: 18-20 px body text, 40 px month counter, dark text on
white, and every colour doubled by a word or a shape.
"""

from __future__ import annotations

from collections.abc import Callable

import reacton.ipywidgets as rw
import solara
from matplotlib.figure import Figure
from mesa.visualization.utils import force_update, update_counter

from consortsim.model import ConsortiumModel
from consortsim.workshop import drawing
from consortsim.workshop.model import WorkshopModel, difference, panel_stats

#: Page-wide style: large type and high contrast for a room reading from the back.
CSS = """
.v-application { font-size: 18px; }
.v-slider__thumb-label-container { display: block !important; }  /* show slider values */
.v-slider__thumb-label { font-size: 14px; }
.v-navigation-drawer .v-input__slider { margin-top: 30px; }
.v-tabs { display: none !important; }  /* the page has one tab: give its room to the panels */
.v-toolbar__title { font-size: 26px !important; font-weight: 600; }
.v-card__title { font-size: 22px !important; }
.v-label, .v-input, .v-select__selection, .v-list-item__title { font-size: 18px !important; }
.v-label.theme--light { color: #111 !important; }
.v-btn { font-size: 17px !important; letter-spacing: 0.02em; }
.v-navigation-drawer .v-btn { min-width: 88px !important; height: 44px !important; }
.vue-grid-item { overflow: auto; background: #fff; }
.vue-grid-item img.widget-image { max-width: 100%; height: auto; display: block; }
.workshop-month { font-size: 40px; font-weight: 700; color: #111; line-height: 1.1; }
.workshop-sub { font-size: 18px; color: #333; }
.workshop-diff { font-size: 20px; color: #111; margin-top: 6px; }
.workshop-notice { font-size: 18px; color: #8a4b00; font-weight: 600; }
.workshop-key { font-size: 16px; color: #333; margin-top: 4px; }
.workshop-panel-title { font-size: 24px; font-weight: 700; color: #111; margin: 0; }
.workshop-panel-stats { font-size: 18px; color: #222; min-height: 52px; }
.workshop-feed { font-size: 18px; line-height: 1.35; color: #222; max-height: 440px;
                 overflow-y: auto; }
.workshop-feed p { margin: 0 0 6px 0; }
.workshop-event-triggered { color: #b00000; font-weight: 700; }
.workshop-event-departure { color: #111; font-weight: 600; }
.workshop-leave .v-btn { font-size: 19px !important; background-color: #b00000 !important;
                        color: #fff !important; }
.workshop-title { font-size: 22px; font-weight: 700; color: #111; margin-bottom: 4px; }
"""


def _image(png: bytes) -> None:
    """Show PNG bytes as an image widget (scaled to its panel's width by the page style)."""
    rw.Image(value=png, format="png")


def use_png(make: Callable[[], Figure], model: WorkshopModel) -> bytes:
    """The PNG of a kept figure, redrawn only when the model changed (a Step, a departure)."""
    return solara.use_memo(lambda: drawing.png_bytes(make()), [model, model.revision])


def _fmt_change(value: float, unit: str, places: int = 0) -> str:
    word = "more" if value > 0 else "fewer"
    number = f"{abs(value):.{places}f}"
    return f"{number} {word} {unit}"


def difference_text(model: WorkshopModel) -> str:
    """One sentence: what the left panel has that the right one has not, now."""
    if model.month == 0 and not model.triggered:
        return "Both panels start the same. Press Step to go month by month."
    d = difference(model)
    parts = []
    if abs(d["people_linked"]) >= 1:
        parts.append(_fmt_change(d["people_linked"], "people linked to care"))
    if abs(d["engaged"]) >= 1:
        parts.append(_fmt_change(d["engaged"], "engaged members"))
    if abs(d["trust_personal"]) >= 0.005:
        parts.append(f"personal trust {d['trust_personal']:+.2f}")
    if abs(d["trust_institutional"]) >= 0.005:
        parts.append(f"institutional trust {d['trust_institutional']:+.2f}")
    if not parts:
        return "No difference between the panels yet."
    return "Left compared with right, so far: " + "; ".join(parts) + "."


def settings_text(model: WorkshopModel) -> str:
    """The settings this run uses (the sliders apply on Reset), in words."""
    on = {True: "on", False: "off"}
    values = model.knob_values
    parts = [f"leader turnover x{values['turnover_scale']:.2f}",
             f"succession planning {on[values['succession_planning']]}",
             f"MOUs and shared protocols {on[values['formalised_relationships']]}",
             f"{values['meetings_per_year']} meetings a year",
             f"billing capacity {values['billing_capacity']:.2f}"]
    if values["grant_years"]:
        parts.append(f"main grant {values['grant_years']} years")
    return ("Running with: " + ", ".join(parts)
            + ". Change the settings on the left, then press Reset.")


@solara.component
def Header(model: WorkshopModel) -> None:
    """The month, the "a leader leaves" control, and what differs between the panels."""
    update_counter.get()
    said, set_said = solara.use_state((None, ""))  # (the model it was said of, the text)

    def leave(who: str) -> None:
        set_said((model, model.leader_leaves(who)))
        force_update()

    with solara.Row(style={"align-items": "center", "flex-wrap": "nowrap", "gap": "24px"}):
        with solara.Column(gap="0px", style={"flex-shrink": "0"}):
            solara.Text(f"Month {model.month} of {model.horizon}", classes=["workshop-month"])
            solara.Text(f"{model.config.name}, seed {model.run_seed}", classes=["workshop-sub"])
        LeaderLeaves(model, leave)
    if said[0] is model:  # a Reset starts a new run: yesterday's news goes
        solara.Text(said[1], classes=["workshop-diff", "workshop-last-event"])
    solara.Text(difference_text(model), classes=["workshop-diff", "workshop-difference"])
    solara.Text(settings_text(model), classes=["workshop-key", "workshop-settings"])
    for notice in model.notices:
        solara.Text(notice, classes=["workshop-notice"])


@solara.component
def LeaderLeaves(model: WorkshopModel, on_leave: Callable[[str], None]) -> None:
    """The menu of whose leader leaves (coordinator first, then members) and the button."""
    choices = model.departure_choices()
    by_label = {label: value for value, label in choices}
    labels = list(by_label)
    picked, set_picked = solara.use_state(labels[1] if len(labels) > 1 else labels[0])
    if picked not in by_label:
        picked = labels[0]
    # min-width 0 lets the menu shrink to the room left beside the month; the button never does.
    with solara.Row(style={"align-items": "center", "gap": "12px", "flex": "1",
                           "min-width": "0"}):
        with solara.Column(style={"min-width": "0", "flex": "1"}, classes=["workshop-choose"]):
            solara.Select("Whose leader leaves?", values=labels, value=picked,
                          on_value=set_picked)
        with solara.Div(classes=["workshop-leave"], style={"flex-shrink": "0"}):
            solara.Button("A leader leaves", color="error", large=True,
                          on_click=lambda: on_leave(by_label[picked]),
                          disabled=model.month >= model.horizon)


def stats_text(stats: dict[str, float]) -> str:
    """A panel's caption: members, vacancies, coordinator, trust, people linked."""
    if stats["dissolved"]:
        state = "The consortium has dissolved."
    else:
        coordinator = "coordinator in post" if stats["coordinator"] else "NO coordinator"
        seats = "seat" if stats["vacant"] == 1 else "seats"
        state = (f"{stats['engaged']:.0f} of {stats['members']:.0f} members engaged; "
                 f"{stats['vacant']:.0f} leader {seats} vacant; {coordinator}.")
    return (f"{state} Trust: personal {stats['trust_personal']:.2f}, institutional "
            f"{stats['trust_institutional']:.2f}. People linked to care so far: "
            f"{stats['people_linked']:.0f}.")


@solara.component
def NetworkPanel(model: WorkshopModel, key: str, title: str, run: ConsortiumModel,
                 figure: drawing.NetworkFigure) -> None:
    """One of the two networks with its heading and caption."""
    update_counter.get()  # its props stay the same objects while the run moves on
    png = use_png(lambda: figure.update(run), model)
    with solara.Column(gap="2px", classes=[f"workshop-panel-{key}"]):
        solara.Text(title, classes=["workshop-panel-title"])
        solara.Text(stats_text(panel_stats(run)), classes=["workshop-panel-stats"])
        _image(png)


@solara.component
def Networks(model: WorkshopModel) -> None:
    """The consortium twice, side by side, on one fixed layout."""
    update_counter.get()
    left, right = solara.use_memo(lambda: _network_figures(model), [model])
    legend = solara.use_memo(lambda: _legend_png(model), [model])
    with solara.Columns([1, 1], gutters_dense=True):
        NetworkPanel(model, "actual", "As it happens", model.actual, left)
        NetworkPanel(model, "baseline", model.baseline_title, model.baseline, right)
    _image(legend)


def _network_figures(model: WorkshopModel) -> tuple[drawing.NetworkFigure, ...]:
    xy = drawing.node_positions(model.actual)
    return drawing.NetworkFigure(xy), drawing.NetworkFigure(xy)


def _legend_png(model: WorkshopModel) -> bytes:
    fig = drawing.new_figure(12.0, 1.3)
    drawing.network_legend(fig, [model.actual], ncol=5)
    return drawing.png_bytes(fig)


def _baseline_label(model: WorkshopModel) -> str:
    return "without your departures" if model.compares_departures else model.compare.lower()


def _time_figure(model: WorkshopModel, kind: str) -> drawing.TimeFigure:
    return drawing.TimeFigure(kind, model.horizon, model.actual.state.n, _baseline_label(model))


@solara.component
def TrustPlot(model: WorkshopModel) -> None:
    """Mean trust between members, personal and institutional; the comparison dashed."""
    update_counter.get()
    figure = solara.use_memo(lambda: _time_figure(model, "trust"), [model])
    png = use_png(lambda: figure.update(model.actual, model.baseline), model)
    a, b = panel_stats(model.actual), panel_stats(model.baseline)
    with solara.Column(gap="0px", classes=["workshop-trust"]):
        _image(png)
        solara.Text(f"Month {model.month}: personal trust {a['trust_personal']:.2f} "
                    f"(right panel {b['trust_personal']:.2f}), institutional "
                    f"{a['trust_institutional']:.2f} ({b['trust_institutional']:.2f}).",
                    classes=["workshop-sub", "workshop-trust-now"])


def _time_plot(model: WorkshopModel, kind: str) -> None:
    """One live time plot (both panels' runs), redrawn after each step."""
    update_counter.get()
    figure = solara.use_memo(lambda: _time_figure(model, kind), [model])
    png = use_png(lambda: figure.update(model.actual, model.baseline), model)
    with solara.Column(gap="0px", classes=[f"workshop-{kind}"]):
        _image(png)


@solara.component
def FlowPlot(model: WorkshopModel) -> None:
    """Referrals completed a month and members engaged."""
    _time_plot(model, "flow")


@solara.component
def FundingPlot(model: WorkshopModel) -> None:
    """Consortium money a month by source, grant periods shaded."""
    _time_plot(model, "funding")


FEED_LIMIT = 80


@solara.component
def EventFeed(model: WorkshopModel) -> None:
    """What happened, newest first, in plain language; the trainer's departures in red."""
    update_counter.get()
    solara.Text("What happened (as it happens panel), newest first", classes=["workshop-title"])
    events = list(reversed(model.actual.events))[:FEED_LIMIT]
    with solara.Div(classes=["workshop-feed"]):
        if not events:
            solara.Text("Nothing yet. Press Step, or make a leader leave.")
        for e in events:
            kind = ("workshop-event-triggered" if e.kind == "manual_departure" else
                    "workshop-event-departure" if e.kind in ("leader_left", "coordinator_left")
                    else "workshop-event")
            with solara.Div(classes=["workshop-event-line", kind]):
                solara.Text(f"Month {e.month}: {e.text}")


#: The panels in page order; ``app.LAYOUT`` places them.
COMPONENTS = (Header, Networks, TrustPlot, EventFeed, FlowPlot, FundingPlot)
__all__ = ["COMPONENTS", "CSS", "EventFeed", "FlowPlot", "FundingPlot",
           "Header", "Networks", "TrustPlot", "difference_text", "stats_text"]
