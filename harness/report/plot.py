"""The leaderboard's plot: test accuracy against training throughput, one point per cell."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.colors import ListedColormap


def plot_accuracy_against_throughput(cells: pd.DataFrame, path: Path) -> bool:
    """Save the plot to ``path``; False when there is nothing to plot. A point's marker is
    its architecture, its colour its padding strategy (and backend, when the cells have
    several)."""
    if cells.empty:
        return False
    groups = cells.padding
    if "backend" in cells and cells.backend.nunique() > 1:
        groups = cells.padding + " / " + cells.backend
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5.5), dpi=110)
    markers = dict(zip(sorted(cells.architecture.unique()), "osD^v<>pP*hX", strict=False))
    palette = cast("tuple[Any, ...]", cast("ListedColormap", plt.get_cmap("tab10")).colors)
    colours = dict(zip(sorted(groups.unique()), palette, strict=False))
    for c, group in zip(cells.itertuples(), groups, strict=True):
        axes.errorbar(
            c.train_per_s,
            100 * c.accuracy,
            yerr=100 * c.accuracy_sd,
            fmt=markers[c.architecture],
            color=colours[group],
            capsize=3,
            markersize=7,
        )
    for name, marker in markers.items():
        axes.plot([], [], marker, color="grey", label=name)
    for name, colour in colours.items():
        axes.plot([], [], "s", color=colour, label=f"padding: {name}")
    axes.set_xscale("log")
    axes.set_xlabel("training examples per second (steady state, log scale)")
    axes.set_ylabel("test accuracy % (mean ± sd over seeds)")
    axes.set_title("Accuracy against training throughput")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8, loc="best")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return True
