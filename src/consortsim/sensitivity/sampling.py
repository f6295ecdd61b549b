"""Designs: SALib's seeded samplers, and the nested subsets used for convergence.

- Sobol: ``SALib.sample.sobol`` (scrambled Sobol' sequence, Saltelli's scheme; not the
  deprecated ``saltelli`` sampler). Rows come in blocks of D + 2 (2D + 2 with second order)
  per base sample, and the first 2^k base rows of a scrambled Sobol' sequence are a
  balanced sequence themselves, so the first n blocks form a valid design of base size n.
- Morris: ``SALib.sample.morris`` trajectories of D + 1 rows on a ``levels`` grid; the first
  r trajectories are a design with r trajectories.
- Latin hypercube (for PAWN): ``SALib.sample.latin``; its first rows are a random
  subset of a uniform design (no longer stratified, which given-data methods do not need).

Sources: Saltelli et al. (2010) Comput. Phys. Commun. 181:259; Owen (2020) on Sobol' point
counts; Morris (1991) Technometrics 33:161; Campolongo et al. (2007) Environ. Model. Softw.
22:1509; SALib 1.6 ``sample`` package.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from consortsim.sensitivity.factors import Factor, problem

METHODS: tuple[str, ...] = ("sobol", "morris", "pawn")

# Distinct entropy words keep the design's randomness apart from the replicate seeds that
# ``SeedSequence(seed).spawn`` gives the runs.
_DESIGN_WORD = 0x5E45
_ANALYSIS_WORD = 0xA4A1


def design_rng(seed: int) -> np.random.Generator:
    """The generator for a design's sampler, derived from the experiment seed."""
    return np.random.default_rng(np.random.SeedSequence([seed, _DESIGN_WORD]))


def analysis_seed(seed: int, *salt: int) -> int:
    """A non-zero int seed for SALib's bootstrap (SALib treats 0 as 'unseeded')."""
    state = np.random.SeedSequence([seed, _ANALYSIS_WORD, *salt]).generate_state(1)[0]
    return int(state) or 1


@dataclass(frozen=True)
class Design:
    """A sample of design points and how it is laid out.

    Attributes:
        method: sobol, morris or pawn.
        matrix: design values, one row per design point, one column per factor.
        base: base sample size (Sobol N, Morris trajectories, Latin-hypercube rows).
        block: rows per base sample (D + 2 or 2D + 2 for Sobol, D + 1 for Morris, 1 otherwise).
        second_order: whether the Sobol design supports second-order indices.
        levels: Morris grid levels.
    """

    method: str
    matrix: np.ndarray
    base: int
    block: int
    second_order: bool = False
    levels: int = 4

    @property
    def points(self) -> int:
        """Number of design points."""
        return int(self.matrix.shape[0])

    def rows_for(self, base: int) -> int:
        """Rows of the nested sub-design with ``base`` base samples."""
        return base * self.block


def make_design(method: str, factors: list[Factor], samples: int, seed: int,
                second_order: bool = False, levels: int = 4) -> Design:
    """Draw the design for ``method`` with a seeded sampler.

    Args:
        method: one of METHODS.
        factors: the varied factors.
        samples: base sample size (Sobol: a power of 2; Morris: trajectories; PAWN:
            Latin-hypercube rows).
        seed: the experiment seed.
        second_order: Sobol only, add the rows for second-order indices.
        levels: Morris only, grid levels (even).
    """
    prob = problem(factors)
    rng = design_rng(seed)
    d = len(factors)
    if method == "sobol":
        from SALib.sample import sobol

        matrix = sobol.sample(prob, samples, calc_second_order=second_order, seed=rng)
        block = 2 * d + 2 if second_order else d + 2
        return Design(method, matrix, samples, block, second_order=second_order)
    if method == "morris":
        from SALib.sample import morris

        matrix = morris.sample(prob, samples, num_levels=levels, seed=rng)
        return Design(method, matrix, samples, d + 1, levels=levels)
    if method == "pawn":
        from SALib.sample import latin

        return Design(method, latin.sample(prob, samples, seed=rng), samples, 1)
    raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")


def runs_for(method: str, factors: int, samples: int, replicates: int,
             second_order: bool = False) -> int:
    """How many simulation runs a design needs (design points x replicates)."""
    if method == "sobol":
        block = 2 * factors + 2 if second_order else factors + 2
    elif method == "morris":
        block = factors + 1
    else:
        block = 1
    return samples * block * replicates


def convergence_sizes(base: int, method: str) -> list[int]:
    """Nested base sizes for the convergence report: N/4, N/2, N (those that fit)."""
    smallest = 4 if method in ("sobol", "morris") else 20
    sizes = [base // 4, base // 2, base]
    return sorted({n for n in sizes if n >= smallest} | {base})
