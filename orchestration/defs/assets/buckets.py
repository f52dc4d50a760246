"""`staging.price_series` and `staging.member_prices` built by bucket of tickers, fanned out.

One graph-backed asset makes both tables: `plan_buckets` exports their inputs by bucket and
maps one `build_bucket` step per bucket, which the job's executor runs in parallel (the
multiprocess executor here; the Kubernetes, Celery or Docker executors run each step in its
own pod or container); `publish_buckets` then checks that every bucket published, makes
the two tables views over their Parquet buckets and reports the contract's checks over all
buckets. The warehouse-side work is in `warehouse/buckets.py`.
"""

from pathlib import Path

import dagster as dg

from orchestration.defs.assets import table_asset_key
from orchestration.defs.check_results import check_result, check_specs, failure_summary
from orchestration.defs.metadata import load_metadata, table_metadata
from orchestration.defs.resources import (
    WRITES_WAREHOUSE,
    Bucketing,
    IndicatorSettings,
    QualitySettings,
    RebuildSettings,
    Warehouse,
)
from orchestration.warehouse.buckets import (
    BucketOutcome,
    BucketTask,
    bucketed_models,
    build_bucket,
    merged_checks,
    plan_buckets,
    publish_buckets,
)


def plan_buckets_op(inputs: list[str]) -> dg.OpDefinition:
    """The step that exports the inputs by bucket, run after the assets named `inputs`."""

    @dg.op(
        name="plan_buckets",
        ins={name: dg.In(dg.Nothing) for name in inputs},
        out=dg.DynamicOut(BucketTask),
        tags=WRITES_WAREHOUSE,
    )
    def _plan(
        context: dg.OpExecutionContext,
        warehouse: Warehouse,
        bucketing: Bucketing,
        indicator_settings: IndicatorSettings,
        quality_settings: QualitySettings,
        rebuild: RebuildSettings,
    ):
        """Export the inputs by bucket and hand each bucket to its own step."""
        dataset = Path(bucketing.dataset).resolve()
        with warehouse.connect() as con:
            tasks = plan_buckets(
                con,
                dataset,
                bucketing.buckets,
                context.run_id,
                indicator_settings.variables(),
                full=rebuild.full or quality_settings.full_validation,
                rebuild_from=rebuild.rebuild_from(),
                memory_limit=bucketing.memory_limit,
                threads=bucketing.threads(),
            )
        modes = ", ".join(
            f"{table} {'in full' if since is None else 'incrementally'}"
            for table, since in tasks[0].since.items()
        )
        context.log.info(f"{len(tasks)} buckets under {dataset}: {modes}")
        for task in tasks:
            yield dg.DynamicOutput(task, mapping_key=f"bucket_{task.bucket:04d}")

    return _plan


@dg.op(name="build_bucket")
def build_bucket_op(context: dg.OpExecutionContext, task: BucketTask) -> BucketOutcome:
    """Build, check and write one bucket's rows of both tables."""
    outcome = build_bucket(task)
    state = "written" if outcome.published else "not written: a blocking check failed"
    rows = ", ".join(f"{table} {count:,}" for table, count in outcome.rows_rebuilt.items())
    context.log.info(
        f"bucket {task.bucket + 1} of {task.buckets}: {rows} rows rebuilt, {state}; "
        f"peak memory {outcome.peak_mib:,} MiB"
    )
    return outcome


def _outs() -> dict[str, dg.Out]:
    outs = {model.name: dg.Out(dg.Nothing) for model in bucketed_models()}
    for model in bucketed_models():
        for spec in check_specs(table_asset_key(model.table), model.checks):
            outs[spec.get_python_identifier()] = dg.Out(dg.Nothing)
    return outs


@dg.op(name="publish_buckets", out=_outs(), tags=WRITES_WAREHOUSE)
def publish_buckets_op(
    context: dg.OpExecutionContext,
    warehouse: Warehouse,
    tasks: list[BucketTask],
    outcomes: list[BucketOutcome],
):
    """Publish both tables as views over their buckets, or neither when a bucket's
    blocking check failed (the buckets that passed are kept, and built again next run)."""
    outcomes = sorted(outcomes, key=lambda outcome: outcome.bucket)
    results, failed = [], []
    for model in bucketed_models():
        merged = merged_checks(outcomes, model.table)
        scope = f"the rebuilt rows of {len(outcomes)} buckets"
        key = table_asset_key(model.table)
        results += [check_result(key, outcome, scope) for outcome in merged]
        failed += [(model.table, o) for o in merged if o.check.blocking and not o.success]
    if failed:
        yield from results
        table = failed[0][0]
        raise dg.Failure(description=failure_summary(table, [o for _, o in failed]))
    with warehouse.connect() as con:
        publish_buckets(con, tasks, outcomes)
        for model in bucketed_models():
            metadata = {
                **table_metadata(con, model.table, model.date_column, model.descriptions),
                **load_metadata(con),
                "buckets": dg.MetadataValue.int(len(outcomes)),
                "rows_rebuilt": dg.MetadataValue.int(
                    sum(o.rows_rebuilt[model.table] for o in outcomes)
                ),
                "build_mode": dg.MetadataValue.text(
                    ", ".join(sorted({o.modes[model.table] for o in outcomes}))
                ),
                "dataset": dg.MetadataValue.path(str(tasks[0].dataset)),
                "peak_worker_mib": dg.MetadataValue.int(max(o.peak_mib for o in outcomes)),
            }
            context.log.info(
                f"published {model.table}: {metadata['dagster/row_count'].value:,} rows "
                f"in {len(outcomes)} buckets"
            )
            yield dg.Output(None, model.name, metadata=metadata)
    yield from results


def bucketed_staging() -> dg.AssetsDefinition:
    """The asset making both per-ticker staging tables by bucket."""
    models = bucketed_models()
    built = {model.table for model in models}
    upstream = sorted({dep for model in models for dep in model.depends_on} - built)
    specs = [
        spec for model in models for spec in check_specs(table_asset_key(model.table), model.checks)
    ]

    @dg.graph_multi_asset(
        name="bucketed_staging",
        outs={
            model.name: dg.AssetOut(
                key=table_asset_key(model.table),
                group_name=model.layer,
                description=(
                    f"{model.description}\n\nGrain: {model.grain}. Key: {', '.join(model.key)}. "
                    "Built by bucket of tickers into Parquet; the warehouse holds a view."
                ),
                kinds={"duckdb", "sql", "parquet"},
                metadata={"sql": dg.MetadataValue.md(f"```sql\n{model.sql}\n```")},
            )
            for model in models
        },
        ins={
            table.replace(".", "__"): dg.AssetIn(
                key=table_asset_key(table), dagster_type=dg.Nothing
            )
            for table in upstream
        },
        check_specs=specs,
    )
    def _graph(**upstream_tables):
        tasks = plan_buckets_op(list(upstream_tables))(**upstream_tables)
        outcomes = tasks.map(build_bucket_op).collect()
        return publish_buckets_op(tasks=tasks.collect(), outcomes=outcomes)._asdict()

    return _graph
