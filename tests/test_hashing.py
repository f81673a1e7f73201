"""The one hashing helper names cells exactly as the configuration of each row's own version
did (rnn-harness 0.1.0 for the committed results): a changed helper would re-run finished cells.
(Cells of 0.1.0 do not resume under 0.2.0, whose `none` pads before the text: see
test_cell_identity.py.)"""

import dataclasses
import json
from pathlib import Path

from harness.config import DeviceConfig
from harness.hashing import COMPARISON_KEY_LENGTH, CONFIG_HASH_LENGTH, digest

COMMITTED_RESULTS = Path(__file__).resolve().parent.parent / "reports" / "results.jsonl"
DEVICE_SETTINGS = [field.name for field in dataclasses.fields(DeviceConfig)]


def configuration_of(row: dict) -> dict:
    """A cell's configuration as ``CellSpec.configuration`` gives it, rebuilt from its row."""
    host = row["host"]
    configuration = {
        "architecture": row["architecture"],
        "params": row["params"],
        "padding": row["padding"],
        "seed": row["seed"],
        "training": row["training"],
        "device": {name: row["device"][name] for name in DEVICE_SETTINGS},
        "data": row["data"],
        "plugin": row["plugin"],
        "machine": {
            "cpu": host["cpu"],
            "cores": host["cores"],
            "gpus": [gpu["name"] for gpu in host["gpus"]],
        },
    }
    if "padding_plugin" in row:  # rnn-harness 0.2.0 and later
        configuration["padding_plugin"] = row["padding_plugin"]
    return configuration


def comparison_of(row: dict, configuration: dict) -> dict:
    """What a row's comparison key digests: since rnn-harness 0.2.0, also its version."""
    shared = {key: configuration[key] for key in ("data", "training", "device", "machine")}
    if "padding_plugin" in row:
        shared["rnn-harness"] = row["versions"]["rnn-harness"]
    return shared


def test_committed_rows_keep_their_config_hashes_and_comparison_keys():
    rows = [json.loads(line) for line in COMMITTED_RESULTS.read_text().splitlines() if line]
    assert len(rows) >= 54
    for row in rows:
        configuration = configuration_of(row)
        assert digest(configuration, CONFIG_HASH_LENGTH) == row["config_hash"]
        assert digest(comparison_of(row, configuration), COMPARISON_KEY_LENGTH) == row["comparison"]
