"""Batching: how vectorised rows of different lengths become ``tf.data`` batches.

:mod:`~harness.batching.padding` holds the padding-strategy contract and the built-in
strategies ``none`` (pads before the text), ``mask`` and ``bucket`` (pad after it, and
mask), contributed through the ``harness_padding_strategies`` hook like a third party's.
"""
