"""Loading plugins and holding what they contribute.

>>> registry = load_registry()
>>> registry.architecture("lstm").source.distribution
'rnn-harness'
>>> registry.architecture("lstn")
Traceback (most recent call last):
UnknownNameError: unknown architecture 'lstn'; did you mean 'lstm'? (choices: ...)

Plugins are found through the entry-point group :data:`ENTRY_POINT_GROUP`. Loading
is guarded: a plugin whose import, registration or hook raises becomes a failed
entry with its error, and every other plugin still loads. Names listed in the
environment variable :data:`BLOCK_ENV_VAR` (comma-separated entry-point names)
are not loaded at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

import pluggy

from harness.api import Architecture, DataSourceKind, PaddingStrategy
from harness.errors import HarnessError, UnknownNameError
from harness.plugin import PROJECT_NAME, spec

ENTRY_POINT_GROUP = "rnn_harness.plugins"
BLOCK_ENV_VAR = "RNN_HARNESS_BLOCK_PLUGINS"
CORE_DISTRIBUTION = "rnn-harness"
CORE_PLUGIN = "core"  # the harness's own padding strategies and data sources (harness.builtin)

T = TypeVar("T")


@dataclass(frozen=True)
class PluginSource:
    """Where a contribution came from: the plugin and the distribution that ships it."""

    name: str
    distribution: str
    version: str
    error: str | None = None
    blocked: bool = False

    @property
    def failed(self) -> bool:
        return self.error is not None

    def describe(self) -> str:
        return f"plugin {self.name!r} ({self.distribution} {self.version})"


@dataclass(frozen=True)
class Registered(Generic[T]):
    """A contribution together with the plugin that made it."""

    item: T
    source: PluginSource


@dataclass
class Registry:
    """Every plugin that was found, and the architectures, strategies and sources they gave."""

    plugins: list[PluginSource] = field(default_factory=list)
    architectures: dict[str, Registered[Architecture]] = field(default_factory=dict)
    padding_strategies: dict[str, Registered[PaddingStrategy]] = field(default_factory=dict)
    data_sources: dict[str, Registered[DataSourceKind]] = field(default_factory=dict)

    def architecture(self, name: str) -> Registered[Architecture]:
        if name not in self.architectures:
            raise UnknownNameError("architecture", name, self.architectures)
        return self.architectures[name]

    def padding_strategy(self, name: str) -> Registered[PaddingStrategy]:
        if name not in self.padding_strategies:
            raise UnknownNameError("padding strategy", name, self.padding_strategies)
        return self.padding_strategies[name]

    def data_sources_in_turn(self) -> list[Registered[DataSourceKind]]:
        """The kinds of data source in the order ``--data`` asks them: the plugins' first,
        so that a plugin can take a layout the core would read otherwise, then the core's."""
        kinds = list(self.data_sources.values())
        return sorted(kinds, key=lambda kind: kind.source.name == CORE_PLUGIN)

    @property
    def failed_plugins(self) -> list[PluginSource]:
        return [plugin for plugin in self.plugins if plugin.failed]


@dataclass(frozen=True)
class _HookTarget(Generic[T]):
    hook_name: str
    kind: str
    is_valid: Callable[[Any], bool]
    table: Callable[[Registry], dict[str, Registered[T]]]


_HOOK_TARGETS: tuple[_HookTarget[Any], ...] = (
    _HookTarget(
        "harness_architectures",
        "architecture",
        lambda item: isinstance(item, Architecture),
        lambda registry: registry.architectures,
    ),
    _HookTarget(
        "harness_padding_strategies",
        "padding strategy",
        lambda item: isinstance(item, PaddingStrategy),
        lambda registry: registry.padding_strategies,
    ),
    _HookTarget(
        "harness_data_sources",
        "data source",
        lambda item: isinstance(item, DataSourceKind),
        lambda registry: registry.data_sources,
    ),
)


def blocked_from_environment() -> set[str]:
    return {name.strip() for name in os.environ.get(BLOCK_ENV_VAR, "").split(",") if name.strip()}


def load_registry(
    plugin_entry_points: Iterable[EntryPoint] | None = None,
    blocked: set[str] | None = None,
) -> Registry:
    """Load every plugin of :data:`ENTRY_POINT_GROUP`, guarded one by one: the core's own
    (:data:`CORE_PLUGIN` and the built-in architectures) like a third party's.

    ``plugin_entry_points`` and ``blocked`` default to the installed entry points
    and to :data:`BLOCK_ENV_VAR`. Plugins of rnn-harness itself load first, then
    the others by name, so that which of two clashing plugins is refused does not
    depend on install order.
    """
    if plugin_entry_points is None:
        plugin_entry_points = entry_points(group=ENTRY_POINT_GROUP)
    blocked = blocked_from_environment() if blocked is None else blocked
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(spec)
    sources: list[PluginSource] = []
    for entry_point in sorted(plugin_entry_points, key=_load_order):
        distribution, dist_version = _distribution_of(entry_point)
        if entry_point.name in blocked:
            manager.set_blocked(entry_point.name)
            sources.append(PluginSource(entry_point.name, distribution, dist_version, blocked=True))
            continue
        sources.append(
            _register(manager, entry_point.name, entry_point, distribution, dist_version)
        )

    sources = _refuse_unknown_hooks(manager, sources)
    registry = Registry()
    for source in sources:
        if not source.failed and not source.blocked:
            source = _collect(manager, source, registry)
        registry.plugins.append(source)
    return registry


