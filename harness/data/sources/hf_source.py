"""``hf:NAME[:CONFIG]`` or ``hf:PATH``: a Hugging Face data set (the optional ``[hf]`` extra).

``hf:PATH``, PATH a directory written by ``DatasetDict.save_to_disk``, is read with
``datasets.load_from_disk``; anything else with ``datasets.load_dataset(NAME,
CONFIG)``, which reads its own cache without a network. The data set needs a
``train`` and a ``test`` split; columns are chosen as :mod:`harness.data.sources.columns`
says, and a ``ClassLabel`` label column names the classes.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from harness.api import SourceOptions, TextDataset, no_name_message
from harness.data.sources import columns
from harness.errors import DataError

PREFIX = "hf:"
SPLITS = ("train", "test")
INSTALL_HINT = "pip install 'rnn-harness[hf]'"
PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class HfSource:
    spec: str  # what follows hf:
    options: SourceOptions

    def fingerprint(self) -> str:
        """A saved data set: SHA-256 over its files; from the hub: the splits' own fingerprints."""
        digest = hashlib.sha256()
        path = Path(self.spec).expanduser()
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                digest.update(str(file.relative_to(path)).encode())
                digest.update(file.read_bytes())
            return "sha256:" + digest.hexdigest()
        splits = self.splits()
        for split in SPLITS:
            digest.update(f"{split}:{splits[split]._fingerprint}\n".encode())
        return "hf:" + digest.hexdigest()

    def load(self) -> TextDataset:
        splits = self.splits()  # first: says how to install datasets when it is missing
        import datasets

        where = {split: f"{PREFIX}{self.spec} split {split!r}" for split in SPLITS}
        frames = {split: splits[split].to_pandas() for split in SPLITS}
        text_columns, label_column = columns.chosen_columns(
            where["train"], list(splits["train"].column_names), self.options
        )
        feature = splits["train"].features[label_column]
        if isinstance(feature, datasets.ClassLabel):
            classes: list[Any] = list(range(feature.num_classes))
            class_names = list(feature.names)
        else:
            classes = columns.class_list(
                columns.training_labels(where["train"], frames["train"], label_column)
            )
            class_names = columns.class_names(classes)
        texts = {}
        for split in SPLITS:
            columns.chosen_columns(where[split], list(splits[split].column_names), self.options)
            texts[split] = columns.labelled_texts(
                where[split], frames[split], text_columns, label_column, classes
            )
        return TextDataset(
            source=PREFIX + self.spec,
            fingerprint=self.fingerprint(),
            class_names=class_names,
            train=texts["train"],
            test=texts["test"],
            fields=text_columns,
        )

    def splits(self):
        """The data set's train and test splits, from disk or the Hugging Face cache."""
        try:
            import datasets
        except ImportError:
            raise DataError(
                f"--data {PREFIX}{self.spec} needs the Hugging Face extra: {INSTALL_HINT}"
            ) from None
        path = Path(self.spec).expanduser()
        name, _, config = self.spec.partition(":")
        if not path.is_dir() and not name.strip():
            raise DataError(no_name_message(PREFIX + self.spec, "hf:NAME[:CONFIG]"))
        try:
            if path.is_dir():
                loaded = datasets.load_from_disk(str(path))
            else:
                with _offline_when_the_hub_does_not_answer() as offline:
                    loaded = datasets.load_dataset(name, config or None)
        except Exception as error:
            message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            if not path.is_dir() and offline:
                message += (
                    f" (the Hugging Face Hub, {offline}, does not answer, so only the local "
                    "cache was read; a data set saved with DatasetDict.save_to_disk loads "
                    "offline as hf:PATH)"
                )
            raise DataError(f"{PREFIX}{self.spec}: cannot load it: {message}") from None
        if not isinstance(loaded, datasets.DatasetDict):
            raise DataError(
                f"{PREFIX}{self.spec}: one split without a name; the harness needs a DatasetDict "
                "with train and test splits"
            )
        missing = [split for split in SPLITS if split not in loaded]
        if missing:
            raise DataError(
                f"{PREFIX}{self.spec}: no {' or '.join(missing)} split "
                f"(splits: {', '.join(loaded)}); the harness needs train and test"
            )
        return loaded


def open_hf(spec: str, options: SourceOptions) -> HfSource:
    return HfSource(spec, options)


@contextmanager
def _offline_when_the_hub_does_not_answer() -> Iterator[str | None]:
    """Yields the Hub's address, with the Hugging Face libraries in offline mode (they read
    their cache at once), when the Hub does not answer a connection within
    :data:`PROBE_TIMEOUT_S`; else None, changing nothing. Offline, ``load_dataset`` would
    otherwise retry for about 25 s before it gives up."""
    import huggingface_hub.constants as hub
    from datasets import config

    address = urlparse(hub.ENDPOINT)
    host, port = address.hostname or "", address.port or (80 if address.scheme == "http" else 443)
    if hub.HF_HUB_OFFLINE or _answers(host, port):
        yield None
        return
    before = hub.HF_HUB_OFFLINE, config.HF_HUB_OFFLINE
    hub.HF_HUB_OFFLINE = config.HF_HUB_OFFLINE = True
    try:
        yield f"{host}:{port}"
    finally:
        hub.HF_HUB_OFFLINE, config.HF_HUB_OFFLINE = before


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False
