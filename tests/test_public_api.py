"""A plugin written against the public names keeps working whatever moves inside the harness.

The public names: ``from harness import Architecture, HyperParameter, hookimpl``, the
``architecture_contract`` fixture (pytest11 entry point) and the ``rnn_harness.plugins``
entry-point group. The plugin below uses nothing else.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.source_plugin import SOURCE_PLUGIN

import harness
from harness.plugin.manager import load_registry

THIRD_PARTY_PLUGIN = """
from harness import Architecture, HyperParameter, hookimpl

def build(embedded, params):
    import keras
    return keras.layers.GRU(params["units"])(embedded)

@hookimpl
def harness_architectures():
    return [Architecture(
        name="public-gru",
        summary="A third party's GRU, written against the public names only.",
        hyperparameters=(HyperParameter("units", 4, "GRU units", minimum=1),),
        build_encoder=build,
    )]
"""
ITS_OWN_TEST = """
import {module}

def test_keeps_the_contract(architecture_contract):
    architecture_contract({module}.harness_architectures()[0])
"""


def test_the_public_names_are_exported():
    assert {"Architecture", "HyperParameter", "hookimpl"} <= set(harness.__all__)


def run_its_own_test(test_file: Path, site: str) -> subprocess.CompletedProcess:
    """A plugin's own test file, run by pytest in a fresh process that sees the plugin's
    ``site`` folder first."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=test_file.parent,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([site, os.environ.get("PYTHONPATH", "")])},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_a_plugin_on_the_public_names_loads_and_its_tests_get_the_contract_fixture(
    install_distribution, tmp_path
):
    site = install_distribution("rnn-harness-public", {"public-gru": THIRD_PARTY_PLUGIN})
    registered = load_registry().architecture("public-gru")
    assert registered.source.distribution == "rnn-harness-public"

    module = next(path.stem for path in tmp_path.glob("site-packages/plugin_public_gru_*.py"))
    test_file = tmp_path / "test_public_gru.py"
    test_file.write_text(ITS_OWN_TEST.format(module=module))
    result = run_its_own_test(test_file, site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


SOURCE_PLUGIN_OWN_TEST = """
import {module}

def test_keeps_the_contract(data_source_contract):
    prefixed, directory = {module}.harness_data_sources()
    assert data_source_contract(prefixed, "mysource:tiny").class_names == ["money", "sport"]
"""


def test_a_data_source_plugin_on_the_public_names_loads_and_gets_its_contract_fixture(
    install_distribution, tmp_path
):
    assert {"DataError", "DataSource", "DataSourceKind", "PrefixedSourceKind"} <= set(
        harness.__all__
    )
    assert {"LabelledTexts", "SourceOptions", "TextDataset"} <= set(harness.__all__)
    site = install_distribution("rnn-harness-mysource", {"mysource": SOURCE_PLUGIN})
    assert load_registry().data_sources["mysource"].source.distribution == "rnn-harness-mysource"

    module = next(path.stem for path in tmp_path.glob("site-packages/plugin_mysource_*.py"))
    test_file = tmp_path / "test_mysource.py"
    test_file.write_text(SOURCE_PLUGIN_OWN_TEST.format(module=module))
    result = run_its_own_test(test_file, site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


@pytest.mark.parametrize(
    ("old_module", "name"),
    [
        ("harness.model.architecture", "Architecture"),
        ("harness.model.architecture", "HyperParameter"),
        ("harness.data.dataset", "TextDataset"),
        ("harness.data.dataset", "PrefixedSourceKind"),
        ("harness.data.cache", "VectorizedSplit"),
        ("harness.data.cache", "OOV_TOKEN_ID"),
    ],
)
def test_a_moved_name_still_imports_from_its_old_home_with_a_warning(old_module, name):
    import importlib

    import harness.api

    module = importlib.import_module(old_module)
    with pytest.warns(DeprecationWarning, match=rf"{old_module}\.{name} moved to harness\.api"):
        moved = getattr(module, name)
    assert moved is getattr(harness.api, name)
    assert getattr(harness, name) is moved
