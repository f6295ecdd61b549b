"""What ``consortsim compare`` writes: a table, figures and a one-page report for a board.

Files (in the results folder):

- ``strategies.csv``: one row per strategy; levels with 95% intervals and paired
  differences from the baseline (see ``analysis.compare_table`` for the columns).
- ``effects.png``: each strategy's change in the chance of being sustained, with 95%
  intervals (a forest plot: the one figure a board needs).
- ``survival.png``: Kaplan-Meier curves of months survived after the funding cliff, one
  panel per strategy against the baseline.
- ``distributions.png``: the spread of outcomes over replicates, by strategy.
- ``survival.csv``: the Kaplan-Meier tables behind ``survival.png``.
- ``report.md`` and ``report.html`` (figures embedded): the one-page report.

Figures are sized and lettered to be read on a slide (matplotlib, Agg backend).
"""

from __future__ import annotations

import base64
import html
import math
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from consortsim.experiments import analysis  # noqa: E402
from consortsim.experiments.spec import Experiment  # noqa: E402
from consortsim.metrics import OUTCOMES  # noqa: E402

FONT = {"font.size": 14, "axes.titlesize": 15, "axes.labelsize": 14,
        "xtick.labelsize": 13, "ytick.labelsize": 13, "legend.fontsize": 13}
UP, DOWN, FLAT, BASE = "#1b7837", "#b2182b", "#7f7f7f", "#1a1a1a"
Block = tuple[str, Any]


def _colour(sign: int) -> str:
    return UP if sign > 0 else (DOWN if sign < 0 else FLAT)


def _fmt_pct(value: float, signed: bool = False) -> str:
    if pd.isna(value):
        return "-"
    return f"{value * 100:+.0f}%" if signed else f"{value * 100:.0f}%"


def _fmt_pts(value: float) -> str:
    """Percentage points, whole unless that would show a small change as 0."""
    if pd.isna(value):
        return "-"
    pts = value * 100
    return f"{pts:+.1f} pts" if 0 < abs(pts) < 0.95 else f"{pts:+.0f} pts"


def _fmt_change(row: pd.Series) -> str:
    low, high = row["diff_sustained_low"], row["diff_sustained_high"]
    if low == high == row["diff_sustained"] == 0:
        return "0 (the same in every future)"
    return (f"{_fmt_pts(row['diff_sustained'])} ({_fmt_pts(low)} to {_fmt_pts(high)})")


def _fmt_num(value: float, digits: int = 0, signed: bool = False) -> str:
    if pd.isna(value):
        return "-"
    return f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"


# ---------------------------------------------------------------- figures


def effects_figure(table: pd.DataFrame, baseline: str, path: Path) -> Path:
    """Forest plot: paired change in P(sustained) from the baseline, with 95% intervals."""
    rows = table[table["strategy"] != baseline].sort_values("diff_sustained")
    base = table[table["strategy"] == baseline].iloc[0]
    with plt.rc_context(FONT):
        fig, ax = plt.subplots(figsize=(11, 0.55 * len(rows) + 2.2), constrained_layout=True)
        y = np.arange(len(rows))
        for i, (_, row) in enumerate(rows.iterrows()):
            colour = _colour(analysis.significant(row))
            ax.plot([row["diff_sustained_low"] * 100, row["diff_sustained_high"] * 100],
                    [i, i], color=colour, lw=3, solid_capstyle="round")
            ax.plot(row["diff_sustained"] * 100, i, "o", color=colour, ms=10)
        ax.axvline(0, color=BASE, lw=1.2)
        ax.set_yticks(y, rows["title"])
        ax.set_xlabel("change in the chance of being sustained (percentage points)")
        ax.set_title(f"Effect of each strategy (baseline sustained in "
                     f"{_fmt_pct(base['sustained'])} of futures)", loc="left")
        ax.grid(axis="x", alpha=0.3)
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return path


