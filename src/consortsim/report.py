"""Plots and written summaries of a run, for people: a dashboard a planner can put on a slide."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from consortsim.run import RunResult  # noqa: E402

COLOURS = {"personal": "#d95f02", "institutional": "#1b9e77", "grant": "#7570b3",
           "billing": "#e7298a", "other": "#a6a6a6", "members": "#1f78b4",
           "engaged": "#33a02c", "made": "#b2b2b2", "completed": "#1f78b4"}


def grant_periods(result: RunResult) -> list[tuple[int, int]]:
    """(first month, last month) of each stretch with grant money."""
    spend = result.timeseries["revenue_grant"].to_numpy()
    periods, start = [], None
    for month, value in enumerate(spend):
        if value > 0 and start is None:
            start = month
        elif value <= 0 and start is not None:
            periods.append((start, month - 1))
            start = None
    if start is not None:
        periods.append((start, len(spend) - 1))
    return periods


def _shade(ax: plt.Axes, result: RunResult) -> None:
    for first, last in grant_periods(result):
        ax.axvspan(first - 0.5, last + 0.5, color="#7570b3", alpha=0.08, lw=0)
    departures = result.events[result.events["kind"].isin(
        ["leader_left", "coordinator_left", "manual_departure"])]
    for month in departures["month"].unique():
        ax.axvline(month, color="#636363", lw=0.6, alpha=0.35, ls=":")
    cliff = result.events[result.events["kind"] == "funding_cliff"]
    for month in cliff["month"]:
        ax.axvline(month, color="#d62728", lw=1.4)


def dashboard(result: RunResult, path: str | Path, title: str | None = None) -> Path:
    """Four panels over time: trust layers, membership, referrals, funding by source.

    Grant periods are shaded, leader departures dotted, the funding cliff in red.
    """
    ts = result.timeseries
    months = ts["month"]
    fig, axes = plt.subplots(2, 2, figsize=(13, 7.5), sharex=True, constrained_layout=True)
    ax = axes[0, 0]
    ax.plot(months, ts["trust_personal"], color=COLOURS["personal"], lw=2, label="personal")
    ax.plot(months, ts["trust_institutional"], color=COLOURS["institutional"], lw=2,
            label="institutional")
    ax.set(ylim=(0, 1), ylabel="mean trust (0-1)", title="Trust between members")
    ax.legend(loc="upper left", frameon=False)
    ax = axes[0, 1]
    ax.plot(months, ts["members"], color=COLOURS["members"], lw=2, label="members")
    ax.plot(months, ts["engaged"], color=COLOURS["engaged"], lw=2, label="engaged")
    ax.set(ylabel="agencies", title="Members and engaged members")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower left", frameon=False)
    ax = axes[1, 0]
    ax.plot(months, ts["referrals_made"], color=COLOURS["made"], lw=1.5, label="made")
    ax.plot(months, ts["referrals_completed"], color=COLOURS["completed"], lw=2,
            label="completed (linked)")
    ax.set(xlabel="month", ylabel="people a month", title="Referrals")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", frameon=False)
    ax = axes[1, 1]
    ax.stackplot(months, ts["revenue_grant"] / 1000, ts["revenue_billing"] / 1000,
                 colors=[COLOURS["grant"], COLOURS["billing"]],
                 labels=["grants", "billing"], alpha=0.85)
    ax.set(xlabel="month", ylabel="thousand USD a month",
           title="Consortium funding by source (core budgets not shown)")
    ax.legend(loc="upper right", frameon=False)
    for ax in axes.flat:
        _shade(ax, result)
        ax.grid(alpha=0.25)
        ax.set_xlim(0, months.iloc[-1])
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(title or result.scenario.name, fontsize=15, fontweight="bold")
    fig.text(0.5, -0.02, "Shaded: grant periods.  Dotted: a leader or the coordinator left.  "
             "Red: the funding cliff.", ha="center", fontsize=10, color="#444444")
    path = Path(path)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def summary_text(result: RunResult) -> str:
    """A few readable lines on what happened in a run."""
    o, ts, ev = result.outcomes, result.timeseries, result.events
    horizon = result.months
    lines = [f"{result.scenario.name}: {horizon} months, seed entropy {result.seed['entropy']}"]
    sustained = "yes" if o["sustained"] else "no"
    lines.append(f"  Sustained at month {horizon}: {sustained}")
    if pd.notna(o["grant_end_month"]):
        end = int(o["grant_end_month"])
        fate = (f"dissolved {int(o['months_after_grant'])} months later" if o["dissolved"]
                else f"still functioning {int(o['months_after_grant'])} months later")
        lines.append(f"  Funding cliff in month {end}; {fate}")
    elif o["dissolved"]:
        lines.append("  Dissolved while grants were still running")
    else:
        lines.append("  Grant funding never ran out")
    t12 = ts.loc[min(12, horizon)]
    lines.append(f"  Trust between members: personal {ts['trust_personal'][0]:.2f} -> "
                 f"{t12['trust_personal']:.2f} at month 12 -> {ts['trust_personal'].iloc[-1]:.2f}"
                 f"; institutional {ts['trust_institutional'].iloc[-1]:.2f} at the end")
    lines.append(f"  Members {int(ts['members'][0])} -> {int(ts['members'].iloc[-1])}; engaged "
                 f"{int(ts['engaged'][0])} -> {int(ts['engaged'].iloc[-1])}")
    lines.append(f"  People linked to care: {int(o['people_linked'])} "
                 f"(linkage {o['linkage_rate']:.0%} of referrals)")
    lines.append(f"  MAT capacity {o['mat_capacity_change_plan_end']:+.0%} and people on MAT "
                 f"{o['mat_access_change_plan_end']:+.0%} by the end of the initial grants; "
                 f"{o['mat_capacity_change']:+.0%} and {o['mat_access_change']:+.0%} at the end")
    departures = ev[ev["kind"].isin(["leader_left", "coordinator_left", "manual_departure"])]
    lines.append(f"  Leader and coordinator departures: {len(departures)}")
    return "\n".join(lines)
