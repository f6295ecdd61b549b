"""Fill the generated parts of ``docs/ODD.md`` from the code, so the two cannot disagree.

``docs/ODD.md`` is one file: hand-written prose (ODD 2020 with the ODD+D decision
elements: Grimm et al. 2020, *JASSS* 23(2):7; Müller et al. 2013, *Environ Model Softw*
48:37-48) with generated blocks between marker comments::

    <!-- generated:parameters -->
    ...
    <!-- /generated:parameters -->

Blocks: the parameter table (``paramdoc.markdown``), the sector table, the monthly
schedule (``mechanisms.SCHEDULE``), each submodel's rule (its module docstring) with the
parameters of its section, what is observed (``metrics``), the patterns
(``validation.PATTERNS``) and the strategies. ``python -m consortsim.odd`` rewrites the
blocks; ``python -m consortsim.odd --check`` exits 1 when any is stale (the tests do the
same).
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from consortsim import mechanisms, paramdoc
from consortsim.metrics import METRICS, OUTCOMES
from consortsim.params import NEEDS, SECTOR_DEFAULTS, SECTOR_TURNOVER_SOURCES, SECTORS

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"
MARKER = re.compile(r"<!-- generated:(?P<name>[\w:-]+) -->\n(?P<body>.*?)"
                    r"<!-- /generated:(?P=name) -->", re.S)

# The parameter sections each mechanism module reads (one module, one section; the
# consortium-level thresholds in ``sustain`` are read where dissolution is decided).
MODULE_SECTIONS: dict[str, tuple[str, ...]] = {
    "grants": ("grant_cycle",),
    "turnover": ("turnover",),
    "coordination": ("coordination",),
    "referrals": ("referrals",),
    "funding": ("funding",),
    "engagement": ("engagement", "sustain"),
    "recruitment": ("recruitment",),
}


def module_name(module: ModuleType) -> str:
    """``consortsim.mechanisms.grants`` -> ``grants``."""
    return module.__name__.rsplit(".", 1)[-1]


def schedule() -> str:
    """The monthly schedule: one numbered line per mechanism, in the order run."""
    lines = []
    for k, module in enumerate(mechanisms.SCHEDULE, start=1):
        title = inspect.getdoc(module).splitlines()[0].rstrip(".")
        lines.append(f"{k}. **{title}** (`mechanisms/{module_name(module)}.py`)")
    lines.append(f"{len(mechanisms.SCHEDULE) + 1}. **Observation**: every metric of the "
                 "month is recorded (`metrics.py`), after all processes have run.")
    return "\n".join(lines) + "\n"


def _param_rows(section: str) -> list[str]:
    rows = ["| parameter | default | unit | evidence | description |", "|---|---|---|---|---|"]
    for r in paramdoc.rows():
        if r["path"].split(".")[0] == section:
            rows.append(f"| `{r['path']}` | {r['default']} | {r['unit']} | {r['evidence']} | "
                        f"{r['description']} |")
    return rows


def submodel(name: str) -> str:
    """One mechanism's rule (its module docstring) and the parameters it reads."""
    module = next(m for m in mechanisms.SCHEDULE if module_name(m) == name)
    doc = inspect.getdoc(module).splitlines()
    lines = list(doc[1:])
    while lines and not lines[0].strip():
        lines.pop(0)
    out = ["Rule, as stated in the module:", ""]
    out += [f"> {line}" if line.strip() else ">" for line in lines]
    for section in MODULE_SECTIONS.get(name, ()):
        out += ["", f"Parameters (`{section}`):", "", *_param_rows(section)]
    return "\n".join(out) + "\n"


def sectors() -> str:
    """Per-sector services, entry rates, billing, belief distance and turnover."""
    out = ["| sector | services received | entry (people/month) | billable share | "
           "belief distance | leader turnover (/year) | turnover source |",
           "|---|---|---|---|---|---|---|"]
    for sector in SECTORS:
        d = SECTOR_DEFAULTS[sector]
        offers = ", ".join(n.replace("_", " ") for n in NEEDS if d[f"offers_{n}"] > 0.5)
        out.append(f"| {sector} | {offers or 'none (refers only)'} | {d['entry_rate']:g} | "
                   f"{d['billing']:g} | {d['belief_distance']:g} | "
                   f"{d['leader_turnover']:g} | {SECTOR_TURNOVER_SOURCES[sector]} |")
    return "\n".join(out) + "\n"


