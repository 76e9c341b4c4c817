"""Bar charts drawn as inline SVG on the server: no JavaScript library, no CDN, and the page
works with scripts off. Labels and values go through ``format_html`` (escaped)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def bar_chart(
    points: Sequence[tuple[str, int]],
    *,
    title: str,
    width: int = 720,
    height: int = 180,
    highlight: Sequence[int] = (),
    label_every: int = 5,
) -> SafeString:
    """One bar per point, scaled to the largest value; every ``label_every``-th label shown
    under the axis, and each bar's exact value in its tooltip (``<title>``).

    ``highlight`` holds indexes drawn in the alert colour (e.g. hours with errors)."""
    pad_left, pad_bottom, pad_top = 32, 22, 10
    plot_w, plot_h = width - pad_left - 4, height - pad_bottom - pad_top
    n = max(len(points), 1)
    top = max((v for _, v in points), default=0) or 1
    slot = plot_w / n
    bar_w = max(slot * 0.75, 1)
    bars = []
    labels = []
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        x = pad_left + i * slot + (slot - bar_w) / 2
        y = pad_top + plot_h - h
        css = "dg-bar dg-bar--alert" if i in highlight else "dg-bar"
        bars.append((css, f"{x:.1f}", f"{y:.1f}", f"{bar_w:.1f}", f"{h:.1f}", f"{label}: {value}"))
        if i % label_every == 0 or i == len(points) - 1:
            labels.append((f"{x + bar_w / 2:.1f}", f"{height - 6}", label))
    axis_y = pad_top + plot_h
    return format_html(
        '<svg class="dg-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        "<title>{}</title>"
        '<line class="dg-axis" x1="{}" y1="{}" x2="{}" y2="{}"/>'
        '<text class="dg-tick" x="2" y="{}">{}</text><text class="dg-tick" x="2" y="{}">0</text>'
        "{}{}</svg>",
        title,
        width,
        height,
        title,
        pad_left,
        axis_y,
        width - 4,
        axis_y,
        pad_top + 8,
        top,
        axis_y,
        format_html_join(
            "",
            '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
            bars,
        ),
        format_html_join("", '<text class="dg-label" x="{}" y="{}" text-anchor="middle">{}</text>', labels),
    )
