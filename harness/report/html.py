"""``leaderboard.html``: the leaderboard as one page a reader explores, offline.

The page holds everything it shows: the header of ``leaderboard.md``, the ranking table
(sortable, filterable by architecture and padding), accuracy against throughput, each
cell's learning curves, confusion matrix, per-class scores and reliability diagram, and
the table as CSV and the rows as JSON to download. Its plots are Vega-Lite specifications
made with Altair and drawn by Vega-Embed, whose JavaScript (with Vega and Vega-Lite, about
0.9 MB) comes inline from ``vl-convert-python``; the page's own script, style and template
are the files of ``harness/report/page/``. A Content-Security-Policy forbids the page any
request, so it opens from disk as it will anywhere (see ``docs/report.md``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from importlib.resources import files
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import vl_convert
from jinja2 import Environment, PackageLoader
from markdown_it import MarkdownIt
from markupsafe import Markup

from harness.report.leaderboard import (
    CellKey,
    Leaderboard,
    cell_keys,
    done_by_cell,
    header_facts,
    method_paragraph,
    mixed_machines,
    ranking_columns,
    table_note,
)

PAGE_FILE = "leaderboard.html"
CSV_COLUMNS = [
    "rank", "shared_rank", "architecture", "padding", "backend", "seeds", "accuracy", "accuracy_sd",
    "standard_error", "interval_low", "interval_high", "macro_f1", "calibration_error",
    "best_epoch", "train_per_s", "s_per_epoch", "warmup_s", "infer_per_s", "parameters",
    "padded_share", "peak_host_mb", "test_rows",
]  # fmt: skip
VEGA_EMBED = "window.vegaEmbed = vegaEmbed;"  # what the page needs of the bundle
_MARKDOWN = MarkdownIt("commonmark", {"html": False})  # the header's text is escaped already


def render_page(board: Leaderboard) -> str:
    """The page of ``board``, as one self-contained HTML document."""
    environment = Environment(
        loader=PackageLoader("harness.report", "page"), autoescape=True, keep_trailing_newline=True
    )
    environment.policies["json.dumps_kwargs"] = {"sort_keys": True, "allow_nan": False}
    keys = cell_keys(board.cells)
    cells_in_order = list(board.cells.itertuples())
    return environment.get_template("leaderboard.html.jinja").render(
        facts=_markdown("\n".join(header_facts(board))),
        method=_markdown("\n\n".join([method_paragraph(board), table_note(board)])),
        machines=_markdown("\n".join(mixed_machines(board))),
        columns=[column.header for column in ranking_columns(board)],
        table=_table(board),
        cells=[
            _cell_detail(board, key, c.seeds) for key, c in zip(keys, cells_in_order, strict=True)
        ],
        failures=board.failures.to_dict("records"),
        specs={
            "throughput": _throughput_chart(board),
            "curves": _curves_chart(board),
            "reliability": _reliability_chart(board),
        },
        first_cell=board.cell_name(keys[0]) if keys else "",
        csv=board.cells.reindex(columns=CSV_COLUMNS).to_csv(index=False),
        rows=_json_safe(board.rows),
        script=Markup(_inline(_page_file("leaderboard.js"))),
        style=Markup(_inline(_page_file("leaderboard.css"))),
        vega=Markup(_inline(_vega_embed_bundle())),
    )


def _markdown(text: str) -> Markup:
    return Markup(_MARKDOWN.render(text))


def _table(board: Leaderboard) -> list[dict[str, Any]]:
    """Each cell's row of the ranking table: its texts and the values they sort by."""
    columns = ranking_columns(board)
    return [
        {
            "cell": board.cell_name(key),
            "architecture": c.architecture,
            "padding": c.padding,
            "values": [
                (column.text(c), _sort_value(getattr(c, column.sort_by))) for column in columns
            ],
        }
        for key, c in zip(cell_keys(board.cells), board.cells.itertuples(), strict=True)
    ]


def _sort_value(value: Any) -> str:
    """What a column sorts by, as text: a number as its ``repr``, nothing when not measured."""
    if isinstance(value, str):
        return value
    return "" if pd.isna(value) else repr(float(value))


