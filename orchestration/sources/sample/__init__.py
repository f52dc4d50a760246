"""The offline sample: a deterministic synthetic market from a seed (`source` is the Source;
`calendar`, `universe`, `members`, `market`, `prices`, `funds`, `rates` and `weights` draw its
parts), with splits, gaps, holidays, delistings and membership changes."""
