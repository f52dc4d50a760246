"""What fills the raw tables: `base` (the Source protocol and the raw batch every source
returns), `sample/` (offline, the default), `files` (a directory you bring) and `live/`."""