def _cell_detail(board: Leaderboard, key: CellKey, seeds: int) -> dict[str, Any]:
    """What the page shows of one chosen cell besides its plots."""
    scores, calibration = board.class_scores.get(key), board.calibration.get(key)
    classes = []
    if scores is not None:
        for k, name in enumerate(scores.class_names):
            classes.append(
                {
                    "name": name,
                    "counts": [int(count) for count in scores.confusion[k]],
                    "shares": [float(share) for share in scores.row_shares[k]],
                    "precision": float(scores.precision[k]),
                    "recall": float(scores.recall[k]),
                    "f1": float(scores.f1[k]),
                    "support": int(scores.support[k]),
                }
            )
    return {
        "label": board.cell_name(key),
        "seeds": seeds,
        "classes": classes,
        "calibration_error": calibration.expected_error if calibration else None,
    }


def _throughput_chart(board: Leaderboard) -> dict[str, Any]:
    """Mean test accuracy against training throughput, one point per cell with its 95 %
    interval; the page shows the cells its table's filters let through (``shown``)."""
    cells = board.cells
    if cells.empty:
        return {}
    if board.paired is not None:
        low, high = cells.interval_low, cells.interval_high
        interval = "95 % interval (paired bootstrap)"
    else:
        low = cells.accuracy - 1.96 * cells.standard_error
        high = cells.accuracy + 1.96 * cells.standard_error
        interval = "95 % interval (±1.96 standard errors, unpaired)"
    values = [
        {
            "cell": board.cell_name(key),
            "architecture": c.architecture,
            "padding": board.cell_name(key).split(" / ", 1)[1],  # and the backend, if several
            "accuracy": 100 * c.accuracy,
            "low": 100 * lo,
            "high": 100 * hi,
            "interval": f"[{100 * lo:.2f}, {100 * hi:.2f}]",
            "throughput": c.train_per_s,
            "seeds": c.seeds,
        }
        for key, c, lo, hi in zip(cell_keys(cells), cells.itertuples(), low, high, strict=True)
    ]
    shown = alt.param(name="shown", value=[value["cell"] for value in values])
    base = alt.Chart(alt.Data(values=_json_safe(values))).encode(
        x=alt.X(
            "throughput:Q",
            scale=alt.Scale(type="log"),
            title="training examples per second (steady state, log scale)",
        ),
        color=alt.Color("padding:N", title="padding"),
    )
    within = alt.Scale(zero=False, domainMax=100, clamp=True)  # few seeds: t reaches past 100
    bars = base.mark_rule(strokeWidth=1.5).encode(
        y=alt.Y("low:Q", scale=within, title=f"test accuracy % ({interval})"), y2="high:Q"
    )
    points = base.mark_point(filled=True, size=90, opacity=0.9).encode(
        y="accuracy:Q",
        shape=alt.Shape("architecture:N", title="architecture"),
        tooltip=[
            alt.Tooltip("cell:N"),
            alt.Tooltip("accuracy:Q", title="test accuracy %", format=".2f"),
            alt.Tooltip("interval:N", title=interval),
            alt.Tooltip("throughput:Q", title="train ex/s", format=",.0f"),
            alt.Tooltip("seeds:Q"),
        ],
    )
    return _spec(
        alt.layer(bars, points)
        .add_params(shown)
        .transform_filter("indexof(shown, datum.cell) >= 0")
        .properties(width=640, height=380)
    )


