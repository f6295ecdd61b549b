"""Preloaded by the local pool's fork server: the engine, imported and warmed up once.

Workers are forked from the fork server, so whatever it has loaded they start with. Besides
importing the engine, one tiny model run loads the compiled kernels (numba, ``kernels.py``)
here, once, instead of in every worker at its first run (about a second each).
"""

from __future__ import annotations

import contextlib

from consortsim.experiments import engine  # noqa: F401  (the import is the point)


def _warm_up() -> None:
    from consortsim.run import warm_up

    # An optimisation only: if it fails, the real runs fail and record why.
    with contextlib.suppress(Exception):
        warm_up()


_warm_up()