def survival_figure(curves: dict[str, pd.DataFrame], table: pd.DataFrame, baseline: str,
                    path: Path) -> Path:
    """Kaplan-Meier curves after the funding cliff: one panel per strategy, baseline grey."""
    others = [s for s in table["strategy"] if s != baseline]
    titles = dict(zip(table["strategy"], table["title"], strict=True))
    cols = 4 if len(others) > 6 else max(1, min(3, len(others)))
    nrows = max(1, math.ceil(len(others) / cols))
    with plt.rc_context(FONT):
        fig, axes = plt.subplots(nrows, cols, figsize=(4.4 * cols, 3.4 * nrows + 0.8),
                                 sharex=True, sharey=True, squeeze=False,
                                 constrained_layout=True)
        for ax, label in zip(axes.flat, others, strict=False):
            sign = analysis.significant(table[table["strategy"] == label].iloc[0])
            _step(ax, curves[label], _colour(sign) if sign else "#2166ac", "strategy")
            _step(ax, curves[baseline], FLAT, "baseline", ls="--")  # on top: visible
            ax.set_title(_short(titles[label]), loc="left")
            ax.set_ylim(0, 1.02)
            ax.grid(alpha=0.3)
        for ax in list(axes.flat)[len(others):]:
            ax.set_visible(False)
        for ax in axes[:, 0]:
            ax.set_ylabel("still functioning")
        for ax in axes[-1, :]:
            ax.set_xlabel("months after the grant ended")
        fig.suptitle("Survival after the funding cliff (Kaplan-Meier; grey dashed: baseline)",
                     x=0.01, ha="left", fontsize=16)
        fig.savefig(path, dpi=100)
        plt.close(fig)
    return path


