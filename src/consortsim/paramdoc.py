"""Parameter tables generated from the declarations in ``params.py`` (never by hand)."""

from __future__ import annotations

from consortsim.params import (
    SECTOR_COLUMNS,
    SECTOR_DEFAULTS,
    SECTOR_TURNOVER_SOURCES,
    SECTORS,
    Param,
    iter_params,
)


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _range(p: Param) -> str:
    if p.choices:
        return " / ".join(p.choices)
    if p.low is None:
        return "true / false"
    return f"{_fmt(p.low)} - {_fmt(p.high)}"


def rows() -> list[dict[str, str]]:
    """One row per section parameter: path, default, unit, range, evidence, source, meaning."""
    return [{"path": path, "default": _fmt(p.default), "unit": p.unit, "range": _range(p),
             "evidence": p.evidence, "source": p.source, "description": p.description}
            for path, p in iter_params()]


def markdown() -> str:
    """The full parameter reference as Markdown tables."""
    out = ["| parameter | default | unit | range | evidence | description | source |",
           "|---|---|---|---|---|---|---|"]
    for r in rows():
        out.append(f"| `{r['path']}` | {r['default']} | {r['unit']} | {r['range']} | "
                   f"{r['evidence']} | {r['description']} | {r['source']} |")
    out += ["", "Per-sector parameters (`sectors.<sector>.<column>`):", "",
            "| column | unit | range | evidence | description | source |",
            "|---|---|---|---|---|---|"]
    for name, c in SECTOR_COLUMNS.items():
        out.append(f"| `{name}` | {c.unit} | {_fmt(c.low)} - {_fmt(c.high)} | {c.evidence} | "
                   f"{c.description} | {c.source} |")
    cols = list(SECTOR_COLUMNS)
    out += ["", "Per-sector defaults:", "", "| sector | " + " | ".join(cols) + " |",
            "|---" * (len(cols) + 1) + "|"]
    for sector in SECTORS:
        vals = " | ".join(_fmt(SECTOR_DEFAULTS[sector][c]) for c in cols)
        out.append(f"| {sector} | {vals} |")
    out += ["", "Sources of the leader turnover rates:", ""]
    out += [f"- {sector}: {src}" for sector, src in SECTOR_TURNOVER_SOURCES.items()]
    return "\n".join(out) + "\n"


def text() -> str:
    """A compact table for a terminal."""
    data = rows()
    lines = [f"{'parameter':44} {'default':>10}  {'unit':16} {'range':24} evidence"]
    for r in data:
        lines.append(f"{r['path']:44} {r['default']:>10}  {r['unit'][:16]:16} "
                     f"{r['range'][:24]:24} {r['evidence']}")
    lines.append("")
    lines.append("Per-sector parameters (sectors.<sector>.<column>); defaults:")
    cols = list(SECTOR_COLUMNS)
    lines.append(f"{'sector':22}" + "".join(f"{c[:14]:>16}" for c in cols))
    for sector in SECTORS:
        lines.append(f"{sector:22}" + "".join(f"{_fmt(SECTOR_DEFAULTS[sector][c]):>16}"
                                              for c in cols))
    return "\n".join(lines)
