"""A Dask worker plugin (imported only when Dask is used): die with the driver.

Workers of a ``LocalCluster`` are processes of this machine started for one sweep; when the
driver that started them is killed, nobody will read what they write, so each exits.
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from consortsim.experiments.executors import watch_parent


class WatchDriver(WorkerPlugin):
    """Start ``watch_parent(pid)`` in every worker, present and future."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def setup(self, worker: Any) -> None:
        watch_parent(self.pid)
