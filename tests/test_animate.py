"""``consortsim animate``: frames per month, departures shown, bad input in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from consortsim import animate as anim
from consortsim.cli import main
from consortsim.config import ConfigError, load_scenario

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "rural_rcorp.yaml"
ED = "Valley Regional Emergency Department"


def gif_frames(path: Path) -> list[np.ndarray]:
    with Image.open(path) as image:
        out = []
        for i in range(image.n_frames):
            image.seek(i)
            out.append(np.asarray(image.convert("RGB")))
        return out


def test_cli_writes_one_frame_per_month(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "slides" / "run.gif"
    status = main(["animate", str(SCENARIO), "--out", str(out), "--months", "3",
                   "--depart", f"{ED}@2"])
    assert status == 0
    assert "4 frames" in capsys.readouterr().out
    frames = gif_frames(out)
    assert len(frames) == 4
    assert frames[0].shape == (392, 880, 3)
    assert not np.array_equal(frames[0], frames[-1])  # the months move on


def test_a_departure_shows_from_its_month_on(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIO)
    plain, left = tmp_path / "plain.gif", tmp_path / "left.gif"
    anim.animate(scenario, plain, months=3)
    anim.animate(scenario, left, months=3, departures=[f"{ED}@2"])
    a, b = gif_frames(plain), gif_frames(left)
    # The network (left half) is the same until the departure, then differs.
    network = (slice(30, 370), slice(0, 430))
    assert np.array_equal(a[1][network], b[1][network])
    assert not np.array_equal(a[2][network], b[2][network])
    # The red ring of the vacant seat (and the red line on the trust plot) once it happened.
    red = np.array([int(anim.drawing.VACANT[i:i + 2], 16) for i in (1, 3, 5)])
    assert (b[3] == red).all(axis=-1).sum() > (a[3] == red).all(axis=-1).sum() + 100


def test_the_palette_keeps_sector_colours(tmp_path: Path) -> None:
    out = tmp_path / "one.gif"
    anim.animate(load_scenario(SCENARIO), out, months=1)
    colours = {tuple(c) for c in gif_frames(out)[0].reshape(-1, 3)}
    for key in ("#ffffff", anim.drawing.PERSONAL, anim.drawing.SECTOR_COLOURS["primary_care"]):
        rgb = tuple(int(key[i:i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours


@pytest.mark.parametrize(("text", "expected"), [
    ("County Jail", "AGENCY NAME"),
    ("County Jail@soon", "whole month"),
    ("County Jail@99", "from 0 to 6"),
    ("County Jale@3", "did you mean 'County Jail'"),
])
def test_bad_departures_are_named(text: str, expected: str) -> None:
    model = anim.Animation(load_scenario(SCENARIO), months=6)
    with pytest.raises(ConfigError) as err:
        anim.parse_departure(text, model.actual.state.names, 6)
    assert expected.lower() in str(err.value).lower()
    assert str(err.value).startswith("--depart: ")


def test_cli_bad_input_exits_2_in_one_line(tmp_path: Path,
                                           capsys: pytest.CaptureFixture) -> None:
    assert main(["animate", str(SCENARIO), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and ".gif or .mp4" in err
    assert main(["animate", str(SCENARIO), "--out", str(tmp_path / "x.gif"),
                 "--depart", "Nobody@1", "--months", "2"]) == 2
    assert "Nobody" in capsys.readouterr().err


def test_mp4_without_ffmpeg_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(anim.shutil, "which", lambda name: None)
    assert main(["animate", str(SCENARIO), "--out", str(tmp_path / "x.mp4"),
                 "--months", "2"]) == 2
    assert "needs ffmpeg" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_mp4_with_ffmpeg(tmp_path: Path) -> None:
    out = tmp_path / "run.mp4"
    assert anim.animate(load_scenario(SCENARIO), out, months=3) == 4
    assert out.stat().st_size > 1000
