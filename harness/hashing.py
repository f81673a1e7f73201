"""One way to name a configuration by its content: a cut SHA-256 of its canonical JSON.

>>> digest({"b": 1, "a": [1, 2]}, CONFIG_HASH_LENGTH)
'3813f9409eb0095b'

Each use keeps the length it has always had: the names are written in results files
and cache folders, and a changed name would re-run finished cells or rebuild caches.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

CONFIG_HASH_LENGTH = 16  # a cell's config_hash in results.jsonl
COMPARISON_KEY_LENGTH = 12  # the comparison a result row belongs to
CACHE_KEY_LENGTH = 20  # the folder of a vectorised data set in the cache


def digest(value: Any, length: int) -> str:
    """The first ``length`` hex digits of the SHA-256 of ``value`` as JSON with sorted keys;
    what JSON cannot hold (a path, an enum) is written as its ``str()``."""
    canonical = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:length]
