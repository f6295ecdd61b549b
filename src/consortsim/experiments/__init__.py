"""Experiments: many runs of a scenario, compared and swept, in parallel and resumable.

- ``spec``: experiment files (base scenario, design, outcomes, seed, replicates).
- ``designs``: design points (strategies, full-factorial grids, Latin hypercubes, sample
  matrices) as lists of dotted-path overrides.
- ``engine``: ``run_points`` runs points x replicates on common random numbers.
- ``executors``: in-process, local process pool, Dask distributed.
- ``store``: Parquet chunks on disk, resume and status.
- ``analysis`` and ``compare_report``: intervals, paired differences, survival curves,
  figures and the one-page report.
"""
