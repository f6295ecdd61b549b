"""``consortsim animate``: the consortium over time as a GIF (or MP4) for slides.

For trainers who cannot run the workshop page: each frame shows one month, the network on
the left (the workshop page's drawing: colour = sector, size = capacity, red ring = leader
seat vacant, orange curved ties = personal trust, purple straight ties = institutional trust)
and mean trust between members on the right. ``--depart "Agency Name"@14`` makes that
agency's leader leave in month 14, as the workshop's button does; the trust plot then also
shows, dashed, the same run on the same seed without those departures.

GIFs are written with Pillow; MP4 needs ``ffmpeg`` on the PATH (raw frames are piped to it).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from consortsim.config import ConfigError, Scenario
from consortsim.model import ConsortiumModel
from consortsim.workshop import drawing

COORDINATOR = "coordinator"
FORMATS = (".gif", ".mp4")
FIGSIZE = (11.0, 4.9)   # inches; at DPI 80 an 880 x 392 frame, small enough for a slide deck
DPI = 80
HOLD_LAST_MS = 2500     # the last frame stays up so the room can read the end state


@dataclass(frozen=True)
class Departure:
    """A leader (or the coordinator) made to leave at the end of ``month``."""

    who: str
    month: int


def parse_departure(text: str, names: Sequence[str], months: int,
                    source: str = "--depart") -> Departure:
    """Parse ``"Agency Name"@14`` (or ``coordinator@14``) against a consortium's names.

    Raises:
        ConfigError: no ``@MONTH``, an unknown agency, or a month outside 0..months.
    """
    who, sep, month_text = text.rpartition("@")
    who = who.strip().strip("\"'")
    if not sep or not who:
        raise ConfigError(source, text, '"Agency Name"@MONTH, e.g. "County Jail"@14',
                          repr(text))
    try:
        month = int(month_text)
    except ValueError:
        raise ConfigError(source, text, "a whole month number after @", repr(month_text)) \
            from None
    if not 0 <= month <= months:
        raise ConfigError(source, text, f"a month from 0 to {months}", str(month))
    if who != COORDINATOR and who not in names:
        from consortsim.config import _one_of

        raise ConfigError(source, text, f"an agency name or 'coordinator': "
                          f"{_one_of(list(names), who)}", repr(who))
    return Departure(who, month)


class Animation:
    """The two runs behind an animation and the kept figure their frames are drawn on.

    Args:
        scenario: the consortium.
        seed: run seed (the scenario's when None).
        months: horizon (the scenario's when None).
        departures: ``"Agency Name"@MONTH`` strings.
    """

    def __init__(self, scenario: Scenario, seed: int | None = None, months: int | None = None,
                 departures: Sequence[str] = ()) -> None:
        seed = scenario.seed if seed is None else seed
        self.actual = ConsortiumModel(scenario, seed=seed, months=months)
        self.months = self.actual.months
        self.departures = [parse_departure(d, self.actual.state.names, self.months)
                           for d in departures]
        # Same seed, no departures: every difference in the dashed line is theirs alone.
        self.baseline = (ConsortiumModel(scenario, seed=seed, months=months)
                         if self.departures else None)
        self.title = scenario.name
        self._figure()

    def _figure(self) -> None:
        self.fig = drawing.new_figure(*FIGSIZE)
        self.fig.set_dpi(DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        net_ax = self.fig.add_axes((0.075, 0.1, 0.42, 0.8))
        self.trust_ax = self.fig.add_axes((0.6, 0.4, 0.38, 0.49))
        drawing.setup_time_axes(self.trust_ax, self.months, "Trust between members",
                                "mean trust (0-1)")
        self.trust_ax.set_ylim(0, 1)
        label = "without those departures" if self.baseline is not None else None
        self.fig.legend(handles=drawing.trust_handles(label), loc="lower left", ncol=2,
                        bbox_to_anchor=(0.54, 0.06), frameon=False, fontsize=drawing.FONT - 3)
        self.fig.text(0.01, 0.015, "Ties: orange curved = personal trust, purple straight = "
                      "institutional.  Red ring: leader seat vacant.  Colour: sector.",
                      fontsize=drawing.FONT - 4, color="#333333")
        self.heading = self.fig.text(0.01, 0.955, "", fontsize=drawing.FONT + 3,
                                     fontweight="bold", va="center")
        self.network = drawing.NetworkDrawing(net_ax, drawing.node_positions(self.actual))

    def _advance(self, month: int) -> None:
        if month > 0:
            self.actual.step()
            if self.baseline is not None:
                self.baseline.step()
        for d in self.departures:
            if d.month == month:
                self.actual.leader_leaves(d.who)
                self.actual.recorder.record(self.actual, month)  # show it in this month's row

    def frames(self) -> Iterator[np.ndarray]:
        """One RGB frame (height x width x 3) per month, months 0 to the horizon."""
        for month in range(self.months + 1):
            self._advance(month)
            self.network.update(self.actual)
            drawing.draw_trust(self.trust_ax, self.actual, self.baseline)
            self.heading.set_text(f"{self.title}: month {month}")
            self.canvas.draw()
            yield np.asarray(self.canvas.buffer_rgba())[:, :, :3].copy()


def gif_palette() -> Image.Image:
    """One palette for every frame: the drawing's colours, each blended toward white in
    steps (antialiased edges), and a grey ramp. Fixed, so colours never flicker between
    frames, and mapping a frame onto it is fast."""
    keys = [*drawing.SECTOR_COLOURS.values(), drawing.PERSONAL, drawing.INSTITUTIONAL,
            drawing.VACANT, drawing.NATURAL, drawing.GRANT_SHADE, drawing.REFERRALS,
            drawing.ENGAGED, drawing.GRANTS, drawing.BILLING]
    # Pillow matches colours at reduced precision: keep the grey ramp clear of white, so the
    # white background maps to white and not to a near-white grey.
    colours: list[tuple[int, int, int]] = [(255, 255, 255)]
    for key in keys:
        rgb = np.array([int(key[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
        colours += [tuple(int(round(v)) for v in rgb + (255 - rgb) * a)
                    for a in (0.0, 0.2, 0.4, 0.6, 0.8)]
    colours += [(v, v, v) for v in np.linspace(0, 235, 256 - len(colours)).astype(int)]
    palette = Image.new("P", (1, 1))
    palette.putpalette([c for rgb in colours[:256] for c in rgb])
    return palette


def write_gif(frames: Iterator[np.ndarray], out: Path, fps: float) -> int:
    """Write frames as a looping GIF; returns the number of frames."""
    palette = gif_palette()
    images = [Image.fromarray(frame).quantize(palette=palette, dither=Image.Dither.NONE)
              for frame in frames]
    durations = [round(1000 / fps)] * len(images)
    durations[-1] = max(durations[-1], HOLD_LAST_MS)
    images[0].save(out, save_all=True, append_images=images[1:], duration=durations, loop=0,
                   optimize=False, disposal=1)
    return len(images)


def write_mp4(frames: Iterator[np.ndarray], out: Path, fps: float,
              ffmpeg: str | None = None) -> int:
    """Pipe frames to ``ffmpeg`` as raw RGB and encode H.264; returns the number of frames.

    Raises:
        RuntimeError: ffmpeg is not on the PATH, or it failed.
    """
    ffmpeg = ffmpeg or shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("writing .mp4 needs ffmpeg on the PATH (apt-get install ffmpeg); "
                           "write a .gif instead")
    count, process = 0, None
    for frame in frames:
        if process is None:
            height, width, _ = frame.shape
            process = subprocess.Popen(
                [ffmpeg, "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                 "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
                 "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p",
                 "-c:v", "libx264", str(out)],
                stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdin is not None
        process.stdin.write(frame.tobytes())
        count += 1
    if process is None:
        raise RuntimeError("no frames to write")
    _, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {err.decode(errors='replace').strip()[-300:]}")
    return count


def animate(scenario: Scenario, out: str | Path, seed: int | None = None,
            months: int | None = None, departures: Sequence[str] = (), fps: float = 6.0) -> int:
    """Render a scenario's run to ``out`` (.gif or .mp4); returns the number of frames.

    Raises:
        ConfigError: a bad departure or output name.
        RuntimeError: MP4 asked for without ffmpeg.
    """
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise ConfigError("--out", "", "a file name ending in .gif or .mp4", repr(out.name))
    if fps <= 0:
        raise ConfigError("--fps", "", "a positive number of frames a second", str(fps))
    if months is not None and months < 1:
        raise ConfigError("--months", "", "at least 1 month", str(months))
    animation = Animation(scenario, seed=seed, months=months, departures=departures)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".mp4":
        return write_mp4(animation.frames(), out, fps)
    return write_gif(animation.frames(), out, fps)
