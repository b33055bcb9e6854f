"""Charts of the value report, drawn as SVG on the server: a radar of the axes, the value-risk
quadrant, and bars of the net present value under each overrun.

Each drawing is described in words by its caption and repeated by a table beside it; the SVG
itself carries a title and description for assistive technologies. The cost-review charts reuse
``signed_bars`` for its methods.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

RADAR_SIZE = 320
RADAR_RADIUS = 110
SCALE_MAX = 4
QUADRANT_SIZE = 300
QUADRANT_MARGIN = 40
BARS_WIDTH = 640
BARS_LABEL = 300
BARS_ROW = 28
BARS_HEIGHT = 18


@dataclass(frozen=True)
class RadarAxis:
    label: str
    score: float
    x: float  # end of the axis
    y: float
    label_x: float
    label_y: float
    anchor: str


@dataclass(frozen=True)
class Radar:
    size: int
    center: float
    rings: tuple[str, ...]  # polygon points of each scale ring
    axes: tuple[RadarAxis, ...]
    shape: str  # polygon points of the project


def _point(center: float, radius: float, angle: float) -> tuple[float, float]:
    return (
        round(center + radius * math.sin(angle), 1),
        round(center - radius * math.cos(angle), 1),
    )


def radar(axes: Sequence[tuple[str, float]]) -> Radar:
    center = RADAR_SIZE / 2
    step = 2 * math.pi / len(axes)
    rings = []
    for level in range(1, SCALE_MAX + 1):
        points = [
            _point(center, RADAR_RADIUS * level / SCALE_MAX, index * step)
            for index in range(len(axes))
        ]
        rings.append(" ".join(f"{x},{y}" for x, y in points))
    drawn = []
    shape = []
    for index, (label, score) in enumerate(axes):
        angle = index * step
        x, y = _point(center, RADAR_RADIUS, angle)
        label_x, label_y = _point(center, RADAR_RADIUS + 22, angle)
        sine = math.sin(angle)
        anchor = "middle" if abs(sine) < 0.2 else ("start" if sine > 0 else "end")
        drawn.append(RadarAxis(label, score, x, y, label_x, label_y + 4, anchor))
        shape.append(_point(center, RADAR_RADIUS * score / SCALE_MAX, angle))
    return Radar(
        size=RADAR_SIZE,
        center=center,
        rings=tuple(rings),
        axes=tuple(drawn),
        shape=" ".join(f"{x},{y}" for x, y in shape),
    )


@dataclass(frozen=True)
class Quadrant:
    size: int
    margin: int
    plot: int
    middle: float
    dot_x: float
    dot_y: float


def quadrant(value: float, risk: float) -> Quadrant:
    """Risk (0–4) from left to right, value (0–4) from bottom to top."""
    plot = QUADRANT_SIZE - 2 * QUADRANT_MARGIN
    return Quadrant(
        size=QUADRANT_SIZE,
        margin=QUADRANT_MARGIN,
        plot=plot,
        middle=QUADRANT_MARGIN + plot / 2,
        dot_x=round(QUADRANT_MARGIN + plot * risk / SCALE_MAX, 1),
        dot_y=round(QUADRANT_MARGIN + plot * (1 - value / SCALE_MAX), 1),
    )


@dataclass(frozen=True)
class SignedBar:
    label: str
    value: float
    x: float
    y: int
    width: float
    negative: bool
    text_y: int


@dataclass(frozen=True)
class SignedBars:
    width: int
    height: int
    zero: float
    label_x: int
    bars: tuple[SignedBar, ...]


def signed_bars(items: Sequence[tuple[str, float]]) -> SignedBars:
    """Horizontal bars from a zero line, to the right when positive, to the left when not."""
    span = BARS_WIDTH - BARS_LABEL - 20
    low = min(0.0, *(value for _, value in items))
    high = max(0.0, *(value for _, value in items))
    extent = (high - low) or 1.0
    zero = BARS_LABEL + span * (-low / extent)
    bars = []
    for index, (label, value) in enumerate(items):
        width = span * abs(value) / extent
        y = index * BARS_ROW + (BARS_ROW - BARS_HEIGHT) // 2
        bars.append(
            SignedBar(
                label=label,
                value=value,
                x=round(zero - width if value < 0 else zero, 1),
                y=y,
                width=round(width, 1),
                negative=value < 0,
                text_y=y + BARS_HEIGHT - 5,
            )
        )
    return SignedBars(
        width=BARS_WIDTH,
        height=len(items) * BARS_ROW,
        zero=round(zero, 1),
        label_x=BARS_LABEL - 8,
        bars=tuple(bars),
    )
