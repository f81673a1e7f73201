"""The ``harness`` command line: list plugins, check data, run comparisons, tune, report."""

from __future__ import annotations

import os
import sys
import warnings

import click

from harness.cli import data, plugins, report, run, tune
from harness.cli.exits import ExitCode, unexpected_error_line
from harness.errors import SHORT_VALUE, HarnessError, HarnessWarning, shortened

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter


class HarnessGroup(click.Group):
    """Ends every command with an exit code of :class:`ExitCode` and no traceback: a
    :class:`HarnessError` is one message (2), Ctrl-C is ``interrupted`` (130), any other
    exception one line naming a log of its traceback (3). Prints a :class:`HarnessWarning`
    as one line, once a command (a run reads the results file to resume, then again for its
    leaderboard)."""

    def invoke(self, ctx: click.Context):
        shown: set[str] = set()

        def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
            if not issubclass(category, HarnessWarning):
                _python_show_warning(message, category, filename, lineno, file, line)
            elif str(message) not in shown:
                shown.add(str(message))
                click.echo(f"warning: {message}", err=True)

        try:
            with warnings.catch_warnings():
                warnings.showwarning = show_warning
                return super().invoke(ctx)
        except HarnessError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(ExitCode.USAGE)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(ExitCode.INTERRUPTED)
        except click.UsageError as error:  # click quotes a bad value whole
            raise click.UsageError(_shortened_words(error.format_message()), error.ctx) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            click.echo(f"error: {unexpected_error_line(error)}", err=True)
            sys.exit(ExitCode.UNEXPECTED)


_python_show_warning = warnings.showwarning


def _shortened_words(message: str) -> str:
    """``message`` with each over-long run of characters without a space shortened."""
    return " ".join(
        shortened(word) if len(word) > 2 * SHORT_VALUE else word for word in message.split(" ")
    )


@click.group(cls=HarnessGroup)
@click.version_option(package_name="rnn-harness")
def main() -> None:
    """Compare recurrent text classifiers on equal terms."""


main.add_command(plugins.list_plugins)
main.add_command(data.data)
main.add_command(run.run_command)
main.add_command(report.report_command)
main.add_command(report.compare_command)
main.add_command(tune.tune_command)
