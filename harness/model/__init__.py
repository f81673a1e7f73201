"""The model stage: the classifier every architecture (:class:`harness.api.Architecture`) is
scored in.

- :mod:`~harness.model.classifier`: the shared input, embedding and head around an encoder;
- :mod:`~harness.model.word_dropout`: the word-dropout layer.
"""
