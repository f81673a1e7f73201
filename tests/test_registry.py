"""Plugin discovery through real entry points, guarded loading, duplicates and blocking."""

import subprocess
import sys

import pytest
from helpers.source_plugin import SOURCE_PLUGIN

from harness import PrefixedSourceKind
from harness.data.loading import load_dataset, open_source
from harness.errors import DataError, UnknownNameError
from harness.plugin.manager import BLOCK_ENV_VAR, load_registry
from harness.testing import check_data_source

BUILT_INS = {"simple-rnn", "gru", "lstm", "bilstm", "stacked-bilstm", "bag-of-embeddings"}

EXTERNAL_PLUGIN = """
from harness import Architecture, HyperParameter, hookimpl

def build(embedded, params):
    import keras
    return keras.layers.GRU(params["units"])(embedded)

@hookimpl
def harness_architectures():
    return [Architecture(
        name="{name}",
        summary="A third party's GRU.",
        hyperparameters=(HyperParameter("units", 4, "units"),),
        build_encoder=build,
    )]
"""
BROKEN_ON_IMPORT = "raise RuntimeError('cannot import me')\n"
BROKEN_IN_HOOK = """
from harness import hookimpl

@hookimpl
def harness_architectures():
    raise KeyError('no architectures today')
"""


def test_built_ins_load_through_entry_points():
    registry = load_registry()
    assert set(registry.architectures) >= BUILT_INS
    for name in BUILT_INS:
        source = registry.architecture(name).source
        assert (source.name, source.distribution) == (name, "rnn-harness")
    assert registry.architecture("bag-of-embeddings").item.reference_baseline
    assert not registry.failed_plugins


def test_hook_harness_architectures(install_distribution):
    install_distribution(
        "rnn-harness-extra", {"extra-gru": EXTERNAL_PLUGIN.format(name="extra-gru")}
    )
    registry = load_registry()
    registered = registry.architecture("extra-gru")
    assert registered.source.distribution == "rnn-harness-extra"
    assert registered.source.version == "1.0"
    assert registered.item.defaults() == {"units": 4}


def test_a_plugin_that_fails_to_import_is_listed_and_the_others_load(install_distribution):
    install_distribution(
        "rnn-harness-mixed",
        {"broken": BROKEN_ON_IMPORT, "fine": EXTERNAL_PLUGIN.format(name="fine-gru")},
    )
    registry = load_registry()
    failed = {plugin.name: plugin for plugin in registry.failed_plugins}
    assert failed["broken"].error == "RuntimeError: cannot import me"
    assert "fine-gru" in registry.architectures
    assert set(registry.architectures) >= BUILT_INS


def test_a_plugin_whose_hook_raises_is_listed_as_failed(install_distribution):
    install_distribution("rnn-harness-raising", {"raising": BROKEN_IN_HOOK})
    registry = load_registry()
    (failed,) = registry.failed_plugins
    assert failed.name == "raising"
    assert "KeyError" in failed.error


def test_duplicate_architecture_names_are_refused_naming_both_sources(install_distribution):
    install_distribution("rnn-harness-clash", {"my-lstm": EXTERNAL_PLUGIN.format(name="lstm")})
    registry = load_registry()
    assert registry.architecture("lstm").source.distribution == "rnn-harness"
    (failed,) = registry.failed_plugins
    assert (failed.name, failed.distribution) == ("my-lstm", "rnn-harness-clash")
    assert "architecture 'lstm' is already provided by plugin 'lstm' (rnn-harness" in failed.error


def test_blocked_plugins_are_not_loaded(monkeypatch, install_distribution):
    install_distribution("rnn-harness-blocked", {"broken": BROKEN_ON_IMPORT})
    monkeypatch.setenv(BLOCK_ENV_VAR, "broken, gru")
    registry = load_registry()
    assert "gru" not in registry.architectures
    assert not registry.failed_plugins
    assert {p.name for p in registry.plugins if p.blocked} == {"broken", "gru"}


def test_unknown_architecture_suggests_the_closest_name():
    with pytest.raises(
        UnknownNameError, match=r"unknown architecture 'lstn'; did you mean 'lstm'\?"
    ):
        load_registry().architecture("lstn")


