"""capgap: a Dagster + DuckDB warehouse of small caps against the S&P 500.

- `definitions.py`: the Dagster entry point (`defs`), what `dagster dev` loads;
- `defs/`: the Dagster wiring: assets, resources, settings from the environment, schedules,
  freshness, check results and the metadata each materialization shows;
- `warehouse/`: the engine, free of Dagster: the contracts of `models/`, builds and publishes,
  raw landing and screening, Great Expectations validation, overrides, the file and its lock;
- `sources/`: what fills the raw tables: `sample/` (the offline synthetic market), `files`
  (a directory you bring) and `live/` (Yahoo, FRED, Wikipedia, iShares, the SEC);
- `outputs/`: what readers get: the serving file, today's tape, the data dictionary and the
  summary a run prints;
- `cli.py`: the `capgap` command.
"""
