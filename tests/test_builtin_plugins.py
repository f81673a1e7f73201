"""Every built-in architecture keeps the contract, checked by the helper plugins use too."""

import pytest

from harness.plugin.manager import load_registry

REGISTRY = load_registry()


@pytest.mark.parametrize("name", sorted(REGISTRY.architectures))
def test_built_in_keeps_the_contract(name, architecture_contract):
    architecture_contract(REGISTRY.architecture(name).item)


def test_stacked_bilstm_depth_is_a_hyperparameter(architecture_contract):
    from harness.model.classifier import ModelShape, build_classifier

    stacked = REGISTRY.architecture("stacked-bilstm").item
    architecture_contract(stacked, {"depth": 3})
    model = build_classifier(
        stacked, stacked.resolve({"depth": 3}), ModelShape(30, 4, 8), mask=True
    )
    assert sum("bidirectional" in layer.name for layer in model.layers) == 3


def test_tutorial_defaults():
    defaults = {name: r.item.defaults() for name, r in REGISTRY.architectures.items()}
    assert defaults["simple-rnn"] == {"units": 16}
    assert defaults["gru"] == {"units": 16}
    assert defaults["lstm"] == {"units": 8}
    assert defaults["bilstm"] == {"units": 64}
    assert defaults["stacked-bilstm"] == {"depth": 2, "units": 64}


@pytest.mark.filterwarnings("ignore:Layer 'lambda:UserWarning")
def test_contract_check_catches_an_encoder_that_ignores_the_mask():
    import keras

    from harness import Architecture
    from harness.testing import check_architecture

    def sums_padding_too(embedded, params):  # Lambda layers drop the mask
        return keras.layers.Lambda(lambda x: keras.ops.sum(x, axis=1))(embedded)

    leaky = Architecture(name="leaky", summary="Sums pads.", build_encoder=sums_padding_too)
    embedding_of_pad_is_not_zero = pytest.raises(AssertionError, match="once pads are appended")
    with embedding_of_pad_is_not_zero:
        check_architecture(leaky)
