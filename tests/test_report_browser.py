"""Today's tape in a real browser: headless Chromium opens the page, no script or console
error, every chart drew data, nothing spills sideways or overlaps; the full-page screenshot
is saved as tape-report.png (in docs/screenshots/ by `make screenshots`)."""

from pathlib import Path

import pytest

from tests.conftest import chromium, read_only_query
from tests.test_report import TapeBuild, tape_build

# Per chart: its data-points, and the marked elements with real geometry (a polyline of at
# least two points, a circle) and a non-empty box.
CHARTS_DRAWN = """
() => [...document.querySelectorAll("svg.chart")].map(svg => {
  const drawn = [...svg.querySelectorAll(".series, .point")].filter(el => {
    const box = el.getBBox();
    if (el.tagName === "polyline") return el.points.numberOfItems >= 2 && box.width > 0;
    return box.width > 0 && box.height > 0;
  });
  return {
    chart: svg.closest("figure").id,
    points: Number(svg.dataset.points),
    drawn: drawn.length,
  };
})
"""

# Pairs of overlapping text boxes within one chart (labels, ticks, legend, title).
TEXT_OVERLAPS = """
() => {
  const overlaps = [];
  for (const svg of document.querySelectorAll("svg.chart")) {
    const boxes = [...svg.querySelectorAll("text")]
      .filter(t => !t.getAttribute("transform"))
      .map(t => ({text: t.textContent, box: t.getBoundingClientRect()}));
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i].box, b = boxes[j].box;
        const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        const chart = svg.closest("figure").id;
        if (dx > 1 && dy > 1) overlaps.push([chart, boxes[i].text, boxes[j].text]);
      }
    }
  }
  return overlaps;
}
"""


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> TapeBuild:
    return tape_build(tmp_path_factory)


def test_the_tape_renders_in_chromium(built: TapeBuild, screenshots: Path):
    screenshot = screenshots / "tape-report.png"
    errors: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(built.html_path.as_uri(), wait_until="load")
        charts = page.evaluate(CHARTS_DRAWN)
        overlaps = page.evaluate(TEXT_OVERLAPS)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        headline = page.inner_text("#headline")
        page.screenshot(path=str(screenshot), full_page=True)
    assert errors == []
    assert [c["chart"] for c in charts] == [
        "chart-firings",
        "chart-relative-strength",
        "chart-yield-vs-spread",
        "chart-pct-above-sma50",
        "chart-ad-lines",
        "chart-unprofitable",
        "chart-concentration",
        "chart-rotation",
    ]
    for chart in charts:
        assert chart["points"] > 0 and chart["drawn"] > 0, chart
    assert overlaps == []
    assert overflow <= 0
    ((expected,),) = read_only_query(
        built.warehouse, f"SELECT headline FROM marts.market_regime WHERE date = '{built.day}'"
    )
    assert headline == expected
    assert screenshot.stat().st_size > 50_000
