"""The compiled month (``ConsortiumModel.step``) against the mechanisms run one by one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consortsim.config import load_scenario, with_overrides
from consortsim.events import EventBuffer
from consortsim.mechanisms import SCHEDULE
from consortsim.model import ConsortiumModel
from shared_data import ROOT


def _step_by_mechanism(model: ConsortiumModel) -> None:
    model.steps += 1
    for mechanism in SCHEDULE:
        mechanism.step(model)
    model.recorder.record(model, model.month)


@pytest.mark.parametrize("scenario, overrides", [
    ("scenarios/rural_rcorp.yaml", {}),
    ("scenarios/pilot_cohort/metro_b_turnover.yaml", {}),
    ("scenarios/rural_synthetic_100.yaml", {"synthetic.agencies": 60,
                                            "grant_cycle.diversified_streams": 2,
                                            "grant_cycle.bridge_months": 6,
                                            "funding.pooled_share": 0.1}),
])
def test_one_compiled_month_equals_the_mechanisms_in_schedule_order(scenario, overrides):
    config = with_overrides(load_scenario(ROOT / scenario), overrides)
    compiled = ConsortiumModel(config, seed=11, months=60)
    by_mechanism = ConsortiumModel(config, seed=11, months=60)
    compiled.run_for(60)
    for _ in range(60):
        _step_by_mechanism(by_mechanism)
    a, b = compiled.state, by_mechanism.state
    for block in ("floats", "ints", "flags", "praw", "iraw", "scales", "completed_pairs"):
        np.testing.assert_array_equal(getattr(a, block), getattr(b, block), err_msg=block)
    assert compiled.consortium.record.tobytes() == by_mechanism.consortium.record.tobytes()
    np.testing.assert_array_equal(compiled.recorder.data, by_mechanism.recorder.data)
    assert compiled.events == by_mechanism.events
    assert len(compiled.events) > 10  # the comparison covered departures, grants and more


def _same_run(a: ConsortiumModel, b: ConsortiumModel) -> None:
    for block in ("floats", "ints", "flags", "praw", "iraw", "scales", "completed_pairs"):
        np.testing.assert_array_equal(getattr(a.state, block), getattr(b.state, block),
                                      err_msg=block)
    assert a.consortium.record.tobytes() == b.consortium.record.tobytes()
    np.testing.assert_array_equal(a.recorder.data, b.recorder.data)
    assert a.events == b.events


@pytest.mark.parametrize("months", [1, 11, 12, 13, 30, 60])
def test_advance_runs_the_same_months_as_mesa_steps(months):
    # advance() runs up to a draw year per compiled call and moves Mesa's clock once
    config = load_scenario(ROOT / "scenarios/pilot_cohort/metro_b_turnover.yaml")
    fast = ConsortiumModel(config, seed=5, months=40)
    slow = ConsortiumModel(config, seed=5, months=40)
    fast.advance(months)
    slow.run_for(months)
    _same_run(fast, slow)
    assert (fast.steps, fast.time, fast.month) == (slow.steps, slow.time, months)
    # the clock goes on as Mesa's would: a step is one month, and advance again
    fast.step()
    slow.step()
    fast.advance(2)
    slow.run_for(2)
    _same_run(fast, slow)
    assert (fast.steps, fast.time) == (slow.steps, slow.time) == (months + 3, months + 3)
    assert fast._default_schedule.next_scheduled_time == months + 4


@settings(max_examples=15, deadline=None)
@given(moves=st.lists(st.tuples(st.sampled_from(["advance", "step"]),
                                st.integers(0, 16)), min_size=1, max_size=6))
def test_any_mix_of_advance_and_step_is_the_same_run(moves):
    config = load_scenario(ROOT / "scenarios/pilot_cohort/metro_b_turnover.yaml")
    mixed = ConsortiumModel(config, seed=9, months=36)
    stepped = ConsortiumModel(config, seed=9, months=36)
    months = 0
    for move, k in moves:
        if move == "advance":
            mixed.advance(k)
        else:
            mixed.step()
            k = 1
        months += k
    for _ in range(months):
        stepped.step()
    _same_run(mixed, stepped)
    assert (mixed.steps, mixed.time) == (stepped.steps, stepped.time) == (months, months)


def test_advance_past_the_horizon_runs_on_without_recording():
    # the workshop can step past the horizon; those months are run but not recorded
    config = load_scenario(ROOT / "scenarios/rural_rcorp.yaml")
    fast = ConsortiumModel(config, seed=8, months=20)
    slow = ConsortiumModel(config, seed=8, months=20)
    fast.advance(30)
    for _ in range(30):
        slow.step()
    _same_run(fast, slow)
    assert fast.recorder.data.shape[0] == 21 and not np.isnan(fast.recorder.data).any()
    fast.advance(0)
    assert fast.steps == 30


def test_advance_stops_a_year_early_to_keep_every_event():
    # a buffer with room for one month's events makes every compiled call stop after one
    # month; nothing is lost and the run is the same
    config = load_scenario(ROOT / "scenarios/pilot_cohort/metro_b_turnover.yaml")
    tight = ConsortiumModel(config, seed=3, months=36)
    tight.event_buffer = EventBuffer(rows=tight.month_room + 1)
    roomy = ConsortiumModel(config, seed=3, months=36)
    tight.advance(36)
    roomy.advance(36)
    _same_run(tight, roomy)
    assert len(roomy.events) > 10


def test_advance_falls_back_to_mesa_when_something_else_is_scheduled():
    config = load_scenario(ROOT / "scenarios/rural_rcorp.yaml")
    model = ConsortiumModel(config, seed=2, months=24)
    plain = ConsortiumModel(config, seed=2, months=24)
    seen = []

    def look() -> None:
        seen.append((model.time, model.month))

    model.schedule_event(look, at=6.5)
    model.advance(12)
    plain.advance(12)
    assert seen == [(6.5, 6)]  # the event ran between months 6 and 7
    _same_run(model, plain)
    assert model.steps == 12


def test_compiled_kernels_are_cached_under_a_hash_of_the_source(tmp_path):
    # numba checks a cached kernel against its own file only; the cache folder is named
    # after every source file, so a change anywhere in the package compiles afresh.
    import os
    import shutil

    import numba

    import consortsim

    folder = os.environ["NUMBA_CACHE_DIR"]
    assert folder == numba.config.CACHE_DIR
    assert os.path.basename(folder) == consortsim._source_hash()
    package = Path(consortsim.__file__).parent
    copy = tmp_path / "consortsim"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "kernels.py").write_text((copy / "kernels.py").read_text() + "\n# edited\n")
    module_file = consortsim.__file__
    try:
        consortsim.__file__ = str(copy / "__init__.py")
        assert consortsim._source_hash() != os.path.basename(folder)
    finally:
        consortsim.__file__ = module_file


def test_streams_are_made_when_first_used_with_the_same_numbers():
    from consortsim.rng import STREAMS, make_streams, stream

    seed = np.random.SeedSequence(12)
    streams = make_streams(seed)
    assert len(streams) == 0
    assert streams["turnover"].random() == stream(seed, "turnover").random()
    assert list(streams) == ["turnover"]
    assert set(STREAMS) >= {"init", "grants", "referrals"}
    with pytest.raises(KeyError, match="no random stream named 'turnovr'"):
        streams["turnovr"]
