"""Where chunks of runs execute: in this process, a local process pool, or a Dask cluster.

Every executor takes a function and a list of chunks and yields ``(chunk, result)`` pairs
as chunks finish, with the exception in place of the result when a whole chunk was lost
(a killed worker, a full disk): the engine records those runs as missing and goes on.
Workers write their results to the store themselves and return only a small report, so
nothing large travels back (ecosystem notes: ship results as files).

- ``SerialExecutor``: one worker, in this process (no start-up cost; easiest to debug).
- ``PoolExecutor``: ``concurrent.futures.ProcessPoolExecutor`` over local cores; workers
  come from a fork server that has imported the engine once, so they start in milliseconds
  and never inherit the parent's threads (ecosystem notes: 0.08-0.16 ms per task).
- ``DaskExecutor``: a Dask ``distributed`` scheduler at ``tcp://host:port``, or
  ``local`` / ``local:N`` for a ``LocalCluster`` started here (Dask's nanny starts
  workers with spawn, so scripts that call the engine need a ``__main__`` guard).

Stopping. Local workers ignore SIGINT: Ctrl-C reaches the whole process group, and only the
driver decides what happens. On an interruption (``KeyboardInterrupt`` in the driver; the
command line turns SIGTERM and SIGHUP into one) the pool cancels queued chunks and kills
its workers at once, so no chunk is written after the driver has said it stopped; a chunk
in flight is lost whole (its temporary file is removed by the engine) and runs again on
resume. Every local worker, and every worker of a ``LocalCluster``, watches the driver and
exits when it dies (``kill -9`` included), so no worker outlives it and keeps writing.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import Any

from consortsim.experiments.store import ExperimentError

Outcome = tuple[Any, Any]  # (chunk, report or exception)
_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s/]+(:\d+)?/?$")
_LOCAL = re.compile(r"^local(:(\d+))?$")


def check_scheduler(address: str) -> str:
    """Accept ``tcp://host:port`` (any Dask protocol), ``local`` or ``local:N``.

    Raises:
        ValueError: naming what was expected, for the caller to place in its message.
    """
    address = address.strip()
    if not (_ADDRESS.match(address) or _LOCAL.match(address)):
        raise ValueError("a Dask scheduler address such as tcp://127.0.0.1:8786, or local, "
                         f"or local:N|{address!r}")
    return address


def cpu_count() -> int:
    """Cores this process may use (the affinity mask, when the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


class SerialExecutor:
    """Run chunks one after another in this process."""

    slots = 1

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def run(self, fn: Callable[[Any], Any], chunks: Sequence[Any]) -> Iterator[Outcome]:
        """Yield (chunk, report) in order."""
        for chunk in chunks:
            try:
                yield chunk, fn(chunk)
            except Exception as exc:  # a chunk-level failure; runs stay missing
                yield chunk, exc


def watch_parent(pid: int) -> None:
    """Exit this process as soon as process ``pid`` (the driver) ends.

    A daemon thread waits on a pidfd (Linux 5.3+), which becomes readable when the process
    ends, or else polls every half second. Used by pool and ``LocalCluster`` workers.
    """
    if pid == os.getpid():
        return

    def wait() -> None:
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # pragma: no cover - not Linux, or an old kernel
            fd = None
        if fd is not None:
            select.select([fd], [], [])
        else:  # pragma: no cover
            while True:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                except PermissionError:  # alive, someone else's: keep watching
                    pass
                time.sleep(0.5)
        os._exit(70)  # the driver is gone: nobody will read what this worker writes

    threading.Thread(target=wait, name="consortsim-watch-driver", daemon=True).start()


def _worker_init(driver: int) -> None:
    """Pool worker start-up: Ctrl-C is the driver's to handle; die with the driver."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent(driver)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP stop the driver as Ctrl-C does (a
    ``KeyboardInterrupt``), so ``kill`` and a closed terminal clean up like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _pool_context() -> mp.context.BaseContext:
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["consortsim.experiments._preload"])
        return ctx
    return mp.get_context("spawn")  # pragma: no cover - Windows


class PoolExecutor:
    """Run chunks on a local ``ProcessPoolExecutor``."""

    def __init__(self, workers: int) -> None:
        self.slots = workers
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Any] = []

    def __enter__(self) -> PoolExecutor:
        self._pool = ProcessPoolExecutor(max_workers=self.slots, mp_context=_pool_context(),
                                         initializer=_worker_init, initargs=(os.getpid(),))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if exc_type is None:
            pool.shutdown(wait=True)
            return
        # Interrupted or failed: drop queued chunks and stop the workers now, so nothing
        # is written after the driver has stopped. Futures are cancelled here (the pool's
        # own cancel_futures is skipped once the executor object is gone), and
        # ``_processes`` is the pool's table of workers (Python 3.14 adds
        # ``kill_workers()`` for this); it must be read before ``shutdown`` clears it.
        for future in self._futures:
            future.cancel()
        workers = list((getattr(pool, "_processes", None) or {}).values())
        for process in workers:
            with suppress(OSError, ValueError):  # already gone
                process.kill()
        pool.shutdown(wait=True, cancel_futures=True)  # quick: no worker is left

    def run(self, fn: Callable[[Any], Any], chunks: Sequence[Any]) -> Iterator[Outcome]:
        """Yield (chunk, report) as chunks finish."""
        assert self._pool is not None, "use PoolExecutor as a context manager"
        futures = {self._pool.submit(fn, chunk): chunk for chunk in chunks}
        self._futures = list(futures)
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except Exception as exc:  # BrokenProcessPool when a worker was killed
                yield futures[future], exc


class DaskExecutor:
    """Run chunks on a Dask cluster: a scheduler address, or a LocalCluster started here.

    Args:
        scheduler: ``tcp://host:port``, ``local`` (one worker per core) or ``local:N``.
        workers: workers of a ``local`` cluster when ``scheduler`` does not say.
        timeout: seconds to wait for a remote scheduler.
    """

    def __init__(self, scheduler: str, workers: int | None = None, timeout: float = 20) -> None:
        self.scheduler = check_scheduler(scheduler)
        self.workers = workers
        self.timeout = timeout
        self.slots = 1
        self._cluster: Any = None
        self._client: Any = None

    def __enter__(self) -> DaskExecutor:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - depends on the install
            raise ExperimentError("a Dask scheduler needs Dask distributed: "
                                  "pip install 'consortsim[dist]'") from None
        local = _LOCAL.match(self.scheduler)
        try:
            if local:
                n = int(local.group(2) or self.workers or cpu_count())
                self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                             host="127.0.0.1", dashboard_address="127.0.0.1:0")
                self._client = Client(self._cluster)
                # Its workers are this machine's processes: they die with this driver.
                from consortsim.experiments._dask_plugin import WatchDriver

                self._client.register_plugin(WatchDriver(os.getpid()), name="watch-driver")
            else:
                self._client = Client(self.scheduler, timeout=self.timeout)
        except OSError as exc:
            self.__exit__(None, None, None)
            raise ExperimentError(f"cannot reach the Dask scheduler {self.scheduler}: "
                                  f"{exc}") from None
        self.slots = max(1, sum(self._client.nthreads().values()))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def run(self, fn: Callable[[Any], Any], chunks: Sequence[Any]) -> Iterator[Outcome]:
        """Yield (chunk, report) as chunks finish anywhere on the cluster."""
        from distributed import as_completed as dask_completed

        futures = self._client.map(fn, list(chunks), pure=False)
        by_key = {f.key: c for f, c in zip(futures, chunks, strict=True)}
        try:
            for future in dask_completed(futures):
                try:
                    yield by_key[future.key], future.result()
                except Exception as exc:  # KilledWorker after repeated worker loss
                    yield by_key[future.key], exc
        finally:
            self._client.cancel([f for f in futures if not f.done()])


def make_executor(workers: int | None = None, scheduler: str | None = None,
                  runs: int | None = None) -> SerialExecutor | PoolExecutor | DaskExecutor:
    """The executor for a sweep (use it as a context manager).

    Args:
        workers: local processes; all cores when None; 1 runs in this process. With
            ``scheduler: local`` the number of Dask workers.
        scheduler: a Dask scheduler address, or ``local`` / ``local:N``.
        runs: runs to do; with at most one, no pool is started.
    """
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, found {workers}")
    if scheduler:
        return DaskExecutor(scheduler, workers)
    n = workers or cpu_count()
    if n == 1 or (runs is not None and runs <= 1):
        return SerialExecutor()
    return PoolExecutor(n)
