"""The serving layer: the file analysts and BI tools open, published after the marts."""

from pathlib import Path

import dagster as dg

from orchestration.defs.assets.transform import mart_asset_keys
from orchestration.defs.resources import WRITES_WAREHOUSE, Warehouse
from orchestration.outputs.serving_file import (
    STORAGE_VERSION,
    VIEWS_SCHEMA,
    publish_serving_file,
    serving_path_for,
)


@dg.asset(
    key=["serving", "file"],
    deps=mart_asset_keys(),
    group_name="serving",
    kinds={"duckdb"},
    op_tags=WRITES_WAREHOUSE,
    description=(
        "A read-only copy of the marts and the analyst views (sql/views) in its own DuckDB "
        "file beside the warehouse (capgap.duckdb -> capgap_serving.duckdb), for analysts "
        "and BI tools: they can keep it open while a run writes the warehouse. Each run "
        "writes a complete new file and renames it over the old one, so a reader sees one "
        f"version or the next, never a mix. Schemas: marts, {VIEWS_SCHEMA}, and "
        "serving.published (what this version holds and when it was published)."
    ),
)
def serving_file(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Publish the serving file from the warehouse, after every mart was built and checked."""
    path = serving_path_for(warehouse.path)
    with warehouse.connect() as con:
        report = publish_serving_file(con, path, warehouse=str(Path(warehouse.path).resolve()))
    objects = ["| object | kind | rows | first_date | last_date |", "|---|---|---|---|---|"]
    objects += [
        f"| {o.name} | {o.kind} | {o.row_count:,} | {o.first_date or ''} | {o.last_date or ''} |"
        for o in report.objects
    ]
    context.log.info(
        f"published {path}: {len(report.objects)} tables and views through "
        f"{report.market_date} in {report.seconds:.2f} s"
    )
    return dg.MaterializeResult(
        metadata={
            "serving_path": dg.MetadataValue.path(str(path)),
            "market_date": dg.MetadataValue.text(str(report.market_date)),
            "published_at": dg.MetadataValue.text(f"{report.published_at.isoformat()} UTC"),
            "bytes": dg.MetadataValue.int(report.bytes),
            "seconds": dg.MetadataValue.float(round(report.seconds, 3)),
            "storage_version": dg.MetadataValue.text(STORAGE_VERSION),
            "objects": dg.MetadataValue.md("\n".join(objects)),
        }
    )
