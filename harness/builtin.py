"""The harness's own padding strategies and kinds of data source: the plugin named ``core``.

It is found through the entry-point group ``rnn_harness.plugins`` and registered through the
same hooks as a third party's, so the plugin manager imports no stage of the harness.
"""

from harness.batching.padding import harness_padding_strategies
from harness.data.sources import harness_data_sources

__all__ = ["harness_data_sources", "harness_padding_strategies"]
