"""The assets, by layer; the one naming rule they share."""

import dagster as dg


def table_asset_key(table: str) -> dg.AssetKey:
    """The asset key of a warehouse table: `staging.price_series` is staging/price_series."""
    return dg.AssetKey(table.split("."))
