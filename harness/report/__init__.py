"""The report stage: results turned into what a reader compares.

- :mod:`~harness.report.leaderboard` and :mod:`~harness.report.plot`: ``harness report``;
- :mod:`~harness.report.statistics`: paired intervals and shared ranks;
- :mod:`~harness.report.compare`: ``harness compare``;
- :mod:`~harness.report.markdown`: outside text made safe for markdown.
"""
