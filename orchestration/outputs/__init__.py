"""What the warehouse publishes for readers: the serving file for BI tools, today's tape, the
data dictionary and the summary a run prints."""
