"""Workshop commands: ``workshop`` (the browser page) and ``animate`` (a GIF or MP4 for slides)."""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from consortsim.cli_core import _nonneg_int, load_with_sets
from consortsim.config import load_scenario

if TYPE_CHECKING:
    from consortsim.serve import SolaraServer

APP_MODULE = "consortsim.workshop.app"


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, found {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, found {value}")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_port_free(host: str, port: int) -> None:
    from consortsim.cli import UsageError

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise UsageError(f"--port {port}: expected a free port on {host}, found "
                             f"{exc.strerror or exc}") from None


def cmd_workshop(args: argparse.Namespace) -> int:
    """Serve the workshop page on this machine until Ctrl-C."""
    from consortsim import assets
    from consortsim.serve import serve_app
    from consortsim.workshop.model import SCENARIO_ENV, default_scenario_path

    path = Path(args.scenario) if args.scenario else default_scenario_path()
    scenario = load_scenario(path)  # bad input stops here, in one line
    if args.port:
        _check_port_free(args.host, args.port)
    if not _is_loopback(args.host):
        print(f"consortsim: warning: binding to {args.host} lets other machines on this "
              "network open the page", file=sys.stderr)
    print(f"Starting the workshop page for {scenario.name} ({path})...", flush=True)
    try:
        server = serve_app(APP_MODULE, host=args.host, port=args.port,
                           env={SCENARIO_ENV: str(path.resolve())})
    except assets.AssetFetchError as exc:
        print(f"consortsim: error: the page's browser files are missing and could not be "
              f"fetched: {exc}", file=sys.stderr)
        return 1
    return _serve_until_stopped(server)


def _serve_until_stopped(server: SolaraServer) -> int:
    """Say where the page is, then wait for Ctrl-C (or the server to stop by itself)."""
    try:
        seconds = server.wait_ready(timeout=120)
        print(f"Workshop page ready in {seconds:.0f} s: open {server.url} in a browser "
              "(works without internet). Ctrl-C stops it.", flush=True)
        server.process.wait()
    except RuntimeError as exc:
        print(f"consortsim: error: the page server did not start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping the workshop page.")
    finally:
        server.stop()
    return 0


def cmd_animate(args: argparse.Namespace) -> int:
    """Render the network and trust over time to a GIF or MP4."""
    from consortsim.animate import animate
    from consortsim.cli import UsageError

    scenario = load_with_sets(args.scenario, args.set, args.strategy)
    try:
        frames = animate(scenario, args.out, seed=args.seed, months=args.months,
                         departures=args.depart or (), fps=args.fps)
    except RuntimeError as exc:  # MP4 without ffmpeg
        raise UsageError(f"--out {args.out}: {exc}") from None
    print(f"Wrote {args.out}: {frames} frames (months 0-{frames - 1}) at {args.fps:g} a second")
    return 0


def _fps(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected frames a second, found {text!r}") from None
    if not 0 < value <= 60:
        raise argparse.ArgumentTypeError(f"expected 0 < fps <= 60, found {value:g}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    """Add workshop and animate."""
    p = sub.add_parser("workshop", help="serve the workshop page (a browser view for a room)")
    p.add_argument("scenario", nargs="?",
                   help="scenario YAML file (default: scenarios/rural_rcorp.yaml)")
    p.add_argument("--port", type=_port, help="TCP port (default: a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to bind (default: 127.0.0.1, this machine only)")
    p.set_defaults(func=cmd_workshop)
    p = sub.add_parser("animate", help="render the network and trust over time to a GIF/MP4")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--out", required=True, help="output file, .gif (or .mp4 with ffmpeg)")
    p.add_argument("--months", type=_nonneg_int, help="months to show (default: the scenario's)")
    p.add_argument("--seed", type=_nonneg_int, help="random seed (default: the scenario's)")
    p.add_argument("--depart", action="append", metavar='"AGENCY NAME"@MONTH',
                   help="make a leader leave in that month (repeatable; 'coordinator@M' "
                        "for the coordinator); the trust plot adds the run without them")
    p.add_argument("--fps", type=_fps, default=6.0, help="frames (months) a second (6)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a parameter, e.g. --set turnover.vacancy_months=2")
    p.add_argument("--strategy", action="append", metavar="NAME",
                   help="apply a named strategy (see `consortsim strategies`)")
    p.set_defaults(func=cmd_animate)
