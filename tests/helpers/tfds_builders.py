"""Two tiny tensorflow-datasets builders prepared from local files, never from a network.

``tiny_news`` has two text features (title, description), ``tiny_reviews`` one (text);
both read ``train.csv`` and ``test.csv`` in the CSV family layout from the manual
directory that :func:`prepare` hands them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import tensorflow_datasets as tfds

NEWS_CLASSES = ("World", "Sports", "Business")
REVIEW_CLASSES = ("negative", "positive")


class _LocalCsvBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    VERSION = tfds.core.Version("1.0.0")
    MANUAL_DOWNLOAD_INSTRUCTIONS = "train.csv and test.csv in the CSV family layout"
    TEXT_FEATURES: tuple[str, ...] = ()
    CLASSES: tuple[str, ...] = ()

    def _info(self) -> tfds.core.DatasetInfo:
        features = {"label": tfds.features.ClassLabel(names=list(self.CLASSES))}
        features |= {name: tfds.features.Text() for name in self.TEXT_FEATURES}
        return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict(features))

    def _split_generators(self, dl_manager):
        return {
            split: self._generate_examples(Path(dl_manager.manual_dir) / f"{split}.csv")
            for split in ("train", "test")
        }

    def _generate_examples(self, path: Path):
        with path.open(newline="", encoding="utf-8") as file:
            for number, (index, *texts) in enumerate(csv.reader(file)):
                yield (
                    number,
                    {"label": int(index) - 1, **dict(zip(self.TEXT_FEATURES, texts, strict=True))},
                )


class TinyNews(_LocalCsvBuilder):
    TEXT_FEATURES = ("title", "description")
    CLASSES = NEWS_CLASSES


class TinyReviews(_LocalCsvBuilder):
    TEXT_FEATURES = ("text",)
    CLASSES = REVIEW_CLASSES


def prepare(builder_class: type[_LocalCsvBuilder], files: Path, data_dir: Path) -> None:
    """Prepare ``builder_class`` into ``data_dir`` from the CSV files in ``files``."""
    builder = builder_class(data_dir=str(data_dir))
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=str(files))
    )
