"""The tape's pages, from the Jinja2 templates of `templates/`, and the files written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import jinja2

from orchestration.outputs.charts import svg_data_uri
from orchestration.outputs.tape.sections import Chart, Tape, build_tape

TEMPLATES_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class TapeReport:
    """What `write_tape` wrote: the date, the pages, the chart files, and the markdown with
    its charts inline as data URIs (for Dagster metadata)."""

    day: date
    html_path: Path
    markdown_path: Path
    chart_paths: list[Path]
    markdown_inline: str


def md_escape(text: str) -> str:
    """`text` as literal markdown: emphasis, links, code and table pipes shown as written."""
    for char in "\\|*_[]`":
        text = text.replace(char, "\\" + char)
    return text.replace("<", "&lt;").replace(">", "&gt;")


@cache
def _templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["md"] = md_escape
    return environment


def render_html(tape: Tape) -> str:
    """The page: one file, its CSS and charts inline."""
    return _templates().get_template("tape.html.j2").render(tape=tape)


def render_markdown(tape: Tape, image_source: Callable[[Chart], str]) -> str:
    """The markdown version; `image_source` gives each chart's image address."""
    return _templates().get_template("tape.md.j2").render(tape=tape, image=image_source)


def write_tape(
    con: duckdb.DuckDBPyConnection, out_dir: Path, day: date | None = None
) -> TapeReport:
    """Write the tape of `day` (default: the latest date of the marts) into `out_dir`:
    `tape-<date>.html` (self-contained), `tape-<date>.md` and its charts in `tape-<date>/`."""
    tape = build_tape(con, day)
    stem = f"tape-{tape.day.isoformat()}"
    out_dir = Path(out_dir)
    chart_dir = out_dir / stem
    chart_dir.mkdir(parents=True, exist_ok=True)
    chart_paths = []
    for chart in tape.charts.values():
        path = chart_dir / f"{chart.slug}.svg"
        path.write_text(chart.svg, encoding="utf-8")
        chart_paths.append(path)
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(render_html(tape), encoding="utf-8")
    markdown_path = out_dir / f"{stem}.md"
    markdown_path.write_text(
        render_markdown(tape, lambda chart: f"{stem}/{chart.slug}.svg"), encoding="utf-8"
    )
    return TapeReport(
        day=tape.day,
        html_path=html_path,
        markdown_path=markdown_path,
        chart_paths=chart_paths,
        markdown_inline=render_markdown(tape, lambda chart: svg_data_uri(chart.svg)),
    )
