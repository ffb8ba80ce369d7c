"""Charts drawn on the server as inline SVG: no script, no library, no CDN.

Shapes carry CSS classes (styled in static/css/reviewer.css) and presentation attributes
only — no ``style`` attributes, which the CSP forbids. Every chart has a ``<title>`` and
the page shows the same figures in a table next to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

BAR_H = 22
GAP = 8
LABEL_W = 190
VALUE_W = 150
PAD = 6


def _fmt_int(value: float) -> str:
    return f"{value:,.0f}"


def hbar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    chart_id: str,
    width: int = 680,
    fmt: Callable[[float], str] = _fmt_int,
) -> Markup:
    """Horizontal bars, one per (label, value), scaled to the largest value."""
    chart_id = str(escape(chart_id))
    if not items:
        return Markup("")
    bar_w = width - LABEL_W - VALUE_W - 2 * PAD
    top = max((v for _l, v in items), default=0) or 1
    height = PAD * 2 + len(items) * (BAR_H + GAP)
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for i, (label, value) in enumerate(items):
        y = PAD + i * (BAR_H + GAP)
        w = max(0, round(bar_w * float(value) / float(top)))
        out.append(
            f'<text class="chart-label" x="{LABEL_W - 8}" y="{y + BAR_H - 6}" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect class="chart-bar" x="{LABEL_W}" y="{y}" width="{w}" height="{BAR_H}" rx="3"/>'
            f'<text class="chart-value" x="{LABEL_W + w + 6}" y="{y + BAR_H - 6}">'
            f"{escape(fmt(float(value)))}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text above went through escape()


def progress_chart(
    items: Sequence[tuple[str, float | None, float, str]],
    *,
    title: str,
    chart_id: str,
    missing: str,
    width: int = 680,
) -> Markup:
    """One track per target: (label, actual or None, target, text after the bar)."""
    chart_id = str(escape(chart_id))
    if not items:
        return Markup("")
    bar_w = width - LABEL_W - VALUE_W - 2 * PAD
    height = PAD * 2 + len(items) * (BAR_H + GAP)
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for i, (label, actual, target, text) in enumerate(items):
        y = PAD + i * (BAR_H + GAP)
        out.append(
            f'<text class="chart-label" x="{LABEL_W - 8}" y="{y + BAR_H - 6}" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect class="chart-track" x="{LABEL_W}" y="{y}" width="{bar_w}" '
            f'height="{BAR_H}" rx="3"/>'
        )
        if actual is None:
            out.append(
                f'<text class="chart-missing" x="{LABEL_W + 8}" y="{y + BAR_H - 6}">'
                f"{escape(missing)}</text>"
            )
        else:
            share = min(1.0, float(actual) / float(target)) if target else 0.0
            w = round(bar_w * share)
            out.append(
                f'<rect class="chart-bar" x="{LABEL_W}" y="{y}" width="{w}" height="{BAR_H}" '
                'rx="3"/>'
            )
        out.append(
            f'<text class="chart-value" x="{LABEL_W + bar_w + 6}" y="{y + BAR_H - 6}">'
            f"{escape(text)}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text above went through escape()
