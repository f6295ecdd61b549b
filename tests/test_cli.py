"""The ``consortsim`` command, run as people run it: processes of the installed entry point.

Bad input must end with exit status 2 and one line on stderr naming the file, the dotted
key path, what was expected and what was found, never a traceback. Each kind of bad input
runs as its own process (all of them side by side, so start-up costs overlap); further
variants of the same kinds call ``consortsim.cli.main`` in this process, which prints and
returns exactly what the entry point prints and exits with.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from consortsim.cli import main
from consortsim.params import SECTOR_COLUMNS, SECTORS, iter_params
from consortsim.strategies import STRATEGIES

GOOD = """\
name: Two-agency test
months: 24
consortium: {lead: Lead Clinic}
grants:
  - {name: Main grant, start: 0, months: 12, amount_per_year: 120000}
agencies:
  - {name: Lead Clinic, sector: primary_care}
  - {name: County ED, sector: emergency_department}
"""
CHILD = ("child.yaml", "extends: good.yaml\nname: Child\nmonths: 12\n")
TAG = ('name: !!python/object/apply:os.system ["touch executed"]\n'
       "agencies:\n  - {name: A, sector: hospital}\n")


@dataclass(frozen=True)
class Command:
    """A command line, the files it needs, and the fragments its error line must contain."""

    args: tuple[str, ...]
    fragments: tuple[str, ...] = ()
    files: tuple[tuple[str, str], ...] = (("good.yaml", GOOD),)


def bad_file(name: str, text: str, *fragments: str) -> Command:
    """``run`` on a bad scenario file: the message starts with the file's name."""
    return Command(("run", f"{name}.yaml", "--out", "out"), (f"{name}.yaml: ", *fragments),
                   ((f"{name}.yaml", text),))


def bad_args(args: tuple[str, ...], *fragments: str) -> Command:
    """``run`` on the good file with bad command-line arguments."""
    return Command(("run", "good.yaml", *args, "--out", "out"), fragments)


# One process each: every kind of bad input the command must report in one line.
BAD_INPUT: dict[str, Command] = {
    "unknown_key": bad_file(
        "unknown_key", GOOD + "turnover: {vacancy_month: 3}\n", "turnover.vacancy_month:",
        "expected a known key", "did you mean 'vacancy_months'?",
        "found unknown key 'vacancy_month'"),
    "wrong_type": bad_file(
        "wrong_type", GOOD.replace("months: 24", "months: twelve"), "months:",
        "expected a valid integer", "found 'twelve'"),
    "out_of_range": bad_file(
        "out_of_range", GOOD + "turnover: {vacancy_months: 40}\n", "turnover.vacancy_months:",
        "expected less than or equal to 18", "found 40"),
    "duplicate_agency": bad_file(
        "duplicate_agency", GOOD + "  - {name: County ED, sector: hospital}\n",
        "agencies[2].name:", "expected a unique agency name", "found duplicate 'County ED'"),
    "unknown_sector": bad_file(
        "unknown_sector", GOOD.replace("sector: emergency_department", "sector: hospitl"),
        "agencies[1].sector:", "expected one of", "emergency_department",
        "did you mean 'hospital'?", "found 'hospitl'"),
    "yaml_syntax": bad_file(
        "yaml_syntax", "name: Broken\nagencies: [\n  - {name: A\n", "expected valid YAML",
        "line 3"),
    "empty_file": bad_file("empty_file", "", "expected a YAML mapping", "found an empty file"),
    "object_tag": bad_file("object_tag", TAG, "expected valid YAML",
                           "python/object/apply:os.system"),
    "missing_file": Command(("run", "nowhere.yaml"), ("nowhere.yaml: ", "expected an existing "
                                                       "file", "found no such file")),
    "set_unknown_path": bad_args(
        ("--set", "turnover.vacancy_month=2"), "good.yaml (--set): turnover.vacancy_month:",
        "did you mean 'vacancy_months'?", "found unknown key 'vacancy_month'"),
    "set_malformed": bad_args(
        ("--set", "turnover.vacancy_months"), "turnover.vacancy_months",
        "expected KEY.PATH=VALUE", "found 'turnover.vacancy_months'"),
    "unknown_strategy": bad_args(
        ("--strategy", "warm_handof"), "good.yaml (--set): strategies[0]:",
        "did you mean 'warm_handoffs'?", "found 'warm_handof'"),
    "zero_months": bad_args(("--months", "0"), "--months"),
}
# Commands that must succeed, in the same batch of processes.
GOOD_COMMANDS: dict[str, Command] = {
    "run_with_overrides": Command(
        ("run", "good.yaml", "--months", "6", "--seed", "5", "--set",
         "turnover.vacancy_months=2.5", "--set", "agencies.County ED.capacity=30",
         "--strategy", "warm_handoffs", "--out", "out")),
    "params": Command(("params",)),
    "check_mixed": Command(
        ("check", "good.yaml", "typo.yaml", "child.yaml", "empty.yaml", "missing.yaml"), (),
        (("good.yaml", GOOD), ("typo.yaml", GOOD + "turnover: {vacancy_month: 3}\n"), CHILD,
         ("empty.yaml", ""))),
}
PROCESSES = {**BAD_INPUT, **GOOD_COMMANDS}

