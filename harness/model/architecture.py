"""Moved: :class:`~harness.api.Architecture` and :class:`~harness.api.HyperParameter` are in
:mod:`harness.api` (import them from :mod:`harness`); ``parse_overrides`` is in
:mod:`harness.config`."""

from harness.deprecation import moved_to

__getattr__ = moved_to("harness.api", {"Architecture", "HyperParameter", "NAME_PATTERN"}, __name__)
