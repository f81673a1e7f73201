"""The data stage: from what ``--data`` names to integer sequences, cached for every cell.

- :mod:`~harness.data.dataset`: what a source produces and the contract a kind of
  source meets (:class:`DataSourceKind`, :class:`DataSource`);
- :mod:`~harness.data.sources`: the core's kinds of source, one module each, contributed
  through the hook ``harness_data_sources`` as a plugin's are;
- :mod:`~harness.data.loading`: opens the source ``--data`` names through the kinds the
  plugins registered, and checks what it loads (:mod:`~harness.data.validation`);
- :mod:`~harness.data.vectorize`: splits and vocabulary, the vectorised splits of a run;
- :mod:`~harness.data.cache`: their format on disk, cache key, lock and atomic write; a
  cell's worker reads only this;
- :mod:`~harness.data.check`: ``harness data check``, a source described.

This package itself exports only the contract: importing it loads no source and no plugin.
"""

from harness.data.dataset import (
    DataSource,
    DataSourceKind,
    LabelledTexts,
    PrefixedSourceKind,
    SourceOptions,
    TextDataset,
)

__all__ = [
    "DataSource",
    "DataSourceKind",
    "LabelledTexts",
    "PrefixedSourceKind",
    "SourceOptions",
    "TextDataset",
]
