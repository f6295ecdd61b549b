"""One writer per results folder: an advisory lock in ``DIR/.lock``.

A sweep, comparison or sensitivity analysis holds the lock for as long as it runs, so a
second one on the same folder is refused instead of running everything again and mixing
chunk files. The lock is ``fcntl.flock`` on ``DIR/.lock``, whose content says who holds it
(``{"pid", "host", "started", "command"}``) so that the refusal can name the process.

The kernel releases a ``flock`` when its holder dies, however it dies (``kill -9``
included), so a lock can never be stuck: a ``.lock`` file with content but no holder was
left by a process that did not end cleanly, and is taken over with a notice. The lock is
held by the process that drives the sweep (with Dask, the client), not by the workers:
its file descriptor is not inherited (Python opens files non-inheritable), so a worker that
outlives its parent for a moment cannot keep the folder locked.

Within one process the lock is re-entrant (a sensitivity analysis holds it and calls the
engine, which asks for it again).

Sources: ``flock(2)`` (locks belong to the open file description and are released when it
is closed, including at process exit); Python ``os`` docs, "Inheritance of File
Descriptors" (PEP 446).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from consortsim.experiments.store import ExperimentError

LOCK_FILE = ".lock"

_HELD: dict[Path, tuple[int, int]] = {}  # folder -> (file descriptor, depth)


def _holder(text: str) -> dict[str, object]:
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _who(holder: dict[str, object]) -> str:
    parts = [f"pid {holder.get('pid', '?')}", f"on {holder.get('host', '?')}"]
    if holder.get("started"):
        parts.append(f"since {holder['started']}")
    if holder.get("command"):
        parts.append(f"({holder['command']})")
    return " ".join(parts)


@contextmanager
def locked(folder: str | Path, command: str = "") -> Iterator[None]:
    """Hold the folder's lock for the ``with`` block (creating the folder if needed).

    Raises:
        ExperimentError: another process holds the lock (the message names it), or the
            folder cannot be created or written.
    """
    out = Path(folder).resolve()
    if out in _HELD:
        fd, depth = _HELD[out]
        _HELD[out] = (fd, depth + 1)
        try:
            yield
        finally:
            fd, depth = _HELD[out]
            _HELD[out] = (fd, depth - 1)
        return
    fd = _acquire(out, command)
    _HELD[out] = (fd, 1)
    try:
        yield
    finally:
        del _HELD[out]
        with suppress(OSError):
            os.ftruncate(fd, 0)  # a clean end leaves an empty lock file: nothing stale
        os.close(fd)


def _acquire(out: Path, command: str) -> int:
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ExperimentError(f"{out}: expected a folder this process can write, found "
                              f"{exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        os.close(fd)
        raise ExperimentError(
            f"{out}: expected a results folder not in use, found one in use by "
            f"{_who(holder)}; wait for it to finish, stop it, or choose another --out"
            ) from None
    stale = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
    if stale:
        print(f"consortsim: note: {out}: took over the lock left by {_who(stale)}, "
              "which is no longer running", file=sys.stderr)
    me = {"pid": os.getpid(), "host": socket.gethostname(),
          "started": datetime.now(UTC).isoformat(timespec="seconds"), "command": command}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
    return fd


def holder(folder: str | Path) -> dict[str, object] | None:
    """Who holds the folder's lock now, or None when nobody does."""
    path = Path(folder) / LOCK_FILE
    if Path(folder).resolve() in _HELD or not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        found = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        os.close(fd)
        return found or {"pid": "?"}
    os.close(fd)
    return None


def describe(found: dict[str, object]) -> str:
    """``pid 123 on host since 2026-... (consortsim sweep ...)``."""
    return _who(found)