def load_cell_plugins(architecture_plugin: str, padding: str) -> Registry:
    """What one cell needs: the core and the plugin of its architecture, not every plugin.

    A worker loads only these, so that another plugin cannot break its cell, and a plugin
    that fails to load here raises its own error (a worker may lack what the harness has),
    not "unknown architecture". Everything loads when the padding strategy comes from
    another plugin.
    """
    registry = load_registry(
        entry
        for entry in entry_points(group=ENTRY_POINT_GROUP)
        if entry.name == architecture_plugin
        or (entry.name == CORE_PLUGIN and _distribution_of(entry)[0] == CORE_DISTRIBUTION)
    )
    for plugin in registry.failed_plugins:
        raise HarnessError(f"{plugin.describe()} failed to load: {plugin.error}")
    if padding not in registry.padding_strategies:
        return load_registry()
    return registry


def _refuse_unknown_hooks(
    manager: pluggy.PluginManager, sources: list[PluginSource]
) -> list[PluginSource]:
    """pluggy's ``check_pending``, plugin by plugin: a plugin that implements a hook the
    spec does not have (``harness_architecture`` for ``harness_architectures``) fails with
    the hook named, contributes nothing, and every other plugin still loads."""
    hooks = [name for name in vars(spec) if name.startswith("harness_")]
    while True:
        try:
            manager.check_pending()
            return sources
        except pluggy.PluginValidationError as error:
            name = manager.get_name(error.plugin)
            unknown = sorted(
                caller.name
                for caller in manager.get_hookcallers(error.plugin) or []
                if not caller.has_spec()
            )
            manager.unregister(error.plugin)
            reason = _describe(UnknownNameError("hook", unknown[0], hooks))
            sources = [replace(s, error=reason) if s.name == name else s for s in sources]


def _load_order(entry_point: EntryPoint) -> tuple[bool, str]:
    distribution, _ = _distribution_of(entry_point)
    return (distribution != CORE_DISTRIBUTION, entry_point.name)


def _distribution_of(entry_point: EntryPoint) -> tuple[str, str]:
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return ("unknown", "unknown")
    return (dist.metadata["Name"] or "unknown", dist.version or "unknown")


def _register(
    manager: pluggy.PluginManager,
    name: str,
    plugin: EntryPoint,
    distribution: str,
    dist_version: str,
) -> PluginSource:
    source = PluginSource(name, distribution, dist_version)
    try:
        manager.register(plugin.load(), name=name)
    except Exception as error:  # a broken plugin must not stop the others
        return PluginSource(name, distribution, dist_version, error=_describe(error))
    return source


def _collect(
    manager: pluggy.PluginManager, source: PluginSource, registry: Registry
) -> PluginSource:
    """Call each hook of one plugin; keep all of its contributions or none of them."""
    accepted: list[tuple[_HookTarget[Any], Any]] = []
    try:
        for target in _HOOK_TARGETS:
            for implementation in getattr(manager.hook, target.hook_name).get_hookimpls():
                if implementation.plugin_name != source.name:
                    continue
                for item in _as_list(implementation.function(), target.hook_name):
                    accepted.append((target, _checked(target, item, registry, accepted)))
    except Exception as error:  # a broken plugin must not stop the others
        manager.unregister(name=source.name)
        return PluginSource(
            source.name, source.distribution, source.version, error=_describe(error)
        )
    for target, item in accepted:
        target.table(registry)[item.name] = Registered(item, source)
    return source


def _as_list(result: Any, hook_name: str) -> list[Any]:
    if result is None:
        return []
    if not isinstance(result, (list, tuple)):
        raise TypeError(f"{hook_name}() must return a list, not {type(result).__name__}")
    return list(result)


def _checked(
    target: _HookTarget[Any], item: Any, registry: Registry, pending: list[tuple[Any, Any]]
) -> Any:
    if not target.is_valid(item):
        raise TypeError(f"{target.hook_name}() returned {item!r}, which is not a {target.kind}")
    existing = target.table(registry).get(item.name)
    if existing is not None:
        raise HarnessError(
            f"{target.kind} {item.name!r} is already provided by {existing.source.describe()}"
        )
    if any(other is target and accepted.name == item.name for other, accepted in pending):
        raise HarnessError(f"{target.kind} {item.name!r} is contributed twice by this plugin")
    return item


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
