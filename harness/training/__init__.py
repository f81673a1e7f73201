"""The training stage: one cell trained and scored in the current process.

- :mod:`~harness.training.fit`: ``train_and_score``, the compiled classifier, test predictions;
- :mod:`~harness.training.callbacks`: early stopping above chance, weight averaging, epoch timing;
- :mod:`~harness.training.metrics`: chance level, macro F1, cross-entropy, memory peaks.
"""
