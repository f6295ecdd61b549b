"""Progress of a sweep: a bar with rate and ETA on a terminal, plain lines in logs.

On a terminal the bar is redrawn in place (carriage return) at most five times a second.
When stderr is not a terminal (CI logs, ``nohup``), a plain line is printed at most every
``interval`` seconds and once at the end, so logs do not fill with redraws (ecosystem
notes: tqdm's default floods non-terminal logs).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def duration(seconds: float) -> str:
    """``75`` -> ``1m15s``; ``4000`` -> ``1h06m``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """Counts finished runs and shows rate and time left.

    Args:
        total: runs planned in all.
        done: runs already on disk before this session (a resume).
        label: what is running, shown first on each line.
        stream: where to write (stderr by default).
        enabled: force on or off; by default on.
        interval: seconds between plain lines when not on a terminal.
    """

    def __init__(self, total: int, done: int = 0, label: str = "consortsim",
                 stream: TextIO | None = None, enabled: bool | None = None,
                 interval: float = 15.0) -> None:
        self.total, self.done, self.failed = total, done, 0
        self.start_done = done
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = True if enabled is None else enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = 0.2 if self.tty else interval
        self.started = time.perf_counter()
        self.last = self.started

    def update(self, runs: int, failed: int = 0) -> None:
        """Record ``runs`` more finished runs, ``failed`` of them failed."""
        self.done += runs
        self.failed += failed
        now = time.perf_counter()
        if self.enabled and now - self.last >= self.interval:
            self.last = now
            self._write(final=False)

    def close(self) -> None:
        """Print the last state (and end the bar's line on a terminal)."""
        if self.enabled:
            self._write(final=True)

    def rate(self) -> float:
        """Runs per second in this session."""
        elapsed = time.perf_counter() - self.started
        return (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0

    def text(self) -> str:
        """The status text without the bar."""
        rate = self.rate()
        left = self.total - self.done
        eta = duration(left / rate) if rate > 0 and left > 0 else "-"
        share = self.done / self.total if self.total else 1.0
        failed = f", {self.failed:,} failed" if self.failed else ""
        return (f"{self.done:,}/{self.total:,} runs ({share:.0%}), {rate:.2f} runs/s, "
                f"ETA {eta}, elapsed {duration(time.perf_counter() - self.started)}{failed}")

    def _write(self, final: bool) -> None:
        if self.tty:
            share = self.done / self.total if self.total else 1.0
            filled = int(share * 24)
            bar = "#" * filled + "." * (24 - filled)
            end = "\n" if final else ""
            self.stream.write(f"\r{self.label} [{bar}] {self.text()}\033[K{end}")
        else:
            self.stream.write(f"{self.label}: {self.text()}\n")
        self.stream.flush()
