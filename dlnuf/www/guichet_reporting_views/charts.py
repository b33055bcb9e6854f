"""Bar charts of the guichet's figures, drawn as SVG on the server (no script needed).

The drawings are hidden from assistive technologies: each chart's caption gives its total and
its highest bar in words, and the table beside it holds every figure.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
BAR_HEIGHT = 22
ROW_HEIGHT = 30
LABEL_WIDTH = 270
VALUE_GAP = 6
VALUE_SPACE = 48
COLUMN_HEIGHT = 160
# Beyond this many columns, only every n-th column is labelled so that labels do not overlap.
LABELLED_COLUMNS = 12
LABEL_SPACE = 40
TOP_SPACE = 18


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: int
    y: int
    width: int
    height: int
    text_x: int  # where the value is written
    text_y: int
    label_x: int
    label_y: int
    show_label: bool = True


@dataclass(frozen=True)
class Chart:
    horizontal: bool
    width: int
    height: int
    baseline: int  # x of the axis (horizontal bars) or y of the axis (columns)
    bars: tuple[Bar, ...]
    total: int
    peak: Bar

    @property
    def ties_at_peak(self) -> bool:
        return sum(1 for bar in self.bars if bar.value == self.peak.value) > 1

    @property
    def peak_labels(self) -> str:
        """The labels of every highest bar, as a French list: « a », « b » et « c »."""
        quoted = [f"« {bar.label} »" for bar in self.bars if bar.value == self.peak.value]
        return " et ".join([", ".join(quoted[:-1]), quoted[-1]]) if len(quoted) > 1 else quoted[0]


def horizontal_chart(items: Sequence[tuple[str, int]]) -> Chart | None:
    """One bar per item, top to bottom, labels on the left; None when every value is zero."""
    top = max((value for _, value in items), default=0)
    if top <= 0:
        return None
    span = WIDTH - LABEL_WIDTH - VALUE_SPACE
    bars = []
    for index, (label, value) in enumerate(items):
        width = round(span * value / top)
        y = index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) // 2
        bars.append(
            Bar(
                label=label,
                value=value,
                x=LABEL_WIDTH,
                y=y,
                width=width,
                height=BAR_HEIGHT,
                text_x=LABEL_WIDTH + width + VALUE_GAP,
                text_y=y + BAR_HEIGHT - 6,
                label_x=LABEL_WIDTH - VALUE_GAP,
                label_y=y + BAR_HEIGHT - 6,
            )
        )
    return _chart(True, WIDTH, len(items) * ROW_HEIGHT, LABEL_WIDTH, bars)


def column_chart(items: Sequence[tuple[str, int]]) -> Chart | None:
    """One column per item, left to right, labels below; None when every value is zero."""
    top = max((value for _, value in items), default=0)
    if top <= 0:
        return None
    slot = WIDTH // max(len(items), 1)
    column = max(slot * 3 // 5, 4)
    baseline = TOP_SPACE + COLUMN_HEIGHT
    step = math.ceil(len(items) / LABELLED_COLUMNS)
    bars = []
    for index, (label, value) in enumerate(items):
        height = round(COLUMN_HEIGHT * value / top)
        x = index * slot + (slot - column) // 2
        bars.append(
            Bar(
                label=label,
                value=value,
                x=x,
                y=baseline - height,
                width=column,
                height=height,
                text_x=x + column // 2,
                text_y=baseline - height - 4,
                label_x=x + column // 2,
                label_y=baseline + 16,
                show_label=index % step == 0,
            )
        )
    return _chart(False, WIDTH, baseline + LABEL_SPACE, baseline, bars)


def _chart(horizontal: bool, width: int, height: int, baseline: int, bars: list[Bar]) -> Chart:
    return Chart(
        horizontal=horizontal,
        width=width,
        height=height,
        baseline=baseline,
        bars=tuple(bars),
        total=sum(bar.value for bar in bars),
        peak=max(bars, key=lambda bar: bar.value),
    )
