"""The data stage: from what ``--data`` names to integer sequences, cached for every cell.

- :mod:`~harness.data.sources`: the core's kinds of source, one module each, contributed
  through the hook ``harness_data_sources`` as a plugin's are;
- :mod:`~harness.data.loading`: opens the source ``--data`` names through the kinds the
  plugins registered, and checks what it loads (:mod:`~harness.data.validation`);
- :mod:`~harness.data.vectorize`: splits and vocabulary, the vectorised splits of a run;
- :mod:`~harness.data.cache`: their format on disk, cache key, lock and atomic write; a
  cell's worker reads only this;
- :mod:`~harness.data.word_vectors` and :mod:`~harness.data.embeddings`: pretrained word
  vectors (``--embeddings``) read, streamed, and aligned to the vocabulary, once, in the cache;
- :mod:`~harness.data.check`: ``harness data check``, a source described.

What a source produces and the contract a kind of source meets (:class:`DataSourceKind`,
:class:`DataSource`) are in :mod:`harness.api`; this package re-exports them, and importing
it loads no source and no plugin.
"""

from harness.api import (
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
