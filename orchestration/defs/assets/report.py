"""The reports layer: today's tape, written from the marts after they are built."""

from pathlib import Path

import dagster as dg

from orchestration.defs.assets.transform import mart_asset_keys
from orchestration.defs.resources import WRITES_WAREHOUSE, Warehouse
from orchestration.outputs.tape.render import write_tape


@dg.asset(
    key=["reports", "tape"],
    deps=mart_asset_keys(),
    group_name="reports",
    kinds={"html", "duckdb"},
    op_tags=WRITES_WAREHOUSE,
    description=(
        "Today's tape: the daily note on small caps against large for the latest date of "
        "the marts (headline, regime, returns, breadth, the three watch signals, the three "
        "whys (rates, earnings risk, flight to safety), rotation, top small-cap movers and "
        "seven charts), as a self-contained HTML page and a markdown "
        "file with its SVG charts, in a reports/ directory beside the warehouse."
    ),
)
def tape_report(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Write the tape of the latest date from the marts."""
    out_dir = Path(warehouse.path).parent / "reports"
    with warehouse.connect() as con:
        report = write_tape(con, out_dir)
    context.log.info(f"wrote the tape of {report.day} to {report.html_path}")
    return dg.MaterializeResult(
        metadata={
            "date": dg.MetadataValue.text(report.day.isoformat()),
            "html": dg.MetadataValue.path(str(report.html_path.resolve())),
            "markdown_path": dg.MetadataValue.path(str(report.markdown_path.resolve())),
            "tape": dg.MetadataValue.md(report.markdown_inline),
        }
    )
