"""The review's two charts as PNG images for the summary email (matplotlib, Agg backend).

matplotlib is optional (``pip install arbook[charts]``) and imported only here, only when a
summary is built: without it the email goes out without images and says where the charts are
(the Review sheet has them as real Excel charts).
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(4.6, 2.8), dpi=100)


def _png(fig) -> bytes:
    out = io.BytesIO()
    fig.tight_layout()
    fig.savefig(out, format="png")
    return out.getvalue()


def ageing_png(buckets: list[tuple[str, Decimal]], title: str) -> bytes:
    """A bar per ageing bucket (amounts in the home currency)."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.bar([label for label, _ in buckets], [float(v) for _, v in buckets], color="#1f4e79")
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    ax.tick_params(axis="y", labelsize=7)
    return _png(fig)


def trend_png(points: list[tuple[date, Decimal | None, Decimal | None]], title: str,
              labels: tuple[str, str]) -> bytes:
    """DSO and overdue share over the review history (gaps where a figure was missing)."""
    fig = _figure()
    ax = fig.add_subplot()
    days = [p[0] for p in points]
    for i, (label, colour) in enumerate(zip(labels, ("#1f4e79", "#c55a11"), strict=True)):
        ax.plot(days, [float("nan") if p[i + 1] is None else float(p[i + 1]) for p in points],
                marker="o", label=label, color=colour)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    fig.autofmt_xdate()
    return _png(fig)
