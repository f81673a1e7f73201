"""Batching: how vectorised rows of different lengths become ``tf.data`` batches.

:mod:`~harness.batching.padding` holds the padding-strategy contract and the built-in
strategies ``none``, ``mask`` and ``bucket``, contributed through the
``harness_padding_strategies`` hook like a third party's.
"""
