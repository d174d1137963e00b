"""SVG bar charts drawn on the server: a title and a description for screen readers, no script, no library.

A page puts the same numbers in a table beside each chart, so the chart is a picture of
the table, never the only copy. Bars are stacked when there are two series. Colours have
at least 3:1 contrast against white and are told apart by the legend's text as well.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Series", "bar_chart"]

WIDTH, HEIGHT = 640, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 10, 30, 40


@dataclass(frozen=True, slots=True)
class Series:
    """One stacked series: its name (shown in the legend) and colour, one value per label."""

    name: str
    values: Sequence[int]
    colour: str


def _nice_max(value: int) -> int:
    for scale in (1, 10, 100, 1000, 10000, 100000):
        for step in (1, 2, 5):
            if step * scale >= value:
                return max(1, step * scale)
    return value


def bar_chart(*, title: str, description: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """An accessible SVG bar chart (``role="img"``, ``<title>``, ``<desc>``)."""
    uid = secrets.token_hex(4)
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    slot = plot_w / max(1, len(labels))
    bar = max(2.0, slot * 0.7)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="chart" '
        f'aria-labelledby="t{uid} d{uid}"><title id="t{uid}">{escape(title)}</title>'
        f'<desc id="d{uid}">{escape(description)}</desc>'
    ]
    for tick in (0, top // 2, top):
        y = _TOP + plot_h - plot_h * tick / top
        parts.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de" stroke-width="1"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#24292f">{tick}</text>'
        )
    every = max(1, len(labels) // 6)
    for i, label in enumerate(labels):
        x = _LEFT + slot * i + (slot - bar) / 2
        base = float(_TOP + plot_h)
        for s in series:
            v = s.values[i]
            if v <= 0:
                continue
            h = plot_h * v / top
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{s.colour}">'
                f"<title>{escape(label)}: {v} {escape(s.name)}</title></rect>"
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - _BOTTOM + 16}" text-anchor="middle" font-size="11" '
                f'fill="#24292f">{escape(label[5:] if len(label) == 10 else label)}</text>'
            )
    x = _LEFT
    for s in series:
        parts.append(
            f'<rect x="{x}" y="8" width="12" height="12" fill="{s.colour}"/>'
            f'<text x="{x + 16}" y="18" font-size="12" fill="#24292f">{escape(s.name)}</text>'
        )
        x += 24 + 8 * len(s.name)
    parts.append("</svg>")
    return Markup("".join(parts))
