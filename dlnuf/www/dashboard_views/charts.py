"""A bar chart of calls and errors per day, drawn as SVG on the server (no script needed)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from dlnuf.habilitations.selectors import DailyUsage

CHART_HEIGHT = 120
BAR_WIDTH = 14
BAR_GAP = 4


@dataclass(frozen=True)
class Bar:
    day: date
    calls: int
    errors: int
    x: int
    calls_height: int
    errors_height: int

    @property
    def calls_y(self) -> int:
        return CHART_HEIGHT - self.calls_height

    @property
    def errors_y(self) -> int:
        return CHART_HEIGHT - self.errors_height


@dataclass(frozen=True)
class DailyChart:
    bars: list[Bar]
    peak: int
    width: int
    height: int = CHART_HEIGHT

    @property
    def total_calls(self) -> int:
        return sum(bar.calls for bar in self.bars)

    @property
    def total_errors(self) -> int:
        return sum(bar.errors for bar in self.bars)


def daily_chart(usage: Iterable[DailyUsage], *, last_day: date, days: int) -> DailyChart:
    """One bar per day (every dataset together), days without calls included."""
    calls: dict[date, int] = {}
    errors: dict[date, int] = {}
    for row in usage:
        calls[row.day] = calls.get(row.day, 0) + row.calls
        errors[row.day] = errors.get(row.day, 0) + row.errors
    span = [last_day - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    peak = max(calls.get(day, 0) for day in span)
    scale = max(peak, 1)
    bars = [
        Bar(
            day=day,
            calls=calls.get(day, 0),
            errors=errors.get(day, 0),
            x=index * (BAR_WIDTH + BAR_GAP),
            calls_height=round(calls.get(day, 0) / scale * CHART_HEIGHT),
            errors_height=round(errors.get(day, 0) / scale * CHART_HEIGHT),
        )
        for index, day in enumerate(span)
    ]
    return DailyChart(bars=bars, peak=peak, width=days * (BAR_WIDTH + BAR_GAP))
