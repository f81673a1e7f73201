"""Which text fields a model reads, and the optional clean-up of AG News text.

AG News carries HTML remnants: numeric entities without their ampersand
(`` #39;s`` for ``'s``, ``#36;`` for ``$``), escaped tags (``&lt;b&gt;``) and
backslashes where the source had line breaks or escaped dollars (``\\$``).
:func:`normalize` repairs exactly these; it is on by default and recorded with
every result.
"""

from __future__ import annotations

import html
import re
from enum import Enum


class Fields(str, Enum):
    """The text fields joined (with a space) into the text a model reads."""

    TITLE = "title"
    DESCRIPTION = "description"
    TITLE_AND_DESCRIPTION = "title+description"

    def select(self, title: str, description: str) -> str:
        if self is Fields.TITLE:
            return title
        if self is Fields.DESCRIPTION:
            return description
        return f"{title} {description}".strip()


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