def test_harness_list_shows_external_and_failed_plugins(install_distribution):
    site = install_distribution(
        "rnn-harness-cli",
        {"cli-gru": EXTERNAL_PLUGIN.format(name="cli-gru"), "bad": BROKEN_ON_IMPORT},
    )
    listing = subprocess.run(
        [sys.executable, "-m", "harness", "list"],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": site, "PATH": ""},
    ).stdout
    assert "cli-gru" in listing and "rnn-harness-cli 1.0" in listing
    assert "units: int = 4" in listing
    assert "Failed plugins" in listing and "RuntimeError: cannot import me" in listing
    for name in BUILT_INS:
        assert name in listing


PADDING_PLUGIN = """
from dataclasses import dataclass

from harness import hookimpl
from harness.batching.padding import PadToLongestInBatch

@hookimpl
def harness_padding_strategies():
    return [PadToLongestInBatch(name="left-as-is", summary="A copy of mask.", masks=True)]
"""


def test_hook_harness_padding_strategies(install_distribution):
    registry = load_registry()
    assert {"none", "mask", "bucket"} <= set(registry.padding_strategies)
    assert registry.padding_strategy("bucket").source.name == "core"
    install_distribution("rnn-harness-padding", {"left": PADDING_PLUGIN})
    registry = load_registry()
    assert registry.padding_strategy("left-as-is").source.distribution == "rnn-harness-padding"


MISSPELT_HOOK = """
from harness import hookimpl

@hookimpl
def harness_architecture():
    return []
"""


def test_a_misspelt_hook_fails_its_plugin_naming_the_hook(install_distribution):
    install_distribution("rnn-harness-typo", {"typo": MISSPELT_HOOK})
    registry = load_registry()
    failed = {plugin.name: plugin.error for plugin in registry.failed_plugins}
    assert "typo" in failed, "a plugin with a misspelt hook loaded as if it were fine"
    assert "unknown hook 'harness_architecture'" in failed["typo"]
    assert "did you mean 'harness_architectures'?" in failed["typo"]
    assert set(registry.architectures) >= BUILT_INS


def test_hook_harness_data_sources(install_distribution, tmp_path):
    registry = load_registry()
    assert {"ag-news-sample", "directory", "tfds", "hf"} <= set(registry.data_sources)
    assert registry.data_sources["tfds"].source.name == "core"
    install_distribution("rnn-harness-mysource", {"mysource": SOURCE_PLUGIN})
    registry = load_registry()
    registered = registry.data_sources["mysource"]
    assert registered.source.distribution == "rnn-harness-mysource"
    dataset = check_data_source(registered.item, "mysource:tiny")
    assert dataset.class_names == ["money", "sport"]
    assert load_dataset("mysource:tiny", registry).fingerprint == "mysource:tiny:1"
    with pytest.raises(DataError, match=r"^mysource:huge: no such corpus"):
        load_dataset("mysource:huge", registry)
    # a plugin's kinds are asked before the core's: this directory is not read as a table
    marked = tmp_path / "marked"
    marked.mkdir()
    (marked / "MYSOURCE").write_text("tiny\n")
    assert registry.data_sources_in_turn()[0].source.name == "mysource"
    assert open_source(str(marked), registry).fingerprint() == "mysource:tiny:1"


def test_no_kind_of_source_claims_it_lists_every_kind_in_one_line(install_distribution):
    install_distribution("rnn-harness-mysource", {"mysource": SOURCE_PLUGIN})
    with pytest.raises(DataError) as raised:
        open_source("nosuch:tiny", load_registry())
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("nosuch:tiny: not a directory. --data takes ")
    for usage in ("mysource:NAME", "a directory holding MYSOURCE", "ag-news-sample", "tfds:NAME"):
        assert usage in message


def test_the_data_source_check_refuses_a_kind_that_takes_the_cores_strings(
    install_distribution,
):
    install_distribution("rnn-harness-mysource", {"mysource": SOURCE_PLUGIN})
    kind = load_registry().data_sources["mysource"].item

    class Greedy(PrefixedSourceKind):
        def claims(self, data: str) -> bool:
            return True  # every --data, the core's too

    greedy = Greedy("mysource", kind.summary, kind.open_name)
    with pytest.raises(AssertionError, match=r"claims \['ag-news-sample', 'tfds:"):
        check_data_source(greedy, "mysource:tiny")
    with pytest.raises(AssertionError, match="does not claim 'tfds:tiny'"):
        check_data_source(kind, "tfds:tiny")
