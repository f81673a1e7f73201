"""Which packages rnn-harness installs (the rest of its metadata is in pyproject.toml).

Every package under ``harness/`` as found, and ``plugins/`` installed as
``rnn_harness_plugins``, a name that cannot clash with a user's own ``plugins``.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["harness", "harness.*"]), "rnn_harness_plugins"],
    package_dir={"rnn_harness_plugins": "plugins"},
)
