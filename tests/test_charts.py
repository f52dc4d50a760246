"""The SVG charts: well-formed, marked with what they drew, robust to nulls and odd data."""

import base64
import math
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from orchestration.outputs.charts import (
    date_ticks,
    format_tick,
    line_chart,
    nice_ticks,
    scatter_with_tails,
    svg_data_uri,
)

SVG = "{http://www.w3.org/2000/svg}"
START = date(2026, 1, 2)


def days(values: list[float | None]) -> list[tuple[date, float | None]]:
    return [(START + timedelta(days=i), value) for i, value in enumerate(values)]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def marked(root: ET.Element, kind: str, mark: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{kind}") if mark in e.get("class", "").split()]


def polyline_points(element: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, pair.split(","))) for pair in element.get("points").split()]


def test_line_chart_draws_each_series_with_title_legend_and_axes():
    svg = line_chart(
        "Spread",
        {"small": days([1.0, 2.0, 3.0]), "large": days([3.0, 2.0, 1.5])},
        y_label="percent",
    )
    root = parse(svg)
    assert root.get("data-points") == "6"
    lines = marked(root, "polyline", "series")
    assert len(lines) == 2
    assert all(len(polyline_points(line)) == 3 for line in lines)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[0] == "Spread"
    assert {"small", "large", "percent"} <= set(texts)
    assert "2 Jan" in texts  # a date tick


def test_a_null_breaks_the_line_and_a_lone_point_is_a_dot():
    root = parse(line_chart("gaps", {"s": days([1.0, 2.0, None, 4.0, None, 6.0, 7.0])}))
    runs = [len(polyline_points(line)) for line in marked(root, "polyline", "series")]
    assert runs == [2, 2]
    assert len(marked(root, "circle", "point")) == 1  # the 4.0 between two nulls
    assert root.get("data-points") == "5"


def test_nan_counts_as_null():
    root = parse(line_chart("nan", {"s": days([1.0, math.nan, 3.0])}))
    assert root.get("data-points") == "2"
    assert not marked(root, "polyline", "series")
    assert len(marked(root, "circle", "point")) == 2


def test_a_single_point_is_drawn_at_the_centre():
    root = parse(line_chart("one", {"s": [(START, 5.0)]}, width=400))
    (dot,) = marked(root, "circle", "point")
    assert root.get("data-points") == "1"
    assert 150 < float(dot.get("cx")) < 250  # the date axis is padded around the one date


def test_all_equal_values_give_a_flat_line_inside_the_plot():
    root = parse(line_chart("flat", {"s": days([2.5] * 10)}, height=300))
    (line,) = marked(root, "polyline", "series")
    ys = {y for _, y in polyline_points(line)}
    assert len(ys) == 1
    assert 40 < ys.pop() < 280


def test_all_null_or_empty_series_say_no_data():
    for series in ({"s": days([None, None])}, {"s": []}, {}):
        root = parse(line_chart("empty", series))
        assert root.get("data-points") == "0"
        assert "no data" in [t.text for t in root.iter(f"{SVG}text")]
        assert not marked(root, "polyline", "series")


def test_secondary_series_get_a_right_axis_and_are_dashed():
    root = parse(
        line_chart(
            "two axes",
            {"ratio": days([0.60, 0.61, 0.62])},
            secondary={"z-score": days([-1.0, 0.0, 2.0])},
            secondary_label="z",
        )
    )
    left, right = marked(root, "polyline", "series")
    assert right.get("stroke-dasharray") and not left.get("stroke-dasharray")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "z-score (right axis)" in texts
    assert "z" in texts
    # both lines span the full plot height on their own scales
    assert (
        max(y for _, y in polyline_points(right)) - min(y for _, y in polyline_points(right)) > 50
    )


def test_reference_lines_and_a_fixed_range_are_inside_the_axis():
    root = parse(
        line_chart("pct", {"s": days([45.0, 55.0])}, y_range=(0, 100), reference_lines=(40, 60))
    )
    assert len(marked(root, "line", "reference")) == 2
    labels = {t.text for t in root.iter(f"{SVG}text")}
    assert {"0", "100"} <= labels


