"""Small self-contained SVG charts, drawn in Python: no JavaScript, no network, no matplotlib.

Each function returns one `<svg>` string that works inline in an HTML page, as a file, or
as a markdown image through `svg_data_uri` (Dagster shows those in materialization
metadata). What a chart drew is marked so a test can tell a drawn chart from an empty one:
every run of connected points is a `<polyline class="series">`, every lone or scatter point
a `<circle class="point">`, and the root carries `data-points="N"`, the non-null points drawn.

    svg = line_chart("10-year yield", {"UST 10y": [(date(2026, 11, 19), 3.81), ...]},
                     y_label="percent")
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

Point = tuple[date, float | None]
XY = tuple[float | None, float | None]

PALETTE = (
    "#1f5fa8",
    "#d1492e",
    "#2e8b57",
    "#e08a00",
    "#7b4fb0",
    "#8c564b",
    "#c2457a",
    "#1a9aa8",
    "#5f6b7a",
    "#9a9a1f",
    "#3d7fd9",
    "#e0664f",
    "#58b07a",
    "#b8860b",
    "#a07ad6",
    "#4a4a4a",
)
FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
FONT_SIZE = 11
TITLE_SIZE = 13
CHAR_WIDTH = 0.6 * FONT_SIZE  # a rough width of one character, for layout only
BOLD_WIDTH = 1.15  # how much wider the bold point labels are
TEXT = "#222"
MUTED = "#666"
GRID = "#e6e6e6"
AXIS = "#999"
QUADRANT_TINTS = ("#e7f4ea", "#fdf5df", "#fbe7e4", "#e6eefb")  # TR, BR, BL, TL


def svg_data_uri(svg: str) -> str:
    """The SVG as a `data:image/svg+xml;base64,...` URI, for a markdown or HTML image."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _defined(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _num(value: float) -> str:
    return f"{value:.1f}"


def _text(x: float, y: float, content: str, **attributes: str | float) -> str:
    extra = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(str(v))}"'
        for name, v in attributes.items()
    )
    return f'<text x="{_num(x)}" y="{_num(y)}"{extra}>{escape(content)}</text>'


def _axis_label(content: str, x: float, middle: float, degrees: int) -> str:
    """A value axis's title, turned to run along the axis, centred on `middle`."""
    return _text(
        x,
        middle,
        content,
        text_anchor="middle",
        fill=MUTED,
        transform=f"rotate({degrees} {_num(x)} {_num(middle)})",
    )


