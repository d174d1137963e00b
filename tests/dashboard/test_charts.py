"""The SVG charts: accessible names, escaped labels, bars in proportion."""

from __future__ import annotations

import re

from bot.dashboard.charts import Series, bar_chart


def test_a_chart_has_a_title_a_description_and_escaped_text():
    svg = str(
        bar_chart(
            title="Questions <per> day",
            description="Answered & not",
            labels=["2026-03-01", "2026-03-02"],
            series=[Series("answered", [3, 1], "#1a7f37"), Series("<b>not</b>", [1, 0], "#cf222e")],
        )
    )
    assert 'role="img"' in svg and re.search(r'aria-labelledby="t(\w+) d\1"', svg)
    assert "<title id=" in svg and "Questions &lt;per&gt; day" in svg and "Answered &amp; not" in svg
    assert "<b>" not in svg and "&lt;b&gt;not&lt;/b&gt;" in svg
    assert "style=" not in svg  # the page's CSP allows no inline styles


def test_bars_are_in_proportion_to_a_round_scale():
    svg = str(bar_chart(title="t", description="d", labels=["a", "b"], series=[Series("n", [2, 1], "#000")]))
    heights = [float(h) for h in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"', svg)]
    assert len(heights) == 3  # two bars and the legend's swatch
    assert abs(heights[0] - 2 * heights[1]) < 0.2
    assert ">2</text>" in svg  # the axis tops out at 2, not 10
    empty = str(bar_chart(title="t", description="d", labels=["a"], series=[Series("n", [0], "#000")]))
    assert empty.count("<rect") == 1  # only the legend: no zero-height bar
