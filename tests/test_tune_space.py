"""Search spaces: what a plugin declares, what ``--space`` says, and the errors of both."""

from __future__ import annotations

import pytest

from harness import Architecture, HyperParameter, SearchChoices, SearchRange
from harness.config import TrainingConfig
from harness.errors import HarnessError
from harness.tune.space import SHARED_NAMES, tuning_spaces


def build(embedded, params):
    raise AssertionError("not built here")


TOY = Architecture(
    name="toy",
    summary="A toy.",
    build_encoder=build,
    hyperparameters=(
        HyperParameter("units", 16, "units", minimum=1, search=SearchRange(8, 64, log=True)),
        HyperParameter("cell", "lstm", "which cell", search=SearchChoices(("lstm", "gru"))),
        HyperParameter("bias", True, "a bias"),  # no range: held at its default
    ),
)
OTHER = Architecture(
    name="other",
    summary="Another.",
    build_encoder=build,
    hyperparameters=(HyperParameter("units", 4, "units", minimum=1),),
)
ARCHITECTURES = {"toy": TOY, "other": OTHER}


def spaces(*options: str, selected: tuple[str, ...] = ("toy",)):
    return tuning_spaces(ARCHITECTURES, selected, options, TrainingConfig())


def test_a_space_is_the_shared_dimensions_then_the_architectures_own():
    (space,) = spaces().values()
    assert tuple(space.describe()) == (*SHARED_NAMES, "units", "cell", "bias")
    assert space.describe()["units"] == "8..64:log"
    assert space.describe()["bias"] == "= True"
    assert set(space.distributions()) == {*SHARED_NAMES, "units", "cell"}
    training, params = space.configuration(
        {"units": 32, "cell": "gru", "learning_rate": 0.01}, TrainingConfig(), TOY
    )
    assert params == {"units": 32, "cell": "gru", "bias": True}
    assert training.learning_rate == 0.01 and training.batch_size == TrainingConfig.batch_size


def test_space_options_narrow_fix_and_replace_per_architecture_or_for_all():
    both = spaces(
        "units=8..16", "other.units=2,4", "batch_size=64", "learning-rate=1e-3..1e-2:log",
        selected=("toy", "other"),
    )  # fmt: skip
    assert both["toy"].describe()["units"] == "8..16"  # PARAM: every architecture with it
    assert both["other"].describe()["units"] == "2,4"  # ARCH.PARAM first
    assert both["toy"].describe()["batch_size"] == "= 64"
    assert both["toy"].describe()["learning_rate"] == "0.001..0.01:log"
    (space,) = spaces("bias=false").values()  # a range where the plugin declared none
    assert space.describe()["bias"] == "= False"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("unitz=8..16", "unknown hyperparameter in --space 'unitz'; did you mean 'units'?"),
        ("tyo.units=8..16", "unknown architecture in --space 'tyo'; did you mean 'toy'?"),
        ("units=16..8", "--space units=16..8: range 16..8 is reversed"),
        ("units=8..8", "--space units=8..8: range 8..8 is empty"),
        ("learning_rate=0..0.1:log", "cannot be log-scaled: it reaches 0 or below"),
        ("units=0..8", "units must be >= 1, got 0"),
        ("units=8.5..16", "units is whole: range 8.5..16 must be too"),
        ("cell=1..2", "cell is a str: give it choices A,B, not a range"),
        ("embedding_dropout=0..0.95", "embedding_dropout must be <= 0.9"),
        ("units", "cannot read --space 'units'"),
        ("units=8,8", "choices 8,8 repeat a value"),
        ("other.units=x", "--space other.units=x: units expects int"),  # not tuned, still checked
    ],
)
def test_bad_space_options_are_one_clear_error(option, message):
    with pytest.raises(HarnessError) as error:
        spaces(option)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_plugin_declares_only_ranges_that_fit_its_hyperparameters():
    with pytest.raises(HarnessError, match="whole: range"):
        HyperParameter("units", 8, "units", search=SearchRange(1.5, 8))
    with pytest.raises(HarnessError, match="must be >= 1"):
        HyperParameter("units", 8, "units", minimum=1, search=SearchChoices((0, 8)))
    choices = HyperParameter("rate", 0.5, "rate", search=SearchChoices((1, 0.5)))
    assert choices.search == SearchChoices((1.0, 0.5))  # parsed to the default's type
    assert HyperParameter("units", 8, "units").search is None  # plugins without ranges stay valid


def test_with_pretrained_vectors_fine_tuning_is_a_dimension_and_the_width_is_not():
    (space,) = tuning_spaces(
        ARCHITECTURES, ("toy",), (), TrainingConfig(), pretrained=True
    ).values()
    assert "embedding_dim" not in space.describe()
    assert space.describe()["embeddings_trainable"] == "False,True"
    training, _ = space.configuration(
        {"embeddings_trainable": True, "units": 8, "cell": "lstm"}, TrainingConfig(), TOY
    )
    assert training == TrainingConfig()  # the choice is the vectors', not a training setting
    assert space.embeddings_trainable({"embeddings_trainable": True})
    assert not space.embeddings_trainable({"embeddings_trainable": False})
    (fixed,) = tuning_spaces(
        ARCHITECTURES, ("toy",), ("embeddings_trainable=true",), TrainingConfig(), pretrained=True
    ).values()
    assert fixed.describe()["embeddings_trainable"] == "= True"
    assert fixed.embeddings_trainable({})
    (plain,) = spaces().values()
    assert "embeddings_trainable" not in plain.describe() and not plain.embeddings_trainable({})
