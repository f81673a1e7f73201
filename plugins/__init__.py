"""The built-in architectures of rnn-harness, each an ordinary plugin module.

They are installed as ``rnn_harness_plugins`` and found through the
``rnn_harness.plugins`` entry points in ``pyproject.toml``, the same path a
third-party plugin takes. Recurrent layers keep the settings under which Keras
uses the fused cuDNN kernels on a GPU: tanh/sigmoid activations, no recurrent
dropout, no unrolling, and ``reset_after=True`` for GRU.
"""
