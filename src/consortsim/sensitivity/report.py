"""Tables, plots and a short report of a sensitivity analysis.

Files written into the analysis folder:
- ``factors.csv``: what was varied, over which range and distribution, and why that range;
- ``indices.csv``: one row per output, statistic and factor, with intervals (``_low`` /
  ``_high`` = index -/+ the bootstrap half-width ``_conf``) and ``resolved`` (clear of noise);
- ``second_order.csv`` (Sobol with second order), ``noise.csv``, ``convergence.csv``,
  ``verdicts.csv``;
- ``indices_<output>_<statistic>.png`` (Sobol: S1 and ST bars with intervals; Morris:
  mu* against sigma; PAWN: bars with the dummy factor's level), and
  ``convergence_<output>_<statistic>.png``;
- ``report.md``: the answer in words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from consortsim.sensitivity.analysis import DUMMY  # noqa: E402
from consortsim.sensitivity.pipeline import MAIN_INDEX, Results  # noqa: E402
from consortsim.sensitivity.spec import AnalysisSpec  # noqa: E402

INDEX_NAMES = {"ST": "total-order Sobol index ST", "mu_star_norm": "Morris mu* (share of the "
               "largest)", "pawn": "PAWN (median KS)"}


def label(output: str, statistic: str) -> str:
    """``mean(sustained)`` reads as 'probability sustained'; others as ``stat(output)``."""
    if statistic == "mean" and output in ("sustained", "dissolved", "functioning_12m_after"):
        return f"P({output})"
    return f"{statistic}({output})"


def factors_table(spec: AnalysisSpec) -> pd.DataFrame:
    """The resolved factors, one row each."""
    return pd.DataFrame([{"factor": f.name, "low": f.low, "high": f.high, "dist": f.dist,
                          **{k: v for k, v in f.dist_args.items()}, "kind": f.kind,
                          "unit": f.unit, "range_from": f.origin} for f in spec.factors])


def write_tables(out: Path, spec: AnalysisSpec, res: Results) -> list[Path]:
    """Write the CSV tables; returns their paths."""
    tables = {"factors.csv": factors_table(spec), "indices.csv": res.indices,
              "noise.csv": res.noise, "convergence.csv": res.convergence,
              "verdicts.csv": res.verdicts}
    if len(res.second_order):
        tables["second_order.csv"] = res.second_order
    paths = []
    for name, table in tables.items():
        table.to_csv(out / name, index=False)
        paths.append(out / name)
    return paths


# ---------------------------------------------------------------- plots


def _sobol_plot(ax: Any, df: pd.DataFrame, noise_share: float) -> None:
    df = df.sort_values("ST")
    pos = np.arange(len(df))
    ax.barh(pos + 0.2, df["ST"], 0.4, xerr=df["ST_conf"], label="total ST", color="#3b6ea5",
            capsize=2)
    ax.barh(pos - 0.2, df["S1"], 0.4, xerr=df["S1_conf"], label="first order S1",
            color="#9dc3e6", capsize=2)
    if np.isfinite(noise_share) and noise_share > 0:
        ax.axvline(noise_share, color="#c0504d", ls="--", label="seed-noise share")
    ax.set_yticks(pos, df["factor"])
    ax.set_xlabel("Sobol index (share of variance)")


def _morris_plot(ax: Any, df: pd.DataFrame) -> None:
    ax.errorbar(df["mu_star"], df["sigma"], xerr=df["mu_star_conf"], fmt="o", ms=4,
                color="#3b6ea5", ecolor="#9dc3e6", capsize=2)
    top = df.nlargest(min(10, len(df)), "mu_star")
    for _, row in top.iterrows():
        ax.annotate(row["factor"], (row["mu_star"], row["sigma"]), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")
    floor = float(np.nanmax(df["noise_floor"])) if df["noise_floor"].notna().any() else 0.0
    if floor > 0:
        ax.axvspan(0, floor, color="#c0504d", alpha=0.12, label="seed-noise floor")
    ax.set_xlabel("mu* (mean |elementary effect|)")
    ax.set_ylabel("sigma (interactions, non-linearity)")


def _given_plot(ax: Any, df: pd.DataFrame, name: str) -> None:
    df = df.sort_values(name)
    pos = np.arange(len(df))
    colors = ["#bbbbbb" if f == DUMMY else "#3b6ea5" for f in df["factor"]]
    ax.barh(pos, df[name], xerr=df[f"{name}_conf"], color=colors, capsize=2)
    ax.axvline(float(df["noise_floor"].iloc[0]), color="#c0504d", ls="--",
               label="dummy factor (upper bound)")
    ax.set_yticks(pos, df["factor"])
    ax.set_xlabel(INDEX_NAMES[name])


def plot_indices(path: Path, spec: AnalysisSpec, df: pd.DataFrame, noise_share: float,
                 title: str) -> Path:
    """One output x statistic: the method's index plot with intervals."""
    height = 6.0 if spec.method == "morris" else max(3.0, 0.28 * len(df) + 1.5)
    fig, ax = plt.subplots(figsize=(8, height))
    if spec.method == "sobol":
        _sobol_plot(ax, df, noise_share)
    elif spec.method == "morris":
        _morris_plot(ax, df)
    else:
        _given_plot(ax, df, MAIN_INDEX[spec.method][0])
    ax.set_title(title, fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="lower right")
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_convergence(path: Path, spec: AnalysisSpec, conv: pd.DataFrame, title: str) -> Path:
    """Main index (with interval) against base sample size, for the leading factors."""
    final = conv[conv["base"] == conv["base"].max()]
    lead = final.nlargest(min(8, len(final)), "index")["factor"]
    fig, ax = plt.subplots(figsize=(7, 4))
    for factor in lead:
        part = conv[conv["factor"] == factor].sort_values("base")
        ax.errorbar(part["base"], part["index"], yerr=part["conf"], marker="o", ms=3,
                    capsize=2, label=factor)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("base sample size N")
    ax.set_ylabel(INDEX_NAMES[MAIN_INDEX[spec.method][0]])
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_plots(out: Path, spec: AnalysisSpec, res: Results) -> list[Path]:
    """Index and convergence plots for every analysed output x statistic."""
    paths = []
    for row in res.verdicts.itertuples():
        key = (res.indices["output"] == row.output) & (res.indices["statistic"] == row.statistic)
        df = res.indices[key]
        share = float(res.noise.loc[(res.noise["output"] == row.output)
                                    & (res.noise["statistic"] == row.statistic),
                                    "noise_share"].iloc[0])
        name = f"{row.output}_{row.statistic}"
        title = f"{spec.name}: {label(row.output, row.statistic)}"
        paths.append(plot_indices(out / f"indices_{name}.png", spec, df, share, title))
        conv = res.convergence[(res.convergence["output"] == row.output)
                               & (res.convergence["statistic"] == row.statistic)]
        paths.append(plot_convergence(out / f"convergence_{name}.png", spec, conv,
                                      f"Convergence: {label(row.output, row.statistic)}"))
    return paths


