"""The Dagster definitions of capgap: assets by layer, resources from the environment."""

import dagster as dg

from orchestration.assets.ingest import raw_tables
from orchestration.assets.transform import model_assets
from orchestration.settings import resources_from_env

daily_refresh = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all(),
    description="Ingest from the configured source, then rebuild staging and every mart.",
)

defs = dg.Definitions(
    assets=[raw_tables, *model_assets()],
    jobs=[daily_refresh],
    resources=resources_from_env(),
    executor=dg.in_process_executor,
)
