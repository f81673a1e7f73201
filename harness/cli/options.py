"""Options and option types that several ``harness`` commands share."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from harness.config import DataConfig

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class FiniteFloatRange(click.FloatRange):
    """A :class:`click.FloatRange` that also refuses NaN and infinity."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


OUT_OPTION = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where results.jsonl, leaderboard.md and leaderboard.png go.",
)


class JobsType(click.ParamType):
    """``--jobs``: ``auto`` (None, resolved by the executor) or a whole number of at least 1."""

    name = "auto|N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if value is None or value == "auto":
            return None
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            self.fail(f"{value!r} is not auto or a whole number of at least 1", param, ctx)
        return number


def from_options(config_class: type[T], options: dict[str, Any], **given: Any) -> T:
    """A config dataclass from the CLI options named after its fields (taken out of ``options``)."""
    names = {field.name for field in dataclasses.fields(config_class)}  # type: ignore[arg-type]
    values = {name: options.pop(name) for name in names - set(given) if name in options}
    return config_class(**values, **given)


def data_source_options(function: F) -> F:
    """--fields/--text-column, --label-column and --tfds-data-dir: how to read a source."""
    for option in reversed(
        [
            click.option(
                "--fields",
                default=None,
                metavar="NAME+NAME",
                help="Text fields to join, in order: of the CSV family layout (text; title, "
                "description; question_title, question_content, answer) or a "
                "tensorflow-datasets builder's text features [default: all of them].",
            ),
            click.option(
                "--text-column",
                "text_columns",
                multiple=True,
                metavar="NAME",
                help="A table's or Hugging Face data set's text column (repeatable; joined in "
                "order) [default: text].",
            ),
            click.option(
                "--label-column",
                default=None,
                metavar="NAME",
                help="A table's or Hugging Face data set's label column [default: label].",
            ),
            click.option(
                "--tfds-data-dir",
                type=click.Path(file_okay=False),
                default=None,
                help="tensorflow-datasets data directory.",
            ),
        ]
    ):
        function = option(function)
    return function


def text_fields(options: dict[str, Any]) -> None:
    """Merge --fields and --text-column (two spellings of one choice) into options["fields"]."""
    fields, columns = options.pop("fields"), options.pop("text_columns")
    if fields and columns:
        raise click.UsageError("give either --fields or --text-column, not both")
    options["fields"] = tuple(filter(None, fields.split("+"))) if fields else tuple(columns)


def count_option(
    *names: str, default: int | None = None, help: str | None = None
) -> Callable[[F], F]:
    """An option for a whole number of at least 1, shown with its default when it has one."""
    return click.option(
        *names, type=click.IntRange(min=1), default=default, show_default=default is not None,
        help=help,
    )  # fmt: skip


vocabulary_size_option = click.option(
    "--vocabulary-size",
    type=click.IntRange(min=3),
    default=DataConfig.vocabulary_size,
    show_default=True,
)


validation_size_option = click.option(
    "--validation-size",
    type=FiniteFloatRange(0, 1, min_open=True, max_open=True),
    default=DataConfig.validation_size,
    show_default=True,
    help="Share of the training split held out for validation.",
)
split_seed_option = click.option(
    "--split-seed", type=int, default=DataConfig.split_seed, show_default=True
)


def share_option(name: str, default: float, help: str) -> Callable[[F], F]:
    """An option for a share in [0, 1), shown with its default."""
    return click.option(
        name, type=FiniteFloatRange(0, 1, max_open=True), default=default, show_default=True,
        help=help,
    )  # fmt: skip
