"""Serve a Solara app (the workshop page) with no outbound network traffic.

:func:`serve_app` fills the offline asset cache (see :mod:`consortsim.assets`)
and starts ``solara run`` in a child process with:

- ``SOLARA_ASSETS_PROXY_CACHE_DIR`` at the filled cache, ``SOLARA_ASSETS_PROXY=True``;
- ``SOLARA_ASSETS_CDN`` at a closed loopback port, so a cache miss fails fast
  on this machine instead of reaching a public CDN;
- ``SOLARA_TELEMETRY_MIXPANEL_ENABLE=False``;
- ``--production --no-check-version --no-open`` (no version check against
  PyPI, no hidden solara.dev iframe, no browser launch).

Example::

    server = serve_app("consortsim.workshop.app")
    server.wait_ready()
    print(server.url)
    ...
    server.stop()
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from consortsim import assets

__all__ = [
    "CLOSED_CDN",
    "SolaraServer",
    "free_port",
    "offline_env",
    "serve_app",
    "served_app",
    "wait_for_port",
]

#: Where Solara would fetch a missing asset: the discard port on loopback,
#: which nothing listens on, so a miss fails at once and never leaves the host.
CLOSED_CDN = "http://127.0.0.1:9/"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    host: str,
    port: int,
    timeout: float = 60.0,
    process: subprocess.Popen[bytes] | None = None,
) -> float:
    """Wait until ``host:port`` accepts TCP connections; return the seconds waited.

    Raises:
        RuntimeError: ``process`` exited first.
        TimeoutError: nothing answered within ``timeout`` seconds.
    """
    start = time.monotonic()
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before {port} opened")
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return time.monotonic() - start
        except OSError:
            pass
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{host}:{port} did not answer within {timeout:.0f} s")
        time.sleep(0.1)


def offline_env(cache_dir: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return ``base`` (default: this process's environment) plus the offline Solara settings."""
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "SOLARA_ASSETS_PROXY": "True",
            "SOLARA_ASSETS_PROXY_CACHE_DIR": str(cache_dir),
            "SOLARA_ASSETS_CDN": CLOSED_CDN,
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class SolaraServer:
    """A running ``solara run`` child process."""

    process: subprocess.Popen[bytes]
    host: str
    port: int
    log_path: Path
    started_at: float = field(default_factory=time.monotonic)
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The page's root URL."""
        return f"http://{self.host}:{self.port}/"

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Wait until the port answers and the root page returns 200; return seconds since start."""
        try:
            wait_for_port(self.host, self.port, timeout, self.process)
            deadline = self.started_at + timeout
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxies
            while True:
                try:
                    with opener.open(self.url, timeout=10) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    if time.monotonic() > deadline:
                        raise
                time.sleep(0.2)
        except (RuntimeError, TimeoutError, OSError) as exc:
            raise RuntimeError(f"{exc}\n--- server log tail ---\n{self.log_tail()}") from exc
        return time.monotonic() - self.started_at

    def log_tail(self, lines: int = 40) -> str:
        """Return the last lines of the server's combined stdout/stderr."""
        if self._log_file is not None:
            self._log_file.flush()
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop the server (SIGTERM, then SIGKILL) and return its exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return self.process.returncode


def serve_app(
    app_module: str,
    host: str = "127.0.0.1",
    port: int | None = None,
    cache_dir: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    fetch: bool = True,
    cwd: Path | str | None = None,
    log_path: Path | str | None = None,
    extra_args: tuple[str, ...] = (),
) -> SolaraServer:
    """Start ``solara run APP_MODULE`` offline; return at once (then call ``wait_ready``).

    Args:
        app_module: What ``solara run`` accepts: a module name or a ``.py`` path.
        host: Interface to bind; keep it on loopback.
        port: TCP port; ``None`` or ``0`` picks a free one.
        cache_dir: Asset cache; defaults to :func:`consortsim.assets.default_cache_dir`.
        env: Extra environment variables for the server (applied last).
        fetch: Fill the cache first (needs npm and the registry only if incomplete);
            if False, a missing package raises instead.
        cwd: Working directory of the server.
        log_path: File for the server's output; defaults to a temporary file.
        extra_args: More ``solara run`` options.

    Raises:
        consortsim.assets.AssetFetchError: the cache is incomplete and cannot be filled.
    """
    if app_module.startswith("consortsim"):
        from consortsim.run import warm_up

        warm_up()  # fill the kernel cache here, so the server only loads it
    cache = Path(cache_dir) if cache_dir is not None else assets.default_cache_dir()
    if fetch:
        assets.fetch_assets(cache, log=None)
    else:
        missing = assets.missing_packages(cache)
        if missing:
            names = ", ".join(p.spec for p in missing)
            raise assets.AssetFetchError(
                f"Solara asset cache {cache} lacks {names}; run tools/fetch_solara_assets.py"
            )
    port = port or free_port(host)
    full_env = offline_env(cache.resolve())
    full_env.update(env or {})
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="solara-server-", suffix=".log")
        os.close(fd)
        log_path = name
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_file = log_path.open("wb")
    cmd = [
        sys.executable, "-m", "solara", "run", app_module,
        "--host", host, "--port", str(port),
        "--production", "--no-check-version", "--no-open",
        *extra_args,
    ]  # fmt: skip
    process = subprocess.Popen(
        cmd, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL, stdout=log_file,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    return SolaraServer(process, host, port, log_path, _log_file=log_file)


@contextlib.contextmanager
def served_app(app_module: str, timeout: float = 60.0, **kwargs: object) -> Iterator[SolaraServer]:
    """Context manager: :func:`serve_app`, wait until ready, stop on exit."""
    server = serve_app(app_module, **kwargs)  # type: ignore[arg-type]
    try:
        server.wait_ready(timeout)
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m consortsim.serve APP [PORT]``: serve offline until Ctrl-C."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m consortsim.serve APP_MODULE [PORT]", file=sys.stderr)
        return 2
    server = serve_app(args[0], port=int(args[1]) if len(args) > 1 else None)
    try:
        seconds = server.wait_ready()
        print(f"serving {args[0]} at {server.url} (ready in {seconds:.1f} s); Ctrl-C stops")
        print(f"server log: {server.log_path}")
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return server.process.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