def _curves_chart(board: Leaderboard) -> dict[str, Any]:
    """The chosen cell's (``cell``) training and validation accuracy per epoch, one line per
    seed, the epoch whose weights were kept marked."""
    values = []
    for key, rows in done_by_cell(board.rows).items():
        for row in rows:
            measurements: Mapping[str, Any] = row["measurements"] or {}
            kept = measurements.get("best_epoch")
            for number, epoch in enumerate(measurements.get("history") or [], start=1):
                for split, metric in (("training", "accuracy"), ("validation", "val_accuracy")):
                    if metric in epoch:
                        values.append(
                            {
                                "cell": board.cell_name(key),
                                "seed": row["seed"],
                                "epoch": epoch.get("epoch", number),
                                "split": split,
                                "accuracy": 100 * epoch[metric],
                                "kept": epoch.get("epoch", number) == kept,
                            }
                        )
    first = board.cell_name(cell_keys(board.cells)[0]) if values else ""
    cell = alt.param(name="cell", value=first)
    base = alt.Chart(alt.Data(values=_json_safe(values))).encode(
        x=alt.X("epoch:O", title="epoch", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("accuracy:Q", scale=alt.Scale(zero=False), title="accuracy %"),
        color=alt.Color("split:N", title="split"),
    )
    lines = base.mark_line(point=alt.OverlayMarkDef(size=20)).encode(
        strokeDash=alt.StrokeDash("seed:N", title="seed"),
        detail="seed:N",
        tooltip=["seed:N", "epoch:O", "split:N", alt.Tooltip("accuracy:Q", format=".2f")],
    )
    kept = (
        base.transform_filter("datum.kept")
        .mark_point(shape="diamond", size=160, filled=True, stroke="black", strokeWidth=1)
        .encode(
            tooltip=[
                "seed:N",
                alt.Tooltip("epoch:O", title="kept epoch"),
                "split:N",
                alt.Tooltip("accuracy:Q", format=".2f"),
            ]
        )
    )
    return _spec(
        alt.layer(lines, kept)
        .add_params(cell)
        .transform_filter("datum.cell == cell")
        .properties(width=560, height=300)
    )


def _reliability_chart(board: Leaderboard) -> dict[str, Any]:
    """The chosen cell's (``cell``) reliability diagram: accuracy against confidence in bins
    of confidence, over the diagonal of a perfectly calibrated model."""
    values = [
        {
            "cell": board.cell_name(key),
            "low": 100 * b.low,
            "high": 100 * b.high,
            "confidence": 100 * b.confidence,
            "accuracy": 100 * b.accuracy,
            "rows": b.rows,
        }
        for key, calibration in board.calibration.items()
        if calibration is not None
        for b in calibration.bins
    ]
    keys = cell_keys(board.cells)
    cell = alt.param(name="cell", value=board.cell_name(keys[0]) if keys else "")
    percent = alt.Scale(domain=[0, 100])
    bins = alt.Chart(alt.Data(values=_json_safe(values))).transform_filter("datum.cell == cell")
    bars = bins.mark_rect(opacity=0.55, stroke="white").encode(
        x=alt.X("low:Q", scale=percent, title="confidence % (the predicted class's probability)"),
        x2="high:Q",
        y=alt.Y("accuracy:Q", scale=percent, title="accuracy % of the bin's test rows"),
        y2=alt.datum(0),
        tooltip=[
            alt.Tooltip("low:Q", title="from %"),
            alt.Tooltip("high:Q", title="to %"),
            alt.Tooltip("confidence:Q", title="mean confidence %", format=".1f"),
            alt.Tooltip("accuracy:Q", title="accuracy %", format=".1f"),
            alt.Tooltip("rows:Q", title="test rows (all seeds)"),
        ],
    )
    points = bins.mark_point(filled=True, color="black", size=30).encode(
        x="confidence:Q", y="accuracy:Q"
    )
    diagonal = (
        alt.Chart(alt.Data(values=[{"x": 0, "y": 0}, {"x": 100, "y": 100}]))
        .mark_line(color="grey", strokeDash=[4, 4])
        .encode(x="x:Q", y="y:Q")
    )
    return _spec(
        alt.layer(diagonal, bars, points).add_params(cell).properties(width=360, height=300)
    )


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    return chart.to_dict(validate=True)


@functools.cache
def _vega_embed_bundle() -> str:
    """Vega-Embed with Vega and the Vega-Lite of Altair's specifications, as one script
    (vl-convert bundles it in about a second)."""
    major, minor, *_ = alt.SCHEMA_VERSION.lstrip("v").split(".")
    return vl_convert.javascript_bundle(VEGA_EMBED, vl_version=f"{major}.{minor}")


def _page_file(name: str) -> str:
    return (files("harness.report") / "page" / name).read_text(encoding="utf-8")


def _inline(script: str) -> str:
    """``script`` to put inside a ``<script>`` or ``<style>`` element; raises ``ValueError``
    if it would end the element early."""
    if "</script" in script.lower() or "</style" in script.lower():
        raise ValueError("inline script or style holds an end tag")
    return script


def _json_safe(value: Any) -> Any:
    """``value`` with every float that JSON cannot hold (NaN, infinities) as None."""
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value
