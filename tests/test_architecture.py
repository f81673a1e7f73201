import pytest

from harness import Architecture, HyperParameter
from harness.config import parse_overrides
from harness.errors import HyperParameterError, UnknownNameError


def encoder(embedded, params):
    return embedded


@pytest.fixture
def architecture() -> Architecture:
    return Architecture(
        name="toy-rnn",
        summary="A toy.",
        build_encoder=encoder,
        hyperparameters=(
            HyperParameter("units", 8, "units", minimum=1),
            HyperParameter("dropout", 0.0, "dropout", minimum=0),
            HyperParameter("bidirectional", False, "both directions"),
            HyperParameter("cell", "lstm", "cell type"),
        ),
    )


def test_defaults_are_typed(architecture):
    assert architecture.defaults() == {
        "units": 8,
        "dropout": 0.0,
        "bidirectional": False,
        "cell": "lstm",
    }


def test_overrides_from_text_are_parsed_by_declared_type(architecture):
    params = architecture.resolve(
        {"units": "64", "dropout": "0.25", "bidirectional": "yes", "cell": "gru"}
    )
    assert params == {"units": 64, "dropout": 0.25, "bidirectional": True, "cell": "gru"}
    assert type(params["units"]) is int


def test_int_given_for_float_is_accepted(architecture):
    assert architecture.resolve({"dropout": 1})["dropout"] == 1.0


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"units": "1.5"}, "toy-rnn.units expects int, got '1.5'"),
        ({"units": "0"}, "toy-rnn.units must be >= 1, got 0"),
        ({"bidirectional": "maybe"}, "toy-rnn.bidirectional expects bool, got 'maybe'"),
        ({"units": True}, "toy-rnn.units expects int, got True"),
    ],
)
def test_bad_overrides_are_refused_with_a_clear_message(architecture, override, message):
    with pytest.raises(HyperParameterError, match=message.replace(".", r"\.")):
        architecture.resolve(override)


def test_unknown_hyperparameter_suggests_the_closest(architecture):
    with pytest.raises(UnknownNameError, match="did you mean 'units'"):
        architecture.resolve({"unit": "3"})


def test_parse_overrides_groups_by_architecture():
    assert parse_overrides(["lstm.units=64", "gru.units=8", "lstm.dropout=0.1"]) == {
        "lstm": {"units": "64", "dropout": "0.1"},
        "gru": {"units": "8"},
    }


@pytest.mark.parametrize("bad", ["lstm.units", "units=3", ".units=3", "lstm.=3"])
def test_parse_overrides_refuses_malformed_assignments(bad):
    with pytest.raises(HyperParameterError, match=r"ARCH\.PARAM=VALUE"):
        parse_overrides([bad])


@pytest.mark.parametrize("name", ["LSTM", "my_rnn", "-rnn", "rnn-", ""])
def test_architecture_names_are_lower_case_words_joined_by_dashes(name):
    with pytest.raises(ValueError, match="must be lower-case"):
        Architecture(name=name, summary="x", build_encoder=encoder)


def test_summary_must_be_one_line():
    with pytest.raises(ValueError, match="one non-empty line"):
        Architecture(name="rnn", summary="two\nlines", build_encoder=encoder)


@pytest.mark.parametrize("text", ["nan", "inf", "-inf"])
def test_a_float_hyperparameter_must_be_finite(text):
    rate = HyperParameter("rate", 0.5, "a share")
    with pytest.raises(HyperParameterError, match=f"rate must be a finite number, got {text}"):
        rate.parse(text)