def _short(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _step(ax: plt.Axes, curve: pd.DataFrame, colour: str, label: str, ls: str = "-") -> None:
    times = np.r_[0.0, curve["time"].to_numpy()]
    surv = np.r_[1.0, curve["survival"].to_numpy()]
    ax.step(times, surv, where="post", color=colour, lw=2.4, ls=ls, label=label)


DISTRIBUTIONS = (("months_after_grant", "months functioning after the grant", 1.0),
                 ("mat_capacity_change", "MAT capacity change at the horizon (%)", 100.0),
                 ("mat_access_change", "people on MAT, change at the horizon (%)", 100.0),
                 ("people_linked", "people linked to care", 1.0))


def distributions_figure(frame: pd.DataFrame, table: pd.DataFrame, path: Path) -> Path:
    """Box plots of four outcomes over replicates, strategy by strategy."""
    labels = list(table["strategy"])[::-1]
    titles = dict(zip(table["strategy"], table["title"], strict=True))
    ok = frame[frame["status"] == "ok"]
    with plt.rc_context(FONT):
        fig, axes = plt.subplots(2, 2, figsize=(16, 0.42 * len(labels) * 2 + 3),
                                 sharey=True, constrained_layout=True)
        for ax, (outcome, title, scale) in zip(axes.flat, DISTRIBUTIONS, strict=True):
            data = [ok.loc[ok["label"] == lab, outcome].dropna().to_numpy() * scale
                    for lab in labels]
            ax.boxplot(data, orientation="horizontal", widths=0.6, showfliers=False,
                       medianprops={"color": BASE, "lw": 2})
            ax.set_yticks(np.arange(1, len(labels) + 1), [_short(titles[lab], 34)
                                                          for lab in labels])
            ax.set_title(title, loc="left")
            ax.grid(axis="x", alpha=0.3)
        fig.suptitle("Outcomes over replicates (boxes: middle half; whiskers: 1.5 IQR)",
                     x=0.01, ha="left", fontsize=16)
        fig.savefig(path, dpi=90)
        plt.close(fig)
    return path


# ---------------------------------------------------------------- the report


def headline(table: pd.DataFrame, baseline: str, horizon: int) -> list[str]:
    """Plain sentences: the baseline's chance and which strategies clearly move it."""
    base = table[table["strategy"] == baseline].iloc[0]
    lines = [f"Without an added strategy the consortium is still sustained at month {horizon} "
             f"in {_fmt_pct(base['sustained'])} of simulated futures (95% interval "
             f"{_fmt_pct(base['sustained_low'])}-{_fmt_pct(base['sustained_high'])})."]
    others = table[table["strategy"] != baseline].sort_values("diff_sustained",
                                                               ascending=False)
    up = [r for _, r in others.iterrows() if analysis.significant(r) > 0]
    down = [r for _, r in others.iterrows() if analysis.significant(r) < 0]
    if up:
        lines.append("Clearly raise that chance: " + "; ".join(
            f"{r['title']} ({_fmt_pts(r['diff_sustained'])}, 95% interval "
            f"{_fmt_pts(r['diff_sustained_low'])} to {_fmt_pts(r['diff_sustained_high'])})"
            for r in up) + ".")
    if down:
        lines.append("Clearly lower it: " + "; ".join(
            f"{r['title']} ({_fmt_pts(r['diff_sustained'])})" for r in down) + ".")
    flat = len(others) - len(up) - len(down)
    if flat:
        lines.append(f"{flat} strateg{'y' if flat == 1 else 'ies'} made no difference that "
                     "these replicates can tell apart from chance.")
    return lines


def table_rows(table: pd.DataFrame, baseline: str) -> tuple[list[str], list[list[str]]]:
    """The report's table: one row per strategy, best change in P(sustained) first."""
    header = ["Strategy", "Sustained (95% CI)", "Change vs baseline (95% CI)",
              "Months after grant (median)", "MAT capacity change", "MAT access change",
              "People linked"]
    order = pd.concat([table[table["strategy"] == baseline],
                       table[table["strategy"] != baseline].sort_values(
                           "diff_sustained", ascending=False)])
    rows = []
    for _, r in order.iterrows():
        is_base = r["strategy"] == baseline
        change = "(reference)" if is_base else _fmt_change(r)
        median = r["median_months_after_grant"]
        rows.append([
            r["title"],
            f"{_fmt_pct(r['sustained'])} ({_fmt_pct(r['sustained_low'])}-"
            f"{_fmt_pct(r['sustained_high'])})",
            change,
            "not reached" if pd.isna(median) else f"{median:.0f}",
            _fmt_pct(r["mat_capacity_change"], signed=True),
            _fmt_pct(r["mat_access_change"], signed=True),
            _fmt_num(r["people_linked"]),
        ])
    return header, rows


def _definition(name: str) -> str:
    return next(o.description for o in OUTCOMES if o.name == name)


def report_blocks(exp: Experiment, table: pd.DataFrame, figures: dict[str, Path],
                  command: str) -> list[Block]:
    """The report as blocks, rendered to Markdown and HTML alike."""
    design = exp.design
    baseline = design.labels[design.baseline or 0]
    horizon = exp.base.months
    runs = int(table["runs"].sum())
    failed = int(table["failed"].sum() + table["missing"].sum())
    header, rows = table_rows(table, baseline)
    what = (f"{len(design)} options (the baseline and {len(design) - 1} strategies) were each "
            f"run {exp.replicates} times on the same {exp.replicates} random futures "
            f"(common random numbers, root seed {exp.root_seed}) for {horizon} months of the "
            f"scenario \u201c{exp.base.name}\u201d: {runs:,} runs"
            + (f", {failed:,} failed or missing." if failed else "."))
    return [
        ("h1", f"{exp.name}"),
        ("p", exp.description or exp.base.description),
        ("p", what),
        ("h2", "What the simulations say"),
        ("ul", headline(table, baseline, horizon)),
        ("table", (header, rows)),
        ("img", (figures["effects"].name, "Change in the chance of being sustained, "
                 "strategy minus baseline on the same futures (95% intervals; green: "
                 "clearly up, red: clearly down, grey: not distinguishable from chance).")),
        ("img", (figures["survival"].name, "Months the consortium kept functioning after "
                 "its last grant ended (Kaplan-Meier; runs still functioning at the "
                 "horizon are censored).")),
        ("h2", "How to read this"),
        ("ul", [
            f"Sustained: {_definition('sustained')}.",
            "Intervals: Wilson score intervals for chances; paired t intervals for "
            "changes, computed from each future's strategy-minus-baseline difference.",
            "Months after grant: median time from the funding cliff to dissolution; "
            "\u201cnot reached\u201d when more than half were still functioning at the "
            "horizon. Runs that never lost their grant funding are left out of this "
            f"column (share that reached the cliff is in {figures['csv'].name}).",
            "MAT capacity and access: change from month 0 to the horizon, averaged over "
            "futures. People linked: people linked to care over the whole run.",
            "These are comparisons of strategies within a model built from the evidence "
            "cited in the scenario, not forecasts for a particular county.",
        ]),
        ("p", f"Outcome distributions: {figures['distributions'].name}. Full table: "
              f"{figures['csv'].name}. Reproduce: {command} (consortsim, {date.today()})."),
    ]


def _markdown(blocks: list[Block]) -> str:
    out = []
    for kind, body in blocks:
        if kind == "h1":
            out.append(f"# {body}\n")
        elif kind == "h2":
            out.append(f"## {body}\n")
        elif kind == "p":
            out.append(f"{body}\n")
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in body) + "\n")
        elif kind == "table":
            header, rows = body
            out.append("| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n"
                       + "\n".join("| " + " | ".join(r) + " |" for r in rows) + "\n")
        elif kind == "img":
            name, caption = body
            out.append(f"![{caption}]({name})\n\n*{caption}*\n")
    return "\n".join(out)