# ---------------------------------------------------------------- report


def _fmt(value: float, digits: int = 3) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.{digits}f}"


def _top_table(spec: AnalysisSpec, df: pd.DataFrame, rows: int = 10) -> list[str]:
    name, conf = MAIN_INDEX[spec.method]
    if spec.method == "morris":
        name, conf = "mu_star", "mu_star_conf"  # in the output's units, beside sigma
    df = df[df["factor"] != DUMMY].sort_values(name, ascending=False).head(rows)
    extra = {"sobol": ("S1", "S1_conf"), "morris": ("sigma", None),
             "pawn": ("pawn_max", None)}[spec.method]
    head = f"| factor | {name} (95% interval) | {extra[0]} | clear of noise |"
    lines = [head, "| --- | --- | --- | --- |"]
    for r in df.itertuples():
        main = getattr(r, name)
        half = getattr(r, conf)
        second = getattr(r, extra[0])
        second_text = _fmt(second) + (f" +/- {_fmt(getattr(r, extra[1]))}" if extra[1] else "")
        lines.append(f"| {r.factor} | {_fmt(main)} ({_fmt(main - half)} to "
                     f"{_fmt(main + half)}) | {second_text} | {'yes' if r.resolved else 'no'} |")
    return lines


def _noise_text(spec: AnalysisSpec, n: pd.Series) -> str:
    if spec.replicates < 2:
        return "Seed noise: not estimated (one replicate per point)."
    within = n["seed_variance"]
    common = n["common_seed_variance"] / within if within > 0 else float("nan")
    return (f"Seed noise: {n['run_noise_share']:.1%} of the variance of a single run is "
            f"luck; {_pct(common)} of that luck is shared by every design point (common "
            "random numbers cancel it). What remains is "
            f"{n['noise_share']:.1%} of the variance of the analysed statistic across design "
            f"points ({spec.replicates} replicates per point): indices below that share "
            "cannot be told apart from seed noise.")


