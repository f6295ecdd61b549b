"""Global sensitivity analysis of consortsim, aware of the model's randomness.

An experiment file names the method (Sobol, Morris or PAWN), the factors (dotted key paths
with bounds and distributions, strategy switches), outputs, base sample size, replicates and
seed (``spec``). The factors become a SALib problem (``factors``), a seeded SALib sampler
draws the design (``sampling``), the experiments engine runs every design point on shared
replicate seeds (``runner``), and the analysis computes indices on replicate statistics with
bootstrap intervals, the seed-noise share and a convergence check (``analysis``,
``pipeline``) before writing tables, plots and a report (``report``). A known function
(Ishigami, ``testfunctions``) can stand in for the model to check the same code path.
"""

from consortsim.sensitivity.runner import AnalysisError, Outcome, run_analysis
from consortsim.sensitivity.spec import AnalysisSpec, load_spec

__all__ = ["AnalysisError", "AnalysisSpec", "Outcome", "load_spec", "run_analysis"]
