"""The reports' charts as data for server-drawn SVG (``templates/reports/_chart.html``): bars, cells, ticks
and the table behind each chart (what screen readers and the CSV read). No chart script reaches the browser.

Geometry is in SVG user units; the chart's own ``width`` is its natural size, and the page lets it scroll
sideways inside its frame on a narrow screen rather than squeezing 90 bars into 375 pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PLOT_HEIGHT = 160
LEFT, TOP, BOTTOM = 44, 12, 28


@dataclass
class Shape:
    x: float
    y: float
    w: float
    h: float
    css: str
    label: str  # the shape's own <title> (a tooltip; the table says the same to screen readers)
    opacity: float = 1.0

    def __post_init__(self) -> None:  # short numbers in the SVG, rounded once here (not by template filters)
        self.x, self.y, self.w, self.h, self.opacity = (
            round(self.x, 1),
            round(self.y, 1),
            round(self.w, 1),
            round(self.h, 1),
            round(self.opacity, 2),
        )


@dataclass
class Text:
    x: float
    y: float
    text: str

    def __post_init__(self) -> None:
        self.x, self.y = round(self.x, 1), round(self.y, 1)


@dataclass
class Chart:
    slug: str
    title: str
    description: str
    width: float
    height: float
    shapes: list[Shape]
    labels: list[Text]
    ticks: list[Text]
    gridlines: list[float]
    legend: list[tuple[str, str]]  # (css class, name)
    headers: list[str]
    rows: list[list[object]]
    csv_query: str = ""

    def __post_init__(self) -> None:
        self.width, self.height = round(self.width), round(self.height)
        self.gridlines = [round(y, 1) for y in self.gridlines]

    def svg_body(self) -> SafeString:
        """The drawing's elements, every text escaped: built here in one pass (thousands of shapes through
        template tags cost more than the figures' queries)."""
        parts = [f'<line class="grid" x1="{LEFT}" x2="{self.width}" y1="{y}" y2="{y}"/>' for y in self.gridlines]
        parts += [
            f'<text class="tick" x="{t.x}" y="{t.y}" text-anchor="end">{escape(t.text)}</text>' for t in self.ticks
        ]
        parts += [
            f'<text class="label" x="{t.x}" y="{t.y}" text-anchor="middle">{escape(t.text)}</text>' for t in self.labels
        ]
        for r in self.shapes:
            opacity = f' fill-opacity="{r.opacity}"' if r.css == "heat" else ""
            parts.append(
                f'<rect class="{escape(r.css)}" x="{r.x}" y="{r.y}" width="{r.w}" height="{r.h}"{opacity}>'
                f"<title>{escape(r.label)}</title></rect>"
            )
        return mark_safe("".join(parts))  # noqa: S308 (numbers, and texts escaped above)


def _nice_max(value: int) -> int:
    if value <= 4:
        return 4
    step = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * step:
            return int(factor * step)
    return value


def bar_chart(
    *, slug: str, title: str, description: str, days: list[date], series: list[tuple[str, str, list[int]]]
) -> Chart:
    """Grouped bars: one group per day, one bar per series (name, css class, values)."""
    group = max(6, 6 * len(series) + 4)
    width = LEFT + len(days) * group + 8
    top = _nice_max(max((v for _, _, values in series for v in values), default=0))
    scale = PLOT_HEIGHT / top
    shapes, labels = [], []
    bar = (group - 4) / len(series)
    every = max(1, len(days) // 10, -(-44 // group))  # labels at least 44 units apart
    for i, day in enumerate(days):
        x0 = LEFT + i * group + 2
        for j, (name, css, values) in enumerate(series):
            h = values[i] * scale
            shapes.append(
                Shape(x0 + j * bar, TOP + PLOT_HEIGHT - h, max(bar - 1, 1), h, css, f"{day:%b %-d}: {values[i]} {name}")
            )
        if i % every == 0:
            labels.append(Text(x0 + (group - 4) / 2, TOP + PLOT_HEIGHT + 16, f"{day:%b %-d}"))
    ticks = [Text(LEFT - 6, TOP + PLOT_HEIGHT - v * scale + 4, str(v)) for v in (0, top // 2, top)]
    gridlines = [TOP + PLOT_HEIGHT - v * scale for v in (0, top // 2, top)]
    rows = [[day.isoformat(), *(values[i] for _, _, values in series)] for i, day in enumerate(days)]
    return Chart(
        slug, title, description, width, TOP + PLOT_HEIGHT + BOTTOM, shapes, labels, ticks, gridlines,
        [(css, name) for name, css, _ in series], ["Day", *(name.capitalize() for name, _, _ in series)], rows,
    )  # fmt: skip


def heat_chart(*, slug: str, title: str, description: str, grid: list[list[int]]) -> Chart:
    """Seven rows (Monday first) of 24 hours; a cell's darkness is its share of the busiest hour."""
    cell, left, top = 22, 40, 20
    peak = max((v for row in grid for v in row), default=0) or 1
    shapes = [
        Shape(left + h * cell, top + d * cell, cell - 2, cell - 2, "heat", f"{WEEKDAYS[d]} {h:02d}:00: {v}",
              0.08 + 0.92 * v / peak if v else 0.0)
        for d, row in enumerate(grid) for h, v in enumerate(row)
    ]  # fmt: skip
    labels = [Text(left + h * cell + cell / 2 - 1, top - 6, f"{h:02d}") for h in range(0, 24, 3)]
    ticks = [Text(left - 6, top + d * cell + 15, name) for d, name in enumerate(WEEKDAYS)]
    rows = [[f"{h:02d}:00", *(grid[d][h] for d in range(7))] for h in range(24)]  # narrow: fits a phone
    return Chart(
        slug, title, description, left + 24 * cell + 4, top + 7 * cell + 4, shapes, labels, ticks, [],
        [], ["Hour", *WEEKDAYS], rows,
    )  # fmt: skip
