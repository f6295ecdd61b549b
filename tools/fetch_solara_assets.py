#!/usr/bin/env python3
"""Fill the Solara asset cache so the workshop page works with no internet.

Usage::

    python tools/fetch_solara_assets.py                # into .cache/solara-assets
    python tools/fetch_solara_assets.py --cache-dir DIR
    CONSORTSIM_SOLARA_ASSETS_DIR=DIR python tools/fetch_solara_assets.py
    python tools/fetch_solara_assets.py --list         # show the package list
    python tools/fetch_solara_assets.py --check        # exit 1 if anything is missing

Each package is fetched with ``npm pack`` from the npm registry and unpacked
under ``DIR/<name>@<version>/``. Packages already present are skipped. Serve
the page with ``SOLARA_ASSETS_PROXY_CACHE_DIR=DIR`` (``consortsim.serve`` does).

The package list lives in ``consortsim.assets.PACKAGES``; its docstring says how
it was derived (run the page against a closed CDN port and collect the
server's "Could not load URL" lines) and ``--list`` checks it against the
installed solara. Only the standard library and npm are used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    from consortsim import assets
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from consortsim import assets


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "cache_dir",
        nargs="?",
        type=Path,
        help=f"cache folder (default: ${assets.CACHE_DIR_ENV} or <project>/.cache/solara-assets)",
    )
    parser.add_argument("--cache-dir", dest="cache_dir_opt", type=Path, help="same as CACHE_DIR")
    parser.add_argument("--list", action="store_true", help="print the package list and exit")
    parser.add_argument(
        "--check", action="store_true", help="fetch nothing; exit 1 if a package is missing"
    )
    args = parser.parse_args(argv)
    cache_dir = (args.cache_dir_opt or args.cache_dir or assets.default_cache_dir()).resolve()

    for problem in assets.check_against_installed_solara():
        print(f"warning: {problem}", file=sys.stderr)

    needed = assets.needed_packages()
    if args.list:
        for package in needed:
            print(f"{package.spec:45} {package.probe:35} {package.why}")
        return 0
    if args.check:
        missing = assets.missing_packages(cache_dir, needed)
        for package in missing:
            print(f"missing  {package.spec}")
        print(f"{len(needed) - len(missing)}/{len(needed)} packages in {cache_dir}")
        return 1 if missing else 0

    print(f"Solara asset cache: {cache_dir}")
    try:
        results = assets.fetch_assets(cache_dir, needed)
    except assets.AssetFetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    fetched = sum(r.action == "fetched" for r in results)
    print(f"done: {fetched} fetched, {len(results) - fetched} already cached")
    return 0


if __name__ == "__main__":
    sys.exit(main())
