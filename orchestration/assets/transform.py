"""The staging and marts layers: one asset per SQL model in `models/`."""

import dagster as dg

from orchestration.metadata import table_metadata
from orchestration.models import Model, build_model, load_models
from orchestration.resources import IndicatorSettings, Warehouse


def _asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(table.split("."))


def model_asset(model: Model) -> dg.AssetsDefinition:
    """An asset that rebuilds the model's table and reports what it holds."""

    @dg.asset(
        key=_asset_key(model.table),
        deps=[_asset_key(dep) for dep in model.depends_on],
        group_name=model.layer,
        description=f"{model.description}\n\nGrain: {model.grain}. Key: {', '.join(model.key)}.",
        kinds={"duckdb", "sql"},
        metadata={"sql": dg.MetadataValue.md(f"```sql\n{model.sql}\n```")},
    )
    def _build(
        context: dg.AssetExecutionContext,
        warehouse: Warehouse,
        indicator_settings: IndicatorSettings,
    ) -> dg.MaterializeResult:
        settings = indicator_settings.variables()
        with warehouse.connect() as con:
            build_model(con, model, settings)
            metadata = table_metadata(con, model.table, model.date_column)
        for name in model.variables:
            metadata[f"setting/{name}"] = dg.MetadataValue.text(str(settings[name]))
        context.log.info(f"built {model.table}: {metadata['dagster/row_count'].value:,} rows")
        return dg.MaterializeResult(metadata=metadata)

    return _build


def model_assets() -> list[dg.AssetsDefinition]:
    """One asset per model, staging then marts."""
    return [model_asset(model) for model in load_models()]
