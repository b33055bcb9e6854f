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
# Room on each side for the labels of the left and right axes ("Maîtrise des risques" is about
# 110 units wide at this font size); without it they are cut at the edge of the drawing.
RADAR_LABEL_ROOM = 120
SCALE_MAX = 4
QUADRANT_SIZE = 300
QUADRANT_MARGIN = 40
QUADRANT_DOT_RADIUS = 8
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
    width: int
    height: int
    view_box: str
    center: float
    rings: tuple[str, ...]  # polygon points of each scale ring
    axes: tuple[RadarAxis, ...]
    shape: str  # polygon points of the project


def svg_points(points: Sequence[tuple[float, float]]) -> str:
    """Points of a polygon, written with a decimal point whatever the language of the page."""
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


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
        rings.append(svg_points(points))
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
        width=RADAR_SIZE + 2 * RADAR_LABEL_ROOM,
        height=RADAR_SIZE,
        view_box=f"{-RADAR_LABEL_ROOM} 0 {RADAR_SIZE + 2 * RADAR_LABEL_ROOM} {RADAR_SIZE}",
        center=center,
        rings=tuple(rings),
        axes=tuple(drawn),
        shape=svg_points(shape),
    )


@dataclass(frozen=True)
class Quadrant:
    size: int
    margin: int
    plot: int
    middle: float
    far_edge: int
    left_text_x: int
    right_text_x: float
    top_text_y: int
    bottom_text_y: int
    axis_title_y: int
    value_title_x: int
    value_title_transform: str
    dot_x: float
    dot_y: float
    dot_radius: int


def _on_scale(score: float) -> float:
    # Scores are 0–4 by construction; a stray value must not put the dot outside the box.
    return max(0.0, min(float(SCALE_MAX), score))


def quadrant(value: float, risk: float) -> Quadrant:
    """Risk (0–4) from left to right, value (0–4) from bottom to top."""
    plot = QUADRANT_SIZE - 2 * QUADRANT_MARGIN
    middle = QUADRANT_MARGIN + plot / 2
    value_title_x = 12
    return Quadrant(
        size=QUADRANT_SIZE,
        margin=QUADRANT_MARGIN,
        plot=plot,
        middle=middle,
        far_edge=QUADRANT_MARGIN + plot,
        left_text_x=QUADRANT_MARGIN + 6,
        right_text_x=middle + 6,
        top_text_y=QUADRANT_MARGIN + 16,
        bottom_text_y=QUADRANT_SIZE - 48,
        axis_title_y=QUADRANT_SIZE - 12,
        value_title_x=value_title_x,
        value_title_transform=f"rotate(-90 {value_title_x} {middle:.1f})",
        dot_x=round(QUADRANT_MARGIN + plot * _on_scale(risk) / SCALE_MAX, 1),
        dot_y=round(QUADRANT_MARGIN + plot * (1 - _on_scale(value) / SCALE_MAX), 1),
        dot_radius=QUADRANT_DOT_RADIUS,
    )


@dataclass(frozen=True)
class SignedBar:
    label: str
    value: float
    x: float
    y: int
    width: float
    height: int
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
                height=BARS_HEIGHT,
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
