"""The staging and marts layers: one asset per SQL model in `models/`.

Each asset builds its table as a candidate, runs the contract's checks on the candidate's
new rows, and publishes it only when no blocking check failed: a reader never sees a table
whose checks failed, and the assets downstream of a failed one do not run.
"""

import dagster as dg
import duckdb

from orchestration.check_results import check_result, check_specs, failure_summary
from orchestration.metadata import table_metadata
from orchestration.models import (
    Model,
    build_candidate,
    discard_candidate,
    load_models,
    publish_candidate,
)
from orchestration.quality import run_checks
from orchestration.resources import IndicatorSettings, QualitySettings, Warehouse


def _asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(table.split("."))


def _rows_to_check(
    con: duckdb.DuckDBPyConnection, model: Model, quality: QualitySettings
) -> tuple[str, str]:
    """The filter selecting the candidate's new rows, and a description of it."""
    published = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [model.layer, model.name],
    ).fetchall()[0][0]
    if quality.full_validation or not published or not model.date_column:
        return "true", "every row"
    (latest,) = con.execute(f"SELECT max({model.date_column}) FROM {model.table}").fetchall()[0]
    if latest is None:
        return "true", "every row"
    since = f"DATE '{latest.isoformat()}' - INTERVAL {quality.revalidate_days} DAY"
    return (
        f"{model.date_column} >= {since}",
        f"rows dated from {latest} - {quality.revalidate_days} days",
    )


def model_asset(model: Model) -> dg.AssetsDefinition:
    """An asset that builds, checks and publishes the model's table."""
    key = _asset_key(model.table)

    @dg.asset(
        key=key,
        deps=[_asset_key(dep) for dep in model.depends_on],
        group_name=model.layer,
        description=f"{model.description}\n\nGrain: {model.grain}. Key: {', '.join(model.key)}.",
        kinds={"duckdb", "sql"},
        metadata={"sql": dg.MetadataValue.md(f"```sql\n{model.sql}\n```")},
        check_specs=check_specs(key, model.checks),
    )
    def _build(
        context: dg.AssetExecutionContext,
        warehouse: Warehouse,
        indicator_settings: IndicatorSettings,
        quality_settings: QualitySettings,
    ):
        settings = indicator_settings.variables()
        with warehouse.connect() as con:
            candidate = build_candidate(con, model, settings)
            where, scope = _rows_to_check(con, model, quality_settings)
            checks = [c if c.query is None else c.with_table(candidate) for c in model.checks]
            outcomes = run_checks(con, checks, candidate, where, suite_name=model.table)
            results = [check_result(key, outcome, scope) for outcome in outcomes]
            failed = [o for o in outcomes if o.check.blocking and not o.success]
            if failed:
                discard_candidate(con, model)
                yield from results
                raise dg.Failure(description=failure_summary(model.table, failed))
            publish_candidate(con, model)
            metadata = table_metadata(con, model.table, model.date_column)
        for name in model.variables:
            metadata[f"setting/{name}"] = dg.MetadataValue.text(str(settings[name]))
        context.log.info(f"built {model.table}: {metadata['dagster/row_count'].value:,} rows")
        yield dg.MaterializeResult(metadata=metadata)
        yield from results

    return _build


def model_assets() -> list[dg.AssetsDefinition]:
    """One asset per model, staging then marts."""
    return [model_asset(model) for model in load_models()]
