"""Great Expectations outcomes as Dagster asset checks: specs, results and their metadata."""

import json

import dagster as dg

from orchestration.warehouse.validation import Check, Outcome


def check_specs(asset_key: dg.AssetKey, checks: tuple[Check, ...]) -> list[dg.AssetCheckSpec]:
    """One asset check per contract check; `error` checks block downstream assets."""
    return [
        dg.AssetCheckSpec(
            name=check.name,
            asset=asset_key,
            blocking=check.blocking and not check.quarantines,
            description=_describe(check),
        )
        for check in checks
    ]


def _describe(check: Check) -> str:
    arguments = ", ".join(f"{k}={v}" for k, v in check.arguments.items())
    what = check.description or f"{check.expect}({arguments})"
    if check.quarantines:
        return f"{what}. Rows that break it are quarantined before landing."
    effect = "Blocks downstream assets when it fails." if check.blocking else "Reported only."
    return f"{what}. {effect}"


def check_result(asset_key: dg.AssetKey, outcome: Outcome, scope: str) -> dg.AssetCheckResult:
    """The Dagster result of one outcome: the expectation, what GX observed, failing rows."""
    check = outcome.check
    quarantined = check.quarantines and not outcome.success
    severity = (
        dg.AssetCheckSeverity.ERROR
        if check.blocking and not check.quarantines
        else dg.AssetCheckSeverity.WARN
    )
    metadata = {
        "expectation": dg.MetadataValue.text(check.expect),
        "arguments": dg.MetadataValue.json(json.loads(json.dumps(check.arguments, default=str))),
        "rows_checked": dg.MetadataValue.int(outcome.checked_rows),
        "unexpected_count": dg.MetadataValue.int(outcome.unexpected_count),
        "observed_value": dg.MetadataValue.text(json.dumps(outcome.observed, default=str)),
        "scope": dg.MetadataValue.text(scope),
    }
    if outcome.failing_values:
        metadata["failing_rows_sample"] = dg.MetadataValue.json(outcome.sample())
    if quarantined:
        metadata["action"] = dg.MetadataValue.text(
            f"{outcome.unexpected_count} rows quarantined in raw.quarantine; the rest landed"
        )
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check.name,
        passed=outcome.success,
        severity=severity,
        metadata=metadata,
        description=None if outcome.success else failure_line(outcome),
    )


def failure_line(outcome: Outcome) -> str:
    """What a failed check found, in one line."""
    check = outcome.check
    if check.quarantines:
        return f"{outcome.unexpected_count} rows quarantined in raw.quarantine: {check.reason}"
    what = check.description or check.expect
    sample = json.dumps(outcome.sample()[:1], default=str)
    if check.query is not None:
        return f"{what}: found {sample}"
    return f"{what}: {outcome.unexpected_count} of {outcome.checked_rows} rows fail, e.g. {sample}"


def failure_summary(table: str, failed: list[Outcome]) -> str:
    """One readable message for the blocking checks that failed on a table."""
    parts = [
        f"{o.check.name} ({o.check.expect}): {o.unexpected_count} of {o.checked_rows} rows"
        f" fail, e.g. {json.dumps(o.sample()[:2], default=str)}"
        for o in failed
    ]
    return f"{table} was not published, the previous version stays: " + "; ".join(parts)
