"""A third party's data-source plugin, written against the public names of ``harness`` only.

``mysource:tiny`` is a made-up two-class corpus; a directory holding a file ``MYSOURCE``
names a corpus too, a layout the core would otherwise read as a table.
"""

SOURCE_PLUGIN = """
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness import DataError, LabelledTexts, PrefixedSourceKind, SourceOptions, TextDataset
from harness import hookimpl

WORDS = {
    "money": "shares profit merger investors earnings dividend bank stocks".split(),
    "sport": "coach season striker playoff tournament goalkeeper league medal".split(),
}


def rows(count, offset):
    texts, labels = [], []
    for number in range(offset, offset + count):
        for label, words in enumerate(WORDS.values()):
            texts.append(f"{words[number % 8]} {words[(number * 3 + 1) % 8]} story {number}")
            labels.append(label)
    return LabelledTexts(texts, np.array(labels, dtype="int64"))


@dataclass(frozen=True)
class Corpus:
    name: str
    options: SourceOptions

    def fingerprint(self):
        return f"mysource:{self.name}:1"

    def load(self):
        if self.name != "tiny":
            raise DataError(f"mysource:{self.name}: no such corpus (there is: tiny)")
        return TextDataset(
            source=f"mysource:{self.name}",
            fingerprint=self.fingerprint(),
            class_names=list(WORDS),
            train=rows(40, 0),
            test=rows(10, 40),
            fields=("text",),
        )


@dataclass(frozen=True)
class MarkedDirectory:
    name: str = "marked-directory"
    usage: str = "a directory holding MYSOURCE"
    summary: str = "A directory whose file MYSOURCE names a corpus."

    def claims(self, data):
        return (Path(data) / "MYSOURCE").is_file()

    def open(self, data, options):
        return Corpus((Path(data) / "MYSOURCE").read_text().strip(), options)


@hookimpl
def harness_data_sources():
    return [PrefixedSourceKind("mysource", "Made-up corpora, by name.", Corpus), MarkedDirectory()]
"""
