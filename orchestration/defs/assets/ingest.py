"""The ingest layer: one load of the configured source lands the four raw tables."""

from dataclasses import replace
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from orchestration.defs.check_results import check_result, check_specs
from orchestration.defs.metadata import table_metadata
from orchestration.defs.resources import (
    WRITES_WAREHOUSE,
    IndicatorSettings,
    MarketSource,
    QualitySettings,
    RebuildSettings,
    Warehouse,
)
from orchestration.sources.base import (
    STORED_HOLDINGS_SCHEMA,
    FetchRequest,
    RawBatch,
    Source,
    SourceError,
    empty_frame,
)
from orchestration.warehouse.contracts import raw_contracts
from orchestration.warehouse.landing import LoadReport, land_batch
from orchestration.warehouse.overrides import OverridesError, land_overrides, read_overrides
from orchestration.warehouse.validation import run_checks

QUARANTINE_SAMPLE = 5


def _last_dates(con, table: str, key: str, column: str = "date") -> dict[str, date]:
    return dict(
        con.execute(f"SELECT {key}, max({column}) FROM raw.{table} GROUP BY {key}").fetchall()
    )


def _rebased_fetched_whole(
    context: dg.AssetExecutionContext,
    con,
    source: Source,
    request: FetchRequest,
    batch: RawBatch,
) -> RawBatch:
    """The batch with the whole history of each ticker whose stored bars came back with
    another adjusted close (the vendor re-based it after a split or a dividend): the
    warehouse's series then equals a fresh download, not new bars on an old basis."""
    con.register("delivered_prices", batch.prices.select("ticker", "date", "close").to_arrow())
    try:
        rebased = [
            ticker
            for (ticker,) in con.execute(
                "SELECT DISTINCT delivered.ticker FROM delivered_prices AS delivered "
                "JOIN raw.prices AS stored USING (ticker, date) "
                "WHERE delivered.close IS DISTINCT FROM stored.close ORDER BY 1"
            ).fetchall()
        ]
    finally:
        con.unregister("delivered_prices")
    if not rebased:
        return batch
    more = f" and {len(rebased) - 10} more" if len(rebased) > 10 else ""
    context.log.info(
        f"{len(rebased)} tickers came back re-based (a split or dividend since the last run): "
        f"fetching their whole history again: {', '.join(rebased[:10])}{more}"
    )
    refetch = frozenset(rebased)
    stored = {t: d for t, d in request.last_price_dates.items() if t not in refetch}
    again = source.fetch(replace(request, last_price_dates=stored, only_tickers=refetch))
    refetched = pl.col("ticker").is_in(rebased)
    return replace(
        batch,
        prices=pl.concat([batch.prices.filter(~refetched), again.prices.filter(refetched)]),
        actions=pl.concat([batch.actions, again.actions]).unique(maintain_order=True),
        rejects=pl.concat([batch.rejects, again.rejects]),
        missing=list(dict.fromkeys([*batch.missing, *again.missing])),
    )


def _stored_holdings(con) -> pl.DataFrame:
    """The index-weight snapshots stored, each ticker with its latest membership name and
    sector (see `FetchRequest.stored_holdings`)."""
    return (
        con.sql(
            """
        WITH latest_names AS (
            SELECT universe, ticker, arg_max(name, valid_from) AS name,
                   arg_max(sector, valid_from) AS sector
            FROM raw.members
            GROUP BY universe, ticker
        )
        SELECT weights.universe, weights.ticker, weights.as_of, latest_names.name,
               latest_names.sector
        FROM raw.index_weights AS weights
        LEFT JOIN latest_names USING (universe, ticker)
        """
        )
        .pl()
        .cast(STORED_HOLDINGS_SCHEMA)
    )


def _report_removals(context: dg.AssetExecutionContext, report: LoadReport) -> None:
    for load in report.tables.values():
        if load.removed:
            context.log.info(f"reload: removed {load.removed:,} rows of raw.{load.table}")
        if load.removal_skipped:
            context.log.warning(
                f"reload: raw.{load.table} keeps the rows the directory may lack: some of its "
                "lines could not be read (raw.quarantine), so their keys are unknown; fix "
                "them and reload again"
            )


def _report_problems(context: dg.AssetExecutionContext, report: LoadReport) -> None:
    if report.missing:
        shown = ", ".join(report.missing[:20])
        more = f" and {len(report.missing) - 20} more" if len(report.missing) > 20 else ""
        context.log.warning(f"{len(report.missing)} requested symbols did not come: {shown}{more}")
    if report.rejects.height:
        by_rule = report.rejects.group_by("table_name", "rule").len().sort("len", descending=True)
        before = sum(load.quarantined_before for load in report.tables.values())
        held = f", {before} of them held there from an earlier load" if before else ""
        context.log.warning(
            f"{report.rejects.height} rows rejected into raw.quarantine (load {report.load_id}"
            f"{held}): " + "; ".join(f"{t}.{r}: {n}" for t, r, n in by_rule.iter_rows())
        )
        for reason in report.rejects.get_column("reason").head(QUARANTINE_SAMPLE):
            context.log.warning(f"  e.g. {reason}")


