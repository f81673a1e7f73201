"""The execution stage: a run's cells planned, run where they should run, and recorded.

- :mod:`~harness.execution.runner`: ``harness run`` from options to result rows;
- :mod:`~harness.execution.executor`: the executor interface; :mod:`~harness.execution.local`
  (worker processes) and :mod:`~harness.execution.ray_cluster` (Ray tasks) behind it;
- :mod:`~harness.execution.worker`: one cell in a process of its own;
- :mod:`~harness.execution.cost`: each cell's expected seconds, the queue's order (longest
  first) and the run's estimate;
- :mod:`~harness.execution.devices`, :mod:`~harness.execution.preflight`,
  :mod:`~harness.execution.environment`: device setup, checks before the first cell, and
  what produced a result.
"""
