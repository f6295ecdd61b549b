"""Matplotlib drawings of a consortium for a room: the network and the lines over time.

Shared by the workshop page (``components.py``) and the slide animation (``animate.py``).
Everything is drawn for projection: large type, thick lines, dark text on white, and two
visual channels for every distinction (colour and shape), so the picture survives a washed-out
projector and colour-blind viewers. Trust layers use the orange/purple pair of ColorBrewer's
PuOr scheme; agency sectors use fixed colours so a sector looks the same in every panel.

Node positions are computed once per run (``node_positions``: a circle ordered by sector,
the lead agency at the top) and reused every month, so nodes never jump between steps.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from PIL import Image  # noqa: E402

from consortsim.model import ConsortiumModel  # noqa: E402
from consortsim.params import SECTORS  # noqa: E402
from consortsim.state import LEFT, MEMBER, PROSPECT  # noqa: E402

PERSONAL = "#e66100"       # personal trust: orange, curved ties
INSTITUTIONAL = "#5d3a9b"  # institutional trust: purple, straight ties
VACANT = "#c00000"         # a vacant leader seat; a departure the trainer triggered
NATURAL = "#555555"        # departures that happened by themselves
GRANT_SHADE = "#d6e6f5"
INK = "#111111"
SECTOR_COLOURS: dict[str, str] = {
    "hospital": "#1f77b4", "emergency_department": "#9ecae9", "mat_clinic": "#2ca02c",
    "behavioral_health": "#98df8a", "primary_care": "#17becf", "peer_recovery": "#bcbd22",
    "harm_reduction": "#e7e28a", "law_enforcement": "#253494", "corrections": "#8c8c8c",
    "faith": "#8c564b", "social_services": "#d2a98f", "public_health": "#e377c2",
    "pharmacy": "#f7b6d2", "prevention": "#e7ba52",
}
FONT = 15           # points; figures are drawn at DPI and shown near their natural size
DPI = 100
EDGE_MIN = 0.08     # ties weaker than this are not drawn
LABEL_LIMIT = 24    # above this many agencies only the lead and vacant seats are labelled
LIMIT = 1.75        # fixed axis limits (room for labels) so the picture never rescales

matplotlib.rcParams.update({
    "font.size": FONT, "axes.titlesize": FONT + 2, "axes.labelsize": FONT,
    "xtick.labelsize": FONT - 1, "ytick.labelsize": FONT - 1, "legend.fontsize": FONT - 2,
    "axes.edgecolor": INK, "text.color": INK, "axes.labelcolor": INK,
    "xtick.color": INK, "ytick.color": INK, "font.family": "DejaVu Sans",
})


def new_figure(width: float, height: float) -> Figure:
    """A pyplot-free figure (no global state, no leaks in a long-running server)."""
    return Figure(figsize=(width, height), dpi=DPI, facecolor="white")


# ------------------------------------------------------------------ network


def node_positions(model: ConsortiumModel) -> np.ndarray:
    """Agencies on a circle, grouped by sector, the lead agency at the top.

    Depends only on the agencies' sectors and order, not on the run seed, so the picture
    keeps its shape across Resets and seeds and a room learns where each agency sits.
    """
    s = model.state
    n = s.n
    order = [int(i) for i in np.lexsort((np.arange(n), s.sector))]
    shift = order.index(model.lead)
    order = order[shift:] + order[:shift]  # the lead first, i.e. at twelve o'clock
    angle = np.empty(n)
    angle[order] = np.pi / 2 - np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([np.cos(angle), np.sin(angle)])


def _curve(p: np.ndarray, q: np.ndarray, bend: float = 0.12, points: int = 12) -> np.ndarray:
    """A quadratic Bezier from p to q, bowed sideways: personal ties are curved."""
    mid = (p + q) / 2 + bend * np.array([-(q - p)[1], (q - p)[0]])
    t = np.linspace(0, 1, points)[:, None]
    return (1 - t) ** 2 * p + 2 * (1 - t) * t * mid + t**2 * q


def _density(n: int) -> float:
    """1 for a consortium the size of a room's; smaller for big ones, whose nodes and ties
    are drawn smaller and whose weak ties are left out so the picture does not fill in."""
    return min(1.0, LABEL_LIMIT / max(n, 1))


def _ties(ax: Axes, model: ConsortiumModel, xy: np.ndarray) -> None:
    s = model.state
    shown = s.status != LEFT
    scale = _density(s.n)
    for layer, colour, curved in ((s.institutional.full(), INSTITUTIONAL, False),
                                  (s.personal.full(), PERSONAL, True)):
        i, j = np.triu_indices(s.n, 1)
        keep = (layer[i, j] >= EDGE_MIN / scale) & shown[i] & shown[j]
        i, j = i[keep], j[keep]
        if i.size == 0:
            continue
        segments = [_curve(xy[a], xy[b]) if curved else np.array([xy[a], xy[b]])
                    for a, b in zip(i, j, strict=True)]
        widths = (0.6 + 9.0 * layer[i, j]) * scale
        ax.add_collection(LineCollection(segments, colors=colour, linewidths=widths,
                                         alpha=0.75, capstyle="round", zorder=1))


def _sizes(capacity: np.ndarray) -> np.ndarray:
    """Marker areas (points squared): area grows with capacity, capped for giant agencies;
    smaller when there are many agencies to fit on the circle."""
    return (160.0 + 14.0 * np.minimum(capacity, 60.0)) * _density(capacity.size)


def _nodes(ax: Axes, model: ConsortiumModel, xy: np.ndarray) -> None:
    s = model.state
    colours = np.array([SECTOR_COLOURS[SECTORS[k]] for k in s.sector])
    size, scale = _sizes(s.capacity), _density(s.n)
    member, prospect, left = s.status == MEMBER, s.status == PROSPECT, s.status == LEFT
    if member.any():
        ax.scatter(*xy[member].T, s=size[member], c=colours[member], edgecolors=INK,
                   linewidths=1.5 * scale, zorder=3)
    if prospect.any():  # not (yet) a member: hollow, in its sector's colour
        ax.scatter(*xy[prospect].T, s=size[prospect], c="white", edgecolors=colours[prospect],
                   linewidths=3 * scale, zorder=3)
    if left.any():  # left the consortium: a faded cross
        ax.scatter(*xy[left].T, s=220 * scale, marker="X", c="#bbbbbb", edgecolors="#777777",
                   linewidths=1, zorder=3)
    vacant = ~s.leader_present & (s.status != LEFT)
    if vacant.any():
        ax.scatter(*xy[vacant].T, s=size[vacant] + 650 * scale, facecolors="none",
                   edgecolors=VACANT, linewidths=4 * np.sqrt(scale), zorder=4)
    ax.scatter(*xy[model.lead], s=90, marker="*", c="white", edgecolors=INK, linewidths=1,
               zorder=5)


def short_name(name: str, width: int = 16) -> str:
    """An agency name wrapped onto at most three lines of ``width`` characters."""
    return "\n".join(textwrap.wrap(name, width=width, max_lines=3, placeholder="..."))


def _label_style(model: ConsortiumModel, i: int) -> tuple[str, str, str]:
    """(text, colour, weight) of agency ``i``'s label now: red and bold when its seat is
    vacant (or, for the lead, when the coordinator's is)."""
    s = model.state
    text = short_name(s.names[i])
    coordinator_gone = i == model.lead and not model.consortium.coordinator_present
    if coordinator_gone:
        text += "\n(coordinator vacant)"
    alert = (not s.leader_present[i] and s.status[i] != LEFT) or coordinator_gone
    colour = VACANT if alert else (INK if s.status[i] == MEMBER else "#555555")
    return text, colour, "bold" if alert else "normal"


class NetworkDrawing:
    """The network on one axes, kept across months: labels are laid out once and only
    restyled; ties and nodes are drawn anew each month (they are cheap, text is not).

    Args:
        ax: the axes to draw on (its frame is switched off).
        xy: node positions (``node_positions``).
        fontsize: label size in points.
    """

    def __init__(self, ax: Axes, xy: np.ndarray, fontsize: float = FONT - 5) -> None:
        self.ax, self.xy, self.fontsize = ax, xy, fontsize
        ax.set_axis_off()
        ax.set_xlim(-LIMIT, LIMIT)
        ax.set_ylim(-1.45, 1.45)
        ax.set_aspect("equal", adjustable="box")
        self.labels: dict[int, Text] = {}

    def update(self, model: ConsortiumModel) -> None:
        """Draw the consortium as it is now."""
        clear_series(self.ax)
        _ties(self.ax, model, self.xy)
        _nodes(self.ax, model, self.xy)
        for i in range(model.state.n):
            self._label(model, i)

    def _label(self, model: ConsortiumModel, i: int) -> None:
        s = model.state
        text, colour, weight = _label_style(model, i)
        if s.n > LABEL_LIMIT and colour != VACANT and i != model.lead:
            text = ""  # a big consortium: name only the lead and the vacant seats
        label = self.labels.get(i)
        if label is None:
            x, y = self.xy[i]
            away = np.sqrt(_sizes(s.capacity)[i]) / 2 + 8  # marker radius + gap, points
            label = self.ax.annotate(
                text, (x, y), xytext=(away * x, away * y), textcoords="offset points",
                ha="left" if x > 0.3 else "right" if x < -0.3 else "center",
                va="bottom" if y > 0.3 else "top" if y < -0.3 else "center",
                fontsize=self.fontsize, linespacing=1.0, zorder=6)
            self.labels[i] = label
        if label.get_text() != text:
            label.set_text(text)
        label.set_color(colour)
        label.set_fontweight(weight)


def draw_network(ax: Axes, model: ConsortiumModel, xy: np.ndarray,
                 fontsize: float = FONT - 5) -> NetworkDrawing:
    """Agencies as nodes (colour: sector; size: capacity; red ring: leader seat vacant) and
    trust as ties (width: trust; orange curved: personal; purple straight: institutional).

    Clears ``ax``; keep the returned ``NetworkDrawing`` to draw later months faster.
    """
    ax.clear()
    drawing = NetworkDrawing(ax, xy, fontsize)
    drawing.update(model)
    return drawing


def network_legend(fig: Figure, models: Sequence[ConsortiumModel], fontsize: float = FONT - 3,
                   ncol: int = 4) -> None:
    """One legend for the network panels: tie layers, marks, and the sectors present."""
    sectors = sorted({int(k) for m in models for k in m.state.sector})
    handles = [
        Line2D([], [], color=PERSONAL, lw=5, label="personal trust (curved)"),
        Line2D([], [], color=INSTITUTIONAL, lw=5, label="institutional trust (straight)"),
        Line2D([], [], ls="", marker="o", ms=16, mfc="none", mec=VACANT, mew=3,
               label="leader seat vacant"),
        Line2D([], [], ls="", marker="o", ms=12, mfc="white", mec=INK, mew=2,
               label="not a member (yet)"),
    ] + [Line2D([], [], ls="", marker="o", ms=12, mfc=SECTOR_COLOURS[SECTORS[k]], mec=INK,
                label=SECTORS[k].replace("_", " ")) for k in sectors]
    fig.legend(handles=handles, loc="lower center", ncol=ncol, frameon=False,
               fontsize=fontsize, handletextpad=0.4, columnspacing=1.2)


# ------------------------------------------------------------------ over time
#
# A time plot's frame (title, axes, grid, legend) is drawn once; each month only its series,
# shading and marks are removed and drawn again. Re-laying out tick labels every month was
# most of the cost of a frame.

DASH = (0, (3, 1.5))
GRANTS, BILLING = "#4a6fa5", "#d4a017"
REFERRALS, ENGAGED = "#0b6e4f", "#1f4e9c"


def series(model: ConsortiumModel, name: str) -> np.ndarray:
    """A metric from month 0 to the month reached (later months are not simulated yet)."""
    return model.recorder.column(name)[: model.month + 1]


def setup_time_axes(ax: Axes, horizon: int, title: str, ylabel: str,
                    xlabel: str = "month") -> None:
    """The fixed frame of a plot over time: months 0 to the horizon, light grid."""
    ax.set_xlim(0, horizon)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", fontweight="bold")
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


def clear_series(ax: Axes) -> None:
    """Remove what a month draws (lines, areas, marks), keeping the frame."""
    for artist in [*ax.lines, *ax.collections, *ax.patches]:
        artist.remove()


def departure_marks(ax: Axes, model: ConsortiumModel) -> None:
    """Departures on the time axis: trainer-triggered as red lines, others as grey ticks."""
    natural, triggered = [], set()
    for e in model.events:
        if e.kind == "manual_departure":
            triggered.add(e.month)
        elif e.kind in ("leader_left", "coordinator_left"):
            natural.append(e.month)
    if natural:
        ax.scatter(natural, np.full(len(natural), 0.04), marker="|", s=300, c=NATURAL,
                   linewidths=2.5, transform=ax.get_xaxis_transform(), zorder=4,
                   clip_on=False)
    for month in sorted(triggered):
        ax.axvline(month, color=VACANT, lw=3, zorder=4)


def grant_shading(ax: Axes, model: ConsortiumModel) -> None:
    """Shade the months that grants, awards and bridge funding pay for."""
    for grant in model.grants:
        if grant.kind != "stream":
            ax.axvspan(grant.start + 0.5, grant.end + 0.5, color=GRANT_SHADE, lw=0, zorder=0)


def _marks(ax: Axes, model: ConsortiumModel) -> None:
    grant_shading(ax, model)
    departure_marks(ax, model)


def mark_handles() -> list[Line2D | Patch]:
    """Legend entries for the marks on every time axis."""
    return [Line2D([], [], color=VACANT, lw=3, label="you: a leader left"),
            Line2D([], [], ls="", marker="|", ms=14, mew=2.5, color=NATURAL,
                   label="left by themselves"),
            Patch(color=GRANT_SHADE, label="grant period")]


def _line(colour: str, label: str, dashed: bool = False) -> Line2D:
    return Line2D([], [], color=colour, lw=2.5 if dashed else 3.5, ls=DASH if dashed else "-",
                  label=label)


def draw_trust(ax: Axes, actual: ConsortiumModel, baseline: ConsortiumModel | None) -> None:
    """Mean trust between members, both layers, as it happens; the comparison dashed."""
    clear_series(ax)
    months = np.arange(actual.month + 1)
    for name, colour in (("trust_personal", PERSONAL), ("trust_institutional", INSTITUTIONAL)):
        if baseline is not None:
            ax.plot(months, series(baseline, name), color=colour, lw=2.5, ls=DASH, alpha=0.8)
        ax.plot(months, series(actual, name), color=colour, lw=3.5)
    _marks(ax, actual)


def trust_handles(baseline_label: str | None) -> list[Line2D | Patch]:
    """Legend entries of the trust plot."""
    handles: list[Line2D | Patch] = [_line(PERSONAL, "personal"),
                                     _line(INSTITUTIONAL, "institutional")]
    if baseline_label:
        handles.append(_line(INK, baseline_label, dashed=True))
    return handles + mark_handles()


def draw_flow(axes: Sequence[Axes], actual: ConsortiumModel,
              baseline: ConsortiumModel | None) -> None:
    """Referrals completed a month (top) and members engaged (bottom); comparison dashed."""
    months = np.arange(actual.month + 1)
    for ax, name, colour in ((axes[0], "referrals_completed", REFERRALS),
                             (axes[1], "engaged", ENGAGED)):
        clear_series(ax)
        top = float(np.nanmax(series(actual, name)))
        if baseline is not None:
            ax.plot(months, series(baseline, name), color=colour, lw=2.5, ls=DASH, alpha=0.8)
            top = max(top, float(np.nanmax(series(baseline, name))))
        ax.plot(months, series(actual, name), color=colour, lw=3.5)
        _marks(ax, actual)
        if name == "referrals_completed":
            ax.set_ylim(0, _nice_top(top))


def flow_handles(baseline_label: str | None) -> list[Line2D | Patch]:
    """Legend entries of the referrals and engagement plot."""
    handles: list[Line2D | Patch] = [_line(INK, "as it happens")]
    if baseline_label:
        handles.append(_line(INK, baseline_label, dashed=True))
    return handles + mark_handles()


def _nice_top(value: float) -> float:
    """An upper axis limit that changes in steps, so the axis does not twitch every month."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    step = 10 ** np.floor(np.log10(value))
    return float(np.ceil(value * 1.15 / step) * step)


def draw_funding(ax: Axes, actual: ConsortiumModel, baseline: ConsortiumModel | None) -> None:
    """Consortium money a month by source (grants, billing) as it happens; the comparison's
    total dashed. Agencies' core budgets are not consortium money and are not shown."""
    clear_series(ax)
    months = np.arange(actual.month + 1)
    grant = series(actual, "revenue_grant") / 1000
    billing = series(actual, "revenue_billing") / 1000
    ax.stackplot(months, grant, billing, colors=[GRANTS, BILLING], alpha=0.9, zorder=2)
    top = float(np.nanmax(grant + billing))
    if baseline is not None:
        total = (series(baseline, "revenue_grant") + series(baseline, "revenue_billing")) / 1000
        ax.plot(months, total, color=INK, lw=2.5, ls=DASH, zorder=3)
        top = max(top, float(np.nanmax(total)))
    _marks(ax, actual)
    ax.set_ylim(0, _nice_top(top))


def funding_handles(baseline_label: str | None) -> list[Line2D | Patch]:
    """Legend entries of the funding plot."""
    handles: list[Line2D | Patch] = [Patch(color=GRANTS, label="grants"),
                                     Patch(color=BILLING, label="billing")]
    if baseline_label:
        handles.append(_line(INK, f"total, {baseline_label}", dashed=True))
    return handles + mark_handles()


# ------------------------------------------------------------------ kept figures


def png_bytes(fig: Figure) -> bytes:
    """Render a figure to PNG quickly (light compression: the page is served on loopback)."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", compress_level=1)
    return out.getvalue()


class TimeFigure:
    """One of the page's plots over time, kept for a whole run and redrawn each month.

    Args:
        kind: ``"trust"``, ``"flow"`` or ``"funding"``.
        horizon: the last month of the run.
        n_agencies: agencies in the consortium (the engagement axis's top).
        baseline_label: how the legend names the dashed comparison (None: no comparison).
    """

    SIZES = {"trust": (6.4, 4.4), "flow": (6.4, 5.4), "funding": (6.4, 4.4)}

    def __init__(self, kind: str, horizon: int, n_agencies: int,
                 baseline_label: str | None) -> None:
        self.kind = kind
        self.fig = new_figure(*self.SIZES[kind])
        FigureCanvasAgg(self.fig)
        if kind == "flow":
            handles = self._flow_frame(horizon, n_agencies, baseline_label)
        elif kind == "trust":
            self.axes = [self.fig.subplots()]
            setup_time_axes(self.axes[0], horizon, "Trust between members", "mean trust (0-1)")
            self.axes[0].set_ylim(0, 1)
            handles = trust_handles(baseline_label)
        else:
            self.axes = [self.fig.subplots()]
            setup_time_axes(self.axes[0], horizon, "Funding by source", "thousand USD a month")
            handles = funding_handles(baseline_label)
        if kind != "flow":
            self.fig.subplots_adjust(left=0.13, right=0.97, top=0.91, bottom=0.36)
        self.fig.legend(handles=handles, loc="lower center", ncol=2, frameon=False,
                        handlelength=1.6, columnspacing=1.2, borderaxespad=0.2)

    def _flow_frame(self, horizon: int, n_agencies: int,
                    baseline_label: str | None) -> list[Line2D | Patch]:
        self.axes = list(self.fig.subplots(2, 1, sharex=True))
        setup_time_axes(self.axes[0], horizon, "Referrals completed", "people a month", "")
        setup_time_axes(self.axes[1], horizon, "Members engaged", "agencies")
        self.axes[1].set_ylim(0, max(n_agencies, 1) + 0.5)
        self.fig.subplots_adjust(left=0.13, right=0.97, top=0.94, bottom=0.27, hspace=0.45)
        return flow_handles(baseline_label)

    def update(self, actual: ConsortiumModel, baseline: ConsortiumModel | None) -> Figure:
        """Draw this month's series; returns the figure."""
        if self.kind == "trust":
            draw_trust(self.axes[0], actual, baseline)
        elif self.kind == "flow":
            draw_flow(self.axes, actual, baseline)
        else:
            draw_funding(self.axes[0], actual, baseline)
        return self.fig


class NetworkFigure:
    """One network panel, kept for a whole run (the layout never changes within a run)."""

    def __init__(self, xy: np.ndarray, size: tuple[float, float] = (6.6, 5.0)) -> None:
        self.fig = new_figure(*size)
        FigureCanvasAgg(self.fig)
        self.drawing = NetworkDrawing(self.fig.add_axes((0.0, 0.0, 1.0, 1.0)), xy)

    def update(self, model: ConsortiumModel) -> Figure:
        """Draw the network as it is now; returns the figure."""
        self.drawing.update(model)
        return self.fig
