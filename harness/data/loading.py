"""Opening the source that ``--data`` names, through the kinds of source the plugins registered.

The kinds (hook ``harness_data_sources``; the core's are in :mod:`harness.data.sources`)
are asked in turn, a plugin's before the core's; the first that claims the string opens
it. A string that no kind claims is refused with one line that lists what ``--data``
takes. Every loaded data set passes :func:`~harness.data.validation.check_usable`.
"""

from __future__ import annotations

from harness.api import DataSource, SourceOptions, TextDataset
from harness.data.validation import check_usable
from harness.errors import DataError, HarnessError
from harness.plugin.manager import Registry


def open_source(
    source: str, registry: Registry, options: SourceOptions | None = None
) -> DataSource:
    """The source ``source`` names, opened by the first of ``registry``'s kinds that claims
    it; raises :class:`DataError` when none does."""
    kinds = registry.data_sources_in_turn()
    for registered in kinds:
        try:
            claimed = registered.item.claims(source)
        except Exception as error:  # a plugin's bug, named as such, not a traceback
            raise HarnessError(
                f"data source {registered.item.name!r} of {registered.source.describe()} failed "
                f"on --data {source!r}: {type(error).__name__}: {error}"
            ) from error
        if claimed:
            opened = registered.item.open(source, options or SourceOptions())
            if not isinstance(opened, DataSource):
                raise HarnessError(
                    f"data source {registered.item.name!r} of {registered.source.describe()} "
                    f"opened {opened!r}, which has no fingerprint() and load()"
                )
            return opened
    usages = [registered.item.usage for registered in kinds]
    takes = ", ".join(usages[:-1]) + f" or {usages[-1]}" if len(usages) > 1 else "".join(usages)
    failed = "".join(
        f"; {plugin.describe()} failed to load: {plugin.error}"
        for plugin in registry.failed_plugins
    )
    raise DataError(f"{source}: not a directory. --data takes {takes} (see docs/data.md){failed}")


def source_fingerprint(
    source: str, registry: Registry, options: SourceOptions | None = None
) -> str:
    """Identifies the source's content; cheap compared with loading it."""
    return open_source(source, registry, options).fingerprint()


def load_dataset(
    source: str, registry: Registry, options: SourceOptions | None = None
) -> TextDataset:
    """Load both splits of ``source`` and check that they can be trained on."""
    dataset = open_source(source, registry, options).load()
    check_usable(dataset)
    return dataset
