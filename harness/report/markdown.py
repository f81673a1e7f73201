"""Text from outside the harness (paths, commands, names, messages) made safe for markdown.

Every such piece of text reaches ``leaderboard.md`` through :func:`escape`, so that a
backtick, a pipe, a new line or a piece of HTML in a data path or an error message reads
as itself and cannot end a code span, split a table cell, start a heading or inject HTML.
"""

from __future__ import annotations

import re

# Characters that start a markdown construct within a line (emphasis, code, links, tables,
# strikethrough) and the backslash that escapes them; ``&``, ``<`` and ``>`` become entities.
_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_BACKTICKS = re.compile(r"`+")


def escape(text: object, *, code: bool = False) -> str:
    """``text`` on one line (runs of white space become one space), as inline markdown that
    renders as exactly that text: in running text or a table cell, or with ``code=True`` as
    a code span (whose fence outgrows any run of backticks in the text; not for table cells,
    where a pipe would end the cell)."""
    value = " ".join(str(text).split())
    if code:
        fence = "`" * (1 + max((len(run) for run in _BACKTICKS.findall(value)), default=0))
        padding = " " if value.startswith("`") or value.endswith("`") or not value else ""
        return f"{fence}{padding}{value}{padding}{fence}"
    value = _PUNCTUATION.sub(r"\\\1", value)
    return "".join(_ENTITIES.get(character, character) for character in value)
