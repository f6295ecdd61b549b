"""docs/ODD.md: its generated blocks equal what the code produces now, and it is complete."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from consortsim import mechanisms, odd
from consortsim.params import SECTOR_COLUMNS, SECTORS, iter_params

ODD_PATH = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"


@pytest.fixture(scope="module")
def text() -> str:
    return ODD_PATH.read_text(encoding="utf-8")


def test_generated_blocks_are_up_to_date(text: str) -> None:
    assert odd.stale(text) == [], "run: python -m consortsim.odd"


def test_every_generator_has_a_block_in_the_document(text: str) -> None:
    assert sorted(odd.block_names(text)) == sorted(odd.generators())


def test_every_declared_parameter_appears(text: str) -> None:
    missing = [path for path, _ in iter_params() if f"`{path}`" not in text]
    assert missing == []
    assert all(f"`{column}`" in text for column in SECTOR_COLUMNS)
    assert all(f"| {sector} |" in text for sector in SECTORS)


def test_parameter_defaults_in_the_table_match_the_declarations(text: str) -> None:
    for path, p in iter_params():
        row = re.search(rf"^\| `{re.escape(path)}` \| ([^|]+) \|", text, re.M)
        assert row is not None, path
        shown = row.group(1).strip()
        expected = ("true" if p.default else "false") if isinstance(p.default, bool) \
            else (f"{p.default:g}" if isinstance(p.default, float) else str(p.default))
        assert shown == expected, path


def test_each_mechanism_has_a_submodel_with_its_rule(text: str) -> None:
    for module in mechanisms.SCHEDULE:
        name = odd.module_name(module)
        assert f"<!-- generated:submodel:{name} -->" in text
        first_rule_line = inspect.getdoc(module).splitlines()[2]
        assert first_rule_line in text, name


def test_schedule_lists_mechanisms_in_order(text: str) -> None:
    block = text.split("<!-- generated:schedule -->")[1].split("<!-- /generated:schedule")[0]
    positions = [block.index(f"mechanisms/{odd.module_name(m)}.py") for m in mechanisms.SCHEDULE]
    assert positions == sorted(positions)


def test_odd_2020_elements_are_present(text: str) -> None:
    for heading in ("## 1. Purpose and patterns", "## 2. Entities, state variables and scales",
                    "## 3. Process overview and scheduling", "## 4. Design concepts",
                    "## 5. Initialisation", "## 6. Input data", "## 7. Submodels",
                    "Theoretical and empirical background", "Individual decision-making"):
        assert heading in text


def test_render_replaces_stale_content_and_keeps_prose() -> None:
    doc = ("Prose before.\n<!-- generated:sectors -->\nold table\n"
           "<!-- /generated:sectors -->\nAfter.\n")
    out = odd.render(doc)
    assert "old table" not in out
    assert out.startswith("Prose before.\n") and out.endswith("After.\n")
    assert odd.sectors() in out
    assert odd.stale(doc) != [] and "sectors" in odd.stale(doc)


def test_unknown_block_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown generated block"):
        odd.render("<!-- generated:nonsense -->\nx\n<!-- /generated:nonsense -->\n")


def test_check_mode_exit_status(tmp_path: Path) -> None:
    good = tmp_path / "ODD.md"
    good.write_text(odd.render(ODD_PATH.read_text(encoding="utf-8")), encoding="utf-8")
    assert odd.main([str(good), "--check"]) == 0
    bad = tmp_path / "stale.md"
    bad.write_text("<!-- generated:schedule -->\nstale\n<!-- /generated:schedule -->\n")
    assert odd.main([str(bad), "--check"]) == 1
