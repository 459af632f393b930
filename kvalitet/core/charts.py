"""Charts rendered on the server as SVG, so the same picture can be shown on a page and put
into the yearly report. Accessible: a <title> and <desc>, and the numbers as text labels."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ["#1d3d5c", "#8fb3d9", "#d9822b", "#4a8f5c", "#a23b72", "#6c757d"]


def bar_chart_svg(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    title: str,
    *,
    width: int = 640,
    bar_height: int = 16,
) -> str:
    """Horizontal grouped bar chart: one group per category, one bar per series
    (e.g. this year and last year)."""
    label_width = 210
    gap = 10
    n_series = max(1, len(series))
    group_height = n_series * bar_height + gap
    legend_height = 24
    top = 34 + legend_height
    height = top + max(1, len(categories)) * group_height + 10
    maximum = max([v for _, values in series for v in values] + [1])
    plot_width = width - label_width - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="t d" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
        f'<title id="t">{escape(title)}</title>',
        '<desc id="d">'
        + escape(
            "; ".join(
                f"{cat}: "
                + ", ".join(
                    f"{name} {_fmt(values[i])}" for name, values in series if i < len(values)
                )
                for i, cat in enumerate(categories)
            )
        )
        + "</desc>",
        '<text x="0" y="18" font-size="15" font-weight="bold" fill="#212529">'
        + escape(title)
        + "</text>",
    ]
    x = 0
    for index, (name, _) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="30" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 16}" y="41" fill="#212529">{escape(name)}</text>')
        x += 30 + 8 * len(name)
    for row, category in enumerate(categories):
        y = top + row * group_height
        parts.append(
            f'<text x="{label_width - 8}" y="{y + n_series * bar_height / 2 + 4}" '
            f'text-anchor="end" fill="#212529">{escape(_truncate(category, 30))}</text>'
        )
        for index, (_, values) in enumerate(series):
            value = values[row] if row < len(values) else 0
            bar = 0 if maximum == 0 else plot_width * value / maximum
            by = y + index * bar_height
            color = PALETTE[index % len(PALETTE)]
            parts.append(
                f'<rect x="{label_width}" y="{by}" width="{bar:.1f}" '
                f'height="{bar_height - 2}" fill="{color}"/>'
            )
            parts.append(
                f'<text x="{label_width + bar + 4:.1f}" y="{by + bar_height - 5}" '
                f'fill="#212529">{_fmt(value)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}".replace(".", ",")


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
