"""The Dagster wiring: the assets (`assets/`), their resources and the environment that
configures them, the schedule and freshness policy, and what the UI shows of each run."""
