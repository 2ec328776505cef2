"""Small server-rendered SVG charts: nothing is loaded from the internet, and they print well."""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, MARGIN = 640, 220, 36


def bar_chart(labels: Sequence[str], values: Sequence[float | None], *, title: str, percent: bool = True) -> str:
    """A bar per label; None is drawn as a gap (no data that month), not as zero."""
    if not labels:
        return f'<p class="muted">{escape(title)}：データがありません。</p>'
    top = 1.0 if percent else max([v for v in values if v is not None] or [1.0])
    slot = (WIDTH - 2 * MARGIN) / len(labels)
    bars = []
    for index, (label, value) in enumerate(zip(labels, values)):
        x = MARGIN + index * slot + slot * 0.15
        if value is not None:
            height = (HEIGHT - 2 * MARGIN) * (value / top if top else 0)
            shown = f"{value * 100:.1f}%" if percent else f"{value:,.0f}"
            bars.append(f'<rect x="{x:.1f}" y="{HEIGHT - MARGIN - height:.1f}" width="{slot * 0.7:.1f}" '
                        f'height="{height:.1f}" class="bar"><title>{escape(label)}: {shown}</title></rect>'
                        f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - MARGIN - height - 4:.1f}" '
                        f'class="value">{shown}</text>')
        bars.append(f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - MARGIN + 16:.1f}" class="label">'
                    f'{escape(label)}</text>')
    return (f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" class="chart">'
            f'<text x="{MARGIN}" y="20" class="title">{escape(title)}</text>'
            f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" y2="{HEIGHT - MARGIN}" class="axis"/>'
            + "".join(bars) + "</svg>")