def _land_overrides(context: dg.AssetExecutionContext, con, path: Path) -> None:
    """Read the overrides file into raw.overrides; stop the run if it cannot be applied."""
    try:
        overrides = read_overrides(path)
    except OverridesError as error:
        raise dg.Failure(description=str(error)) from error
    land_overrides(con, overrides, path)
    if overrides.height:
        by_action = overrides.group_by("action").len().sort("action")
        context.log.info(
            f"{overrides.height} overrides from {path}: "
            + ", ".join(f"{n} {action}" for action, n in by_action.iter_rows())
        )


def _check_results(con, report: LoadReport) -> list[dg.AssetCheckResult]:
    """The screening outcomes of this load, and the checks on the stored raw tables."""
    results = []
    for table, contract in raw_contracts().items():
        key = dg.AssetKey(["raw", table])
        screened = {o.check.name: o for o in report.outcomes[table]}
        for check in contract.checks:
            if check.quarantines:
                outcome = screened.get(check.name)
                if outcome is not None:
                    results.append(check_result(key, outcome, "the rows of this load"))
                else:
                    results.append(
                        dg.AssetCheckResult(
                            asset_key=key,
                            check_name=check.name,
                            passed=True,
                            metadata={"rows_checked": dg.MetadataValue.int(0)},
                        )
                    )
        stored = [c for c in contract.checks if not c.quarantines]
        for outcome in run_checks(con, stored, f"raw.{table}", suite_name=f"raw.{table}"):
            results.append(check_result(key, outcome, "every stored row"))
    return results


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["raw", table],
            description=f"{contract.description}\n\nGrain: {contract.grain}.",
            group_name="ingest",
            kinds={"duckdb", "python"},
        )
        for table, contract in raw_contracts().items()
    ],
    op_tags=WRITES_WAREHOUSE,
    check_specs=[
        spec
        for table, contract in raw_contracts().items()
        for spec in check_specs(dg.AssetKey(["raw", table]), contract.checks)
    ],
)
def raw_tables(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    market_source: MarketSource,
    indicator_settings: IndicatorSettings,
    rebuild: RebuildSettings,
    quality_settings: QualitySettings,
):
    """Fetch what the warehouse lacks from the configured source and land it in one
    transaction (everything with `full`, everything from `from_date` on with that)."""
    source = market_source.build()
    today = date.today()
    with warehouse.connect() as con:
        stored = not rebuild.full
        request = FetchRequest(
            today=today,
            last_price_dates=_last_dates(con, "prices", "ticker") if stored else {},
            last_rate_dates=_last_dates(con, "rates", "series") if stored else {},
            last_fundamental_periods=_last_dates(con, "fundamentals", "ticker", "period_end")
            if stored
            else {},
            stored_holdings=_stored_holdings(con)
            if stored
            else empty_frame(STORED_HOLDINGS_SCHEMA),
            refetch_from=rebuild.rebuild_from(),
            log=context.log,
        )
        resumed = (
            "the whole history"
            if not request.last_price_dates
            else (f"{len(request.last_price_dates):,} stored tickers from their last dates")
        )
        context.log.info(f"fetching from the {source.name} source: {resumed}")
        try:
            batch = source.fetch(request)
            if source.resumes and request.last_price_dates:
                batch = _rebased_fetched_whole(context, con, source, request, batch)
        except SourceError as error:
            raise dg.Failure(description=str(error)) from error
        context.log.info(
            f"{source.name} brought {batch.prices.height:,} price rows, {batch.members.height:,} "
            f"membership rows, {batch.rates.height:,} rate rows, {batch.actions.height:,} actions, "
            f"{batch.index_weights.height:,} index weights, "
            f"{batch.fundamentals.height:,} quarterly figures"
        )
        report = land_batch(con, batch, source.name, quality_settings.date_window(today))
        _report_problems(context, report)
        _report_removals(context, report)
        _land_overrides(context, con, Path(quality_settings.overrides_path))
        for table, load in report.tables.items():
            contract = raw_contracts()[table]
            metadata = table_metadata(
                con, f"raw.{table}", contract.date_column, contract.descriptions
            )
            metadata.update(
                {
                    "source": dg.MetadataValue.text(source.name),
                    "load_id": dg.MetadataValue.text(report.load_id),
                    "rows_received": dg.MetadataValue.int(load.received),
                    "rows_inserted": dg.MetadataValue.int(load.inserted),
                    "rows_updated": dg.MetadataValue.int(load.updated),
                    "rows_unchanged": dg.MetadataValue.int(load.unchanged),
                    "rows_quarantined": dg.MetadataValue.int(load.quarantined),
                    "rows_quarantined_before": dg.MetadataValue.int(load.quarantined_before),
                    "rows_removed": dg.MetadataValue.int(load.removed),
                }
            )
            if table == "prices":
                metadata["symbols_missing"] = dg.MetadataValue.int(len(report.missing))
            yield dg.MaterializeResult(asset_key=["raw", table], metadata=metadata)
        con.execute("SET VARIABLE large_benchmark = ?", [indicator_settings.large_benchmark])
        yield from _check_results(con, report)