# In this process: more variants of the same kinds of bad input.
VARIANTS: dict[str, Command] = {
    "unknown_agency_key": bad_file(
        "unknown_agency_key", GOOD.replace("primary_care}", "primary_care, capcity: 5}"),
        "agencies[0].capcity:", "did you mean 'capacity'?", "found unknown key 'capcity'"),
    "unknown_leader_key": bad_file(
        "unknown_leader_key",
        GOOD.replace("primary_care}", "primary_care, leader: {tenure_month: 3}}"),
        "agencies[0].leader.tenure_month:", "did you mean 'tenure_months'?"),
    "unknown_top_level_key": bad_file(
        "unknown_top_level_key", GOOD + "turnovr: {}\n", "turnovr:", "did you mean 'turnover'?"),
    "wrong_type_bool": bad_file(
        "wrong_type_bool", GOOD + "coordination: {external_backbone: maybe}\n",
        "coordination.external_backbone:", "expected a valid boolean", "found 'maybe'"),
    "wrong_type_integer": bad_file(
        "wrong_type_integer", GOOD + "turnover: {ramp_up_months: 2.5}\n",
        "turnover.ramp_up_months:", "expected a valid integer", "found 2.5"),
    "out_of_range_nested": bad_file(
        "out_of_range_nested", GOOD.replace("primary_care}", "primary_care, engagement: 1.5}"),
        "agencies[0].engagement:", "expected less than or equal to 1", "found 1.5"),
    "unknown_choice": bad_file(
        "unknown_choice", GOOD + "referrals: {handoff: warm}\n", "referrals.handoff:",
        "'facilitated'", "found 'warm'"),
    "unknown_lead": bad_file(
        "unknown_lead", GOOD.replace("lead: Lead Clinic", "lead: Nobody"), "consortium.lead:",
        "expected the name of a listed agency", "found 'Nobody'"),
    "unknown_strategy_in_file": bad_file(
        "unknown_strategy_in_file", GOOD + "strategies: [sucession_planning]\n",
        "strategies[0]:", "did you mean 'succession_planning'?", "found 'sucession_planning'"),
    "not_a_mapping": bad_file("not_a_mapping", "- just\n- a list\n",
                              "expected a YAML mapping", "found list"),
    "missing_parent": Command(("run", "child.yaml"), ("parent.yaml: ", "found no such file"),
                              (("child.yaml", "extends: parent.yaml\nname: Child\n"),)),
    "set_unknown_section": bad_args(
        ("--set", "turnovr.vacancy_months=2"), "good.yaml (--set): turnovr:",
        "did you mean 'turnover'?"),
    "set_not_a_path": bad_args(
        ("--set", "vacancy_months=2"), "good.yaml (--set): vacancy_months:",
        "expected a dotted key path"),
    "set_wrong_type": bad_args(
        ("--set", "turnover.vacancy_months=abc"), "good.yaml (--set): turnover.vacancy_months:",
        "expected a valid number", "found 'abc'"),
    "set_out_of_range": bad_args(
        ("--set", "turnover.vacancy_months=40"), "good.yaml (--set): turnover.vacancy_months:",
        "found 40"),
    "set_unknown_agency": bad_args(
        ("--set", "agencies.County EDD.capacity=3"),
        "good.yaml (--set): agencies.County EDD.capacity:", "expected an agency name",
        "did you mean 'County ED'?", "found 'County EDD'"),
    "set_empty_key": bad_args(("--set", "=3"), "expected KEY.PATH=VALUE", "found '=3'"),
}


def consortsim_command() -> list[str]:
    """The installed entry point next to this interpreter, else the module."""
    script = shutil.which("consortsim", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "consortsim.cli"]


