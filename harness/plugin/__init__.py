"""The plugin system: markers here, the hooks in :mod:`harness.plugin.spec`, loading in
:mod:`harness.plugin.manager` (the layout of tox's ``tox.plugin``).

This module is what a plugin imports (through ``from harness import hookimpl``). It
imports nothing of the harness, so that the built-in padding strategies, which are
registered through the same hook as a third party's, can mark their hook without
reaching the manager that loads them.
"""

import pluggy

PROJECT_NAME = "rnn_harness"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
