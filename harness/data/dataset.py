"""Moved: the data-source contract is in :mod:`harness.api` (import it from :mod:`harness`)."""

from harness.deprecation import moved_to

__getattr__ = moved_to(
    "harness.api",
    {"DataSource", "DataSourceKind", "LabelledTexts", "PrefixedSourceKind", "SourceOptions",
     "TextDataset"},
    __name__,
)  # fmt: skip