def prepare(folder: Path, command: Command) -> Path:
    for name, text in command.files:
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def assert_bad_input(status: int, stdout: str, stderr: str, *fragments: str) -> None:
    """Exit 2, one line on stderr holding every fragment, no traceback."""
    assert status == 2, stderr + stdout
    assert "Traceback" not in stderr + stdout
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("consortsim: error: ")
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


@pytest.fixture(scope="module")
def processes(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """Every command of PROCESSES, each in its own folder, run side by side."""

    # Folders are made here, not in the threads: mktemp is not thread-safe.
    folders = {name: prepare(tmp_path_factory.mktemp(name), PROCESSES[name])
               for name in PROCESSES}

    def run(name: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
        folder = folders[name]
        return folder, subprocess.run([*consortsim_command(), *PROCESSES[name].args],
                                      cwd=folder, capture_output=True, text=True, timeout=600)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(PROCESSES, pool.map(run, PROCESSES), strict=True))


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_one_line_naming_file_path_expected_and_found(processes, case):
    folder, result = processes[case]
    assert_bad_input(result.returncode, result.stdout, result.stderr, *BAD_INPUT[case].fragments)
    assert not (folder / "out").exists()


@pytest.mark.parametrize("case", sorted(VARIANTS))
def test_more_bad_input_variants(tmp_path, monkeypatch, capsys, case):
    monkeypatch.chdir(prepare(tmp_path, VARIANTS[case]))
    status = main(list(VARIANTS[case].args))
    out, err = capsys.readouterr()
    assert_bad_input(status, out, err, *VARIANTS[case].fragments)
    assert not (tmp_path / "out").exists()


def test_a_yaml_object_tag_is_refused_not_executed(processes):
    folder, _ = processes["object_tag"]
    assert not (folder / "executed").exists()


def test_a_malformed_override_names_the_scenario_file(processes):
    result = processes["set_malformed"][1]
    assert_bad_input(result.returncode, result.stdout, result.stderr, "good.yaml")


def test_overrides_strategies_and_seed_reach_the_run(processes):
    folder, result = processes["run_with_overrides"]
    assert result.returncode == 0, result.stderr
    meta = json.loads((folder / "out" / "run.json").read_text())
    config = meta["config"]
    assert config["turnover"]["vacancy_months"] == 2.5
    assert config["agencies"][1]["capacity"] == 30
    assert config["referrals"]["handoff"] == "facilitated"
    assert config["strategies"] == ["warm_handoffs"]
    assert meta["seed"]["entropy"] == "5" and meta["months"] == 6


def test_params_prints_every_declared_parameter(processes):
    _, result = processes["params"]
    assert result.returncode == 0, result.stderr
    printed = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert {path for path, _ in iter_params()} <= printed
    assert set(SECTORS) <= printed


def test_params_markdown_documents_every_parameter_and_sector_column(capsys):
    assert main(["params", "--format", "markdown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for path, p in iter_params():
        row = next(line for line in lines if line.startswith(f"| `{path}` |"))
        assert f"| {p.unit} |" in row and f"| {p.evidence} |" in row
    for column in SECTOR_COLUMNS:
        assert any(line.startswith(f"| `{column}` |") for line in lines)


def test_strategies_lists_every_strategy(capsys):
    assert main(["strategies"]) == 0
    listed = {line.split(":")[0] for line in capsys.readouterr().out.splitlines()
              if line and not line.startswith(" ")}
    assert listed == set(STRATEGIES)


def test_check_reports_each_file(processes):
    _, result = processes["check_mixed"]
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    ok = result.stdout.strip().splitlines()
    errors = result.stderr.strip().splitlines()
    assert ok == ["ok: good.yaml (Two-agency test; 2 agencies, 24 months)",
                  "ok: child.yaml (Child; 2 agencies, 12 months)"]
    assert len(errors) == 3
    assert errors[0].startswith("consortsim: error: typo.yaml: turnover.vacancy_month: ")
    assert errors[1].startswith("consortsim: error: empty.yaml: ")
    assert errors[2].startswith("consortsim: error: missing.yaml: ")


def test_check_succeeds_when_every_file_is_valid(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(prepare(tmp_path, Command((), (), (("good.yaml", GOOD), CHILD))))
    assert main(["check", "good.yaml", "child.yaml"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_building_the_parser_imports_no_heavy_modules():
    probe = ("import sys; from consortsim.cli import build_parser; build_parser(); "
             "print(sorted(m for m in ('mesa', 'pandas', 'scipy', 'matplotlib', 'numba') "
             "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=300, check=True)
    assert result.stdout.strip() == "[]"
