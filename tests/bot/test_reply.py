"""Reply helpers shared by the renderers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.kernel.reply import pack_lines


def test_lines_stay_whole_where_they_fit():
    assert pack_lines(["aaa", "bbb", "ccc"], 7) == ["aaa\nbbb", "ccc"]


def test_an_overlong_line_is_split_where_cut_says():
    assert pack_lines(["one two three"], 8, cut=lambda line, size: line.rfind(" ", 0, size)) == ["one two", "three"]
    assert pack_lines(["x" * 10], 4) == ["xxxx", "xxxx", "xx"]


@given(st.lists(st.text(alphabet="ab &;\n", max_size=40), max_size=20), st.integers(min_value=1, max_value=30))
def test_every_chunk_fits_and_no_text_is_lost(lines, size):
    chunks = pack_lines([line.replace("\n", " ") for line in lines], size)
    assert all(len(c) <= size for c in chunks)
    assert "".join("".join(chunks).split()) == "".join("".join(line.replace("\n", " ") for line in lines).split())
