"""The ``harness`` command line: list plugins, check data, run comparisons, tune, report."""

from __future__ import annotations

import os
import sys
import warnings

import click

from harness.cli import data, plugins, report, run, tune
from harness.errors import HarnessError
from harness.results.log import ResultsWarning

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter


class HarnessGroup(click.Group):
    """Prints a :class:`HarnessError` as one message and exits 2, with no traceback; prints
    a warning about the results file as one line, once a command (a run reads the file to
    resume, then again for its leaderboard)."""

    def invoke(self, ctx: click.Context):
        shown: set[str] = set()

        def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
            if not issubclass(category, ResultsWarning):
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
            sys.exit(2)


_python_show_warning = warnings.showwarning


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