def test_text_is_escaped():
    nasty = "R&D <\"quoted\"> 'single'"
    svg = line_chart(nasty, {nasty: days([1.0, 2.0])}, y_label=nasty)
    root = parse(svg)  # would fail on a raw & or <
    assert '<"quoted">' not in svg
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts.count(nasty) == 3  # title, legend, axis label
    assert root.get("aria-label") == nasty
    scatter = parse(scatter_with_tails(nasty, {nasty: [(1.0, 2.0)]}))
    assert nasty in [t.text for t in scatter.iter(f"{SVG}text")]


def test_scatter_draws_heads_and_tails():
    trails = {
        "XLK": [(99.0, 101.0), (100.0, 101.5), (101.0, 102.0)],
        "XLU": [(98.0, 97.0), (None, 97.5), (97.5, 98.0)],
        "IWM": [(102.0, 99.0)],
        "gone": [(None, None)],
    }
    root = parse(
        scatter_with_tails(
            "rotation",
            trails,
            center=(100.0, 100.0),
            quadrant_labels=("LEADING", "WEAKENING", "LAGGING", "IMPROVING"),
        )
    )
    assert root.get("data-points") == "6"  # 3 + 2 + 1; the nulls are skipped
    heads = marked(root, "circle", "head")
    assert len(heads) == 3
    tails = marked(root, "polyline", "series")
    assert sorted(len(polyline_points(t)) for t in tails) == [2, 3]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"XLK", "XLU", "IWM", "LEADING", "LAGGING"} <= set(texts)
    assert "gone" not in texts


def test_scatter_centre_is_in_the_middle_and_the_head_is_the_last_point():
    root = parse(scatter_with_tails("c", {"A": [(90.0, 100.0), (110.0, 100.0)]}, center=(100, 100)))
    (head,) = marked(root, "circle", "head")
    (tail,) = marked(root, "circle", "tail")
    assert float(head.get("cx")) > float(tail.get("cx"))  # the head is the newest, at x=110


def test_scatter_with_equal_points_and_no_points():
    root = parse(scatter_with_tails("same", {"A": [(1.0, 1.0)], "B": [(1.0, 1.0)]}))
    assert root.get("data-points") == "2"
    assert "A, B" in [t.text for t in root.iter(f"{SVG}text")]  # one label for both
    empty = parse(scatter_with_tails("none", {}))
    assert empty.get("data-points") == "0"


def test_svg_data_uri_round_trips():
    svg = line_chart("uri", {"s": days([1.0, 2.0])})
    uri = svg_data_uri(svg)
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).decode() == svg


@pytest.mark.parametrize(
    ("low", "high"), [(0.0, 1.0), (-3.2, 7.9), (3.12, 4.42), (5.0, 5.0), (0.0, 0.0), (-478, 212)]
)
def test_nice_ticks_enclose_the_range(low, high):
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    assert 2 <= len(ticks) <= 9
    assert ticks == sorted(ticks)


def test_tick_labels():
    assert format_tick(2.5, 2.5) == "2.5"
    assert format_tick(1000.0, 500.0) == "1,000"
    assert format_tick(-0.0000001, 0.5) == "0"
    assert format_tick(0.25, 0.05) == "0.25"


def test_date_ticks_fit_the_span():
    year = date_ticks(date(2025, 11, 20), date(2026, 11, 20), 6)
    assert 3 <= len(year) <= 6
    assert all(day.day == 1 for day, _ in year)
    assert year[0][1].endswith("'25") or year[0][1].endswith("'26")
    week = date_ticks(date(2026, 11, 16), date(2026, 11, 20), 6)
    assert [label for _, label in week] == ["16 Nov", "17 Nov", "18 Nov", "19 Nov", "20 Nov"]
    decade = date_ticks(date(2016, 11, 21), date(2026, 11, 20), 6)
    assert all(label.isdigit() for _, label in decade)
