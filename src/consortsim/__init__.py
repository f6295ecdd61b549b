"""consortsim: whether a multi-agency opioid-response consortium survives and stays useful.

Importing the package points numba's on-disk cache of compiled kernels at a folder named
after a hash of the package's source. Numba checks a cached kernel against its own file
only, so a kernel that calls kernels in other modules (the compiled month calls every
mechanism) would otherwise keep running stale machine code after one of those modules
changed. With the hash in the path, any change to the source compiles everything afresh.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path


def _source_hash() -> str:
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _point_numba_cache() -> None:
    base = os.environ.get("CONSORTSIM_NUMBA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "consortsim", "numba")
    os.environ["CONSORTSIM_NUMBA_CACHE"] = base  # worker processes use the same root
    folder = os.path.join(base, _source_hash())
    os.environ["NUMBA_CACHE_DIR"] = folder
    if "numba" in sys.modules:  # imported before us: its configuration is already read
        sys.modules["numba"].config.CACHE_DIR = folder


_point_numba_cache()