def observation() -> str:
    """Monthly metrics and per-run outcomes."""
    out = ["Monthly (one row per month, `metrics.METRICS`):", "",
           "| metric | unit | meaning |", "|---|---|---|"]
    out += [f"| `{m.name}` | {m.unit} | {m.description} |" for m in METRICS]
    out += ["", "Per run (`metrics.OUTCOMES`):", "", "| outcome | unit | meaning |",
            "|---|---|---|"]
    out += [f"| `{m.name}` | {m.unit} | {m.description} |" for m in OUTCOMES]
    return "\n".join(out) + "\n"


def patterns() -> str:
    """The validation patterns: source, band and how each is measured."""
    from consortsim.validation import PATTERNS

    out = ["| id | pattern | source | target | how it is measured |", "|---|---|---|---|---|"]
    for p in PATTERNS:
        how = p.how + (f" *Known structural gap:* {p.gap}." if p.gap else "")
        out.append(f"| {p.id} | {p.name} | {p.source} | {p.target()} | {how} |")
    return "\n".join(out) + "\n"


def strategies() -> str:
    """The named strategies planners compare, with what each changes."""
    from consortsim.strategies import STRATEGIES

    out = ["| strategy | what it does | changes | source |", "|---|---|---|---|"]
    for s in STRATEGIES.values():
        changes = ", ".join(f"`{k}`={v}" for k, v in s.overrides.items())
        out.append(f"| `{s.name}` | {s.how} | {changes} | {s.source} |")
    return "\n".join(out) + "\n"


def generators() -> dict[str, Callable[[], str]]:
    """Every generated block, by marker name."""
    gens: dict[str, Callable[[], str]] = {
        "schedule": schedule, "sectors": sectors, "observation": observation,
        "patterns": patterns, "strategies": strategies, "parameters": paramdoc.markdown,
    }
    for module in mechanisms.SCHEDULE:
        name = module_name(module)
        gens[f"submodel:{name}"] = lambda name=name: submodel(name)
    return gens


def render(text: str) -> str:
    """``text`` with every generated block replaced by what the code says now.

    Raises:
        ValueError: naming a marker the generator does not know.
    """
    gens = generators()

    def fill(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in gens:
            raise ValueError(f"unknown generated block {name!r}; known: {', '.join(gens)}")
        return f"<!-- generated:{name} -->\n{gens[name]()}<!-- /generated:{name} -->"

    return MARKER.sub(fill, text)


def block_names(text: str) -> list[str]:
    """The generated blocks present in ``text``, in order."""
    return [m["name"] for m in MARKER.finditer(text)]


def stale(text: str) -> list[str]:
    """Blocks whose content differs from what the generator produces now, and known
    blocks missing from ``text``."""
    fresh = {m["name"]: m["body"] for m in MARKER.finditer(render(text))}
    old = {m["name"]: m["body"] for m in MARKER.finditer(text)}
    missing = [name for name in generators() if name not in old]
    return [name for name in old if old[name] != fresh[name]] + missing


def main(argv: list[str] | None = None) -> int:
    """Rewrite the generated blocks of docs/ODD.md, or check them (``--check``)."""
    ap = argparse.ArgumentParser(prog="python -m consortsim.odd", description=__doc__)
    ap.add_argument("path", nargs="?", default=str(DEFAULT_PATH))
    ap.add_argument("--check", action="store_true", help="exit 1 when a block is stale")
    args = ap.parse_args(argv)
    path = Path(args.path)
    text = path.read_text(encoding="utf-8")
    if args.check:
        bad = stale(text)
        if bad:
            print(f"{path}: stale generated blocks: {', '.join(bad)} "
                  "(run: python -m consortsim.odd)")
            return 1
        print(f"{path}: generated blocks are up to date")
        return 0
    path.write_text(render(text), encoding="utf-8")
    print(f"{path}: generated blocks rewritten ({len(block_names(text))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
