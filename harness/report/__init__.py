"""The report stage: results turned into what a reader compares.

- :mod:`~harness.report.leaderboard`, :mod:`~harness.report.plot` and
  :mod:`~harness.report.html` (the page, from ``page/``): ``harness report``;
- :mod:`~harness.report.per_class` and :mod:`~harness.report.calibration`: where a cell's
  errors go, and how far its confidence can be trusted;
- :mod:`~harness.report.statistics`: paired intervals and shared ranks;
- :mod:`~harness.report.compare`: ``harness compare``;
- :mod:`~harness.report.markdown`: outside text made safe for markdown.
"""
