"""``harness tune``: the same tuning budget for every architecture, then the tuned leaderboard."""

from __future__ import annotations

import sys

import click
import cloup

from harness.cli.options import (
    DATA_OPTIONS,
    EXECUTION_OPTIONS,
    FORMATTER,
    OUTPUT_OPTIONS,
    TRAINING_OPTIONS,
    count_option,
    run_options_from,
    selection_options,
)
from harness.results.schema import FINISHED

# Training options that are dimensions of the space: given on the command line, each is fixed.
TUNED_TRAINING_OPTIONS = (
    "learning_rate", "batch_size", "embedding_dim", "embedding_dropout", "word_dropout",
)  # fmt: skip


@cloup.command("tune", formatter_settings=FORMATTER)
@cloup.option_group(
    "Selection",
    *selection_options("tune", "Every architecture.", "bucket"),
)  # fmt: skip
@cloup.option_group(
    "Tuning",
    cloup.option("--trials", type=int, default=12, show_default=True, metavar="N",
                 help="Trials per architecture x padding."),
    cloup.option("--space", "spaces", multiple=True, metavar="NAME=LOW..HIGH[:log]|A,B",
                 help="Narrow or replace a range (repeatable)."),
    cloup.option("--max-params", type=int, default=None, metavar="N",
                 help="Refuse configurations over N trainable parameters."),
    cloup.option("--exclude-embedding", is_flag=True,
                 help="--max-params counts without the embedding."),
    cloup.option("--sampler", type=click.Choice(["random", "tpe"]), default="random",
                 show_default=True, help="Random search, or TPE (biased curves)."),
    cloup.option("--sampler-seed", type=int, default=0, show_default=True, metavar="N",
                 help="Seed of the sampler."),
    cloup.option("--prune", type=click.Choice(["none", "halving", "hyperband"]),
                 default="none", show_default=True, help="Stop poor trials at an epoch."),
    count_option("--seeds", default=3, help="Seeds of each best configuration's re-run."),
    cloup.option("--untuned/--no-untuned", default=True, show_default=True,
                 help="Also train the defaults, to compare."),
)  # fmt: skip
@DATA_OPTIONS
@TRAINING_OPTIONS
@EXECUTION_OPTIONS
@OUTPUT_OPTIONS
@click.pass_context
def tune_command(context: click.Context, **options) -> None:
    """Tune every architecture with the same budget, re-run the best, write the leaderboard.

    Each trial is a cell scored on the validation split only; each architecture's best
    configuration is then trained on --seeds fresh seeds and scored on the test split.
    Studies are kept in OUT/study.db (optuna-dashboard sqlite:///OUT/study.db), every
    trial in OUT/results.jsonl; the same command resumes. --force starts new studies.
    See docs/tuning.md.

    \b
    Exit status:
      0  every trial and re-run finished (done, pruned or diverged)
      1  a cell ended in error or timeout, or its worker died (the same command
         runs it again)
      2  a usage or data error, found before any cell trains
    """
    from harness.tune.report import write_tuned_report
    from harness.tune.tuner import TuneOptions, tune

    given = {
        name
        for name in (*TUNED_TRAINING_OPTIONS, "embeddings_trainable", "embeddings_frozen")
        if context.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
    }
    fixed = tuple(f"{name}={options[name]}" for name in TUNED_TRAINING_OPTIONS if name in given)
    if given & {"embeddings_trainable", "embeddings_frozen"}:  # not a choice in the space then
        fixed += (f"embeddings_trainable={'embeddings_trainable' in given}",)
    tuning = {
        key: options.pop(key)
        for key in ("trials", "max_params", "exclude_embedding", "sampler", "sampler_seed",
                    "prune", "untuned")
    }  # fmt: skip
    spaces = _with_fixed(fixed, options.pop("spaces"))
    run_options = run_options_from(options, "tune", paddings=options.pop("paddings") or ("bucket",))
    rows = tune(TuneOptions(run_options, spaces=spaces, **tuning), say=cloup.echo)
    path = write_tuned_report(run_options.out_dir)
    failed = sum(row["status"] not in FINISHED for row in rows)
    cloup.echo(f"{len(rows)} cells recorded, {failed} not finished; leaderboard: {path}")
    if failed:
        sys.exit(1)


def _with_fixed(fixed: tuple[str, ...], spaces: tuple[str, ...]) -> tuple[str, ...]:
    """``--space`` options, after the training options given on the command line as fixed
    values; one dimension given both ways is refused."""
    from harness.errors import HarnessError

    for assignment in fixed:
        name = assignment.partition("=")[0]
        if any(space.partition("=")[0].strip().replace("-", "_") == name for space in spaces):
            option = "--" + name.replace("_", "-")
            raise HarnessError(f"give either {option} or --space {name}=..., not both")
    return fixed + spaces
