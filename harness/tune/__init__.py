"""The tuning stage: every architecture gets the same tuning budget (``harness tune``).

- :mod:`~harness.tune.space`: the shared training space and each architecture's own, and
  ``--space``;
- :mod:`~harness.tune.study`: the Optuna studies in ``OUT/study.db``, what each was made
  for, and the proposals (``--max-params``, counted by :mod:`~harness.tune.capacity`);
- :mod:`~harness.tune.tuner`: trials as cells through the executors, the re-runs of the
  best, rows and tells;
- :mod:`~harness.tune.curve`: the expected best score against the budget (Tang et al. 2020);
- :mod:`~harness.tune.report`: the tuned leaderboard.

It stands above :mod:`harness.execution` and :mod:`harness.report`, below :mod:`harness.cli`.
"""
