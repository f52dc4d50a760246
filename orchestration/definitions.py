"""The Dagster definitions of capgap: assets by layer, resources from the environment."""

import dagster as dg

from orchestration.assets.ingest import raw_tables
from orchestration.assets.transform import model_assets
from orchestration.settings import resources_from_env

daily_refresh = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all(),
    description=(
        "Fetch what is new from the configured source, rebuild the staging rows whose inputs "
        "changed, then every mart. Set resources.rebuild.config.from_date to re-run a range."
    ),
)

full_backfill = dg.define_asset_job(
    "full_backfill",
    selection=dg.AssetSelection.all(),
    description="Fetch the whole history again and rebuild every table from raw.",
    config={"resources": {"rebuild": {"config": {"full": True}}}},
)

defs = dg.Definitions(
    assets=[raw_tables, *model_assets()],
    jobs=[daily_refresh, full_backfill],
    resources=resources_from_env(),
    executor=dg.in_process_executor,
)