CSS = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
       "color:#1a1a1a;line-height:1.4}table{border-collapse:collapse;font-size:.92rem}"
       "th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left}"
       "th{background:#f2f2f2}img{max-width:100%}figcaption{font-size:.9rem;color:#555}"
       "@media print{body{margin:0}}")


def _html(blocks: list[Block], folder: Path) -> str:
    out = [f"<!doctype html><html lang=en><meta charset=utf-8><style>{CSS}</style>"]
    for kind, body in blocks:
        if kind in ("h1", "h2", "p"):
            tag = kind
            out.append(f"<{tag}>{html.escape(str(body))}</{tag}>")
            if kind == "h1":
                out[0] = out[0].replace("<style>", f"<title>{html.escape(body)}</title><style>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in body) + "</ul>")
        elif kind == "table":
            header, rows = body
            out.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header)
                       + "</tr>" + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>"
                                                            for c in r) + "</tr>"
                                           for r in rows) + "</table>")
        elif kind == "img":
            name, caption = body
            data = base64.b64encode((folder / name).read_bytes()).decode()
            out.append(f"<figure><img src='data:image/png;base64,{data}' "
                       f"alt='{html.escape(caption)}'><figcaption>{html.escape(caption)}"
                       "</figcaption></figure>")
    return "\n".join(out) + "\n</html>\n"


def write_report(exp: Experiment, frame: pd.DataFrame, table: pd.DataFrame, out: Path,
                 command: str) -> dict[str, Path]:
    """Write the table, figures and report of a comparison into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    design = exp.design
    baseline = design.labels[design.baseline or 0]
    curves = analysis.survival_curves(frame, design.labels)
    files = {"csv": out / "strategies.csv", "survival_csv": out / "survival.csv"}
    table.to_csv(files["csv"], index=False)
    pd.concat([c.assign(strategy=k) for k, c in curves.items()]).to_csv(
        files["survival_csv"], index=False)
    files["effects"] = effects_figure(table, baseline, out / "effects.png")
    files["survival"] = survival_figure(curves, table, baseline, out / "survival.png")
    files["distributions"] = distributions_figure(frame, table, out / "distributions.png")
    blocks = report_blocks(exp, table, files, command)
    files["report_md"] = out / "report.md"
    files["report_md"].write_text(_markdown(blocks), encoding="utf-8")
    files["report_html"] = out / "report.html"
    files["report_html"].write_text(_html(blocks, out), encoding="utf-8")
    return files


def text_table(table: pd.DataFrame, baseline: str) -> str:
    """The report's table as fixed-width text, for the terminal."""
    header, rows = table_rows(table, baseline)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])
