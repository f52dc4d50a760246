"""The Dagster definitions of capgap: assets by layer, jobs, the NYSE schedule, freshness."""

import dagster as dg

from orchestration.defs.assets.ingest import raw_tables
from orchestration.defs.assets.report import tape_report
from orchestration.defs.assets.serving import serving_file
from orchestration.defs.assets.transform import model_assets
from orchestration.defs.freshness import marts_current, marts_freshness
from orchestration.defs.resources import WRITES_WAREHOUSE
from orchestration.defs.schedules import nyse_close_schedule
from orchestration.defs.settings import resources_from_env

MARTS_AND_AFTER = dg.AssetSelection.groups("marts").downstream()
RESOURCES = resources_from_env()
BUCKETING = RESOURCES["bucketing"]
# Every run says which source filled it and which warehouse it wrote, so the run history
# of several warehouses in one Dagster instance can be told apart (and filtered by tag).
RUN_TAGS = {
    "capgap/source": RESOURCES["market_source"].kind,
    "capgap/warehouse": str(RESOURCES["warehouse"].path),
}

daily_refresh = dg.define_asset_job(
    "daily_refresh",
    tags=RUN_TAGS,
    selection=dg.AssetSelection.all(),
    description=(
        "Fetch what is new from the configured source, rebuild the staging rows whose inputs "
        "changed, then every mart. Set resources.rebuild.config.from_date to re-run a range."
    ),
)

full_backfill = dg.define_asset_job(
    "full_backfill",
    tags=RUN_TAGS,
    selection=dg.AssetSelection.all(),
    description="Fetch the whole history again and rebuild every table from raw.",
    config={"resources": {"rebuild": {"config": {"full": True}}}},
)

rebuild_marts = dg.define_asset_job(
    "rebuild_marts",
    tags=RUN_TAGS,
    selection=MARTS_AND_AFTER,
    description="Recompute every mart from the staging tables as they are, fetching nothing.",
)


def executor() -> dg.ExecutorDefinition:
    """In process; with buckets, one process per step, the bucket steps `workers` at a time
    and the steps that open the warehouse file one at a time."""
    if not BUCKETING.buckets:
        return dg.in_process_executor
    return dg.multiprocess_executor.configured(
        {
            "max_concurrent": BUCKETING.workers,
            # Each step's process is forked from one that has imported the project already.
            "start_method": {"forkserver": {"preload_modules": [__name__, "great_expectations"]}},
            "tag_concurrency_limits": [
                {"key": key, "value": value, "limit": 1} for key, value in WRITES_WAREHOUSE.items()
            ],
        }
    )


def project_assets(bucketed: bool) -> list[dg.AssetsDefinition]:
    """Every asset, the per-ticker staging tables built by bucket when `bucketed`."""
    return [raw_tables, *model_assets(bucketed), serving_file, tape_report]


defs = dg.Definitions(
    assets=project_assets(bucketed=bool(BUCKETING.buckets)),
    asset_checks=[marts_current],
    jobs=[daily_refresh, full_backfill, rebuild_marts],
    schedules=[nyse_close_schedule(daily_refresh)],
    sensors=[marts_freshness],
    resources=RESOURCES,
    executor=executor(),
)


def daily_refresh_job() -> dg.JobDefinition:
    """The daily job, for a run whose steps are started in their own processes."""
    return defs.resolve_job_def("daily_refresh")
