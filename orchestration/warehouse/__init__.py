"""The warehouse engine, free of Dagster: the contracts of `models/` (`contracts`), building and
publishing a model (`builds`), screening and landing raw rows (`screening`, `landing`), the
Great Expectations checks (`validation`), a person's corrections (`overrides`), the DuckDB
file and its run lock (`warehouse_file`), the seeds, the NYSE calendar, and a model as one
standalone SELECT (`standalone_sql`)."""
