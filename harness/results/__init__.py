"""The results stage: one self-describing row per finished cell, appended as it finishes.

- :mod:`~harness.results.schema`: the row (``ResultRow``, ``Measurements``, ``Status``);
- :mod:`~harness.results.log`: the append-only ``results.jsonl`` and its crash-safe reader;
- :mod:`~harness.results.predictions`: a cell's test predictions, stored compactly.
"""
