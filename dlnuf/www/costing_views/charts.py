"""Charts of the cost review, drawn as SVG on the server: the distribution of outcomes with the
team's estimate marked, and the P50 and P80 of each method beside the estimate. Every figure is
also in a table next to the chart."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WIDTH = 640
PLOT_HEIGHT = 160
TOP = 20
LABEL_WIDTH = 260
ROW = 40
BAR_HEIGHT = 14
BAR_GAP = 2
# The estimate's line stays this far inside the drawing when the estimate lies beyond the
# simulated range, so that it shows at the edge rather than vanishing.
MARKER_INSET = 1


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Histogram:
    width: int
    height: int
    baseline: int
    label_y: int
    high_label_x: int
    columns: tuple[Column, ...]
    marker_x: float
    low: float
    high: float


def histogram(data: Mapping[str, Any], marker: float) -> Histogram:
    counts: Sequence[int] = data["counts"]
    edges: Sequence[float] = data["edges"]
    low, high = edges[0], edges[-1]
    slot = WIDTH / len(counts)
    top = max(counts) or 1
    baseline = TOP + PLOT_HEIGHT
    columns = []
    for index, count in enumerate(counts):
        height = PLOT_HEIGHT * count / top
        columns.append(
            Column(
                x=round(index * slot, 1),
                y=round(baseline - height, 1),
                width=round(slot - 1, 1),
                height=round(height, 1),
            )
        )
    span = (high - low) or 1.0
    marker_x = WIDTH * (marker - low) / span
    return Histogram(
        width=WIDTH,
        height=baseline + 30,
        baseline=baseline,
        label_y=baseline + 18,
        high_label_x=WIDTH - 2,
        columns=tuple(columns),
        marker_x=round(max(MARKER_INSET, min(WIDTH - MARKER_INSET, marker_x)), 1),
        low=low,
        high=high,
    )


@dataclass(frozen=True)
class MethodBar:
    label: str
    y: int
    p80_y: int
    p50_width: float
    p80_width: float
    text_y: int


@dataclass(frozen=True)
class MethodBars:
    width: int
    height: int
    left: int
    label_x: int
    bar_height: int
    estimate_x: float
    bars: tuple[MethodBar, ...]


def method_bars(methods: Sequence[Mapping[str, Any]], estimate: float) -> MethodBars:
    """Two bars per method (P50 above, P80 below), on one scale with the estimate's line."""
    span = WIDTH - LABEL_WIDTH - 10
    top = max([estimate, *(method["cost_p80"] for method in methods)]) or 1.0
    bars = [
        MethodBar(
            label=method["label"],
            y=index * ROW + 4,
            p80_y=index * ROW + 4 + BAR_HEIGHT + BAR_GAP,
            p50_width=round(span * method["cost_p50"] / top, 1),
            p80_width=round(span * method["cost_p80"] / top, 1),
            text_y=index * ROW + 22,
        )
        for index, method in enumerate(methods)
    ]
    return MethodBars(
        width=WIDTH,
        height=len(methods) * ROW + 4,
        left=LABEL_WIDTH,
        label_x=LABEL_WIDTH - 8,
        bar_height=BAR_HEIGHT,
        estimate_x=round(LABEL_WIDTH + span * estimate / top, 1),
        bars=tuple(bars),
    )