def _pct(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{min(value, 1.0):.0%}"


def _verdict_text(spec: AnalysisSpec, v: pd.Series) -> str:
    done = "large enough" if v["large_enough"] else "NOT large enough"
    return (f"Convergence (base sizes {v['sizes']}): largest change of the main index from "
            f"N/2 to N {_fmt(v['max_change'])} (tolerance {spec.tolerance:g}); widest "
            f"interval half-width at N {_fmt(v['max_half_width'])} (limit "
            f"{spec.max_interval:g}): the run was {done}.")


def _section(spec: AnalysisSpec, res: Results, v: pd.Series) -> list[str]:
    key = (res.indices["output"] == v["output"]) & (res.indices["statistic"] == v["statistic"])
    n = res.noise[(res.noise["output"] == v["output"])
                  & (res.noise["statistic"] == v["statistic"])].iloc[0]
    name = f"{v['output']}_{v['statistic']}"
    return [f"## {label(v['output'], v['statistic'])}", "",
            *_top_table(spec, res.indices[key]), "", _noise_text(spec, n), "",
            _verdict_text(spec, v), "",
            f"![indices](indices_{name}.png) ![convergence](convergence_{name}.png)", ""]


def network_note(spec: AnalysisSpec) -> str | None:
    """A warning when each replicate generates its own network: a synthetic scenario
    without ``network_seed``. Common random numbers then give every design point the same
    few networks, and results hold for those."""
    synthetic = spec.base.synthetic if spec.base is not None else None
    if synthetic is None or synthetic.network_seed is not None:
        return None
    return (f"Networks: the scenario generates its agencies from each run's seed, so the "
            f"design covers {spec.replicates} network(s), the same at every design point, "
            "and the results hold for those. Raise replicates to cover more, or set "
            "synthetic.network_seed to study one network on purpose.")


def _intro(spec: AnalysisSpec, runs: int, seconds: float | None) -> list[str]:
    where = spec.scenario_file.name if spec.scenario_file else spec.test_function.get("name")
    took = f" in {seconds:,.0f} s" if seconds is not None else ""
    design = {"sobol": f"Sobol' design, base N = {spec.samples}"
              + (" with second order" if spec.second_order else ""),
              "morris": f"Morris, {spec.samples} trajectories on {spec.levels} levels",
              "pawn": f"Latin hypercube of {spec.samples} points"}[spec.method]
    if spec.given_data:
        design = f"given data from {spec.given_data.name}"
    return [f"# {spec.name}", "", *([spec.description, ""] if spec.description else []),
            f"- Model: {where}; method {spec.method} ({design}); {len(spec.factors)} factors "
            f"(see factors.csv).",
            f"- {runs:,} runs: {spec.replicates} replicates per design point with common "
            f"random numbers (root seed {spec.seed}){took}.",
            f"- Intervals: {spec.confidence:.0%} bootstrap ({spec.bootstrap} resamples).",
            *([f"- {note}"] if (note := network_note(spec)) else []), ""]


def write_report(out: Path, spec: AnalysisSpec, res: Results, runs: int,
                 seconds: float | None = None) -> Path:
    """The short report, ``report.md``."""
    lines = _intro(spec, runs, seconds)
    for _, v in res.verdicts.iterrows():
        lines += _section(spec, res, v)
    if res.notes:
        lines += ["## Not analysed", "", *[f"- {note}" for note in res.notes], ""]
    lines += ["## How to read this", "", _HOW.get(spec.method, ""), ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


_HOW = {
    "sobol": "ST is the share of output variance a factor drives, alone or with others; S1 the "
             "share it drives alone. Factors with small ST can be fixed anywhere in their "
             "range. 'Clear of noise' means the lower end of ST's interval is above the "
             "seed-noise share.",
    "morris": "mu* ranks factors by their average effect over the range; sigma large next to "
              "mu* means interactions or non-linearity. Morris screens: follow it with a Sobol "
              "analysis of the leading factors. 'Clear of noise' means mu*'s interval lies "
              "above the mu* that seed noise alone would give.",
    "pawn": "PAWN is the median Kolmogorov-Smirnov distance between the output's "
            "distribution with the factor held in a slice of its range and without. 'Clear "
            "of noise' means the interval lies above the dummy factor's.",
}
