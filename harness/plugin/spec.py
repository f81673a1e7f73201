"""The plugin contract of rnn-harness: every hook a plugin may implement.

A plugin is a module (or any object) with functions named after these hooks and
decorated with :data:`harness.hookimpl`. It is found through the entry-point group
``rnn_harness.plugins`` (see ``docs/plugins.md``). Every hook is called once per
run, when the registry loads; each plugin's answer is collected separately, so a
plugin that raises is reported as failed and the other plugins still load.

What the core owns, so that all plugins are scored on equal terms: the input (a
batch of token ids padded by the padding strategy), the embedding layer (its size, and
``mask_zero`` according to the padding strategy) and the classification head
(one softmax unit per class). A plugin owns the sequence encoder between them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.plugin import hookspec

if TYPE_CHECKING:
    from harness.api import Architecture, DataSourceKind, PaddingStrategy


# -- Loading: each hook below is called once, when the manager loads the plugins, in the
# -- harness and again in each cell's worker. A plugin answers with what it contributes;
# -- the answers are kept per plugin, so a plugin that raises fails alone.

# -- the data stage: what ``--data`` may name -----------------------------------------------


@hookspec
def harness_data_sources() -> list[DataSourceKind]:
    """Contribute one or more kinds of data source (what ``--data`` may name).

    Called once, when the plugins load, with no arguments; every plugin's answer is kept.
    The core contributes ``ag-news-sample``, ``directory``, ``tfds`` and ``hf`` through this
    same hook. For ``--data`` the kinds are asked in turn, a plugin's before the core's, and
    the first that claims the string opens it; a cell's worker reads the vectorised cache
    and asks no kind. Check a kind with :func:`harness.testing.check_data_source`.

    :returns: a list of objects that follow :class:`harness.DataSourceKind`: a unique
        ``name``, a ``usage`` (what ``--data`` looks like, e.g. ``mysource:NAME``, listed
        when no kind claims a string), a one-line ``summary``, ``claims(data)`` (quick: is
        this string for me?) and ``open(data, options)``, which returns a
        :class:`harness.DataSource` without reading it: ``fingerprint()`` identifies its
        content (it keys the vectorised cache), ``load()`` returns a
        :class:`harness.TextDataset` or raises :class:`harness.DataError` with one line.
        :class:`harness.PrefixedSourceKind` is such a kind for ``PREFIX:NAME``.
    """


# -- the model stage: what is compared ------------------------------------------------------


@hookspec
def harness_architectures() -> list[Architecture]:
    """Contribute one or more architectures (sequence encoders) to compare.

    Called once, when the plugins load, with no arguments; every plugin's answer is kept.

    :returns: a list of :class:`harness.Architecture`. Each has a name unique
        across all plugins (a duplicate is refused and both sources are named),
        a one-line summary, its hyperparameters with typed defaults, and
        ``build_encoder(embedded, params)``: a function that takes the embedded
        batch, a Keras tensor of shape ``(batch, time, embedding_dim)`` that
        carries a padding mask when the padding strategy masks, and the
        validated hyperparameters, and returns a Keras tensor of shape
        ``(batch, features)``. The core adds the classification head.
    """


# -- the batching stage: how rows become batches --------------------------------------------


@hookspec
def harness_padding_strategies() -> list[PaddingStrategy]:
    """Contribute one or more padding strategies (how sequences are batched).

    Called once, when the plugins load, with no arguments; every plugin's answer is kept.
    The core contributes ``none``, ``mask`` and ``bucket`` through this same hook; check a
    strategy with :func:`harness.testing.check_padding_strategy`.

    :returns: a list of objects that follow :class:`harness.PaddingStrategy`:
        a unique ``name``, a one-line ``summary``, ``masks`` (whether the
        embedding masks padding), and ``batches(split, batch_size, ...)`` that
        turns a vectorised split into a batched, padded ``tf.data`` pipeline: padded
        after the text when the strategy masks (the fused cuDNN kernels require it),
        before or after it otherwise; optionally ``padded_tokens(lengths, batch_size)``,
        what an epoch of its batches feeds (the run's estimate uses it). A cell records
        the strategy's plugin and its version, so that a changed strategy needs a new
        version to make new cells.
    """