def _text_width(content: str, size: float = FONT_SIZE) -> float:
    """A generous estimate of a text's rendered width: capitals and digits are wider than
    the average character (`MDY` is about 24 px at 11 px, not 20)."""
    wide = sum(1 for character in content if character.isupper() or character.isdigit())
    return (len(content) * 0.6 + wide * 0.14) * size


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering [low, high] (steps of 1, 2, 2.5 or 5 x 10^k);
    the first and last ticks enclose both ends."""
    if low > high:
        low, high = high, low
    if low == high:
        pad = abs(low) * 0.05 or 1.0
        low, high = low - pad, high + pad
    raw_step = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step * 0.999)
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    return [first + i * step for i in range(round((last - first) / step) + 1)]


def format_tick(value: float, step: float) -> str:
    """A tick value with as many decimals as its step needs, thousands separated."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0
    if step > 0 and round(step / 10**-decimals, 6) % 1:
        decimals += 1  # a step of 2.5 or 0.25 needs one more
    text = f"{value:,.{decimals}f}"
    return "0" if text.lstrip("-").strip("0.,") == "" else text


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def date_ticks(first: date, last: date, max_ticks: int = 6) -> list[tuple[date, str]]:
    """Round dates between `first` and `last` with their labels: days, weeks, month starts
    or years, the finest that gives at most `max_ticks`."""
    span = (last - first).days
    max_ticks = max(max_ticks, 2)
    for days in (1, 2, 7, 14):
        if span / days < max_ticks:
            start = first if days < 7 else first + timedelta(days=(7 - first.weekday()) % 7)
            ticks = [start + timedelta(days=days * i) for i in range(span // days + 1)]
            return [(t, f"{t.day} {t:%b}") for t in ticks if t <= last]
    for months in (1, 2, 3, 6, 12, 24, 60):
        if span / (30.44 * months) < max_ticks:
            break
    tick = _add_months(first, 0 if first.day == 1 else 1)
    while (tick.month - 1) % months:
        tick = _add_months(tick, 1)
    ticks = []
    while tick <= last:
        ticks.append((tick, str(tick.year) if months >= 12 else f"{tick:%b} '{tick:%y}"))
        tick = _add_months(tick, months)
    return ticks


@dataclass(frozen=True)
class _Scale:
    """A linear map from a data domain onto a pixel range."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        if self.high == self.low:
            return (self.start + self.end) / 2
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)


def _legend(
    entries: Sequence[tuple[str, str, bool]], left: float, top: float, width: float
) -> tuple[list[str], float]:
    """Legend items (label, colour, dashed) laid out in rows from (left, top); the SVG
    elements and the height used."""
    parts = ['<g class="legend">']
    x, y, row_height = left, top, FONT_SIZE + 6
    for label, colour, dashed in entries:
        item_width = 22 + _text_width(label) + 14
        if x > left and x + item_width > left + width:
            x, y = left, y + row_height
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        parts.append(
            f'<line x1="{_num(x)}" y1="{_num(y - 4)}" x2="{_num(x + 16)}" y2="{_num(y - 4)}" '
            f'stroke="{colour}" stroke-width="2.5"{dash}/>'
        )
        parts.append(_text(x + 21, y, label, fill=TEXT))
        x += item_width
    parts.append("</g>")
    return parts, (y - top) + row_height if entries else 0.0


def _svg_open(title: str, width: int, height: int, points: int, kind: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{kind}" '
        f'data-points="{points}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{escape(FONT)}" font-size="{FONT_SIZE}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        _text(10, 18, title, font_size=TITLE_SIZE, font_weight="600", fill=TEXT),
    ]


def _no_data(parts: list[str], left: float, top: float, right: float, bottom: float) -> None:
    parts.append(
        f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(right - left)}" '
        f'height="{_num(bottom - top)}" fill="none" stroke="{GRID}"/>'
    )
    parts.append(
        _text((left + right) / 2, (top + bottom) / 2, "no data", text_anchor="middle", fill=MUTED)
    )


def _runs(points: Sequence[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """The stretches of consecutive non-null points: a null breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if _defined(y):
            runs[-1].append((x, y))
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _draw_series(
    name: str,
    colour: str,
    points: Sequence[tuple[float, float | None]],
    x_scale: _Scale,
    y_scale: _Scale,
    dashed: bool = False,
) -> list[str]:
    dash = ' stroke-dasharray="5 3"' if dashed else ""
    parts = [f'<g data-series="{escape(name)}">']
    for run in _runs(points):
        if len(run) == 1:
            (x, y) = run[0]
            parts.append(
                f'<circle class="point" cx="{_num(x_scale(x))}" cy="{_num(y_scale(y))}" '
                f'r="2.5" fill="{colour}"/>'
            )
            continue
        coordinates = " ".join(f"{_num(x_scale(x))},{_num(y_scale(y))}" for x, y in run)
        parts.append(
            f'<polyline class="series" points="{coordinates}" fill="none" stroke="{colour}" '
            f'stroke-width="1.6" stroke-linejoin="round"{dash}/>'
        )
    parts.append("</g>")
    return parts


def _tick_labels(ticks: Sequence[float]) -> list[str]:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else abs(ticks[0]) or 1.0
    return [format_tick(t, step) for t in ticks]


def _value_axis(ticks: list[float], scale: _Scale, x: float, anchor: str) -> list[str]:
    offset = -6 if anchor == "end" else 6
    return [
        _text(x + offset, scale(t) + 3.5, label, text_anchor=anchor, fill=MUTED)
        for t, label in zip(ticks, _tick_labels(ticks), strict=True)
    ]


def _value_grid(ticks: list[float], scale: _Scale, left: float, right: float) -> list[str]:
    """A horizontal grid line at each tick, labelled on the left."""
    lines = [
        f'<line x1="{_num(left)}" y1="{_num(scale(t))}" x2="{_num(right)}" y2="{_num(scale(t))}" '
        f'stroke="{GRID}"/>'
        for t in ticks
    ]
    return lines + _value_axis(ticks, scale, left, "end")


def _axis_room(ticks: Sequence[float], label: str) -> float:
    """The margin an axis needs: its widest tick label, and its rotated label if any."""
    widest = max((_text_width(text) for text in _tick_labels(ticks)), default=0.0)
    return widest + 10 + (20 if label else 4)


def line_chart(
    title: str,
    series: Mapping[str, Sequence[Point]],
    *,
    y_label: str = "",
    secondary: Mapping[str, Sequence[Point]] | None = None,
    secondary_label: str = "",
    reference_lines: Sequence[float] = (),
    y_range: tuple[float, float] | None = None,
    width: int = 640,
    height: int = 280,
) -> str:
    """A dated line chart: one line per entry of `series` on the left axis, and optionally
    the `secondary` series on a right axis of their own (drawn dashed). A null value breaks
    its line; a point with no neighbour is drawn as a dot. `reference_lines` are dashed
    horizontal lines on the left axis; `y_range` fixes the left axis's range (it still grows
    to fit values outside it)."""
    secondary = secondary or {}
    lines = [(name, points, False) for name, points in series.items()]
    lines += [(name, points, True) for name, points in secondary.items()]
    defined = [(day, value) for _, points, _ in lines for day, value in points if _defined(value)]
    parts = _svg_open(title, width, height, len(defined), "line")

    entries = [
        (name + (" (right axis)" if on_right else ""), PALETTE[i % len(PALETTE)], on_right)
        for i, (name, _, on_right) in enumerate(lines)
    ]
    legend, legend_height = _legend(entries, 10, 38, width - 20)
    parts += legend
    top = 38 + legend_height + 4
    bottom = height - 28.0
    if not defined:
        _no_data(parts, 56.0, top, width - 16.0, bottom)
        parts.append("</svg>")
        return "\n".join(parts)

    def axis_ticks(right_axis: bool, fixed: Sequence[float]) -> list[float]:
        values = [
            value
            for _, points, on_right in lines
            if on_right == right_axis
            for _, value in points
            if _defined(value)
        ]
        values += list(fixed)
        if not values:
            return []
        return nice_ticks(min(values), max(values), max(3, round((bottom - top) / 45)))

    left_ticks = axis_ticks(False, [*reference_lines, *(y_range or ())]) or [0.0, 1.0]
    right_ticks = axis_ticks(True, [])
    left = _axis_room(left_ticks, y_label)
    right = width - (_axis_room(right_ticks, secondary_label) if right_ticks else 16.0)
    first = min(day for day, _ in defined)
    last = max(day for day, _ in defined)
    if first == last:
        first, last = first - timedelta(days=1), last + timedelta(days=1)
    x_scale = _Scale(first.toordinal(), last.toordinal(), left, right)
    left_scale = _Scale(left_ticks[0], left_ticks[-1], bottom, top)
    parts += _value_grid(left_ticks, left_scale, left, right)
    for value in reference_lines:
        y = _num(left_scale(value))
        parts.append(
            f'<line class="reference" x1="{_num(left)}" y1="{y}" x2="{_num(right)}" y2="{y}" '
            f'stroke="{AXIS}" stroke-dasharray="3 3"/>'
        )
    right_scale = left_scale
    if right_ticks:
        right_scale = _Scale(right_ticks[0], right_ticks[-1], bottom, top)
        parts += _value_axis(right_ticks, right_scale, right, "start")

    for tick, label in date_ticks(
        date.fromordinal(int(x_scale.low)),
        date.fromordinal(int(x_scale.high)),
        max(2, int((right - left) // 80)),
    ):
        x = x_scale(tick.toordinal())
        parts.append(
            f'<line x1="{_num(x)}" y1="{_num(bottom)}" x2="{_num(x)}" y2="{_num(bottom + 4)}" '
            f'stroke="{AXIS}"/>'
        )
        parts.append(_text(x, bottom + 18, label, text_anchor="middle", fill=MUTED))
    parts.append(
        f'<line x1="{_num(left)}" y1="{_num(bottom)}" x2="{_num(right)}" y2="{_num(bottom)}" '
        f'stroke="{AXIS}"/>'
    )
    if y_label:
        parts.append(_axis_label(y_label, 14, (top + bottom) / 2, -90))
    if secondary and secondary_label:
        parts.append(_axis_label(secondary_label, width - 8, (top + bottom) / 2, 90))
    for (name, points, on_right), (_, colour, _) in zip(lines, entries, strict=True):
        ordered = sorted(((day.toordinal(), value) for day, value in points), key=lambda p: p[0])
        scale = right_scale if on_right else left_scale
        parts += _draw_series(name, colour, ordered, x_scale, scale, dashed=on_right)
    parts.append("</svg>")
    return "\n".join(parts)


def strip_chart(
    title: str,
    groups: Mapping[str, Sequence[float | None]],
    *,
    y_label: str = "",
    reference: float | None = None,
    reference_label: str = "",
    width: int = 640,
    height: int = 300,
) -> str:
    """One column per group: a dot for each of its values, a bar at their mean and its count
    below; with `reference`, a dashed line across at that value (named in the legend)."""
    cleaned = {name: [v for v in values if _defined(v)] for name, values in groups.items()}
    count = sum(len(values) for values in cleaned.values())
    parts = _svg_open(title, width, height, count, "strip")
    legend_entries = [(reference_label, AXIS, True)] if reference_label else []
    legend, legend_height = _legend(legend_entries, 10, 38, width - 20)
    parts += legend
    top, bottom, right = 38 + legend_height + 4, height - 58.0, width - 16.0
    values = [v for group in cleaned.values() for v in group]
    if not values:
        _no_data(parts, 56.0, top, right, bottom)
        parts.append("</svg>")
        return "\n".join(parts)
    span = [*values, reference] if _defined(reference) else values
    ticks = nice_ticks(min(span), max(span), 6)
    left = _axis_room(ticks, y_label)
    y_scale = _Scale(ticks[0], ticks[-1], bottom, top)
    parts += _value_grid(ticks, y_scale, left, right)
    if y_label:
        parts.append(_axis_label(y_label, 14, (top + bottom) / 2, -90))
    if _defined(reference):
        y = _num(y_scale(reference))
        parts.append(
            f'<line class="reference" x1="{_num(left)}" y1="{y}" x2="{_num(right)}" y2="{y}" '
            f'stroke="{AXIS}" stroke-dasharray="4 3"/>'
        )
    column = (right - left) / max(len(cleaned), 1)
    for index, (name, group) in enumerate(cleaned.items()):
        middle, colour = left + column * (index + 0.5), PALETTE[index % len(PALETTE)]
        parts.append(f'<g data-series="{escape(name)}">')
        spread = min(column * 0.3, 14.0)
        for k, value in enumerate(group):
            x = middle + spread * ((k % 5) - 2) / 2
            parts.append(
                f'<circle class="point" cx="{_num(x)}" cy="{_num(y_scale(value))}" r="2.5" '
                f'fill="{colour}" fill-opacity="0.75"/>'
            )
        if group:
            y = _num(y_scale(sum(group) / len(group)))
            parts.append(
                f'<line class="mean" x1="{_num(middle - spread - 4)}" y1="{y}" '
                f'x2="{_num(middle + spread + 4)}" y2="{y}" stroke="{TEXT}" stroke-width="2.5"/>'
            )
        parts.append("</g>")
        parts.append(_text(middle, bottom + 16, name, text_anchor="middle", fill=TEXT))
        count_label = f"n={len(group)}"
        parts.append(_text(middle, bottom + 30, count_label, text_anchor="middle", fill=MUTED))
    parts.append(
        f'<line x1="{_num(left)}" y1="{_num(bottom)}" x2="{_num(right)}" y2="{_num(bottom)}" '
        f'stroke="{AXIS}"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


Box = tuple[float, float, float, float]  # left, top, right, bottom


def _place_label(
    x: float, y: float, label: str, taken: list[Box], bounds: Box
) -> tuple[float, float, str, Box | None]:
    """Where to write a point's label (x, y, anchor, and its box when it sits away from the
    point and needs a leader line): the nearest spot around the point, on growing rings,
    that overlaps nothing placed before and stays in the plot; beside the point if none."""
    width, height = _text_width(label) * BOLD_WIDTH + 2, FONT_SIZE
    left, top, right, bottom = bounds
    directions = [(1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (1, 1), (-1, -1), (-1, 1)]
    for distance in (7, 16, 28, 42, 58, 76, 96):
        for dx, dy in directions:
            anchor = "start" if dx > 0 else "end" if dx < 0 else "middle"
            lx = x + dx * distance
            baseline = y + 4 + dy * (distance + (height / 2 if dx == 0 else 0))
            box_left = lx - (width if anchor == "end" else width / 2 if anchor == "middle" else 0)
            box = (box_left, baseline - height - 1, box_left + width, baseline + 4)
            inside = box[0] >= left and box[2] <= right and box[1] >= top and box[3] <= bottom
            clear = all(
                box[2] <= o[0] or box[0] >= o[2] or box[3] <= o[1] or box[1] >= o[3] for o in taken
            )
            if inside and clear:
                taken.append(box)
                return lx, baseline, anchor, box if distance > 7 else None
    return x + 7, y + 4, "start", None


def scatter_with_tails(
    title: str,
    trails: Mapping[str, Sequence[XY]],
    *,
    x_label: str = "",
    y_label: str = "",
    center: tuple[float, float] | None = None,
    quadrant_labels: tuple[str, str, str, str] | None = None,
    width: int = 640,
    height: int = 480,
) -> str:
    """One point per entry of `trails` (its last non-null (x, y)), labelled with its name,
    with a tail through its earlier points (oldest first). With `center`, the axes are
    centred on it and cross there, and `quadrant_labels` (top right, bottom right, bottom
    left, top left) are written in the corners on tinted quadrants."""
    cleaned = {
        name: [(x, y) for x, y in points if _defined(x) and _defined(y)]
        for name, points in trails.items()
    }
    cleaned = {name: points for name, points in cleaned.items() if points}
    count = sum(len(points) for points in cleaned.values())
    parts = _svg_open(title, width, height, count, "scatter")
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(trails)}
    legend, legend_height = _legend(
        [(name, colours[name], False) for name in cleaned], 10, 38, width - 20
    )
    parts += legend
    left, right = 56.0, width - 16.0
    top, bottom = 38 + legend_height + 4, height - 46.0
    if not cleaned:
        _no_data(parts, left, top, right, bottom)
        parts.append("</svg>")
        return "\n".join(parts)

    xs = [x for points in cleaned.values() for x, _ in points]
    ys = [y for points in cleaned.values() for _, y in points]
    if center is not None:
        cx, cy = center
        half_x = max(abs(v - cx) for v in xs) * 1.1 or 1.0
        half_y = max(abs(v - cy) for v in ys) * 1.1 or 1.0
        x_ticks = nice_ticks(cx - half_x, cx + half_x, 7)
        y_ticks = nice_ticks(cy - half_y, cy + half_y, 6)
    else:
        x_ticks = nice_ticks(min(xs), max(xs), 7)
        y_ticks = nice_ticks(min(ys), max(ys), 6)
    left = _axis_room(y_ticks, y_label)
    x_scale = _Scale(x_ticks[0], x_ticks[-1], left, right)
    y_scale = _Scale(y_ticks[0], y_ticks[-1], bottom, top)

    if center is not None:
        px, py = x_scale(center[0]), y_scale(center[1])
        corners = [(px, top, right, py), (px, py, right, bottom), (left, py, px, bottom),
                   (left, top, px, py)]  # fmt: skip
        for (x0, y0, x1, y1), tint in zip(corners, QUADRANT_TINTS, strict=True):
            parts.append(
                f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(x1 - x0)}" '
                f'height="{_num(y1 - y0)}" fill="{tint}"/>'
            )
    for tick in x_ticks:
        x = _num(x_scale(tick))
        parts.append(
            f'<line x1="{x}" y1="{_num(top)}" x2="{x}" y2="{_num(bottom)}" stroke="{GRID}"/>'
        )
        step = x_ticks[1] - x_ticks[0] if len(x_ticks) > 1 else 1.0
        parts.append(
            _text(
                x_scale(tick),
                bottom + 18,
                format_tick(tick, step),
                text_anchor="middle",
                fill=MUTED,
            )
        )
    parts += _value_grid(y_ticks, y_scale, left, right)
    if center is not None:
        px, py = _num(x_scale(center[0])), _num(y_scale(center[1]))
        parts.append(
            f'<line x1="{px}" y1="{_num(top)}" x2="{px}" y2="{_num(bottom)}" stroke="{AXIS}"/>'
        )
        parts.append(
            f'<line x1="{_num(left)}" y1="{py}" x2="{_num(right)}" y2="{py}" stroke="{AXIS}"/>'
        )
        if quadrant_labels:
            spots = [(right - 6, top + 16, "end"), (right - 6, bottom - 8, "end"),
                     (left + 6, bottom - 8, "start"), (left + 6, top + 16, "start")]  # fmt: skip
            for (x, y, anchor), label in zip(spots, quadrant_labels, strict=True):
                parts.append(
                    _text(
                        x,
                        y,
                        label,
                        text_anchor=anchor,
                        fill="#8a8a8a",
                        font_weight="600",
                        font_size=12,
                        letter_spacing="0.05em",
                    )
                )
    parts.append(
        f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(right - left)}" '
        f'height="{_num(bottom - top)}" fill="none" stroke="{AXIS}"/>'
    )
    if x_label:
        parts.append(
            _text((left + right) / 2, height - 8, x_label, text_anchor="middle", fill=MUTED)
        )
    if y_label:
        parts.append(_axis_label(y_label, 14, (top + bottom) / 2, -90))

    # Heads at the same spot (series moving together) share one label.
    groups: dict[tuple[float, float], list[str]] = {}
    for name, points in cleaned.items():
        colour = colours[name]
        pixels = [(x_scale(x), y_scale(y)) for x, y in points]
        parts.append(f'<g data-series="{escape(name)}">')
        if len(pixels) > 1:
            coordinates = " ".join(f"{_num(x)},{_num(y)}" for x, y in pixels)
            parts.append(
                f'<polyline class="series tail" points="{coordinates}" fill="none" '
                f'stroke="{colour}" stroke-width="1.4" stroke-opacity="0.75"/>'
            )
        for x, y in pixels[:-1]:
            parts.append(
                f'<circle class="point tail" cx="{_num(x)}" cy="{_num(y)}" r="1.8" '
                f'fill="{colour}" fill-opacity="0.75"/>'
            )
        x, y = pixels[-1]
        parts.append(
            f'<circle class="point head" cx="{_num(x)}" cy="{_num(y)}" r="4.5" fill="{colour}" '
            f'stroke="#fff" stroke-width="1"/>'
        )
        parts.append("</g>")
        groups.setdefault((round(x), round(y)), []).append(name)
    taken: list[Box] = [(x - 5, y - 5, x + 5, y + 5) for x, y in groups]
    for (x, y), names in sorted(groups.items(), key=lambda group: group[0][1]):
        label = ", ".join(names)
        colour = colours[names[0]] if len(names) == 1 else TEXT
        lx, ly, anchor, away = _place_label(x, y, label, taken, (left, top, right, bottom))
        if away is not None:  # a leader line to the nearest point of the label's box
            end_x, end_y = min(max(x, away[0]), away[2]), min(max(y, away[1]), away[3])
            parts.append(
                f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(end_x)}" y2="{_num(end_y)}" '
                f'stroke="{AXIS}" stroke-width="0.8"/>'
            )
        parts.append(
            _text(lx, ly, label, text_anchor=anchor, fill=colour, font_weight="600", class_="label")
        )
    parts.append("</svg>")
    return "\n".join(parts)
