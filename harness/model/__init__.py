"""The model stage: what a plugin contributes and the classifier it is scored in.

- :mod:`~harness.model.architecture`: :class:`Architecture` and its typed hyperparameters;
- :mod:`~harness.model.classifier`: the shared input, embedding and head around an encoder;
- :mod:`~harness.model.word_dropout`: the word-dropout layer.
"""
