"""The staging and marts layers: one asset per SQL model in `models/`.

Each asset builds its table as a candidate, runs the contract's checks on the candidate's
new rows, and publishes it only when no blocking check failed: a reader never sees a table
whose checks failed, and the assets downstream of a failed one do not run.

An incremental model's candidate holds only the rows it rebuilds (see `warehouse/builds.py`); it
replaces those rows of the published table in one transaction. A first build, or a run
with `full` set, builds the whole table and swaps it in.
"""

from dataclasses import replace

import dagster as dg
import duckdb

from orchestration.defs.assets import table_asset_key
from orchestration.defs.assets.buckets import bucketed_staging
from orchestration.defs.check_results import check_result, check_specs, failure_summary
from orchestration.defs.metadata import load_metadata, plots, row_changes, table_metadata
from orchestration.defs.resources import (
    WRITES_WAREHOUSE,
    IndicatorSettings,
    QualitySettings,
    RebuildSettings,
    Warehouse,
)
from orchestration.warehouse.buckets import bucketed_models
from orchestration.warehouse.builds import (
    Build,
    build_candidate,
    build_scope,
    consumable_through,
    consumed_through,
    discard_candidate,
    is_published,
    publish_candidate,
    publish_rebuilt_rows,
    relation_type,
    rows_in_scope,
)
from orchestration.warehouse.contracts import Model, load_models, mart_models
from orchestration.warehouse.validation import run_checks


def _rows_to_check(
    con: duckdb.DuckDBPyConnection, model: Model, quality: QualitySettings, partial: bool
) -> tuple[str, str]:
    """The filter selecting the candidate's new rows, and a description of it."""
    if partial:
        return "true", "the rebuilt rows"
    if quality.full_validation or not is_published(con, model) or not model.date_column:
        return "true", "every row"
    (latest,) = con.execute(f"SELECT max({model.date_column}) FROM {model.table}").fetchall()[0]
    if latest is None:
        return "true", "every row"
    since = f"DATE '{latest.isoformat()}' - INTERVAL {quality.revalidate_days} DAY"
    return (
        f"{model.date_column} >= {since}",
        f"rows dated from {latest} - {quality.revalidate_days} days",
    )


def _plan_build(
    con: duckdb.DuckDBPyConnection,
    model: Model,
    rebuild: RebuildSettings,
    quality: QualitySettings,
) -> tuple[Build | None, dict[str, dg.MetadataValue]]:
    """For an incremental model, list its rebuild scope and say how it will be built:
    in full when asked to, or to check every row."""
    if model.incremental_by is None:
        return None, {}
    # A table published as a view over buckets is rebuilt whole into the warehouse file.
    everything = rebuild.full or quality.full_validation or relation_type(con, model) == "VIEW"
    since = None if everything else consumed_through(con, model)
    loaded = consumable_through(con, model)
    tickers, earliest = build_scope(con, model, since, rebuild.rebuild_from())
    mode = "incremental" if since is not None else "full"
    build = Build(consumed_through=loaded, mode=mode, rebuilt_from=earliest, rows_rebuilt=0)
    return build, {
        "build_mode": dg.MetadataValue.text(mode),
        f"{model.incremental_by}s_rebuilt": dg.MetadataValue.int(tickers),
        "rebuilt_from": dg.MetadataValue.text(str(earliest) if earliest else "nothing to rebuild"),
    }


def model_asset(model: Model) -> dg.AssetsDefinition:
    """An asset that builds, checks and publishes the model's table."""
    key = table_asset_key(model.table)

    @dg.asset(
        key=key,
        deps=[table_asset_key(dep) for dep in model.depends_on],
        group_name=model.layer,
        description=f"{model.description}\n\nGrain: {model.grain}. Key: {', '.join(model.key)}.",
        kinds={"duckdb", "sql"},
        metadata={"sql": dg.MetadataValue.md(f"```sql\n{model.sql}\n```")},
        check_specs=check_specs(key, model.checks),
        op_tags=WRITES_WAREHOUSE,
    )
    def _build(
        context: dg.AssetExecutionContext,
        warehouse: Warehouse,
        indicator_settings: IndicatorSettings,
        quality_settings: QualitySettings,
        rebuild: RebuildSettings,
    ):
        settings = indicator_settings.variables()
        with warehouse.connect() as con:
            build, build_metadata = _plan_build(con, model, rebuild, quality_settings)
            partial = build is not None and build.mode == "incremental"
            candidate = build_candidate(con, model, settings)
            where, scope = _rows_to_check(con, model, quality_settings, partial)
            checks = [c if c.query is None else c.with_table(candidate) for c in model.checks]
            outcomes = run_checks(con, checks, candidate, where, suite_name=model.table)
            results = [check_result(key, outcome, scope) for outcome in outcomes]
            failed = [o for o in outcomes if o.check.blocking and not o.success]
            if failed:
                discard_candidate(con, model)
                yield from results
                raise dg.Failure(description=failure_summary(model.table, failed))
            if build is not None:
                (rows,) = con.execute(f"SELECT count(*) FROM {candidate}").fetchall()[0]
                build = replace(build, rows_rebuilt=rows)
                build_metadata["rows_rebuilt"] = dg.MetadataValue.int(rows)
            published = rows_in_scope(model) if partial else model.table
            changes = row_changes(
                con, candidate, published if is_published(con, model) else None, model.key
            )
            if partial:
                publish_rebuilt_rows(con, model, settings, build)
            else:
                publish_candidate(con, model, settings, build)
            metadata = {
                **table_metadata(con, model.table, model.date_column, model.descriptions),
                **changes,
                **build_metadata,
                **load_metadata(con),
                **plots(con, model.plots),
            }
        for name in model.variables:
            metadata[f"setting/{name}"] = dg.MetadataValue.text(str(settings[name]))
        rebuilt = f", {build.rows_rebuilt:,} rebuilt ({build.mode})" if build else ""
        context.log.info(
            f"built {model.table}: {metadata['dagster/row_count'].value:,} rows{rebuilt}"
        )
        yield dg.MaterializeResult(metadata=metadata)
        yield from results

    return _build


def mart_asset_keys() -> list[dg.AssetKey]:
    """The asset keys of the marts, what the serving file and the reports are built from."""
    return [table_asset_key(model.table) for model in mart_models()]


def model_assets(bucketed: bool = False) -> list[dg.AssetsDefinition]:
    """One asset per model, staging then marts; `bucketed`: the per-ticker staging models
    as one asset built by bucket of tickers (see `buckets.py`)."""
    if not bucketed:
        return [model_asset(model) for model in load_models()]
    by_bucket = {model.table for model in bucketed_models()}
    singles = [model_asset(model) for model in load_models() if model.table not in by_bucket]
    return [*singles, bucketed_staging()]
