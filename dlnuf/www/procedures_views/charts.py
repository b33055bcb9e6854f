"""The score history as a small bar chart drawn in SVG by the server (no script).

The chart is decorative for assistive technologies: the same figures are in the history table
next to it, which the chart's description points to.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.timezone import localtime

from dlnuf.procedures.models import Diagnostic
from dlnuf.procedures.scoring import PARTIAL_FROM, WEAK_FROM

WIDTH = 640
HEIGHT = 220
MARGIN_LEFT = 40
MARGIN_BOTTOM = 44
MARGIN_TOP = 16
MAX_BARS = 12


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    value: int
    level: str
    label: str  # day
    time: str
    label_x: int


@dataclass(frozen=True)
class Guide:
    y: int
    value: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: int
    left: int
    bars: tuple[Bar, ...]
    guides: tuple[Guide, ...]


def score_chart(history: Sequence[Diagnostic]) -> Chart | None:
    """Bars of the items still asked that could be pre-filled, oldest diagnostic first."""
    shown = list(history)[-MAX_BARS:]
    if len(shown) < 2:
        return None
    top = max(WEAK_FROM + 1, *(diagnostic.replaceable_count for diagnostic in shown))
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    baseline = HEIGHT - MARGIN_BOTTOM
    slot = (WIDTH - MARGIN_LEFT) // MAX_BARS
    bar_width = slot * 3 // 5

    def y_of(value: int) -> int:
        return baseline - round(plot_height * value / top)

    bars = []
    for index, diagnostic in enumerate(shown):
        value = diagnostic.replaceable_count
        x = MARGIN_LEFT + index * slot + (slot - bar_width) // 2
        bars.append(
            Bar(
                x=x,
                y=y_of(value),
                width=bar_width,
                height=baseline - y_of(value),
                value=value,
                level=diagnostic.level,
                label=f"{localtime(diagnostic.run_at):%d/%m}",
                time=f"{localtime(diagnostic.run_at):%H:%M}",
                label_x=x + bar_width // 2,
            )
        )
    guides = tuple(Guide(y_of(value), value) for value in (PARTIAL_FROM, WEAK_FROM))
    return Chart(WIDTH, HEIGHT, baseline, MARGIN_LEFT, tuple(bars), guides)
