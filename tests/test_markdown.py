"""Text from outside (paths, commands, names, messages) reaches markdown as that text only,
checked with a CommonMark parser: no HTML, no heading, no broken table or code span."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from harness.report.markdown import escape

PARSER = MarkdownIt("commonmark").enable("table")
HOSTILE = [
    "a|b",
    "`code`",
    "a ``` b",
    "line\nbreak\n# heading",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "AT&T &amp; &copy;",
    "back\\slash \\| \\`",
    "*bold* _em_ [link](http://x) ![img](x) ~~strike~~",
    "`",
    "trailing `",
    "| --- |",
]


def table_cell(text: str) -> list:
    """The inline tokens of ``text`` as the one cell of a table's only body row."""
    tokens = PARSER.parse(f"| head |\n| --- |\n| {text} |\n")
    inline = [t for t in tokens if t.type == "inline"]
    assert len(inline) == 2, "the row split into more cells, or the table broke"
    return inline[1].children


def list_item(text: str) -> list:
    """The inline tokens of ``text`` after a bold label in a list item, as in a header."""
    tokens = PARSER.parse(f"- **Data:** {text}\n- **Next:** x\n")
    assert [t.type for t in tokens].count("list_item_open") == 2
    children = next(t for t in tokens if t.type == "inline").children
    after_label = [t.type for t in children].index("strong_close") + 1
    return [t for t in children[after_label:] if (t.type, t.content) != ("text", " ")]


def collapsed(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_text_in_a_table_cell_reads_back_as_itself(text):
    children = table_cell(escape(text))
    assert {child.type for child in children} <= {"text"}
    assert "".join(child.content for child in children) == collapsed(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_text_in_a_code_span_reads_back_as_itself(text):
    (code,) = list_item(escape(text, code=True))
    assert code.type == "code_inline"
    assert code.content == collapsed(text)


def test_hostile_html_never_renders():
    for text in HOSTILE:
        html = PARSER.render(f"| h |\n| - |\n| {escape(text)} |\n\n- {escape(text, code=True)}\n")
        assert "<img" not in html and "<script" not in html and "<h1" not in html


def test_ordinary_text_is_left_as_it_is():
    assert escape("bag-of-embeddings") == "bag-of-embeddings"
    assert escape("units=64, depth=2") == "units=64, depth=2"
    assert escape("../shared/data/ag_news_sample", code=True) == "`../shared/data/ag_news_sample`"


# CommonMark reads NUL as U+FFFD, by design; every other character must read back.
printable = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


@given(printable)
def test_any_text_in_a_table_cell_reads_back_as_itself(text):
    children = table_cell(escape(text))
    assert {child.type for child in children} <= {"text"}
    assert "".join(child.content for child in children) == collapsed(text)


@given(printable.filter(lambda text: text.strip()))
def test_any_text_in_a_code_span_reads_back_as_itself(text):
    (code,) = list_item(escape(text, code=True))
    assert code.type == "code_inline"
    assert code.content == collapsed(text)
