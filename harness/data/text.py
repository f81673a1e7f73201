"""The text a model reads: the chosen fields of a row joined (:func:`join_fields`), and the
optional clean-up of AG News text applied before vectorisation (:func:`normalize`).

AG News carries HTML remnants: numeric entities without their ampersand
(`` #39;s`` for ``'s``, ``#36;`` for ``$``), escaped tags (``&lt;b&gt;``) and
backslashes where the source had line breaks or escaped dollars (``\\$``).
:func:`normalize` repairs exactly these; it is on by default and recorded with
every result.
"""

from __future__ import annotations

import html
import re

TEXT_SEPARATOR = " "  # between the chosen text fields of one row
_BARE_ENTITY = re.compile(r" ?(?<!&)#(\d+);")
_TAG = re.compile(r"<[^<>]{0,200}>")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Repair AG News's HTML remnants and backslashes, then collapse white space.

    >>> normalize("Haiti #39;s straits &lt;b&gt;now&lt;/b&gt; US\\\\$5 strong\\\\dollar")
    "Haiti's straits now US$5 strong dollar"
    """
    text = _BARE_ENTITY.sub(r"&#\1;", text)
    text = html.unescape(html.unescape(text))  # AG News sometimes escapes twice: &amp;lt;
    text = _TAG.sub(" ", text)
    text = text.replace("\\$", "$").replace("\\", " ")
    return _SPACES.sub(" ", text).strip()


def join_fields(values: list[str]) -> str:
    """The text a model reads from the chosen fields of one row."""
    return TEXT_SEPARATOR.join(values).strip()
